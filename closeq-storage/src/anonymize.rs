//! What anonymizing a call removes.

use closeq_core::{Call, Scorecard};

/// Clears a call's client contact and the rep's comments.
pub(crate) fn call(c: &mut Call) {
    c.client = Default::default();
    c.rep_comments = None;
}

/// Removes every quote, rationale and free text from a scorecard, keeping
/// verdicts, points, the score and the explanation.
pub(crate) fn scorecard(s: &mut Scorecard) {
    for r in &mut s.criteria {
        r.evidence.clear();
        r.rationale = String::new().into();
    }
    s.coaching_notes.clear();
    s.recommendations.clear();
    for i in &mut s.issues {
        i.evidence.clear();
        i.text = String::new().into();
    }
}

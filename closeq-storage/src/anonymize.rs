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
    s.summary = None;
    for i in &mut s.issues {
        i.evidence.clear();
        i.text = String::new().into();
    }
    // What is left: a reviewer's reason.
    s.rewrite_text(|t| (!t.is_empty()).then(String::new));
}

/// Redacts a review event for a text update of `stored` to `new` (which
/// differ in free text only): an event carrying `stored`'s review takes
/// `new`'s (the same decision, reviewer and time, the reason redacted);
/// any other event is left as it is. History stays append-only: no event
/// is added, removed, or changed beyond its text.
pub(crate) fn redact_record(
    record: &mut closeq_core::ports::ReviewRecord,
    stored: &Scorecard,
    new: &Scorecard,
) {
    if &record.state == stored.review() {
        record.state = new.review().clone();
    }
}

/// Checks that `new` changes only the free text of `stored`.
pub(crate) fn check_text_only(stored: &Scorecard, new: &Scorecard) -> closeq_core::Result<()> {
    if stored.same_except_text(new) {
        Ok(())
    } else {
        Err(closeq_core::Error::invalid(
            "scorecard",
            "only free text (notes, recommendations, issue texts, rationales, quotes, review reason) may change",
        ))
    }
}

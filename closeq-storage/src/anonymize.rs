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
    // What is left: a reviewer's reason.
    s.rewrite_text(|t| (!t.is_empty()).then(String::new));
}

/// The review events of a scorecard say what its review state says: a
/// scorecard is reviewed at most once, so every event of `card` carries
/// `card`'s state (with its reason as redacted as the card's).
pub(crate) fn review_record(card: &Scorecard) -> closeq_core::ports::ReviewRecord {
    closeq_core::ports::ReviewRecord {
        scorecard_id: card.id,
        state: card.review().clone(),
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

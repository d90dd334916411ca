//! The human-review rules every store keeps (EU AI Act Art. 14): cards
//! enter as suggestions, a review is the acting user's own and is replayed
//! on the stored card, and what a call contributes to dashboards is its
//! latest card as reviewed.

use closeq_core::{Error, Result, Scope, Scorecard, Verdict};

/// The hit value of a verdict for aggregates; `None` = not counted.
pub(crate) fn verdict_value(v: Verdict) -> Option<f64> {
    match v {
        Verdict::Met => Some(1.0),
        Verdict::Partial => Some(0.5),
        Verdict::Missed | Verdict::InsufficientEvidence => Some(0.0),
        Verdict::NotApplicable => None,
    }
}

/// Checks cards about to be inserted: each must be an unreviewed suggestion.
pub(crate) fn check_new(cards: &[Scorecard]) -> Result<()> {
    cards.iter().try_for_each(Scorecard::check_suggested)
}

/// The stored card with the caller's review applied, after checking that
/// the review is the acting user's and the stored card is unreviewed
/// (`Conflict` otherwise). The caller's other fields are ignored.
pub(crate) fn reviewed(scope: &Scope, stored: &Scorecard, card: &Scorecard) -> Result<Scorecard> {
    let Some(by) = card.reviewed_by() else {
        return Err(Error::invalid("review", "the scorecard carries no review"));
    };
    if by != scope.user_id {
        return Err(Error::Forbidden {
            action: "review_scorecard".into(),
            reason: "a review must name the acting user as its reviewer".into(),
        });
    }
    if stored.review().is_reviewed() {
        return Err(Error::Conflict {
            resource: "scorecard",
            reason: "already reviewed".into(),
        });
    }
    let mut updated = stored.clone();
    updated.apply_review(card.review())?;
    Ok(updated)
}

/// What a call's latest scorecard contributes to dashboards.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Contribution {
    /// The score after review; `None` when rejected.
    pub score: Option<f64>,
    /// The rep's talk ratio, for scored (not rejected) cards.
    pub talk: Option<f64>,
    /// Verdict values after review (not-applicable left out).
    pub verdicts: Vec<(String, f64)>,
    /// The review state's name (`suggested`, `accepted`, ...).
    pub review: &'static str,
}

impl Contribution {
    /// The contribution of `card`.
    pub(crate) fn of(card: &Scorecard) -> Self {
        let score = card.effective_score().map(|s| s.value());
        let verdicts = card
            .effective_verdicts()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(id, v)| verdict_value(v).map(|x| (id.to_owned(), x)))
            .collect();
        Self {
            score,
            talk: score.and(card.metrics.as_ref()).map(|m| m.talk_ratio.rep),
            verdicts,
            review: card.review().name(),
        }
    }

    /// Whether the card is still an unreviewed suggestion.
    pub(crate) fn unreviewed(&self) -> bool {
        self.review == "suggested"
    }

    /// Whether a reviewer rejected the card.
    pub(crate) fn rejected(&self) -> bool {
        self.review == "rejected"
    }
}

//! What every store checks before a processing write (`ingest`,
//! `advance_call`) writes anything, and the scorecard rule all keep: a call
//! holds at most one scorecard per (rubric id, rubric version, scorer name).

use std::collections::BTreeSet;

use closeq_core::ports::CallBundle;
use closeq_core::{Call, Error, Result, Scope, Scorecard};

/// Whether `a` and `b` are the same call's cards by the same scorer for
/// the same rubric version.
pub(crate) fn same_key(a: &Scorecard, b: &Scorecard) -> bool {
    a.call_id == b.call_id
        && a.provenance.rubric_id == b.provenance.rubric_id
        && a.provenance.rubric_version == b.provenance.rubric_version
        && a.provenance.scorer == b.provenance.scorer
}

/// The error for a second card with `card`'s key: `AlreadyExists` naming
/// the call, the rubric and version, and the scorer (no personal data).
pub(crate) fn duplicate(card: &Scorecard) -> Error {
    Error::already_exists(
        "scorecard",
        format!(
            "{}/{}@{}/{}",
            card.call_id,
            card.provenance.rubric_id.as_str(),
            card.provenance.rubric_version,
            card.provenance.scorer
        ),
    )
}

/// Checks scorecards about to be written for `call`: each is an
/// unreviewed suggestion, belongs to it, and no two share an id or a key.
pub(crate) fn check_cards(call: &Call, cards: &[Scorecard]) -> Result<()> {
    crate::review::check_new(cards)?;
    let mut ids = BTreeSet::new();
    for (i, card) in cards.iter().enumerate() {
        if card.call_id != call.id || card.workspace_id != call.workspace_id {
            return Err(Error::invalid(
                "scorecards.call_id",
                "a scorecard does not belong to the call",
            ));
        }
        if !ids.insert(card.id) {
            return Err(Error::already_exists("scorecard", card.id));
        }
        if cards[..i].iter().any(|c| same_key(c, card)) {
            return Err(duplicate(card));
        }
    }
    Ok(())
}

/// Checks a bundle for `ingest` before anything is written: the scope may
/// create the call, and its transcript, scorecards and consent are its own.
pub(crate) fn check(scope: &Scope, b: &CallBundle) -> Result<()> {
    crate::policy::check_new_call(scope, &b.call)?;
    if let Some(t) = &b.transcript {
        t.validate()?;
    }
    check_cards(&b.call, &b.scorecards)?;
    if b.consent.as_ref().is_some_and(|c| c.call_id != b.call.id) {
        return Err(Error::invalid(
            "consent.call_id",
            "does not belong to the bundle's call",
        ));
    }
    Ok(())
}

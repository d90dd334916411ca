//! JSON documents in SQL columns, and the summary columns derived from them.

use closeq_core::{Error, Result, Scorecard, Verdict};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub(crate) fn to_json<T: Serialize>(backend: &'static str, v: &T) -> Result<String> {
    serde_json::to_string(v)
        .map_err(|_| Error::storage(backend, "encode", "cannot encode a record", false))
}

pub(crate) fn from_json<T: DeserializeOwned>(backend: &'static str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|_| {
        Error::storage(
            backend,
            "decode",
            "a stored record does not decode (schema drift?)",
            false,
        )
    })
}

/// The hit value of a verdict for aggregates; `None` = not counted.
pub(crate) fn verdict_value(v: Verdict) -> Option<f64> {
    match v {
        Verdict::Met => Some(1.0),
        Verdict::Partial => Some(0.5),
        Verdict::Missed | Verdict::InsufficientEvidence => Some(0.0),
        Verdict::NotApplicable => None,
    }
}

/// (criterion, value) rows of a scorecard.
pub(crate) fn verdict_rows(card: &Scorecard) -> Vec<(String, f64)> {
    card.criteria
        .iter()
        .filter_map(|r| verdict_value(r.verdict).map(|v| (r.criterion_id.clone(), v)))
        .collect()
}

/// The snake_case name of a serde enum value.
pub(crate) fn enum_name<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|x| x.as_str().map(str::to_owned))
        .unwrap_or_default()
}

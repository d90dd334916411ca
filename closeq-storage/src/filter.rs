//! Call-list filters evaluated in code (memory backend).

use closeq_core::ports::CallFilter;
use closeq_core::{Call, Scorecard};

/// Whether `call` (with its latest scorecard) passes `f`. Score filters
/// read the score after review (a rejected card has none).
pub(crate) fn matches(call: &Call, latest: Option<&Scorecard>, f: &CallFilter) -> bool {
    let score = latest
        .and_then(Scorecard::effective_score)
        .map(|s| s.value());
    f.rep_id.is_none_or(|r| call.rep_id == r)
        && f.team_id.is_none_or(|t| call.team_id == Some(t))
        && f.started_from.is_none_or(|t| call.started_at >= t)
        && f.started_before.is_none_or(|t| call.started_at < t)
        && f.status
            .as_deref()
            .is_none_or(|s| call.status().name() == s)
        && f.outcome.is_none_or(|o| call.outcome == o)
        && f.min_score.is_none_or(|m| score.is_some_and(|s| s >= m))
        && f.max_score.is_none_or(|m| score.is_some_and(|s| s <= m))
        && f.rubric
            .as_ref()
            .is_none_or(|r| latest.is_some_and(|s| &s.provenance.rubric_id == r))
}

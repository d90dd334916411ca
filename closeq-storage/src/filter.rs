//! Call-list filters evaluated in code (memory backend).

use closeq_core::ports::CallFilter;
use closeq_core::{Call, Scorecard};

/// Whether `call` (with its latest scorecard) passes `f`.
pub(crate) fn matches(call: &Call, latest: Option<&Scorecard>, f: &CallFilter) -> bool {
    f.rep_id.is_none_or(|r| call.rep_id == r)
        && f.team_id.is_none_or(|t| call.team_id == Some(t))
        && f.started_from.is_none_or(|t| call.started_at >= t)
        && f.started_before.is_none_or(|t| call.started_at < t)
        && f.status
            .as_deref()
            .is_none_or(|s| call.status().name() == s)
        && f.outcome.is_none_or(|o| call.outcome == o)
        && f.min_score
            .is_none_or(|m| latest.is_some_and(|s| s.score.value() >= m))
        && f.max_score
            .is_none_or(|m| latest.is_some_and(|s| s.score.value() <= m))
        && f.rubric
            .as_ref()
            .is_none_or(|r| latest.is_some_and(|s| &s.provenance.rubric_id == r))
}

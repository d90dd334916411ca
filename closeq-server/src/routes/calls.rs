//! Reading calls: the list (filters, keyset pagination), one call, its
//! transcript, metrics and scorecards, and the dashboard. A call the
//! caller may not see — another workspace's, another rep's for a member —
//! answers exactly as a missing one does (404).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use closeq_core::ports::{AggregateQuery, CallFilter, Cursor, GroupBy, PageRequest};
use closeq_core::{CallId, CallOutcome, Error, RubricKey, ScorecardId, TeamId, UserId};
use serde::{Deserialize, Serialize};

use super::{QueryParams, Segment, json};
use crate::api::Api;
use crate::auth::{Caller, CallsRead, DashboardRead};
use crate::problem::{ApiResult, Problem};

/// An id from a path: a malformed one is as missing as an unknown one.
pub(crate) fn call_id(raw: &str) -> ApiResult<CallId> {
    raw.parse().map_err(|_| Problem::not_found("call"))
}

/// A scorecard id from a path (see [`call_id`]).
pub(crate) fn scorecard_id(raw: &str) -> ApiResult<ScorecardId> {
    raw.parse().map_err(|_| Problem::not_found("scorecard"))
}

/// `GET /v1/calls` query.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only this rep's calls.
    pub rep_id: Option<UserId>,
    /// Only this team's calls.
    pub team_id: Option<TeamId>,
    /// Started at or after.
    pub from: Option<DateTime<Utc>>,
    /// Started before.
    pub to: Option<DateTime<Utc>>,
    /// Only calls in this status (`uploaded`, `analyzed`, `failed`, ...).
    pub status: Option<String>,
    /// Only calls with this commercial outcome.
    pub outcome: Option<CallOutcome>,
    /// Only calls whose latest score is at least this.
    pub min_score: Option<f64>,
    /// Only calls whose latest score is at most this.
    pub max_score: Option<f64>,
    /// Only calls scored against this rubric.
    pub rubric: Option<String>,
    /// Page size, 1–1000 (default 50).
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<u32>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
}

/// A page of calls.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CallPage {
    /// The calls, newest first.
    pub items: Vec<closeq_core::Call>,
    /// The cursor of the next page (`after=`), absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

pub(crate) async fn list(
    State(api): State<Api>,
    caller: Caller<CallsRead>,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Response> {
    let rubric = q
        .rubric
        .as_deref()
        .map(RubricKey::parse)
        .transpose()
        .map_err(|e| Problem::from(e.in_field("query")))?;
    let filter = CallFilter {
        rep_id: q.rep_id,
        team_id: q.team_id,
        started_from: q.from,
        started_before: q.to,
        status: q.status,
        outcome: q.outcome,
        min_score: q.min_score,
        max_score: q.max_score,
        rubric,
    };
    let page = PageRequest {
        limit: q.limit.unwrap_or(50),
        after: q.after.map(Cursor),
    };
    page.validate().map_err(|e| e.in_field("query"))?;
    let got = api
        .0
        .calls
        .list_calls(&caller.scope, &filter, &page)
        .await?;
    Ok(json(
        StatusCode::OK,
        &CallPage {
            items: got.items,
            next: got.next.map(|c| c.0),
        },
    ))
}

pub(crate) async fn show(
    State(api): State<Api>,
    caller: Caller<CallsRead>,
    Segment(id): Segment,
) -> ApiResult<Response> {
    let call = api.0.calls.get_call(&caller.scope, call_id(&id)?).await?;
    Ok(json(StatusCode::OK, &call))
}

pub(crate) async fn transcript(
    State(api): State<Api>,
    caller: Caller<CallsRead>,
    Segment(id): Segment,
) -> ApiResult<Response> {
    let t = api
        .0
        .calls
        .get_transcript(&caller.scope, call_id(&id)?)
        .await?;
    Ok(json(StatusCode::OK, &t))
}

pub(crate) async fn scorecards(
    State(api): State<Api>,
    caller: Caller<CallsRead>,
    Segment(id): Segment,
) -> ApiResult<Response> {
    let cards = cards_of_visible_call(&api, &caller.scope, &id).await?;
    Ok(json(StatusCode::OK, &cards))
}

/// The scorecards of a call the scope sees: a call with no cards and a
/// call not seen differ, the latter is 404.
async fn cards_of_visible_call(
    api: &Api,
    scope: &closeq_core::Scope,
    raw: &str,
) -> ApiResult<Vec<closeq_core::Scorecard>> {
    let id = call_id(raw)?;
    api.0.calls.get_call(scope, id).await?;
    Ok(api.0.calls.list_scorecards(scope, id).await?)
}

/// The conversation metrics of an analysed call (those of its latest
/// scorecard: metrics are deterministic, the same on every card); 404
/// before analysis.
pub(crate) async fn metrics(
    State(api): State<Api>,
    caller: Caller<CallsRead>,
    Segment(id): Segment,
) -> ApiResult<Response> {
    let cards = cards_of_visible_call(&api, &caller.scope, &id).await?;
    let m = cards
        .iter()
        .rev()
        .find_map(|c| c.metrics.clone())
        .ok_or_else(|| Problem::not_found("metrics"))?;
    Ok(json(StatusCode::OK, &m))
}

/// `GET /v1/dashboard` query.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DashboardQuery {
    /// `rep` or `team` (default `rep`).
    pub group_by: Option<GroupBy>,
    /// Calls started at or after (default: 30 days before `to`).
    pub from: Option<DateTime<Utc>>,
    /// Calls started before (default: now).
    pub to: Option<DateTime<Utc>>,
}

pub(crate) async fn dashboard(
    State(api): State<Api>,
    caller: Caller<DashboardRead>,
    QueryParams(q): QueryParams<DashboardQuery>,
) -> ApiResult<Response> {
    let group_by = q.group_by.unwrap_or(GroupBy::Rep);
    let to = q.to.unwrap_or_else(|| api.0.clock.now());
    let from = match q.from {
        Some(f) => f,
        None => to
            .checked_sub_signed(chrono::Duration::days(30))
            .ok_or_else(|| Problem::invalid("query.to", "out of range"))?,
    };
    if from >= to {
        return Err(Error::invalid("query.from", "must be before to").into());
    }
    let rows = api
        .0
        .calls
        .aggregate(&caller.scope, &AggregateQuery { group_by, from, to })
        .await?;
    Ok(json(StatusCode::OK, &rows))
}

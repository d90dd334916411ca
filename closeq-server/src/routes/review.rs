//! `POST /v1/scorecards/{id}/review`: a person accepts, overrides or
//! rejects an AI scorecard (EU AI Act Art. 14). The review is the key's
//! member's own; the store checks they may review this call (a member may
//! not review their own calls' cards) and that the card is unreviewed.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use closeq_core::ReviewChange;
use serde::Deserialize;

use super::calls::scorecard_id;
use super::{JsonBody, Segment, json};
use crate::api::Api;
use crate::auth::{Caller, ScorecardsReview};
use crate::problem::ApiResult;
use crate::webhooks::EventType;

/// A review. `Debug` leaves out the free-text reason.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(tag = "decision", rename_all = "snake_case", deny_unknown_fields)]
pub enum ReviewBody {
    /// The suggestion stands.
    Accept,
    /// Verdicts and/or the score changed, with a reason.
    Override {
        /// Each a criterion's new verdict or the overall score.
        changes: Vec<ReviewChange>,
        /// Why (1–2000 characters).
        reason: String,
    },
    /// The suggestion is wrong, with a reason.
    Reject {
        /// Why (1–2000 characters).
        reason: String,
    },
}

impl std::fmt::Debug for ReviewBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Accept => f.write_str("Accept"),
            Self::Override { changes, .. } => f
                .debug_struct("Override")
                .field("changes", &changes.len())
                .finish_non_exhaustive(),
            Self::Reject { .. } => f.debug_struct("Reject").finish_non_exhaustive(),
        }
    }
}

pub(crate) async fn review(
    State(api): State<Api>,
    caller: Caller<ScorecardsReview>,
    Segment(id): Segment,
    JsonBody(body): JsonBody<ReviewBody>,
) -> ApiResult<Response> {
    let id = scorecard_id(&id)?;
    let calls = &api.0.calls;
    let mut card = calls.get_scorecard(&caller.scope, id).await?;
    let by = caller.scope.user_id;
    let now = api.0.clock.now();
    match body {
        ReviewBody::Accept => card.accept(by, now),
        ReviewBody::Override { changes, reason } => card.override_with(by, now, changes, reason),
        ReviewBody::Reject { reason } => card.reject(by, now, reason),
    }?;
    calls.save_review(&caller.scope, &card).await?;
    let stored = calls.get_scorecard(&caller.scope, id).await?;
    if let Some(w) = &api.0.webhooks {
        let data = serde_json::json!({
            "scorecard_id": stored.id,
            "call_id": stored.call_id,
            "decision": stored.review().name(),
        });
        w.emit_logged(&caller.scope, EventType::ScorecardReviewed, data)
            .await;
    }
    Ok(json(StatusCode::OK, &stored))
}

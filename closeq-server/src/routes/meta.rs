//! What needs no call data: liveness and readiness, the rubrics, a rubric
//! check, the public sub-processor list and the OpenAPI document.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use closeq_analysis::rubric::{RubricLocation, load_json, load_toml};
use serde::{Deserialize, Serialize};

use super::{JsonBody, json};
use crate::api::Api;
use crate::auth::{Caller, CallsRead};
use crate::problem::{ApiResult, Problem};

/// `/healthz`: the process serves.
pub(crate) async fn healthz() -> Response {
    json(StatusCode::OK, &serde_json::json!({"status": "ok"}))
}

/// `/readyz`: the database answers (503 otherwise).
pub(crate) async fn readyz(State(api): State<Api>) -> ApiResult<Response> {
    if let Some(check) = &api.0.readiness {
        check().await.map_err(|e| {
            tracing::warn!(error = %e, "not ready");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not-ready",
                "the server cannot reach its database",
            )
            .with_retry_after(std::time::Duration::from_secs(1))
        })?;
    }
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({"status": "ready"}),
    ))
}

/// One rubric uploads may name.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RubricSummary {
    /// Its key (`metadata.rubrics` of an upload).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its top-level criteria.
    pub criteria: usize,
}

pub(crate) async fn rubrics(State(api): State<Api>, _: Caller<CallsRead>) -> Response {
    let list: Vec<RubricSummary> = api
        .0
        .rubrics
        .iter()
        .map(|r| RubricSummary {
            id: r.id.as_str().to_owned(),
            name: r.name.clone(),
            criteria: r.criteria.len(),
        })
        .collect();
    json(StatusCode::OK, &list)
}

/// A rubric file's format.
#[derive(Debug, Clone, Copy, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RubricFormat {
    /// TOML (`closeq rubric` files).
    Toml,
    /// JSON.
    Json,
}

/// A rubric to check.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RubricCheck {
    /// `toml` or `json`.
    pub format: RubricFormat,
    /// The rubric file's text.
    pub text: String,
}

/// The verdict on a rubric.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RubricVerdict {
    /// Whether the rubric loads and passes every check (benchmarks, cues,
    /// the AI-Act guard).
    pub valid: bool,
    /// Its summary, when valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rubric: Option<RubricSummary>,
    /// Where the first problem is (`line 4, column 1`, a JSON pointer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// What the problem is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

pub(crate) async fn validate_rubric(
    _: Caller<CallsRead>,
    JsonBody(body): JsonBody<RubricCheck>,
) -> ApiResult<Response> {
    let loaded = match body.format {
        RubricFormat::Toml => load_toml("rubric", &body.text),
        RubricFormat::Json => load_json("rubric", &body.text),
    };
    let verdict = match loaded {
        Ok(r) => RubricVerdict {
            valid: true,
            rubric: Some(RubricSummary {
                id: r.id.as_str().to_owned(),
                name: r.name.clone(),
                criteria: r.criteria.len(),
            }),
            location: None,
            detail: None,
        },
        Err(e) => RubricVerdict {
            valid: false,
            rubric: None,
            location: Some(match &e.location {
                RubricLocation::Toml { line, column } => format!("line {line}, column {column}"),
                RubricLocation::JsonPointer(p) => p.clone(),
                _ => "file".to_owned(),
            }),
            detail: Some(e.error.to_string()),
        },
    };
    Ok(json(StatusCode::OK, &verdict))
}

pub(crate) async fn subprocessors(State(api): State<Api>) -> Response {
    json(StatusCode::OK, &api.0.register.to_json())
}

pub(crate) async fn openapi() -> Response {
    json(StatusCode::OK, &crate::openapi::document())
}

//! # closeq-server
//!
//! CloseQ's HTTP API as an embeddable axum [`Router`](axum::Router), built
//! from the library's stores, [`Analyzer`](closeq_pipeline::Analyzer) and
//! [`JobQueue`](closeq_core::ports::JobQueue): mount it inside your own
//! service, or run it with `closeq serve`.
//!
//! - **Auth:** `Authorization: Bearer cq_live_...`. A key acts as the
//!   member who created it (their role and teams) within its scopes —
//!   `calls:read`, `calls:write`, `scorecards:review`, `audio:read`,
//!   `dashboard:read`, `privacy:admin` ([`SCOPES`]); a key of the other environment is
//!   refused; each key has a rate ([`KeyRate`]; 429 with `Retry-After`).
//! - **Uploads:** `POST /v1/calls` takes `multipart/form-data` with a
//!   `file` part (recording or transcript) and a `metadata` JSON part
//!   ([`CallMetadata`]); the analyzer's checks, gates and transfer checks
//!   run before anything is stored, and the call is stored with its first
//!   job in one write (202). Size, memory (every body byte, as it arrives)
//!   and time are bounded while the body is read ([`UploadLimits`]).
//! - **Reads:** calls (filters, keyset pagination), transcripts, metrics,
//!   scorecards, the dashboard of reviewed scores, rubrics; reviews of
//!   scorecards; signed audio URLs and their download with `Range`.
//! - **Data-subject requests** for admins: export, erase, rectify,
//!   restrict, object, withdraw consent, fulfilled at once
//!   ([`NewRequest`]), listed with status and due date.
//! - **Errors:** RFC 9457 problem details naming the field
//!   ([`Problem`]), without personal data; another workspace's resource is
//!   404 exactly as a missing one; every response has `x-request-id`.
//! - **Webhooks** ([`webhooks`]): Standard Webhooks signatures, delivered
//!   through the job queue with retries.
//! - **OpenAPI 3.1** at `/v1/openapi.json` ([`openapi::document`]).
//!
//! ```no_run
//! # async fn run(api: closeq_server::Api) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, api.router()).await
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod api;
mod auth;
pub mod openapi;
mod problem;
mod routes;
pub mod webhooks;

pub use api::{Api, ApiBuilder, Readiness, UploadLimits};
pub use auth::{
    AudioRead, Caller, CallsRead, CallsWrite, DashboardRead, KeyRate, Permission, PrivacyAdmin,
    SCOPES, ScorecardsReview,
};
pub use problem::{ApiResult, PROBLEM_JSON, Problem};
pub use routes::{
    Accepted, AudioUrl, CallMetadata, CallPage, Correction, DEFAULT_RUBRIC, DashboardQuery,
    EraseMode, Fulfilled, IssueQuery, ListQuery, MAX_JSON_BYTES, NewRequest, REQUEST_ID,
    RequestView, ReviewBody, RubricCheck, RubricFormat, RubricSummary, RubricVerdict,
};

//! Data-subject requests for admins (`privacy:admin`; the stores check the
//! member may run them): `POST /v1/privacy/requests` fulfils one —
//! export, erase, rectify, restrict, object, withdraw consent — at once;
//! `GET /v1/privacy/requests[/{id}]` shows them with status and due date.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use closeq_core::{CallId, EmailAddress, PhoneNumber, Subject, SubjectRequest};
use closeq_privacy::erasure::{ErasureMode, ErasureReport};
use closeq_privacy::fulfilment::{ErasureOutcome, RequestFulfilment};
use closeq_privacy::rectification::ContactCorrection;
use serde::{Deserialize, Serialize};

use super::{JsonBody, Segment, json};
use crate::api::Api;
use crate::auth::{Caller, PrivacyAdmin};
use crate::problem::{ApiResult, Problem};
use crate::webhooks::EventType;

/// How erasure treats the subject's calls.
#[derive(Debug, Clone, Copy, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EraseMode {
    /// Keep the calls' statistics and scorecard points without any of the
    /// subject's personal data (default).
    #[default]
    Anonymize,
    /// Delete the calls with everything attached.
    Delete,
}

/// Corrected contact details (`null` or absent: unchanged). `Debug`
/// hides the name.
#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    /// The corrected name.
    #[serde(default)]
    pub name: Option<String>,
    /// The corrected e-mail address.
    #[serde(default)]
    pub email: Option<EmailAddress>,
    /// The corrected phone number.
    #[serde(default)]
    pub phone: Option<PhoneNumber>,
}

impl std::fmt::Debug for Correction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Correction")
            .field("name", &self.name.as_ref().map(|_| "<redacted>"))
            .field("email", &self.email)
            .field("phone", &self.phone)
            .finish()
    }
}

/// A data-subject request to fulfil.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum NewRequest {
    /// Access and portability (GDPR Art. 15, 20): everything held about
    /// the subject, in the answer.
    Export {
        /// Whom it is about.
        subject: Subject,
    },
    /// Erasure (Art. 17).
    Erase {
        /// Whom it is about.
        subject: Subject,
        /// `anonymize` (default) or `delete`.
        #[serde(default)]
        mode: EraseMode,
    },
    /// Rectification (Art. 16) of a client contact on every call.
    Rectify {
        /// Whom it is about (a client contact).
        subject: Subject,
        /// The corrected details.
        correction: Correction,
    },
    /// Restriction of processing (Art. 18), in force at once.
    Restrict {
        /// Whom it is about.
        subject: Subject,
        /// Also hold the calls back from retention (legal claims).
        #[serde(default)]
        legal_claims: bool,
    },
    /// Objection to AI analysis (Art. 21), in force at once.
    Object {
        /// Whom it is about.
        subject: Subject,
    },
    /// Withdrawal of a call's recording consent (Art. 7(3)).
    WithdrawConsent {
        /// Who withdraws (on the call).
        subject: Subject,
        /// The call.
        call_id: CallId,
    },
}

/// A request with its due date.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RequestView {
    /// The request (kind, subject, state, extensions).
    pub request: SubjectRequest,
    /// When it must be answered (one month, plus extensions).
    pub due_at: DateTime<Utc>,
    /// Whether it is still open.
    pub open: bool,
}

impl From<SubjectRequest> for RequestView {
    fn from(r: SubjectRequest) -> Self {
        Self {
            due_at: r.due_at(),
            open: r.is_open(),
            request: r,
        }
    }
}

/// What fulfilling a request did. `Debug` shows whether there is an
/// export, not its content.
#[derive(Serialize, schemars::JsonSchema)]
pub struct Fulfilled {
    /// The request as it now stands.
    #[serde(flatten)]
    pub view: RequestView,
    /// An export's content (kind `export`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export: Option<serde_json::Value>,
    /// What an erasure did (kind `erase`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub erased: Option<ErasureReport>,
    /// Why an erasure was refused (the request is then rejected; tell the
    /// subject `complaint_notice`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// What to tell the subject about a refusal: the reason and where to
    /// complain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complaint_notice: Option<String>,
    /// Calls changed by a rectification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calls_rectified: Option<u32>,
}

impl std::fmt::Debug for Fulfilled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fulfilled")
            .field("request", &self.view.request.id)
            .field("export", &self.export.is_some())
            .field("erased", &self.erased)
            .field("refused", &self.refused.is_some())
            .field("calls_rectified", &self.calls_rectified)
            .finish()
    }
}

fn desk(api: &Api) -> ApiResult<&RequestFulfilment> {
    api.0
        .requests
        .as_ref()
        .ok_or_else(|| Problem::not_found("route"))
}

fn done(r: SubjectRequest) -> Fulfilled {
    Fulfilled {
        view: r.into(),
        export: None,
        erased: None,
        refused: None,
        complaint_notice: None,
        calls_rectified: None,
    }
}

pub(crate) async fn create(
    State(api): State<Api>,
    caller: Caller<PrivacyAdmin>,
    JsonBody(body): JsonBody<NewRequest>,
) -> ApiResult<Response> {
    let desk = desk(&api)?;
    let scope = &caller.scope;
    let out = match body {
        NewRequest::Export { subject } => {
            let (id, export) = desk.export(scope, &subject).await?;
            // The answer carries it: rendered first, then recorded.
            let export = export.to_json();
            let r = desk.answered(scope, id).await?;
            Fulfilled {
                export: Some(export),
                ..done(r)
            }
        }
        NewRequest::Erase { subject, mode } => {
            let mode = match mode {
                EraseMode::Anonymize => ErasureMode::Anonymize,
                EraseMode::Delete => ErasureMode::Delete,
            };
            match desk.erase(scope, &subject, mode).await? {
                ErasureOutcome::Erased(r, report) => Fulfilled {
                    erased: Some(report),
                    ..done(r)
                },
                ErasureOutcome::Refused(r, e) => Fulfilled {
                    refused: Some(e.to_string()),
                    complaint_notice: r.complaint_notice(),
                    ..done(r)
                },
            }
        }
        NewRequest::Rectify {
            subject,
            correction,
        } => {
            let c = ContactCorrection {
                name: correction.name,
                email: correction.email,
                phone: correction.phone,
            };
            let (r, n) = desk.rectify_contact(scope, &subject, &c).await?;
            Fulfilled {
                calls_rectified: Some(n),
                ..done(r)
            }
        }
        NewRequest::Restrict {
            subject,
            legal_claims,
        } => done(desk.restrict(scope, subject, legal_claims).await?),
        NewRequest::Object { subject } => done(desk.object(scope, subject).await?),
        NewRequest::WithdrawConsent { subject, call_id } => {
            done(desk.withdraw_consent(scope, subject, call_id).await?.0)
        }
    };
    if let Some(w) = &api.0.webhooks {
        let r = &out.view.request;
        let data = serde_json::json!({
            "request_id": r.id,
            "kind": r.kind.name(),
            "state": r.state.name(),
        });
        w.emit_logged(scope, EventType::DsrCompleted, data).await;
    }
    Ok(json(StatusCode::OK, &out))
}

pub(crate) async fn list(
    State(api): State<Api>,
    caller: Caller<PrivacyAdmin>,
) -> ApiResult<Response> {
    let all = desk(&api)?.requests().all(&caller.scope).await?;
    let views: Vec<RequestView> = all.into_iter().map(RequestView::from).collect();
    Ok(json(StatusCode::OK, &views))
}

pub(crate) async fn show(
    State(api): State<Api>,
    caller: Caller<PrivacyAdmin>,
    Segment(id): Segment,
) -> ApiResult<Response> {
    let id = id.parse().map_err(|_| Problem::not_found("request"))?;
    let r = desk(&api)?.requests().get(&caller.scope, id).await?;
    Ok(json(StatusCode::OK, &RequestView::from(r)))
}

//! Errors as RFC 9457 problem details (`application/problem+json`): a
//! problem type, the HTTP status, a title, a detail that names the field
//! or rule at fault, and never personal data, transcript text or secrets.
//! Server-side failures (5xx) say only that they happened; their cause is
//! logged under the request id.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use closeq_core::Error;
use serde::Serialize;

/// The media type of a problem document.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One problem: what [`IntoResponse`] turns into an
/// `application/problem+json` response.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`urn:closeq:problem:not-found`).
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request (no personal data).
    pub detail: String,
    /// The request field at fault, when one is (`metadata.rep_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds to wait before retrying (also sent as `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl Problem {
    /// A problem of `status`, kind `kind` (the URN's last part).
    pub fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:closeq:problem:{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            retry_after: None,
        }
    }

    /// The request field at fault.
    #[must_use]
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Seconds before a retry may succeed (rounded up, at least 1).
    #[must_use]
    pub fn with_retry_after(mut self, wait: Duration) -> Self {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        self.retry_after = Some(secs.max(1));
        self
    }

    /// 404 for a resource that does not exist *or* that the caller may
    /// not see: the two answers are identical, so nothing leaks.
    pub fn not_found(resource: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("{resource} not found"),
        )
    }

    /// 422 naming `field`.
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input", detail).with_field(field)
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        let field = e.field().map(str::to_owned);
        let retry = e.retry_after();
        let p = match &e {
            Error::InvalidInput { .. } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-input",
                e.to_string(),
            ),
            Error::InvalidTransition { .. } | Error::Conflict { .. } => {
                Self::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            Error::AlreadyExists { resource, .. } => Self::new(
                StatusCode::CONFLICT,
                "already-exists",
                format!("{resource} already exists"),
            ),
            Error::NotFound { resource, .. } => Self::not_found(resource),
            Error::Forbidden { .. } => Self::new(StatusCode::FORBIDDEN, "forbidden", e.to_string()),
            Error::Unauthenticated { .. } => Self::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "a valid API key is required: Authorization: Bearer cq_live_...",
            ),
            Error::Compliance { .. } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "compliance-refusal",
                e.to_string(),
            ),
            Error::RateLimited { .. } => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, "rate-limited", e.to_string())
            }
            Error::Unsupported { .. } => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported",
                e.to_string(),
            ),
            Error::Unavailable { .. } | Error::Provider { .. } | Error::Timeout { .. } => {
                tracing::warn!(error = %e, "a dependency failed");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "a service CloseQ depends on is unavailable; retry later",
                )
            }
            Error::Storage { retryable, .. } => {
                tracing::error!(error = %e, "storage failed");
                if *retryable {
                    Self::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "unavailable",
                        "storage is unavailable; retry later",
                    )
                } else {
                    Self::internal()
                }
            }
            _ => {
                tracing::error!(error = %e, "request failed");
                Self::internal()
            }
        };
        let p = match field {
            Some(f) if p.status < 500 => p.with_field(f),
            _ => p,
        };
        match retry {
            Some(d) => p.with_retry_after(d),
            None if p.status == 503 => p.with_retry_after(Duration::from_secs(1)),
            None => p,
        }
    }
}

impl Problem {
    /// 500, with nothing about the cause.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed to complete the request; it has been logged",
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut res = (status, body).into_response();
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            h.insert(header::RETRY_AFTER, v);
        }
        if status == StatusCode::UNAUTHORIZED {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"closeq\""),
            );
        }
        res
    }
}

/// A handler's result.
pub type ApiResult<T> = Result<T, Problem>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_statuses_without_their_ids() {
        let p = Problem::from(Error::not_found("call", "0190-secret-id"));
        assert_eq!(p.status, 404);
        assert!(!p.detail.contains("0190"), "{p:?}");
        let p = Problem::from(Error::invalid("metadata.rep_id", "not a member"));
        assert_eq!(
            (p.status, p.field.as_deref()),
            (422, Some("metadata.rep_id"))
        );
        let p = Problem::from(Error::storage("sqlite", "get", "disk on fire", false));
        assert_eq!(p.status, 500);
        assert!(!p.detail.contains("disk"), "{p:?}");
        let p = Problem::from(Error::RateLimited {
            provider: "api-key".into(),
            retry_after: Some(Duration::from_millis(1500)),
        });
        assert_eq!((p.status, p.retry_after), (429, Some(2)));
    }
}

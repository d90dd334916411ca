//! The routes, and what every route shares: request ids and their log
//! spans, problem-details errors for unknown routes, methods and bodies,
//! and typed extractors whose rejections name the field at fault.

mod audio;
mod calls;
mod meta;
mod privacy;
mod review;
mod upload;
mod upload_body;

use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, MatchedPath, Request};
use axum::http::header::{self, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use tower_http::set_header::SetResponseHeaderLayer;
use tracing::Instrument;

use crate::api::Api;
use crate::problem::{ApiResult, Problem};

pub use audio::{AudioUrl, IssueQuery};
pub use calls::{CallPage, DashboardQuery, ListQuery};
pub use meta::{RubricCheck, RubricFormat, RubricSummary, RubricVerdict};
pub use privacy::{Correction, EraseMode, Fulfilled, NewRequest, RequestView};
pub use review::ReviewBody;
pub use upload::{Accepted, CallMetadata, DEFAULT_RUBRIC};

/// The header every response carries its request id in.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The largest JSON request body (reviews, rubric checks): 1 MiB.
pub const MAX_JSON_BYTES: usize = 1 << 20;

pub(crate) fn router(api: Api) -> Router {
    // The whole upload body: the file, the metadata part and the multipart
    // framing. The parts' own limits answer first, naming the part.
    let upload_body = usize::try_from(api.0.uploads.max_file_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(upload::MAX_METADATA_BYTES)
        .saturating_add(64 * 1024);
    let v1 = Router::new()
        .route(
            "/calls",
            post(upload::create)
                .layer(DefaultBodyLimit::max(upload_body))
                .get(calls::list),
        )
        .route("/calls/{id}", get(calls::show))
        .route("/calls/{id}/transcript", get(calls::transcript))
        .route("/calls/{id}/metrics", get(calls::metrics))
        .route("/calls/{id}/scorecards", get(calls::scorecards))
        .route("/calls/{id}/audio-url", post(audio::issue))
        .route("/audio/{token}", get(audio::serve))
        .route("/scorecards/{id}/review", post(review::review))
        .route("/dashboard", get(calls::dashboard))
        .route("/rubrics", get(meta::rubrics))
        .route("/rubrics/validate", post(meta::validate_rubric))
        .route(
            "/privacy/requests",
            post(privacy::create).get(privacy::list),
        )
        .route("/privacy/requests/{id}", get(privacy::show))
        .route("/subprocessors", get(meta::subprocessors))
        .route("/openapi.json", get(meta::openapi));
    Router::new()
        .route("/healthz", get(meta::healthz))
        .route("/readyz", get(meta::readyz))
        .nest("/v1", v1)
        .route_layer(middleware::from_fn(record_route))
        .fallback(|| async { Problem::not_found("route") })
        .method_not_allowed_fallback(|| async {
            Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "this route does not take that method",
            )
        })
        .layer(DefaultBodyLimit::max(MAX_JSON_BYTES))
        // Answers carry calls, transcripts and exports: no cache keeps
        // them (the audio route sets its own), and no browser sniffs them.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(middleware::from_fn(request_id))
        .with_state(api)
}

/// Gives the request an id (always the server's own: a client's
/// `x-request-id` is not trusted into logs), opens its log span, and
/// sends the id back on the response. Paths are not logged (a signed
/// audio URL's token is in its path): the span names the route pattern.
async fn request_id(mut req: Request, next: Next) -> Response {
    let id = uuid::Uuid::now_v7().to_string();
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %req.method(),
        route = tracing::field::Empty,
        workspace = tracing::field::Empty,
        status = tracing::field::Empty,
    );
    req.headers_mut().remove(&REQUEST_ID);
    let started = std::time::Instant::now();
    let mut res = next.run(req).instrument(span.clone()).await;
    span.record("status", res.status().as_u16());
    span.in_scope(|| {
        tracing::info!(ms = started.elapsed().as_millis() as u64, "served");
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    res
}

/// Names the matched route pattern (`/v1/calls/{id}`) in the span.
async fn record_route(req: Request, next: Next) -> Response {
    if let Some(p) = req.extensions().get::<MatchedPath>() {
        tracing::Span::current().record("route", p.as_str());
    }
    next.run(req).await
}

/// A JSON request body: `application/json` (else 415), at most
/// [`MAX_JSON_BYTES`] (else 413), matching `T` (else 422 naming the path of
/// the field at fault, without echoing its value).
#[derive(Debug)]
pub(crate) struct JsonBody<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "the body must be application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too-large",
                    format!("a JSON body is at most {MAX_JSON_BYTES} bytes"),
                )
            } else {
                Problem::new(
                    StatusCode::BAD_REQUEST,
                    "unreadable-body",
                    "the request body could not be read",
                )
            }
        })?;
        parse_json(&bytes, "body").map(JsonBody)
    }
}

/// Parses JSON into `T`; a mismatch is 422 naming `root` and the path
/// inside it (`metadata.client.email`), never the value.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8], root: &str) -> ApiResult<T> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            root.to_owned()
        } else {
            format!("{root}.{path}")
        };
        let what = match e.inner().classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                "is not well-formed JSON"
            }
            _ => "does not match the schema (wrong type, unknown field or invalid value)",
        };
        Problem::invalid(field.clone(), format!("{field} {what}"))
    })
}

/// Query parameters of type `T`; a mismatch is 422 naming `query`.
#[derive(Debug)]
pub(crate) struct QueryParams<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| QueryParams(q.0))
            .map_err(|e: QueryRejection| {
                // The parser's message can quote the value: only the
                // parameter's name is kept (`rep_id: ...`, or the name in
                // "unknown field `x`").
                let text = e.body_text();
                let text = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text);
                let name = text
                    .split_once(':')
                    .map(|(n, _)| n)
                    .filter(|n| !n.contains(' '))
                    .or_else(|| {
                        text.split('`')
                            .nth(1)
                            .filter(|_| text.starts_with("unknown field"))
                    })
                    .filter(|n| {
                        n.len() <= 40 && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    });
                match name {
                    Some(n) => Problem::invalid(
                        format!("query.{n}"),
                        format!("invalid query parameter `{n}`"),
                    ),
                    None => Problem::invalid("query", "invalid query parameters"),
                }
            })
    }
}

/// A path segment (`{id}`, `{token}`): a segment that does not decode is
/// as missing as an unknown id (404), in problem form.
#[derive(Debug)]
pub(crate) struct Segment(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for Segment {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|p| Segment(p.0))
            .map_err(|_| Problem::not_found("resource"))
    }
}

/// A JSON response.
pub(crate) fn json<T: serde::Serialize>(status: StatusCode, body: &T) -> Response {
    (status, Json(body)).into_response()
}

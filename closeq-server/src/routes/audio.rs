//! Signed audio: `POST /v1/calls/{id}/audio-url` issues a short-lived URL
//! for a call's recording; `GET /v1/audio/{token}` serves it — whole, or
//! one byte range (`Range: bytes=...`, 206 / 416) — with its content type.
//! An expired, tampered, erased or restricted recording's token gets one
//! uniform 403, so a holder learns nothing from the refusal.

use std::ops::Range;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use closeq_core::ports::SignedMethod;
use serde::{Deserialize, Serialize};

use super::calls::call_id;
use super::{QueryParams, Segment, json};
use crate::api::Api;
use crate::auth::{AudioRead, Caller};
use crate::problem::{ApiResult, Problem};

/// `POST /v1/calls/{id}/audio-url` query.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueQuery {
    /// Lifetime in seconds, 1–3600 (default 900).
    pub ttl_seconds: Option<u64>,
}

/// A signed URL.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AudioUrl {
    /// The URL (a bearer credential until it expires: do not log it).
    pub url: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

pub(crate) async fn issue(
    State(api): State<Api>,
    caller: Caller<AudioRead>,
    Segment(id): Segment,
    QueryParams(q): QueryParams<IssueQuery>,
) -> ApiResult<Response> {
    let id = call_id(&id)?;
    let ttl = Duration::from_secs(q.ttl_seconds.unwrap_or(900));
    let audio = api
        .0
        .audio
        .as_ref()
        .ok_or_else(|| Problem::not_found("audio"))?;
    let call = api.0.calls.get_call(&caller.scope, id).await?;
    let key = call
        .audio
        .as_ref()
        .map(|a| a.key.clone())
        .ok_or_else(|| Problem::not_found("audio"))?;
    let signed = audio
        .signed_url(&caller.scope, id, &key, SignedMethod::Get, ttl)
        .await
        .map_err(|e| match e.field() {
            Some("ttl") => Problem::from(e).with_field("query.ttl_seconds"),
            _ => Problem::from(e),
        })?;
    Ok(json(
        StatusCode::CREATED,
        &AudioUrl {
            url: signed.url.expose().to_owned(),
            expires_at: signed.expires_at,
        },
    ))
}

/// The one answer for every token that does not grant a download.
fn refused() -> Problem {
    Problem::new(
        StatusCode::FORBIDDEN,
        "signed-url-refused",
        "the URL is invalid, expired or no longer grants access",
    )
}

pub(crate) async fn serve(
    State(api): State<Api>,
    Segment(token): Segment,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (store, base) = api.0.signed_audio.as_ref().ok_or_else(refused)?;
    let download = store
        .open_signed(&format!("{base}/{token}"))
        .await
        .map_err(|e| match e {
            closeq_core::Error::Forbidden { .. } => refused(),
            other => Problem::from(other),
        })?;
    let size = download.size();
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(spec) => match parse_range(spec, size) {
            RangeAnswer::Ignore => None,
            RangeAnswer::Satisfiable(r) => Some(r),
            RangeAnswer::Unsatisfiable => {
                let mut res = Problem::new(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "range-not-satisfiable",
                    "the range lies outside the recording",
                )
                .into_response();
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    res.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                return Ok(res);
            }
        },
    };
    let stream = download.bytes(range.clone()).await?;
    let mut res = Body::from_stream(stream).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type_of(&download.grant().key)),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    let len = match &range {
        Some(r) => {
            *res.status_mut() = StatusCode::PARTIAL_CONTENT;
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {}-{}/{size}", r.start, r.end - 1))
            {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r.end - r.start
        }
        None => size,
    };
    res.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    Ok(res)
}

/// The content type of a recording, from its key's extension.
pub(crate) fn content_type_of(key: &str) -> &'static str {
    let ext = key.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("wav") => "audio/wav",
        Some("mp3") => "audio/mpeg",
        Some("flac") => "audio/flac",
        Some("ogg" | "oga") => "audio/ogg",
        Some("m4a" | "mp4") => "audio/mp4",
        Some("webm") => "audio/webm",
        _ => "application/octet-stream",
    }
}

/// What a `Range` header asks of a recording of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RangeAnswer {
    /// Not one well-formed byte range (several ranges, another unit, bad
    /// syntax): serve the whole recording (RFC 9110 §14.2 lets a server
    /// ignore it).
    Ignore,
    /// This range (end exclusive).
    Satisfiable(Range<u64>),
    /// 416.
    Unsatisfiable,
}

/// Parses `bytes=a-b`, `bytes=a-` or `bytes=-n` against `size` (RFC 9110
/// §14.1.2), with checked arithmetic.
pub(crate) fn parse_range(spec: &str, size: u64) -> RangeAnswer {
    let Some(set) = spec.trim().strip_prefix("bytes=") else {
        return RangeAnswer::Ignore;
    };
    if set.contains(',') {
        return RangeAnswer::Ignore;
    }
    let Some((a, b)) = set.trim().split_once('-') else {
        return RangeAnswer::Ignore;
    };
    let num = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (a.trim(), b.trim()) {
        ("", n) => match num(n) {
            None => RangeAnswer::Ignore,
            Some(0) => RangeAnswer::Unsatisfiable,
            Some(_) if size == 0 => RangeAnswer::Unsatisfiable,
            Some(n) => RangeAnswer::Satisfiable(size.saturating_sub(n)..size),
        },
        (a, "") => match num(a) {
            None => RangeAnswer::Ignore,
            Some(a) if a >= size => RangeAnswer::Unsatisfiable,
            Some(a) => RangeAnswer::Satisfiable(a..size),
        },
        (a, b) => match (num(a), num(b)) {
            (Some(a), Some(b)) if a <= b => {
                if a >= size {
                    RangeAnswer::Unsatisfiable
                } else {
                    RangeAnswer::Satisfiable(a..b.saturating_add(1).min(size))
                }
            }
            _ => RangeAnswer::Ignore,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc_9110() {
        use RangeAnswer::*;
        assert_eq!(parse_range("bytes=0-99", 1000), Satisfiable(0..100));
        assert_eq!(parse_range("bytes=500-", 1000), Satisfiable(500..1000));
        assert_eq!(parse_range("bytes=-100", 1000), Satisfiable(900..1000));
        assert_eq!(parse_range("bytes=-5000", 1000), Satisfiable(0..1000));
        assert_eq!(parse_range("bytes=900-5000", 1000), Satisfiable(900..1000));
        assert_eq!(parse_range("bytes=1000-", 1000), Unsatisfiable);
        assert_eq!(parse_range("bytes=1000-1001", 1000), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 1000), Unsatisfiable);
        assert_eq!(parse_range("bytes=5-1", 1000), Ignore);
        assert_eq!(parse_range("bytes=0-1,5-6", 1000), Ignore);
        assert_eq!(parse_range("items=0-1", 1000), Ignore);
        assert_eq!(parse_range("bytes=+1-2", 1000), Ignore);
        assert_eq!(
            parse_range("bytes=0-18446744073709551615", 10),
            Satisfiable(0..10)
        );
        assert_eq!(parse_range("bytes=99999999999999999999-", 10), Ignore);
    }
}

//! `POST /v1/calls`: a `multipart/form-data` upload of one call — a
//! `metadata` part (JSON, optional) and a `file` part (a recording, or a
//! transcript file) — taken in through the analyzer's checks and gates,
//! stored with its first job in one write, answered 202 with the call id.
//!
//! Memory is bounded before work starts: every byte of the body counts
//! against the server-wide upload memory budget as it arrives (503 with
//! `Retry-After`; see `upload_body`), the file against its size limit
//! (413, nothing stored; transcripts a smaller one), the metadata part is
//! at most 64 KiB, at most as many rubrics as the analyzer takes are
//! resolved, and idle and whole-body timeouts cut a stalled client off
//! (408).

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use closeq_analysis::transcript::{Format, ImportOptions, import};
use closeq_core::{
    CallDirection, CallId, ChannelLayout, ClientContact, ConsentMethod, Error, JobId, TeamId,
    UserId,
};
use closeq_pipeline::{AnalyzeRequest, CallDetails, CallInput};
use serde::{Deserialize, Serialize};

use super::parse_json;
use super::upload_body::UploadBody;
use crate::api::Api;
use crate::auth::{Caller, CallsWrite};
use crate::problem::{ApiResult, Problem};

/// The largest metadata part.
pub(crate) const MAX_METADATA_BYTES: usize = 64 * 1024;

/// The rubric a call is scored against when the metadata names none.
pub const DEFAULT_RUBRIC: &str = "discovery";

/// The `metadata` part of an upload. Every field is optional.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallMetadata {
    /// The rep (default: the key's member). A member may upload only
    /// their own calls.
    #[serde(default)]
    pub rep_id: Option<UserId>,
    /// The rep's team.
    #[serde(default)]
    pub team_id: Option<TeamId>,
    /// When the call started (default: now).
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// `inbound` or `outbound` (default).
    #[serde(default)]
    pub direction: Option<CallDirection>,
    /// The client: name, e-mail, phone (personal data: used to find and
    /// redact the client, never logged).
    #[serde(default)]
    pub client: ClientContact,
    /// How the client's consent to recording was obtained.
    #[serde(default)]
    pub consent: Option<ConsentMethod>,
    /// Keys of the rubrics to score against (default `["discovery"]`;
    /// `GET /v1/rubrics` lists them).
    #[serde(default)]
    pub rubrics: Vec<String>,
    /// The kind of call (`discovery`, `demo`).
    #[serde(default)]
    pub call_type: Option<String>,
    /// A recording's channels (default mono).
    #[serde(default)]
    pub channels: Option<ChannelLayout>,
    /// A transcript file's format (`vtt`, `srt`, `script`, `closeq`,
    /// `deepgram`, ...; detected when absent).
    #[serde(default)]
    pub transcript_format: Option<String>,
    /// A transcript's speaker label of the rep (`Rep`).
    #[serde(default)]
    pub rep_speaker: Option<String>,
}

/// The answer to an upload.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Accepted {
    /// The call's id.
    pub call_id: CallId,
    /// Its first job.
    pub job_id: JobId,
    /// That job's kind: `transcribe` (a recording) or `analyze` (a
    /// transcript).
    pub job_kind: String,
}

/// The file part: bytes and what its declared type makes of it.
enum FileKind {
    Audio,
    Transcript,
}

fn file_kind(content_type: Option<&str>) -> ApiResult<FileKind> {
    let m = content_type
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if m.starts_with("audio/") || m == "application/octet-stream" || m == "video/mp4" {
        Ok(FileKind::Audio)
    } else if m.starts_with("text/") || m == "application/json" || m == "application/x-subrip" {
        Ok(FileKind::Transcript)
    } else {
        Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "the file part must be a recording (audio/*) or a transcript (text/*, application/json)",
        )
        .with_field("file"))
    }
}

pub(crate) async fn create(
    State(api): State<Api>,
    caller: Caller<CallsWrite>,
    req: Request,
) -> ApiResult<Response> {
    let mut body = UploadBody::open(&api, req)?;
    let max_file = api.0.uploads.max_file_bytes;
    let mut metadata: Option<CallMetadata> = None;
    let mut file: Option<(FileKind, Bytes)> = None;
    while let Some(mut field) = body.next_field().await? {
        match field.name() {
            Some("metadata") if metadata.is_none() => {
                let bytes = body
                    .read(&mut field, MAX_METADATA_BYTES as u64, |_| {
                        Problem::new(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "too-large",
                            format!("the metadata part is at most {MAX_METADATA_BYTES} bytes"),
                        )
                        .with_field("metadata")
                    })
                    .await?;
                metadata = Some(parse_json(&bytes, "metadata")?);
            }
            Some("file") if file.is_none() => {
                let kind = file_kind(field.content_type().map(|m| m.essence_str()))?;
                let limit = match kind {
                    FileKind::Audio => max_file,
                    FileKind::Transcript => max_file.min(api.0.uploads.max_transcript_bytes),
                };
                let bytes = body
                    .read(&mut field, limit, |max| {
                        Problem::new(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "too-large",
                            format!("the file is larger than the limit of {max} bytes"),
                        )
                        .with_field("file")
                    })
                    .await?;
                file = Some((kind, bytes));
            }
            Some(name @ ("metadata" | "file")) => {
                return Err(Problem::invalid(name.to_owned(), "given twice"));
            }
            _ => {
                return Err(Problem::invalid(
                    "multipart",
                    "only the parts `metadata` and `file` are taken",
                ));
            }
        }
    }
    let (kind, bytes) = file.ok_or_else(|| Problem::invalid("file", "is required"))?;
    let meta = metadata.unwrap_or_default();
    let req = request(&api, meta, kind, bytes).await?;
    let submitted = api
        .0
        .analyzer
        .submit(&caller.scope, req, api.0.queue.as_ref())
        .await
        .map_err(|e| upload_error(e, &caller.scope))?;
    // The upload's memory is given back once the analyzer is done with it.
    drop(body);
    let body = Accepted {
        call_id: submitted.call_id,
        job_id: submitted.job_id,
        job_kind: match submitted.kind {
            closeq_core::ports::JobKind::Transcribe => "transcribe",
            _ => "analyze",
        }
        .to_owned(),
    };
    let mut res = (StatusCode::ACCEPTED, axum::Json(&body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/v1/calls/{}", submitted.call_id)) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// The analyzer's refusal as the upload's error: a recording it cannot
/// read is 422 naming `file`. A refusal because a subject of the call
/// restricted processing (GDPR Art. 18) or objected (Art. 21) is told to
/// owners and admins only: anyone else could learn from it whether a
/// person filed such a request, by uploading a call naming them.
fn upload_error(e: Error, scope: &closeq_core::Scope) -> Problem {
    if let Error::Compliance { rule, .. } = &e
        && (rule.contains("Art. 18") || rule.contains("Art. 21"))
        && !matches!(
            scope.role,
            closeq_core::Role::Owner | closeq_core::Role::Admin
        )
    {
        return Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "compliance-refusal",
            "the workspace's privacy rules do not allow processing this call; an admin can tell why",
        );
    }
    match e.field() {
        Some("audio") => Problem::from(e).with_field("file"),
        _ => Problem::from(e),
    }
}

/// The analyzer's request for an upload. A transcript file is parsed off
/// the async threads.
async fn request(
    api: &Api,
    meta: CallMetadata,
    kind: FileKind,
    bytes: Bytes,
) -> ApiResult<AnalyzeRequest> {
    let keys = if meta.rubrics.is_empty() {
        vec![DEFAULT_RUBRIC.to_owned()]
    } else {
        meta.rubrics.clone()
    };
    // Bounded before any rubric is resolved (each is a copy).
    let most = api.0.analyzer.limits().max_rubrics;
    if keys.len() > most {
        return Err(Problem::invalid(
            "metadata.rubrics",
            format!("at most {most} per call"),
        ));
    }
    let mut rubrics = Vec::with_capacity(keys.len());
    for (i, k) in keys.iter().enumerate() {
        let r = api
            .0
            .rubrics
            .iter()
            .find(|r| r.id.as_str() == k)
            .ok_or_else(|| {
                Problem::invalid(
                    format!("metadata.rubrics[{i}]"),
                    "no such rubric (GET /v1/rubrics lists them)",
                )
            })?;
        rubrics.push(r.clone());
    }
    let input = match kind {
        FileKind::Audio => CallInput::Audio {
            bytes,
            layout: meta.channels.unwrap_or_default(),
        },
        FileKind::Transcript => {
            let format = meta
                .transcript_format
                .as_deref()
                .map(str::parse::<Format>)
                .transpose()
                .map_err(|e| Problem::from(e).with_field("metadata.transcript_format"))?;
            let mut opts = ImportOptions::default();
            if let Some(label) = &meta.rep_speaker {
                opts = opts.with_rep_speaker(label.clone());
            }
            let t = tokio::task::spawn_blocking(move || import(&bytes, format, &opts))
                .await
                .map_err(|_| Problem::internal())?
                .map_err(|e| Problem::from(Error::from(e)).with_field("file"))?;
            CallInput::Transcript(Box::new(t))
        }
    };
    let mut details = CallDetails::default();
    details.rep_id = meta.rep_id;
    details.team_id = meta.team_id;
    details.client = meta.client;
    details.started_at = meta.started_at;
    details.direction = meta.direction;
    details.call_type = meta.call_type;
    let mut first = rubrics.into_iter();
    let Some(rubric) = first.next() else {
        return Err(Problem::invalid("metadata.rubrics", "name at least one"));
    };
    let mut req = match input {
        CallInput::Audio { bytes, layout } => AnalyzeRequest::audio(bytes, layout, rubric),
        CallInput::Transcript(t) => AnalyzeRequest::transcript(*t, rubric),
        _ => return Err(Problem::internal()),
    };
    for r in first {
        req = req.with_rubric(r);
    }
    req = req.with_call(details);
    if let Some(c) = meta.consent {
        req = req.with_consent(c);
    }
    Ok(req)
}

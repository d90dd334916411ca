//! An upload's body, read within bounds: every byte counts against the
//! server-wide upload memory budget *as it arrives* — before the multipart
//! parser buffers it — twice over (the parser's buffer, then the file's
//! copy); a part is read against its size limit; and a client that sends
//! nothing for the idle timeout, or takes longer than the body timeout, is
//! cut off. Nothing waits for budget: an upload that would go over it is
//! refused at once (503), so uploads cannot deadlock on each other.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use multer::{Field, Multipart};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::api::{Api, BUDGET_UNIT};
use crate::problem::{ApiResult, Problem};

/// The budget one upload holds: permits for what it has taken in.
#[derive(Default)]
struct Held {
    bytes: u64,
    units: u64,
    permits: Vec<OwnedSemaphorePermit>,
}

/// The budget ran out while the body came in.
#[derive(Debug)]
struct BudgetSpent;

impl std::fmt::Display for BudgetSpent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("upload memory budget spent")
    }
}

impl std::error::Error for BudgetSpent {}

/// Takes `bytes` more (counted twice) from `budget` into `held`.
fn take(budget: &Arc<Semaphore>, held: &Mutex<Held>, bytes: usize) -> Result<(), BudgetSpent> {
    let mut h = held.lock().unwrap_or_else(|p| p.into_inner());
    let twice = u64::try_from(bytes).unwrap_or(u64::MAX).saturating_mul(2);
    h.bytes = h.bytes.saturating_add(twice);
    let units = h.bytes.div_ceil(BUDGET_UNIT);
    if units > h.units {
        let more = u32::try_from(units - h.units).map_err(|_| BudgetSpent)?;
        let permit = budget
            .clone()
            .try_acquire_many_owned(more)
            .map_err(|_| BudgetSpent)?;
        h.permits.push(permit);
        h.units = units;
    }
    Ok(())
}

fn busy() -> Problem {
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        "the server is taking in as many uploads as it can hold; retry shortly",
    )
    .with_retry_after(Duration::from_secs(2))
}

fn timed_out() -> Problem {
    Problem::new(
        StatusCode::REQUEST_TIMEOUT,
        "body-timeout",
        "the upload stalled or took too long and was cut off",
    )
}

fn multipart_error(e: &multer::Error) -> Problem {
    let spent = matches!(e, multer::Error::StreamReadFailed(inner) if inner.is::<BudgetSpent>());
    if spent {
        return busy();
    }
    if matches!(e, multer::Error::StreamSizeExceeded { .. }) {
        return Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "the upload is too large",
        );
    }
    Problem::new(
        StatusCode::BAD_REQUEST,
        "malformed-multipart",
        "the body is not well-formed multipart/form-data",
    )
}

/// A multipart upload being read. Dropping it gives its budget back.
pub(crate) struct UploadBody {
    parts: Multipart<'static>,
    held: Arc<Mutex<Held>>,
    deadline: Instant,
    idle: Duration,
}

impl UploadBody {
    /// Opens `req`'s body: `multipart/form-data` with a boundary (else
    /// 415), at most the upload limit's worth in all.
    pub(crate) fn open(api: &Api, req: Request) -> ApiResult<Self> {
        let boundary = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| multer::parse_boundary(v).ok())
            .ok_or_else(|| {
                Problem::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported-media-type",
                    "upload a call as multipart/form-data with a `file` part (and a `metadata` JSON part)",
                )
            })?;
        let uploads = api.0.uploads;
        let held = Arc::new(Mutex::new(Held::default()));
        let budget = api.0.upload_memory.clone();
        let counted = held.clone();
        let stream = req
            .into_body()
            .into_data_stream()
            .map(move |chunk| match chunk {
                Ok(bytes) => take(&budget, &counted, bytes.len())
                    .map(|()| bytes)
                    .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>),
                Err(e) => Err(Box::new(e) as Box<dyn std::error::Error + Send + Sync>),
            });
        let whole = uploads
            .max_file_bytes
            .saturating_add(super::upload::MAX_METADATA_BYTES as u64)
            .saturating_add(64 * 1024);
        let constraints =
            multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(whole));
        Ok(Self {
            parts: Multipart::with_constraints(stream, boundary, constraints),
            held,
            deadline: Instant::now() + uploads.body_timeout,
            idle: uploads.idle_timeout,
        })
    }

    fn wait_until(&self) -> Instant {
        self.deadline.min(Instant::now() + self.idle)
    }

    /// The next part, `None` at the end.
    pub(crate) async fn next_field(&mut self) -> ApiResult<Option<Field<'static>>> {
        let until = self.wait_until();
        match tokio::time::timeout_at(until, self.parts.next_field()).await {
            Err(_) => Err(timed_out()),
            Ok(Ok(f)) => Ok(f),
            Ok(Err(e)) => Err(multipart_error(&e)),
        }
    }

    /// Reads a part of at most `max` bytes (`too_big` otherwise).
    pub(crate) async fn read(
        &self,
        field: &mut Field<'static>,
        max: u64,
        too_big: fn(u64) -> Problem,
    ) -> ApiResult<Bytes> {
        let mut buf = BytesMut::new();
        loop {
            let next = tokio::time::timeout_at(self.wait_until(), field.chunk())
                .await
                .map_err(|_| timed_out())?
                .map_err(|e| multipart_error(&e))?;
            let Some(chunk) = next else { break };
            let len = u64::try_from(buf.len())
                .unwrap_or(u64::MAX)
                .saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
            if len > max {
                return Err(too_big(max));
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(buf.freeze())
    }
}

impl Drop for UploadBody {
    fn drop(&mut self) {
        let mut h = self.held.lock().unwrap_or_else(|p| p.into_inner());
        h.permits.clear();
    }
}

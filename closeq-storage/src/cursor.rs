//! Opaque keyset cursors: the `(started_at, id)` of the last item read.

use chrono::{DateTime, Utc};
use closeq_core::ports::Cursor;
use closeq_core::{CallId, Error, Result};

/// Encodes the position after `(started_at, id)`.
pub(crate) fn encode(started_at: DateTime<Utc>, id: CallId) -> Cursor {
    Cursor(format!(
        "v1.{}.{}",
        started_at.timestamp_micros(),
        id.as_uuid().simple()
    ))
}

/// Decodes a cursor.
pub(crate) fn decode(c: &Cursor) -> Result<(DateTime<Utc>, CallId)> {
    let bad = || Error::invalid("cursor", "not a cursor returned by this store");
    let mut parts = c.0.split('.');
    if parts.next() != Some("v1") {
        return Err(bad());
    }
    let micros: i64 = parts.next().and_then(|m| m.parse().ok()).ok_or_else(bad)?;
    let id = parts
        .next()
        .and_then(|u| uuid::Uuid::try_parse(u).ok())
        .ok_or_else(bad)
        .and_then(|u| CallId::from_uuid(u).map_err(|_| bad()))?;
    if parts.next().is_some() {
        return Err(bad());
    }
    let t = DateTime::<Utc>::from_timestamp_micros(micros).ok_or_else(bad)?;
    Ok((t, id))
}

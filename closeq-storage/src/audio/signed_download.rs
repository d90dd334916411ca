//! Serving a recording through a signed URL, whole or by byte range (HTTP
//! `Range`): [`ObjectAudioStore::open_signed`] verifies the URL — with the
//! gate's checks — and [`SignedDownload::bytes`] reads what it grants.

use std::ops::Range;

use closeq_core::ports::{ByteStream, SignedMethod};
use closeq_core::{Error, Result};
use futures::StreamExt;
use object_store::path::Path;
use object_store::{GetOptions, GetRange};

use super::{Grant, ObjectAudioStore, storage};

/// A recording a verified signed URL grants: its size, and its bytes on
/// demand. Made only by [`ObjectAudioStore::open_signed`], so holding one
/// means the URL was verified and the gate allowed serving.
#[derive(Debug, Clone)]
pub struct SignedDownload {
    store: ObjectAudioStore,
    path: Path,
    grant: Grant,
    size: u64,
}

impl SignedDownload {
    /// What the URL granted.
    pub fn grant(&self) -> &Grant {
        &self.grant
    }

    /// The recording's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The recording's bytes, or those in `range` (end exclusive; must lie
    /// within [`size`](Self::size) and not be empty, else `InvalidInput`
    /// naming `range`).
    pub async fn bytes(&self, range: Option<Range<u64>>) -> Result<ByteStream> {
        let name = self.store.name;
        let mut opts = GetOptions::default();
        if let Some(r) = range {
            if r.start >= r.end || r.end > self.size {
                return Err(Error::invalid("range", "outside the recording"));
            }
            opts.range = Some(GetRange::Bounded(r));
        }
        let got = self
            .store
            .store
            .get_opts(&self.path, opts)
            .await
            .map_err(|e| storage(name, "get", e))?;
        Ok(Box::pin(
            got.into_stream()
                .map(move |c| c.map_err(|e| storage(name, "get", e))),
        ))
    }
}

impl ObjectAudioStore {
    /// Verifies a signed download URL as
    /// [`verify_signed_url`](Self::verify_signed_url) does (signature,
    /// expiry, the gate: erased, restricted or withdrawn calls are
    /// refused), and opens the recording it grants. Every refusal is the
    /// same `Forbidden` error.
    pub async fn open_signed(&self, url: &str) -> Result<SignedDownload> {
        let grant = self.verify_signed_url(url, SignedMethod::Get).await?;
        let refused = super::signing::refused;
        let path = Self::path(grant.workspace_id, &grant.key).map_err(|_| refused())?;
        let meta = self.store.head(&path).await.map_err(|_| refused())?;
        Ok(SignedDownload {
            store: self.clone(),
            path,
            grant,
            size: meta.size,
        })
    }
}

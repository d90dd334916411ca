//! Call audio in object storage ([`object_store`]): local files (the
//! default), memory, or S3-compatible storage (feature `audio-s3`). Keys are
//! namespaced per workspace and belong to one call each; every method
//! applies the call's access policy through the [`CallStore`] the store is
//! built with, and reads ask an [`AudioAccessGate`] (the privacy engine's)
//! first; uploads never overwrite; uploads and downloads stream; content
//! types and sizes are checked; signed URLs are presigned by S3, or HMAC
//! tokens ([`UrlSigner`]) elsewhere.

mod call_access;
#[cfg(feature = "audio-s3")]
mod s3_presign;
mod signed_download;
mod signing;
mod unreferenced;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use closeq_core::ports::{AudioStore, ByteStream, CallStore, SignedMethod, SignedUrl};
use closeq_core::{
    Action, AudioRef, Call, CallId, Error, Relation, Result, Scope, StorageSource, WorkspaceId,
    access,
};
use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, WriteMultipart};
use sha2::{Digest, Sha256};

pub use closeq_core::ports::AudioAccessGate;
#[cfg(feature = "audio-s3")]
pub use s3_presign::UPLOAD_CONDITION;
pub use signed_download::SignedDownload;
pub use signing::{DEFAULT_URL_LIFETIME, Grant, MAX_URL_LIFETIME, SigningKey, UrlSigner};

/// How URLs are signed.
#[derive(Debug, Clone)]
enum Signing {
    Hmac(UrlSigner),
    #[cfg(feature = "audio-s3")]
    S3(
        Arc<object_store::aws::AmazonS3>,
        Arc<dyn closeq_core::Clock>,
        // The bucket prefix every object lives under (may be empty).
        Path,
    ),
}

/// Default largest upload: 2 GiB.
pub const DEFAULT_MAX_AUDIO_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// An [`AudioStore`] over any `object_store` backend, tied to the calls of
/// a [`CallStore`] (see the trait's contract).
#[derive(Clone)]
pub struct ObjectAudioStore {
    store: Arc<dyn ObjectStore>,
    name: &'static str,
    signing: Signing,
    calls: Arc<dyn CallStore>,
    gate: Option<Arc<dyn AudioAccessGate>>,
    max_bytes: u64,
}

impl fmt::Debug for ObjectAudioStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectAudioStore")
            .field("backend", &self.name)
            .field("max_bytes", &self.max_bytes)
            .finish_non_exhaustive()
    }
}

/// An object-store error during `operation`; the source keeps the store's
/// error (its message can name object paths and URLs, so it is summarized).
fn storage(name: &'static str, operation: &'static str, e: object_store::Error) -> Error {
    match e {
        object_store::Error::NotFound { .. } => Error::not_found("audio object", "key"),
        object_store::Error::AlreadyExists { .. } => Error::already_exists("audio object", "key"),
        other => Error::storage(name, operation, "object store request failed", true)
            .with_source(StorageSource::new("object_store error", other)),
    }
}

/// A bucket prefix: `a/b/c` (slashes at either end ignored), segments of
/// `[A-Za-z0-9-_.]`, no `.` or `..`, at most 256 bytes.
#[cfg(feature = "audio-s3")]
fn bucket_prefix(prefix: &str) -> Result<Path> {
    let trimmed = prefix.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(Path::default());
    }
    let valid = trimmed.len() <= 256
        && trimmed.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        });
    if !valid {
        return Err(Error::invalid(
            "prefix",
            "must be segments of [A-Za-z0-9-_.] separated by /, without . or .., at most 256 bytes",
        ));
    }
    Path::parse(trimmed).map_err(|_| Error::invalid("prefix", "not a valid object path"))
}

#[cfg(all(test, feature = "audio-s3"))]
mod prefix_tests {
    use super::bucket_prefix;

    #[test]
    fn a_prefix_is_plain_segments() {
        assert_eq!(
            bucket_prefix("/team-a/closeq/").unwrap().as_ref(),
            "team-a/closeq"
        );
        assert_eq!(bucket_prefix("").unwrap().as_ref(), "");
        for bad in ["a//b", "a/../b", "./a", "a b", "a/%2e%2e", &"x".repeat(257)] {
            let e = bucket_prefix(bad).unwrap_err();
            assert!(e.to_string().contains("prefix"), "{bad}: {e}");
        }
    }
}

/// Checks an object key: relative `[A-Za-z0-9-_.]` segments, no `..`.
fn check_key(key: &str) -> Result<()> {
    AudioRef {
        key: key.to_owned(),
        content_type: "audio/wav".into(),
        size_bytes: 1,
        sha256: None,
    }
    .validate()
    .map_err(|_| {
        Error::invalid(
            "key",
            "must be a relative path of [A-Za-z0-9-_.] segments, at most 512 bytes",
        )
    })
}

impl ObjectAudioStore {
    /// Audio in a local folder, with HMAC-signed URLs, for the calls of
    /// `calls`.
    pub fn local(
        dir: &std::path::Path,
        signer: UrlSigner,
        calls: Arc<dyn CallStore>,
    ) -> Result<Self> {
        let failed = |reason: &'static str| Error::storage("local", "open", reason, false);
        std::fs::create_dir_all(dir).map_err(|e| {
            failed("cannot create the audio folder").with_source(StorageSource::new("I/O error", e))
        })?;
        // Empty folders go with their last object: a folder named by a
        // purged workspace or call would still name it.
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| {
                failed("cannot open the audio folder")
                    .with_source(StorageSource::new("object_store error", e))
            })?
            .with_automatic_cleanup(true);
        Ok(Self::new(
            Arc::new(fs),
            "local",
            Signing::Hmac(signer),
            calls,
        ))
    }

    /// Audio in memory, with HMAC-signed URLs, for the calls of `calls`.
    pub fn in_memory(signer: UrlSigner, calls: Arc<dyn CallStore>) -> Self {
        Self::new(
            Arc::new(object_store::memory::InMemory::new()),
            "memory",
            Signing::Hmac(signer),
            calls,
        )
    }

    /// Audio in an S3-compatible bucket, with S3 presigned URLs (the clock
    /// stamps their expiry), for the calls of `calls`. An upload URL also
    /// signs the header `If-None-Match: *` ([`UPLOAD_CONDITION`]): the
    /// uploader must send it, and S3 then refuses the upload once the key
    /// holds an object, however long the URL still lives.
    #[cfg(feature = "audio-s3")]
    pub fn s3(
        s3: object_store::aws::AmazonS3,
        clock: Arc<dyn closeq_core::Clock>,
        calls: Arc<dyn CallStore>,
    ) -> Self {
        let s3 = Arc::new(s3);
        Self::new(
            s3.clone(),
            "s3",
            Signing::S3(s3, clock, Path::default()),
            calls,
        )
    }

    /// [`s3`](Self::s3), with every object under `prefix` inside the bucket
    /// (`team-a/closeq`, say: objects are then
    /// `team-a/closeq/workspaces/…`), so one bucket can hold several
    /// installations. Errors: `InvalidInput` naming `prefix` for a prefix
    /// that is not a plain object path (empty parts, `.` or `..`).
    #[cfg(feature = "audio-s3")]
    pub fn s3_with_prefix(
        s3: object_store::aws::AmazonS3,
        prefix: &str,
        clock: Arc<dyn closeq_core::Clock>,
        calls: Arc<dyn CallStore>,
    ) -> Result<Self> {
        let prefix = bucket_prefix(prefix)?;
        if prefix.as_ref().is_empty() {
            return Ok(Self::s3(s3, clock, calls));
        }
        let s3 = Arc::new(s3);
        let inner: Arc<dyn ObjectStore> = s3.clone();
        let scoped = object_store::prefix::PrefixStore::new(inner, prefix.clone());
        Ok(Self::new(
            Arc::new(scoped),
            "s3",
            Signing::S3(s3, clock, prefix),
            calls,
        ))
    }

    fn new(
        store: Arc<dyn ObjectStore>,
        name: &'static str,
        signing: Signing,
        calls: Arc<dyn CallStore>,
    ) -> Self {
        Self {
            store,
            name,
            signing,
            calls,
            gate: None,
            max_bytes: DEFAULT_MAX_AUDIO_BYTES,
        }
    }

    /// Checks a bucket prefix as [`s3_with_prefix`](Self::s3_with_prefix)
    /// does, before any client is built. Errors: `InvalidInput` naming
    /// `prefix`.
    #[cfg(feature = "audio-s3")]
    pub fn check_bucket_prefix(prefix: &str) -> Result<()> {
        bucket_prefix(prefix).map(|_| ())
    }

    /// Builder: the largest upload accepted.
    #[must_use]
    pub fn with_max_bytes(mut self, max: u64) -> Self {
        self.max_bytes = max;
        self
    }

    /// Builder: the gate consulted before a recording is served — read,
    /// signed for download, or downloaded through a signed URL
    /// (`closeq_privacy::gates::PrivacyAudioGate` answers for restriction
    /// and erasure).
    #[must_use]
    pub fn with_gate(mut self, gate: Arc<dyn AudioAccessGate>) -> Self {
        self.gate = Some(gate);
        self
    }

    fn path(ws: WorkspaceId, key: &str) -> Result<Path> {
        check_key(key)?;
        Path::parse(format!("workspaces/{ws}/{key}"))
            .map_err(|_| Error::invalid("key", "not a valid object path"))
    }

    /// Verifies an HMAC-signed URL, then re-checks that the object still
    /// exists and the gate allows serving it (downloads), or that the key
    /// is still free (uploads: never over an existing recording). One
    /// uniform error for every refusal.
    pub async fn verify_signed_url(&self, url: &str, method: SignedMethod) -> Result<Grant> {
        let signer = match &self.signing {
            Signing::Hmac(s) => s,
            #[allow(unreachable_patterns)]
            _ => {
                return Err(Error::Unsupported {
                    what: "verifying S3 presigned URLs (S3 verifies them itself)".into(),
                });
            }
        };
        let refused = signing::refused;
        let g = signer.verify(url, method)?;
        let call = closeq_core::ports::key_call(&g.key).ok_or_else(refused)?;
        if method == SignedMethod::Get {
            if let Some(gate) = &self.gate {
                gate.check_serve(g.workspace_id, call, &g.key)
                    .await
                    .map_err(|_| refused())?;
            }
            let path = Self::path(g.workspace_id, &g.key).map_err(|_| refused())?;
            self.store.head(&path).await.map_err(|_| refused())?;
        } else {
            // An upload URL grants the first upload only: once the key
            // holds a recording, using it would replace that recording.
            let path = Self::path(g.workspace_id, &g.key).map_err(|_| refused())?;
            if self.store.head(&path).await.is_ok() {
                return Err(refused());
            }
        }
        Ok(g)
    }
}

#[async_trait]
impl AudioStore for ObjectAudioStore {
    async fn put(
        &self,
        scope: &Scope,
        call: &Call,
        key: &str,
        content_type: &str,
        mut body: ByteStream,
    ) -> Result<AudioRef> {
        let path = self.object(scope, call.id, key)?;
        self.may_upload(scope, call).await?;
        if !(content_type.starts_with("audio/") || content_type.starts_with("video/")) {
            return Err(Error::invalid(
                "content_type",
                "must be an audio/* or video/* MIME type",
            ));
        }
        if self.head(&path).await? {
            return Err(Error::already_exists("audio object", "key"));
        }
        // Streamed to a staging object first, then moved into place only
        // if the key is still free (never overwriting).
        let staging = Self::staging(scope.workspace_id)?;
        let upload = self
            .store
            .put_multipart(&staging)
            .await
            .map_err(|e| storage(self.name, "put", e))?;
        let mut writer = WriteMultipart::new(upload);
        let mut size = 0u64;
        let mut hash = Sha256::new();
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(e);
                }
            };
            size = size.saturating_add(chunk.len() as u64);
            if size > self.max_bytes {
                let _ = writer.abort().await;
                return Err(Error::invalid(
                    "audio",
                    format!("is larger than the limit of {} bytes", self.max_bytes),
                ));
            }
            hash.update(&chunk);
            writer
                .wait_for_capacity(4)
                .await
                .map_err(|e| storage(self.name, "put", e))?;
            writer.write(&chunk);
        }
        if size == 0 {
            let _ = writer.abort().await;
            return Err(Error::invalid("audio", "is empty"));
        }
        writer
            .finish()
            .await
            .map_err(|e| storage(self.name, "put", e))?;
        let placed = self.place(&staging, &path).await;
        let _ = self.store.delete(&staging).await;
        placed?;
        Ok(AudioRef {
            key: key.to_owned(),
            content_type: content_type.to_owned(),
            size_bytes: size,
            sha256: Some(hex::encode(hash.finalize())),
        })
    }

    async fn get(&self, scope: &Scope, call: CallId, key: &str) -> Result<ByteStream> {
        let path = self.object(scope, call, key)?;
        self.may_serve(scope, call, key).await?;
        let name = self.name;
        let r = self
            .store
            .get(&path)
            .await
            .map_err(|e| storage(name, "get", e))?;
        Ok(Box::pin(
            r.into_stream()
                .map(move |c| c.map_err(|e| storage(name, "get", e))),
        ))
    }

    async fn exists(&self, scope: &Scope, call: CallId, key: &str) -> Result<bool> {
        let path = self.object(scope, call, key)?;
        self.stored_call(scope, call, Action::ViewCall).await?;
        // What the gate withholds (an erased or restricted subject's call)
        // is not described either.
        if let Some(gate) = &self.gate {
            gate.check_serve(scope.workspace_id, call, key).await?;
        }
        self.head(&path).await
    }

    async fn delete(&self, scope: &Scope, call: CallId, key: &str) -> Result<()> {
        let path = self.object(scope, call, key)?;
        match self.stored_call(scope, call, Action::DeleteCall).await {
            Ok(_) => {}
            // A scope that sees every call of the workspace knows the call
            // is gone: its leftover recording may go (the pipeline's
            // clean-up after a failed first write). Anyone else cannot tell
            // gone from invisible, and deletes nothing.
            Err(Error::NotFound { .. })
                if access::permits(scope.role, Action::DeleteCall, Relation::OtherInWorkspace) => {}
            Err(Error::NotFound { .. }) => return Ok(()),
            Err(e) => return Err(e),
        }
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(storage(self.name, "delete", e)),
        }
    }

    async fn unreferenced(
        &self,
        scope: &Scope,
        before: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<closeq_core::ports::UnreferencedObject>> {
        self.list_unreferenced(scope, before, limit).await
    }

    async fn delete_unreferenced(
        &self,
        scope: &Scope,
        object: &closeq_core::ports::UnreferencedObject,
    ) -> Result<bool> {
        self.remove_unreferenced(scope, object).await
    }

    async fn signed_url(
        &self,
        scope: &Scope,
        call: CallId,
        key: &str,
        method: SignedMethod,
        ttl: Duration,
    ) -> Result<SignedUrl> {
        if ttl.as_secs() == 0 || ttl > MAX_URL_LIFETIME {
            return Err(Error::invalid("ttl", "must be between 1 second and 1 hour"));
        }
        let path = self.object(scope, call, key)?;
        match method {
            SignedMethod::Get => self.may_serve(scope, call, key).await?,
            SignedMethod::Put => {
                self.stored_call(scope, call, Action::UploadCall).await?;
                if self.head(&path).await? {
                    return Err(Error::already_exists("audio object", "key"));
                }
            }
        }
        match &self.signing {
            Signing::Hmac(s) => {
                let (url, expires_at) = s.sign(method, scope.workspace_id, key, ttl)?;
                Ok(SignedUrl {
                    url: url.into(),
                    method,
                    expires_at,
                    required_headers: Vec::new(),
                })
            }
            #[cfg(feature = "audio-s3")]
            Signing::S3(s3, clock, prefix) => {
                use object_store::signer::Signer;
                let now = clock.now();
                let path: Path = prefix.parts().chain(path.parts()).collect();
                let url = match method {
                    SignedMethod::Get => s3
                        .signed_url(http::Method::GET, &path, ttl)
                        .await
                        .map_err(|e| storage("s3", "signed_url", e))?
                        .to_string(),
                    // Signs `If-None-Match: *`: never over a recording.
                    SignedMethod::Put => s3_presign::put_if_absent_url(s3, &path, ttl, now).await?,
                };
                let expires_at = now + chrono::Duration::from_std(ttl).unwrap_or_default();
                let required_headers = match method {
                    SignedMethod::Get => Vec::new(),
                    SignedMethod::Put => vec![(
                        s3_presign::UPLOAD_CONDITION.0.to_owned(),
                        s3_presign::UPLOAD_CONDITION.1.to_owned(),
                    )],
                };
                Ok(SignedUrl {
                    url: url.into(),
                    method,
                    expires_at,
                    required_headers,
                })
            }
            #[allow(unreachable_patterns)]
            _ => {
                let _ = path;
                Err(Error::Unsupported {
                    what: "signed URLs".into(),
                })
            }
        }
    }
}

//! [`AccessLoggedAudioStore`]: an audio store whose reads and signed URLs
//! leave access records.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use closeq_core::ports::{AudioStore, ByteStream, SignedMethod, SignedUrl, UnreferencedObject};
use closeq_core::{AccessAction, AudioRef, Call, CallId, Result, Scope};

use super::AccessRecorder;

/// An [`AudioStore`] that records every recording streamed and every
/// signed URL issued (either method) in the access log, after the store
/// granted it; everything else passes through unchanged.
#[derive(Debug, Clone)]
pub struct AccessLoggedAudioStore {
    inner: Arc<dyn AudioStore>,
    recorder: Arc<AccessRecorder>,
}

impl AccessLoggedAudioStore {
    /// `inner`, its reads recorded by `recorder`.
    pub fn new(inner: Arc<dyn AudioStore>, recorder: Arc<AccessRecorder>) -> Self {
        Self { inner, recorder }
    }
}

#[async_trait]
impl AudioStore for AccessLoggedAudioStore {
    async fn put(
        &self,
        scope: &Scope,
        call: &Call,
        key: &str,
        content_type: &str,
        body: ByteStream,
    ) -> Result<AudioRef> {
        self.inner.put(scope, call, key, content_type, body).await
    }

    async fn get(&self, scope: &Scope, call: CallId, key: &str) -> Result<ByteStream> {
        let stream = self.inner.get(scope, call, key).await?;
        let ids = vec![call.as_uuid()];
        self.recorder
            .record(scope, AccessAction::AudioRead, ids)
            .await?;
        Ok(stream)
    }

    async fn exists(&self, scope: &Scope, call: CallId, key: &str) -> Result<bool> {
        self.inner.exists(scope, call, key).await
    }

    async fn delete(&self, scope: &Scope, call: CallId, key: &str) -> Result<()> {
        self.inner.delete(scope, call, key).await
    }

    async fn signed_url(
        &self,
        scope: &Scope,
        call: CallId,
        key: &str,
        method: SignedMethod,
        ttl: Duration,
    ) -> Result<SignedUrl> {
        let url = self.inner.signed_url(scope, call, key, method, ttl).await?;
        let ids = vec![call.as_uuid()];
        self.recorder
            .record(scope, AccessAction::AudioUrlIssued, ids)
            .await?;
        Ok(url)
    }

    async fn unreferenced(
        &self,
        scope: &Scope,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<UnreferencedObject>> {
        self.inner.unreferenced(scope, before, limit).await
    }

    async fn delete_unreferenced(
        &self,
        scope: &Scope,
        object: &UnreferencedObject,
    ) -> Result<bool> {
        self.inner.delete_unreferenced(scope, object).await
    }
}

use std::fmt::Debug;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_core::Stream;

use crate::call::AudioRef;
use crate::error::Result;
use crate::scope::Scope;
use crate::sensitive::Sensitive;

/// A stream of audio bytes (streamed: large files are never held whole).
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>;

/// HTTP method a signed URL is valid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignedMethod {
    /// Download.
    Get,
    /// Upload.
    Put,
}

/// A time-limited URL granting one method on one object. The URL itself is
/// a bearer credential: its `Debug` output is redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedUrl {
    /// The URL.
    pub url: Sensitive<String>,
    /// The method it allows.
    pub method: SignedMethod,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// Call recordings, namespaced per workspace.
///
/// Contract: keys are relative (`calls/<call id>.wav`) and always resolved
/// inside the scope's workspace namespace, so no key reaches another
/// workspace's objects; `get` of a missing key is `NotFound`; `delete` is
/// idempotent; signed URLs are valid for at most the backend's cap (1 hour)
/// and `InvalidInput` is returned for longer lifetimes.
#[async_trait]
pub trait AudioStore: Debug + Send + Sync {
    /// Streams `body` into `key`; refuses content types that are not audio
    /// and bodies over the store's size limit (nothing is left behind).
    async fn put(
        &self,
        scope: &Scope,
        key: &str,
        content_type: &str,
        body: ByteStream,
    ) -> Result<AudioRef>;
    /// Streams an object back.
    async fn get(&self, scope: &Scope, key: &str) -> Result<ByteStream>;
    /// Whether the object exists.
    async fn exists(&self, scope: &Scope, key: &str) -> Result<bool>;
    /// Deletes an object (idempotent).
    async fn delete(&self, scope: &Scope, key: &str) -> Result<()>;
    /// A time-limited URL for one method on one object.
    async fn signed_url(
        &self,
        scope: &Scope,
        key: &str,
        method: SignedMethod,
        ttl: Duration,
    ) -> Result<SignedUrl>;
}

fn _object_safe(_: Arc<dyn AudioStore>) {}

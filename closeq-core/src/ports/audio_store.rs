use std::fmt::Debug;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_core::Stream;

use crate::call::{AudioRef, Call};
use crate::error::Result;
use crate::id::{CallId, WorkspaceId};
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
    /// Headers the request must carry for the URL to work (name, value):
    /// an S3 upload URL signs `If-None-Match: *`, so S3 refuses an upload
    /// without it and one over an existing object.
    pub required_headers: Vec<(String, String)>,
}

/// Whether `key` names an object of call `call`: `calls/<call id>`
/// followed by `.<extension>` or `/<more>`. Every audio object belongs to
/// exactly one call this way.
pub fn key_belongs_to(key: &str, call: CallId) -> bool {
    let prefix = format!("calls/{call}");
    key.strip_prefix(&prefix)
        .is_some_and(|rest| rest.len() > 1 && (rest.starts_with('.') || rest.starts_with('/')))
}

/// The call an object key belongs to (see [`key_belongs_to`]), if any.
pub fn key_call(key: &str) -> Option<CallId> {
    let rest = key.strip_prefix("calls/")?;
    let end = rest.find(['.', '/'])?;
    let call: CallId = rest[..end].parse().ok()?;
    key_belongs_to(key, call).then_some(call)
}

/// Decides whether a call's recording may be served now (downloaded, or
/// handed out or used as a signed URL). The privacy engine answers it
/// (`closeq_privacy::gates::PrivacyAudioGate`): a recording of an erased
/// call, or one the call no longer holds, is gone; one whose subject
/// restricted processing (GDPR Art. 18) is refused.
#[async_trait]
pub trait AudioAccessGate: Debug + Send + Sync {
    /// `Ok` when recording `key` of `call` in `workspace` may be served;
    /// otherwise [`Error::NotFound`](crate::Error::NotFound) (erased, or no
    /// longer the call's recording) or
    /// [`Error::Compliance`](crate::Error::Compliance) (restricted).
    async fn check_serve(&self, workspace: WorkspaceId, call: CallId, key: &str) -> Result<()>;
}

/// Call recordings, tied to their calls, namespaced per workspace.
///
/// Contract, for every implementation:
/// - keys are relative and always resolved inside the scope's workspace
///   namespace, so no key reaches another workspace's objects;
/// - every object belongs to one call: its key is the call's
///   ([`key_belongs_to`]), otherwise `InvalidInput` naming `key`;
/// - every method applies the call's access policy for the acting scope,
///   to the call *as stored* (looked up with that scope): `put` and signed
///   `PUT` URLs need `upload_call`, `get`, `exists` and signed `GET` URLs
///   `view_call`, `delete` needs `delete_call`. An invisible call is
///   `NotFound`, exactly like a missing one; a visible call the action is
///   not allowed on is `Forbidden`. `put` for a call the scope cannot find
///   (not stored yet: the pipeline stores the recording first) checks
///   `upload_call` on the call as given; an existing object is never
///   replaced either way;
/// - `get` and signed `GET` URLs serve only the recording the stored call
///   holds (`Call::audio`), and ask the store's [`AudioAccessGate`] first;
/// - `put` never overwrites: an existing object is `AlreadyExists`, and
///   nothing is written;
/// - `get` of a missing object is `NotFound`; `delete` is idempotent (a
///   missing object succeeds); for a call that is not stored, only a scope
///   that sees every call (owners, admins) deletes its leftover object,
///   anyone else deletes nothing and succeeds (they cannot tell a missing
///   call from an invisible one);
/// - signed URLs are valid for at most the backend's cap (1 hour) and
///   `InvalidInput` is returned for longer lifetimes;
/// - objects no stored call holds are listed by
///   [`unreferenced`](AudioStore::unreferenced), for retention to delete.
#[async_trait]
pub trait AudioStore: Debug + Send + Sync {
    /// Streams `body` into `key` of `call`; refuses content types that are
    /// not audio, bodies over the store's size limit, and an existing
    /// object (nothing is left behind).
    async fn put(
        &self,
        scope: &Scope,
        call: &Call,
        key: &str,
        content_type: &str,
        body: ByteStream,
    ) -> Result<AudioRef>;
    /// Streams the recording `key` of `call` back.
    async fn get(&self, scope: &Scope, call: CallId, key: &str) -> Result<ByteStream>;
    /// Whether object `key` of `call` exists, for a scope that may view
    /// the call and whose recording the gate would serve (an erased or
    /// restricted subject's call is refused as [`get`](Self::get) is).
    async fn exists(&self, scope: &Scope, call: CallId, key: &str) -> Result<bool>;
    /// Deletes object `key` of `call` (idempotent).
    async fn delete(&self, scope: &Scope, call: CallId, key: &str) -> Result<()>;
    /// A time-limited URL for one method on object `key` of `call`.
    async fn signed_url(
        &self,
        scope: &Scope,
        call: CallId,
        key: &str,
        method: SignedMethod,
        ttl: Duration,
    ) -> Result<SignedUrl>;
    /// Up to `limit` objects of the scope's workspace that no stored call
    /// holds as its recording — left by an upload whose call was never
    /// stored (a failed first write, or a member uploading for a call id
    /// they made up), stored beside the recording under
    /// `calls/<id>/<name>`, or a staging copy an interrupted upload left —
    /// last modified before `before` (the backend's own clock: give
    /// pipelines in flight a grace period). Retention removes them with
    /// [`delete_unreferenced`](Self::delete_unreferenced). Only a scope
    /// that sees and may delete every call (owners, admins) asks;
    /// `Forbidden` otherwise.
    async fn unreferenced(
        &self,
        scope: &Scope,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<UnreferencedObject>>;
    /// Deletes `object` (from [`unreferenced`](Self::unreferenced)) if it
    /// is still unreferenced — a call may have taken it as its recording
    /// since it was listed — and says whether it did. Owners and admins
    /// only (`Forbidden` otherwise).
    async fn delete_unreferenced(&self, scope: &Scope, object: &UnreferencedObject)
    -> Result<bool>;
}

/// An audio object no stored call holds ([`AudioStore::unreferenced`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreferencedObject {
    /// The call its key names; `None` for a staging copy.
    pub call: Option<CallId>,
    /// Its key, relative to the workspace (`calls/…` or `staging/…`).
    pub key: String,
    /// Its size.
    pub size_bytes: u64,
}

fn _object_safe(_: Arc<dyn AudioStore>, _: Arc<dyn AudioAccessGate>) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_belong_to_one_call() {
        let call = CallId::new();
        assert!(key_belongs_to(&format!("calls/{call}.wav"), call));
        assert!(key_belongs_to(&format!("calls/{call}/sample.mp3"), call));
        for bad in [
            format!("calls/{call}"),
            format!("calls/{call}."),
            format!("calls/{call}x.wav"),
            format!("calls/{}.wav", CallId::new()),
            format!("other/{call}.wav"),
        ] {
            assert!(!key_belongs_to(&bad, call), "{bad}");
            assert_ne!(key_call(&bad), Some(call), "{bad}");
        }
        assert_eq!(key_call(&format!("calls/{call}.wav")), Some(call));
        assert_eq!(key_call(&format!("calls/{call}/a/b.mp3")), Some(call));
        assert_eq!(key_call("calls/nope.wav"), None);
    }
}

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;

use crate::consent::ConsentRecord;
use crate::error::Result;
use crate::id::{CallId, DataSubjectRequestId};
use crate::scope::Scope;
use crate::subject::{Subject, SubjectFlags};
use crate::subject_request::SubjectRequest;

/// The privacy records of a workspace: data-subject requests, the standing
/// restriction and objection flags of subjects, and call-recording consent.
///
/// Contract, for every backend:
/// - requests and subject flags need action `run_data_subject_requests`;
///   consent records are written with `upload_call` on the call and read
///   with `view_call` (an invisible call is `NotFound`);
/// - subject flags are keyed by the keyed hash of the subject (the same
///   hash as the subject index), never the identifier;
/// - [`subject_flags`](Self::subject_flags) is the union over the given
///   subjects and needs only that the scope belongs to the workspace, so
///   every pipeline step can ask before processing a call;
/// - requests of another workspace are invisible (`NotFound`).
#[async_trait]
pub trait PrivacyStore: Debug + Send + Sync {
    /// Stores a new request (`AlreadyExists` for a known id).
    async fn insert_request(&self, scope: &Scope, request: &SubjectRequest) -> Result<()>;

    /// Replaces a stored request (its state, extensions, subject).
    async fn update_request(&self, scope: &Scope, request: &SubjectRequest) -> Result<()>;

    /// Reads a request.
    async fn get_request(&self, scope: &Scope, id: DataSubjectRequestId) -> Result<SubjectRequest>;

    /// The workspace's requests, newest first, at most `limit` (1–1000).
    async fn list_requests(&self, scope: &Scope, limit: u32) -> Result<Vec<SubjectRequest>>;

    /// A keyset page of the workspace's requests in id order, newest id
    /// first (ids are UUIDv7: creation order): those with an id below
    /// `before` (all when `None`), at most `limit` (1–1000). Walks every
    /// request, however many were filed since.
    async fn list_requests_before(
        &self,
        scope: &Scope,
        before: Option<DataSubjectRequestId>,
        limit: u32,
    ) -> Result<Vec<SubjectRequest>>;

    /// Sets a subject's flags (both false removes the entry).
    async fn set_subject_flags(
        &self,
        scope: &Scope,
        subject: &Subject,
        flags: SubjectFlags,
    ) -> Result<()>;

    /// The union of the flags of `subjects`.
    async fn subject_flags(&self, scope: &Scope, subjects: &[Subject]) -> Result<SubjectFlags>;

    /// Stores (or replaces) the consent record of a call.
    async fn put_consent(&self, scope: &Scope, record: &ConsentRecord) -> Result<()>;

    /// The consent record of a call, if any.
    async fn get_consent(&self, scope: &Scope, call: CallId) -> Result<Option<ConsentRecord>>;
}

fn _object_safe(_: Arc<dyn PrivacyStore>) {}

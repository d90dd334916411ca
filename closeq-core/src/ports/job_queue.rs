use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::id::{CallId, JobId, WorkspaceId};
use crate::scope::Scope;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Speech-to-text for a call.
    Transcribe,
    /// Metrics and scoring for a call.
    Analyze,
    /// A retention sweep.
    RetentionSweep,
    /// A data-subject request.
    DataSubjectRequest,
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSpec {
    /// Kind.
    pub kind: JobKind,
    /// The call it is about, if any.
    pub call_id: Option<CallId>,
    /// Opaque parameters (no personal data).
    pub payload: serde_json::Value,
    /// Maximum attempts before the job is dead (at least 1).
    pub max_attempts: u32,
    /// Not before.
    pub run_after: Option<DateTime<Utc>>,
}

/// A job leased to one worker until `lease_until`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeasedJob {
    /// Id.
    pub id: JobId,
    /// Workspace.
    pub workspace_id: WorkspaceId,
    /// The spec.
    pub spec: JobSpec,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// Lease token: heartbeats and completion must present it.
    pub lease_token: String,
    /// When the lease lapses and another worker may take the job.
    pub lease_until: DateTime<Utc>,
}

/// A shared job queue for many stateless workers.
///
/// Contract: a job is leased by at most one worker at a time; a lease that
/// lapses (no heartbeat) makes the job available again; completing or
/// failing with a stale lease token gives
/// [`Error::Conflict`](crate::Error::Conflict); a retryable failure re-queues
/// the job until `max_attempts`, after which it is dead.
#[async_trait]
pub trait JobQueue: Debug + Send + Sync {
    /// Enqueues a job in the scope's workspace.
    async fn enqueue(&self, scope: &Scope, spec: JobSpec) -> Result<JobId>;
    /// Leases the oldest runnable job of one of `kinds`, if any.
    async fn lease(
        &self,
        worker: &str,
        kinds: &[JobKind],
        lease_for: Duration,
    ) -> Result<Option<LeasedJob>>;
    /// Extends a lease.
    async fn heartbeat(&self, job: &LeasedJob, lease_for: Duration) -> Result<LeasedJob>;
    /// Marks a job done.
    async fn complete(&self, job: &LeasedJob) -> Result<()>;
    /// Marks an attempt failed; `retryable` re-queues it (with backoff) until
    /// `max_attempts`.
    async fn fail(&self, job: &LeasedJob, retryable: bool, reason: &str) -> Result<()>;
}

fn _object_safe(_: Arc<dyn JobQueue>) {}

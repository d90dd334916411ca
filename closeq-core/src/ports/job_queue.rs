use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::{CallId, JobId, WorkspaceId};
use crate::job::{JobRecord, JobState};
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
    /// A webhook delivery (an event to one endpoint).
    Webhook,
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
    /// A recurring job: completed, it is queued again to run `every` later
    /// (whole seconds, [`MIN_JOB_INTERVAL`] to [`MAX_JOB_DELAY`]), its
    /// attempts reset. Recurring jobs are about no call, and there is at
    /// most one live recurring job per (workspace, kind): enqueueing it
    /// again returns the live one's id. Scheduled work (retention sweeps,
    /// data-subject request reminders) runs this way, without a scheduler
    /// process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<Duration>,
}

/// A job leased to one worker until `lease_until`. `Debug` leaves out
/// the lease token and the payload; it is not serializable (the token is a
/// credential).
#[derive(Clone, PartialEq)]
pub struct LeasedJob {
    /// Id.
    pub id: JobId,
    /// Workspace.
    pub workspace_id: WorkspaceId,
    /// The spec.
    pub spec: JobSpec,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// Who enqueued it: the worker acts with this member's scope.
    pub enqueued_by: crate::id::UserId,
    /// Lease token: heartbeats and completion must present it.
    pub lease_token: String,
    /// When the lease lapses and another worker may take the job.
    pub lease_until: DateTime<Utc>,
}

impl Debug for LeasedJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeasedJob")
            .field("id", &self.id)
            .field("workspace_id", &self.workspace_id)
            .field("kind", &self.spec.kind)
            .field("call_id", &self.spec.call_id)
            .field("attempt", &self.attempt)
            .field("lease_until", &self.lease_until)
            .finish_non_exhaustive()
    }
}

/// The largest payload a job carries, serialized.
pub const MAX_JOB_PAYLOAD_BYTES: usize = 16 * 1024;

/// The shortest interval of a recurring job ([`JobSpec::every`]).
pub const MIN_JOB_INTERVAL: Duration = Duration::from_secs(60);

/// The latest a job may be scheduled: 30 days ahead.
pub const MAX_JOB_DELAY: chrono::Duration = chrono::Duration::days(30);

/// A shared job queue for many stateless workers.
///
/// Contract, for every implementation (`job_queue_conformance!`):
/// - a job is leased by at most one worker at a time; the oldest runnable
///   job (`run_after` passed) of the kinds asked for goes first;
/// - a lease carries a fresh token; heartbeats extend it; a lease that
///   lapses makes the job available again (the lapse counts as an attempt:
///   at `max_attempts` the job is dead, reason "lease lapsed");
///   heartbeating, completing or failing with a stale token is
///   [`Error::Conflict`](crate::Error::Conflict);
/// - a retryable failure re-queues the job after the queue's
///   [`RetryPolicy`](crate::RetryPolicy) (a provider's `Retry-After`
///   honoured) until `max_attempts`; then, or after a failure that is not
///   retryable, it is dead with its reason, listed for owners and admins
///   and retried by them;
/// - a job about a call is unique per (workspace, kind, call) among jobs
///   queued or running: enqueueing it again returns the existing job's id
///   (a dead or completed one does not block a new job); a recurring job
///   ([`JobSpec::every`]) likewise per (workspace, kind), and completing
///   it queues it again `every` later with its attempts reset (a failure
///   retries or kills it as any job; a dead one stops the schedule until
///   it is retried or enqueued again);
/// - `run_after` in the past means now; more than [`MAX_JOB_DELAY`] ahead
///   is `InvalidInput`, as is a payload over [`MAX_JOB_PAYLOAD_BYTES`];
/// - retention sweeps need action `change_retention`, data-subject
///   requests `run_data_subject_requests`; the job records who enqueued
///   it, so a worker acts with that member's scope, never wider;
///   reading jobs (`get_job`, `dead_jobs`, `retry_dead`) is for owners and
///   admins;
/// - jobs belong to the scope's workspace: another workspace's job is
///   `NotFound`, exactly as a missing one; workers lease across
///   workspaces.
#[async_trait]
pub trait JobQueue: Debug + Send + Sync {
    /// Enqueues a job in the scope's workspace (or returns the id of the
    /// same (kind, call) job not yet completed).
    ///
    /// Errors: `InvalidInput` naming `max_attempts` (0, or over 100),
    /// `payload` or `run_after`; `Forbidden` for a kind the scope may not
    /// run.
    async fn enqueue(&self, scope: &Scope, spec: JobSpec) -> Result<JobId>;
    /// Stores a new call (`bundle`, through `calls`) and enqueues `spec`
    /// for it: an uploaded call is never without its job, and a job never
    /// points at a call that was not stored.
    ///
    /// A queue in the store's own database overrides this with one
    /// transaction (`SqlJobQueue` writes the bundle through the store it
    /// was built on). The default writes the call, then enqueues, and
    /// deletes the call again when the enqueue fails.
    async fn submit(
        &self,
        scope: &Scope,
        calls: &dyn super::CallStore,
        bundle: &super::CallBundle,
        spec: JobSpec,
    ) -> Result<JobId> {
        calls.ingest(scope, std::slice::from_ref(bundle)).await?;
        match self.enqueue(scope, spec).await {
            Ok(id) => Ok(id),
            Err(e) => {
                // Best effort: the enqueue's error is the one to report.
                let _ = calls.delete_call(scope, bundle.call.id).await;
                Err(e)
            }
        }
    }
    /// Leases the oldest runnable job of one of `kinds`, if any, for
    /// `lease_for`, to `worker` (a name for logs).
    async fn lease(
        &self,
        worker: &str,
        kinds: &[JobKind],
        lease_for: Duration,
    ) -> Result<Option<LeasedJob>>;
    /// Extends a lease to `lease_for` from now.
    async fn heartbeat(&self, job: &LeasedJob, lease_for: Duration) -> Result<LeasedJob>;
    /// Marks a job done.
    async fn complete(&self, job: &LeasedJob) -> Result<()>;
    /// Hands a job back unfinished (a worker shutting down): queued again
    /// now, the attempt not counted. Errors: `Conflict` for a lost lease.
    async fn release(&self, job: &LeasedJob) -> Result<()>;
    /// Ends an attempt with `error`: re-queued with backoff when the error
    /// is retryable and attempts remain, otherwise dead. Returns the job's
    /// new state.
    async fn fail(&self, job: &LeasedJob, error: &Error) -> Result<JobState>;
    /// Reads a job of the scope's workspace (owners and admins).
    async fn get_job(&self, scope: &Scope, id: JobId) -> Result<JobRecord>;
    /// The workspace's dead jobs, oldest first (owners and admins).
    async fn dead_jobs(&self, scope: &Scope, limit: u32) -> Result<Vec<JobRecord>>;
    /// The workspace's jobs, newest first, of `state` when given, at most
    /// `limit` (owners and admins).
    async fn list_jobs(
        &self,
        scope: &Scope,
        state: Option<JobState>,
        limit: u32,
    ) -> Result<Vec<JobRecord>>;
    /// Deletes the workspace's finished jobs — completed, or dead — that
    /// were due at `before` or earlier; how many went (owners and admins).
    /// The retention sweep runs it with the technical-log rule's cutoff
    /// (90 days). A recurring job is never finished unless it is dead.
    async fn expire_jobs(&self, scope: &Scope, before: DateTime<Utc>) -> Result<u64>;
    /// Queues a dead job again, now, with its attempts reset (owners and
    /// admins). Errors: `NotFound`; `Conflict` when it is not dead, or
    /// when another job for the same (kind, call) is queued or running.
    async fn retry_dead(&self, scope: &Scope, id: JobId) -> Result<()>;
}

fn _object_safe(_: Arc<dyn JobQueue>) {}

//! Scheduled work as recurring jobs ([`JobSpec::every`]): the retention
//! sweep and reminders of data-subject requests coming due. The queue
//! keeps the schedule (one row per workspace and kind, queued again after
//! each run), so the promise holds with nothing but workers running: no
//! cron, no scheduler process, and no double run however many workers
//! there are.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use closeq_core::ports::{JobKind, JobQueue, JobSpec, LeasedJob};
use closeq_core::{Clock, Error, JobId, Result, Scope};
use closeq_privacy::request::SubjectRequests;
use closeq_privacy::retention::Sweeper;

use super::handler::JobHandler;

/// The payload of a reminders job (kind `data_subject_request`).
const REMINDERS_TASK: &str = "reminders";

/// How long finished jobs are kept: the technical-log rule's 90 days.
/// Each retention sweep then deletes the workspace's older ones
/// ([`JobQueue::expire_jobs`]).
pub const FINISHED_JOBS_KEPT: chrono::Duration = chrono::Duration::days(90);

/// Attempts of one scheduled run before it is dead (and the schedule stops
/// until an admin retries it or it is scheduled again).
pub const SCHEDULED_ATTEMPTS: u32 = 5;

/// How often scheduled work runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Schedule {
    /// Between retention sweeps.
    pub retention_sweep: Duration,
    /// Between data-subject request reminders.
    pub request_reminders: Duration,
}

impl Default for Schedule {
    /// Both daily.
    fn default() -> Self {
        Self {
            retention_sweep: Duration::from_secs(86_400),
            request_reminders: Duration::from_secs(86_400),
        }
    }
}

impl Schedule {
    /// Sets the interval between retention sweeps.
    #[must_use]
    pub fn retention_sweep(mut self, every: Duration) -> Self {
        self.retention_sweep = every;
        self
    }
    /// Sets the interval between request reminders.
    #[must_use]
    pub fn request_reminders(mut self, every: Duration) -> Self {
        self.request_reminders = every;
        self
    }

    /// Schedules the scope's workspace's sweep and reminders: each a
    /// recurring job, the first run now. Idempotent: a workspace already
    /// scheduled keeps its jobs (and their intervals), and their ids are
    /// returned. Needs an owner or admin (`change_retention` and
    /// `run_data_subject_requests`). Errors: `InvalidInput` naming `every`
    /// for an interval under a minute or over 30 days.
    pub async fn apply(&self, queue: &dyn JobQueue, scope: &Scope) -> Result<ScheduledJobs> {
        let sweep = queue
            .enqueue(
                scope,
                recurring(
                    JobKind::RetentionSweep,
                    serde_json::json!({}),
                    self.retention_sweep,
                ),
            )
            .await?;
        let reminders = queue
            .enqueue(
                scope,
                recurring(
                    JobKind::DataSubjectRequest,
                    serde_json::json!({ "task": REMINDERS_TASK }),
                    self.request_reminders,
                ),
            )
            .await?;
        Ok(ScheduledJobs { sweep, reminders })
    }
}

/// The recurring jobs of a workspace's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduledJobs {
    /// The retention sweep.
    pub sweep: JobId,
    /// The request reminders.
    pub reminders: JobId,
}

fn recurring(kind: JobKind, payload: serde_json::Value, every: Duration) -> JobSpec {
    JobSpec {
        kind,
        call_id: None,
        payload,
        max_attempts: SCHEDULED_ATTEMPTS,
        run_after: None,
        every: Some(every),
    }
}

/// What scheduled jobs run with: the sweeper (its stores, audio and
/// clock) and the requests, for [`WorkerBuilder::scheduled`](super::WorkerBuilder::scheduled).
#[derive(Debug, Clone)]
pub struct ScheduledWork {
    pub(crate) sweeper: Sweeper,
    pub(crate) requests: SubjectRequests,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) sweep_batch: u32,
    pub(crate) remind_within: chrono::Duration,
}

impl ScheduledWork {
    /// Sweeps with `sweeper` in batches of 500 calls, then deletes finished
    /// jobs older than [`FINISHED_JOBS_KEPT`] by `clock`; reminds of
    /// requests due within 7 days (or overdue).
    pub fn new(sweeper: Sweeper, requests: SubjectRequests, clock: Arc<dyn Clock>) -> Self {
        Self {
            sweeper,
            requests,
            clock,
            sweep_batch: 500,
            remind_within: chrono::Duration::days(7),
        }
    }
    /// Calls examined per sweep batch (at least 1).
    #[must_use]
    pub fn sweep_batch(mut self, calls: u32) -> Self {
        self.sweep_batch = calls.max(1);
        self
    }
    /// Reminds of requests due within `within` (0 to 31 days).
    #[must_use]
    pub fn remind_within(mut self, within: chrono::Duration) -> Self {
        self.remind_within = within;
        self
    }
}

/// A retention sweep of the job's workspace, to the end, then the expiry
/// of its finished jobs.
pub(crate) struct RetentionSweepJob(pub(crate) ScheduledWork);

#[async_trait]
impl JobHandler for RetentionSweepJob {
    async fn run(&self, scope: &Scope, job: &LeasedJob, queue: &dyn JobQueue) -> Result<()> {
        let r = self.0.sweeper.run_to_end(scope, self.0.sweep_batch).await?;
        let expired = queue
            .expire_jobs(scope, self.0.clock.now() - FINISHED_JOBS_KEPT)
            .await?;
        let removed: u64 = r.counts.values().copied().sum();
        tracing::info!(
            job = %job.id,
            examined = r.examined,
            removed,
            held = r.held,
            unreferenced_audio = r.unreferenced_audio,
            expired_jobs = expired,
            "retention sweep done"
        );
        Ok(())
    }
}

/// Reminders of the job's workspace's requests coming due.
pub(crate) struct RequestRemindersJob(pub(crate) ScheduledWork);

#[async_trait]
impl JobHandler for RequestRemindersJob {
    async fn run(&self, scope: &Scope, job: &LeasedJob, _: &dyn JobQueue) -> Result<()> {
        if job.spec.payload.get("task").and_then(|t| t.as_str()) != Some(REMINDERS_TASK) {
            return Err(Error::invalid(
                "payload",
                "a data-subject request job of an unknown task",
            ));
        }
        let r = self.0.requests.remind(scope, self.0.remind_within).await?;
        for due in &r.reminders {
            // Ids, kinds and dates only: never the subject.
            if due.overdue {
                tracing::warn!(
                    request = %due.request,
                    kind = due.kind.name(),
                    due_at = %due.due_at,
                    "data-subject request overdue"
                );
            } else {
                tracing::info!(
                    request = %due.request,
                    kind = due.kind.name(),
                    due_at = %due.due_at,
                    "data-subject request due soon"
                );
            }
        }
        Ok(())
    }
}

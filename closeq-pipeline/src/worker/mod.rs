//! [`Worker`]: leases jobs from a [`JobQueue`] and runs them — many
//! stateless workers on one queue, each with a concurrency limit, a rate
//! limit per provider, heartbeats, panic capture and graceful shutdown.

mod handler;
mod rate_limit;
mod run;
mod scheduled;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use closeq_core::ports::{JobKind, JobQueue, WorkspaceStore};
use closeq_core::{Error, Result};

pub use handler::{JobEvents, JobHandler, RubricSource, builtin_rubrics};
pub use rate_limit::RateLimit;
pub use scheduled::{
    FINISHED_JOBS_KEPT, SCHEDULED_ATTEMPTS, Schedule, ScheduledJobs, ScheduledWork,
};

use crate::analyzer::Analyzer;

/// How a worker runs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerConfig {
    /// A name for logs (host and process, say).
    pub name: String,
    /// Jobs run at once (at least 1).
    pub concurrency: usize,
    /// How long a lease lasts; heartbeats renew it every third of it.
    pub lease_for: Duration,
    /// How long an idle worker waits before asking the queue again.
    pub idle_poll: Duration,
    /// How long a shutdown waits for jobs in flight before releasing them
    /// to other workers.
    pub shutdown_grace: Duration,
    /// The longest one attempt may run; then it is stopped and failed.
    pub max_run: Duration,
}

impl Default for WorkerConfig {
    /// One job at a time, 60 s leases, 200 ms polls, 30 s grace, attempts
    /// of at most 4 hours.
    fn default() -> Self {
        Self {
            name: format!("worker-{}", std::process::id()),
            concurrency: 1,
            lease_for: Duration::from_secs(60),
            idle_poll: Duration::from_millis(200),
            shutdown_grace: Duration::from_secs(30),
            max_run: Duration::from_secs(4 * 3600),
        }
    }
}

impl WorkerConfig {
    /// Sets the name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
    /// Sets the concurrency.
    #[must_use]
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n;
        self
    }
    /// Sets the lease length.
    #[must_use]
    pub fn lease_for(mut self, d: Duration) -> Self {
        self.lease_for = d;
        self
    }
    /// Sets the idle poll.
    #[must_use]
    pub fn idle_poll(mut self, d: Duration) -> Self {
        self.idle_poll = d;
        self
    }
    /// Sets the longest an attempt may run.
    #[must_use]
    pub fn max_run(mut self, d: Duration) -> Self {
        self.max_run = d;
        self
    }
    /// Sets the shutdown grace.
    #[must_use]
    pub fn shutdown_grace(mut self, d: Duration) -> Self {
        self.shutdown_grace = d;
        self
    }
}

/// What a worker did until it stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerReport {
    /// Jobs completed.
    pub completed: u64,
    /// Attempts that failed (retried later, or dead).
    pub failed: u64,
    /// Attempts that panicked (recorded as failed attempts too).
    pub panicked: u64,
    /// Jobs whose lease was lost to another worker while they ran.
    pub lost: u64,
    /// Jobs handed back at shutdown, unfinished.
    pub released: u64,
}

/// Leases jobs and runs them. Build one with [`Worker::builder`]; run it
/// with [`Worker::run`] until a shutdown signal.
///
/// Each job runs as the member who enqueued it, with that member's role
/// and teams as they are now (read from the workspace store): a member
/// removed since sees their jobs fail, never run with wider rights.
pub struct Worker {
    queue: Arc<dyn JobQueue>,
    workspaces: Arc<dyn WorkspaceStore>,
    handlers: HashMap<JobKind, Arc<dyn JobHandler>>,
    limits: HashMap<JobKind, Arc<RateLimit>>,
    wake: Option<Arc<tokio::sync::Notify>>,
    events: Option<Arc<dyn JobEvents>>,
    config: WorkerConfig,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("kinds", &self.kinds())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Worker {
    /// A builder on `queue`, resolving each job's member through
    /// `workspaces`.
    pub fn builder(queue: Arc<dyn JobQueue>, workspaces: Arc<dyn WorkspaceStore>) -> WorkerBuilder {
        WorkerBuilder {
            worker: Worker {
                queue,
                workspaces,
                handlers: HashMap::new(),
                limits: HashMap::new(),
                wake: None,
                events: None,
                config: WorkerConfig::default(),
            },
            kinds: None,
        }
    }

    /// The kinds this worker runs.
    pub fn kinds(&self) -> Vec<JobKind> {
        let mut k: Vec<JobKind> = self.handlers.keys().copied().collect();
        k.sort_by_key(|k| format!("{k:?}"));
        k
    }
}

/// Builds a [`Worker`].
pub struct WorkerBuilder {
    worker: Worker,
    kinds: Option<Vec<JobKind>>,
}

impl std::fmt::Debug for WorkerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerBuilder").finish_non_exhaustive()
    }
}

impl WorkerBuilder {
    /// Runs the pipeline's jobs — `transcribe` then `analyze` — with
    /// `analyzer`, resolving rubric keys with `rubrics`.
    #[must_use]
    pub fn pipeline(mut self, analyzer: Arc<Analyzer>, rubrics: RubricSource) -> Self {
        let transcribe = handler::TranscribeJob {
            analyzer: analyzer.clone(),
        };
        let analyze = handler::AnalyzeJob { analyzer, rubrics };
        self.worker
            .handlers
            .insert(JobKind::Transcribe, Arc::new(transcribe));
        self.worker
            .handlers
            .insert(JobKind::Analyze, Arc::new(analyze));
        self
    }

    /// Runs scheduled work — retention sweeps and request reminders, the
    /// recurring jobs a [`Schedule`] queues — with `work`.
    #[must_use]
    pub fn scheduled(mut self, work: ScheduledWork) -> Self {
        self.worker.handlers.insert(
            JobKind::RetentionSweep,
            Arc::new(scheduled::RetentionSweepJob(work.clone())),
        );
        self.worker.handlers.insert(
            JobKind::DataSubjectRequest,
            Arc::new(scheduled::RequestRemindersJob(work)),
        );
        self
    }

    /// Runs jobs of `kind` with `handler`.
    #[must_use]
    pub fn handler(mut self, kind: JobKind, handler: Arc<dyn JobHandler>) -> Self {
        self.worker.handlers.insert(kind, handler);
        self
    }

    /// Leases only these kinds (of those it has handlers for).
    #[must_use]
    pub fn only(mut self, kinds: &[JobKind]) -> Self {
        self.kinds = Some(kinds.to_vec());
        self
    }

    /// Starts jobs of `kind` no faster than `limit` allows.
    #[must_use]
    pub fn rate_limit(mut self, kind: JobKind, limit: RateLimit) -> Self {
        self.worker.limits.insert(kind, Arc::new(limit));
        self
    }

    /// Wakes an idle worker when `notify` fires, before its next poll (on
    /// PostgreSQL: `PostgresJobQueue::wake_ups`, LISTEN/NOTIFY); polling
    /// stays as the fallback.
    #[must_use]
    pub fn wake_on(mut self, notify: Arc<tokio::sync::Notify>) -> Self {
        self.worker.wake = Some(notify);
        self
    }

    /// Tells `events` when a job completes or dies.
    #[must_use]
    pub fn events(mut self, events: Arc<dyn JobEvents>) -> Self {
        self.worker.events = Some(events);
        self
    }

    /// Sets how the worker runs.
    #[must_use]
    pub fn config(mut self, config: WorkerConfig) -> Self {
        self.worker.config = config;
        self
    }

    /// The worker. Errors: `InvalidInput` for a concurrency of 0, a lease
    /// under 3 s, no handler, or `only` naming a kind without one.
    pub fn build(mut self) -> Result<Worker> {
        let c = &self.worker.config;
        if c.concurrency == 0 || c.concurrency > 1024 {
            return Err(Error::invalid("concurrency", "must be 1 to 1024"));
        }
        if c.lease_for < Duration::from_secs(3) || c.lease_for > Duration::from_secs(86_400) {
            return Err(Error::invalid("lease_for", "must be 3 s to 24 h"));
        }
        if let Some(kinds) = self.kinds.take() {
            if let Some(k) = kinds.iter().find(|k| !self.worker.handlers.contains_key(k)) {
                return Err(Error::invalid(
                    "kinds",
                    format!("no handler for {k:?} jobs in this worker"),
                ));
            }
            self.worker.handlers.retain(|k, _| kinds.contains(k));
        }
        if self.worker.handlers.is_empty() {
            return Err(Error::invalid(
                "kinds",
                "a worker needs at least one kind of job",
            ));
        }
        Ok(self.worker)
    }
}

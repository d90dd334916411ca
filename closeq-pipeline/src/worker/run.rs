//! The worker's loop: lease within the concurrency and rate limits, run
//! each job as its member with heartbeats, settle it, and on shutdown stop
//! leasing, wait for jobs in flight, then hand back what is unfinished.

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use closeq_core::ports::{JobKind, LeasedJob};
use closeq_core::{Error, JobId, Result, Role, Scope};
use futures::FutureExt;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::{Worker, WorkerReport};

/// How one job ended.
enum Ended {
    Completed,
    Failed,
    Panicked,
    Lost,
}

type InFlight = Arc<Mutex<HashMap<JobId, LeasedJob>>>;

impl Worker {
    /// Runs until `shutdown` resolves (for a process: SIGTERM or SIGINT),
    /// then stops leasing, waits up to the configured grace for jobs in
    /// flight, and hands back the rest ([`JobQueue::release`](closeq_core::ports::JobQueue::release): queued at
    /// once, the attempt not counted). A job running longer than
    /// [`WorkerConfig::max_run`](super::WorkerConfig::max_run) is stopped and its attempt failed, so a
    /// job that hangs dies after its attempts. Returns
    /// what it did. Errors only when the queue cannot be reached at all at
    /// shutdown; a job's failure is the job's.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> Result<WorkerReport> {
        let mut report = WorkerReport::default();
        let permits = Arc::new(Semaphore::new(self.config.concurrency));
        let in_flight: InFlight = Arc::default();
        let mut tasks: JoinSet<Ended> = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            while let Some(done) = tasks.try_join_next() {
                count(&mut report, done);
            }
            let permit = tokio::select! {
                () = &mut shutdown => break,
                p = permits.clone().acquire_owned() => p.map_err(|_| Error::internal("worker permits closed"))?,
            };
            let (kinds, wait) = self.allowed_kinds();
            if kinds.is_empty() {
                drop(permit);
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(wait) => continue,
                }
            }
            let leased = self
                .queue
                .lease(&self.config.name, &kinds, self.config.lease_for)
                .await;
            self.refund_except(&kinds, leased.as_ref().ok().and_then(|j| j.as_ref()));
            match leased {
                Ok(Some(job)) => {
                    let this = self.task_parts();
                    let in_flight = in_flight.clone();
                    lock(&in_flight).insert(job.id, job.clone());
                    tasks.spawn(async move {
                        let ended = this.run_job(job.clone()).await;
                        lock(&in_flight).remove(&job.id);
                        drop(permit);
                        ended
                    });
                }
                Ok(None) => {
                    drop(permit);
                    let woken = async {
                        match &self.wake {
                            Some(n) => n.notified().await,
                            None => std::future::pending().await,
                        }
                    };
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(self.config.idle_poll) => {}
                        () = woken => {}
                    }
                }
                Err(e) => {
                    drop(permit);
                    tracing::warn!(worker = %self.config.name, error = %e, "could not lease a job");
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(self.config.idle_poll.max(Duration::from_secs(1))) => {}
                    }
                }
            }
        }
        // Shutdown: no new leases; the jobs in flight get the grace.
        let deadline = tokio::time::sleep(self.config.shutdown_grace);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                next = tasks.join_next() => match next {
                    Some(done) => count(&mut report, done),
                    None => break,
                },
                () = &mut deadline => {
                    tasks.abort_all();
                    while let Some(done) = tasks.join_next().await {
                        count(&mut report, done);
                    }
                    break;
                }
            }
        }
        let unfinished: Vec<LeasedJob> = lock(&in_flight).drain().map(|(_, j)| j).collect();
        let mut last_error = None;
        for job in unfinished {
            match self.queue.release(&job).await {
                Ok(_) => report.released += 1,
                Err(Error::Conflict { .. }) => report.lost += 1,
                Err(e) => last_error = Some(e),
            }
        }
        match last_error {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    /// Runs at most one job now, if one is runnable (for tests and
    /// one-shot use); `None` when there was none.
    pub async fn run_one(&self) -> Result<Option<JobId>> {
        let (kinds, _) = self.allowed_kinds();
        if kinds.is_empty() {
            return Ok(None);
        }
        let leased = self
            .queue
            .lease(&self.config.name, &kinds, self.config.lease_for)
            .await?;
        self.refund_except(&kinds, leased.as_ref());
        let Some(job) = leased else { return Ok(None) };
        let id = job.id;
        self.task_parts().run_job(job).await;
        Ok(Some(id))
    }

    /// The kinds whose rate limits allow a job now (a token taken for
    /// each), or how long until one does.
    fn allowed_kinds(&self) -> (Vec<JobKind>, Duration) {
        let mut kinds = Vec::new();
        let mut wait = self.config.idle_poll;
        for kind in self.kinds() {
            match self.limits.get(&kind).map(|l| l.try_take()) {
                None | Some(Ok(())) => kinds.push(kind),
                Some(Err(until)) => wait = wait.min(until),
            }
        }
        (kinds, wait.max(Duration::from_millis(1)))
    }

    /// Gives back the tokens taken for kinds that were not leased.
    fn refund_except(&self, kinds: &[JobKind], leased: Option<&LeasedJob>) {
        for kind in kinds {
            if leased.is_none_or(|j| j.spec.kind != *kind)
                && let Some(limit) = self.limits.get(kind)
            {
                limit.refund();
            }
        }
    }

    fn task_parts(&self) -> TaskParts {
        TaskParts {
            queue: self.queue.clone(),
            workspaces: self.workspaces.clone(),
            handlers: self.handlers.clone(),
            lease_for: self.config.lease_for,
            max_run: self.config.max_run,
            name: self.config.name.clone(),
            events: self.events.clone(),
        }
    }
}

/// What a job's task needs of its worker.
struct TaskParts {
    queue: Arc<dyn closeq_core::ports::JobQueue>,
    workspaces: Arc<dyn closeq_core::ports::WorkspaceStore>,
    handlers: HashMap<JobKind, Arc<dyn super::JobHandler>>,
    lease_for: Duration,
    max_run: Duration,
    name: String,
    events: Option<Arc<dyn super::JobEvents>>,
}

impl TaskParts {
    /// The member who enqueued the job, as they are now.
    async fn scope_of(&self, job: &LeasedJob) -> Result<Scope> {
        // The narrowest role reads the member's own record; the scope the
        // job runs with is the member's current role and teams.
        let probe = Scope::new(job.workspace_id, job.enqueued_by, Role::Member);
        let member = self.workspaces.get_member(&probe, job.enqueued_by).await?;
        Ok(Scope::of_member(&member))
    }

    async fn run_job(&self, job: LeasedJob) -> Ended {
        let kind = job.spec.kind;
        let Some(handler) = self.handlers.get(&kind).cloned() else {
            let e = Error::internal("a job of a kind this worker has no handler for");
            return self.settle(&job, Err(e)).await;
        };
        let max_run = self.max_run;
        let work = async {
            let scope = self.scope_of(&job).await?;
            match tokio::time::timeout(max_run, handler.run(&scope, &job, self.queue.as_ref()))
                .await
            {
                Ok(done) => done,
                Err(_) => Err(Error::Unavailable {
                    service: "worker".into(),
                    reason: "the job ran longer than the worker's max_run".into(),
                }),
            }
        };
        // A panic in the job is caught and recorded as a failed attempt.
        let work = AssertUnwindSafe(work).catch_unwind();
        tokio::pin!(work);
        let mut held = job.clone();
        let mut beat = tokio::time::interval(self.lease_for / 3);
        beat.tick().await;
        let outcome = loop {
            tokio::select! {
                r = &mut work => break r,
                _ = beat.tick() => match self.queue.heartbeat(&held, self.lease_for).await {
                    Ok(renewed) => held = renewed,
                    Err(Error::Conflict { .. }) => {
                        tracing::warn!(worker = %self.name, job = %job.id, "lease lost; another worker has the job");
                        return Ended::Lost;
                    }
                    Err(e) => tracing::warn!(worker = %self.name, job = %job.id, error = %e, "heartbeat failed"),
                },
            }
        };
        match outcome {
            Ok(result) => self.settle(&held, result).await,
            Err(_) => {
                tracing::error!(worker = %self.name, job = %job.id, kind = ?kind, "the job panicked");
                let e = Error::internal("the job panicked");
                match self.settle(&held, Err(e)).await {
                    Ended::Lost => Ended::Lost,
                    _ => Ended::Panicked,
                }
            }
        }
    }

    /// Tells the events hook that `job` completed (`None`) or died.
    async fn tell(&self, job: &LeasedJob, error: Option<&Error>) {
        let Some(events) = &self.events else { return };
        let scope = match self.scope_of(job).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(worker = %self.name, job = %job.id, error = %e, "no scope to report the job's end in");
                return;
            }
        };
        match error {
            None => events.completed(&scope, job).await,
            Some(e) => events.dead(&scope, job, e).await,
        }
    }

    async fn settle(&self, job: &LeasedJob, result: Result<()>) -> Ended {
        let settled = match &result {
            Ok(()) => {
                let done = self.queue.complete(job).await.map(|()| Ended::Completed);
                if done.is_ok() {
                    self.tell(job, None).await;
                }
                done
            }
            Err(e) => {
                tracing::warn!(worker = %self.name, job = %job.id, kind = ?job.spec.kind, error = %e, "job attempt failed");
                let failed = self.queue.fail(job, e).await;
                if matches!(failed, Ok(closeq_core::JobState::Dead)) {
                    self.tell(job, Some(e)).await;
                }
                failed.map(|_| Ended::Failed)
            }
        };
        match settled {
            Ok(ended) => ended,
            Err(e) => {
                // The lease lapsed and another worker took the job, or the
                // queue is unreachable: the lease lapses and the job runs
                // again (its stages do their work once).
                tracing::warn!(worker = %self.name, job = %job.id, error = %e, "could not settle a job");
                Ended::Lost
            }
        }
    }
}

fn count(report: &mut WorkerReport, done: std::result::Result<Ended, tokio::task::JoinError>) {
    match done {
        Ok(Ended::Completed) => report.completed += 1,
        Ok(Ended::Failed) => report.failed += 1,
        Ok(Ended::Panicked) => {
            report.failed += 1;
            report.panicked += 1;
        }
        Ok(Ended::Lost) => report.lost += 1,
        // Aborted at the end of the grace: released below.
        Err(_) => {}
    }
}

fn lock(m: &InFlight) -> std::sync::MutexGuard<'_, HashMap<JobId, LeasedJob>> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

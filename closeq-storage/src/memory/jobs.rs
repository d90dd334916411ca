//! [`InMemoryJobQueue`]: the reference model of the job queue, for one
//! process and for tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use closeq_core::ports::{
    JobKind, JobQueue, JobSpec, LeasedJob, MAX_JOB_DELAY, MAX_JOB_PAYLOAD_BYTES, MIN_JOB_INTERVAL,
};
use closeq_core::{
    Action, Clock, Error, JobId, JobRecord, JobState, Result, RetryPolicy, Scope, failure_reason,
};

use crate::policy::check_workspace;

/// The most attempts a job may be given.
pub(crate) const MAX_ATTEMPTS: u32 = 100;

#[derive(Debug, Default)]
struct Jobs {
    jobs: HashMap<JobId, (JobRecord, Option<[u8; 32]>)>,
}

/// Jobs in memory, timed by an injected [`Clock`].
#[derive(Debug, Clone)]
pub struct InMemoryJobQueue {
    state: Arc<Mutex<Jobs>>,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
}

impl InMemoryJobQueue {
    /// An empty queue on `clock`, retrying after `retry`.
    pub fn new(clock: Arc<dyn Clock>, retry: RetryPolicy) -> Self {
        Self {
            state: Arc::new(Mutex::new(Jobs::default())),
            clock,
            retry,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Jobs> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Checks a spec and who enqueues it; returns when it first runs.
pub(crate) fn check_spec(
    scope: &Scope,
    spec: &JobSpec,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<chrono::DateTime<chrono::Utc>> {
    if !(1..=MAX_ATTEMPTS).contains(&spec.max_attempts) {
        return Err(Error::invalid("max_attempts", "must be 1 to 100"));
    }
    let size = serde_json::to_vec(&spec.payload).map_or(usize::MAX, |v| v.len());
    if size > MAX_JOB_PAYLOAD_BYTES {
        return Err(Error::invalid("payload", "at most 16 KiB"));
    }
    match spec.kind {
        JobKind::RetentionSweep => check_workspace(scope, Action::ChangeRetention)?,
        JobKind::DataSubjectRequest => check_workspace(scope, Action::RunDataSubjectRequests)?,
        JobKind::Transcribe | JobKind::Analyze | JobKind::Webhook => {}
    }
    if let Some(every) = spec.every {
        let longest = MAX_JOB_DELAY.to_std().unwrap_or(MIN_JOB_INTERVAL);
        if every < MIN_JOB_INTERVAL || every > longest {
            return Err(Error::invalid("every", "must be 1 minute to 30 days"));
        }
        if spec.call_id.is_some() {
            return Err(Error::invalid("every", "a recurring job is about no call"));
        }
    }
    let run_after = spec.run_after.unwrap_or(now).max(now);
    if run_after - now > MAX_JOB_DELAY {
        return Err(Error::invalid("run_after", "at most 30 days ahead"));
    }
    Ok(run_after)
}

/// The interval of a recurring job in whole seconds, as queues store it.
pub(crate) fn every_secs(spec: &JobSpec) -> Option<i64> {
    spec.every
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Whether live job `j` stands in the way of `spec` enqueued in
/// `workspace`: the same (kind, call), or the same recurring kind.
fn blocks(j: &JobRecord, workspace: closeq_core::WorkspaceId, spec: &JobSpec) -> bool {
    j.workspace_id == workspace
        && j.spec.kind == spec.kind
        && matches!(j.state, JobState::Queued | JobState::Running)
        && ((spec.call_id.is_some() && j.spec.call_id == spec.call_id)
            || (spec.every.is_some() && j.spec.every.is_some()))
}

/// A fresh lease token: 32 random bytes from the operating system, as
/// hex. Queues keep only its [`token_hash`].
pub(crate) fn new_lease_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The SHA-256 of a lease token, as a queue keeps it: a presented token is
/// compared by its hash, so the comparison reveals nothing about the
/// stored token.
pub(crate) fn token_hash(token: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).into()
}

pub(crate) fn lease_length(lease_for: Duration) -> Result<chrono::Duration> {
    chrono::Duration::from_std(lease_for)
        .ok()
        .filter(|d| *d > chrono::Duration::zero() && *d <= chrono::Duration::hours(24))
        .ok_or_else(|| Error::invalid("lease_for", "must be between 0 and 24 hours"))
}

pub(crate) fn not_dead() -> Error {
    Error::Conflict {
        resource: "job",
        reason: "only a dead job is retried".into(),
    }
}

pub(crate) fn live_job() -> Error {
    Error::Conflict {
        resource: "job",
        reason: "another job of the same kind for the same call (or schedule) is queued or running"
            .into(),
    }
}

pub(crate) fn stale() -> Error {
    Error::Conflict {
        resource: "job lease",
        reason: "the lease was lost (lapsed and taken, or the job is finished)".into(),
    }
}

#[async_trait]
impl JobQueue for InMemoryJobQueue {
    async fn enqueue(&self, scope: &Scope, spec: JobSpec) -> Result<JobId> {
        let now = self.clock.now();
        let run_after = check_spec(scope, &spec, now)?;
        let mut s = self.lock();
        if let Some((existing, _)) = s
            .jobs
            .values()
            .find(|(j, _)| blocks(j, scope.workspace_id, &spec))
        {
            return Ok(existing.id);
        }
        let spec = JobSpec {
            every: every_secs(&spec).map(|s| Duration::from_secs(s.unsigned_abs())),
            ..spec
        };
        let id = JobId::new();
        let record = JobRecord {
            id,
            workspace_id: scope.workspace_id,
            run_after,
            spec,
            state: JobState::Queued,
            attempts: 0,
            enqueued_by: scope.user_id,
            lease_until: None,
            last_error: None,
        };
        s.jobs.insert(id, (record, None));
        Ok(id)
    }

    async fn lease(
        &self,
        worker: &str,
        kinds: &[JobKind],
        lease_for: Duration,
    ) -> Result<Option<LeasedJob>> {
        let _ = worker;
        let length = lease_length(lease_for)?;
        let now = self.clock.now();
        let mut s = self.lock();
        // Lapsed leases out of attempts die first.
        for (j, token) in s.jobs.values_mut() {
            let lapsed = j.state == JobState::Running && j.lease_until.is_some_and(|u| u <= now);
            if lapsed && j.attempts >= j.spec.max_attempts {
                j.state = JobState::Dead;
                j.lease_until = None;
                j.last_error = Some("lease lapsed".into());
                *token = None;
            }
        }
        let next = s
            .jobs
            .values()
            .filter(|(j, _)| kinds.contains(&j.spec.kind))
            .filter(|(j, _)| match j.state {
                JobState::Queued => j.run_after <= now,
                JobState::Running => j.lease_until.is_some_and(|u| u <= now),
                _ => false,
            })
            .min_by_key(|(j, _)| (j.run_after, j.id))
            .map(|(j, _)| j.id);
        let Some(id) = next else { return Ok(None) };
        let Some((j, token)) = s.jobs.get_mut(&id) else {
            return Ok(None);
        };
        let fresh = new_lease_token();
        j.state = JobState::Running;
        j.attempts = j.attempts.saturating_add(1);
        j.lease_until = Some(now + length);
        *token = Some(token_hash(&fresh));
        Ok(Some(LeasedJob {
            id,
            workspace_id: j.workspace_id,
            spec: j.spec.clone(),
            attempt: j.attempts,
            enqueued_by: j.enqueued_by,
            lease_token: fresh,
            lease_until: now + length,
        }))
    }

    async fn heartbeat(&self, job: &LeasedJob, lease_for: Duration) -> Result<LeasedJob> {
        let length = lease_length(lease_for)?;
        let now = self.clock.now();
        let mut s = self.lock();
        let (j, token) = s.jobs.get_mut(&job.id).ok_or_else(stale)?;
        let held = j.state == JobState::Running && *token == Some(token_hash(&job.lease_token));
        // A lapsed lease is still held until another worker takes it.
        if !held {
            return Err(stale());
        }
        j.lease_until = Some(now + length);
        Ok(LeasedJob {
            lease_until: now + length,
            ..job.clone()
        })
    }

    async fn complete(&self, job: &LeasedJob) -> Result<()> {
        let mut s = self.lock();
        let (j, token) = s.jobs.get_mut(&job.id).ok_or_else(stale)?;
        if j.state != JobState::Running || *token != Some(token_hash(&job.lease_token)) {
            return Err(stale());
        }
        j.lease_until = None;
        *token = None;
        match j.spec.every {
            Some(every) => {
                let every = chrono::Duration::from_std(every).unwrap_or(MAX_JOB_DELAY);
                j.state = JobState::Queued;
                j.attempts = 0;
                j.last_error = None;
                j.run_after = self.clock.now() + every;
            }
            None => j.state = JobState::Completed,
        }
        Ok(())
    }

    async fn release(&self, job: &LeasedJob) -> Result<()> {
        let now = self.clock.now();
        let mut s = self.lock();
        let (j, token) = s.jobs.get_mut(&job.id).ok_or_else(stale)?;
        if j.state != JobState::Running || *token != Some(token_hash(&job.lease_token)) {
            return Err(stale());
        }
        *token = None;
        j.lease_until = None;
        j.state = JobState::Queued;
        j.attempts = j.attempts.saturating_sub(1);
        j.run_after = now;
        Ok(())
    }

    async fn fail(&self, job: &LeasedJob, error: &Error) -> Result<JobState> {
        let now = self.clock.now();
        let mut s = self.lock();
        let (j, token) = s.jobs.get_mut(&job.id).ok_or_else(stale)?;
        if j.state != JobState::Running || *token != Some(token_hash(&job.lease_token)) {
            return Err(stale());
        }
        *token = None;
        j.lease_until = None;
        j.last_error = Some(failure_reason(error));
        if error.is_retryable() && j.attempts < j.spec.max_attempts {
            j.state = JobState::Queued;
            j.run_after = self.retry.next_run(j.id, j.attempts, error, now);
        } else {
            j.state = JobState::Dead;
        }
        Ok(j.state)
    }

    async fn get_job(&self, scope: &Scope, id: JobId) -> Result<JobRecord> {
        check_workspace(scope, Action::ChangeRetention)?;
        self.lock()
            .jobs
            .get(&id)
            .filter(|(j, _)| j.workspace_id == scope.workspace_id)
            .map(|(j, _)| j.clone())
            .ok_or_else(|| Error::not_found("job", id))
    }

    async fn dead_jobs(&self, scope: &Scope, limit: u32) -> Result<Vec<JobRecord>> {
        check_workspace(scope, Action::ChangeRetention)?;
        let mut v: Vec<JobRecord> = self
            .lock()
            .jobs
            .values()
            .map(|(j, _)| j)
            .filter(|j| j.workspace_id == scope.workspace_id && j.state == JobState::Dead)
            .cloned()
            .collect();
        v.sort_by_key(|j| j.id);
        v.truncate(limit as usize);
        Ok(v)
    }

    async fn list_jobs(
        &self,
        scope: &Scope,
        state: Option<JobState>,
        limit: u32,
    ) -> Result<Vec<JobRecord>> {
        check_workspace(scope, Action::ChangeRetention)?;
        let mut v: Vec<JobRecord> = self
            .lock()
            .jobs
            .values()
            .map(|(j, _)| j)
            .filter(|j| j.workspace_id == scope.workspace_id)
            .filter(|j| state.is_none_or(|s| j.state == s))
            .cloned()
            .collect();
        v.sort_by_key(|j| std::cmp::Reverse(j.id));
        v.truncate(limit as usize);
        Ok(v)
    }

    async fn expire_jobs(
        &self,
        scope: &Scope,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64> {
        check_workspace(scope, Action::ChangeRetention)?;
        let mut s = self.lock();
        let was = s.jobs.len();
        s.jobs.retain(|_, (j, _)| {
            j.workspace_id != scope.workspace_id
                || !matches!(j.state, JobState::Completed | JobState::Dead)
                || j.run_after > before
        });
        Ok((was - s.jobs.len()) as u64)
    }

    async fn retry_dead(&self, scope: &Scope, id: JobId) -> Result<()> {
        check_workspace(scope, Action::ChangeRetention)?;
        let now = self.clock.now();
        let mut s = self.lock();
        let (dead, _) = s
            .jobs
            .get(&id)
            .filter(|(j, _)| j.workspace_id == scope.workspace_id)
            .ok_or_else(|| Error::not_found("job", id))?;
        if dead.state != JobState::Dead {
            return Err(not_dead());
        }
        let spec = dead.spec.clone();
        let live = s
            .jobs
            .values()
            .any(|(j, _)| j.id != id && blocks(j, scope.workspace_id, &spec));
        if live {
            return Err(live_job());
        }
        let Some((j, _)) = s.jobs.get_mut(&id) else {
            return Err(Error::not_found("job", id));
        };
        j.state = JobState::Queued;
        j.attempts = 0;
        j.run_after = now;
        Ok(())
    }
}

//! The job queue on SQL: [`SqlJobQueue`], used as
//! [`SqliteJobQueue`](crate::SqliteJobQueue) and
//! [`PostgresJobQueue`](crate::PostgresJobQueue).
//!
//! On PostgreSQL the runtime role sees only its scope's workspace's jobs
//! (Row-Level Security), and enqueues, leases and settles through
//! `SECURITY DEFINER` functions that touch job rows only
//! (`migrations/postgres/0013_jobs.sql`, revised in 0014 and 0015): a
//! worker leases across
//! workspaces without being able to read anything else, and then acts on
//! the call with the scope of the member who enqueued the job. Leases are
//! taken with `FOR UPDATE SKIP LOCKED`, so workers never wait on each
//! other. On SQLite, one write transaction at a time does the same.
//!
//! Every time comes from the injected [`Clock`], never the database's.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use closeq_core::ports::{JobKind, JobQueue, JobSpec, LeasedJob};
use closeq_core::{
    Action, Clock, Error, JobId, JobRecord, JobState, Result, RetryPolicy, Scope, UserId,
    WorkspaceId, failure_reason,
};

use super::{Acting, Dialect, Sql, SqlRow, SqlStore, Tx};
use crate::memory::jobs::{
    check_spec, every_secs, lease_length, new_lease_token, stale, token_hash,
};
use crate::policy::check_workspace;

/// The job queue in a SQL database, beside the store it shares a pool with.
#[derive(Debug)]
pub struct SqlJobQueue<D: Dialect> {
    store: SqlStore<D>,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
}

const COLUMNS: &str = "id, workspace_id, kind, call_id, payload, max_attempts, state, attempts, \
                       enqueued_by, run_after, lease_until, last_error, every_secs";

fn kind_code(kind: JobKind) -> &'static str {
    match kind {
        JobKind::Transcribe => "transcribe",
        JobKind::Analyze => "analyze",
        JobKind::RetentionSweep => "retention_sweep",
        JobKind::DataSubjectRequest => "data_subject_request",
        JobKind::Webhook => "webhook",
    }
}

fn kind_from(code: &str) -> Result<JobKind> {
    Ok(match code {
        "transcribe" => JobKind::Transcribe,
        "analyze" => JobKind::Analyze,
        "retention_sweep" => JobKind::RetentionSweep,
        "data_subject_request" => JobKind::DataSubjectRequest,
        "webhook" => JobKind::Webhook,
        _ => return Err(Error::internal("a stored job has an unknown kind")),
    })
}

fn state_from(code: &str) -> Result<JobState> {
    Ok(match code {
        "queued" => JobState::Queued,
        "running" => JobState::Running,
        "completed" => JobState::Completed,
        "dead" => JobState::Dead,
        _ => return Err(Error::internal("a stored job has an unknown state")),
    })
}

fn count(v: i64) -> Result<u32> {
    u32::try_from(v).map_err(|_| Error::internal("a stored job count is out of range"))
}

fn payload(text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|_| Error::internal("a stored job payload does not parse"))
}

/// A lease token as the queue's statements take it: PostgreSQL's
/// functions hash it themselves (so a stored hash read from the table
/// settles nothing); SQLite's statements compare the hash.
fn token_arg<D: Dialect>(token: &str) -> super::Arg {
    if D::JOB_FUNCTIONS {
        token.to_owned().into()
    } else {
        token_hash(token).to_vec().into()
    }
}

/// The spec in columns 2–5 (kind, call, payload, max attempts) and
/// `every` (a recurring job's interval in seconds) of a stored or leased
/// job's row.
fn spec_of(r: &impl SqlRow, every: usize) -> Result<JobSpec> {
    let every = r
        .opt_int(every)?
        .map(|s| {
            u64::try_from(s)
                .map(Duration::from_secs)
                .map_err(|_| Error::internal("a stored job interval is out of range"))
        })
        .transpose()?;
    Ok(JobSpec {
        kind: kind_from(r.text(2)?)?,
        call_id: r
            .opt_id(3)?
            .map(closeq_core::CallId::from_uuid)
            .transpose()?,
        payload: payload(r.text(4)?)?,
        max_attempts: count(r.int(5)?)?,
        run_after: None,
        every,
    })
}

/// A row of [`COLUMNS`].
fn record(r: &impl SqlRow) -> Result<JobRecord> {
    Ok(JobRecord {
        id: JobId::from_uuid(r.id(0)?)?,
        workspace_id: WorkspaceId::from_uuid(r.id(1)?)?,
        spec: spec_of(r, 12)?,
        state: state_from(r.text(6)?)?,
        attempts: count(r.int(7)?)?,
        enqueued_by: UserId::from_uuid(r.id(8)?)?,
        run_after: r.time(9)?,
        lease_until: r.opt_time(10)?,
        last_error: r.opt_text(11)?.map(str::to_owned),
    })
}

impl<D: Dialect> Clone for SqlJobQueue<D> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            clock: self.clock.clone(),
            retry: self.retry,
        }
    }
}

/// What a settled lease becomes.
#[derive(Clone)]
enum Settle {
    Heartbeat(DateTime<Utc>),
    Complete,
    Release,
    Retry(DateTime<Utc>, String),
    Dead(String),
}

impl<D: Dialect> SqlJobQueue<D> {
    /// The queue in `store`'s database, timed by `clock`, retrying failed
    /// attempts after `retry`.
    pub fn new(store: SqlStore<D>, clock: Arc<dyn Clock>, retry: RetryPolicy) -> Self {
        Self {
            store,
            clock,
            retry,
        }
    }

    /// The store the queue shares its database with.
    pub fn store(&self) -> &SqlStore<D> {
        &self.store
    }

    /// Enqueues `spec` in an open transaction of the store acting as
    /// `scope` (the call's first write): both commit, or neither.
    pub(crate) async fn enqueue_in(
        tx: &mut Tx<'_, D>,
        scope: &Scope,
        spec: &JobSpec,
        now: DateTime<Utc>,
    ) -> Result<JobId> {
        let sql = Self::enqueue_sql(scope, spec, now)?;
        Self::enqueued(tx, scope, spec, sql).await
    }

    /// The statement that enqueues `spec`, ten arguments.
    fn enqueue_sql(scope: &Scope, spec: &JobSpec, now: DateTime<Utc>) -> Result<Sql> {
        let run_after = check_spec(scope, spec, now)?;
        let id = JobId::new();
        let body = serde_json::to_string(&spec.payload)
            .map_err(|_| Error::invalid("payload", "does not serialize"))?;
        let insert = if D::JOB_FUNCTIONS {
            "SELECT closeq_job_enqueue($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        } else {
            // Either live-job index (per call, per schedule) turns a
            // duplicate into no row.
            "INSERT INTO jobs (id, workspace_id, kind, call_id, payload, max_attempts, state, \
             enqueued_by, run_after, updated_at, every_secs) \
             VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8, $9, $10) \
             ON CONFLICT DO NOTHING RETURNING id"
        };
        let sql = Sql::new(insert)
            .bind(id)
            .bind(scope.workspace_id)
            .bind(kind_code(spec.kind))
            .bind(spec.call_id)
            .bind(body)
            .bind(i64::from(spec.max_attempts))
            .bind(scope.user_id)
            .bind(run_after)
            .bind(now)
            .bind(every_secs(spec));
        Ok(sql)
    }

    /// Runs an enqueue statement; the new job's id, or the live one's.
    async fn enqueued(
        tx: &mut Tx<'_, D>,
        scope: &Scope,
        spec: &JobSpec,
        sql: Sql,
    ) -> Result<JobId> {
        // PostgreSQL's function answers the new or the live job's id; the
        // SQLite insert answers no row when a live job exists.
        if let Some(row) = tx.row(sql).await? {
            return JobId::from_uuid(row.id(0)?);
        }
        let existing = Sql::new(
            "SELECT id FROM jobs WHERE workspace_id = $1 AND kind = $2 \
             AND state IN ('queued', 'running') \
             AND (call_id = $3 OR ($4 AND every_secs IS NOT NULL))",
        )
        .bind(scope.workspace_id)
        .bind(kind_code(spec.kind))
        .bind(spec.call_id)
        .bind(spec.every.is_some());
        let row = tx
            .row(existing)
            .await?
            .ok_or_else(|| Error::internal("a duplicate job vanished"))?;
        JobId::from_uuid(row.id(0)?)
    }

    async fn settle(
        &self,
        operation: &'static str,
        job: &LeasedJob,
        how: Settle,
    ) -> Result<JobState> {
        let now = self.clock.now();
        let (action, until, run_after, reason) = match how {
            Settle::Heartbeat(until) => ("heartbeat", Some(until), None, None),
            Settle::Complete => ("complete", None, None, None),
            Settle::Release => ("release", None, None, None),
            Settle::Retry(at, reason) => ("retry", None, Some(at), Some(reason)),
            Settle::Dead(reason) => ("dead", None, None, Some(reason)),
        };
        let text = if D::JOB_FUNCTIONS {
            "SELECT * FROM closeq_job_settle($1, $2, $3, $4, $5, $6, $7)"
        } else {
            "UPDATE jobs SET \
             state = CASE $3 WHEN 'heartbeat' THEN 'running' \
                             WHEN 'complete' THEN CASE WHEN every_secs IS NULL \
                                                       THEN 'completed' ELSE 'queued' END \
                             WHEN 'retry' THEN 'queued' WHEN 'release' THEN 'queued' \
                             ELSE 'dead' END, \
             attempts = CASE WHEN $3 = 'release' THEN max(attempts - 1, 0) \
                             WHEN $3 = 'complete' AND every_secs IS NOT NULL THEN 0 \
                             ELSE attempts END, \
             lease_until = CASE WHEN $3 = 'heartbeat' THEN $5 END, \
             lease_token = CASE WHEN $3 = 'heartbeat' THEN lease_token END, \
             run_after = CASE WHEN $3 = 'retry' THEN $6 WHEN $3 = 'release' THEN $4 \
                              WHEN $3 = 'complete' AND every_secs IS NOT NULL \
                                THEN $4 + every_secs * 1000000 \
                              ELSE run_after END, \
             last_error = CASE WHEN $3 IN ('retry', 'dead') THEN $7 \
                               WHEN $3 = 'complete' AND every_secs IS NOT NULL THEN NULL \
                               ELSE last_error END, \
             updated_at = $4 \
             WHERE id = $1 AND state = 'running' AND lease_token = $2 RETURNING state"
        };
        let sql = Sql::new(text)
            .bind(job.id)
            .bind(token_arg::<D>(&job.lease_token))
            .bind(action)
            .bind(now)
            .bind(until)
            .bind(run_after)
            .bind(reason);
        // One statement, atomic on its own: no transaction around it
        // (SQLite: no `BEGIN IMMEDIATE` and `COMMIT`, two fewer trips to
        // the database thread; PostgreSQL never had one for a worker).
        let mut tx = self.store.read(operation, Acting::Worker).await?;
        let Some(row) = tx.row(sql).await? else {
            return Err(stale());
        };
        let state = state_from(row.text(0)?)?;
        tx.commit().await?;
        Ok(state)
    }
}

#[async_trait]
impl<D: Dialect> JobQueue for SqlJobQueue<D> {
    async fn enqueue(&self, scope: &Scope, spec: JobSpec) -> Result<JobId> {
        let now = self.clock.now();
        check_spec(scope, &spec, now)?;
        if D::JOB_FUNCTIONS {
            // One round trip instead of four (`BEGIN`, the scope's
            // settings, the call, `COMMIT`): a single statement, its own
            // transaction, sets the scope for itself — the subquery's
            // settings are made before the function runs — and calls
            // `closeq_job_enqueue`, which checks them as before.
            let [workspace, user, role, teams, lookup] = D::scope_settings(&scope.into());
            let sql = Self::enqueue_sql(scope, &spec, now)?;
            let sql = Sql {
                text: format!(
                    "{} FROM (SELECT set_config('closeq.workspace_id', $11, true), \
                     set_config('closeq.user_id', $12, true), set_config('closeq.role', $13, true), \
                     set_config('closeq.team_ids', $14, true), \
                     set_config('closeq.lookup_hash', $15, true)) AS scope",
                    sql.text
                ),
                ..sql
            }
            .bind(workspace)
            .bind(user)
            .bind(role)
            .bind(teams)
            .bind(lookup);
            let mut conn = self.store.begin("enqueue_job", Acting::Worker).await?;
            let id = Self::enqueued(&mut conn, scope, &spec, sql).await?;
            conn.commit().await?;
            return Ok(id);
        }
        let mut tx = self.store.begin("enqueue_job", scope).await?;
        let id = Self::enqueue_in(&mut tx, scope, &spec, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn submit(
        &self,
        scope: &Scope,
        _calls: &dyn closeq_core::ports::CallStore,
        bundle: &closeq_core::ports::CallBundle,
        spec: JobSpec,
    ) -> Result<JobId> {
        let now = self.clock.now();
        check_spec(scope, &spec, now)?;
        crate::bundle::check(scope, bundle)?;
        let mut tx = self.store.begin("submit_call", scope).await?;
        super::ingest::ingest_in(&mut tx, self.store.hasher(), std::slice::from_ref(bundle))
            .await?;
        let id = Self::enqueue_in(&mut tx, scope, &spec, now).await?;
        tx.commit().await?;
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
        if kinds.is_empty() {
            return Ok(None);
        }
        let now = self.clock.now();
        let until = now + length;
        let token = new_lease_token();
        let kinds: Vec<&str> = kinds.iter().map(|k| kind_code(*k)).collect();
        let kinds = kinds.join(",");
        let hash = token_arg::<D>(&token);
        let mut tx = self.store.begin("lease_job", Acting::Worker).await?;
        let row = if D::JOB_FUNCTIONS {
            let sql = Sql::new("SELECT * FROM closeq_job_lease($1, $2, $3, $4)")
                .bind(kinds)
                .bind(now)
                .bind(until)
                .bind(hash);
            tx.row(sql).await?
        } else {
            // Lapsed leases out of attempts die first.
            let dead = Sql::new(
                "UPDATE jobs SET state = 'dead', last_error = 'lease lapsed', lease_until = NULL, \
                 lease_token = NULL, updated_at = $1 \
                 WHERE state = 'running' AND lease_until <= $1 AND attempts >= max_attempts",
            )
            .bind(now);
            tx.exec(dead).await?;
            let sql = Sql::new(
                // The older of the oldest queued job (jobs_queued) and the
                // oldest lapsed lease (jobs_lapsing).
                "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $2, \
                 lease_token = $3, updated_at = $1 \
                 WHERE id = (SELECT id FROM ( \
                   SELECT id, run_after FROM (SELECT id, run_after FROM jobs \
                     WHERE state = 'queued' AND run_after <= $1 \
                     AND instr(',' || $4 || ',', ',' || kind || ',') > 0 \
                     ORDER BY run_after, id LIMIT 1) \
                   UNION ALL \
                   SELECT id, run_after FROM (SELECT id, run_after FROM jobs \
                     WHERE state = 'running' AND lease_until <= $1 \
                     AND instr(',' || $4 || ',', ',' || kind || ',') > 0 \
                     ORDER BY run_after, id LIMIT 1)) \
                   ORDER BY run_after, id LIMIT 1) \
                 RETURNING id, workspace_id, kind, call_id, payload, max_attempts, attempts, \
                 enqueued_by, every_secs",
            )
            .bind(now)
            .bind(until)
            .bind(hash)
            .bind(kinds);
            tx.row(sql).await?
        };
        let leased = row
            .map(|r| -> Result<LeasedJob> {
                Ok(LeasedJob {
                    id: JobId::from_uuid(r.id(0)?)?,
                    workspace_id: WorkspaceId::from_uuid(r.id(1)?)?,
                    spec: spec_of(&r, 8)?,
                    attempt: count(r.int(6)?)?,
                    enqueued_by: UserId::from_uuid(r.id(7)?)?,
                    lease_token: token.clone(),
                    lease_until: until,
                })
            })
            .transpose()?;
        tx.commit().await?;
        Ok(leased)
    }

    async fn heartbeat(&self, job: &LeasedJob, lease_for: Duration) -> Result<LeasedJob> {
        let until = self.clock.now() + lease_length(lease_for)?;
        self.settle("heartbeat_job", job, Settle::Heartbeat(until))
            .await?;
        Ok(LeasedJob {
            lease_until: until,
            ..job.clone()
        })
    }

    async fn complete(&self, job: &LeasedJob) -> Result<()> {
        self.settle("complete_job", job, Settle::Complete).await?;
        Ok(())
    }

    async fn release(&self, job: &LeasedJob) -> Result<()> {
        self.settle("release_job", job, Settle::Release).await?;
        Ok(())
    }

    async fn fail(&self, job: &LeasedJob, error: &Error) -> Result<JobState> {
        let reason = failure_reason(error);
        let how = if error.is_retryable() && job.attempt < job.spec.max_attempts {
            let at = self
                .retry
                .next_run(job.id, job.attempt, error, self.clock.now());
            Settle::Retry(at, reason)
        } else {
            Settle::Dead(reason)
        };
        self.settle("fail_job", job, how).await
    }

    async fn get_job(&self, scope: &Scope, id: JobId) -> Result<JobRecord> {
        check_workspace(scope, Action::ChangeRetention)?;
        let sql = Sql::new(format!(
            "SELECT {COLUMNS} FROM jobs WHERE workspace_id = $1 AND id = $2"
        ))
        .bind(scope.workspace_id)
        .bind(id);
        let mut tx = self.store.read("get_job", scope).await?;
        let row = tx.row(sql).await?;
        row.as_ref()
            .map(record)
            .transpose()?
            .ok_or_else(|| Error::not_found("job", id))
    }

    async fn dead_jobs(&self, scope: &Scope, limit: u32) -> Result<Vec<JobRecord>> {
        check_workspace(scope, Action::ChangeRetention)?;
        let sql = Sql::new(format!(
            "SELECT {COLUMNS} FROM jobs WHERE workspace_id = $1 AND state = 'dead' \
             ORDER BY id LIMIT $2"
        ))
        .bind(scope.workspace_id)
        .bind(i64::from(limit));
        let mut tx = self.store.read("dead_jobs", scope).await?;
        tx.rows(sql).await?.iter().map(record).collect()
    }

    async fn list_jobs(
        &self,
        scope: &Scope,
        state: Option<JobState>,
        limit: u32,
    ) -> Result<Vec<JobRecord>> {
        check_workspace(scope, Action::ChangeRetention)?;
        let code = state.map(|s| match s {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Completed => "completed",
            JobState::Dead => "dead",
        });
        let sql = Sql::new(format!(
            "SELECT {COLUMNS} FROM jobs WHERE workspace_id = $1 AND ($2 IS NULL OR state = $2) \
             ORDER BY id DESC LIMIT $3"
        ))
        .bind(scope.workspace_id)
        .bind(code)
        .bind(i64::from(limit));
        let mut tx = self.store.read("list_jobs", scope).await?;
        tx.rows(sql).await?.iter().map(record).collect()
    }

    async fn expire_jobs(&self, scope: &Scope, before: DateTime<Utc>) -> Result<u64> {
        check_workspace(scope, Action::ChangeRetention)?;
        let sql = Sql::new(
            "DELETE FROM jobs WHERE workspace_id = $1 AND state IN ('completed', 'dead') \
             AND run_after <= $2",
        )
        .bind(scope.workspace_id)
        .bind(before);
        self.store.exec("expire_jobs", scope, sql).await
    }

    async fn retry_dead(&self, scope: &Scope, id: JobId) -> Result<()> {
        check_workspace(scope, Action::ChangeRetention)?;
        let now = self.clock.now();
        let mut tx = self.store.begin("retry_dead_job", scope).await?;
        let outcome = if D::JOB_FUNCTIONS {
            let sql = Sql::new("SELECT * FROM closeq_job_retry($1, $2, $3)")
                .bind(scope.workspace_id)
                .bind(id)
                .bind(now);
            match tx.row(sql).await? {
                Some(r) => r.text(0)?.to_owned(),
                None => return Err(Error::not_found("job", id)),
            }
        } else {
            let sql = Sql::new(
                "SELECT j.state, EXISTS (SELECT 1 FROM jobs l WHERE l.workspace_id = j.workspace_id \
                 AND l.kind = j.kind AND l.state IN ('queued', 'running') \
                 AND (l.call_id = j.call_id \
                      OR (j.every_secs IS NOT NULL AND l.every_secs IS NOT NULL))) \
                 FROM jobs j WHERE j.workspace_id = $1 AND j.id = $2",
            )
            .bind(scope.workspace_id)
            .bind(id);
            let Some(r) = tx.row(sql).await? else {
                return Err(Error::not_found("job", id));
            };
            if r.text(0)? != "dead" {
                "not_dead".to_owned()
            } else if r.flag(1)? {
                "live".to_owned()
            } else {
                tx.exec(
                    Sql::new(
                        "UPDATE jobs SET state = 'queued', attempts = 0, run_after = $2, \
                         updated_at = $2 WHERE id = $1",
                    )
                    .bind(id)
                    .bind(now),
                )
                .await?;
                "retried".to_owned()
            }
        };
        if outcome == "retried" {
            return tx.commit().await;
        }
        // The function locked the row: release it at once.
        tx.rollback().await?;
        Err(if outcome == "live" {
            crate::memory::jobs::live_job()
        } else {
            crate::memory::jobs::not_dead()
        })
    }
}

//! [`JobHandler`]: what a worker does with one kind of job, and the
//! pipeline's own handlers (transcribe, then analyze).

use std::sync::Arc;

use async_trait::async_trait;
use closeq_core::ports::{JobKind, JobQueue, LeasedJob};
use closeq_core::{Error, Result, Rubric, Scope};

use crate::analyzer::{Analyzer, QueuedWork};

/// Runs one kind of job, acting as `scope` (the member who enqueued it).
/// An error fails the attempt: retried with backoff when it is retryable.
#[async_trait]
pub trait JobHandler: Send + Sync {
    /// Does the job's work.
    async fn run(&self, scope: &Scope, job: &LeasedJob, queue: &dyn JobQueue) -> Result<()>;
}

/// Told when a job ends: completed, or dead (out of attempts, or failed
/// for good). Called after the queue settled the job, with the scope of
/// the member who enqueued it; a failure here changes nothing about the
/// job (the implementation logs it). Webhooks hang on it (`call.analyzed`
/// when an `analyze` job completes, `call.failed` when a call's job dies).
#[async_trait]
pub trait JobEvents: Send + Sync {
    /// `job` completed.
    async fn completed(&self, scope: &Scope, job: &LeasedJob);
    /// `job` is dead after `error`.
    async fn dead(&self, scope: &Scope, job: &LeasedJob, error: &Error);
}

/// Finds a rubric by its key, for the jobs of queued calls.
pub type RubricSource = Arc<dyn Fn(&str) -> Result<Rubric> + Send + Sync>;

/// The built-in rubrics.
pub fn builtin_rubrics() -> RubricSource {
    Arc::new(closeq_analysis::rubric::builtin_rubric)
}

/// Transcription of a queued call, then its scoring queued as a job of its
/// own.
pub(crate) struct TranscribeJob {
    pub(crate) analyzer: Arc<Analyzer>,
}

#[async_trait]
impl JobHandler for TranscribeJob {
    async fn run(&self, scope: &Scope, job: &LeasedJob, queue: &dyn JobQueue) -> Result<()> {
        let call = call_of(job)?;
        let work = QueuedWork::of(&job.spec)?;
        self.analyzer.transcribe_queued(scope, call).await?;
        // A double enqueue is one job: a rerun of this job after a lost
        // lease queues no second scoring.
        queue
            .enqueue(scope, work.job(JobKind::Analyze, call))
            .await?;
        Ok(())
    }
}

/// Scoring of a queued call.
pub(crate) struct AnalyzeJob {
    pub(crate) analyzer: Arc<Analyzer>,
    pub(crate) rubrics: RubricSource,
}

#[async_trait]
impl JobHandler for AnalyzeJob {
    async fn run(&self, scope: &Scope, job: &LeasedJob, _: &dyn JobQueue) -> Result<()> {
        let call = call_of(job)?;
        let work = QueuedWork::of(&job.spec)?;
        let mut keys = work.rubrics.clone();
        keys.sort();
        keys.dedup();
        let most = crate::InputLimits::default().max_rubrics;
        if keys.len() > most {
            return Err(Error::invalid(
                "rubrics",
                format!("at most {most} per call"),
            ));
        }
        let rubrics = keys
            .iter()
            .map(|key| (self.rubrics)(key).map_err(|e| e.in_field("rubrics")))
            .collect::<Result<Vec<_>>>()?;
        if rubrics.is_empty() {
            return Err(Error::invalid("rubrics", "a queued call names no rubric"));
        }
        self.analyzer.analyze_queued(scope, call, &rubrics).await?;
        Ok(())
    }
}

fn call_of(job: &LeasedJob) -> Result<closeq_core::CallId> {
    job.spec
        .call_id
        .ok_or_else(|| Error::invalid("call_id", "this kind of job is about a call"))
}

//! [`Api`]: what the HTTP API serves from — the library's stores, the
//! [`Analyzer`] and the [`JobQueue`] — built with [`ApiBuilder`], turned
//! into an axum [`Router`] by [`Api::router`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use closeq_analysis::rubric::builtin_rubrics;
use closeq_core::ports::{AudioStore, CallStore, JobQueue};
use closeq_core::{Clock, Error, Result, Rubric, SystemClock};
use closeq_pipeline::Analyzer;
use closeq_privacy::fulfilment::RequestFulfilment;
use closeq_privacy::secrets::ApiKeys;
use closeq_privacy::subprocessors::Register;
use closeq_storage::ObjectAudioStore;
use tokio::sync::Semaphore;

use crate::auth::{KeyLimits, KeyRate};

/// What `/readyz` runs: `Ok` when the server can serve (its database
/// answers).
pub type Readiness =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<()>> + Send>> + Send + Sync>;

/// Bounds on uploads, applied before and while a body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadLimits {
    /// The largest file accepted (bytes); a larger one is 413 and nothing
    /// is stored. Capped by the analyzer's own limit.
    pub max_file_bytes: u64,
    /// The longest a client may send nothing mid-body before it is cut
    /// off (408).
    pub idle_timeout: Duration,
    /// The longest a whole upload body may take (408).
    pub body_timeout: Duration,
    /// Bytes of uploads held in memory at once across all requests, each
    /// body byte counted twice (the parser's buffer and the file's copy);
    /// an upload that would go over it is 503 with `Retry-After`.
    pub memory_budget: u64,
    /// The largest transcript file (bytes): parsed whole, so smaller than
    /// recordings.
    pub max_transcript_bytes: u64,
}

impl Default for UploadLimits {
    /// 128 MiB files (16 MiB transcripts), 30 s idle, 10 minutes a body,
    /// 1 GiB in memory.
    fn default() -> Self {
        Self {
            max_file_bytes: 128 << 20,
            idle_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(600),
            memory_budget: 1 << 30,
            max_transcript_bytes: 16 << 20,
        }
    }
}

impl UploadLimits {
    /// Builder: the largest file.
    #[must_use]
    pub fn max_file_bytes(mut self, n: u64) -> Self {
        self.max_file_bytes = n;
        self
    }

    /// Builder: the idle timeout.
    #[must_use]
    pub fn idle_timeout(mut self, d: Duration) -> Self {
        self.idle_timeout = d;
        self
    }

    /// Builder: the whole-body timeout.
    #[must_use]
    pub fn body_timeout(mut self, d: Duration) -> Self {
        self.body_timeout = d;
        self
    }

    /// Builder: the memory budget.
    #[must_use]
    pub fn memory_budget(mut self, n: u64) -> Self {
        self.memory_budget = n;
        self
    }
}

/// The unit the upload memory budget is counted in.
pub(crate) const BUDGET_UNIT: u64 = 64 * 1024;

pub(crate) struct Inner {
    pub(crate) calls: Arc<dyn CallStore>,
    pub(crate) analyzer: Arc<Analyzer>,
    pub(crate) queue: Arc<dyn JobQueue>,
    pub(crate) keys: ApiKeys,
    pub(crate) audio: Option<Arc<dyn AudioStore>>,
    pub(crate) signed_audio: Option<(ObjectAudioStore, String)>,
    pub(crate) rubrics: Vec<Rubric>,
    pub(crate) register: Register,
    pub(crate) uploads: UploadLimits,
    pub(crate) upload_memory: Arc<Semaphore>,
    pub(crate) key_limits: KeyLimits,
    pub(crate) readiness: Option<Readiness>,
    pub(crate) requests: Option<RequestFulfilment>,
    pub(crate) webhooks: Option<crate::webhooks::Webhooks>,
    pub(crate) clock: Arc<dyn Clock>,
}

/// The HTTP API's state: cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct Api(pub(crate) Arc<Inner>);

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("analyzer", &self.0.analyzer)
            .field("uploads", &self.0.uploads)
            .finish_non_exhaustive()
    }
}

impl Api {
    /// A builder.
    pub fn builder() -> ApiBuilder {
        ApiBuilder::default()
    }

    /// The routes (`/v1/...`, `/healthz`, `/readyz`), with request ids,
    /// problem-details errors and body limits: mount it, or serve it with
    /// `axum::serve`.
    pub fn router(&self) -> Router {
        crate::routes::router(self.clone())
    }

    pub(crate) fn keys(&self) -> &ApiKeys {
        &self.0.keys
    }

    pub(crate) fn key_limits(&self) -> &KeyLimits {
        &self.0.key_limits
    }
}

/// Builds an [`Api`]. Required: a call store, an analyzer, a job queue and
/// the API keys; the rest has defaults.
#[derive(Default)]
pub struct ApiBuilder {
    calls: Option<Arc<dyn CallStore>>,
    analyzer: Option<Arc<Analyzer>>,
    queue: Option<Arc<dyn JobQueue>>,
    keys: Option<ApiKeys>,
    audio: Option<Arc<dyn AudioStore>>,
    signed_audio: Option<(ObjectAudioStore, String)>,
    rubrics: Option<Vec<Rubric>>,
    register: Register,
    uploads: UploadLimits,
    key_rate: KeyRate,
    readiness: Option<Readiness>,
    requests: Option<RequestFulfilment>,
    webhooks: Option<crate::webhooks::Webhooks>,
    clock: Option<Arc<dyn Clock>>,
}

impl ApiBuilder {
    /// The call store reads are served from (use an access-logged one:
    /// these reads are people's).
    #[must_use]
    pub fn call_store(mut self, calls: Arc<dyn CallStore>) -> Self {
        self.calls = Some(calls);
        self
    }

    /// The analyzer uploads are checked and submitted through (its gates
    /// and transfer checks run before anything is stored).
    #[must_use]
    pub fn analyzer(mut self, analyzer: Arc<Analyzer>) -> Self {
        self.analyzer = Some(analyzer);
        self
    }

    /// The queue uploaded calls' jobs go to (workers run them).
    #[must_use]
    pub fn job_queue(mut self, queue: Arc<dyn JobQueue>) -> Self {
        self.queue = Some(queue);
        self
    }

    /// The API keys requests authenticate with.
    #[must_use]
    pub fn api_keys(mut self, keys: ApiKeys) -> Self {
        self.keys = Some(keys);
        self
    }

    /// The audio store signed URLs are issued by
    /// (`POST /v1/calls/{id}/audio-url`; use an access-logged one). Without
    /// it that endpoint answers 404.
    #[must_use]
    pub fn audio_store(mut self, audio: Arc<dyn AudioStore>) -> Self {
        self.audio = Some(audio);
        self
    }

    /// The store that serves `GET /v1/audio/{token}`: its URLs must be
    /// signed under `base_url`, the public address of this router's
    /// `/v1/audio` (`https://api.example/v1/audio`). Without it (e.g. S3,
    /// whose presigned URLs point at the bucket) that endpoint refuses
    /// every token.
    #[must_use]
    pub fn signed_audio(mut self, store: ObjectAudioStore, base_url: impl Into<String>) -> Self {
        let base: String = base_url.into();
        self.signed_audio = Some((store, base.trim_end_matches('/').to_owned()));
        self
    }

    /// The rubrics uploads may name by key, listed by `GET /v1/rubrics`
    /// (default: the built-in ones). Workers must resolve the same keys.
    #[must_use]
    pub fn rubrics(mut self, rubrics: Vec<Rubric>) -> Self {
        self.rubrics = Some(rubrics);
        self
    }

    /// The public sub-processor list (`GET /v1/subprocessors`).
    #[must_use]
    pub fn sub_processors(mut self, register: Register) -> Self {
        self.register = register;
        self
    }

    /// Upload bounds.
    #[must_use]
    pub fn upload_limits(mut self, limits: UploadLimits) -> Self {
        self.uploads = limits;
        self
    }

    /// Each key's rate (default 600 a minute, 100 at once).
    #[must_use]
    pub fn key_rate(mut self, rate: KeyRate) -> Self {
        self.key_rate = rate;
        self
    }

    /// What `/readyz` checks (default: nothing, always ready).
    #[must_use]
    pub fn readiness<F, Fut>(mut self, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        self.readiness = Some(Arc::new(move || Box::pin(check())));
        self
    }

    /// Data-subject requests (`/v1/privacy/requests`); without it those
    /// routes answer 404.
    #[must_use]
    pub fn subject_requests(mut self, requests: RequestFulfilment) -> Self {
        self.requests = Some(requests);
        self
    }

    /// Webhooks: `scorecard.reviewed` and `dsr.completed` are queued by
    /// the API's handlers (`call.analyzed` and `call.failed` by workers
    /// given [`Webhooks::job_events`](crate::webhooks::Webhooks::job_events)).
    #[must_use]
    pub fn webhooks(mut self, webhooks: crate::webhooks::Webhooks) -> Self {
        self.webhooks = Some(webhooks);
        self
    }

    /// The clock reviews are dated by and the dashboard's default range
    /// ends at (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Builds. Errors: `InvalidInput` naming a missing part or a zero
    /// limit.
    pub fn build(self) -> Result<Api> {
        let missing = |what: &'static str| Error::invalid(what, "is required");
        let analyzer = self.analyzer.ok_or_else(|| missing("analyzer"))?;
        let mut uploads = self.uploads;
        if uploads.max_file_bytes == 0
            || uploads.max_transcript_bytes == 0
            || uploads.memory_budget < uploads.max_file_bytes.saturating_mul(2)
        {
            return Err(Error::invalid(
                "upload_limits",
                "max_file_bytes and max_transcript_bytes must be at least 1, and memory_budget at least twice max_file_bytes",
            ));
        }
        if uploads.idle_timeout.is_zero() || uploads.body_timeout.is_zero() {
            return Err(Error::invalid("upload_limits", "timeouts must be positive"));
        }
        let analyzer_max = u64::try_from(analyzer.limits().max_audio_bytes).unwrap_or(u64::MAX);
        uploads.max_file_bytes = uploads.max_file_bytes.min(analyzer_max);
        let units = usize::try_from(uploads.memory_budget / BUDGET_UNIT)
            .unwrap_or(Semaphore::MAX_PERMITS)
            .min(Semaphore::MAX_PERMITS);
        let rubrics = match self.rubrics {
            Some(r) => r,
            None => builtin_rubrics()?,
        };
        Ok(Api(Arc::new(Inner {
            calls: self.calls.ok_or_else(|| missing("call_store"))?,
            queue: self.queue.ok_or_else(|| missing("job_queue"))?,
            keys: self.keys.ok_or_else(|| missing("api_keys"))?,
            analyzer,
            audio: self.audio,
            signed_audio: self.signed_audio,
            rubrics,
            register: self.register,
            uploads,
            upload_memory: Arc::new(Semaphore::new(units)),
            key_limits: KeyLimits::new(self.key_rate)?,
            readiness: self.readiness,
            requests: self.requests,
            webhooks: self.webhooks,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
        })))
    }
}

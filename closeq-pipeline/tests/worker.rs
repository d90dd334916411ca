//! Workers on every backend: queued calls transcribed, then scored, once;
//! a speech-to-text outage that holds up no scoring; a panic recorded as a
//! failed attempt; shutdown that hands back unfinished jobs; the
//! concurrency and rate limits; a removed member's jobs that die.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use closeq_core::ports::{JobKind, JobQueue, JobSpec, LeasedJob};
use closeq_core::testing::ScriptedStt;
use closeq_core::{CallId, CallStatus, ChannelLayout, Error, JobState, ProcessingStage, Scope};
use closeq_pipeline::worker::{JobHandler, builtin_rubrics};
use closeq_pipeline::{AnalyzeRequest, Analyzer, Worker, WorkerConfig};
use closeq_stt::samples::SAMPLE_CALLS;
use support::{Backend, Ctx, discovery, sample_transcript};

on_every_backend!(
    queued_calls_are_transcribed_then_scored_once,
    a_speech_to_text_outage_holds_up_no_scoring,
    a_removed_members_jobs_die,
);

fn stt() -> Arc<ScriptedStt> {
    Arc::new(ScriptedStt::new().with_transcript(SAMPLE_CALLS[2].audio, sample_transcript()))
}

fn recording() -> AnalyzeRequest {
    AnalyzeRequest::audio(
        SAMPLE_CALLS[2].audio,
        ChannelLayout::Stereo { rep_channel: 0 },
        discovery(),
    )
}

fn worker(ctx: &Ctx, analyzer: Arc<Analyzer>) -> Worker {
    Worker::builder(ctx.queue.clone(), ctx.stores.workspaces.clone())
        .pipeline(analyzer, builtin_rubrics())
        .config(WorkerConfig::default().name("test"))
        .build()
        .unwrap()
}

/// Runs jobs until none is runnable; how many ran.
async fn drain(w: &Worker) -> usize {
    let mut n = 0;
    while w.run_one().await.unwrap().is_some() {
        n += 1;
    }
    n
}

async fn cards(ctx: &Ctx, scope: &Scope, call: CallId) -> usize {
    ctx.calls()
        .list_scorecards(scope, call)
        .await
        .unwrap()
        .len()
}

async fn queued_calls_are_transcribed_then_scored_once(b: Backend) {
    let ctx = Ctx::new(b).await;
    let stt = stt();
    let analyzer = Arc::new(
        ctx.builder()
            .speech_to_text(stt.clone())
            .scorer(ctx.heuristic())
            .build()
            .unwrap(),
    );
    let rep = &ctx.world.rep_a;
    let audio = analyzer
        .submit(rep, recording(), ctx.queue.as_ref())
        .await
        .unwrap();
    assert_eq!(audio.kind, JobKind::Transcribe);
    let stored = ctx.calls().get_call(rep, audio.call_id).await.unwrap();
    assert_eq!(stored.status(), &CallStatus::Uploaded);
    assert_eq!(
        ctx.audio_files(),
        1,
        "the recording is stored before the job"
    );
    let text = analyzer
        .submit(
            rep,
            AnalyzeRequest::transcript(sample_transcript(), discovery()),
            ctx.queue.as_ref(),
        )
        .await
        .unwrap();
    assert_eq!(text.kind, JobKind::Analyze);

    let w = worker(&ctx, analyzer.clone());
    assert_eq!(drain(&w).await, 3, "transcribe, analyze, analyze");
    for call in [audio.call_id, text.call_id] {
        let c = ctx.calls().get_call(rep, call).await.unwrap();
        assert_eq!(c.status(), &CallStatus::Analyzed);
        assert_eq!(cards(&ctx, rep, call).await, 1);
    }
    assert_eq!(stt.calls(), 1);
    let owner = &ctx.world.owner;
    let job = ctx.queue.get_job(owner, audio.job_id).await.unwrap();
    assert_eq!(job.state, JobState::Completed);

    // The same stages queued again (a lost lease, a double submit) do
    // their work once.
    for kind in [JobKind::Transcribe, JobKind::Analyze] {
        let work = closeq_pipeline::QueuedWork {
            rubrics: vec!["discovery".into()],
        };
        ctx.queue
            .enqueue(rep, work.job(kind, audio.call_id))
            .await
            .unwrap();
    }
    assert!(drain(&w).await >= 2);
    assert_eq!(stt.calls(), 1, "no second transcription");
    assert_eq!(cards(&ctx, rep, audio.call_id).await, 1, "no second card");
}

async fn a_speech_to_text_outage_holds_up_no_scoring(b: Backend) {
    let ctx = Ctx::new(b).await;
    let stt = stt();
    stt.fail_next(Error::Unavailable {
        service: "stt".into(),
        reason: "down".into(),
    });
    let analyzer = Arc::new(
        ctx.builder()
            .speech_to_text(stt.clone())
            .scorer(ctx.heuristic())
            .build()
            .unwrap(),
    );
    let rep = &ctx.world.rep_a;
    let q = ctx.queue.as_ref();
    let audio = analyzer.submit(rep, recording(), q).await.unwrap();
    let text = analyzer
        .submit(
            rep,
            AnalyzeRequest::transcript(sample_transcript(), discovery()),
            q,
        )
        .await
        .unwrap();
    let w = worker(&ctx, analyzer.clone());
    assert_eq!(drain(&w).await, 2, "the failed transcription, the scoring");
    let scored = ctx.calls().get_call(rep, text.call_id).await.unwrap();
    assert_eq!(scored.status(), &CallStatus::Analyzed);
    let waiting = ctx.calls().get_call(rep, audio.call_id).await.unwrap();
    assert!(
        matches!(
            waiting.status(),
            CallStatus::Failed {
                stage: ProcessingStage::Transcription,
                retryable: true,
                ..
            }
        ),
        "{:?}",
        waiting.status()
    );
    let job = q.get_job(&ctx.world.owner, audio.job_id).await.unwrap();
    assert_eq!(job.state, JobState::Queued);
    assert!(
        job.last_error
            .as_deref()
            .is_some_and(|e| e.contains("down"))
    );
    // After the backoff another attempt finishes it.
    ctx.clock.advance(chrono::Duration::hours(1));
    assert_eq!(drain(&w).await, 2);
    let done = ctx.calls().get_call(rep, audio.call_id).await.unwrap();
    assert_eq!(done.status(), &CallStatus::Analyzed);
    assert_eq!(cards(&ctx, rep, audio.call_id).await, 1);
}

async fn a_removed_members_jobs_die(b: Backend) {
    let ctx = Ctx::new(b).await;
    let analyzer = Arc::new(ctx.builder().scorer(ctx.heuristic()).build().unwrap());
    let rep = &ctx.world.rep_b;
    let text = analyzer
        .submit(
            rep,
            AnalyzeRequest::transcript(sample_transcript(), discovery()),
            ctx.queue.as_ref(),
        )
        .await
        .unwrap();
    ctx.stores
        .workspaces
        .remove_member(&ctx.world.owner, rep.user_id)
        .await
        .unwrap();
    let w = worker(&ctx, analyzer);
    assert_eq!(drain(&w).await, 1);
    let job = ctx
        .queue
        .get_job(&ctx.world.owner, text.job_id)
        .await
        .unwrap();
    assert_eq!(job.state, JobState::Dead, "{job:?}");
}

/// A handler that counts the jobs it runs at once and takes `work`.
struct Slow {
    now: AtomicUsize,
    most: AtomicUsize,
    done: AtomicUsize,
    work: Duration,
    panic: bool,
}

impl Slow {
    fn new(work: Duration) -> Arc<Self> {
        Arc::new(Self {
            now: AtomicUsize::new(0),
            most: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            work,
            panic: false,
        })
    }
}

#[async_trait]
impl JobHandler for Slow {
    async fn run(&self, _: &Scope, _: &LeasedJob, _: &dyn JobQueue) -> closeq_core::Result<()> {
        assert!(!self.panic, "a bug in a job");
        let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(n, Ordering::SeqCst);
        tokio::time::sleep(self.work).await;
        self.now.fetch_sub(1, Ordering::SeqCst);
        self.done.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

fn job() -> JobSpec {
    JobSpec {
        kind: JobKind::Analyze,
        call_id: Some(CallId::new()),
        payload: serde_json::json!({}),
        max_attempts: 3,
        run_after: None,
        every: None,
    }
}

async fn slow_worker(ctx: &Ctx, h: Arc<Slow>, config: WorkerConfig) -> Worker {
    Worker::builder(ctx.queue.clone(), ctx.stores.workspaces.clone())
        .handler(JobKind::Analyze, h)
        .config(config.idle_poll(Duration::from_millis(10)))
        .build()
        .unwrap()
}

#[tokio::test]
async fn jobs_run_up_to_the_concurrency_and_a_panic_is_a_failed_attempt() {
    let ctx = Ctx::new(Backend::Memory).await;
    for _ in 0..12 {
        ctx.queue.enqueue(&ctx.world.rep_a, job()).await.unwrap();
    }
    let h = Slow::new(Duration::from_millis(50));
    let w = slow_worker(&ctx, h.clone(), WorkerConfig::default().concurrency(4)).await;
    let done = h.clone();
    let report = w
        .run(async move {
            while done.done.load(Ordering::SeqCst) < 12 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .unwrap();
    assert_eq!(report.completed, 12);
    assert_eq!(h.most.load(Ordering::SeqCst), 4, "four at once, never more");

    let bad = Arc::new(Slow {
        panic: true,
        ..Arc::into_inner(Slow::new(Duration::ZERO)).unwrap()
    });
    let id = ctx.queue.enqueue(&ctx.world.rep_a, job()).await.unwrap();
    let w = slow_worker(&ctx, bad, WorkerConfig::default()).await;
    assert_eq!(w.run_one().await.unwrap(), Some(id));
    let stored = ctx.queue.get_job(&ctx.world.owner, id).await.unwrap();
    assert_eq!(stored.state, JobState::Dead, "a panic is not retried");
    assert_eq!(
        stored.last_error.as_deref(),
        Some("internal error: the job panicked")
    );
}

#[tokio::test]
async fn shutdown_hands_back_unfinished_jobs() {
    let ctx = Ctx::new(Backend::Memory).await;
    let id = ctx.queue.enqueue(&ctx.world.rep_a, job()).await.unwrap();
    let h = Slow::new(Duration::from_secs(3_600));
    let w = slow_worker(
        &ctx,
        h.clone(),
        WorkerConfig::default().shutdown_grace(Duration::from_millis(50)),
    )
    .await;
    let started = h.clone();
    let report = w
        .run(async move {
            while started.now.load(Ordering::SeqCst) == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .unwrap();
    assert_eq!((report.completed, report.released), (0, 1));
    let stored = ctx.queue.get_job(&ctx.world.owner, id).await.unwrap();
    assert_eq!(stored.state, JobState::Queued, "another worker takes it");
    assert_eq!(stored.attempts, 0, "a hand-back is not an attempt");
    assert!(
        stored.run_after <= closeq_core::Clock::now(ctx.clock.as_ref()),
        "at once"
    );
}

#[tokio::test(start_paused = true)]
async fn a_rate_limit_spaces_the_jobs_of_its_kind() {
    let ctx = Ctx::new(Backend::Memory).await;
    for _ in 0..5 {
        ctx.queue.enqueue(&ctx.world.rep_a, job()).await.unwrap();
    }
    let h = Slow::new(Duration::ZERO);
    let w = Worker::builder(ctx.queue.clone(), ctx.stores.workspaces.clone())
        .handler(JobKind::Analyze, h.clone())
        .rate_limit(
            JobKind::Analyze,
            closeq_pipeline::RateLimit::new(60, 1).unwrap(),
        )
        .config(WorkerConfig::default().concurrency(4))
        .build()
        .unwrap();
    let start = tokio::time::Instant::now();
    let done = h.clone();
    w.run(async move {
        while done.done.load(Ordering::SeqCst) < 5 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();
    let took = start.elapsed();
    assert!(
        took >= Duration::from_secs(4) && took < Duration::from_secs(6),
        "one a second after the first: {took:?}"
    );
}

#[tokio::test]
async fn a_job_that_hangs_is_stopped_and_failed() {
    let ctx = Ctx::new(Backend::Memory).await;
    let id = ctx.queue.enqueue(&ctx.world.rep_a, job()).await.unwrap();
    let h = Slow::new(Duration::from_secs(3_600));
    let w = slow_worker(
        &ctx,
        h.clone(),
        WorkerConfig::default().max_run(Duration::from_millis(50)),
    )
    .await;
    assert_eq!(w.run_one().await.unwrap(), Some(id));
    let stored = ctx.queue.get_job(&ctx.world.owner, id).await.unwrap();
    assert_eq!((stored.state, stored.attempts), (JobState::Queued, 1));
    assert!(stored.last_error.unwrap().contains("max_run"));
}

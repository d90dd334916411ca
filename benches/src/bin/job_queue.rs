//! The job queue's budgets, measured in one run on SQLite and PostgreSQL:
//!
//! 1. throughput: 4 producers enqueue and 4 workers lease and complete
//!    4,000 jobs at once (jobs/s for the whole: enqueue + lease + complete);
//! 2. scaling with an I/O-bound provider: jobs that wait 200 ms, run by 1
//!    worker and by 8 workers (`Worker`, concurrency 1 each); the ratio of
//!    their throughputs;
//! 3. enqueue-to-lease latency of an idle `Worker` (polling; p50 and p95
//!    over 40 jobs), at the default 200 ms poll and at 20 ms.
//!
//! Run: `cargo run --release -p closeq-benches --bin job_queue`
//! (PostgreSQL from `CLOSEQ_TEST_POSTGRES_URL`, a superuser URL: the run
//! creates a database of its own and connects as the RLS-bound runtime
//! role; without it, SQLite only).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use closeq_core::ports::{JobKind, JobQueue, JobSpec, LeasedJob};
use closeq_core::testing::{Stores, World};
use closeq_core::{CallId, RetryPolicy, Scope, SystemClock};
use closeq_pipeline::worker::JobHandler;
use closeq_pipeline::{Worker, WorkerConfig};
use closeq_storage::{PostgresJobQueue, PostgresStore, SqliteJobQueue, SqliteStore, SubjectHasher};

const JOBS: usize = 4_000;

fn spec() -> JobSpec {
    JobSpec {
        kind: JobKind::Analyze,
        call_id: Some(CallId::new()),
        payload: serde_json::json!({"rubrics": ["discovery"]}),
        max_attempts: 3,
        run_after: None,
        every: None,
    }
}

async fn throughput(queue: Arc<dyn JobQueue>, scope: &Scope) -> f64 {
    let done = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (q, s) = (queue.clone(), scope.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..JOBS / 4 {
                q.enqueue(&s, spec()).await.unwrap();
            }
        }));
    }
    for w in 0..4 {
        let (q, done) = (queue.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let name = format!("w{w}");
            while done.load(Ordering::SeqCst) < JOBS {
                match q
                    .lease(&name, &[JobKind::Analyze], Duration::from_secs(60))
                    .await
                    .unwrap()
                {
                    Some(job) => {
                        q.complete(&job).await.unwrap();
                        done.fetch_add(1, Ordering::SeqCst);
                    }
                    // An idle worker asks again 1 ms later (a `Worker`
                    // waits for a wake-up or its poll, 200 ms by default):
                    // asking in a tight loop would take the producers' and
                    // the database's CPU on a 2-core machine.
                    None => tokio::time::sleep(Duration::from_millis(1)).await,
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    JOBS as f64 / start.elapsed().as_secs_f64()
}

/// The phases apart: 4 producers enqueue `JOBS` (jobs/s), then 4 workers
/// lease and complete them (jobs/s).
async fn phases(queue: Arc<dyn JobQueue>, scope: &Scope) -> (f64, f64) {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (q, s) = (queue.clone(), scope.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..JOBS / 4 {
                q.enqueue(&s, spec()).await.unwrap();
            }
        }));
    }
    for t in tasks.drain(..) {
        t.await.unwrap();
    }
    let enqueue = JOBS as f64 / start.elapsed().as_secs_f64();
    (enqueue, drain(&queue, JOBS).await)
}

/// 4 workers lease and complete until the queue has nothing runnable;
/// `jobs` (how many there were) per second.
async fn drain(queue: &Arc<dyn JobQueue>, jobs: usize) -> f64 {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..4 {
        let q = queue.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("w{w}");
            while let Some(job) = q
                .lease(&name, &[JobKind::Analyze], Duration::from_secs(60))
                .await
                .unwrap()
            {
                q.complete(&job).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    jobs as f64 / start.elapsed().as_secs_f64()
}

/// Lease + complete of 1,000 jobs by 4 workers while 2,000 older jobs are
/// leased and running (long transcriptions in flight): jobs/s. The lease
/// scan must not step over the running ones.
async fn with_jobs_in_flight(queue: Arc<dyn JobQueue>, scope: &Scope) -> f64 {
    let mut held = Vec::new();
    for _ in 0..2_000 {
        queue.enqueue(scope, spec()).await.unwrap();
    }
    while let Some(job) = queue
        .lease("holder", &[JobKind::Analyze], Duration::from_secs(3600))
        .await
        .unwrap()
    {
        held.push(job);
    }
    assert_eq!(held.len(), 2_000);
    for _ in 0..1_000 {
        queue.enqueue(scope, spec()).await.unwrap();
    }
    drain(&queue, 1_000).await
}

/// A provider call: waits, and notes when each job started.
struct Provider {
    wait: Duration,
    started: std::sync::Mutex<Vec<Instant>>,
    done: AtomicUsize,
}

#[async_trait]
impl JobHandler for Provider {
    async fn run(&self, _: &Scope, _: &LeasedJob, _: &dyn JobQueue) -> closeq_core::Result<()> {
        self.started.lock().unwrap().push(Instant::now());
        tokio::time::sleep(self.wait).await;
        self.done.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

fn provider(wait: Duration) -> Arc<Provider> {
    Arc::new(Provider {
        wait,
        started: std::sync::Mutex::new(Vec::new()),
        done: AtomicUsize::new(0),
    })
}

/// Runs `workers` workers until `jobs` are done; jobs/s.
async fn run_workers(
    stores: &Stores,
    queue: &Arc<dyn JobQueue>,
    scope: &Scope,
    workers: usize,
    jobs: usize,
) -> f64 {
    for _ in 0..jobs {
        queue.enqueue(scope, spec()).await.unwrap();
    }
    let p = provider(Duration::from_millis(200));
    let start = Instant::now();
    let mut running = Vec::new();
    for w in 0..workers {
        let worker = Worker::builder(queue.clone(), stores.workspaces.clone())
            .handler(JobKind::Analyze, p.clone())
            .config(
                WorkerConfig::default()
                    .name(format!("w{w}"))
                    .idle_poll(Duration::from_millis(20)),
            )
            .build()
            .unwrap();
        let done = p.clone();
        running.push(tokio::spawn(async move {
            worker
                .run(async move {
                    while done.done.load(Ordering::SeqCst) < jobs {
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    }
                })
                .await
                .unwrap()
        }));
    }
    for r in running {
        r.await.unwrap();
    }
    jobs as f64 / start.elapsed().as_secs_f64()
}

/// Enqueue-to-start latency of an idle worker polling every `poll`, and
/// woken by `wake` when given: (p50, p95) in ms.
async fn latency(
    stores: &Stores,
    queue: &Arc<dyn JobQueue>,
    scope: &Scope,
    poll: Duration,
    wake: Option<Arc<tokio::sync::Notify>>,
) -> (f64, f64) {
    let p = provider(Duration::ZERO);
    let mut builder = Worker::builder(queue.clone(), stores.workspaces.clone())
        .handler(JobKind::Analyze, p.clone())
        .config(WorkerConfig::default().idle_poll(poll));
    if let Some(n) = wake {
        builder = builder.wake_on(n);
    }
    let worker = builder.build().unwrap();
    let stop = Arc::new(AtomicUsize::new(0));
    let s = stop.clone();
    let handle = tokio::spawn(async move {
        worker
            .run(async move {
                while s.load(Ordering::SeqCst) == 0 {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            })
            .await
            .unwrap()
    });
    let mut lat = Vec::new();
    for i in 0..40u64 {
        // Enqueue at varied points of the poll cycle.
        tokio::time::sleep(Duration::from_millis(37 + (i * 53) % 200)).await;
        let t0 = Instant::now();
        queue.enqueue(scope, spec()).await.unwrap();
        while p.done.load(Ordering::SeqCst) <= i as usize {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let started = *p.started.lock().unwrap().last().unwrap();
        lat.push(started.duration_since(t0).as_secs_f64() * 1000.0);
    }
    stop.store(1, Ordering::SeqCst);
    handle.await.unwrap();
    lat.sort_by(f64::total_cmp);
    (lat[lat.len() / 2], lat[lat.len() * 95 / 100])
}

async fn report(
    name: &str,
    stores: Stores,
    fresh: impl Fn() -> Arc<dyn JobQueue>,
    wake: Option<Arc<tokio::sync::Notify>>,
) {
    let world = World::create(&stores).await;
    let scope = world.rep_a.clone();
    let rate = throughput(fresh(), &scope).await;
    println!("{name}: enqueue + lease + complete, 4 producers + 4 workers: {rate:.0} jobs/s");
    let (enqueue, drain) = phases(fresh(), &scope).await;
    println!(
        "{name}: phases apart: enqueue (4 producers) {enqueue:.0} jobs/s, lease + complete (4 workers) {drain:.0} jobs/s"
    );
    let in_flight = with_jobs_in_flight(fresh(), &scope).await;
    println!(
        "{name}: lease + complete (4 workers) with 2,000 older jobs running: {in_flight:.0} jobs/s"
    );
    let one = run_workers(&stores, &fresh(), &scope, 1, 16).await;
    let eight = run_workers(&stores, &fresh(), &scope, 8, 128).await;
    println!(
        "{name}: 200 ms provider: 1 worker {one:.2} jobs/s, 8 workers {eight:.2} jobs/s, ratio {:.2}",
        eight / one
    );
    for poll in [200, 20] {
        let (p50, p95) =
            latency(&stores, &fresh(), &scope, Duration::from_millis(poll), None).await;
        println!("{name}: enqueue-to-start, {poll} ms poll: p50 {p50:.1} ms, p95 {p95:.1} ms");
    }
    if let Some(n) = wake {
        let (p50, p95) = latency(
            &stores,
            &fresh(),
            &scope,
            Duration::from_millis(200),
            Some(n),
        )
        .await;
        println!(
            "{name}: enqueue-to-start, LISTEN/NOTIFY wake-ups, 200 ms poll fallback: p50 {p50:.1} ms, p95 {p95:.1} ms"
        );
    }
}

#[tokio::main]
async fn main() {
    let hasher = SubjectHasher::new([9; 32], "44");
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(dir.path().join("jobs.db"), hasher.clone())
        .await
        .unwrap();
    let q = sqlite.clone();
    report(
        "sqlite",
        Stores::of(Arc::new(sqlite)),
        move || {
            Arc::new(SqliteJobQueue::new(
                q.clone(),
                Arc::new(SystemClock),
                RetryPolicy::default(),
            ))
        },
        None,
    )
    .await;
    if let Some(db) = closeq_storage::testing::postgres_fresh_database().await {
        let pg = PostgresStore::connect_with(&db.runtime_url, 16, hasher)
            .await
            .unwrap();
        let q = pg.clone();
        let make =
            move || PostgresJobQueue::new(q.clone(), Arc::new(SystemClock), RetryPolicy::default());
        let wake = make().wake_ups().await.unwrap();
        report(
            "postgres",
            Stores::of(Arc::new(pg)),
            move || Arc::new(make()) as Arc<dyn JobQueue>,
            Some(wake),
        )
        .await;
    } else {
        println!("postgres: SKIPPED (CLOSEQ_TEST_POSTGRES_URL not set)");
    }
}

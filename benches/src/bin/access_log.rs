//! What the access log costs the reads it records: the list page and the
//! call view (call, transcript with word timings, scorecards) on SQLite,
//! through the plain store, the access-logged store with batched writes
//! (the default for servers), and write-through (the CLI's setting).
//!
//! Run: `cargo run --release -p closeq-benches --bin access_log [CALLS]`
//! (default 100000 calls; 100 of them carry 60-minute transcripts with
//! word timings, read by the call view).
//!
//! The three variants run interleaved, in blocks of 100 operations, 30
//! rounds; a block's time includes its flush (the batched recorder is
//! flushed at the end of each block, inside the timing), so the writes a
//! batch defers are counted. Printed per variant: the mean per operation,
//! and the median over rounds of the block's time relative to the plain
//! store's block in the same round (the machine's load drifts between
//! rounds; a ratio within a round does not).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use closeq_benches::synthetic;
use closeq_core::ports::{CallFilter, CallStore, PageRequest, WorkspaceStore};
use closeq_core::testing::call_store::sample_scorecard;
use closeq_core::testing::{Stores, World};
use closeq_core::{
    AccessQuery, Call, CallDirection, CallId, CallSource, Scope, SystemClock, Verdict,
};
use closeq_storage::{
    AccessLogConfig, AccessLoggedCallStore, AccessRecorder, CallBundle, SqliteStore, SubjectHasher,
};

const BLOCK: usize = 100;
const ROUNDS: usize = 30;

fn bundle(w: &World, rep: &Scope, i: usize, n: usize, transcript: bool) -> CallBundle {
    let year = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let t = year + chrono::Duration::seconds((i as i64 * 31_536_000) / n as i64);
    let mut c = Call::new(
        w.workspace.id,
        rep.user_id,
        t,
        CallDirection::Outbound,
        CallSource::Upload,
        t,
    );
    c.team_id = rep.team_ids.first().copied();
    let card = sample_scorecard(&c, (i % 100) as f64, &[("budget", Verdict::Met)]);
    CallBundle {
        call: c,
        transcript: transcript.then(|| synthetic::call(60, i as u64)),
        scorecards: vec![card],
        consent: None,
    }
}

/// One block of `op` on `store`; the recorder flushed inside the timing.
async fn block<F, Fut>(
    store: &Arc<dyn CallStore>,
    recorder: Option<&AccessRecorder>,
    op: F,
) -> Duration
where
    F: Fn(Arc<dyn CallStore>, usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let t = Instant::now();
    for i in 0..BLOCK {
        op(store.clone(), i).await;
    }
    if let Some(r) = recorder {
        r.flush().await.unwrap();
    }
    t.elapsed()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open(
            dir.path().join("access.db"),
            SubjectHasher::new([5; 32], "44"),
        )
        .await
        .unwrap(),
    );
    let w = World::create(&Stores::of(store.clone())).await;
    let reps = [&w.rep_a, &w.rep_b, &w.manager];
    let all: Vec<CallBundle> = (0..n)
        .map(|i| bundle(&w, reps[i % 3], i, n, false))
        .collect();
    for chunk in all.chunks(5_000) {
        store.ingest(&w.owner, chunk).await.unwrap();
    }
    let viewed: Vec<CallBundle> = (0..100)
        .map(|i| bundle(&w, &w.rep_a, i, 100, true))
        .collect();
    store.ingest(&w.owner, &viewed).await.unwrap();
    let viewed: Vec<CallId> = viewed.iter().map(|b| b.call.id).collect();
    sqlx::query("ANALYZE").execute(store.pool()).await.unwrap();

    let log: Arc<dyn WorkspaceStore> = store.clone();
    let batched = Arc::new(
        AccessRecorder::new(
            log.clone(),
            Arc::new(SystemClock),
            AccessLogConfig::default(),
        )
        .unwrap(),
    );
    let through = Arc::new(
        AccessRecorder::new(
            log.clone(),
            Arc::new(SystemClock),
            AccessLogConfig::WRITE_THROUGH,
        )
        .unwrap(),
    );
    let plain: Arc<dyn CallStore> = store.clone();
    let variants: [(&str, Arc<dyn CallStore>, Option<&AccessRecorder>); 3] = [
        ("plain store", plain.clone(), None),
        (
            "logged, batched (default)",
            Arc::new(AccessLoggedCallStore::new(plain.clone(), batched.clone())),
            Some(&batched),
        ),
        (
            "logged, write-through",
            Arc::new(AccessLoggedCallStore::new(plain.clone(), through.clone())),
            Some(&through),
        ),
    ];
    let owner = w.owner.clone();
    let manager = w.manager.clone();
    let rep = w.rep_a.clone();
    let mut list = [[Duration::ZERO; 2]; 3];
    let mut view = [Duration::ZERO; 3];
    // Per round and variant: owner list, manager list, call view.
    let mut rounds: Vec<[[Duration; 3]; 3]> = Vec::new();
    for _ in 0..ROUNDS {
        let mut this = [[Duration::ZERO; 3]; 3];
        for (v, (_, s, rec)) in variants.iter().enumerate() {
            for (k, scope) in [&owner, &manager].into_iter().enumerate() {
                this[v][k] = block(s, *rec, |s, _| {
                    let scope = scope.clone();
                    async move {
                        let p = s
                            .list_calls(&scope, &CallFilter::default(), &PageRequest::first(50))
                            .await
                            .unwrap();
                        assert_eq!(p.items.len(), 50);
                    }
                })
                .await;
                list[v][k] += this[v][k];
            }
            this[v][2] = block(s, *rec, |s, i| {
                let (scope, id) = (rep.clone(), viewed[i % viewed.len()]);
                async move {
                    s.get_call(&scope, id).await.unwrap();
                    let t = s.get_transcript(&scope, id).await.unwrap();
                    assert!(!t.utterances[0].words.is_empty());
                    assert_eq!(s.list_scorecards(&scope, id).await.unwrap().len(), 1);
                }
            })
            .await;
            view[v] += this[v][2];
        }
        rounds.push(this);
    }
    let median_ratio = |v: usize, k: usize| {
        let mut r: Vec<f64> = rounds
            .iter()
            .map(|t| t[v][k].as_secs_f64() / t[0][k].as_secs_f64())
            .collect();
        r.sort_by(f64::total_cmp);
        r[r.len() / 2]
    };
    let ops = (BLOCK * ROUNDS) as u32;
    println!(
        "access log on SQLite, {n} calls; mean per operation over {ops} (flushes included); in brackets the median over rounds of the ratio to the plain store:"
    );
    println!(
        "| variant | owner list page | manager list page | call view (60-min transcript with word timings) |"
    );
    println!("|---|---|---|---|");
    for (v, (name, _, _)) in variants.iter().enumerate() {
        println!(
            "| {name} | {:?} ({:.3}) | {:?} ({:.3}) | {:?} ({:.3}) |",
            list[v][0] / ops,
            median_ratio(v, 0),
            list[v][1] / ops,
            median_ratio(v, 1),
            view[v] / ops,
            median_ratio(v, 2),
        );
    }
    let written = store
        .list_access(&w.owner, &AccessQuery::first(1_000))
        .await
        .unwrap();
    assert!(!written.is_empty(), "the logged variants wrote records");
}

//! Storage throughput and latency: SQLite ingest and queries, and the cost
//! of PostgreSQL Row-Level Security measured on the store's own queries.
//!
//! Run: `cargo run --release -p closeq-benches --bin storage`
//! (PostgreSQL part: set `CLOSEQ_TEST_POSTGRES_URL` to a superuser URL;
//! `scripts/test` starts one.) Optional arguments: the number of calls for
//! the SQLite query benchmarks (default 100000), then `sqlite` or
//! `postgres` to run only that part.
//!
//! `CLOSEQ_BENCH_KEEP_DB=1` keeps the PostgreSQL database for `EXPLAIN`.
//!
//! The RLS comparison runs the same `PostgresStore` methods on one database
//! (20 workspaces × 5,000 calls) through two pools, interleaved: one as the
//! RLS-bound runtime role, one as a role with BYPASSRLS, for an owner, a
//! manager and a member of one workspace. Both must return the same
//! results; the ratio of their medians (and minimums) is the RLS overhead.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use closeq_benches::synthetic;
use closeq_core::ports::{AggregateQuery, CallFilter, CallStore, GroupBy, PageRequest};
use closeq_core::testing::call_store::sample_scorecard;
use closeq_core::testing::{Stores, World};
use closeq_core::{Call, CallDirection, CallSource, Scope, TeamId, Transcript, Verdict};
use closeq_storage::{CallBundle, PostgresStore, SqliteStore, SubjectHasher};
use sqlx::Connection;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn year_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

/// `n` calls spread over one year, by the reps of `cycle` in turn (each
/// with its team), each with a scorecard.
fn bundles(
    w: &World,
    cycle: &[(&Scope, TeamId)],
    n: usize,
    transcript: Option<&Transcript>,
) -> Vec<CallBundle> {
    (0..n)
        .map(|i| {
            let (rep, team) = cycle[i % cycle.len()];
            let t = year_start() + chrono::Duration::seconds((i as i64 * 31_536_000) / n as i64);
            let mut c = Call::new(
                w.workspace.id,
                rep.user_id,
                t,
                CallDirection::Outbound,
                CallSource::Upload,
                t,
            );
            c.team_id = Some(team);
            let budget = if i % 2 == 0 {
                Verdict::Met
            } else {
                Verdict::Missed
            };
            let verdicts = [
                ("budget", budget),
                ("authority", Verdict::Partial),
                ("need", Verdict::Met),
                ("timeline", Verdict::Missed),
            ];
            let card = sample_scorecard(&c, (i % 100) as f64, &verdicts);
            CallBundle {
                call: c,
                transcript: transcript.cloned(),
                scorecards: vec![card],
                consent: None,
            }
        })
        .collect()
}

/// The cursor after the first `rows` calls the scope sees.
async fn cursor_after(
    store: &dyn CallStore,
    scope: &Scope,
    rows: u32,
) -> Option<closeq_core::ports::Cursor> {
    let mut p = PageRequest::first(500);
    for _ in 0..rows / 500 {
        let r = store
            .list_calls(scope, &CallFilter::default(), &p)
            .await
            .unwrap();
        assert!(r.next.is_some(), "the scope sees fewer than {rows} calls");
        p.after = r.next;
    }
    p.after
}

fn dashboard(days: i64, group_by: GroupBy) -> AggregateQuery {
    AggregateQuery {
        group_by,
        from: year_start() + chrono::Duration::days(300),
        to: year_start() + chrono::Duration::days(300 + days),
    }
}

async fn sqlite_ingest(w: &World, store: &SqliteStore, words: bool) {
    let mut t60 = synthetic::call(60, 7);
    if !words {
        for u in &mut t60.utterances {
            u.words.clear();
        }
    }
    let bytes = serde_json::to_vec(&t60).unwrap().len();
    let total = 2_000;
    let cycle = [
        (&w.rep_a, w.team_a),
        (&w.rep_b, w.team_b),
        (&w.manager, w.team_a),
    ];
    let all = bundles(w, &cycle, total, Some(&t60));
    let started = Instant::now();
    for chunk in all.chunks(200) {
        store.ingest(&w.owner, chunk).await.unwrap();
    }
    let el = started.elapsed();
    println!(
        "sqlite ingest: {total} calls with 60-min transcripts {} ({} KB each, {} turns) and scorecards, batches of 200: {:.0} calls/s ({el:?})",
        if words {
            "with word timings"
        } else {
            "without word timings"
        },
        bytes / 1024,
        t60.utterances.len(),
        total as f64 / el.as_secs_f64(),
    );
}

async fn sqlite_queries(label: &str, store: &dyn CallStore, scope: &Scope) {
    let (mut list, mut deep, mut agg30, mut agg365) = (vec![], vec![], vec![], vec![]);
    let cursor = cursor_after(store, scope, 20_000).await;
    let year = AggregateQuery {
        group_by: GroupBy::Team,
        from: year_start(),
        to: year_start() + chrono::Duration::days(366),
    };
    for _ in 0..30 {
        let t = Instant::now();
        let p = store
            .list_calls(scope, &CallFilter::default(), &PageRequest::first(50))
            .await
            .unwrap();
        list.push(t.elapsed());
        assert_eq!(p.items.len(), 50);
        let page = PageRequest {
            limit: 50,
            after: cursor.clone(),
        };
        let t = Instant::now();
        store
            .list_calls(scope, &CallFilter::default(), &page)
            .await
            .unwrap();
        deep.push(t.elapsed());
        let t = Instant::now();
        store
            .aggregate(scope, &dashboard(30, GroupBy::Rep))
            .await
            .unwrap();
        agg30.push(t.elapsed());
        let t = Instant::now();
        assert!(!store.aggregate(scope, &year).await.unwrap().is_empty());
        agg365.push(t.elapsed());
    }
    println!(
        "{label}: list page {:?} · page after 20,000 {:?} · 30-day dashboard {:?} · full-year dashboard {:?}",
        median(list),
        median(deep),
        median(agg30),
        median(agg365)
    );
}

/// `postgres://USER@HOST:PORT/DB` from the superuser URL.
fn url_for(admin: &str, user: &str, db: &str) -> String {
    let host = admin.rsplit('@').next().unwrap().split('/').next().unwrap();
    format!("postgres://{user}@{host}/{db}")
}

const RUNTIME: &str = "closeq_app";
const BYPASS: &str = "closeq_bench_bypass";
/// Interleaved rounds per scope (each runs every query on both stores).
const ROUNDS: usize = 1_500;
/// Unrecorded rounds first (prepared statements, plan caches, buffers).
const WARM_UP: usize = 50;

/// A fresh database migrated by its owner, for the RLS-bound runtime role
/// and for the role that will get BYPASSRLS.
async fn postgres_database(admin: &str) -> String {
    let db = format!("closeq_bench_{}", uuid::Uuid::new_v4().simple());
    let mut c = sqlx::PgConnection::connect(admin).await.unwrap();
    for role in ["closeq_owner", RUNTIME, BYPASS] {
        let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_roles WHERE rolname = $1")
            .bind(role)
            .fetch_optional(&mut c)
            .await
            .unwrap();
        if exists.is_none() {
            sqlx::query(&format!("CREATE ROLE {role} LOGIN"))
                .execute(&mut c)
                .await
                .unwrap();
        }
    }
    // Both data roles start without BYPASSRLS: PostgresStore::connect
    // refuses a role that has it.
    for role in [RUNTIME, BYPASS] {
        sqlx::query(&format!("ALTER ROLE {role} NOSUPERUSER NOBYPASSRLS"))
            .execute(&mut c)
            .await
            .unwrap();
    }
    sqlx::query(&format!("CREATE DATABASE {db} OWNER closeq_owner"))
        .execute(&mut c)
        .await
        .unwrap();
    let owner = url_for(admin, "closeq_owner", &db);
    PostgresStore::migrate(&owner, RUNTIME).await.unwrap();
    PostgresStore::migrate(&owner, BYPASS).await.unwrap();
    db
}

/// The ids of a page of 50 calls.
async fn list_answer(store: &dyn CallStore, scope: &Scope, page: &PageRequest) -> String {
    let p = store
        .list_calls(scope, &CallFilter::default(), page)
        .await
        .unwrap();
    assert_eq!(p.items.len(), 50);
    let ids: Vec<_> = p.items.iter().map(|c| c.id.to_string()).collect();
    ids.join(",")
}

/// The 30-day dashboard, its averages to 1e-9 (sums may add up in another
/// order).
async fn dashboard_answer(store: &dyn CallStore, scope: &Scope) -> String {
    let rows = store
        .aggregate(scope, &dashboard(30, GroupBy::Rep))
        .await
        .unwrap();
    let r9 = |x: Option<f64>| x.map(|v| (v * 1e9).round() as i64);
    let rows: Vec<_> = rows
        .iter()
        .map(|r| {
            let hits: Vec<_> = r
                .criterion_hit_rate
                .values()
                .map(|&v| r9(Some(v)))
                .collect();
            let (avg, talk) = (r9(r.avg_score), r9(r.avg_rep_talk_ratio));
            format!(
                "{:?} {} {} {avg:?} {talk:?} {hits:?}",
                r.key, r.calls, r.scored_calls
            )
        })
        .collect();
    rows.join("; ")
}

/// One store query, timed on both stores in turn; both must agree.
struct Pair {
    rls: Vec<Duration>,
    bypass: Vec<Duration>,
}

impl Pair {
    /// Prints the row; returns its three ratios.
    fn row(&self, name: &str) -> [f64; 3] {
        let (r, b) = (median(self.rls.clone()), median(self.bypass.clone()));
        let secs = |d: &Duration| d.as_secs_f64();
        let of_medians = secs(&r) / secs(&b);
        let of_minimums =
            secs(self.rls.iter().min().unwrap()) / secs(self.bypass.iter().min().unwrap());
        // Each round timed both back to back: the median of those ratios
        // is the least disturbed by the load of a shared machine.
        let mut paired: Vec<f64> = self
            .rls
            .iter()
            .zip(&self.bypass)
            .map(|(r, b)| secs(r) / secs(b))
            .collect();
        paired.sort_by(f64::total_cmp);
        let of_pairs = paired[paired.len() / 2];
        println!(
            "| {name} | {r:.2?} | {b:.2?} | {of_medians:.2} | {of_minimums:.2} | {of_pairs:.2} |"
        );
        [of_medians, of_minimums, of_pairs]
    }
}

async fn rls_overhead(admin: &str) {
    let db = postgres_database(admin).await;
    let hasher = SubjectHasher::new([5; 32], "44");
    let runtime = url_for(admin, RUNTIME, &db);
    let writer = Arc::new(
        PostgresStore::connect(&runtime, hasher.clone())
            .await
            .unwrap(),
    );
    // Connected while the role has no BYPASSRLS yet (connect checks).
    let bypass = PostgresStore::connect(&url_for(admin, BYPASS, &db), hasher.clone())
        .await
        .unwrap();
    let mut su = sqlx::PgConnection::connect(&url_for(admin, "postgres", &db))
        .await
        .unwrap();
    sqlx::query(&format!("ALTER ROLE {BYPASS} BYPASSRLS"))
        .execute(&mut su)
        .await
        .unwrap();

    // 20 workspaces × 5,000 calls: a member owns half of a workspace's
    // calls, the manager sees their team's (three quarters).
    let stores = Stores::of(writer.clone());
    let started = Instant::now();
    let mut worlds = Vec::new();
    for _ in 0..20 {
        let w = World::create(&stores).await;
        let cycle = [
            (&w.rep_a, w.team_a),
            (&w.rep_b, w.team_b),
            (&w.rep_a, w.team_a),
            (&w.manager, w.team_a),
        ];
        for chunk in bundles(&w, &cycle, 5_000, None).chunks(1_000) {
            writer.ingest(&w.owner, chunk).await.unwrap();
        }
        worlds.push(w);
    }
    println!(
        "postgres ingest of 20 workspaces × 5,000 calls with scorecards: {:?}",
        started.elapsed()
    );
    sqlx::query("ANALYZE").execute(&mut su).await.unwrap();
    writer.pool().close().await;
    // A fresh pool, like the bypass role's: both have run one query so far.
    let rls = PostgresStore::connect(&runtime, hasher).await.unwrap();
    // The bypass role sees every workspace's rows with no scope at all;
    // the runtime role sees none.
    let count = |url: String| async move {
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        let n: (i64,) = sqlx::query_as("SELECT count(*) FROM calls")
            .fetch_one(&mut c)
            .await
            .unwrap();
        n.0
    };
    assert_eq!(count(url_for(admin, BYPASS, &db)).await, 100_000);
    assert_eq!(count(url_for(admin, RUNTIME, &db)).await, 0);

    let w = &worlds[10];
    println!(
        "\n| scope · query | RLS runtime role (median) | BYPASSRLS role (median) | ratio of medians | ratio of minimums | median of paired ratios |"
    );
    println!("|---|---|---|---|---|---|");
    let mut worst = [0.0f64; 3];
    for (name, scope) in [
        ("owner", &w.owner),
        ("manager", &w.manager),
        ("member", &w.rep_a),
    ] {
        let cursor = cursor_after(&rls, scope, 2_000).await;
        let deep = PageRequest {
            limit: 50,
            after: cursor,
        };
        let queries = [PageRequest::first(50), deep];
        let mut pairs: [Pair; 3] = std::array::from_fn(|_| Pair {
            rls: Vec::new(),
            bypass: Vec::new(),
        });
        for round in 0..WARM_UP + ROUNDS {
            for (q, pair) in pairs.iter_mut().enumerate() {
                // Each query on both stores back to back, alternating which
                // goes first.
                let rls_first = (round + q) % 2 == 0;
                let order: [(&dyn CallStore, bool); 2] = if rls_first {
                    [(&rls, true), (&bypass, false)]
                } else {
                    [(&bypass, false), (&rls, true)]
                };
                let mut seen = Vec::new();
                for (store, is_rls) in order {
                    let t = Instant::now();
                    let answer = match queries.get(q) {
                        Some(page) => list_answer(store, scope, page).await,
                        None => dashboard_answer(store, scope).await,
                    };
                    let d = t.elapsed();
                    if round >= WARM_UP {
                        (if is_rls {
                            &mut pair.rls
                        } else {
                            &mut pair.bypass
                        })
                        .push(d);
                    }
                    seen.push(answer);
                }
                assert_eq!(seen[0], seen[1], "RLS must not change what {name} sees");
            }
        }
        for (p, q) in pairs
            .iter()
            .zip(["list page", "page after 2,000 rows", "30-day dashboard"])
        {
            let ratios = p.row(&format!("{name} · {q}"));
            for (w, r) in worst.iter_mut().zip(ratios) {
                *w = w.max(r);
            }
        }
    }
    println!(
        "\nworst ratios (budget 1.3): of medians {:.2}, of minimums {:.2}, median of paired {:.2}",
        worst[0], worst[1], worst[2]
    );
    rls.pool().close().await;
    bypass.pool().close().await;
    su.close().await.unwrap();
    if std::env::var_os("CLOSEQ_BENCH_KEEP_DB").is_some() {
        println!("kept database {db} (workspace {})", w.workspace.id);
        return;
    }
    let mut c = sqlx::PgConnection::connect(admin).await.unwrap();
    sqlx::query(&format!("DROP DATABASE {db} WITH (FORCE)"))
        .execute(&mut c)
        .await
        .unwrap();
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let only = std::env::args().nth(2);
    if only.as_deref() != Some("postgres") {
        sqlite(n).await;
    }
    if only.as_deref() != Some("sqlite") {
        match std::env::var("CLOSEQ_TEST_POSTGRES_URL") {
            Ok(admin) => rls_overhead(&admin).await,
            Err(_) => println!("postgres: skipped (CLOSEQ_TEST_POSTGRES_URL not set)"),
        }
    }
}

async fn sqlite(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let hasher = SubjectHasher::new([5; 32], "44");

    // 1. Ingest of calls with 60-minute transcripts and scorecards, without
    //    and with per-word timings.
    //    Each database is removed afterwards (the second is 1.5 GB): what
    //    follows should not run against its pages in the cache.
    for words in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(
            SqliteStore::open(dir.path().join("ingest.db"), hasher.clone())
                .await
                .unwrap(),
        );
        let w = World::create(&Stores::of(store.clone())).await;
        sqlite_ingest(&w, &store, words).await;
        store.pool().close().await;
    }

    // 2. Queries at n calls.
    let sqlite = Arc::new(
        SqliteStore::open(dir.path().join("query.db"), hasher.clone())
            .await
            .unwrap(),
    );
    let w = World::create(&Stores::of(sqlite.clone())).await;
    let cycle = [
        (&w.rep_a, w.team_a),
        (&w.rep_b, w.team_b),
        (&w.manager, w.team_a),
    ];
    for chunk in bundles(&w, &cycle, n, None).chunks(5_000) {
        sqlite.ingest(&w.owner, chunk).await.unwrap();
    }
    sqlx::query("ANALYZE").execute(sqlite.pool()).await.unwrap();
    for (who, scope) in [("owner", &w.owner), ("manager", &w.manager)] {
        sqlite_queries(&format!("sqlite, {n} calls, {who}"), sqlite.as_ref(), scope).await;
    }
}

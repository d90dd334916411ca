//! Storage throughput and latency, on SQLite and (when a server is given)
//! PostgreSQL under Row-Level Security versus a connection without RLS.
//!
//! Run: `cargo run --release -p closeq-benches --bin storage`
//! (PostgreSQL part: set `CLOSEQ_TEST_POSTGRES_URL` to a superuser URL;
//! `scripts/test` starts one.) Optional arguments: number of calls for the
//! query benchmarks (default 100000).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use closeq_benches::synthetic;
use closeq_core::ports::{
    AggregateQuery, CallFilter, CallStore, GroupBy, PageRequest, WorkspaceStore,
};
use closeq_core::testing::call_store::sample_scorecard;
use closeq_core::testing::{Stores, World};
use closeq_core::{Call, CallDirection, CallSource, Scope, Verdict};
use closeq_storage::{CallBundle, PostgresStore, SqliteStore, SubjectHasher};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn year_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

/// `n` calls spread over one year, by the world's reps, each with a scorecard.
fn bundles(w: &World, n: usize, transcript: Option<&closeq_core::Transcript>) -> Vec<CallBundle> {
    let reps = [&w.rep_a, &w.rep_b, &w.manager];
    (0..n)
        .map(|i| {
            let rep = reps[i % 3];
            let team = if i % 3 == 1 {
                Some(w.team_b)
            } else {
                Some(w.team_a)
            };
            let t = year_start() + chrono::Duration::seconds((i as i64 * 31_536_000) / n as i64);
            let mut c = Call::new(
                w.workspace.id,
                rep.user_id,
                t,
                CallDirection::Outbound,
                CallSource::Upload,
                t,
            );
            c.team_id = team;
            let verdicts = [
                (
                    "budget",
                    if i % 2 == 0 {
                        Verdict::Met
                    } else {
                        Verdict::Missed
                    },
                ),
                ("authority", Verdict::Partial),
                ("need", Verdict::Met),
                ("timeline", Verdict::Missed),
            ];
            let card = sample_scorecard(&c, (i % 100) as f64, &verdicts);
            CallBundle {
                call: c,
                transcript: transcript.cloned(),
                scorecard: Some(card),
                consent: None,
            }
        })
        .collect()
}

async fn queries(
    label: &str,
    store: &dyn CallStore,
    scope: &Scope,
) -> (Duration, Duration, Duration, Duration) {
    let mut list = Vec::new();
    let mut deep = Vec::new();
    let mut agg30 = Vec::new();
    let mut agg365 = Vec::new();
    let cursor = {
        let mut p = PageRequest::first(1000);
        for _ in 0..20 {
            let r = store
                .list_calls(scope, &CallFilter::default(), &p)
                .await
                .unwrap();
            p.after = r.next;
        }
        p.after
    };
    for _ in 0..30 {
        let t = Instant::now();
        let p = store
            .list_calls(scope, &CallFilter::default(), &PageRequest::first(50))
            .await
            .unwrap();
        list.push(t.elapsed());
        assert_eq!(p.items.len(), 50);
        let t = Instant::now();
        store
            .list_calls(
                scope,
                &CallFilter::default(),
                &PageRequest {
                    limit: 50,
                    after: cursor.clone(),
                },
            )
            .await
            .unwrap();
        deep.push(t.elapsed());
        let q = AggregateQuery {
            group_by: GroupBy::Rep,
            from: year_start() + chrono::Duration::days(300),
            to: year_start() + chrono::Duration::days(330),
        };
        let t = Instant::now();
        store.aggregate(scope, &q).await.unwrap();
        agg30.push(t.elapsed());
        let q = AggregateQuery {
            group_by: GroupBy::Team,
            from: year_start(),
            to: year_start() + chrono::Duration::days(366),
        };
        let t = Instant::now();
        let rows = store.aggregate(scope, &q).await.unwrap();
        agg365.push(t.elapsed());
        assert!(!rows.is_empty());
    }
    let r = (median(list), median(deep), median(agg30), median(agg365));
    println!(
        "{label}: list page {:?} · page after 20,000 {:?} · 30-day dashboard {:?} · full-year dashboard {:?}",
        r.0, r.1, r.2, r.3
    );
    r
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let hasher = SubjectHasher::new([5; 32], "44");

    // 1. Ingest of calls with 60-minute transcripts and scorecards.
    let sqlite = Arc::new(
        SqliteStore::open(dir.path().join("ingest.db"), hasher.clone())
            .await
            .unwrap(),
    );
    let stores = Stores::of(sqlite.clone());
    let w = World::create(&stores).await;
    let mut t60 = synthetic::call(60, 7);
    for u in &mut t60.utterances {
        u.words.clear();
    }
    let transcript_bytes = serde_json::to_vec(&t60).unwrap().len();
    let total = 2_000;
    let all = bundles(&w, total, Some(&t60));
    let started = Instant::now();
    for chunk in all.chunks(200) {
        sqlite.ingest(&w.owner, chunk).await.unwrap();
    }
    let el = started.elapsed();
    println!(
        "sqlite ingest: {total} calls with 60-min transcripts ({} KB each, {} turns) and scorecards, batches of 200: {:.0} calls/s ({:?})",
        transcript_bytes / 1024,
        t60.utterances.len(),
        total as f64 / el.as_secs_f64(),
        el
    );

    // 2. Queries at n calls.
    let sqlite = Arc::new(
        SqliteStore::open(dir.path().join("query.db"), hasher.clone())
            .await
            .unwrap(),
    );
    let stores = Stores::of(sqlite.clone());
    let w = World::create(&stores).await;
    for chunk in bundles(&w, n, None).chunks(5_000) {
        sqlite.ingest(&w.owner, chunk).await.unwrap();
    }
    sqlx::query("ANALYZE").execute(sqlite.pool()).await.unwrap();
    queries(
        &format!("sqlite, {n} calls, owner"),
        sqlite.as_ref(),
        &w.owner,
    )
    .await;
    queries(
        &format!("sqlite, {n} calls, manager"),
        sqlite.as_ref(),
        &w.manager,
    )
    .await;

    // 3. PostgreSQL: runtime role under RLS versus the same SQL without RLS.
    let Ok(admin) = std::env::var("CLOSEQ_TEST_POSTGRES_URL") else {
        println!("postgres: skipped (CLOSEQ_TEST_POSTGRES_URL not set)");
        return;
    };
    let db = format!("closeq_bench_{}", uuid::Uuid::new_v4().simple());
    let url = |user: &str| {
        let host = admin.split('@').nth(1).unwrap().split('/').next().unwrap();
        format!("postgres://{user}@{host}/{db}")
    };
    {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
        for (role, extra) in [
            ("closeq_owner", ""),
            ("closeq_app", " NOSUPERUSER NOBYPASSRLS"),
        ] {
            let exists: Option<(i32,)> =
                sqlx::query_as("SELECT 1 FROM pg_roles WHERE rolname = $1")
                    .bind(role)
                    .fetch_optional(&mut c)
                    .await
                    .unwrap();
            if exists.is_none() {
                sqlx::query(&format!("CREATE ROLE {role} LOGIN{extra}"))
                    .execute(&mut c)
                    .await
                    .unwrap();
            }
        }
        sqlx::query(&format!("CREATE DATABASE {db} OWNER closeq_owner"))
            .execute(&mut c)
            .await
            .unwrap();
    }
    PostgresStore::migrate(&url("closeq_owner"), "closeq_app")
        .await
        .unwrap();
    let pg = Arc::new(
        PostgresStore::connect(&url("closeq_app"), hasher)
            .await
            .unwrap(),
    );
    let stores = Stores::of(pg.clone());
    let w = World::create(&stores).await;
    let _ = pg.get_workspace(&w.owner).await.unwrap();
    let started = Instant::now();
    for chunk in bundles(&w, n, None).chunks(5_000) {
        pg.ingest(&w.owner, chunk).await.unwrap();
    }
    println!(
        "postgres ingest of {n} calls with scorecards: {:?}",
        started.elapsed()
    );
    let su = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&url("postgres"))
        .await
        .unwrap();
    sqlx::query("ANALYZE").execute(&su).await.unwrap();
    queries(
        &format!("postgres, {n} calls, owner scope (through the store)"),
        pg.as_ref(),
        &w.owner,
    )
    .await;

    // Identical statements: as the RLS-bound runtime role with the scope set,
    // and as a superuser (RLS bypassed) with the workspace in the WHERE clause.
    let ws = w.workspace.id.as_uuid();
    let from = year_start();
    let to = year_start() + chrono::Duration::days(366);
    let list_sql = "SELECT c.data FROM calls c WHERE c.workspace_id = $1 ORDER BY c.started_at DESC, c.id DESC LIMIT 51";
    let agg_sql = "SELECT c.team_id::text, SUM(c.calls), SUM(c.scored), SUM(c.score_sum), SUM(c.talk_sum), SUM(c.talk_n) FROM daily_stats c WHERE c.workspace_id = $1 AND c.day >= extract(epoch FROM $2::timestamptz)::int / 86400 AND c.day < extract(epoch FROM $3::timestamptz)::int / 86400 GROUP BY 1";
    let hit_sql = "SELECT c.team_id::text, c.criterion_id, SUM(c.value_sum), SUM(c.n) FROM daily_verdicts c WHERE c.workspace_id = $1 AND c.day >= extract(epoch FROM $2::timestamptz)::int / 86400 AND c.day < extract(epoch FROM $3::timestamptz)::int / 86400 GROUP BY 1, 2";
    let mut results = Vec::new();
    for (name, sql) in [
        ("list page", list_sql),
        ("dashboard aggregate", agg_sql),
        ("dashboard hit rates", hit_sql),
    ] {
        let mut rls = Vec::new();
        let mut bare = Vec::new();
        for _ in 0..200 {
            let mut tx = pg.pool().begin().await.unwrap();
            sqlx::query("SELECT set_config('closeq.workspace_id', $1, true), set_config('closeq.user_id', $2, true), set_config('closeq.role', 'owner', true)")
                .bind(ws.to_string())
                .bind(w.owner.user_id.to_string())
                .execute(&mut *tx)
                .await
                .unwrap();
            let t = Instant::now();
            let a = sqlx::query(sql)
                .bind(ws)
                .bind(from)
                .bind(to)
                .fetch_all(&mut *tx)
                .await
                .unwrap()
                .len();
            rls.push(t.elapsed());
            tx.rollback().await.unwrap();
            let t = Instant::now();
            let b = sqlx::query(sql)
                .bind(ws)
                .bind(from)
                .bind(to)
                .fetch_all(&su)
                .await
                .unwrap()
                .len();
            bare.push(t.elapsed());
            assert_eq!(a, b, "RLS must not change what the owner sees");
        }
        let (r, b) = (median(rls), median(bare));
        println!(
            "postgres {name}: RLS runtime role {r:?} · without RLS {b:?} · ratio {:.2}",
            r.as_secs_f64() / b.as_secs_f64()
        );
        results.push(r.as_secs_f64() / b.as_secs_f64());
    }
    su.close().await;
}

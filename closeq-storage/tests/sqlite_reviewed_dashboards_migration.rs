//! Migration 0006 (dashboards count reviewed results) on a database
//! created by the previous schema: a SQLite file migrated to 0004 only (the
//! migration files as they were), holding calls whose latest cards were
//! accepted, overridden (score and a verdict) and rejected, a call whose
//! older card was rejected and whose latest is a suggestion, and the
//! summary columns and rollups the store wrote then (raw AI scores). Opened
//! by today's store, its dashboards and score filters must agree with the
//! memory store (the reference model) holding the same records.
#![cfg(feature = "store-sqlite")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

mod reviewed_records;

use closeq_core::ports::{CallFilter, PageRequest, ReviewRecord};
use closeq_core::testing::Stores;
use closeq_core::{Call, Scorecard, Verdict};
use closeq_storage::SqliteStore;
use reviewed_records::same;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool as Pool};

async fn previous_schema(pool: &Pool, dir: &std::path::Path) {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let old = dir.join("migrations");
    std::fs::create_dir(&old).unwrap();
    for name in [
        "0001_init.sql",
        "0002_privacy.sql",
        "0003_call_columns.sql",
        "0004_scorecard_key.sql",
    ] {
        std::fs::copy(src.join(name), old.join(name)).unwrap();
    }
    let m = sqlx::migrate::Migrator::new(old.as_path()).await.unwrap();
    m.run(pool).await.unwrap();
}

/// Writes `call`, its `cards` and the verdict rows and rollup of its latest
/// card as the store at 0004 did: raw AI scores and verdicts.
async fn write_old(pool: &Pool, call: &Call, cards: &[&Scorecard]) {
    let latest = cards.last();
    let score = latest.map(|s| s.score.value());
    let talk = latest
        .and_then(|s| s.metrics.as_ref())
        .map(|m| m.talk_ratio.rep);
    sqlx::query("INSERT INTO calls (id, workspace_id, rep_id, team_id, started_at, status, outcome, latest_score, latest_rubric, latest_talk_ratio, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(call.id.to_string())
        .bind(call.workspace_id.to_string())
        .bind(call.rep_id.to_string())
        .bind(call.team_id.map(|t| t.to_string()))
        .bind(call.started_at.timestamp_micros())
        .bind(call.status().name())
        .bind("unknown")
        .bind(score)
        .bind(latest.map(|s| s.provenance.rubric_id.as_str().to_owned()))
        .bind(talk)
        .bind(serde_json::to_string(call).unwrap())
        .execute(pool)
        .await
        .unwrap();
    for (seq, card) in (1_i64..).zip(cards) {
        sqlx::query("INSERT INTO scorecards (id, call_id, workspace_id, rep_id, team_id, seq, reviewed, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(card.id.to_string())
            .bind(call.id.to_string())
            .bind(call.workspace_id.to_string())
            .bind(call.rep_id.to_string())
            .bind(call.team_id.map(|t| t.to_string()))
            .bind(seq)
            .bind(card.review().is_reviewed())
            .bind(serde_json::to_string(card).unwrap())
            .execute(pool)
            .await
            .unwrap();
        if card.review().is_reviewed() {
            let record = ReviewRecord {
                scorecard_id: card.id,
                state: card.review().clone(),
            };
            sqlx::query(
                "INSERT INTO review_events (scorecard_id, workspace_id, data) VALUES (?, ?, ?)",
            )
            .bind(card.id.to_string())
            .bind(call.workspace_id.to_string())
            .bind(serde_json::to_string(&record).unwrap())
            .execute(pool)
            .await
            .unwrap();
        }
    }
    let team = call
        .team_id
        .map_or("00000000-0000-0000-0000-000000000000".to_owned(), |t| {
            t.to_string()
        });
    let day = call.started_at.timestamp().div_euclid(86_400);
    sqlx::query("INSERT INTO daily_stats (workspace_id, day, rep_id, team_id, calls, scored, score_sum, talk_sum, talk_n) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?) \
                 ON CONFLICT (workspace_id, day, rep_id, team_id) DO UPDATE SET calls = calls + 1, scored = scored + excluded.scored, \
                 score_sum = score_sum + excluded.score_sum, talk_sum = talk_sum + excluded.talk_sum, talk_n = talk_n + excluded.talk_n")
        .bind(call.workspace_id.to_string())
        .bind(day)
        .bind(call.rep_id.to_string())
        .bind(&team)
        .bind(i64::from(score.is_some()))
        .bind(score.unwrap_or(0.0))
        .bind(talk.unwrap_or(0.0))
        .bind(i64::from(talk.is_some()))
        .execute(pool)
        .await
        .unwrap();
    for r in latest.map(|c| c.criteria.clone()).unwrap_or_default() {
        let v = match r.verdict {
            Verdict::Met => 1.0,
            Verdict::Partial => 0.5,
            Verdict::NotApplicable => continue,
            _ => 0.0,
        };
        sqlx::query("INSERT INTO call_verdicts (call_id, workspace_id, rep_id, team_id, criterion_id, value) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(call.id.to_string())
            .bind(call.workspace_id.to_string())
            .bind(call.rep_id.to_string())
            .bind(call.team_id.map(|t| t.to_string()))
            .bind(&r.criterion_id)
            .bind(v)
            .execute(pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO daily_verdicts (workspace_id, day, rep_id, team_id, criterion_id, value_sum, n) VALUES (?, ?, ?, ?, ?, ?, 1) \
                     ON CONFLICT (workspace_id, day, rep_id, team_id, criterion_id) DO UPDATE SET value_sum = value_sum + excluded.value_sum, n = n + 1")
            .bind(call.workspace_id.to_string())
            .bind(day)
            .bind(call.rep_id.to_string())
            .bind(&team)
            .bind(&r.criterion_id)
            .bind(v)
            .execute(pool)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn migration_0006_counts_reviewed_results() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let r = reviewed_records::build().await;
    let (memory, w) = (&r.memory, &r.w);

    // The same records in a database at 0004, as the store wrote them.
    let opts = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = Pool::connect_with(opts).await.unwrap();
    previous_schema(&pool, dir.path()).await;
    sqlx::query("INSERT INTO workspaces (id, data) VALUES (?, ?)")
        .bind(w.workspace.id.to_string())
        .bind(serde_json::to_string(&w.workspace).unwrap())
        .execute(&pool)
        .await
        .unwrap();
    for (call, cards) in &r.calls {
        write_old(&pool, call, &cards.iter().collect::<Vec<_>>()).await;
    }
    pool.close().await;
    let store = SqliteStore::open(&path, reviewed_records::hasher())
        .await
        .unwrap();
    let sqlite = Stores::of(Arc::new(store));

    let queries = reviewed_records::queries();
    for q in &queries {
        let want = memory.calls.aggregate(&w.owner, q).await.unwrap();
        let got = sqlite.calls.aggregate(&w.owner, q).await.unwrap();
        assert!(
            same(&got, &want),
            "{q:?}\nsqlite {got:#?}\nmemory {want:#?}"
        );
    }
    let rows = memory.calls.aggregate(&w.owner, &queries[0]).await.unwrap();
    let rejected: u64 = rows.iter().map(|r| r.rejected_calls).sum();
    assert_eq!(rejected, 1, "one call's latest card is rejected");
    for min in [50.0, 75.0, 95.0] {
        let f = CallFilter {
            min_score: Some(min),
            ..CallFilter::default()
        };
        let ids = |p: closeq_core::ports::Page<Call>| {
            let mut v: Vec<_> = p.items.into_iter().map(|c| c.id).collect();
            v.sort();
            v
        };
        let page = PageRequest::first(50);
        assert_eq!(
            ids(sqlite.calls.list_calls(&w.owner, &f, &page).await.unwrap()),
            ids(memory.calls.list_calls(&w.owner, &f, &page).await.unwrap()),
            "min_score {min}"
        );
    }
    // New reviews keep the two in step.
    let late = reviewed_records::late_review(&r);
    for s in [memory, &sqlite] {
        s.calls.save_review(&w.admin, &late).await.unwrap();
    }
    for q in &queries {
        let want = memory.calls.aggregate(&w.owner, q).await.unwrap();
        let got = sqlite.calls.aggregate(&w.owner, q).await.unwrap();
        assert!(same(&got, &want), "after review {q:?}");
    }
}

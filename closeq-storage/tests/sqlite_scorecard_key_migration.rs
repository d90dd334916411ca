//! Migration 0004 (one scorecard per call, rubric version and scorer) on a
//! database created by the previous schema: a SQLite file migrated to 0003
//! only (the migration files as they were), holding scorecards written
//! before the rule — two of one call with the same key, the older one
//! reviewed — then opened by today's store. Every card and its review
//! history stays; the older duplicate is marked superseded; new duplicates
//! are refused on every write path.
#![cfg(feature = "store-sqlite")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use closeq_core::ports::{CallStore, ReviewRecord};
use closeq_core::testing::call_store::sample_scorecard;
use closeq_core::testing::{Stores, World, base_time};
use closeq_core::{Call, CallStatus, Error, Scorecard, Verdict};
use closeq_storage::{InMemoryStore, SqliteStore, SubjectHasher};
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool as Pool};

fn hasher() -> SubjectHasher {
    SubjectHasher::new([5; 32], "44")
}

/// The migrations before 0004, from the crate's migration folder.
async fn previous_schema(pool: &Pool, dir: &std::path::Path) {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let old = dir.join("migrations");
    std::fs::create_dir(&old).unwrap();
    for name in ["0001_init.sql", "0002_privacy.sql", "0003_call_columns.sql"] {
        std::fs::copy(src.join(name), old.join(name)).unwrap();
    }
    let m = sqlx::migrate::Migrator::new(old.as_path()).await.unwrap();
    assert_eq!(m.iter().count(), 3);
    m.run(pool).await.unwrap();
}

/// Writes `call` and its `cards` (in order) as the store at 0003 did.
async fn write_old(pool: &Pool, call: &Call, cards: &[&Scorecard]) {
    let latest = cards.last();
    sqlx::query("INSERT INTO calls (id, workspace_id, rep_id, team_id, started_at, status, outcome, latest_score, latest_rubric, latest_talk_ratio, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(call.id.to_string())
        .bind(call.workspace_id.to_string())
        .bind(call.rep_id.to_string())
        .bind(call.team_id.map(|t| t.to_string()))
        .bind(call.started_at.timestamp_micros())
        .bind(call.status().name())
        .bind("unknown")
        .bind(latest.map(|s| s.score.value()))
        .bind(latest.map(|s| s.provenance.rubric_id.as_str().to_owned()))
        .bind(latest.and_then(|s| s.metrics.as_ref()).map(|m| m.talk_ratio.rep))
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
}

fn card(call: &Call, version: &str, scorer: &str) -> Scorecard {
    let mut c = sample_scorecard(call, 55.0, &[("budget", Verdict::Met)]);
    c.provenance.rubric_version = version.into();
    c.provenance.scorer = scorer.into();
    c
}

fn is_duplicate(r: closeq_core::Result<impl std::fmt::Debug>, call: &Call) {
    match r {
        Err(Error::AlreadyExists { resource, id }) => {
            assert_eq!(resource, "scorecard");
            assert_eq!(id, format!("{}/bant@1/suite", call.id));
        }
        other => panic!("not a duplicate: {other:?}"),
    }
}

#[tokio::test]
async fn migration_0004_keeps_earlier_duplicates_and_refuses_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let memory = Stores::of(Arc::new(InMemoryStore::new(hasher())));
    let w = World::create(&memory).await;

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
    // Call A was scored twice by the same scorer and rubric version (the
    // first card reviewed), then with version 2; call B once.
    let a = w.call(&w.rep_a, Some(w.team_a), 1);
    let b = w.call(&w.rep_a, Some(w.team_a), 2);
    let mut a1 = card(&a, "1", "suite");
    a1.accept(w.manager.user_id, base_time()).unwrap();
    let a2 = card(&a, "1", "suite");
    let a3 = card(&a, "2", "suite");
    let b1 = card(&b, "1", "suite");
    write_old(&pool, &a, &[&a1, &a2, &a3]).await;
    write_old(&pool, &b, &[&b1]).await;
    pool.close().await;

    let store = SqliteStore::open(&path, hasher()).await.unwrap();
    let rep = &w.rep_a;

    // Every card stays, in order, with its review history; the key is
    // read from the cards and the older duplicate is the superseded one.
    assert_eq!(
        store.list_scorecards(rep, a.id).await.unwrap(),
        vec![a1.clone(), a2.clone(), a3.clone()]
    );
    let history = store.review_history(&w.owner, a1.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(&history[0].state, a1.review());
    let rows = sqlx::query(
        "SELECT id, rubric_id, rubric_version, scorer, superseded FROM scorecards ORDER BY call_id, seq",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let mut got: Vec<(String, String, String, String, bool)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    got.sort();
    let mut want: Vec<(String, String, String, String, bool)> = [
        (&a1, "1", true),
        (&a2, "1", false),
        (&a3, "2", false),
        (&b1, "1", false),
    ]
    .into_iter()
    .map(|(c, v, superseded)| {
        (
            c.id.to_string(),
            "bant".to_owned(),
            v.to_owned(),
            "suite".to_owned(),
            superseded,
        )
    })
    .collect();
    want.sort();
    assert_eq!(got, want);

    // New duplicates are refused on every write path, old cards or not.
    is_duplicate(
        store.insert_scorecard(rep, &card(&a, "1", "suite")).await,
        &a,
    );
    is_duplicate(
        store.insert_scorecard(rep, &card(&b, "1", "suite")).await,
        &b,
    );
    is_duplicate(
        store
            .advance_call(
                rep,
                a.id,
                &[CallStatus::Transcribing],
                None,
                &[card(&a, "1", "suite")],
            )
            .await,
        &a,
    );
    assert_eq!(
        store.get_call(rep, a.id).await.unwrap().status().clone(),
        CallStatus::Uploaded
    );
    // Another version or scorer is a new card, and becomes the latest.
    let a4 = card(&a, "3", "suite");
    store.insert_scorecard(rep, &a4).await.unwrap();
    let b2 = card(&b, "1", "llm-judge");
    store.insert_scorecard(rep, &b2).await.unwrap();
    assert_eq!(
        store.list_scorecards(rep, a.id).await.unwrap(),
        vec![a1, a2, a3, a4]
    );
    assert_eq!(
        store.list_scorecards(rep, b.id).await.unwrap(),
        vec![b1, b2]
    );
}

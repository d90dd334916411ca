//! Attack on SQLite: the records of a call (transcript, scorecards,
//! verdicts, subject index) carry copies of the call's workspace, rep and
//! team, which the store's visibility rule reads. Before the fix nothing in
//! the database tied the copies to the call: one write (a store bug, an
//! embedder's query on the store's pool) could show a rep's scorecard to
//! another team. Migration 0005 adds triggers: a record that does not match
//! its call is refused, and a change of the call's rep or team carries over
//! to its records. The same attack on PostgreSQL is in `adversarial_rls.rs`.
#![cfg(feature = "store-sqlite")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use closeq_core::ports::CallFilter;
use closeq_core::testing::call_store::{sample_scorecard, sample_transcript};
use closeq_core::testing::{Stores, World};
use closeq_core::{Call, Verdict};
use closeq_storage::{SqliteStore, SubjectHasher};

const TABLES: [&str; 4] = [
    "transcripts",
    "scorecards",
    "call_verdicts",
    "subject_index",
];

async fn setup() -> (Arc<SqliteStore>, Stores, World, Call) {
    let store = Arc::new(
        SqliteStore::open_in_memory(SubjectHasher::new([2; 32], "44"))
            .await
            .unwrap(),
    );
    let s = Stores::of(store.clone());
    let w = World::create(&s).await;
    let call = w.call(&w.rep_a, Some(w.team_a), 5);
    s.calls.insert_call(&w.rep_a, &call).await.unwrap();
    s.calls
        .put_transcript(&w.rep_a, call.id, &sample_transcript())
        .await
        .unwrap();
    let card = sample_scorecard(&call, 70.0, &[("greeting", Verdict::Met)]);
    s.calls.insert_scorecard(&w.admin, &card).await.unwrap();
    (store, s, w, call)
}

#[tokio::test]
async fn a_record_of_a_call_cannot_be_moved_to_another_team_rep_or_workspace() {
    let (store, s, w, call) = setup().await;
    let other = World::create(&s).await;
    let id = call.id.to_string();
    for table in TABLES {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table} WHERE call_id = ?"))
            .bind(&id)
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert!(n > 0, "{table} holds the call's record");
        for (column, value) in [
            ("team_id", w.team_b.to_string()),
            ("rep_id", w.rep_b.user_id.to_string()),
            ("workspace_id", other.workspace.id.to_string()),
        ] {
            let r = sqlx::query(&format!(
                "UPDATE {table} SET {column} = ? WHERE call_id = ?"
            ))
            .bind(&value)
            .bind(&id)
            .execute(store.pool())
            .await;
            assert!(
                r.is_err(),
                "{table}: {column} of a call's record set away from the call's"
            );
        }
    }
    // The team B manager's view is unchanged: nothing of rep A's call.
    let seen = s
        .calls
        .list_calls(
            &w.manager.clone().with_teams([w.team_b]),
            &CallFilter::default(),
            &closeq_core::ports::PageRequest::first(10),
        )
        .await
        .unwrap();
    assert!(seen.items.is_empty());
    let r = sqlx::query(
        "INSERT INTO subject_index (workspace_id, rep_id, team_id, subject_hash, call_id) VALUES (?, ?, ?, x'01', ?)",
    )
    .bind(w.workspace.id.to_string())
    .bind(w.rep_b.user_id.to_string())
    .bind(w.team_b.to_string())
    .bind(&id)
    .execute(store.pool())
    .await;
    assert!(r.is_err(), "an index row for another rep and team");
}

#[tokio::test]
async fn the_calls_records_follow_a_change_of_its_team() {
    let (store, s, w, call) = setup().await;
    let mut moved = call.clone();
    moved.team_id = Some(w.team_b);
    s.calls.update_call(&w.admin, &moved).await.unwrap();
    // Straight in SQL, past the store: the database carries it over.
    sqlx::query("UPDATE calls SET team_id = NULL WHERE id = ?")
        .bind(call.id.to_string())
        .execute(store.pool())
        .await
        .unwrap();
    for table in TABLES {
        let stale: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {table} WHERE call_id = ? AND team_id IS NOT NULL"
        ))
        .bind(call.id.to_string())
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(stale, 0, "{table} kept the old team");
    }
}

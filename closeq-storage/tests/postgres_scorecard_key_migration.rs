//! Migration 0004 on PostgreSQL with scorecards written before the rule:
//! a database migrated to 0003 (the migration files as they were), two
//! cards of one call with the same key written as a superuser, then
//! migrated by `PostgresStore::migrate` as the owner — whose statements
//! Row-Level Security would otherwise hide every row from.
#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use closeq_core::ports::CallStore;
use closeq_core::testing::call_store::sample_scorecard;
use closeq_core::testing::{Stores, World};
use closeq_core::{Error, Verdict};
use closeq_storage::{InMemoryStore, PostgresStore, SubjectHasher};
use sqlx::{Connection, PgConnection};

#[tokio::test]
async fn migration_0004_marks_earlier_duplicates_under_forced_rls() {
    let Some(shared) = support::db() else { return };
    // A database of its own, migrated to 0003 only.
    let mut admin = PgConnection::connect(&shared.admin_url).await.unwrap();
    let name = format!("closeq_m4_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name} OWNER {}", support::OWNER))
        .execute(&mut admin)
        .await
        .unwrap();
    let owner_url = support::url_for(&shared.admin_url, support::OWNER, &name);
    let admin_url = support::url_for(&shared.admin_url, "postgres", &name);
    let dir = tempfile::tempdir().unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    for file in ["0001_init.sql", "0002_privacy.sql", "0003_rls_planning.sql"] {
        std::fs::copy(src.join(file), dir.path().join(file)).unwrap();
    }
    let mut owner = PgConnection::connect(&owner_url).await.unwrap();
    sqlx::migrate::Migrator::new(dir.path())
        .await
        .unwrap()
        .run(&mut owner)
        .await
        .unwrap();
    owner.close().await.unwrap();

    // Rows as the store at 0003 wrote them (as a superuser: no policies).
    let memory = Stores::of(Arc::new(InMemoryStore::new(SubjectHasher::new(
        [8; 32], "44",
    ))));
    let w = World::create(&memory).await;
    let call = w.call(&w.rep_a, Some(w.team_a), 1);
    let older = sample_scorecard(&call, 40.0, &[("budget", Verdict::Missed)]);
    let newer = sample_scorecard(&call, 80.0, &[("budget", Verdict::Met)]);
    let mut db = PgConnection::connect(&admin_url).await.unwrap();
    sqlx::query("INSERT INTO workspaces (id, data) VALUES ($1, $2)")
        .bind(w.workspace.id.as_uuid())
        .bind(serde_json::to_string(&w.workspace).unwrap())
        .execute(&mut db)
        .await
        .unwrap();
    sqlx::query("INSERT INTO calls (id, workspace_id, rep_id, team_id, started_at, status, outcome, data) VALUES ($1, $2, $3, $4, $5, 'uploaded', 'unknown', $6)")
        .bind(call.id.as_uuid())
        .bind(w.workspace.id.as_uuid())
        .bind(call.rep_id.as_uuid())
        .bind(call.team_id.map(|t| t.as_uuid()))
        .bind(call.started_at)
        .bind(serde_json::to_string(&call).unwrap())
        .execute(&mut db)
        .await
        .unwrap();
    for (seq, card) in [(1, &older), (2, &newer)] {
        sqlx::query("INSERT INTO scorecards (id, call_id, workspace_id, rep_id, team_id, seq, reviewed, data) VALUES ($1, $2, $3, $4, $5, $6, false, $7)")
            .bind(card.id.as_uuid())
            .bind(call.id.as_uuid())
            .bind(w.workspace.id.as_uuid())
            .bind(call.rep_id.as_uuid())
            .bind(call.team_id.map(|t| t.as_uuid()))
            .bind(seq)
            .bind(serde_json::to_string(card).unwrap())
            .execute(&mut db)
            .await
            .unwrap();
    }

    // Today's migrations, as the owner.
    PostgresStore::migrate(&owner_url, support::RUNTIME)
        .await
        .unwrap();
    let rows: Vec<(uuid::Uuid, String, String, String, bool)> = sqlx::query_as(
        "SELECT id, rubric_id, rubric_version, scorer, superseded FROM scorecards ORDER BY seq",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    let key = |c: &closeq_core::Scorecard, superseded| {
        (
            c.id.as_uuid(),
            "bant".to_owned(),
            "1".to_owned(),
            "suite".to_owned(),
            superseded,
        )
    };
    assert_eq!(rows, vec![key(&older, true), key(&newer, false)]);
    let forced: (bool,) =
        sqlx::query_as("SELECT relforcerowsecurity FROM pg_class WHERE relname = 'scorecards'")
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert!(forced.0, "Row-Level Security is forced again");

    // Through the runtime role: both cards, and no third.
    let runtime_url = support::url_for(&shared.admin_url, support::RUNTIME, &name);
    let store = PostgresStore::connect(&runtime_url, SubjectHasher::new([8; 32], "44"))
        .await
        .unwrap();
    assert_eq!(
        store.list_scorecards(&w.rep_a, call.id).await.unwrap(),
        vec![older, newer]
    );
    let third = sample_scorecard(&call, 10.0, &[]);
    let r = store.insert_scorecard(&w.rep_a, &third).await;
    assert!(matches!(r, Err(Error::AlreadyExists { .. })), "{r:?}");
    store.pool().close().await;
    db.close().await.unwrap();
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
}

//! Migration 0006 (dashboards count reviewed results) on PostgreSQL: a
//! database migrated to 0004 (the migration files as they were), holding
//! the records of `reviewed_records` as the store at 0004 wrote them (raw
//! AI scores in the summary columns, verdict rows and rollups; written as
//! a superuser: no policies), then migrated by `PostgresStore::migrate` as
//! the owner, whose statements forced Row-Level Security would otherwise
//! hide every row from. Through the runtime role its dashboards must agree
//! with the memory store (the reference model).
#![cfg(feature = "store-postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod reviewed_records;
mod support;

use std::sync::Arc;

use closeq_core::ports::ReviewRecord;
use closeq_core::testing::Stores;
use closeq_core::{Call, Scorecard, Verdict};
use closeq_storage::PostgresStore;
use reviewed_records::same;
use sqlx::{Connection, PgConnection};

/// Writes `call`, its `cards`, and the summary, verdict rows and rollups of
/// its latest card as the store at 0004 did.
async fn write_old(db: &mut PgConnection, call: &Call, cards: &[Scorecard]) {
    let latest = cards.last();
    let score = latest.map(|s| s.score.value());
    let talk = latest
        .and_then(|s| s.metrics.as_ref())
        .map(|m| m.talk_ratio.rep);
    sqlx::query("INSERT INTO calls (id, workspace_id, rep_id, team_id, started_at, status, outcome, latest_score, latest_rubric, latest_talk_ratio, data) VALUES ($1, $2, $3, $4, $5, 'uploaded', 'unknown', $6, $7, $8, $9)")
        .bind(call.id.as_uuid())
        .bind(call.workspace_id.as_uuid())
        .bind(call.rep_id.as_uuid())
        .bind(call.team_id.map(|t| t.as_uuid()))
        .bind(call.started_at)
        .bind(score)
        .bind(latest.map(|s| s.provenance.rubric_id.as_str().to_owned()))
        .bind(talk)
        .bind(serde_json::to_string(call).unwrap())
        .execute(&mut *db)
        .await
        .unwrap();
    for (seq, card) in (1_i32..).zip(cards) {
        sqlx::query("INSERT INTO scorecards (id, call_id, workspace_id, rep_id, team_id, seq, reviewed, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(card.id.as_uuid())
            .bind(call.id.as_uuid())
            .bind(call.workspace_id.as_uuid())
            .bind(call.rep_id.as_uuid())
            .bind(call.team_id.map(|t| t.as_uuid()))
            .bind(seq)
            .bind(card.review().is_reviewed())
            .bind(serde_json::to_string(card).unwrap())
            .execute(&mut *db)
            .await
            .unwrap();
        if card.review().is_reviewed() {
            let record = ReviewRecord {
                scorecard_id: card.id,
                state: card.review().clone(),
            };
            sqlx::query(
                "INSERT INTO review_events (scorecard_id, workspace_id, data) VALUES ($1, $2, $3)",
            )
            .bind(card.id.as_uuid())
            .bind(call.workspace_id.as_uuid())
            .bind(serde_json::to_string(&record).unwrap())
            .execute(&mut *db)
            .await
            .unwrap();
        }
    }
    let team = call.team_id.map_or(uuid::Uuid::nil(), |t| t.as_uuid());
    let day = i32::try_from(call.started_at.timestamp().div_euclid(86_400)).unwrap();
    sqlx::query("INSERT INTO daily_stats (workspace_id, day, rep_id, team_id, calls, scored, score_sum, talk_sum, talk_n) VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8) \
                 ON CONFLICT (workspace_id, day, rep_id, team_id) DO UPDATE SET calls = daily_stats.calls + 1, scored = daily_stats.scored + excluded.scored, \
                 score_sum = daily_stats.score_sum + excluded.score_sum, talk_sum = daily_stats.talk_sum + excluded.talk_sum, talk_n = daily_stats.talk_n + excluded.talk_n")
        .bind(call.workspace_id.as_uuid())
        .bind(day)
        .bind(call.rep_id.as_uuid())
        .bind(team)
        .bind(i64::from(score.is_some()))
        .bind(score.unwrap_or(0.0))
        .bind(talk.unwrap_or(0.0))
        .bind(i64::from(talk.is_some()))
        .execute(&mut *db)
        .await
        .unwrap();
    for r in latest.map(|c| c.criteria.clone()).unwrap_or_default() {
        let v = match r.verdict {
            Verdict::Met => 1.0,
            Verdict::Partial => 0.5,
            Verdict::NotApplicable => continue,
            _ => 0.0,
        };
        sqlx::query("INSERT INTO call_verdicts (call_id, workspace_id, rep_id, team_id, criterion_id, value) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(call.id.as_uuid())
            .bind(call.workspace_id.as_uuid())
            .bind(call.rep_id.as_uuid())
            .bind(call.team_id.map(|t| t.as_uuid()))
            .bind(&r.criterion_id)
            .bind(v)
            .execute(&mut *db)
            .await
            .unwrap();
        sqlx::query("INSERT INTO daily_verdicts (workspace_id, day, rep_id, team_id, criterion_id, value_sum, n) VALUES ($1, $2, $3, $4, $5, $6, 1) \
                     ON CONFLICT (workspace_id, day, rep_id, team_id, criterion_id) DO UPDATE SET value_sum = daily_verdicts.value_sum + excluded.value_sum, n = daily_verdicts.n + 1")
            .bind(call.workspace_id.as_uuid())
            .bind(day)
            .bind(call.rep_id.as_uuid())
            .bind(team)
            .bind(&r.criterion_id)
            .bind(v)
            .execute(&mut *db)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn migration_0006_counts_reviewed_results_under_forced_rls() {
    let Some(shared) = support::db() else { return };
    let mut admin = PgConnection::connect(&shared.admin_url).await.unwrap();
    let name = format!("closeq_m6_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name} OWNER {}", support::OWNER))
        .execute(&mut admin)
        .await
        .unwrap();
    let owner_url = support::url_for(&shared.admin_url, support::OWNER, &name);
    let admin_url = support::url_for(&shared.admin_url, "postgres", &name);
    let dir = tempfile::tempdir().unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    for file in [
        "0001_init.sql",
        "0002_privacy.sql",
        "0003_rls_planning.sql",
        "0004_scorecard_key.sql",
    ] {
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

    let r = reviewed_records::build().await;
    let (memory, w) = (&r.memory, &r.w);
    let mut db = PgConnection::connect(&admin_url).await.unwrap();
    sqlx::query("INSERT INTO workspaces (id, data) VALUES ($1, $2)")
        .bind(w.workspace.id.as_uuid())
        .bind(serde_json::to_string(&w.workspace).unwrap())
        .execute(&mut db)
        .await
        .unwrap();
    for (call, cards) in &r.calls {
        write_old(&mut db, call, cards).await;
    }

    PostgresStore::migrate(&owner_url, support::RUNTIME)
        .await
        .unwrap();
    for table in [
        "calls",
        "scorecards",
        "call_verdicts",
        "daily_stats",
        "daily_verdicts",
    ] {
        let forced: (bool,) =
            sqlx::query_as("SELECT relforcerowsecurity FROM pg_class WHERE relname = $1")
                .bind(table)
                .fetch_one(&mut db)
                .await
                .unwrap();
        assert!(forced.0, "Row-Level Security is forced again on {table}");
    }

    let runtime_url = support::url_for(&shared.admin_url, support::RUNTIME, &name);
    let store = Arc::new(
        PostgresStore::connect(&runtime_url, reviewed_records::hasher())
            .await
            .unwrap(),
    );
    let pg = Stores::of(store.clone());
    let queries = reviewed_records::queries();
    for q in &queries {
        let want = memory.calls.aggregate(&w.owner, q).await.unwrap();
        let got = pg.calls.aggregate(&w.owner, q).await.unwrap();
        assert!(
            same(&got, &want),
            "{q:?}\npostgres {got:#?}\nmemory {want:#?}"
        );
    }
    let late = reviewed_records::late_review(&r);
    for s in [memory, &pg] {
        s.calls.save_review(&w.admin, &late).await.unwrap();
    }
    for q in &queries {
        let want = memory.calls.aggregate(&w.owner, q).await.unwrap();
        let got = pg.calls.aggregate(&w.owner, q).await.unwrap();
        assert!(same(&got, &want), "after review {q:?}");
    }
    store.pool().close().await;
    db.close().await.unwrap();
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
}

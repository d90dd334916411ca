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

use chrono::Duration;
use closeq_core::ports::{AggregateQuery, AggregateRow, CallFilter, GroupBy, PageRequest, ReviewRecord};
use closeq_core::testing::call_store::sample_scorecard;
use closeq_core::testing::{Stores, World, base_time};
use closeq_core::{Call, ReviewChange, Score, Scorecard, Verdict};
use closeq_storage::{InMemoryStore, SqliteStore, SubjectHasher};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool as Pool};

fn hasher() -> SubjectHasher {
    SubjectHasher::new([5; 32], "44")
}

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
    let talk = latest.and_then(|s| s.metrics.as_ref()).map(|m| m.talk_ratio.rep);
    sqlx::query("INSERT INTO calls (id, workspace_id, rep_id, team_id, started_at, status, outcome, latest_score, latest_rubric, latest_talk_ratio, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(call.id.to_string())
        .bind(call.workspace_id.to_string())
        .bind(call.rep_id.to_string())
        .bind(call.team_id.map(|t| t.to_string()))
        .bind(call.started_at.timestamp_micros())
        .bind(call.status.name())
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
            sqlx::query("INSERT INTO review_events (scorecard_id, workspace_id, data) VALUES (?, ?, ?)")
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
        .map_or("00000000-0000-0000-0000-000000000000".to_owned(), |t| t.to_string());
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

fn same(a: &[AggregateRow], b: &[AggregateRow]) -> bool {
    let close = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-9,
        (None, None) => true,
        _ => false,
    };
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.key == y.key
                && (x.calls, x.scored_calls, x.unreviewed_calls, x.rejected_calls)
                    == (y.calls, y.scored_calls, y.unreviewed_calls, y.rejected_calls)
                && close(x.avg_score, y.avg_score)
                && close(x.avg_rep_talk_ratio, y.avg_rep_talk_ratio)
                && x.criterion_hit_rate.len() == y.criterion_hit_rate.len()
                && x
                    .criterion_hit_rate
                    .iter()
                    .all(|(k, v)| close(Some(*v), y.criterion_hit_rate.get(k).copied()))
        })
}

#[tokio::test]
async fn migration_0006_counts_reviewed_results() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let memory = Stores::of(Arc::new(InMemoryStore::new(hasher())));
    let w = World::create(&memory).await;

    // The records, built in the memory store through its API.
    let verdicts = [("budget", Verdict::Met), ("timeline", Verdict::Partial)];
    let mut calls = Vec::new();
    for (i, score) in [80.0, 90.0, 100.0, 70.0].into_iter().enumerate() {
        let rep = if i % 2 == 0 { &w.rep_a } else { &w.rep_b };
        let team = rep.team_ids.iter().next().copied();
        let call = w.call(rep, team, 30 * i as i64);
        memory.calls.insert_call(rep, &call).await.unwrap();
        let card = sample_scorecard(&call, score, &verdicts);
        memory.calls.insert_scorecard(rep, &card).await.unwrap();
        calls.push((call, vec![card]));
    }
    let mut accepted = calls[0].1[0].clone();
    accepted.accept(w.admin.user_id, base_time()).unwrap();
    memory.calls.save_review(&w.admin, &accepted).await.unwrap();
    let mut overridden = calls[1].1[0].clone();
    overridden
        .override_with(
            w.admin.user_id,
            base_time(),
            vec![
                ReviewChange {
                    criterion_id: None,
                    verdict: None,
                    score: Some(Score::new(30.0).unwrap()),
                },
                ReviewChange {
                    criterion_id: Some("budget".into()),
                    verdict: Some(Verdict::Partial),
                    score: None,
                },
                ReviewChange {
                    criterion_id: Some("budget".into()),
                    verdict: Some(Verdict::Missed),
                    score: None,
                },
                ReviewChange {
                    criterion_id: Some("timeline".into()),
                    verdict: Some(Verdict::NotApplicable),
                    score: None,
                },
            ],
            "neither was discussed",
        )
        .unwrap();
    memory.calls.save_review(&w.admin, &overridden).await.unwrap();
    let mut rejected = calls[2].1[0].clone();
    rejected.reject(w.admin.user_id, base_time(), "wrong call").unwrap();
    memory.calls.save_review(&w.admin, &rejected).await.unwrap();
    // The fourth call: its first card rejected, then scored again.
    let mut first = calls[3].1[0].clone();
    first.reject(w.admin.user_id, base_time(), "stale").unwrap();
    memory.calls.save_review(&w.admin, &first).await.unwrap();
    let mut again = sample_scorecard(&calls[3].0, 65.0, &verdicts);
    again.provenance.rubric_version = "2".into();
    memory.calls.insert_scorecard(&w.owner, &again).await.unwrap();
    for (call, cards) in &mut calls {
        *cards = memory.calls.list_scorecards(&w.owner, call.id).await.unwrap();
    }

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
    for (call, cards) in &calls {
        write_old(&pool, call, &cards.iter().collect::<Vec<_>>()).await;
    }
    pool.close().await;
    let store = SqliteStore::open(&path, hasher()).await.unwrap();
    let sqlite = Stores::of(Arc::new(store));

    let queries = [
        // Whole days: the rollups.
        AggregateQuery {
            group_by: GroupBy::Rep,
            from: base_time() - Duration::hours(9),
            to: base_time() + Duration::days(1),
        },
        // A partial day: the calls' summary columns and verdict rows.
        AggregateQuery {
            group_by: GroupBy::Team,
            from: base_time(),
            to: base_time() + Duration::hours(3),
        },
    ];
    for q in &queries {
        let want = memory.calls.aggregate(&w.owner, q).await.unwrap();
        let got = sqlite.calls.aggregate(&w.owner, q).await.unwrap();
        assert!(same(&got, &want), "{q:?}\nsqlite {got:#?}\nmemory {want:#?}");
    }
    let rep_a = &memory.calls.aggregate(&w.owner, &queries[0]).await.unwrap();
    let total: u64 = rep_a.iter().map(|r| r.rejected_calls).sum();
    assert_eq!(total, 1, "one call's latest card is rejected");
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
    let mut late = again.clone();
    late.override_with(
        w.admin.user_id,
        base_time(),
        vec![ReviewChange {
            criterion_id: None,
            verdict: None,
            score: Some(Score::new(20.0).unwrap()),
        }],
        "too generous",
    )
    .unwrap();
    for s in [&memory, &sqlite] {
        s.calls.save_review(&w.admin, &late).await.unwrap();
    }
    for q in &queries {
        let want = memory.calls.aggregate(&w.owner, q).await.unwrap();
        let got = sqlite.calls.aggregate(&w.owner, q).await.unwrap();
        assert!(same(&got, &want), "after review {q:?}");
    }
}

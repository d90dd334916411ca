//! Migration 0003 on a database created by the previous schema: a SQLite
//! file migrated to 0002 only (the migration files as they were) and filled
//! the way the previous store wrote it (child tables without rep and team,
//! rollups without a team under ''), then opened by today's store. It must
//! answer exactly as the in-memory reference store holding the same calls,
//! and keep doing so through later writes.
#![cfg(feature = "store-sqlite")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;
use closeq_core::ports::{AggregateQuery, CallFilter, GroupBy, PageRequest};
use closeq_core::testing::call_store::{sample_scorecard, sample_transcript};
use closeq_core::testing::{Stores, World, base_time};
use closeq_core::{
    Call, ConsentMethod, ConsentRecord, Scope, Scorecard, Subject, TeamId, Transcript, Verdict,
};
use closeq_storage::{InMemoryStore, SqliteStore, SubjectHasher};
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool as Pool};

fn hasher() -> SubjectHasher {
    SubjectHasher::new([4; 32], "44")
}

/// The migrations before 0003, from the crate's migration folder.
async fn previous_schema(pool: &Pool, dir: &std::path::Path) {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let old = dir.join("migrations");
    std::fs::create_dir(&old).unwrap();
    for name in ["0001_init.sql", "0002_privacy.sql"] {
        std::fs::copy(src.join(name), old.join(name)).unwrap();
    }
    let m = sqlx::migrate::Migrator::new(old.as_path()).await.unwrap();
    assert_eq!(m.iter().count(), 2);
    m.run(pool).await.unwrap();
}

/// A call with its transcript, scorecard and consent.
struct Fixture {
    call: Call,
    transcript: Transcript,
    card: Option<Scorecard>,
}

fn verdict_value(v: Verdict) -> Option<f64> {
    match v {
        Verdict::Met => Some(1.0),
        Verdict::Partial => Some(0.5),
        Verdict::Missed | Verdict::InsufficientEvidence => Some(0.0),
        Verdict::NotApplicable => None,
    }
}

/// Writes `f` as the store before migration 0003 did (its batch ingest).
async fn write_old(pool: &Pool, f: &Fixture) {
    let c = &f.call;
    let card = f.card.as_ref();
    sqlx::query("INSERT INTO calls (id, workspace_id, rep_id, team_id, started_at, status, outcome, latest_score, latest_rubric, latest_talk_ratio, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(c.id.to_string())
        .bind(c.workspace_id.to_string())
        .bind(c.rep_id.to_string())
        .bind(c.team_id.map(|t| t.to_string()))
        .bind(c.started_at.timestamp_micros())
        .bind(c.status().name())
        .bind(serde_json::to_value(c.outcome).unwrap().as_str().unwrap().to_owned())
        .bind(card.map(|s| s.score.value()))
        .bind(card.map(|s| s.provenance.rubric_id.as_str().to_owned()))
        .bind(card.and_then(|s| s.metrics.as_ref()).map(|m| m.talk_ratio.rep))
        .bind(serde_json::to_string(c).unwrap())
        .execute(pool)
        .await
        .unwrap();
    for h in hasher().entries(c) {
        sqlx::query("INSERT OR IGNORE INTO subject_index (workspace_id, subject_hash, call_id) VALUES (?, ?, ?)")
            .bind(c.workspace_id.to_string())
            .bind(&h[..])
            .bind(c.id.to_string())
            .execute(pool)
            .await
            .unwrap();
    }
    sqlx::query("INSERT INTO transcripts (call_id, workspace_id, data) VALUES (?, ?, ?)")
        .bind(c.id.to_string())
        .bind(c.workspace_id.to_string())
        .bind(serde_json::to_string(&f.transcript).unwrap())
        .execute(pool)
        .await
        .unwrap();
    let team = c.team_id.map(|t| t.to_string()).unwrap_or_default();
    let day = c.started_at.timestamp_micros().div_euclid(86_400_000_000);
    let (scored, score, talk_n, talk) = match card {
        Some(s) => {
            let talk = s.metrics.as_ref().map(|m| m.talk_ratio.rep);
            (
                1,
                s.score.value(),
                i64::from(talk.is_some()),
                talk.unwrap_or(0.0),
            )
        }
        None => (0, 0.0, 0, 0.0),
    };
    sqlx::query(
        "INSERT INTO daily_stats (workspace_id, day, rep_id, team_id, calls, scored, score_sum, talk_sum, talk_n) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?) \
         ON CONFLICT (workspace_id, day, rep_id, team_id) DO UPDATE SET calls = calls + excluded.calls, scored = scored + excluded.scored, \
         score_sum = score_sum + excluded.score_sum, talk_sum = talk_sum + excluded.talk_sum, talk_n = talk_n + excluded.talk_n",
    )
    .bind(c.workspace_id.to_string())
    .bind(day)
    .bind(c.rep_id.to_string())
    .bind(&team)
    .bind(scored)
    .bind(score)
    .bind(talk)
    .bind(talk_n)
    .execute(pool)
    .await
    .unwrap();
    let Some(s) = card else { return };
    sqlx::query("INSERT INTO scorecards (id, call_id, workspace_id, seq, reviewed, data) VALUES (?, ?, ?, 1, ?, ?)")
        .bind(s.id.to_string())
        .bind(c.id.to_string())
        .bind(c.workspace_id.to_string())
        .bind(s.review().is_reviewed())
        .bind(serde_json::to_string(s).unwrap())
        .execute(pool)
        .await
        .unwrap();
    for r in &s.criteria {
        let Some(v) = verdict_value(r.verdict) else {
            continue;
        };
        sqlx::query("INSERT INTO call_verdicts (call_id, criterion_id, value) VALUES (?, ?, ?)")
            .bind(c.id.to_string())
            .bind(&r.criterion_id)
            .bind(v)
            .execute(pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO daily_verdicts (workspace_id, day, rep_id, team_id, criterion_id, value_sum, n) VALUES (?, ?, ?, ?, ?, ?, 1) \
             ON CONFLICT (workspace_id, day, rep_id, team_id, criterion_id) DO UPDATE SET value_sum = value_sum + excluded.value_sum, n = n + excluded.n",
        )
        .bind(c.workspace_id.to_string())
        .bind(day)
        .bind(c.rep_id.to_string())
        .bind(&team)
        .bind(&r.criterion_id)
        .bind(v)
        .execute(pool)
        .await
        .unwrap();
    }
}

/// The same question to both stores gives the same answer.
async fn same_answers(sqlite: &Stores, memory: &Stores, w: &World, label: &str) {
    let scopes = [&w.owner, &w.manager, &w.rep_a, &w.rep_b];
    let ranges = [
        (
            base_time() - Duration::days(40),
            base_time() + Duration::days(40),
        ),
        // Ragged: partial first and last days around whole ones.
        (
            base_time() - Duration::hours(30),
            base_time() + Duration::hours(53),
        ),
    ];
    for scope in scopes {
        for group_by in [GroupBy::Rep, GroupBy::Team] {
            for (from, to) in ranges {
                let q = AggregateQuery { group_by, from, to };
                let a = sqlite.calls.aggregate(scope, &q).await.unwrap();
                let b = memory.calls.aggregate(scope, &q).await.unwrap();
                assert_eq!(a.len(), b.len(), "{label}: {:?} {group_by:?}", scope.role);
                for (x, y) in a.iter().zip(&b) {
                    assert_eq!(x.key, y.key, "{label}");
                    assert_eq!((x.calls, x.scored_calls), (y.calls, y.scored_calls));
                    let close = |p: Option<f64>, q: Option<f64>| match (p, q) {
                        (Some(p), Some(q)) => (p - q).abs() < 1e-9,
                        (p, q) => p == q,
                    };
                    assert!(close(x.avg_score, y.avg_score), "{label}: {x:?} {y:?}");
                    assert!(close(x.avg_rep_talk_ratio, y.avg_rep_talk_ratio));
                    assert_eq!(
                        x.criterion_hit_rate.keys().collect::<Vec<_>>(),
                        y.criterion_hit_rate.keys().collect::<Vec<_>>()
                    );
                }
            }
        }
        let ids = |s: &Stores| {
            let s = s.calls.clone();
            let scope = scope.clone();
            async move {
                let p = s
                    .list_calls(&scope, &CallFilter::default(), &PageRequest::first(500))
                    .await
                    .unwrap();
                p.items.iter().map(|c| c.id).collect::<Vec<_>>()
            }
        };
        assert_eq!(ids(sqlite).await, ids(memory).await, "{label}: list");
    }
}

#[tokio::test]
async fn migration_0003_back_fills_a_database_of_the_previous_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");

    // The reference: the in-memory store, and the world in it.
    let memory = Stores::of(Arc::new(InMemoryStore::new(hasher())));
    let w = World::create(&memory).await;

    // A database of the previous schema, written as the previous store did.
    let opts = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = Pool::connect_with(opts).await.unwrap();
    previous_schema(&pool, dir.path()).await;
    let ws = w.workspace.id.to_string();
    sqlx::query("INSERT INTO workspaces (id, data) VALUES (?, ?)")
        .bind(&ws)
        .bind(serde_json::to_string(&w.workspace).unwrap())
        .execute(&pool)
        .await
        .unwrap();
    // An audit record as the old store wrote it: its time in the document
    // only (with sub-second digits), back-filled by migration 0010.
    let old_at =
        chrono::Utc::now() - chrono::Duration::days(200) + chrono::Duration::microseconds(123_456);
    let old_record = closeq_core::AuditRecord {
        seq: 0,
        workspace_id: w.workspace.id,
        at: old_at,
        actor: Some(w.owner.user_id),
        action: "settings.changed".into(),
        target: None,
        details: serde_json::json!({}),
    };
    sqlx::query("INSERT INTO audit_records (workspace_id, data) VALUES (?, ?)")
        .bind(&ws)
        .bind(serde_json::to_string(&old_record).unwrap())
        .execute(&pool)
        .await
        .unwrap();
    for t in memory.workspaces.list_teams(&w.owner).await.unwrap() {
        sqlx::query("INSERT INTO teams (id, workspace_id, data) VALUES (?, ?, ?)")
            .bind(t.id.to_string())
            .bind(&ws)
            .bind(serde_json::to_string(&t).unwrap())
            .execute(&pool)
            .await
            .unwrap();
    }
    for m in memory.workspaces.list_members(&w.owner).await.unwrap() {
        sqlx::query("INSERT INTO members (workspace_id, user_id, data) VALUES (?, ?, ?)")
            .bind(&ws)
            .bind(m.user_id.to_string())
            .bind(serde_json::to_string(&m).unwrap())
            .execute(&pool)
            .await
            .unwrap();
    }
    let plan: [(&Scope, Option<TeamId>, i64, bool); 6] = [
        (&w.rep_a, Some(w.team_a), -1500, true),
        (&w.rep_a, None, -20, true),
        (&w.rep_b, Some(w.team_b), 10, true),
        (&w.rep_b, None, 600, false),
        (&w.manager, Some(w.team_a), 2900, true),
        (&w.manager, None, 3000, true),
    ];
    let mut fixtures = Vec::new();
    for (i, (rep, team, minutes, scored)) in plan.into_iter().enumerate() {
        let call = w.call(rep, team, minutes);
        let verdicts = [
            (
                "budget",
                if i % 2 == 0 {
                    Verdict::Met
                } else {
                    Verdict::Missed
                },
            ),
            ("need", Verdict::Partial),
        ];
        let card = scored.then(|| sample_scorecard(&call, 10.0 * i as f64 + 5.0, &verdicts));
        // Word timings inside the JSON document, as stored before 0007.
        let mut transcript = sample_transcript();
        let u = &mut transcript.utterances[0];
        u.words = vec![closeq_core::Word {
            text: closeq_core::Sensitive::new("hello".into()),
            start_ms: u.start_ms,
            end_ms: u.start_ms + 1,
            confidence: Some(0.75),
        }];
        let f = Fixture {
            call,
            transcript,
            card,
        };
        write_old(&pool, &f).await;
        memory.calls.insert_call(&w.owner, &f.call).await.unwrap();
        memory
            .calls
            .put_transcript(&w.owner, f.call.id, &f.transcript)
            .await
            .unwrap();
        if let Some(s) = &f.card {
            memory.calls.insert_scorecard(&w.owner, s).await.unwrap();
        }
        fixtures.push(f);
    }
    let blank: (i64,) = sqlx::query_as("SELECT count(*) FROM daily_stats WHERE team_id = ''")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(blank.0 > 0, "the old schema keeps no-team rollups under ''");
    pool.close().await;

    // Today's store opens it and applies 0003.
    let store = Arc::new(SqliteStore::open(&path, hasher()).await.unwrap());
    let sqlite = Stores::of(store.clone());
    for (table, columns) in [
        ("transcripts", "x.rep_id, x.team_id"),
        ("scorecards", "x.rep_id, x.team_id"),
        ("call_verdicts", "x.workspace_id, x.rep_id, x.team_id"),
        ("subject_index", "x.rep_id, x.team_id"),
    ] {
        let rows = sqlx::query(&format!(
            "SELECT c.workspace_id, c.rep_id, c.team_id, {columns} FROM {table} x JOIN calls c ON c.id = x.call_id"
        ))
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert!(!rows.is_empty(), "{table}");
        for r in rows {
            let call: (String, String, Option<String>) = (r.get(0), r.get(1), r.get(2));
            let copy: (String, String, Option<String>) = if columns.starts_with("x.workspace") {
                (r.get(3), r.get(4), r.get(5))
            } else {
                (call.0.clone(), r.get(3), r.get(4))
            };
            assert_eq!(
                copy, call,
                "{table} carries its call's workspace, rep and team"
            );
        }
    }
    for table in ["daily_stats", "daily_verdicts"] {
        let blank: (i64,) =
            sqlx::query_as(&format!("SELECT count(*) FROM {table} WHERE team_id = ''"))
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(blank.0, 0, "{table}: no team is the nil UUID now");
    }
    same_answers(&sqlite, &memory, &w, "after migration").await;
    // The old audit record's time was back-filled: it expires by age.
    let expire = |s: i64| {
        let ws = sqlite.workspaces.clone();
        let owner = w.owner.clone();
        async move {
            ws.expire_audit(&owner, old_at + chrono::Duration::seconds(s))
                .await
                .unwrap()
        }
    };
    assert_eq!(expire(-1).await, 0);
    assert_eq!(expire(1).await, 1);

    // Old rows through today's code paths (words read from the JSON, where
    // the store wrote them before migration 0007).
    let mine = &fixtures[0].call;
    assert!(!fixtures[0].transcript.utterances[0].words.is_empty());
    assert_eq!(
        sqlite
            .calls
            .get_transcript(&w.rep_a, mine.id)
            .await
            .unwrap(),
        fixtures[0].transcript
    );
    let email = Subject::Email(mine.client.email.clone().unwrap());
    assert_eq!(
        sqlite
            .calls
            .find_calls_by_subject(&w.owner, &email)
            .await
            .unwrap(),
        vec![mine.id]
    );
    let consent = ConsentRecord {
        call_id: mine.id,
        method: ConsentMethod::Verbal,
        obtained_at: base_time(),
        withdrawn_at: None,
    };
    sqlite
        .privacy
        .put_consent(&w.rep_a, &consent)
        .await
        .unwrap();

    // A team change moves the call's records and rollups on both stores.
    let mut moved = fixtures[1].call.clone();
    moved.team_id = Some(w.team_b);
    for s in [&sqlite, &memory] {
        s.calls.update_call(&w.owner, &moved).await.unwrap();
    }
    let teams: Vec<(Option<String>,)> =
        sqlx::query_as("SELECT team_id FROM call_verdicts WHERE call_id = ?")
            .bind(moved.id.to_string())
            .fetch_all(store.pool())
            .await
            .unwrap();
    assert!(!teams.is_empty());
    assert!(teams.iter().all(|t| t.0 == Some(w.team_b.to_string())));
    same_answers(&sqlite, &memory, &w, "after a team change").await;

    // New writes next to old rows, and a delete of an old call.
    let fresh = w.call(&w.rep_b, None, 45);
    let card = sample_scorecard(&fresh, 77.0, &[("budget", Verdict::Met)]);
    for s in [&sqlite, &memory] {
        s.calls.insert_call(&w.rep_b, &fresh).await.unwrap();
        s.calls.insert_scorecard(&w.owner, &card).await.unwrap();
        s.calls
            .delete_call(&w.owner, fixtures[2].call.id)
            .await
            .unwrap();
    }
    same_answers(&sqlite, &memory, &w, "after new writes").await;
    let per_team: BTreeMap<Option<String>, u64> = sqlite
        .calls
        .aggregate(
            &w.owner,
            &AggregateQuery {
                group_by: GroupBy::Team,
                from: base_time() - Duration::days(40),
                to: base_time() + Duration::days(40),
            },
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.key, r.calls))
        .collect();
    assert_eq!(per_team.values().sum::<u64>(), 6, "{per_team:?}");
}

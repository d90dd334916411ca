//! Attacks on the PostgreSQL job queue from raw SQL as the runtime role
//! (what a compromised API process could send): reading or changing
//! another workspace's jobs, enqueueing in another workspace or in
//! another member's name, queueing admin-only work as a member, finding a
//! lease token in the table.
#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use closeq_core::ports::{JobKind, JobQueue, JobSpec};
use closeq_core::{CallId, ManualClock, RetryPolicy, Role, Scope, UserId, WorkspaceId};
use closeq_storage::{PostgresJobQueue, PostgresStore, SubjectHasher};
use sqlx::{Connection, Row};

async fn set_scope(c: &mut sqlx::PgConnection, scope: &Scope) {
    sqlx::query(
        "SELECT set_config('closeq.workspace_id', $1, true), set_config('closeq.user_id', $2, true), \
         set_config('closeq.role', $3, true), set_config('closeq.team_ids', '', true)",
    )
    .bind(scope.workspace_id.to_string())
    .bind(scope.user_id.to_string())
    .bind(scope.role.as_str())
    .execute(&mut *c)
    .await
    .unwrap();
}

fn spec(kind: JobKind) -> JobSpec {
    JobSpec {
        kind,
        call_id: Some(CallId::new()),
        payload: serde_json::json!({}),
        max_attempts: 3,
        run_after: None,
        every: None,
    }
}

fn refused(r: Result<sqlx::postgres::PgQueryResult, sqlx::Error>, what: &str) {
    let e = r.expect_err(what);
    let code = e
        .as_database_error()
        .and_then(|d| d.code())
        .unwrap_or_default();
    assert_eq!(code, "42501", "{what}: {e}");
}

#[tokio::test]
async fn the_runtime_role_reaches_only_its_workspaces_jobs() {
    let Some(db) = closeq_storage::testing::postgres_fresh_database().await else {
        return;
    };
    let store = PostgresStore::connect(&db.runtime_url, SubjectHasher::new([9; 32], "44"))
        .await
        .unwrap();
    let clock = Arc::new(ManualClock::new(closeq_core::testing::base_time()));
    let queue = PostgresJobQueue::new(store, clock, RetryPolicy::default());
    let a = Scope::new(WorkspaceId::new(), UserId::new(), Role::Owner);
    let b = Scope::new(WorkspaceId::new(), UserId::new(), Role::Owner);
    let theirs = queue.enqueue(&b, spec(JobKind::Analyze)).await.unwrap();
    queue.enqueue(&a, spec(JobKind::Analyze)).await.unwrap();
    let leased = queue
        .lease("w", &[JobKind::Analyze], Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();

    let mut c = sqlx::PgConnection::connect(&db.runtime_url).await.unwrap();
    let mut tx = c.begin().await.unwrap();
    set_scope(&mut tx, &a).await;
    let seen: Vec<(uuid::Uuid,)> = sqlx::query_as("SELECT workspace_id FROM jobs")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(seen, vec![(a.workspace_id.as_uuid(),)], "only A's job");
    // The token is stored as its hash only, and the hash settles nothing.
    let tokens: Vec<Option<Vec<u8>>> = sqlx::query("SELECT lease_token FROM jobs")
        .fetch_all(&mut *tx)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    tx.rollback().await.unwrap();
    for t in tokens.into_iter().flatten() {
        assert_ne!(t, leased.lease_token.as_bytes(), "a plain token");
        assert_eq!(t.len(), 32);
        let settled: Vec<(String,)> = sqlx::query_as(
            "SELECT * FROM closeq_job_settle($1, $2, 'complete', now(), NULL, NULL, NULL)",
        )
        .bind(leased.id.as_uuid())
        .bind(hex::encode(&t))
        .fetch_all(&mut c)
        .await
        .unwrap();
        assert!(settled.is_empty(), "the stored hash is not the token");
    }
    // No direct UPDATE at all, not even of one's own workspace's jobs (an
    // admin would otherwise rewrite `enqueued_by` and run as the owner).
    for (scope, id) in [(&a, leased.id), (&a, theirs)] {
        let mut tx = c.begin().await.unwrap();
        set_scope(&mut tx, scope).await;
        let r = sqlx::query("UPDATE jobs SET enqueued_by = $2 WHERE id = $1")
            .bind(id.as_uuid())
            .bind(a.user_id.as_uuid())
            .execute(&mut *tx)
            .await;
        refused(r, "update");
        tx.rollback().await.unwrap();
    }
    // A lease longer than a day is refused.
    let r = sqlx::query("SELECT * FROM closeq_job_lease('analyze', now(), 'infinity', 'x')")
        .execute(&mut c)
        .await;
    assert!(r.is_err(), "an endless lease");

    // No direct insert; the enqueue function only in the scope's
    // workspace and member's name; admin-only kinds only for admins.
    let member = Scope::new(a.workspace_id, UserId::new(), Role::Member);
    let attempts: [(&Scope, &str, WorkspaceId, UserId, &str); 4] = [
        (&a, "direct insert", a.workspace_id, a.user_id, "insert"),
        (
            &a,
            "another workspace",
            b.workspace_id,
            a.user_id,
            "analyze",
        ),
        (
            &a,
            "another member's name",
            a.workspace_id,
            member.user_id,
            "analyze",
        ),
        (
            &member,
            "a member's retention sweep",
            a.workspace_id,
            member.user_id,
            "retention_sweep",
        ),
    ];
    for (scope, what, ws, by, kind) in attempts {
        let mut tx = c.begin().await.unwrap();
        set_scope(&mut tx, scope).await;
        let sql = if kind == "insert" {
            "INSERT INTO jobs (id, workspace_id, kind, call_id, payload, max_attempts, state, \
             enqueued_by, run_after, updated_at) VALUES ($1, $2, 'analyze', NULL, '{}', 1, \
             'queued', $3, now(), now())"
        } else {
            "SELECT closeq_job_enqueue($1, $2, $4, NULL, '{}', 1, $3, now(), now(), NULL)"
        };
        let r = sqlx::query(sql)
            .bind(closeq_core::JobId::new().as_uuid())
            .bind(ws.as_uuid())
            .bind(by.as_uuid())
            .bind(kind)
            .execute(&mut *tx)
            .await;
        refused(r, what);
        tx.rollback().await.unwrap();
    }
    // A member cannot read or retry jobs in SQL either.
    let mut tx = c.begin().await.unwrap();
    set_scope(&mut tx, &member).await;
    let n: i64 = sqlx::query("SELECT count(*) FROM jobs")
        .fetch_one(&mut *tx)
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "a member reads no job");
}

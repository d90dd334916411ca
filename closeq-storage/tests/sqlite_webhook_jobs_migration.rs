//! Migration 0016 (the jobs table rebuilt to take `webhook` jobs) on a
//! database created by the previous schema: every job — queued, dead with
//! its reason, recurring, completed — comes through with its state,
//! attempts and schedule, and the table's unique indexes still hold (a
//! double enqueue is one job; one schedule per workspace and kind).
#![cfg(feature = "store-sqlite")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use closeq_core::ports::{JobKind, JobQueue, JobSpec};
use closeq_core::{
    CallId, JobId, JobState, ManualClock, RetryPolicy, Role, Scope, UserId, WorkspaceId,
};
use closeq_storage::{SqliteJobQueue, SqliteStore, SubjectHasher};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

#[tokio::test]
async fn jobs_survive_the_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("closeq.db");
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let old = dir.path().join("migrations");
    std::fs::create_dir(&old).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.as_str() < "0016")
        .collect();
    names.sort();
    assert_eq!(names.len(), 15);
    for n in &names {
        std::fs::copy(src.join(n), old.join(n)).unwrap();
    }
    let ws = WorkspaceId::new();
    let owner = UserId::new();
    let (c1, c2, c3) = (CallId::new(), CallId::new(), CallId::new());
    let (j1, j2, j3, j4) = (JobId::new(), JobId::new(), JobId::new(), JobId::new());
    {
        let pool = SqlitePool::connect_with(
            SqliteConnectOptions::new()
                .filename(&db)
                .create_if_missing(true),
        )
        .await
        .unwrap();
        sqlx::migrate::Migrator::new(old.as_path())
            .await
            .unwrap()
            .run(&pool)
            .await
            .unwrap();
        let insert = "INSERT INTO jobs (id, workspace_id, kind, call_id, payload, max_attempts, state, attempts, \
                      enqueued_by, run_after, lease_until, lease_token, last_error, updated_at, every_secs) \
                      VALUES (?, ?, ?, ?, '{\"rubrics\":[\"discovery\"]}', 5, ?, ?, ?, 0, NULL, NULL, ?, 0, ?)";
        for (id, kind, call, state, attempts, error, every) in [
            (j1, "transcribe", Some(c1), "queued", 0, None, None),
            (j2, "analyze", Some(c2), "dead", 3, Some("boom"), None),
            (j3, "retention_sweep", None, "queued", 0, None, Some(86_400)),
            (j4, "analyze", Some(c3), "completed", 1, None, None),
        ] {
            sqlx::query(insert)
                .bind(id.to_string())
                .bind(ws.to_string())
                .bind(kind)
                .bind(call.map(|c| c.to_string()))
                .bind(state)
                .bind(attempts)
                .bind(owner.to_string())
                .bind(error)
                .bind(every)
                .execute(&pool)
                .await
                .unwrap();
        }
        pool.close().await;
    }

    let store = SqliteStore::open(&db, SubjectHasher::new([1; 32], "44"))
        .await
        .unwrap();
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let queue = SqliteJobQueue::new(store, clock, RetryPolicy::default());
    let scope = Scope::new(ws, owner, Role::Owner);
    let jobs = queue.list_jobs(&scope, None, 10).await.unwrap();
    assert_eq!(jobs.len(), 4);
    let get = |id: JobId| jobs.iter().find(|j| j.id == id).unwrap();
    assert_eq!(
        (get(j1).state, get(j1).spec.kind),
        (JobState::Queued, JobKind::Transcribe)
    );
    assert_eq!(
        (
            get(j2).state,
            get(j2).attempts,
            get(j2).last_error.as_deref()
        ),
        (JobState::Dead, 3, Some("boom"))
    );
    assert_eq!(get(j3).spec.every, Some(Duration::from_secs(86_400)));
    assert_eq!(get(j4).state, JobState::Completed);

    let spec = |kind, call| JobSpec {
        kind,
        call_id: call,
        payload: serde_json::json!({"rubrics": ["discovery"]}),
        max_attempts: 5,
        run_after: None,
        every: None,
    };
    assert_eq!(
        queue
            .enqueue(&scope, spec(JobKind::Transcribe, Some(c1)))
            .await
            .unwrap(),
        j1,
        "one live job per call"
    );
    let schedule = JobSpec {
        every: Some(Duration::from_secs(86_400)),
        ..spec(JobKind::RetentionSweep, None)
    };
    assert_eq!(
        queue.enqueue(&scope, schedule).await.unwrap(),
        j3,
        "one schedule"
    );
    queue
        .enqueue(&scope, spec(JobKind::Webhook, None))
        .await
        .unwrap();
    queue.retry_dead(&scope, j2).await.unwrap();
    let mut leased = 0;
    while let Some(job) = queue
        .lease(
            "w",
            &[
                JobKind::Transcribe,
                JobKind::Analyze,
                JobKind::RetentionSweep,
                JobKind::Webhook,
            ],
            Duration::from_secs(60),
        )
        .await
        .unwrap()
    {
        queue.complete(&job).await.unwrap();
        leased += 1;
    }
    assert_eq!(leased, 4, "j1, j2 retried, j3 and the webhook");
}

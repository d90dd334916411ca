//! Attacks on the access log: a member reading calls, transcripts,
//! scorecards or recordings without leaving a record, hiding their reads,
//! or writing records in someone else's name.
//!
//! Before: no read left any record (there was no access log); a member
//! who read every transcript they could see left no trace an auditor
//! could find. Now every read through the logged stores is recorded after
//! it succeeded; a read the log cannot record fails (write-through) or
//! waits in a bounded backlog (batched), beyond which reads fail; the
//! database refuses records in another's name, reads of the log by
//! non-admins, and any change or deletion by the runtime role.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use closeq_core::ports::{CallFilter, CallStore, PageRequest, WorkspaceStore};
use closeq_core::testing::call_store::{sample_scorecard, sample_transcript};
use closeq_core::testing::{Stores, World, base_time};
use closeq_core::{
    AccessAction, AccessQuery, AccessRecord, Call, Error, ManualClock, Scope, SystemClock, Verdict,
};
use closeq_storage::{
    AccessLogConfig, AccessLoggedCallStore, AccessRecorder, InMemoryStore, SqliteStore,
    SubjectHasher,
};

fn hasher() -> SubjectHasher {
    SubjectHasher::new([9; 32], "44")
}

async fn sqlite() -> (tempfile::TempDir, Arc<SqliteStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("closeq.db"), hasher())
        .await
        .unwrap();
    (dir, Arc::new(store))
}

/// A call of `rep_a` with a transcript and a scorecard.
async fn call_of_rep_a(s: &Stores, w: &World) -> Call {
    let call = w.call(&w.rep_a, Some(w.team_a), 3);
    s.calls.insert_call(&w.rep_a, &call).await.unwrap();
    s.calls
        .put_transcript(&w.rep_a, call.id, &sample_transcript())
        .await
        .unwrap();
    let card = sample_scorecard(&call, 70.0, &[("budget", Verdict::Met)]);
    s.calls.insert_scorecard(&w.owner, &card).await.unwrap();
    call
}

async fn log_of(s: &Stores, w: &World) -> Vec<AccessRecord> {
    s.workspaces
        .list_access(&w.owner, &AccessQuery::first(1_000))
        .await
        .unwrap()
}

async fn reads_are_recorded(s: Stores) {
    let w = World::create(&s).await;
    let call = call_of_rep_a(&s, &w).await;
    let recorder = Arc::new(
        AccessRecorder::new(
            s.workspaces.clone(),
            Arc::new(SystemClock),
            AccessLogConfig::WRITE_THROUGH,
        )
        .unwrap(),
    );
    let logged = AccessLoggedCallStore::new(s.calls.clone(), recorder);
    let rep = &w.rep_a;
    logged.get_call(rep, call.id).await.unwrap();
    logged.get_transcript(rep, call.id).await.unwrap();
    let cards = logged.list_scorecards(rep, call.id).await.unwrap();
    logged.get_scorecard(rep, cards[0].id).await.unwrap();
    logged.review_history(rep, cards[0].id).await.unwrap();
    logged
        .list_calls(&w.manager, &CallFilter::default(), &PageRequest::first(10))
        .await
        .unwrap();
    // A rep of another team cannot see it: NotFound, and no record (a
    // refused read read nothing).
    let r = logged.get_transcript(&w.rep_b, call.id).await;
    assert!(matches!(r, Err(Error::NotFound { .. })), "{r:?}");
    // Writes are not reads.
    logged
        .update_call(rep, &logged.get_call(rep, call.id).await.unwrap())
        .await
        .unwrap();

    let log = log_of(&s, &w).await;
    let seen: Vec<_> = log.iter().map(|r| (r.actor, r.action)).collect();
    let (a, m) = (rep.user_id, w.manager.user_id);
    assert_eq!(
        seen,
        [
            (a, AccessAction::CallRead),
            (a, AccessAction::TranscriptRead),
            (a, AccessAction::ScorecardRead),
            (a, AccessAction::ScorecardRead),
            (a, AccessAction::ScorecardRead),
            (m, AccessAction::CallList),
            (a, AccessAction::CallRead),
        ]
    );
    let call_id = call.id.as_uuid();
    assert_eq!(log[0].resources, [call_id]);
    assert_eq!(log[2].resources, [cards[0].id.as_uuid()]);
    assert_eq!(log[5].resources, [call_id], "the page's calls");
    // Who read this call: the admin asks by id.
    let mut q = AccessQuery::first(100);
    q.resource = Some(call_id);
    let about = s.workspaces.list_access(&w.admin, &q).await.unwrap();
    assert_eq!(
        about.len(),
        4,
        "two reads of the call, its transcript, the list"
    );
    // The rep cannot read the log, nor expire it.
    let r = s.workspaces.list_access(rep, &AccessQuery::first(10)).await;
    assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");
    let r = s.workspaces.expire_access(rep, chrono::Utc::now()).await;
    assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");
}

#[tokio::test]
async fn every_read_leaves_a_record_in_memory() {
    reads_are_recorded(Stores::of(Arc::new(InMemoryStore::new(hasher())))).await;
}

#[tokio::test]
async fn every_read_leaves_a_record_on_sqlite() {
    let (_dir, store) = sqlite().await;
    reads_are_recorded(Stores::of(store)).await;
}

async fn hide_log(store: &SqliteStore, hidden: bool) {
    let sql = if hidden {
        "ALTER TABLE access_records RENAME TO access_records_hidden"
    } else {
        "ALTER TABLE access_records_hidden RENAME TO access_records"
    };
    sqlx::query(sql).execute(store.pool()).await.unwrap();
}

/// Write-through: a read the log cannot record returns no data.
#[tokio::test]
async fn a_read_the_log_cannot_record_fails() {
    let (_dir, store) = sqlite().await;
    let s = Stores::of(store.clone());
    let w = World::create(&s).await;
    let call = call_of_rep_a(&s, &w).await;
    let recorder = AccessRecorder::new(
        s.workspaces.clone(),
        Arc::new(SystemClock),
        AccessLogConfig::WRITE_THROUGH,
    )
    .unwrap();
    let logged = AccessLoggedCallStore::new(s.calls.clone(), Arc::new(recorder));
    hide_log(&store, true).await;
    let r = logged.get_transcript(&w.rep_a, call.id).await;
    assert!(r.is_err(), "a transcript was served unrecorded");
    hide_log(&store, false).await;
    logged.get_transcript(&w.rep_a, call.id).await.unwrap();
    // The refused read's record was kept and written first: the log may
    // name a read that returned an error, never miss one that returned data.
    let log = log_of(&s, &w).await;
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|r| r.action == AccessAction::TranscriptRead));
}

/// Batched: records wait for a full batch or `max_delay`; while the log
/// cannot be written they wait in a bounded backlog, and once it is full
/// reads fail until the log can be written again.
#[tokio::test]
async fn batches_wait_boundedly_and_then_reads_fail() {
    let (_dir, store) = sqlite().await;
    let s = Stores::of(store.clone());
    let w = World::create(&s).await;
    let call = call_of_rep_a(&s, &w).await;
    let clock = Arc::new(ManualClock::new(base_time()));
    let config = AccessLogConfig {
        batch: 3,
        max_delay: chrono::Duration::seconds(60),
        max_pending: 6,
    };
    let recorder =
        Arc::new(AccessRecorder::new(s.workspaces.clone(), clock.clone(), config).unwrap());
    let logged = AccessLoggedCallStore::new(s.calls.clone(), recorder.clone());
    let read = |scope: Scope| {
        let logged = logged.clone();
        async move { logged.get_call(&scope, call.id).await }
    };
    read(w.rep_a.clone()).await.unwrap();
    read(w.rep_a.clone()).await.unwrap();
    assert_eq!(log_of(&s, &w).await.len(), 0, "two records wait");
    read(w.rep_a.clone()).await.unwrap();
    assert_eq!(log_of(&s, &w).await.len(), 3, "a full batch is written");
    read(w.manager.clone()).await.unwrap();
    clock.advance(chrono::Duration::seconds(61));
    assert_eq!(recorder.pending(), 1);
    // An old record goes out with the next one, however few.
    read(w.rep_a.clone()).await.unwrap();
    assert_eq!(log_of(&s, &w).await.len(), 5);

    hide_log(&store, true).await;
    for n in 1..=5 {
        read(w.rep_a.clone())
            .await
            .unwrap_or_else(|e| panic!("read {n}: {e}"));
    }
    assert_eq!(recorder.pending(), 5, "the failed batches wait");
    assert!(read(w.rep_a.clone()).await.is_err(), "the backlog is full");
    assert!(read(w.rep_a.clone()).await.is_err(), "still full");
    assert_eq!(recorder.pending(), 6);
    hide_log(&store, false).await;
    read(w.rep_a.clone()).await.unwrap();
    recorder.flush().await.unwrap();
    assert_eq!(recorder.pending(), 0);
    assert_eq!(log_of(&s, &w).await.len(), 5 + 6 + 1);
}

fn batched(batch: usize, max_pending: usize) -> AccessLogConfig {
    AccessLogConfig {
        batch,
        max_delay: chrono::Duration::seconds(60),
        max_pending,
    }
}

/// A read whose future is dropped while it writes the batch (a client
/// hanging up) puts the batch back: nobody's records are lost.
#[tokio::test]
async fn a_cancelled_write_loses_no_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("closeq.db");
    let store = Arc::new(SqliteStore::open(&path, hasher()).await.unwrap());
    let s = Stores::of(store.clone());
    let w = World::create(&s).await;
    let call = call_of_rep_a(&s, &w).await;
    let recorder = Arc::new(
        AccessRecorder::new(s.workspaces.clone(), Arc::new(SystemClock), batched(2, 10)).unwrap(),
    );
    let logged = AccessLoggedCallStore::new(s.calls.clone(), recorder.clone());
    logged.get_call(&w.manager, call.id).await.unwrap();
    // Another connection holds the write lock: the batch write waits.
    use sqlx::Connection;
    let mut blocker = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut blocker)
        .await
        .unwrap();
    let read = logged.get_call(&w.rep_a, call.id);
    let r = tokio::time::timeout(std::time::Duration::from_millis(200), read).await;
    assert!(r.is_err(), "the write should have been waiting");
    assert_eq!(recorder.pending(), 2, "the cancelled batch went back");
    sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();
    recorder.flush().await.unwrap();
    let log = log_of(&s, &w).await;
    assert_eq!(log.len(), 2);
    assert_eq!(
        log[0].actor, w.manager.user_id,
        "the other reader's record kept"
    );
}

/// A record the store refuses for good (its workspace was purged while it
/// waited) is dropped and counted; it does not block other workspaces.
#[tokio::test]
async fn a_record_of_a_purged_workspace_blocks_nobody() {
    let (_dir, store) = sqlite().await;
    let s = Stores::of(store.clone());
    let (a, b) = (World::create(&s).await, World::create(&s).await);
    let call_a = call_of_rep_a(&s, &a).await;
    let call_b = call_of_rep_a(&s, &b).await;
    let recorder = Arc::new(
        AccessRecorder::new(s.workspaces.clone(), Arc::new(SystemClock), batched(2, 2)).unwrap(),
    );
    let logged = AccessLoggedCallStore::new(s.calls.clone(), recorder.clone());
    logged.get_call(&a.rep_a, call_a.id).await.unwrap();
    let receipt =
        closeq_core::PurgeReceipt::new(closeq_core::PurgeReason::OwnerRequest, base_time(), 1, 0);
    s.workspaces
        .delete_workspace(&a.owner, &receipt)
        .await
        .unwrap();
    for _ in 0..3 {
        logged.get_call(&b.rep_a, call_b.id).await.unwrap();
    }
    recorder.flush().await.unwrap();
    assert_eq!(recorder.dropped(), 1);
    assert_eq!(recorder.pending(), 0);
    assert_eq!(log_of(&s, &b).await.len(), 3);
}

/// More ids than one record holds (a call with 1,001 scorecards) make
/// several records, never a refused read.
#[tokio::test]
async fn a_huge_read_is_split_not_refused() {
    let (_dir, store) = sqlite().await;
    let s = Stores::of(store.clone());
    let w = World::create(&s).await;
    let recorder = AccessRecorder::new(
        s.workspaces.clone(),
        Arc::new(SystemClock),
        AccessLogConfig::WRITE_THROUGH,
    )
    .unwrap();
    let ids: Vec<uuid::Uuid> = (0..1_001).map(|_| uuid::Uuid::now_v7()).collect();
    recorder
        .record(&w.rep_a, AccessAction::ScorecardRead, ids.clone())
        .await
        .unwrap();
    let log = log_of(&s, &w).await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].resources.len(), 1_000);
    assert_eq!(log[1].resources, [ids[1_000]]);
    // A batch over 10,000 records is refused whole by the store.
    let many: Vec<AccessRecord> = (0..10_001)
        .map(|_| AccessRecord::new(&w.rep_a, AccessAction::CallRead, vec![], base_time()))
        .collect();
    let r = s.workspaces.append_access(&w.rep_a, &many).await;
    assert!(matches!(r, Err(Error::InvalidInput { .. })), "{r:?}");
}

/// `flush` says when records are left unwritten.
#[tokio::test]
async fn a_failed_flush_is_an_error() {
    let (_dir, store) = sqlite().await;
    let s = Stores::of(store.clone());
    let w = World::create(&s).await;
    let recorder =
        AccessRecorder::new(s.workspaces.clone(), Arc::new(SystemClock), batched(3, 6)).unwrap();
    recorder
        .record(&w.rep_a, AccessAction::CallRead, vec![])
        .await
        .unwrap();
    hide_log(&store, true).await;
    assert!(recorder.flush().await.is_err());
    assert_eq!(recorder.pending(), 1);
    hide_log(&store, false).await;
    recorder.flush().await.unwrap();
    assert_eq!(log_of(&s, &w).await.len(), 1);
}

#[test]
fn a_recorder_refuses_a_config_that_cannot_work() {
    let store: Arc<dyn WorkspaceStore> = Arc::new(InMemoryStore::new(hasher()));
    for (batch, max_pending) in [(0, 10), (10, 5)] {
        let config = AccessLogConfig {
            batch,
            max_delay: chrono::Duration::seconds(1),
            max_pending,
        };
        let r = AccessRecorder::new(store.clone(), Arc::new(SystemClock), config);
        assert!(matches!(r, Err(Error::InvalidInput { .. })));
    }
}

#[cfg(feature = "store-postgres")]
mod postgres {
    use super::*;
    use closeq_storage::PostgresStore;
    use sqlx::{Connection, PgConnection};

    async fn act(c: &mut PgConnection, scope: Option<&Scope>, role: &str) {
        let (ws, user) = scope.map_or_else(Default::default, |s| {
            (s.workspace_id.to_string(), s.user_id.to_string())
        });
        sqlx::query(
            "SELECT set_config('closeq.workspace_id', $1, true), set_config('closeq.user_id', $2, true), \
             set_config('closeq.role', $3, true), set_config('closeq.team_ids', '', true), \
             set_config('closeq.lookup_hash', '', true)",
        )
        .bind(ws)
        .bind(user)
        .bind(role)
        .execute(c)
        .await
        .unwrap();
    }

    /// Runs `sql` acting as `scope` in a rolled-back transaction; rows
    /// changed or returned, or the database's refusal. (No `RETURNING` on
    /// the insert: returned rows must also pass the SELECT policies, which
    /// only admins do.)
    async fn run(
        db: &support::Db,
        scope: Option<&Scope>,
        role: &str,
        sql: &str,
        w: &World,
        actor: &Scope,
    ) -> Result<u64, String> {
        let mut c = PgConnection::connect(&db.runtime_url).await.unwrap();
        let mut tx = c.begin().await.unwrap();
        act(&mut tx, scope, role).await;
        let r = sqlx::query(sql)
            .bind(w.workspace.id.as_uuid())
            .bind(actor.user_id.as_uuid())
            .execute(&mut *tx)
            .await
            .map(|done| done.rows_affected())
            .map_err(|e| e.to_string());
        tx.rollback().await.unwrap();
        r
    }

    /// The runtime role appends only in its own user's name, reads the log
    /// only as an owner or admin, and changes or deletes nothing of it
    /// directly, whatever the role; the expiry function acts only for
    /// owners and admins of the scope's own workspace.
    #[tokio::test]
    async fn the_runtime_role_cannot_forge_read_or_erase_the_access_log() {
        let Some(db) = support::db() else { return };
        let store = Arc::new(
            PostgresStore::connect(&db.runtime_url, hasher())
                .await
                .unwrap(),
        );
        let s = Stores::of(store);
        let (w, other) = (World::create(&s).await, World::create(&s).await);
        let record = AccessRecord::new(&w.rep_a, AccessAction::CallRead, vec![], base_time());
        s.workspaces
            .append_access(&w.rep_a, &[record])
            .await
            .unwrap();
        let insert = "INSERT INTO access_records (workspace_id, at, actor, action, resources) \
                      VALUES ($1, now(), $2, 'call.read', '')";
        assert_eq!(
            run(db, Some(&w.rep_a), "member", insert, &w, &w.rep_a).await,
            Ok(1),
            "one's own read"
        );
        // Rows the store could not read back are refused by the schema.
        for bad in [
            "INSERT INTO access_records (workspace_id, at, actor, action, resources) \
             VALUES ($1, now(), $2, 'call.write', '')",
            "INSERT INTO access_records (workspace_id, at, actor, action, resources) \
             VALUES ($1, now(), $2, 'call.read', '\\x00')",
        ] {
            let r = run(db, Some(&w.rep_a), "member", bad, &w, &w.rep_a).await;
            assert!(r.is_err(), "an unreadable row was stored: {bad}");
        }
        for (who, role, actor) in [
            (&w.rep_b, "member", &w.rep_a),
            (&w.admin, "admin", &w.rep_a),
            (&other.owner, "owner", &other.owner),
        ] {
            let r = run(db, Some(who), role, insert, &w, actor).await;
            assert!(r.is_err(), "{role} forged a record: {r:?}");
        }
        let select = "SELECT seq FROM access_records WHERE workspace_id = $1 AND actor = $2";
        assert_eq!(
            run(db, Some(&w.rep_a), "member", select, &w, &w.rep_a).await,
            Ok(0)
        );
        assert_eq!(
            run(db, Some(&w.manager), "manager", select, &w, &w.rep_a).await,
            Ok(0)
        );
        assert_eq!(
            run(db, Some(&w.admin), "admin", select, &w, &w.rep_a).await,
            Ok(1)
        );
        assert_eq!(
            run(db, Some(&other.owner), "owner", select, &w, &w.rep_a).await,
            Ok(0)
        );
        for sql in [
            "DELETE FROM access_records WHERE workspace_id = $1 AND actor = $2 RETURNING seq",
            "UPDATE access_records SET actor = $2 WHERE workspace_id = $1 RETURNING seq",
        ] {
            for (who, role) in [(&w.owner, "owner"), (&w.rep_a, "member")] {
                let r = run(db, Some(who), role, sql, &w, &w.rep_a).await;
                let e = r.expect_err("changed the access log directly");
                assert!(e.contains("permission denied"), "{e}");
            }
        }
        let expire = "SELECT * FROM closeq_expire_access($1, now() + interval '1 day', 10) WHERE $2::uuid IS NOT NULL";
        for (scope, role) in [
            (Some(&w.manager), "manager"),
            (Some(&other.admin), "admin"),
            (None, "admin"),
        ] {
            let e = run(db, scope, role, expire, &w, &w.rep_a)
                .await
                .expect_err("expired another's access log");
            assert!(e.contains("only an owner or admin"), "{e}");
        }
    }
}

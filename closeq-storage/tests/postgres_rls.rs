//! Row-Level Security proven in the database itself: the runtime-role
//! check, the catalog, raw SQL as the runtime role, and a pool of one
//! connection interleaving tenants.
#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use closeq_core::Error;
use closeq_core::ports::{CallFilter, PageRequest};
use closeq_core::testing::{Stores, World};
use closeq_storage::{PostgresStore, SubjectHasher};
use sqlx::{Connection, Row};

fn hasher() -> SubjectHasher {
    SubjectHasher::new([9; 32], "44")
}

#[tokio::test]
async fn refuses_superuser_and_owner_connections() {
    let Some(db) = support::db() else { return };
    for url in [&db.admin_url, &db.owner_url] {
        match PostgresStore::connect(url, hasher()).await {
            Err(Error::Compliance { rule, .. }) => assert_eq!(rule, "row-level security"),
            other => panic!("{url}: {other:?}"),
        }
    }
    PostgresStore::connect(&db.runtime_url, hasher())
        .await
        .unwrap();
}

#[tokio::test]
async fn catalog_every_tenant_table_has_forced_rls_and_a_restrictive_policy() {
    let Some(db) = support::db() else { return };
    let mut c = sqlx::PgConnection::connect(&db.admin_url).await.unwrap();
    let tables: Vec<(String, bool, bool)> = sqlx::query_as(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid \
         WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attname = 'workspace_id' AND NOT a.attisdropped",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    assert!(tables.len() >= 12, "{tables:?}");
    for (t, enabled, forced) in &tables {
        assert!(
            *enabled && *forced,
            "{t}: RLS enabled={enabled} forced={forced}"
        );
        // One restrictive tenant policy for all commands, or one per
        // command (api_keys and invitations: the lookup branch is in the
        // SELECT one only, see adversarial_rls.rs).
        let cmds: Vec<(String,)> = sqlx::query_as("SELECT p.polcmd::text FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relname = $1 AND NOT p.polpermissive ORDER BY 1")
            .bind(t)
            .fetch_all(&mut c)
            .await
            .unwrap();
        let cmds: Vec<&str> = cmds.iter().map(|c| c.0.as_str()).collect();
        assert!(
            cmds == ["*"] || cmds == ["a", "d", "r", "w"],
            "{t} has no restrictive tenant policy for every command: {cmds:?}"
        );
    }
    let role: (bool, bool) =
        sqlx::query_as("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1")
            .bind(support::RUNTIME)
            .fetch_one(&mut c)
            .await
            .unwrap();
    assert_eq!(role, (false, false));
    let views: (i64,) = sqlx::query_as("SELECT count(*) FROM pg_views WHERE schemaname = 'public'")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(
        views.0, 0,
        "a view would run with its owner's rights and bypass RLS"
    );
}

async fn world_with_call() -> Option<(Arc<Stores>, World, World, closeq_core::Call)> {
    let db = support::db()?;
    let s = Arc::new(
        PostgresStore::connect(&db.runtime_url, hasher())
            .await
            .unwrap(),
    );
    let stores = Arc::new(Stores::of(s));
    let a = World::create(&stores).await;
    let b = World::create(&stores).await;
    let call = a.call(&a.rep_a, Some(a.team_a), 1);
    stores.calls.insert_call(&a.rep_a, &call).await.unwrap();
    Some((stores, a, b, call))
}

async fn set_scope(c: &mut sqlx::PgConnection, ws: &str, user: &str, role: &str, teams: &str) {
    sqlx::query("SELECT set_config('closeq.workspace_id', $1, true), set_config('closeq.user_id', $2, true), set_config('closeq.role', $3, true), set_config('closeq.team_ids', $4, true)")
        .bind(ws)
        .bind(user)
        .bind(role)
        .bind(teams)
        .execute(&mut *c)
        .await
        .unwrap();
}

#[tokio::test]
async fn raw_sql_as_the_runtime_role_sees_and_writes_nothing_across_tenants() {
    let Some((_stores, a, b, call)) = world_with_call().await else {
        return;
    };
    let db = support::db().unwrap();
    let mut c = sqlx::PgConnection::connect(&db.runtime_url).await.unwrap();
    // No scope at all: nothing.
    for t in [
        "calls",
        "workspaces",
        "members",
        "subject_index",
        "api_keys",
    ] {
        let n: (i64,) = sqlx::query_as(&format!("SELECT count(*) FROM {t}"))
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!(n.0, 0, "{t} visible without a scope");
    }
    // Another workspace's owner scope: nothing of A, and no write into A.
    let mut tx = c.begin().await.unwrap();
    set_scope(
        &mut tx,
        &b.workspace.id.to_string(),
        &b.owner.user_id.to_string(),
        "owner",
        "",
    )
    .await;
    let n: (i64,) = sqlx::query_as("SELECT count(*) FROM calls WHERE id = $1")
        .bind(call.id.as_uuid())
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(n.0, 0);
    let upd = sqlx::query("UPDATE calls SET status = 'analyzed' WHERE id = $1")
        .bind(call.id.as_uuid())
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(upd.rows_affected(), 0);
    let del = sqlx::query("DELETE FROM calls")
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(del.rows_affected(), 0);
    let ins = sqlx::query("INSERT INTO calls (id, workspace_id, rep_id, started_at, status, outcome, data) VALUES (gen_random_uuid(), $1, $2, now(), 'uploaded', 'unknown', '{}')")
        .bind(a.workspace.id.as_uuid())
        .bind(a.rep_a.user_id.as_uuid())
        .execute(&mut *tx)
        .await;
    assert!(
        ins.is_err(),
        "an insert into another workspace must be refused by WITH CHECK"
    );
    tx.rollback().await.unwrap();
    // A member of A who is not the rep: nothing; the rep: the call.
    let mut tx = c.begin().await.unwrap();
    set_scope(
        &mut tx,
        &a.workspace.id.to_string(),
        &a.rep_b.user_id.to_string(),
        "member",
        &a.team_b.to_string(),
    )
    .await;
    let n: (i64,) = sqlx::query_as("SELECT count(*) FROM calls")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(n.0, 0);
    let t: (i64,) = sqlx::query_as("SELECT count(*) FROM subject_index")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(t.0, 0, "a call's index rows are as invisible as the call");
    tx.rollback().await.unwrap();
    let mut tx = c.begin().await.unwrap();
    set_scope(
        &mut tx,
        &a.workspace.id.to_string(),
        &a.rep_a.user_id.to_string(),
        "member",
        &a.team_a.to_string(),
    )
    .await;
    let n: (i64,) = sqlx::query_as("SELECT count(*) FROM calls")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(n.0, 1);
    tx.rollback().await.unwrap();
    // The scope was transaction-local: gone again.
    let n: (i64,) = sqlx::query_as("SELECT count(*) FROM calls")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(n.0, 0);
}

#[tokio::test]
async fn a_pool_of_one_never_leaks_a_scope_between_transactions() {
    let Some(db) = support::db() else { return };
    let store = Arc::new(
        PostgresStore::connect_with(&db.runtime_url, 1, hasher())
            .await
            .unwrap(),
    );
    let stores = Stores::of(store.clone());
    let a = World::create(&stores).await;
    let b = World::create(&stores).await;
    for i in 0..5 {
        stores
            .calls
            .insert_call(&a.rep_a, &a.call(&a.rep_a, None, i))
            .await
            .unwrap();
        stores
            .calls
            .insert_call(&b.rep_a, &b.call(&b.rep_a, None, i))
            .await
            .unwrap();
    }
    for _ in 0..20 {
        let pa = stores
            .calls
            .list_calls(&a.owner, &CallFilter::default(), &PageRequest::first(100))
            .await
            .unwrap();
        assert!(pa.items.iter().all(|c| c.workspace_id == a.workspace.id) && pa.items.len() == 5);
        // The same single connection, straight after: no scope, no rows.
        let n: i64 = sqlx::query("SELECT count(*) FROM calls")
            .fetch_one(store.pool())
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 0, "a scope survived its transaction");
        let pb = stores
            .calls
            .list_calls(&b.rep_a, &CallFilter::default(), &PageRequest::first(100))
            .await
            .unwrap();
        assert!(pb.items.iter().all(|c| c.workspace_id == b.workspace.id) && pb.items.len() == 5);
    }
}

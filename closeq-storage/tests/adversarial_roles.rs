//! Attacks on the runtime-role check of `PostgresStore::connect`.
//!
//! Row-Level Security binds a role only while it cannot lift it. A role
//! that is a member of the table owner can `SET ROLE` to it and run
//! `ALTER TABLE … NO FORCE ROW LEVEL SECURITY`; a member of a superuser or
//! BYPASSRLS role skips the policies with one `SET ROLE`; a CREATEROLE role
//! can (before PostgreSQL 16) grant itself any of these. Before the fix,
//! `connect` looked at the runtime role's own attributes only and accepted
//! all of them. Each case below makes such a role, shows the escalation
//! works in the database, and asserts `connect` refuses it.
#![cfg(feature = "store-postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use closeq_core::Error;
use closeq_storage::{PostgresStore, SubjectHasher};
use sqlx::{Connection, PgConnection};

fn hasher() -> SubjectHasher {
    SubjectHasher::new([9; 32], "44")
}

/// A fresh login role (cluster-wide, so the name is random), made by the
/// superuser with `grants` run after `CREATE ROLE` (`{r}` is the role).
async fn role(db: &support::Db, attrs: &str, grants: &[String]) -> String {
    // Catalog changes one at a time: concurrent GRANTs on one role can fail
    // with "tuple concurrently updated".
    static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _serial = SERIAL.lock().await;
    let name = format!("closeq_adv_{}", uuid::Uuid::new_v4().simple());
    let mut c = PgConnection::connect(&db.admin_url).await.unwrap();
    sqlx::query(&format!("CREATE ROLE {name} LOGIN {attrs}"))
        .execute(&mut c)
        .await
        .unwrap();
    for g in grants {
        sqlx::query(&g.replace("{r}", &name))
            .execute(&mut c)
            .await
            .unwrap();
    }
    // The data privileges the real runtime role has, so only the
    // membership differs from an accepted role.
    sqlx::query(&format!("GRANT {} TO {name}", support::RUNTIME))
        .execute(&mut c)
        .await
        .unwrap();
    name
}

async fn assert_refused(db: &support::Db, role: &str, why: &str) {
    let url = support::url_for(&db.admin_url, role, &db.name);
    match PostgresStore::connect(&url, hasher()).await {
        Err(Error::Compliance { rule, reason }) => {
            assert_eq!(rule, "row-level security", "{why}");
            assert!(!reason.is_empty());
        }
        Ok(_) => panic!("{why}: connect accepted a role that can lift Row-Level Security"),
        Err(other) => panic!("{why}: {other:?}"),
    }
}

/// The escalation itself, to show each case is a real one: as `role`,
/// `SET ROLE owner` and switch RLS off on a tenant table.
async fn can_lift_rls_through_the_owner(db: &support::Db, role: &str) -> bool {
    let url = support::url_for(&db.admin_url, role, &db.name);
    let mut c = PgConnection::connect(&url).await.unwrap();
    let mut tx = c.begin().await.unwrap();
    let ok = sqlx::query(&format!("SET LOCAL ROLE {}", support::OWNER))
        .execute(&mut *tx)
        .await
        .is_ok()
        && sqlx::query("ALTER TABLE calls NO FORCE ROW LEVEL SECURITY")
            .execute(&mut *tx)
            .await
            .is_ok();
    tx.rollback().await.unwrap();
    ok
}

#[tokio::test]
async fn a_direct_member_of_the_owner_role_is_refused() {
    let Some(db) = support::db() else { return };
    let r = role(db, "", &[format!("GRANT {} TO {{r}}", support::OWNER)]).await;
    assert!(can_lift_rls_through_the_owner(db, &r).await);
    assert_refused(db, &r, "direct member of the owner").await;
}

#[tokio::test]
async fn a_transitive_member_of_the_owner_role_is_refused() {
    let Some(db) = support::db() else { return };
    let mid = format!("closeq_adv_mid_{}", uuid::Uuid::new_v4().simple());
    let r = role(
        db,
        "",
        &[
            format!("CREATE ROLE {mid} NOLOGIN"),
            format!("GRANT {} TO {mid}", support::OWNER),
            format!("GRANT {mid} TO {{r}}"),
        ],
    )
    .await;
    assert!(can_lift_rls_through_the_owner(db, &r).await);
    assert_refused(db, &r, "member of a member of the owner").await;
}

#[tokio::test]
async fn a_noinherit_member_of_the_owner_role_is_refused() {
    // NOINHERIT: the owner's rights are not used implicitly (no USAGE),
    // but SET ROLE still reaches them (MEMBER).
    let Some(db) = support::db() else { return };
    let r = role(
        db,
        "NOINHERIT",
        &[format!("GRANT {} TO {{r}}", support::OWNER)],
    )
    .await;
    assert!(can_lift_rls_through_the_owner(db, &r).await);
    assert_refused(db, &r, "NOINHERIT member of the owner").await;
}

#[tokio::test]
async fn a_member_of_a_bypassrls_or_superuser_role_is_refused() {
    let Some(db) = support::db() else { return };
    for attr in ["BYPASSRLS", "SUPERUSER"] {
        let powerful = format!("closeq_adv_p_{}", uuid::Uuid::new_v4().simple());
        let r = role(
            db,
            "",
            &[
                format!("CREATE ROLE {powerful} NOLOGIN {attr}"),
                format!("GRANT {powerful} TO {{r}}"),
            ],
        )
        .await;
        assert_refused(db, &r, &format!("member of a {attr} role")).await;
    }
}

#[tokio::test]
async fn a_createrole_role_is_refused() {
    // Before PostgreSQL 16 CREATEROLE may grant itself membership in the
    // owner role; on 16 and later it still administers roles it creates.
    let Some(db) = support::db() else { return };
    let r = role(db, "CREATEROLE", &[]).await;
    assert_refused(db, &r, "CREATEROLE").await;
}

#[tokio::test]
async fn a_member_of_the_plain_runtime_role_is_accepted() {
    // The check is about power, not about membership as such: a login role
    // that only inherits the runtime role's data privileges is fine.
    let Some(db) = support::db() else { return };
    let r = role(db, "", &[]).await;
    assert!(!can_lift_rls_through_the_owner(db, &r).await);
    let url = support::url_for(&db.admin_url, &r, &db.name);
    PostgresStore::connect(&url, hasher()).await.unwrap();
}

/// A runtime role that may create objects in `public` — the default
/// before PostgreSQL 15, and on any database not set up by `closeq db
/// setup` — plants `public.convert_to(text, text)`. The job functions run
/// as the owner (`SECURITY DEFINER`, `search_path = public, pg_temp`) and
/// call `convert_to(p_token, 'UTF8')`: the planted function is the better
/// match for the untyped literal, so it runs with the owner's rights and
/// switches Row-Level Security off. Before the fix `connect` accepted such
/// a role.
#[tokio::test]
async fn a_role_that_can_create_in_public_hijacks_the_definer_functions_and_is_refused() {
    let Some(db) = support::db() else { return };
    let r = role(db, "", &["GRANT CREATE ON SCHEMA public TO {r}".to_owned()]).await;
    let url = support::url_for(&db.admin_url, &r, &db.name);
    let mut c = PgConnection::connect(&url).await.unwrap();
    // The attack, as the role itself.
    sqlx::query(
        "CREATE FUNCTION public.convert_to(t text, e text) RETURNS bytea LANGUAGE plpgsql AS $$ \
         BEGIN EXECUTE 'ALTER TABLE calls NO FORCE ROW LEVEL SECURITY'; \
         RETURN pg_catalog.convert_to(t, e::name); END $$",
    )
    .execute(&mut c)
    .await
    .unwrap();
    // A job to lease (any workspace's: workers lease across them).
    let mut admin = PgConnection::connect(&db.admin_url).await.unwrap();
    sqlx::query(
        "INSERT INTO jobs (id, workspace_id, kind, payload, max_attempts, state, enqueued_by, \
         run_after, updated_at) VALUES (gen_random_uuid(), gen_random_uuid(), 'retention_sweep', \
         '{}', 1, 'queued', gen_random_uuid(), now() - interval '1 day', now())",
    )
    .execute(&mut admin)
    .await
    .unwrap();
    let leased = sqlx::query(
        "SELECT * FROM closeq_job_lease('retention_sweep', now(), now() + interval '1 minute', 'x')",
    )
    .execute(&mut c)
    .await;
    eprintln!("lease as the planting role: {leased:?}");
    let (forced,): (bool,) = sqlx::query_as(
        "SELECT relforcerowsecurity FROM pg_class WHERE oid = 'public.calls'::regclass",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    // Undo before asserting: the database is shared by this binary.
    sqlx::query("ALTER TABLE calls FORCE ROW LEVEL SECURITY")
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query("DROP FUNCTION public.convert_to(text, text)")
        .execute(&mut admin)
        .await
        .unwrap();
    assert!(!forced, "the planted function ran as the owner");
    assert_refused(db, &r, "CREATE on the definer functions' schema").await;
}

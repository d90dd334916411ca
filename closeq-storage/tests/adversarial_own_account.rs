//! Attacks on the self-service correction of account data
//! (`WorkspaceStore::rectify_own_account`, PostgreSQL migration 0012), in
//! raw SQL as the runtime role acting as a rep: the row policy that lets a
//! member update their own member row must not let them change their role,
//! teams, name or e-mail address, write a record the store cannot read
//! back (wrong types, unknown or duplicate keys), touch another member's
//! row, or file requests other than the store's own rectification
//! requests about themselves.
#![cfg(feature = "store-postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use closeq_core::Scope;
use closeq_core::testing::{Stores, World};
use closeq_storage::{PostgresStore, SubjectHasher};
use sqlx::{Connection, PgConnection};

async fn act(c: &mut PgConnection, s: &Scope, role: &str) {
    sqlx::query(
        "SELECT set_config('closeq.workspace_id', $1, true), set_config('closeq.user_id', $2, true), \
         set_config('closeq.role', $3, true), set_config('closeq.team_ids', '', true), \
         set_config('closeq.lookup_hash', '', true)",
    )
    .bind(s.workspace_id.to_string())
    .bind(s.user_id.to_string())
    .bind(role)
    .execute(c)
    .await
    .unwrap();
}

/// Runs `sql` ($1 the workspace, $2 a user id) as `who` in a rolled-back
/// transaction: rows changed, or the refusal.
async fn run(db: &support::Db, who: &Scope, sql: &str, user: &Scope) -> Result<u64, String> {
    let mut c = PgConnection::connect(&db.runtime_url).await.unwrap();
    let mut tx = c.begin().await.unwrap();
    act(&mut tx, who, "member").await;
    let r = sqlx::query(sql)
        .bind(who.workspace_id.as_uuid())
        .bind(user.user_id.as_uuid())
        .execute(&mut *tx)
        .await
        .map(|d| d.rows_affected())
        .map_err(|e| e.to_string());
    tx.rollback().await.unwrap();
    r
}

#[tokio::test]
async fn a_member_changes_only_their_own_account_data() {
    let Some(db) = support::db() else { return };
    let store = PostgresStore::connect(&db.runtime_url, SubjectHasher::new([9; 32], "44"))
        .await
        .unwrap();
    let s = Stores::of(Arc::new(store));
    let w = World::create(&s).await;
    let (me, other) = (&w.rep_a, &w.rep_b);
    let set = |path: &str, value: &str| {
        format!(
            "UPDATE members SET data = jsonb_set(data::jsonb, '{{{path}}}', '{value}')::text \
             WHERE workspace_id = $1 AND user_id = $2"
        )
    };
    assert_eq!(
        run(db, me, &set("time_zone", "\"America/New_York\""), me).await,
        Ok(1),
        "one's own time zone"
    );
    assert_eq!(
        run(
            db,
            me,
            &set(
                "preferences",
                r#"{"locale": "pl", "notifications": {"weekly_summary": false}}"#
            ),
            me
        )
        .await,
        Ok(1),
        "one's own preferences"
    );
    // Name and address identify the member to erasure and invitations;
    // membership is the admins'; and nothing the store could not read back.
    for (path, value) in [
        ("display_name", "\"Thank You\""),
        ("email", "\"someone.else@example.com\""),
        ("role", "\"owner\""),
        ("team_ids", "[]"),
        ("joined_at", "\"2020-01-01T00:00:00Z\""),
        ("preferences", "null"),
        ("preferences", r#"{"theme": "dark"}"#),
        ("preferences", r#"{"locale": "not a tag"}"#),
        (
            "preferences",
            r#"{"notifications": {"weekly_summary": "yes"}}"#,
        ),
        ("time_zone", "\"a b\""),
        ("time_zone", "5"),
    ] {
        let e = run(db, me, &set(path, value), me)
            .await
            .expect_err("changed what is not theirs, or wrote an unreadable record");
        assert!(
            e.contains("only their own account data"),
            "{path} = {value}: {e}"
        );
    }
    let duplicate = "UPDATE members SET data = regexp_replace(data, '^\\{', '{\"role\":\"owner\",') \
                     WHERE workspace_id = $1 AND user_id = $2";
    let e = run(db, me, duplicate, me)
        .await
        .expect_err("a duplicated key slipped through");
    assert!(e.contains("only their own account data"), "{e}");
    assert_eq!(
        run(db, me, &set("time_zone", "\"Europe/Paris\""), other).await,
        Ok(0),
        "another member's row is out of reach"
    );
    let move_row = "UPDATE members SET user_id = $2 WHERE workspace_id = $1 AND user_id = $2";
    assert_eq!(run(db, me, move_row, other).await, Ok(0));

    // Requests: only what the store writes — new, about oneself, complete
    // and readable. Hand-made documents are refused, however close.
    let request = |subject: &Scope, kind: &str, state: &str| {
        format!(
            "INSERT INTO subject_requests (id, workspace_id, received_at, data) VALUES \
             (gen_random_uuid(), $1, now(), json_build_object('kind', '{kind}', \
             'subject', json_build_object('kind', 'user', 'value', '{}'), \
             'state', json_build_object('state', '{state}'), 'x', $2::text)::text)",
            subject.user_id
        )
    };
    for (about, kind, state) in [
        (me, "rectification", "completed"),
        (me, "rectification", "received"),
        (other, "rectification", "completed"),
        (me, "erasure", "completed"),
    ] {
        let r = run(db, me, &request(about, kind, state), me).await;
        assert!(r.is_err(), "a member filed {kind}/{state}: {r:?}");
    }
}

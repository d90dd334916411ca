//! Attacks on the Row-Level Security policies, in raw SQL as the runtime
//! role (what a store bug, or an embedder's own query on the store's pool,
//! can do).
//!
//! - The authentication lookup (the hash of an API key or invitation
//!   token) opened a branch of the FOR ALL tenant policy, so it applied to
//!   UPDATE and DELETE too: an admin of workspace B who knew the hash of a
//!   key of workspace A could rewrite or delete it. The branch is for
//!   SELECT only now (migration 0005).
//! - The records of a call (transcript, scorecards, verdicts, subject
//!   index) carry copies of the call's rep and team, which their
//!   visibility policy reads. Nothing tied the copies to the call: the rep
//!   could move their scorecard into another team's view. A trigger now
//!   refuses a record that does not match its call, and a change of the
//!   call's rep or team carries over to its records.
#![cfg(feature = "store-postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use closeq_core::ports::ApiKeyRecord;
use closeq_core::testing::call_store::{sample_scorecard, sample_transcript};
use closeq_core::testing::{Stores, World, base_time};
use closeq_core::{ApiKeyId, Call, EmailAddress, Invitation, Role, Scope, Verdict};
use closeq_storage::{PostgresStore, SubjectHasher};
use sqlx::{Connection, PgConnection};

fn hasher() -> SubjectHasher {
    SubjectHasher::new([9; 32], "44")
}

async fn stores(db: &support::Db) -> Stores {
    let s = PostgresStore::connect(&db.runtime_url, hasher())
        .await
        .unwrap();
    Stores::of(Arc::new(s))
}

/// Sets the transaction-local settings the policies read, as the store's
/// `begin` does: `scope` (or none) and a lookup hash (or none).
async fn act(c: &mut PgConnection, scope: Option<&Scope>, role: &str, lookup: Option<[u8; 32]>) {
    let (ws, user, teams) = scope.map_or_else(Default::default, |s| {
        let teams: Vec<String> = s.team_ids.iter().map(ToString::to_string).collect();
        (
            s.workspace_id.to_string(),
            s.user_id.to_string(),
            teams.join(","),
        )
    });
    sqlx::query(
        "SELECT set_config('closeq.workspace_id', $1, true), set_config('closeq.user_id', $2, true), \
         set_config('closeq.role', $3, true), set_config('closeq.team_ids', $4, true), \
         set_config('closeq.lookup_hash', $5, true)",
    )
    .bind(ws)
    .bind(user)
    .bind(role)
    .bind(teams)
    .bind(lookup.map(hex::encode).unwrap_or_default())
    .execute(c)
    .await
    .unwrap();
}

/// Runs `sql` (binding `hash` as $1) in a transaction acting as given;
/// the rows it changed, or `None` if the database refused it. Rolled back.
async fn try_write(
    db: &support::Db,
    scope: Option<&Scope>,
    role: &str,
    lookup: Option<[u8; 32]>,
    sql: &str,
    hash: [u8; 32],
) -> Option<u64> {
    let mut c = PgConnection::connect(&db.runtime_url).await.unwrap();
    let mut tx = c.begin().await.unwrap();
    act(&mut tx, scope, role, lookup).await;
    let r = sqlx::query(sql).bind(&hash[..]).execute(&mut *tx).await;
    tx.rollback().await.unwrap();
    r.ok().map(|d| d.rows_affected())
}

async fn count(db: &support::Db, lookup: [u8; 32], sql: &str) -> i64 {
    let mut c = PgConnection::connect(&db.runtime_url).await.unwrap();
    let mut tx = c.begin().await.unwrap();
    act(&mut tx, None, "", Some(lookup)).await;
    let n: (i64,) = sqlx::query_as(sql)
        .bind(&lookup[..])
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    n.0
}

/// A key and an invitation in workspace `a`, with their hashes.
async fn secrets_of(s: &Stores, a: &World) -> ([u8; 32], [u8; 32]) {
    let key_hash: [u8; 32] = rand::random();
    let key = ApiKeyRecord {
        id: ApiKeyId::new(),
        workspace_id: a.workspace.id,
        name: "dialer".into(),
        display_prefix: "cq_live_ab12".into(),
        secret_sha256: key_hash,
        scopes: vec!["calls:write".into()],
        created_by: a.owner.user_id,
        created_at: base_time(),
        last_used_at: None,
        revoked_at: None,
    };
    s.workspaces.insert_api_key(&a.owner, &key).await.unwrap();
    let token_hash: [u8; 32] = rand::random();
    let inv = Invitation::new(
        a.workspace.id,
        EmailAddress::parse("invitee@example.com").unwrap(),
        Role::Member,
        a.owner.user_id,
        base_time(),
        base_time() + chrono::Duration::days(7),
    )
    .unwrap();
    s.workspaces
        .insert_invitation(&a.owner, &inv, token_hash)
        .await
        .unwrap();
    (key_hash, token_hash)
}

#[tokio::test]
async fn the_lookup_hash_reads_its_row_and_writes_nothing() {
    let Some(db) = support::db() else { return };
    let s = stores(db).await;
    let a = World::create(&s).await;
    let b = World::create(&s).await;
    let (key, token) = secrets_of(&s, &a).await;
    for (table, column, hash) in [
        ("api_keys", "secret_sha256", key),
        ("invitations", "token_sha256", token),
    ] {
        // The lookup still finds the row (authentication needs it).
        let sql = format!("SELECT count(*) FROM {table} WHERE {column} = $1");
        assert_eq!(count(db, hash, &sql).await, 1, "{table}: lookup");
        let update = format!("UPDATE {table} SET data = data WHERE {column} = $1");
        let delete = format!("DELETE FROM {table} WHERE {column} = $1");
        for sql in [&update, &delete] {
            // The lookup alone, with each role name.
            for role in ["", "owner", "admin", "system", "holder"] {
                let n = try_write(db, None, role, Some(hash), sql, hash).await;
                assert!(
                    matches!(n, None | Some(0)),
                    "{table}: `{sql}` with only the lookup hash and role '{role}' changed {n:?} rows"
                );
            }
            // B's owner presenting the hash of A's secret: nothing of A.
            for role in ["owner", "holder"] {
                let n = try_write(db, Some(&b.owner), role, Some(hash), sql, hash).await;
                assert!(
                    matches!(n, None | Some(0)),
                    "{table}: `{sql}` by another workspace's {role} with the lookup hash changed {n:?} rows"
                );
            }
        }
        // A's own owner still can (the lookup took nothing away).
        let n = try_write(db, Some(&a.owner), "owner", None, &update, hash).await;
        assert_eq!(n, Some(1), "{table}: the workspace's owner updates");
    }
}

#[tokio::test]
async fn catalog_the_lookup_branch_is_in_select_policies_only() {
    let Some(db) = support::db() else { return };
    let mut c = PgConnection::connect(&db.admin_url).await.unwrap();
    let rows: Vec<(String, String, bool, String)> = sqlx::query_as(
        "SELECT c.relname, p.polcmd::text, p.polpermissive, \
         coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') \
         FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid \
         WHERE c.relname IN ('api_keys', 'invitations')",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    assert!(!rows.is_empty());
    for (table, cmd, permissive, expr) in &rows {
        if expr.contains("closeq_lookup_hash") {
            let holder = *permissive && cmd == "w" && expr.contains("'holder'");
            assert!(
                cmd == "r" || holder,
                "{table}: a {} policy for command '{cmd}' reads the lookup hash: {expr}",
                if *permissive {
                    "permissive"
                } else {
                    "restrictive"
                }
            );
        }
        if !permissive && cmd != "r" {
            assert!(
                !expr.contains("closeq_lookup_hash"),
                "{table}: restrictive '{cmd}' policy has a lookup branch"
            );
        }
    }
    // Every command is still under a restrictive tenant policy.
    for table in ["api_keys", "invitations"] {
        for cmd in ["r", "a", "w", "d"] {
            assert!(
                rows.iter()
                    .any(|(t, c, p, _)| t == table && !p && (c == cmd || c == "*")),
                "{table}: no restrictive policy for '{cmd}'"
            );
        }
    }
}

/// A call of rep A in team A with a transcript and a scorecard.
async fn call_with_records(s: &Stores, w: &World) -> Call {
    let call = w.call(&w.rep_a, Some(w.team_a), 5);
    s.calls.insert_call(&w.rep_a, &call).await.unwrap();
    s.calls
        .put_transcript(&w.rep_a, call.id, &sample_transcript())
        .await
        .unwrap();
    let card = sample_scorecard(&call, 70.0, &[("greeting", Verdict::Met)]);
    s.calls.insert_scorecard(&w.admin, &card).await.unwrap();
    call
}

#[tokio::test]
async fn a_record_of_a_call_cannot_be_moved_to_another_team_or_rep() {
    let Some(db) = support::db() else { return };
    let s = stores(db).await;
    let w = World::create(&s).await;
    let call = call_with_records(&s, &w).await;
    let id = call.id.as_uuid();
    let other_team = w.team_b.as_uuid();
    let other_rep = w.rep_b.user_id.as_uuid();
    for table in [
        "transcripts",
        "scorecards",
        "call_verdicts",
        "subject_index",
    ] {
        for (who, role) in [(&w.rep_a, "member"), (&w.owner, "owner")] {
            for (set, value) in [("team_id", other_team), ("rep_id", other_rep)] {
                let mut c = PgConnection::connect(&db.runtime_url).await.unwrap();
                let mut tx = c.begin().await.unwrap();
                act(&mut tx, Some(who), role, None).await;
                let r = sqlx::query(&format!("UPDATE {table} SET {set} = $1 WHERE call_id = $2"))
                    .bind(value)
                    .bind(id)
                    .execute(&mut *tx)
                    .await;
                tx.rollback().await.unwrap();
                assert!(
                    r.as_ref().map_or(true, |d| d.rows_affected() == 0),
                    "{table}: the {role} set {set} of a call's record away from the call's"
                );
            }
        }
    }
    // An insert that does not match its call is refused too.
    let mut c = PgConnection::connect(&db.runtime_url).await.unwrap();
    let mut tx = c.begin().await.unwrap();
    act(&mut tx, Some(&w.owner), "owner", None).await;
    let r = sqlx::query(
        "INSERT INTO subject_index (workspace_id, rep_id, team_id, subject_hash, call_id) VALUES ($1, $2, $3, '\\x01', $4)",
    )
    .bind(w.workspace.id.as_uuid())
    .bind(other_rep)
    .bind(other_team)
    .bind(id)
    .execute(&mut *tx)
    .await;
    tx.rollback().await.unwrap();
    assert!(r.is_err(), "an index row for another rep and team");
}

#[tokio::test]
async fn the_calls_records_follow_a_change_of_its_team() {
    let Some(db) = support::db() else { return };
    let s = stores(db).await;
    let w = World::create(&s).await;
    let call = call_with_records(&s, &w).await;
    let mut moved = call.clone();
    moved.team_id = Some(w.team_b);
    s.calls.update_call(&w.admin, &moved).await.unwrap();
    let mut c = PgConnection::connect(&db.runtime_url).await.unwrap();
    let mut tx = c.begin().await.unwrap();
    act(&mut tx, Some(&w.owner), "owner", None).await;
    // Straight in SQL too: the database carries the change over.
    sqlx::query("UPDATE calls SET team_id = $1 WHERE id = $2")
        .bind(w.team_a.as_uuid())
        .bind(call.id.as_uuid())
        .execute(&mut *tx)
        .await
        .unwrap();
    for table in [
        "transcripts",
        "scorecards",
        "call_verdicts",
        "subject_index",
    ] {
        let stale: (i64,) = sqlx::query_as(&format!(
            "SELECT count(*) FROM {table} t WHERE t.call_id = $1 AND t.team_id IS DISTINCT FROM $2"
        ))
        .bind(call.id.as_uuid())
        .bind(w.team_a.as_uuid())
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert_eq!(stale.0, 0, "{table} kept the old team");
    }
    tx.rollback().await.unwrap();
}

#[tokio::test]
async fn an_audit_record_in_another_persons_name_is_refused() {
    // Before: any owner or admin scope (and the store's old "system"
    // writes) could append records naming anyone as the actor.
    let Some(db) = support::db() else { return };
    let s = stores(db).await;
    let w = World::create(&s).await;
    let record = |actor: Option<&Scope>| {
        serde_json::json!({
            "workspace_id": w.workspace.id,
            "at": base_time(),
            "actor": actor.map(|a| a.user_id),
            "action": "forged.record",
        })
        .to_string()
    };
    let insert = "INSERT INTO audit_records (workspace_id, data) VALUES ($1, $2)";
    for (who, role, actor, allowed) in [
        (&w.admin, "admin", Some(&w.rep_a), false),
        (&w.rep_a, "member", None, false),
        (&w.rep_b, "member", Some(&w.rep_a), false),
        (&w.rep_a, "member", Some(&w.rep_a), true),
        (&w.admin, "admin", None, true),
    ] {
        let mut c = PgConnection::connect(&db.runtime_url).await.unwrap();
        let mut tx = c.begin().await.unwrap();
        act(&mut tx, Some(who), role, None).await;
        let r = sqlx::query(insert)
            .bind(w.workspace.id.as_uuid())
            .bind(record(actor))
            .execute(&mut *tx)
            .await;
        tx.rollback().await.unwrap();
        assert_eq!(
            r.is_ok(),
            allowed,
            "{role} appending for {:?}",
            actor.map(|a| a.role)
        );
    }
}

/// The purge function runs with its owner's rights, so it must act only
/// for an owner of the scope's own workspace: an admin, an owner of
/// another workspace naming this one, or no scope at all purges nothing;
/// and the runtime role still cannot delete audit records or read
/// purge receipts directly.
#[tokio::test]
async fn the_purge_function_acts_only_for_the_owner_of_the_scopes_workspace() {
    let Some(db) = support::db() else { return };
    let s = stores(db).await;
    let (a, b) = (World::create(&s).await, World::create(&s).await);
    let purge = |scope: Option<Scope>, role: &'static str, target: closeq_core::WorkspaceId| async move {
        let mut c = PgConnection::connect(&db.runtime_url).await.unwrap();
        let mut tx = c.begin().await.unwrap();
        act(&mut tx, scope.as_ref(), role, None).await;
        let r = sqlx::query("SELECT closeq_purge_workspace($1)")
            .bind(target.as_uuid())
            .execute(&mut *tx)
            .await;
        tx.rollback().await.unwrap();
        r.map(|_| ())
    };
    let ws = a.workspace.id;
    for (scope, role) in [
        (Some(a.admin.clone()), "admin"),
        (Some(a.owner.clone()), "admin"),
        (Some(b.owner.clone()), "owner"),
        (None, "owner"),
    ] {
        let r = purge(scope, role, ws).await;
        let e = r.expect_err("purged without being the workspace's owner");
        assert!(e.to_string().contains("only an owner"), "{e}");
    }
    // The owner's own scope may (rolled back here).
    purge(Some(a.owner.clone()), "owner", ws).await.unwrap();
    s.workspaces.get_workspace(&a.owner).await.unwrap();
    // Direct deletes of the append-only log and reads of receipts stay
    // refused at the privilege level.
    let mut c = PgConnection::connect(&db.runtime_url).await.unwrap();
    let mut tx = c.begin().await.unwrap();
    act(&mut tx, Some(&a.owner), "owner", None).await;
    let del = sqlx::query("DELETE FROM audit_records")
        .execute(&mut *tx)
        .await;
    assert!(del.is_err(), "the runtime role deleted audit records");
    tx.rollback().await.unwrap();
    let mut tx = c.begin().await.unwrap();
    act(&mut tx, Some(&a.owner), "owner", None).await;
    let read = sqlx::query("SELECT data FROM purge_receipts")
        .execute(&mut *tx)
        .await;
    assert!(read.is_err(), "the runtime role read purge receipts");
}

/// The purge's permissive DELETE policies apply to the function's owner
/// only: a runtime session acting as an owner cannot delete its workspace
/// row (or its audit log, or its rollups) around the function — which
/// would skip the receipt and the legal-hold check and orphan the rows
/// without a foreign key.
#[tokio::test]
async fn the_runtime_role_cannot_delete_a_workspace_row_directly() {
    let Some(db) = support::db() else { return };
    let s = stores(db).await;
    let w = World::create(&s).await;
    let mut c = PgConnection::connect(&db.runtime_url).await.unwrap();
    for sql in [
        "DELETE FROM workspaces WHERE id = $1",
        "DELETE FROM daily_stats WHERE workspace_id = $1",
    ] {
        let mut tx = c.begin().await.unwrap();
        act(&mut tx, Some(&w.owner), "owner", None).await;
        let n = sqlx::query(sql)
            .bind(w.workspace.id.as_uuid())
            .execute(&mut *tx)
            .await
            .map(|r| r.rows_affected());
        tx.rollback().await.unwrap();
        if sql.contains("workspaces") {
            assert_eq!(n.unwrap(), 0, "{sql} deleted the workspace row");
        } else {
            assert!(n.is_ok(), "{sql}: {n:?}");
        }
    }
    s.workspaces.get_workspace(&w.owner).await.unwrap();
}

/// The audit-log expiry function runs with its owner's rights: a manager,
/// or an admin of another workspace naming this one, expires nothing.
#[tokio::test]
async fn the_audit_expiry_function_acts_only_for_admins_of_the_scopes_workspace() {
    let Some(db) = support::db() else { return };
    let s = stores(db).await;
    let (a, b) = (World::create(&s).await, World::create(&s).await);
    let ws = a.workspace.id.as_uuid();
    for (scope, role) in [
        (Some(&a.manager), "manager"),
        (Some(&b.admin), "admin"),
        (None, "admin"),
    ] {
        let mut c = PgConnection::connect(&db.runtime_url).await.unwrap();
        let mut tx = c.begin().await.unwrap();
        act(&mut tx, scope, role, None).await;
        let r = sqlx::query("SELECT * FROM closeq_expire_audit($1, now() + interval '1 day')")
            .bind(ws)
            .fetch_all(&mut *tx)
            .await;
        let e = r.expect_err("expired another's audit log");
        assert!(e.to_string().contains("only an owner or admin"), "{e}");
    }
}

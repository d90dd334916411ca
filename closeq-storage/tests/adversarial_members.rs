//! Attacks on membership and its record, on every backend: an admin
//! removing or demoting the owners (taking the workspace over), the only
//! owner removing or demoting themselves (a workspace nobody owns), two
//! owners removing each other at the same moment (each sees the other
//! still there), and an owner or admin writing audit records in the name of
//! "CloseQ itself" (actor `None`) to hide what they did. The store keeps
//! "at least one owner, changed only by an owner" itself and atomically,
//! and every audit record names the acting user. Each case failed before
//! its fix: the stores removed and replaced member records without
//! looking at roles, and took actor-less records from owners and admins.
//! (The memory store changes members under one lock: its concurrent case
//! runs the two removals one after the other and checks the rule only.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(feature = "store-postgres")]
mod support;

use std::sync::Arc;

use closeq_core::testing::{Stores, World};
use closeq_core::{Error, Role, Scope};
use closeq_storage::{InMemoryStore, SqliteStore, SubjectHasher};

fn hasher() -> SubjectHasher {
    SubjectHasher::new([6; 32], "44")
}

fn forbidden<T: std::fmt::Debug>(r: Result<T, Error>, why: &str) {
    assert!(matches!(r, Err(Error::Forbidden { .. })), "{why}: {r:?}");
}

async fn owners(s: &Stores, w: &World) -> usize {
    let members = s.workspaces.list_members(&w.owner).await;
    // The owner scope may itself be gone: read with the admin's.
    let members = match members {
        Ok(m) => m,
        Err(_) => s.workspaces.list_members(&w.admin).await.unwrap(),
    };
    members.iter().filter(|m| m.role == Role::Owner).count()
}

/// A second owner: the admin, promoted by the owner. Returns their scope.
async fn second_owner(s: &Stores, w: &World) -> Scope {
    let mut m = s
        .workspaces
        .get_member(&w.owner, w.admin.user_id)
        .await
        .unwrap();
    m.role = Role::Owner;
    s.workspaces.put_member(&w.owner, &m).await.unwrap();
    Scope::of_member(&m)
}

/// An admin may manage members, but not the owners.
async fn an_admin_cannot_remove_or_demote_an_owner(s: &Stores) {
    let w = World::create(s).await;
    forbidden(
        s.workspaces.remove_member(&w.admin, w.owner.user_id).await,
        "an admin removed the owner",
    );
    let mut owner = s
        .workspaces
        .get_member(&w.owner, w.owner.user_id)
        .await
        .unwrap();
    owner.role = Role::Member;
    forbidden(
        s.workspaces.put_member(&w.admin, &owner).await,
        "an admin demoted the owner",
    );
    assert_eq!(owners(s, &w).await, 1);
    // Members below owner stay the admin's to manage.
    s.workspaces
        .remove_member(&w.admin, w.rep_b.user_id)
        .await
        .unwrap();
}

/// The only owner cannot leave the workspace without an owner.
async fn the_only_owner_cannot_remove_or_demote_themselves(s: &Stores) {
    let w = World::create(s).await;
    forbidden(
        s.workspaces.remove_member(&w.owner, w.owner.user_id).await,
        "the only owner removed themselves",
    );
    let mut me = s
        .workspaces
        .get_member(&w.owner, w.owner.user_id)
        .await
        .unwrap();
    me.role = Role::Admin;
    forbidden(
        s.workspaces.put_member(&w.owner, &me).await,
        "the only owner demoted themselves",
    );
    assert_eq!(owners(s, &w).await, 1);
    // With a second owner, either may go.
    let other = second_owner(s, &w).await;
    s.workspaces
        .remove_member(&other, w.owner.user_id)
        .await
        .unwrap();
    assert_eq!(owners(s, &w).await, 1);
}

/// A scope carries the role it was built with; the store acts on the
/// stored one. A demoted owner's old scope can neither make itself owner
/// again nor demote the owner who demoted it.
async fn a_stale_owner_scope_is_not_an_owner(s: &Stores) {
    let w = World::create(s).await;
    let other = second_owner(s, &w).await;
    let mut me = s
        .workspaces
        .get_member(&w.owner, w.owner.user_id)
        .await
        .unwrap();
    me.role = Role::Member;
    s.workspaces.put_member(&other, &me).await.unwrap();
    let stale = &w.owner; // still says Role::Owner
    me.role = Role::Owner;
    forbidden(
        s.workspaces.put_member(stale, &me).await,
        "a demoted owner made themselves owner again",
    );
    let mut them = s
        .workspaces
        .get_member(&other, other.user_id)
        .await
        .unwrap();
    them.role = Role::Member;
    forbidden(
        s.workspaces.put_member(stale, &them).await,
        "a demoted owner demoted the owner",
    );
    forbidden(
        s.workspaces.remove_member(stale, w.rep_a.user_id).await,
        "a demoted owner removed a member",
    );
}

/// Two owners removing each other at once: one succeeds, one is refused.
async fn two_owners_removing_each_other_leave_one(s: &Stores) {
    for round in 0..12 {
        let w = World::create(s).await;
        let other = second_owner(s, &w).await;
        let (a, b) = tokio::join!(
            s.workspaces.remove_member(&w.owner, other.user_id),
            s.workspaces.remove_member(&other, w.owner.user_id),
        );
        let left = owners(s, &w).await;
        assert_eq!(left, 1, "round {round}: {left} owners left ({a:?}, {b:?})");
        assert!(a.is_ok() != b.is_ok(), "round {round}: {a:?}, {b:?}");
    }
}

/// Nobody writes an audit record without their name on it.
async fn audit_records_always_name_the_actor(s: &Stores) {
    let w = World::create(s).await;
    for scope in [&w.owner, &w.admin] {
        let record = closeq_core::AuditRecord {
            seq: 0,
            workspace_id: w.workspace.id,
            at: closeq_core::testing::base_time(),
            actor: None,
            action: "retention.sweep".into(),
            target: None,
            details: serde_json::json!({"deleted": 300}),
        };
        forbidden(
            s.workspaces.append_audit(scope, &record).await,
            "an actor-less audit record was accepted",
        );
    }
    assert!(
        s.workspaces
            .list_audit(&w.owner, 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

macro_rules! on_every_backend {
    ($($case:ident),* $(,)?) => {
        mod memory {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                super::$case(&Stores::of(Arc::new(InMemoryStore::new(hasher())))).await;
            })*
        }
        mod sqlite {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                // A file: a pool of several connections, whose write
                // transactions really contend (in memory there is one).
                let dir = tempfile::tempdir().unwrap();
                let s = SqliteStore::open(dir.path().join("m.db"), hasher()).await.unwrap();
                super::$case(&Stores::of(Arc::new(s))).await;
            })*
        }
        #[cfg(feature = "store-postgres")]
        mod postgres {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let Some(db) = support::db() else { return };
                let s = closeq_storage::PostgresStore::connect(&db.runtime_url, hasher())
                    .await
                    .unwrap();
                super::$case(&Stores::of(Arc::new(s))).await;
            })*
        }
    };
}

on_every_backend!(
    an_admin_cannot_remove_or_demote_an_owner,
    the_only_owner_cannot_remove_or_demote_themselves,
    two_owners_removing_each_other_leave_one,
    audit_records_always_name_the_actor,
    a_stale_owner_scope_is_not_an_owner,
);

//! Attacks on the erasure of a member through what stays behind them:
//!
//! - API keys the erased member created kept authenticating: a key acts
//!   with its creator's rights (see `closeq-server`), so a departed admin's
//!   dialer key stayed an admin's key with nobody behind it. Erasure now
//!   deletes them; and nobody creates a key in someone else's name.
//! - Two owners erasing each other at the same moment both passed the
//!   "not the only owner" check (it counted owners before either removal)
//!   and left a workspace nobody owns. The owner is now demoted first,
//!   atomically in the store, before anything of theirs changes.
//!
//! Each failed before its fix; every backend.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use closeq_core::ports::ApiKeyRecord;
use closeq_core::testing::{Stores, World, base_time};
use closeq_core::{ApiKeyId, Error, ManualClock, Role, Scope, Subject};
use closeq_privacy::erasure::{Eraser, ErasureMode};
use closeq_storage::{
    InMemoryStore, ObjectAudioStore, PostgresStore, SigningKey, SqliteStore, SubjectHasher,
    UrlSigner,
};

#[path = "../../closeq-storage/tests/support/mod.rs"]
mod support;

fn hasher() -> SubjectHasher {
    SubjectHasher::new([3; 32], "49")
}

fn eraser(s: &Stores) -> Eraser {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 3, 9, 9, 0, 0).unwrap(),
    ));
    let signer = UrlSigner::new("https://x/a", SigningKey::new("k", [2; 32]), clock.clone());
    let audio = Arc::new(ObjectAudioStore::in_memory(signer, s.calls.clone()));
    Eraser::new(
        s.calls.clone(),
        s.workspaces.clone(),
        s.privacy.clone(),
        audio,
        clock,
    )
}

fn key(w: &World, by: &Scope, secret: u8) -> ApiKeyRecord {
    ApiKeyRecord {
        id: ApiKeyId::new(),
        workspace_id: w.workspace.id,
        name: "dialer".into(),
        display_prefix: "cq_live_ab12".into(),
        secret_sha256: [secret; 32],
        scopes: vec!["calls:write".into()],
        created_by: by.user_id,
        created_at: base_time(),
        last_used_at: None,
        revoked_at: None,
    }
}

/// The erased member's keys stop authenticating; others' keys do not.
async fn erasure_revokes_the_members_keys(s: &Stores) {
    let w = World::create(s).await;
    let secret = rand_byte(&w);
    let theirs = key(&w, &w.admin, secret);
    let mine = key(&w, &w.owner, secret.wrapping_add(1));
    s.workspaces
        .insert_api_key(&w.admin, &theirs)
        .await
        .unwrap();
    s.workspaces.insert_api_key(&w.owner, &mine).await.unwrap();

    // Nobody creates a key in someone else's name.
    let forged = key(&w, &w.owner, secret.wrapping_add(2));
    let r = s.workspaces.insert_api_key(&w.admin, &forged).await;
    assert!(
        matches!(r, Err(Error::Forbidden { .. })),
        "an admin created a key in the owner's name: {r:?}"
    );

    let report = eraser(s)
        .erase(
            &w.owner,
            &Subject::User(w.admin.user_id),
            ErasureMode::Anonymize,
        )
        .await
        .unwrap();
    assert_eq!(report.api_keys_deleted, 1);
    // Gone, record and all (it named its creator).
    let r = s.workspaces.find_api_key([secret; 32]).await;
    assert!(
        matches!(r, Err(Error::NotFound { .. })),
        "the erased admin's key is still stored: revoked_at {:?}",
        r.map(|k| k.revoked_at)
    );
    let r = s.workspaces.touch_api_key([secret; 32], base_time()).await;
    assert!(matches!(r, Err(Error::NotFound { .. })), "{r:?}");
    let kept = s
        .workspaces
        .find_api_key([secret.wrapping_add(1); 32])
        .await
        .unwrap();
    assert!(
        kept.revoked_at.is_none(),
        "another member's key was revoked"
    );
}

/// Secrets are unique per store; one PostgreSQL database serves the binary.
fn rand_byte(w: &World) -> u8 {
    w.workspace.id.to_string().as_bytes()[7]
        .wrapping_mul(31)
        .wrapping_add(w.workspace.id.to_string().as_bytes()[30])
}

/// Two owners erasing each other at once: exactly one erasure happens.
async fn two_owners_erasing_each_other_leave_one(s: &Stores) {
    for round in 0..8 {
        let w = World::create(s).await;
        let mut m = s
            .workspaces
            .get_member(&w.owner, w.admin.user_id)
            .await
            .unwrap();
        m.role = Role::Owner;
        s.workspaces.put_member(&w.owner, &m).await.unwrap();
        let other = Scope::of_member(&m);
        let (mine, theirs) = (w.call(&w.owner, None, 1), w.call(&other, None, 2));
        s.calls.insert_call(&w.owner, &mine).await.unwrap();
        s.calls.insert_call(&other, &theirs).await.unwrap();
        let e = eraser(s);
        let (them, me) = (Subject::User(other.user_id), Subject::User(w.owner.user_id));
        let (a, b) = tokio::join!(
            e.erase(&w.owner, &them, ErasureMode::Anonymize),
            e.erase(&other, &me, ErasureMode::Anonymize),
        );
        assert!(
            a.is_ok() != b.is_ok(),
            "round {round}: both or neither erased: {:?} / {:?}",
            a.map(|_| ()),
            b.map(|_| ())
        );
        let survivor = if a.is_ok() { &w.owner } else { &other };
        let owners = s
            .workspaces
            .list_members(survivor)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.role == Role::Owner)
            .count();
        assert_eq!(owners, 1, "round {round}");
        // The refused one is untouched: still an owner, still a member.
        let me = s
            .workspaces
            .get_member(survivor, survivor.user_id)
            .await
            .unwrap();
        assert_eq!(me.role, Role::Owner);
        let call = if a.is_ok() { mine.id } else { theirs.id };
        let call = s.calls.get_call(survivor, call).await.unwrap();
        assert_eq!(
            call.rep_id, survivor.user_id,
            "round {round}: the refused erasure moved the survivor's calls"
        );
    }
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
                let dir = tempfile::tempdir().unwrap();
                let s = SqliteStore::open(dir.path().join("c.db"), hasher()).await.unwrap();
                super::$case(&Stores::of(Arc::new(s))).await;
            })*
        }
        mod postgres {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let Some(db) = support::db() else { return };
                let s = PostgresStore::connect(&db.runtime_url, hasher()).await.unwrap();
                super::$case(&Stores::of(Arc::new(s))).await;
            })*
        }
    };
}

on_every_backend!(
    erasure_revokes_the_members_keys,
    two_owners_erasing_each_other_leave_one,
);

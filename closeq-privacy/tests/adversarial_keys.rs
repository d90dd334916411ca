//! Attacks on API keys. Each test can fail: it presents a key that passes
//! every check but the one under test, and asserts that check refuses it.
//!
//! - A `cq_test_` key on a live installation (and a live key on a test
//!   one). Before the fix a test key authenticated like a live key.
//! - Near misses: a real key with one character changed and its checksum
//!   recomputed, so it passes `check_format` and only the SHA-256 lookup
//!   can refuse it (the CRC-32 stops typos, not forgeries).
//! - Revoked keys, near misses of revoked keys, and keys of another
//!   workspace, which authenticate for their own workspace only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::TimeZone;
use closeq_core::ports::{ApiKeyRecord, WorkspaceStore};
use closeq_core::testing::{Stores, World};
use closeq_core::{Error, ManualClock};
use closeq_privacy::secrets::{ApiKeySecret, ApiKeys, KeyEnvironment, check_format};
use closeq_storage::{InMemoryStore, SubjectHasher};

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The key format's checksum, written independently of the library: the
/// CRC-32 of the body in six base62 digits. Anyone can compute it.
fn checksum(body: &str) -> String {
    let mut n = u64::from(crc32fast::hash(body.as_bytes()));
    let mut out = [b'0'; 6];
    for c in out.iter_mut().rev() {
        *c = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).unwrap()
}

/// `key` with the character at `i` replaced by `c` and the checksum
/// recomputed: well formed, never issued.
fn near_miss(key: &str, i: usize, c: u8) -> String {
    let (body, _) = key.rsplit_once('_').unwrap();
    let mut b = body.as_bytes().to_vec();
    b[i] = c;
    let body = String::from_utf8(b).unwrap();
    let forged = format!("{body}_{}", checksum(&body));
    assert!(check_format(&forged).is_ok(), "the forgery is well formed");
    forged
}

/// Every near miss of `key`: each secret character changed to two others.
fn near_misses(key: &str, env: KeyEnvironment) -> Vec<String> {
    let start = env.prefix().len();
    let (body, _) = key.rsplit_once('_').unwrap();
    let mut out = Vec::new();
    for i in start..body.len() {
        let at = ALPHABET
            .iter()
            .position(|c| *c == body.as_bytes()[i])
            .unwrap();
        for step in [1, 31] {
            out.push(near_miss(key, i, ALPHABET[(at + step) % 62]));
        }
    }
    out
}

struct Installation {
    live: ApiKeys,
    test: ApiKeys,
    store: Arc<InMemoryStore>,
    world: World,
}

async fn installation() -> Installation {
    let store = Arc::new(InMemoryStore::new(SubjectHasher::new([1; 32], "44")));
    let world = World::create(&Stores::of(store.clone())).await;
    let clock = Arc::new(ManualClock::new(
        chrono::Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap(),
    ));
    Installation {
        live: ApiKeys::new(store.clone(), clock.clone(), KeyEnvironment::Live),
        test: ApiKeys::new(store.clone(), clock, KeyEnvironment::Test),
        store,
        world,
    }
}

async fn issue(keys: &ApiKeys, w: &World) -> (ApiKeySecret, ApiKeyRecord) {
    keys.create(&w.admin, "dialer", vec!["calls:write".into()])
        .await
        .unwrap()
}

fn is_unauthenticated(r: &closeq_core::Result<ApiKeyRecord>) -> bool {
    matches!(r, Err(Error::Unauthenticated { .. }))
}

#[tokio::test]
async fn a_test_key_is_refused_by_a_live_installation_and_a_live_key_by_a_test_one() {
    let i = installation().await;
    let (test_key, _) = issue(&i.test, &i.world).await;
    let (live_key, _) = issue(&i.live, &i.world).await;
    assert!(test_key.expose().starts_with("cq_test_"));
    assert!(live_key.expose().starts_with("cq_live_"));
    // Each works where it belongs (so the refusals below are about the
    // environment, not a broken key).
    i.test
        .verify(test_key.expose(), "calls:write")
        .await
        .unwrap();
    i.live
        .verify(live_key.expose(), "calls:write")
        .await
        .unwrap();
    for (keys, key, named) in [
        (
            &i.live,
            &test_key,
            "a test key (cq_test_) and this installation is live",
        ),
        (
            &i.test,
            &live_key,
            "a live key (cq_live_) and this installation is test",
        ),
    ] {
        match keys.verify(key.expose(), "calls:write").await {
            Err(Error::Forbidden { action, reason }) => {
                assert_eq!(action, "use an API key");
                assert!(reason.contains(named), "{reason}");
                assert!(!reason.contains(&key.expose()[8..]), "no key material");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    // A key moved to the other environment by editing its prefix (and
    // recomputing the checksum) is refused too: by the environment check
    // on one side and by the lookup on the other.
    let (body, _) = test_key.expose().rsplit_once('_').unwrap();
    let body = body.replacen("cq_test_", "cq_live_", 1);
    let moved = format!("{body}_{}", checksum(&body));
    assert_eq!(check_format(&moved).unwrap(), KeyEnvironment::Live);
    assert!(is_unauthenticated(
        &i.live.verify(&moved, "calls:write").await
    ));
    assert!(matches!(
        i.test.verify(&moved, "calls:write").await,
        Err(Error::Forbidden { .. })
    ));
}

#[tokio::test]
async fn near_misses_of_a_real_key_pass_the_checksum_and_fail_the_lookup() {
    let i = installation().await;
    let (key, _) = issue(&i.live, &i.world).await;
    let misses = near_misses(key.expose(), KeyEnvironment::Live);
    assert_eq!(misses.len(), 86);
    for m in &misses {
        assert_ne!(m, key.expose());
        assert!(
            is_unauthenticated(&i.live.verify(m, "calls:write").await),
            "a near miss was accepted"
        );
    }
    // The real key still works, and near misses did not touch its record.
    let used = i.live.verify(key.expose(), "calls:write").await.unwrap();
    assert!(used.last_used_at.is_some());
}

#[tokio::test]
async fn a_revoked_key_and_its_near_misses_are_refused() {
    let i = installation().await;
    let (key, record) = issue(&i.live, &i.world).await;
    i.live.revoke(&i.world.admin, record.id).await.unwrap();
    assert!(is_unauthenticated(
        &i.live.verify(key.expose(), "calls:write").await
    ));
    for m in near_misses(key.expose(), KeyEnvironment::Live)
        .iter()
        .take(10)
    {
        assert!(is_unauthenticated(&i.live.verify(m, "calls:write").await));
    }
    // Revoking is not undone by issuing another key.
    let (other, _) = issue(&i.live, &i.world).await;
    i.live.verify(other.expose(), "calls:write").await.unwrap();
    assert!(is_unauthenticated(
        &i.live.verify(key.expose(), "calls:write").await
    ));
}

#[tokio::test]
async fn a_key_authenticates_for_its_own_workspace_only() {
    let i = installation().await;
    let other = World::create(&Stores::of(i.store.clone())).await;
    assert_ne!(other.workspace.id, i.world.workspace.id);
    let (mine, my_record) = issue(&i.live, &i.world).await;
    let (theirs, their_record) = issue(&i.live, &other).await;
    let a = i.live.verify(mine.expose(), "calls:write").await.unwrap();
    let b = i.live.verify(theirs.expose(), "calls:write").await.unwrap();
    assert_eq!((a.id, a.workspace_id), (my_record.id, i.world.workspace.id));
    assert_eq!(
        (b.id, b.workspace_id),
        (their_record.id, other.workspace.id)
    );
    // A near miss of the other workspace's key that keeps its display
    // prefix (the first characters a list shows) is still refused.
    let start = KeyEnvironment::Live.prefix().len() + 4;
    let body_len = theirs.expose().rsplit_once('_').unwrap().0.len();
    for pos in start..body_len {
        let c = theirs.expose().as_bytes()[pos];
        let m = near_miss(theirs.expose(), pos, if c == b'a' { b'b' } else { b'a' });
        assert!(m.starts_with(&their_record.display_prefix));
        assert!(is_unauthenticated(&i.live.verify(&m, "calls:write").await));
    }
    // Neither workspace's admin sees the other's key.
    let listed = i.store.list_api_keys(&i.world.admin).await.unwrap();
    assert!(
        listed
            .iter()
            .all(|k| k.workspace_id == i.world.workspace.id)
    );
}

/// A key acts with its creator's rights: once the creator is no longer a
/// member (removed the ordinary way, not erased), their keys stop
/// authenticating. Before the fix, `verify` looked at the key record only,
/// so a removed admin kept a working admin's key.
#[tokio::test]
async fn a_removed_members_key_is_refused() {
    let i = installation().await;
    let (key, _) = issue(&i.live, &i.world).await;
    i.live.verify(key.expose(), "calls:write").await.unwrap();
    i.store
        .remove_member(&i.world.owner, i.world.admin.user_id)
        .await
        .unwrap();
    assert!(is_unauthenticated(
        &i.live.verify(key.expose(), "calls:write").await
    ));
}

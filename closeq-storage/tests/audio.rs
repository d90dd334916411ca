//! Audio storage: streaming, limits, namespacing, and signed URLs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::TimeZone;
use closeq_core::ports::{AudioStore, ByteStream, SignedMethod};
use closeq_core::{Error, ManualClock, Role, Scope, UserId, WorkspaceId};
use closeq_storage::audio::AudioAccessGate;
use closeq_storage::{ObjectAudioStore, SigningKey, UrlSigner};
use futures::StreamExt;

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        chrono::Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap(),
    ))
}

fn signer(clock: Arc<ManualClock>) -> UrlSigner {
    UrlSigner::new(
        "https://app.example/audio",
        SigningKey::new("k2", [2; 32]),
        clock,
    )
    .with_fallback_keys(vec![SigningKey::new("k1", [1; 32])])
}

fn scope() -> Scope {
    Scope::new(WorkspaceId::new(), UserId::new(), Role::Member)
}

fn body(total: usize, chunk: usize) -> ByteStream {
    let chunks: Vec<closeq_core::Result<Bytes>> = (0..total.div_ceil(chunk))
        .map(|i| {
            Ok(Bytes::from(vec![
                (i % 251) as u8;
                chunk.min(total - i * chunk)
            ]))
        })
        .collect();
    Box::pin(futures::stream::iter(chunks))
}

async fn read_all(s: ByteStream) -> Vec<u8> {
    s.fold(Vec::new(), |mut acc, c| async move {
        acc.extend_from_slice(&c.unwrap());
        acc
    })
    .await
}

#[tokio::test]
async fn streams_large_files_in_and_out_of_a_local_folder() {
    let dir = tempfile::tempdir().unwrap();
    let store = ObjectAudioStore::local(dir.path(), signer(clock())).unwrap();
    let s = scope();
    let total = 12 * 1024 * 1024 + 7;
    let r = store
        .put(&s, "calls/a.wav", "audio/wav", body(total, 1 << 20))
        .await
        .unwrap();
    assert_eq!(r.size_bytes, total as u64);
    assert_eq!(r.sha256.as_ref().unwrap().len(), 64);
    let back = read_all(store.get(&s, "calls/a.wav").await.unwrap()).await;
    assert_eq!(back.len(), total);
    assert!(store.exists(&s, "calls/a.wav").await.unwrap());
    // Namespaced by workspace on disk.
    assert!(
        dir.path()
            .join(format!("workspaces/{}/calls/a.wav", s.workspace_id))
            .exists()
    );
    store.delete(&s, "calls/a.wav").await.unwrap();
    store.delete(&s, "calls/a.wav").await.unwrap();
    assert!(!store.exists(&s, "calls/a.wav").await.unwrap());
}

#[tokio::test]
async fn limits_and_bad_input_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let store = ObjectAudioStore::local(dir.path(), signer(clock()))
        .unwrap()
        .with_max_bytes(1_000_000);
    let s = scope();
    let e = store
        .put(&s, "big.wav", "audio/wav", body(2_000_000, 64 * 1024))
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("audio"));
    assert!(
        !store.exists(&s, "big.wav").await.unwrap(),
        "an oversized upload left an object"
    );
    assert_eq!(
        store
            .put(&s, "x.html", "text/html", body(10, 10))
            .await
            .unwrap_err()
            .field(),
        Some("content_type")
    );
    assert_eq!(
        store
            .put(&s, "../escape.wav", "audio/wav", body(10, 10))
            .await
            .unwrap_err()
            .field(),
        Some("key")
    );
    assert_eq!(
        store
            .put(&s, "empty.wav", "audio/wav", body(0, 1))
            .await
            .unwrap_err()
            .field(),
        Some("audio")
    );
    assert!(matches!(
        store.get(&s, "missing.wav").await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn another_workspace_cannot_reach_an_object() {
    let store = ObjectAudioStore::in_memory(signer(clock()));
    let a = scope();
    let b = scope();
    store
        .put(&a, "k.wav", "audio/wav", body(100, 100))
        .await
        .unwrap();
    assert!(!store.exists(&b, "k.wav").await.unwrap());
    assert!(matches!(
        store.get(&b, "k.wav").await,
        Err(Error::NotFound { .. })
    ));
    store.delete(&b, "k.wav").await.unwrap();
    assert!(store.exists(&a, "k.wav").await.unwrap());
}

#[derive(Debug)]
struct Restricted(String);
impl AudioAccessGate for Restricted {
    fn may_serve(&self, _: WorkspaceId, key: &str) -> bool {
        key != self.0
    }
}

#[tokio::test]
async fn signed_urls_reject_every_defect_with_one_error() {
    let clock = clock();
    let store = ObjectAudioStore::in_memory(signer(clock.clone()));
    let s = scope();
    store
        .put(&s, "c.wav", "audio/wav", body(100, 100))
        .await
        .unwrap();
    let url = store
        .signed_url(&s, "c.wav", SignedMethod::Get, Duration::from_secs(300))
        .await
        .unwrap();
    assert!(
        !format!("{url:?}").contains("app.example"),
        "signed URLs are redacted in Debug"
    );
    let url = url.url.expose().clone();
    let grant = store
        .verify_signed_url(&url, SignedMethod::Get)
        .await
        .unwrap();
    assert_eq!(
        (grant.workspace_id, grant.key.as_str()),
        (s.workspace_id, "c.wav")
    );
    let uniform = store
        .verify_signed_url("https://app.example/audio/x.y", SignedMethod::Get)
        .await
        .unwrap_err()
        .to_string();

    // Every tampered byte after the base URL.
    let base = "https://app.example/audio/".len();
    let mut tampered = 0;
    for i in base..url.len() {
        let mut b = url.clone().into_bytes();
        b[i] = if b[i] == b'A' { b'B' } else { b'A' };
        let Ok(t) = String::from_utf8(b) else {
            continue;
        };
        if t == url {
            continue;
        }
        let e = store
            .verify_signed_url(&t, SignedMethod::Get)
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), uniform, "byte {i}");
        tampered += 1;
    }
    assert!(tampered > 50);
    // Another method.
    assert_eq!(
        store
            .verify_signed_url(&url, SignedMethod::Put)
            .await
            .unwrap_err()
            .to_string(),
        uniform
    );
    // Expiry: valid one second before, refused at the deadline and after.
    clock.advance(chrono::Duration::seconds(299));
    store
        .verify_signed_url(&url, SignedMethod::Get)
        .await
        .unwrap();
    clock.advance(chrono::Duration::seconds(1));
    assert_eq!(
        store
            .verify_signed_url(&url, SignedMethod::Get)
            .await
            .unwrap_err()
            .to_string(),
        uniform
    );
    // Lifetime cap.
    assert_eq!(
        store
            .signed_url(&s, "c.wav", SignedMethod::Get, Duration::from_secs(3601))
            .await
            .unwrap_err()
            .field(),
        Some("ttl")
    );
}

#[tokio::test]
async fn rotation_wrong_key_id_erasure_and_restriction() {
    let clock = clock();
    // Signed with the old key k1 ...
    let old = UrlSigner::new(
        "https://app.example/audio",
        SigningKey::new("k1", [1; 32]),
        clock.clone(),
    );
    let store = ObjectAudioStore::in_memory(signer(clock.clone()));
    let s = scope();
    store
        .put(&s, "c.wav", "audio/wav", body(10, 10))
        .await
        .unwrap();
    let (url, _) = old
        .sign(
            SignedMethod::Get,
            s.workspace_id,
            "c.wav",
            Duration::from_secs(60),
        )
        .unwrap();
    // ... still verifies after rotation (k1 is a fallback).
    store
        .verify_signed_url(&url, SignedMethod::Get)
        .await
        .unwrap();
    // An unknown key id does not.
    let rogue = UrlSigner::new(
        "https://app.example/audio",
        SigningKey::new("k9", [1; 32]),
        clock.clone(),
    );
    let (url9, _) = rogue
        .sign(
            SignedMethod::Get,
            s.workspace_id,
            "c.wav",
            Duration::from_secs(60),
        )
        .unwrap();
    assert!(matches!(
        store.verify_signed_url(&url9, SignedMethod::Get).await,
        Err(Error::Forbidden { .. })
    ));
    // A URL for another workspace's key space does not reach this object.
    let (other, _) = signer(clock.clone())
        .sign(
            SignedMethod::Get,
            WorkspaceId::new(),
            "c.wav",
            Duration::from_secs(60),
        )
        .unwrap();
    assert!(
        store
            .verify_signed_url(&other, SignedMethod::Get)
            .await
            .is_err(),
        "no such object in that workspace"
    );
    // Erased: the object is gone, the URL dies with it.
    store.delete(&s, "c.wav").await.unwrap();
    assert!(
        store
            .verify_signed_url(&url, SignedMethod::Get)
            .await
            .is_err()
    );
    // Restricted: the gate refuses both issuing and serving.
    let gated = ObjectAudioStore::in_memory(signer(clock.clone()))
        .with_gate(Arc::new(Restricted("r.wav".into())));
    gated
        .put(&s, "r.wav", "audio/wav", body(10, 10))
        .await
        .unwrap();
    assert!(matches!(
        gated
            .signed_url(&s, "r.wav", SignedMethod::Get, Duration::from_secs(60))
            .await,
        Err(Error::Compliance { .. })
    ));
    let (direct, _) = signer(clock)
        .sign(
            SignedMethod::Get,
            s.workspace_id,
            "r.wav",
            Duration::from_secs(60),
        )
        .unwrap();
    assert!(matches!(
        gated.verify_signed_url(&direct, SignedMethod::Get).await,
        Err(Error::Forbidden { .. })
    ));
}

//! Audio storage: streaming, limits, namespacing, and signed URLs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audio_fixture;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::TimeZone;
use closeq_core::ports::{AudioStore, SignedMethod};
use closeq_core::{CallId, Error, ManualClock, WorkspaceId};
use closeq_storage::audio::AudioAccessGate;
use closeq_storage::{ObjectAudioStore, SigningKey, UrlSigner};

use audio_fixture::{Fx, body, key, read_all};

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

#[tokio::test]
async fn streams_large_files_in_and_out_of_a_local_folder() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Fx::new().await;
    let store = ObjectAudioStore::local(dir.path(), signer(clock()), fx.calls()).unwrap();
    let s = fx.w.rep_a.clone();
    let mut call = fx.call(&s).await;
    let k = key(&call, "wav");
    let total = 12 * 1024 * 1024 + 7;
    let r = fx
        .record(&store, &s, &mut call, "wav", body(total, 1 << 20))
        .await;
    assert_eq!(r.size_bytes, total as u64);
    assert_eq!(r.sha256.as_ref().unwrap().len(), 64);
    let back = read_all(store.get(&s, call.id, &k).await.unwrap()).await;
    assert_eq!(back.len(), total);
    assert!(store.exists(&s, call.id, &k).await.unwrap());
    // Namespaced by workspace on disk; no staging object left.
    assert!(
        dir.path()
            .join(format!("workspaces/{}/{k}", s.workspace_id))
            .exists()
    );
    let staging = dir
        .path()
        .join(format!("workspaces/{}/staging", s.workspace_id));
    assert!(
        !staging.exists() || std::fs::read_dir(&staging).unwrap().next().is_none(),
        "an upload left its staging object"
    );
    store.delete(&s, call.id, &k).await.unwrap();
    store.delete(&s, call.id, &k).await.unwrap();
    assert!(!store.exists(&s, call.id, &k).await.unwrap());
}

#[tokio::test]
async fn limits_and_bad_input_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Fx::new().await;
    let store = ObjectAudioStore::local(dir.path(), signer(clock()), fx.calls())
        .unwrap()
        .with_max_bytes(1_000_000);
    let s = fx.w.rep_a.clone();
    let call = fx.call(&s).await;
    let k = key(&call, "wav");
    let e = store
        .put(&s, &call, &k, "audio/wav", body(2_000_000, 64 * 1024))
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("audio"));
    assert!(
        !store.exists(&s, call.id, &k).await.unwrap(),
        "an oversized upload left an object"
    );
    assert_eq!(
        store
            .put(&s, &call, &key(&call, "html"), "text/html", body(10, 10))
            .await
            .unwrap_err()
            .field(),
        Some("content_type")
    );
    assert_eq!(
        store
            .put(&s, &call, "../escape.wav", "audio/wav", body(10, 10))
            .await
            .unwrap_err()
            .field(),
        Some("key")
    );
    assert_eq!(
        store
            .put(&s, &call, &k, "audio/wav", body(0, 1))
            .await
            .unwrap_err()
            .field(),
        Some("audio")
    );
    assert!(matches!(
        store.get(&s, call.id, &k).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn another_workspace_cannot_reach_an_object() {
    let fx = Fx::new().await;
    let store = ObjectAudioStore::in_memory(signer(clock()), fx.calls());
    let a = fx.w.owner.clone();
    let other = closeq_core::testing::World::create(&fx.stores).await;
    let b = other.owner.clone();
    let mut call = fx.call(&fx.w.rep_a).await;
    let k = key(&call, "wav");
    fx.record(&store, &a, &mut call, "wav", body(100, 100))
        .await;
    assert!(matches!(
        store.exists(&b, call.id, &k).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store.get(&b, call.id, &k).await,
        Err(Error::NotFound { .. })
    ));
    store.delete(&b, call.id, &k).await.unwrap();
    assert!(store.exists(&a, call.id, &k).await.unwrap());
}

/// Refuses one key and lets everything else through.
#[derive(Debug)]
struct Restricted(String);

#[async_trait]
impl AudioAccessGate for Restricted {
    async fn check_serve(
        &self,
        _: WorkspaceId,
        call: CallId,
        key: &str,
    ) -> closeq_core::Result<()> {
        if key == self.0 {
            Err(Error::Compliance {
                rule: "GDPR Art. 18".into(),
                reason: "restricted".into(),
            })
        } else {
            let _ = call;
            Ok(())
        }
    }
}

#[tokio::test]
async fn signed_urls_reject_every_defect_with_one_error() {
    let clock = clock();
    let fx = Fx::new().await;
    let store = ObjectAudioStore::in_memory(signer(clock.clone()), fx.calls());
    let s = fx.w.rep_a.clone();
    let mut call = fx.call(&s).await;
    let k = key(&call, "wav");
    fx.record(&store, &s, &mut call, "wav", body(100, 100))
        .await;
    let url = store
        .signed_url(&s, call.id, &k, SignedMethod::Get, Duration::from_secs(300))
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
        (s.workspace_id, k.as_str())
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
            .signed_url(
                &s,
                call.id,
                &k,
                SignedMethod::Get,
                Duration::from_secs(3601)
            )
            .await
            .unwrap_err()
            .field(),
        Some("ttl")
    );
}

#[tokio::test]
async fn rotation_wrong_key_id_erasure_and_restriction() {
    let clock = clock();
    let fx = Fx::new().await;
    // Signed with the old key k1 ...
    let old = UrlSigner::new(
        "https://app.example/audio",
        SigningKey::new("k1", [1; 32]),
        clock.clone(),
    );
    let store = ObjectAudioStore::in_memory(signer(clock.clone()), fx.calls());
    let s = fx.w.rep_a.clone();
    let mut call = fx.call(&s).await;
    let k = key(&call, "wav");
    fx.record(&store, &s, &mut call, "wav", body(10, 10)).await;
    let (url, _) = old
        .sign(
            SignedMethod::Get,
            s.workspace_id,
            &k,
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
            &k,
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
            &k,
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
    store.delete(&s, call.id, &k).await.unwrap();
    assert!(
        store
            .verify_signed_url(&url, SignedMethod::Get)
            .await
            .is_err()
    );
    // Restricted: the gate refuses reading, issuing and serving.
    let mut restricted = fx.call(&s).await;
    let rk = key(&restricted, "wav");
    let gated = ObjectAudioStore::in_memory(signer(clock.clone()), fx.calls())
        .with_gate(Arc::new(Restricted(rk.clone())));
    fx.record(&gated, &s, &mut restricted, "wav", body(10, 10))
        .await;
    assert!(matches!(
        gated
            .signed_url(
                &s,
                restricted.id,
                &rk,
                SignedMethod::Get,
                Duration::from_secs(60)
            )
            .await,
        Err(Error::Compliance { .. })
    ));
    assert!(matches!(
        gated.get(&s, restricted.id, &rk).await,
        Err(Error::Compliance { .. })
    ));
    let (direct, _) = signer(clock)
        .sign(
            SignedMethod::Get,
            s.workspace_id,
            &rk,
            Duration::from_secs(60),
        )
        .unwrap();
    assert!(matches!(
        gated.verify_signed_url(&direct, SignedMethod::Get).await,
        Err(Error::Forbidden { .. })
    ));
}

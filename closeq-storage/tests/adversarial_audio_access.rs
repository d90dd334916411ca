//! Attacks on call recordings by members of the same workspace, on every
//! audio backend (memory, local files, S3 when CLOSEQ_TEST_S3_ENDPOINT is
//! set): reading, signing, replacing and deleting another rep's recording,
//! reaching one call's object through another call, and serving a
//! recording the call no longer holds. Before the fix every store checked
//! only the workspace and `put` overwrote. Each case failed before its fix.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audio_fixture;

use std::sync::Arc;
use std::time::Duration;

use closeq_core::ports::{AudioStore, CallStore, SignedMethod};
use closeq_core::{Call, Error, SystemClock};
use closeq_storage::{ObjectAudioStore, SigningKey, UrlSigner};

use audio_fixture::{Fx, filled, key, read_all};

fn signer() -> UrlSigner {
    UrlSigner::new(
        "https://app.example/audio",
        SigningKey::new("k", [8; 32]),
        Arc::new(SystemClock),
    )
}

fn is_not_found<T>(r: &Result<T, Error>) -> bool {
    matches!(r, Err(Error::NotFound { .. }))
}

async fn recorded(fx: &Fx, store: &ObjectAudioStore) -> (Call, String) {
    let mut call = fx.call(&fx.w.rep_a).await;
    fx.record(store, &fx.w.rep_a, &mut call, "wav", filled(1, 64))
        .await;
    let k = key(&call, "wav");
    (call, k)
}

/// Another member (another team's rep) can neither read, test, sign,
/// replace nor delete a rep's recording; the team's manager can read it.
async fn other_members_cannot_touch_a_recording(fx: &Fx, store: &ObjectAudioStore) {
    let (call, k) = recorded(fx, store).await;
    let thief = &fx.w.rep_b;
    assert!(is_not_found(
        &store.get(thief, call.id, &k).await.map(|_| ())
    ));
    assert!(is_not_found(&store.exists(thief, call.id, &k).await));
    for m in [SignedMethod::Get, SignedMethod::Put] {
        assert!(is_not_found(
            &store
                .signed_url(thief, call.id, &k, m, Duration::from_secs(60))
                .await
        ));
    }
    // Replacing: as the call given (their own rep is not it) ...
    assert!(matches!(
        store
            .put(thief, &call, &k, "audio/wav", filled(9, 64))
            .await,
        Err(Error::Forbidden { .. })
    ));
    // ... or with a forged call record naming themselves as its rep.
    let mut forged = call.clone();
    forged.rep_id = thief.user_id;
    forged.team_id = thief.team_ids.iter().next().copied();
    assert!(matches!(
        store
            .put(thief, &forged, &k, "audio/wav", filled(9, 64))
            .await,
        Err(Error::AlreadyExists { .. })
    ));
    // Deleting: a silent no-op that deletes nothing.
    store.delete(thief, call.id, &k).await.unwrap();
    let back = read_all(store.get(&fx.w.rep_a, call.id, &k).await.unwrap()).await;
    assert_eq!(back, vec![1; 64], "the recording changed");
    // The team's manager sees the call and reads its recording.
    let read = read_all(store.get(&fx.w.manager, call.id, &k).await.unwrap()).await;
    assert_eq!(read.len(), 64);
}

/// `put` never overwrites, not even for the call's own rep or an owner.
async fn recordings_are_never_overwritten(fx: &Fx, store: &ObjectAudioStore) {
    let (call, k) = recorded(fx, store).await;
    for who in [&fx.w.rep_a, &fx.w.owner] {
        assert!(matches!(
            store.put(who, &call, &k, "audio/wav", filled(7, 32)).await,
            Err(Error::AlreadyExists { .. })
        ));
    }
    let back = read_all(store.get(&fx.w.owner, call.id, &k).await.unwrap()).await;
    assert_eq!(back, vec![1; 64]);
    // Nor can a signed upload URL be issued over it.
    assert!(matches!(
        store
            .signed_url(
                &fx.w.rep_a,
                call.id,
                &k,
                SignedMethod::Put,
                Duration::from_secs(60)
            )
            .await,
        Err(Error::AlreadyExists { .. })
    ));
}

/// An upload URL signed while the key was free no longer grants an upload
/// once the recording exists: using it would replace the recording.
async fn an_early_upload_url_cannot_replace_the_recording(fx: &Fx, store: &ObjectAudioStore) {
    let mut call = fx.call(&fx.w.rep_a).await;
    let k = key(&call, "wav");
    let early = store
        .signed_url(
            &fx.w.rep_a,
            call.id,
            &k,
            SignedMethod::Put,
            Duration::from_secs(600),
        )
        .await
        .unwrap();
    if early.url.starts_with("https://app.example/") {
        assert!(
            store
                .verify_signed_url(&early.url, SignedMethod::Put)
                .await
                .is_ok()
        );
    }
    fx.record(store, &fx.w.rep_a, &mut call, "wav", filled(1, 64))
        .await;
    if early.url.starts_with("https://app.example/") {
        assert!(matches!(
            store.verify_signed_url(&early.url, SignedMethod::Put).await,
            Err(Error::Forbidden { .. })
        ));
    } else {
        // S3 checks the URL itself: it signs `If-None-Match: *`, so the
        // upload it grants is refused once the key holds the recording
        // (before the fix it signed only `host` and replaced it).
        #[cfg(feature = "audio-s3")]
        {
            assert!(
                early
                    .url
                    .contains("X-Amz-SignedHeaders=host%3Bif-none-match"),
                "the upload URL does not sign If-None-Match"
            );
            let (name, value) = closeq_storage::UPLOAD_CONDITION;
            let r = reqwest::Client::new()
                .put(early.url.expose())
                .header(name, value)
                .body(vec![9u8; 64])
                .send()
                .await
                .unwrap();
            assert_eq!(
                r.status().as_u16(),
                412,
                "the early URL replaced the recording"
            );
        }
        let back = read_all(store.get(&fx.w.owner, call.id, &k).await.unwrap()).await;
        assert_eq!(back, vec![1; 64]);
    }
}

/// A key is tied to its call: a call one may touch does not open another
/// call's object.
async fn a_call_does_not_open_another_calls_object(fx: &Fx, store: &ObjectAudioStore) {
    let (victim, k) = recorded(fx, store).await;
    let own = fx.call(&fx.w.rep_b).await;
    let thief = &fx.w.rep_b;
    let r = store.get(thief, own.id, &k).await.map(|_| ());
    assert!(matches!(&r, Err(e) if e.field() == Some("key")), "{r:?}");
    let r = store.delete(thief, own.id, &k).await;
    assert!(matches!(&r, Err(e) if e.field() == Some("key")), "{r:?}");
    let r = store
        .put(thief, &own, &k, "audio/wav", filled(9, 8))
        .await
        .map(|_| ());
    assert!(matches!(&r, Err(e) if e.field() == Some("key")), "{r:?}");
    assert!(store.exists(&fx.w.owner, victim.id, &k).await.unwrap());
}

/// Deleting needs `delete_call`; a recording the call no longer holds
/// (erased, expired by retention) is not served.
async fn deletes_follow_the_call_policy_and_dropped_recordings_are_gone(
    fx: &Fx,
    store: &ObjectAudioStore,
) {
    let (mut call, k) = recorded(fx, store).await;
    // The call drops its reference (as erasure and retention do first).
    call.audio = None;
    fx.stores
        .calls
        .update_call(&fx.w.owner, &call)
        .await
        .unwrap();
    assert!(is_not_found(
        &store.get(&fx.w.rep_a, call.id, &k).await.map(|_| ())
    ));
    assert!(is_not_found(
        &store
            .signed_url(
                &fx.w.owner,
                call.id,
                &k,
                SignedMethod::Get,
                Duration::from_secs(60)
            )
            .await
    ));
    // The manager of the call's team may delete it.
    store.delete(&fx.w.manager, call.id, &k).await.unwrap();
    assert!(!store.exists(&fx.w.owner, call.id, &k).await.unwrap());
}

/// A leftover recording of a call that was never stored: only a scope that
/// sees every call may remove it.
async fn leftovers_of_unstored_calls(fx: &Fx, store: &ObjectAudioStore) {
    let call = fx.w.call(&fx.w.rep_a, None, 99);
    let k = key(&call, "wav");
    store
        .put(&fx.w.rep_a, &call, &k, "audio/wav", filled(3, 16))
        .await
        .unwrap();
    store.delete(&fx.w.rep_b, call.id, &k).await.unwrap();
    store.delete(&fx.w.rep_a, call.id, &k).await.unwrap();
    // Still there: a member cannot tell a missing call from an invisible one.
    fx.stores
        .calls
        .insert_call(&fx.w.rep_a, &call)
        .await
        .unwrap();
    assert!(store.exists(&fx.w.rep_a, call.id, &k).await.unwrap());
    fx.stores
        .calls
        .delete_call(&fx.w.rep_a, call.id)
        .await
        .unwrap();
    store.delete(&fx.w.admin, call.id, &k).await.unwrap();
    fx.stores
        .calls
        .insert_call(&fx.w.rep_a, &call)
        .await
        .unwrap();
    assert!(!store.exists(&fx.w.rep_a, call.id, &k).await.unwrap());
}

/// What a member leaves outside any call's recording — an upload for a
/// call id they made up and never store, an object beside their call's
/// recording — is listed for retention and deleted by an admin; the
/// recording a call holds never is. Before the fix nothing could find
/// these objects: they stayed forever.
async fn unreferenced_objects_are_found_and_removed(fx: &Fx, store: &ObjectAudioStore) {
    let (call, recording) = recorded(fx, store).await;
    let made_up = fx.w.call(&fx.w.rep_a, None, 77);
    let orphan = key(&made_up, "wav");
    store
        .put(&fx.w.rep_a, &made_up, &orphan, "audio/wav", filled(5, 32))
        .await
        .unwrap();
    let beside = format!("calls/{}/extra.wav", call.id);
    store
        .put(&fx.w.rep_a, &call, &beside, "audio/wav", filled(6, 16))
        .await
        .unwrap();
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    assert!(matches!(
        store.unreferenced(&fx.w.rep_a, later, 100).await,
        Err(Error::Forbidden { .. })
    ));
    // Within the grace period (modified after `before`): not listed.
    let earlier = chrono::Utc::now() - chrono::Duration::hours(1);
    assert!(
        store
            .unreferenced(&fx.w.admin, earlier, 100)
            .await
            .unwrap()
            .is_empty()
    );
    let mut found = store.unreferenced(&fx.w.admin, later, 100).await.unwrap();
    found.sort_by(|a, b| a.key.cmp(&b.key));
    let mut expected = vec![
        (Some(made_up.id), orphan.clone(), 32),
        (Some(call.id), beside.clone(), 16),
    ];
    expected.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        found
            .iter()
            .map(|o| (o.call, o.key.clone(), o.size_bytes))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(
        store
            .unreferenced(&fx.w.admin, later, 1)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(matches!(
        store.delete_unreferenced(&fx.w.manager, &found[0]).await,
        Err(Error::Forbidden { .. })
    ));
    for o in &found {
        assert!(store.delete_unreferenced(&fx.w.admin, o).await.unwrap());
    }
    assert!(
        store
            .unreferenced(&fx.w.admin, later, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .exists(&fx.w.owner, call.id, &recording)
            .await
            .unwrap()
    );
    assert!(!store.exists(&fx.w.owner, call.id, &beside).await.unwrap());
}

/// An object a call takes as its recording after it was listed is not
/// deleted: the sweep checks again just before deleting.
async fn a_listed_object_a_call_took_meanwhile_stays(fx: &Fx, store: &ObjectAudioStore) {
    let mut call = fx.call(&fx.w.rep_a).await;
    let k = key(&call, "wav");
    let r = store
        .put(&fx.w.rep_a, &call, &k, "audio/wav", filled(2, 8))
        .await
        .unwrap();
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let found = store.unreferenced(&fx.w.admin, later, 10).await.unwrap();
    assert_eq!(found.len(), 1);
    call.audio = Some(r);
    fx.stores
        .calls
        .update_call(&fx.w.rep_a, &call)
        .await
        .unwrap();
    assert!(
        !store
            .delete_unreferenced(&fx.w.admin, &found[0])
            .await
            .unwrap()
    );
    assert!(store.exists(&fx.w.owner, call.id, &k).await.unwrap());
}

/// A staging copy an interrupted upload left (personal data, outside any
/// call's keys) is listed and removed too; nothing outside staging is
/// reached through a staging key.
#[tokio::test]
async fn staging_leftovers_are_swept() {
    let fx = Fx::new().await;
    let dir = tempfile::tempdir().unwrap();
    let store = ObjectAudioStore::local(dir.path(), signer(), fx.calls()).unwrap();
    let staging = dir
        .path()
        .join(format!("workspaces/{}/staging", fx.w.workspace.id));
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::write(staging.join("0190-left"), b"RIFF half an upload").unwrap();
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let found = store.unreferenced(&fx.w.admin, later, 10).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].call, found[0].key.as_str()),
        (None, "staging/0190-left")
    );
    for bad in [
        "staging/../calls/x.wav",
        "staging/",
        "calls/x.wav",
        "staging/a/b",
    ] {
        let forged = closeq_core::ports::UnreferencedObject {
            call: None,
            key: bad.into(),
            size_bytes: 0,
        };
        assert!(
            store
                .delete_unreferenced(&fx.w.admin, &forged)
                .await
                .is_err(),
            "{bad}"
        );
    }
    assert!(
        store
            .delete_unreferenced(&fx.w.admin, &found[0])
            .await
            .unwrap()
    );
    assert!(!staging.join("0190-left").exists());
}

async fn memory(fx: &Fx) -> Option<(ObjectAudioStore, Option<tempfile::TempDir>)> {
    Some((ObjectAudioStore::in_memory(signer(), fx.calls()), None))
}

async fn local(fx: &Fx) -> Option<(ObjectAudioStore, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let s = ObjectAudioStore::local(dir.path(), signer(), fx.calls()).unwrap();
    Some((s, Some(dir)))
}

#[cfg(feature = "audio-s3")]
async fn s3(fx: &Fx) -> Option<(ObjectAudioStore, Option<tempfile::TempDir>)> {
    let endpoint = closeq_core::testing::required_service_url("CLOSEQ_TEST_S3_ENDPOINT")?;
    let s3 = audio_fixture::fresh_bucket(&endpoint).await;
    let calls: Arc<dyn CallStore> = fx.calls();
    Some((ObjectAudioStore::s3(s3, Arc::new(SystemClock), calls), None))
}

macro_rules! on_backend {
    ($backend:ident: $($case:ident),* $(,)?) => {
        mod $backend {
            use super::*;
            $(#[tokio::test]
            async fn $case() {
                let fx = Fx::new().await;
                let Some((store, _dir)) = super::$backend(&fx).await else { return };
                super::$case(&fx, &store).await;
            })*
        }
    };
}

macro_rules! on_every_backend {
    ($($case:ident),* $(,)?) => {
        on_backend!(memory: $($case),*);
        on_backend!(local: $($case),*);
        #[cfg(feature = "audio-s3")]
        on_backend!(s3: $($case),*);
    };
}

on_every_backend!(
    other_members_cannot_touch_a_recording,
    recordings_are_never_overwritten,
    an_early_upload_url_cannot_replace_the_recording,
    a_call_does_not_open_another_calls_object,
    deletes_follow_the_call_policy_and_dropped_recordings_are_gone,
    leftovers_of_unstored_calls,
    unreferenced_objects_are_found_and_removed,
    a_listed_object_a_call_took_meanwhile_stays,
);

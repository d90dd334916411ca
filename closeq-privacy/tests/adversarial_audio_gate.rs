//! Attacks on recordings the privacy engine must withhold: a restricted
//! subject's recording read directly or through a signed URL issued before
//! the restriction, asked about with `exists`, and an erased call's
//! recording through a URL issued before the erasure. Before the fix no gate existed outside tests (and
//! the store consulted one only for signed URLs), so all of these were
//! served.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::TimeZone;
use closeq_core::ports::{AudioStore, ByteStream, PrivacyStore, SignedMethod};
use closeq_core::testing::{Stores, World};
use closeq_core::{Call, Error, ManualClock, Subject, SubjectFlags};
use closeq_privacy::erasure::{Eraser, ErasureMode};
use closeq_privacy::gates::PrivacyAudioGate;
use closeq_storage::{InMemoryStore, ObjectAudioStore, SigningKey, SubjectHasher, UrlSigner};

struct Setup {
    store: Arc<InMemoryStore>,
    w: World,
    audio: Arc<ObjectAudioStore>,
    clock: Arc<ManualClock>,
    call: Call,
    key: String,
}

async fn setup() -> Setup {
    let store = Arc::new(InMemoryStore::new(SubjectHasher::new([7; 32], "44")));
    let w = World::create(&Stores::of(store.clone())).await;
    let clock = Arc::new(ManualClock::new(
        chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
    ));
    let gate = PrivacyAudioGate::for_workspace(store.clone(), store.clone(), w.owner.clone());
    let audio = Arc::new(
        ObjectAudioStore::in_memory(
            UrlSigner::new("https://x/a", SigningKey::new("k", [2; 32]), clock.clone()),
            store.clone(),
        )
        .with_gate(Arc::new(gate)),
    );
    let mut call = w.call(&w.rep_a, Some(w.team_a), 5);
    let key = format!("calls/{}.wav", call.id);
    let body: ByteStream = Box::pin(futures::stream::iter(vec![Ok(Bytes::from_static(
        b"RIFF....WAVE",
    ))]));
    call.audio = Some(
        audio
            .put(&w.rep_a, &call, &key, "audio/wav", body)
            .await
            .unwrap(),
    );
    closeq_core::ports::CallStore::insert_call(store.as_ref(), &w.rep_a, &call)
        .await
        .unwrap();
    Setup {
        store,
        w,
        audio,
        clock,
        call,
        key,
    }
}

async fn url(s: &Setup) -> String {
    s.audio
        .signed_url(
            &s.w.rep_a,
            s.call.id,
            &s.key,
            SignedMethod::Get,
            Duration::from_secs(600),
        )
        .await
        .unwrap()
        .url
        .expose()
        .clone()
}

#[tokio::test]
async fn a_restricted_subjects_recording_is_not_served() {
    let s = setup().await;
    let before = url(&s).await;
    s.audio
        .verify_signed_url(&before, SignedMethod::Get)
        .await
        .unwrap();
    let _served = s.audio.get(&s.w.rep_a, s.call.id, &s.key).await.unwrap();

    let client = Subject::Email(s.call.client.email.clone().unwrap());
    let restricted = SubjectFlags {
        restricted: true,
        objected: false,
        legal_hold: false,
    };
    s.store
        .set_subject_flags(&s.w.admin, &client, restricted)
        .await
        .unwrap();
    // Direct reads, for the rep and the manager; nor does `exists` say
    // what the restricted recording holds (before the fix it answered
    // for any object of the call without asking the gate).
    for who in [&s.w.rep_a, &s.w.manager] {
        let r = s.audio.get(who, s.call.id, &s.key).await.map(|_| ());
        assert!(
            matches!(&r, Err(Error::Compliance { rule, .. }) if rule == "GDPR Art. 18"),
            "{r:?}"
        );
        let r = s.audio.exists(who, s.call.id, &s.key).await;
        assert!(
            matches!(&r, Err(Error::Compliance { rule, .. }) if rule == "GDPR Art. 18"),
            "exists answered for a restricted recording: {r:?}"
        );
    }
    // New URLs, and the URL issued before.
    assert!(matches!(
        s.audio
            .signed_url(
                &s.w.rep_a,
                s.call.id,
                &s.key,
                SignedMethod::Get,
                Duration::from_secs(60)
            )
            .await,
        Err(Error::Compliance { .. })
    ));
    assert!(matches!(
        s.audio.verify_signed_url(&before, SignedMethod::Get).await,
        Err(Error::Forbidden { .. })
    ));
    // Lifted: served again.
    s.store
        .set_subject_flags(&s.w.admin, &client, SubjectFlags::default())
        .await
        .unwrap();
    s.audio
        .verify_signed_url(&before, SignedMethod::Get)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_erased_calls_recording_dies_with_its_urls() {
    let s = setup().await;
    let before = url(&s).await;
    let eraser = Eraser::new(
        s.store.clone(),
        s.store.clone(),
        s.store.clone(),
        s.audio.clone(),
        s.clock.clone(),
    );
    let client = Subject::Email(s.call.client.email.clone().unwrap());
    let report = eraser
        .erase(&s.w.owner, &client, ErasureMode::Anonymize)
        .await
        .unwrap();
    assert_eq!((report.calls, report.audio_objects), (1, 1));
    assert!(matches!(
        s.audio.verify_signed_url(&before, SignedMethod::Get).await,
        Err(Error::Forbidden { .. })
    ));
    assert!(matches!(
        s.audio.get(&s.w.owner, s.call.id, &s.key).await.map(|_| ()),
        Err(Error::NotFound { .. })
    ));
    // Even an object put back under the old key is not served: the call
    // no longer holds a recording.
    let body: ByteStream = Box::pin(futures::stream::iter(vec![Ok(Bytes::from_static(
        b"RIFF....WAVE",
    ))]));
    s.audio
        .put(&s.w.owner, &s.call, &s.key, "audio/wav", body)
        .await
        .unwrap();
    assert!(matches!(
        s.audio.verify_signed_url(&before, SignedMethod::Get).await,
        Err(Error::Forbidden { .. })
    ));
}

#[tokio::test]
async fn the_gate_reads_only_its_own_workspace() {
    let s = setup().await;
    let other = World::create(&Stores::of(s.store.clone())).await;
    let gate = PrivacyAudioGate::for_workspace(s.store.clone(), s.store.clone(), other.owner);
    let r = closeq_core::ports::AudioAccessGate::check_serve(
        &gate,
        s.w.workspace.id,
        s.call.id,
        &s.key,
    )
    .await;
    assert!(matches!(r, Err(Error::NotFound { .. })), "{r:?}");
}

/// Consent withdrawn (Art. 7(3)): a URL issued before the withdrawal stops
/// working, no new one is issued, and direct reads are refused, for
/// every role. Before withdrawal existed, nothing stopped any of these.
#[tokio::test]
async fn a_withdrawn_consents_recording_is_not_served() {
    use closeq_core::{ConsentMethod, ConsentRecord};
    use closeq_privacy::request::SubjectRequests;
    let s = setup().await;
    let at = closeq_core::Clock::now(s.clock.as_ref());
    s.store
        .put_consent(
            &s.w.rep_a,
            &ConsentRecord::given(s.call.id, ConsentMethod::Verbal, at),
        )
        .await
        .unwrap();
    let before = url(&s).await;
    s.audio
        .verify_signed_url(&before, SignedMethod::Get)
        .await
        .unwrap();
    let requests = SubjectRequests::new(s.store.clone(), s.store.clone(), s.clock.clone());
    let client = Subject::Phone(s.call.client.phone.clone().unwrap());
    let (request, consent) = requests
        .withdraw_consent(&s.w.admin, client, &s.call)
        .await
        .unwrap();
    assert_eq!(consent.withdrawn_at, Some(at));
    assert_eq!(request.kind.name(), "consent_withdrawal");
    assert!(matches!(
        s.audio.verify_signed_url(&before, SignedMethod::Get).await,
        Err(Error::Forbidden { .. })
    ));
    for who in [&s.w.rep_a, &s.w.manager, &s.w.owner] {
        let r = s.audio.get(who, s.call.id, &s.key).await.map(|_| ());
        assert!(
            matches!(&r, Err(Error::Compliance { rule, .. }) if rule == "GDPR Art. 7(3)"),
            "{r:?}"
        );
        let r = s
            .audio
            .signed_url(
                who,
                s.call.id,
                &s.key,
                SignedMethod::Get,
                Duration::from_secs(60),
            )
            .await;
        assert!(matches!(r, Err(Error::Compliance { .. })), "{r:?}");
    }
    // Re-sending the original consent does not undo the withdrawal.
    let r = s
        .store
        .put_consent(
            &s.w.rep_a,
            &ConsentRecord::given(s.call.id, ConsentMethod::Verbal, at),
        )
        .await;
    assert!(matches!(r, Err(Error::Compliance { .. })), "{r:?}");
    assert!(
        s.audio
            .verify_signed_url(&before, SignedMethod::Get)
            .await
            .is_err()
    );
}

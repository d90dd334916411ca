//! Recordings escaping the access log: before, streaming a recording or
//! being handed a signed URL to it left no record. Through
//! `AccessLoggedAudioStore` each grant is recorded (call id, actor, time);
//! a refused one is not, and uploads and deletes are not reads.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audio_fixture;

use std::sync::Arc;
use std::time::Duration;

use closeq_core::ports::{AudioStore, SignedMethod, WorkspaceStore};
use closeq_core::{AccessAction, AccessQuery, Error, ManualClock};
use closeq_storage::{
    AccessLogConfig, AccessLoggedAudioStore, AccessRecorder, ObjectAudioStore, SigningKey,
    UrlSigner,
};

use audio_fixture::{Fx, body, key, read_all};

#[tokio::test]
async fn every_recording_served_and_url_issued_is_recorded() {
    let fx = Fx::new().await;
    let clock = Arc::new(ManualClock::new(closeq_core::testing::base_time()));
    let signer = UrlSigner::new(
        "https://app.example/audio",
        SigningKey::new("k", [7; 32]),
        clock.clone(),
    );
    let inner: Arc<dyn AudioStore> = Arc::new(ObjectAudioStore::in_memory(signer, fx.calls()));
    let log: Arc<dyn WorkspaceStore> = fx.store.clone();
    let recorder =
        Arc::new(AccessRecorder::new(log.clone(), clock, AccessLogConfig::WRITE_THROUGH).unwrap());
    let audio = AccessLoggedAudioStore::new(inner, recorder);
    let rep = fx.w.rep_a.clone();
    let mut call = fx.call(&rep).await;
    let k = key(&call, "wav");
    fx.record(&audio, &rep, &mut call, "wav", body(1_000, 100))
        .await;

    let bytes = read_all(audio.get(&rep, call.id, &k).await.unwrap()).await;
    assert_eq!(bytes.len(), 1_000);
    audio
        .signed_url(
            &fx.w.manager,
            call.id,
            &k,
            SignedMethod::Get,
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    // Refused: another team's rep sees no such call; nothing recorded.
    let r = audio.get(&fx.w.rep_b, call.id, &k).await;
    assert!(matches!(r, Err(Error::NotFound { .. })));
    let r = audio
        .signed_url(
            &fx.w.rep_b,
            call.id,
            &k,
            SignedMethod::Get,
            Duration::from_secs(60),
        )
        .await;
    assert!(matches!(r, Err(Error::NotFound { .. })));
    assert!(audio.exists(&rep, call.id, &k).await.unwrap());

    let records = log
        .list_access(&fx.w.owner, &AccessQuery::first(100))
        .await
        .unwrap();
    let seen: Vec<_> = records.iter().map(|r| (r.actor, r.action)).collect();
    assert_eq!(
        seen,
        [
            (rep.user_id, AccessAction::AudioRead),
            (fx.w.manager.user_id, AccessAction::AudioUrlIssued),
        ],
        "the upload and the existence check are not reads"
    );
    assert!(records.iter().all(|r| r.resources == [call.id.as_uuid()]));
}

//! The local installation's recordings folder answers to the privacy
//! engine: before the fix `LocalInstallation::audio_store` had no gate and
//! no tie to calls, so a restricted client's recording was read and signed
//! as usual, and a recording could be replaced in place.
#![cfg(feature = "store-sqlite")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use closeq_core::ports::{AudioStore, ByteStream, SignedMethod};
use closeq_core::{
    Call, CallDirection, CallSource, Clock, EmailAddress, Error, Subject, SubjectFlags, SystemClock,
};
use closeq_pipeline::LocalInstallation;

fn body() -> ByteStream {
    Box::pin(futures::stream::iter(vec![Ok(Bytes::from_static(
        b"RIFF....WAVE",
    ))]))
}

#[tokio::test]
async fn a_restricted_clients_recording_is_withheld_and_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let local = LocalInstallation::open_at(dir.path(), None).await.unwrap();
    let owner = local.owner_scope().clone();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let audio = local.object_audio_store(clock.clone()).unwrap();
    let now = Utc::now();
    let mut call = Call::new(
        owner.workspace_id,
        owner.user_id,
        now,
        CallDirection::Outbound,
        CallSource::Upload,
        now,
    );
    call.client.email = EmailAddress::parse("kim@client.example").ok();
    let key = format!("calls/{}.wav", call.id);
    call.audio = Some(
        audio
            .put(&owner, &call, &key, "audio/wav", body())
            .await
            .unwrap(),
    );
    local.calls().insert_call(&owner, &call).await.unwrap();
    let url = audio
        .signed_url(
            &owner,
            call.id,
            &key,
            SignedMethod::Get,
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let url = url.url.expose().clone();
    audio
        .verify_signed_url(&url, SignedMethod::Get)
        .await
        .unwrap();
    assert!(matches!(
        audio.put(&owner, &call, &key, "audio/wav", body()).await,
        Err(Error::AlreadyExists { .. })
    ));

    let client = Subject::Email(call.client.email.clone().unwrap());
    let restricted = SubjectFlags {
        restricted: true,
        objected: false,
        legal_hold: false,
    };
    local
        .privacy()
        .set_subject_flags(&owner, &client, restricted)
        .await
        .unwrap();
    // The trait object the CLI uses, and the concrete store.
    let dyn_audio = local.audio_store(clock).unwrap();
    for r in [
        dyn_audio.get(&owner, call.id, &key).await.map(|_| ()),
        audio.get(&owner, call.id, &key).await.map(|_| ()),
    ] {
        assert!(matches!(r, Err(Error::Compliance { .. })), "{r:?}");
    }
    assert!(matches!(
        audio.verify_signed_url(&url, SignedMethod::Get).await,
        Err(Error::Forbidden { .. })
    ));
}

//! Attacks on a restriction for legal claims (GDPR Art. 18(1)(c)): an
//! erasure request aimed at the held calls (by the held subject or by the
//! other person on the call) must not delete the evidence (Art.
//! 17(3)(e)). Before the fix the eraser never looked at the hold.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use closeq_core::ports::{CallStore, PrivacyStore};
use closeq_core::testing::{Stores, World, base_time};
use closeq_core::{Error, ManualClock, Subject};
use closeq_privacy::erasure::{Eraser, ErasureMode};
use closeq_privacy::request::SubjectRequests;
use closeq_storage::{InMemoryStore, ObjectAudioStore, SigningKey, SubjectHasher, UrlSigner};

#[tokio::test]
async fn erasing_a_held_call_is_refused_and_changes_nothing() {
    let store = Arc::new(InMemoryStore::new(SubjectHasher::new([4; 32], "44")));
    let w = World::create(&Stores::of(store.clone())).await;
    let clock = Arc::new(ManualClock::new(base_time()));
    let audio = Arc::new(ObjectAudioStore::in_memory(
        UrlSigner::new("https://x/a", SigningKey::new("k", [2; 32]), clock.clone()),
        store.clone(),
    ));
    let call = w.call(&w.rep_a, Some(w.team_a), 3);
    store.insert_call(&w.rep_a, &call).await.unwrap();
    let requests = SubjectRequests::new(store.clone(), store.clone(), clock.clone());
    let email = Subject::Email(call.client.email.clone().unwrap());
    let phone = Subject::Phone(call.client.phone.clone().unwrap());
    requests
        .restrict_for_legal_claims(&w.admin, email.clone())
        .await
        .unwrap();
    let eraser = Eraser::new(store.clone(), store.clone(), store.clone(), audio, clock);
    // The held subject by another identifier, in both modes.
    for (subject, mode) in [
        (&email, ErasureMode::Delete),
        (&phone, ErasureMode::Anonymize),
    ] {
        let r = eraser.erase(&w.owner, subject, mode).await;
        assert!(
            matches!(&r, Err(Error::Compliance { rule, .. }) if rule == "GDPR Art. 17(3)(e)"),
            "{r:?}"
        );
        assert_eq!(store.get_call(&w.owner, call.id).await.unwrap(), call);
    }
    // Lifted: the erasure goes through.
    requests.lift_restriction(&w.admin, &email).await.unwrap();
    let flags = store
        .subject_flags(&w.owner, std::slice::from_ref(&email))
        .await
        .unwrap();
    assert!(!flags.holds_retention());
    let r = eraser
        .erase(&w.owner, &phone, ErasureMode::Delete)
        .await
        .unwrap();
    assert_eq!(r.calls, 1);
}

//! Rectification: corrected contact details, found under the new
//! identifiers and no longer under the old ones.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use closeq_core::ports::CallStore;
use closeq_core::testing::{Stores, World};
use closeq_core::{EmailAddress, Error, ManualClock, PhoneNumber, Subject};
use closeq_privacy::rectification::{ContactCorrection, rectify_contact};
use closeq_storage::{InMemoryStore, SubjectHasher};

#[tokio::test]
async fn corrected_contact_is_reindexed() {
    let s = Arc::new(InMemoryStore::new(SubjectHasher::new([1; 32], "44")));
    let stores = Stores::of(s.clone());
    let w = World::create(&stores).await;
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap());
    let c = w.call(&w.rep_a, Some(w.team_a), 3);
    let other = w.call(&w.rep_a, Some(w.team_a), 4);
    s.insert_call(&w.owner, &c).await.unwrap();
    s.insert_call(&w.owner, &other).await.unwrap();
    let old = Subject::Email(c.client.email.clone().unwrap());
    let new_email = EmailAddress::parse("corrected@example.org").unwrap();
    let correction = ContactCorrection {
        name: Some("  Corrected Name ".into()),
        email: Some(new_email.clone()),
        phone: Some(PhoneNumber::parse("+44 20 7946 0999").unwrap()),
    };
    let n = rectify_contact(s.as_ref(), s.as_ref(), &clock, &w.owner, &old, &correction)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert!(
        s.find_calls_by_subject(&w.owner, &old)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.find_calls_by_subject(&w.owner, &Subject::Email(new_email))
            .await
            .unwrap(),
        vec![c.id]
    );
    let got = s.get_call(&w.owner, c.id).await.unwrap();
    assert_eq!(got.client.name.unwrap().as_str(), "Corrected Name");
    assert_eq!(
        s.get_call(&w.owner, other.id).await.unwrap().client,
        other.client,
        "other calls untouched"
    );
    assert!(!format!("{correction:?}").contains("Corrected"));

    // Bad requests are named.
    for (subject, corr, field) in [
        (
            Subject::User(w.rep_a.user_id),
            correction.clone(),
            "subject",
        ),
        (old.clone(), ContactCorrection::default(), "correction"),
        (
            old.clone(),
            ContactCorrection {
                name: Some(" ".into()),
                ..Default::default()
            },
            "correction.name",
        ),
    ] {
        match rectify_contact(s.as_ref(), s.as_ref(), &clock, &w.owner, &subject, &corr).await {
            Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
}

//! A member floods the request list: before, exports, `forget_subject` and
//! the admin's rectification read only the newest 1,000 requests, so 1,000
//! self-filed corrections pushed an erased client's older request out of
//! reach — it kept naming them after their erasure. Now they walk every
//! request in keyset pages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use closeq_core::ports::PrivacyStore;
use closeq_core::testing::{Stores, World};
use closeq_core::{EmailAddress, RequestKind, Subject, SystemClock};
use closeq_privacy::export::{ExportSources, export_subject};
use closeq_privacy::rectification::{MemberCorrection, rectify_own_account};
use closeq_privacy::request::SubjectRequests;
use closeq_storage::{InMemoryStore, SubjectHasher};

#[tokio::test]
async fn a_thousand_filings_hide_no_request() {
    let store = Arc::new(InMemoryStore::new(SubjectHasher::new([3; 32], "44")));
    let s = Stores::of(store.clone());
    let w = World::create(&s).await;
    let requests = SubjectRequests::new(
        s.privacy.clone(),
        s.workspaces.clone(),
        Arc::new(SystemClock),
    );
    let client = Subject::Email(EmailAddress::parse("old.client@example.com").unwrap());
    requests
        .receive(&w.owner, client.clone(), RequestKind::Access)
        .await
        .unwrap();
    let correction = MemberCorrection {
        display_name: Some("Anyone".into()),
        ..MemberCorrection::default()
    };
    for _ in 0..1_001 {
        rectify_own_account(s.workspaces.as_ref(), &SystemClock, &w.rep_a, &correction)
            .await
            .unwrap();
    }
    assert!(
        !store
            .list_requests(&w.owner, 1_000)
            .await
            .unwrap()
            .iter()
            .any(|r| r.subject.as_ref() == Some(&client)),
        "the flood pushed the client's request out of the newest 1,000"
    );
    let export = export_subject(
        ExportSources {
            calls: s.calls.as_ref(),
            workspaces: s.workspaces.as_ref(),
            privacy: s.privacy.as_ref(),
        },
        &w.owner,
        &client,
    )
    .await
    .unwrap();
    assert_eq!(export.requests.len(), 1, "the export still finds it");
    assert_eq!(requests.forget_subject(&w.owner, &client).await.unwrap(), 1);
}

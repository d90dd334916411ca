//! Data-subject export: the subject's data, not other people's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use closeq_core::ports::CallStore;
use closeq_core::testing::call_store::{sample_scorecard, sample_transcript};
use closeq_core::testing::{Stores, World};
use closeq_core::{Error, Subject, Verdict};
use closeq_privacy::export::export_subject;
use closeq_storage::{InMemoryStore, SubjectHasher};

#[tokio::test]
async fn client_and_rep_exports() {
    let s = Arc::new(InMemoryStore::new(SubjectHasher::new([1; 32], "44")));
    let stores = Stores::of(s.clone());
    let w = World::create(&stores).await;
    let c = w.call(&w.rep_a, Some(w.team_a), 5);
    let other = w.call(&w.rep_b, Some(w.team_b), 6);
    for x in [&c, &other] {
        s.insert_call(&w.owner, x).await.unwrap();
        s.put_transcript(&w.owner, x.id, &sample_transcript())
            .await
            .unwrap();
    }
    s.insert_scorecard(
        &w.owner,
        &sample_scorecard(&c, 66.0, &[("budget", Verdict::Met)]),
    )
    .await
    .unwrap();
    let client = Subject::Email(c.client.email.clone().unwrap());
    let e = export_subject(s.as_ref(), &w.owner, &client).await.unwrap();
    assert_eq!(e.version, 1);
    assert_eq!(e.calls.len(), 1, "only the calls the client was on");
    assert_eq!(e.utterances.len(), 1, "only the client's own utterances");
    assert_eq!(e.utterances[0].text, "Etwa fünfzigtausend, 五万.");
    assert!(
        e.scorecards.is_empty(),
        "scorecards are about the rep, not the client"
    );
    let csv = e.to_csv();
    assert!(csv["utterances.csv"].contains("\"Etwa fünfzigtausend, 五万.\""));
    assert!(csv["calls.csv"].contains(c.client.email.as_ref().unwrap().as_str()));
    assert_eq!(e.to_json()["version"], 1);
    let dbg = format!("{e:?} {:?}", e.utterances[0]);
    assert!(!dbg.contains("fünfzigtausend"), "Debug must not leak text");

    let rep = export_subject(s.as_ref(), &w.owner, &Subject::User(w.rep_a.user_id))
        .await
        .unwrap();
    assert_eq!(rep.calls.len(), 1);
    assert!(
        rep.calls[0].client.is_empty(),
        "a rep's export leaves out the client's contact details"
    );
    assert_eq!(rep.utterances[0].text, "What's your budget — in €? 🙂");
    assert_eq!(rep.scorecards.len(), 1);
    assert!(matches!(
        export_subject(s.as_ref(), &w.rep_a, &client).await,
        Err(Error::Forbidden { .. })
    ));
}

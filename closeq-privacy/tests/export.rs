//! Data-subject export: the subject's data, not other people's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use closeq_core::ports::CallStore;
use closeq_core::testing::call_store::{sample_scorecard, sample_transcript};
use closeq_core::testing::{Stores, World};
use closeq_core::{Error, Subject, Verdict};
use closeq_privacy::export::{ExportSources, export_subject};
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
    let e = export_subject(sources(&s), &w.owner, &client)
        .await
        .unwrap();
    assert_eq!(e.version, 3);
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
    assert_eq!(e.to_json()["version"], 3);
    let dbg = format!("{e:?} {:?}", e.utterances[0]);
    assert!(!dbg.contains("fünfzigtausend"), "Debug must not leak text");

    let rep = export_subject(sources(&s), &w.owner, &Subject::User(w.rep_a.user_id))
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
        export_subject(sources(&s), &w.rep_a, &client).await,
        Err(Error::Forbidden { .. })
    ));
}

fn sources(s: &InMemoryStore) -> ExportSources<'_> {
    ExportSources {
        calls: s,
        workspaces: s,
        privacy: s,
    }
}

/// An employee's access export: their member record (with time zone and
/// preferences), the scorecards about them with every review, the
/// consent records of their calls and the requests about them — and
/// still only their own utterances, nothing of the client's contact.
#[tokio::test]
async fn a_members_export_holds_their_account_reviews_consent_and_requests() {
    use closeq_core::ports::{PrivacyStore, WorkspaceStore};
    use closeq_core::testing::base_time;
    use closeq_core::{ConsentMethod, ConsentRecord, Locale, RequestKind, SubjectRequest};
    let s = Arc::new(InMemoryStore::new(SubjectHasher::new([1; 32], "44")));
    let w = World::create(&Stores::of(s.clone())).await;
    let mut me = s.get_member(&w.owner, w.rep_a.user_id).await.unwrap();
    me.preferences.locale = Some(Locale::parse("pl-PL").unwrap());
    s.put_member(&w.owner, &me).await.unwrap();
    let c = w.call(&w.rep_a, Some(w.team_a), 5);
    s.insert_call(&w.owner, &c).await.unwrap();
    s.put_transcript(&w.owner, c.id, &sample_transcript())
        .await
        .unwrap();
    let mut card = sample_scorecard(&c, 66.0, &[("budget", Verdict::Met)]);
    s.insert_scorecard(&w.owner, &card).await.unwrap();
    card.accept(w.manager.user_id, base_time()).unwrap();
    s.save_review(&w.manager, &card).await.unwrap();
    s.put_consent(
        &w.rep_a,
        &ConsentRecord::given(c.id, ConsentMethod::Ivr, base_time()),
    )
    .await
    .unwrap();
    let me_subject = Subject::User(w.rep_a.user_id);
    let asked = SubjectRequest::received(
        w.workspace.id,
        me_subject.clone(),
        RequestKind::Access,
        base_time(),
        30,
    )
    .unwrap();
    s.insert_request(&w.owner, &asked).await.unwrap();
    let someone_else = SubjectRequest::received(
        w.workspace.id,
        Subject::User(w.rep_b.user_id),
        RequestKind::Access,
        base_time(),
        30,
    )
    .unwrap();
    s.insert_request(&w.owner, &someone_else).await.unwrap();

    let e = export_subject(sources(&s), &w.owner, &me_subject)
        .await
        .unwrap();
    let m = e.member.as_ref().expect("the member record");
    assert_eq!(m.user_id, w.rep_a.user_id);
    assert_eq!(m.time_zone.as_ref().unwrap().as_str(), "Europe/Warsaw");
    assert_eq!(e.reviews.len(), 1, "the review history");
    assert_eq!(e.consents.len(), 1);
    assert_eq!(
        e.requests.iter().map(|r| r.id).collect::<Vec<_>>(),
        [asked.id],
        "only the requests about them"
    );
    assert!(e.calls[0].client.is_empty());
    let csv = e.to_csv();
    assert!(csv["member.csv"].contains("Europe/Warsaw") && csv["member.csv"].contains("pl-PL"));
    assert_eq!(csv["reviews.csv"].lines().count(), 2);
    assert!(csv["consents.csv"].contains("ivr"));
    assert!(csv["requests.csv"].contains(&asked.id.to_string()));
    let json = e.to_json();
    assert_eq!(json["member"]["preferences"]["locale"], "pl-PL");
    // Counts only in Debug.
    assert!(!format!("{e:?}").contains("Warsaw"));
}

/// A member's export holds their own reads from the access log, not
/// anyone else's; a client's holds none.
#[tokio::test]
async fn a_members_export_holds_their_own_reads() {
    use closeq_core::ports::WorkspaceStore;
    use closeq_core::{AccessAction, AccessRecord};
    let s = Arc::new(InMemoryStore::new(SubjectHasher::new([1; 32], "44")));
    let stores = Stores::of(s.clone());
    let w = World::create(&stores).await;
    let c = w.call(&w.rep_a, Some(w.team_a), 5);
    s.insert_call(&w.owner, &c).await.unwrap();
    let read = |scope: &closeq_core::Scope| {
        AccessRecord::new(
            scope,
            AccessAction::CallRead,
            vec![c.id.as_uuid()],
            closeq_core::testing::base_time(),
        )
    };
    for _ in 0..2 {
        s.append_access(&w.rep_a, &[read(&w.rep_a)]).await.unwrap();
    }
    s.append_access(&w.manager, &[read(&w.manager)])
        .await
        .unwrap();
    let e = export_subject(sources(&s), &w.owner, &Subject::User(w.rep_a.user_id))
        .await
        .unwrap();
    assert_eq!(e.access.len(), 2);
    assert!(e.access.iter().all(|r| r.actor == w.rep_a.user_id));
    let csv = e.to_csv();
    assert_eq!(csv["access.csv"].lines().count(), 3, "header and two reads");
    let client = c.client.email.clone().map(Subject::Email);
    if let Some(client) = client {
        let e = export_subject(sources(&s), &w.owner, &client)
            .await
            .unwrap();
        assert!(e.access.is_empty());
    }
}

/// The invitations to the subject's address are theirs: a member's (by
/// their record's address) and a person asked about by e-mail who never
/// joined; not another address's.
#[tokio::test]
async fn an_export_holds_the_invitations_to_the_address() {
    use closeq_core::ports::WorkspaceStore;
    use closeq_core::{EmailAddress, Invitation, Role};
    let s = Arc::new(InMemoryStore::new(SubjectHasher::new([1; 32], "44")));
    let stores = Stores::of(s.clone());
    let w = World::create(&stores).await;
    let base = closeq_core::testing::base_time();
    let invite = |to: &str| {
        Invitation::new(
            w.workspace.id,
            EmailAddress::parse(to).unwrap(),
            Role::Member,
            w.owner.user_id,
            base,
            base + chrono::Duration::days(7),
        )
        .unwrap()
    };
    let mut member = s.get_member(&w.owner, w.rep_a.user_id).await.unwrap();
    member.email = Some(EmailAddress::parse("rep.a@example.com").unwrap());
    s.put_member(&w.owner, &member).await.unwrap();
    for (n, to) in [
        "rep.a@example.com",
        "never.joined@example.com",
        "someone@example.com",
    ]
    .into_iter()
    .enumerate()
    {
        s.insert_invitation(&w.owner, &invite(to), [u8::try_from(n).unwrap() + 1; 32])
            .await
            .unwrap();
    }
    let e = export_subject(sources(&s), &w.owner, &Subject::User(w.rep_a.user_id))
        .await
        .unwrap();
    assert_eq!(e.invitations.len(), 1);
    assert_eq!(e.invitations[0].email.as_str(), "rep.a@example.com");
    assert!(e.to_csv().contains_key("invitations.csv"));
    let invited = Subject::Email(EmailAddress::parse("Never.Joined@example.com").unwrap());
    let e = export_subject(sources(&s), &w.owner, &invited)
        .await
        .unwrap();
    assert_eq!(e.invitations.len(), 1);
    assert_eq!(e.invitations[0].email.as_str(), "never.joined@example.com");
}

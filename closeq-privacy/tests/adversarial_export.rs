//! Attacks on a member's and a client's access export and on member
//! rectification, found in review:
//! - requests were matched by the last nine phone digits, so a phone
//!   export carried requests (with the full number) about another
//!   person whose international number shared them;
//! - a display name starting with `=` reached `member.csv` as a formula;
//! - an admin's refused correction of an owner left the request open;
//! - a rep's export quoted the client's words in scorecard evidence.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use closeq_core::ports::{PrivacyStore, WorkspaceStore};
use closeq_core::testing::{Stores, World, base_time};
use closeq_core::{
    Error, ManualClock, PhoneNumber, RequestKind, RequestState, Subject, SubjectRequest,
};
use closeq_privacy::export::{ExportSources, export_subject};
use closeq_privacy::rectification::{MemberCorrection, rectify_member};
use closeq_privacy::request::SubjectRequests;
use closeq_storage::{InMemoryStore, SubjectHasher};

fn setup() -> Arc<InMemoryStore> {
    Arc::new(InMemoryStore::new(SubjectHasher::new([6; 32], "48")))
}

fn sources(s: &InMemoryStore) -> ExportSources<'_> {
    ExportSources {
        calls: s,
        workspaces: s,
        privacy: s,
    }
}

#[tokio::test]
async fn a_phone_export_holds_no_request_about_another_number_sharing_nine_digits() {
    let s = setup();
    let w = World::create(&Stores::of(s.clone())).await;
    let phone = |p: &str| Subject::Phone(PhoneNumber::parse(p).unwrap());
    for p in ["+48 600 100 200", "+44 7600 100200", "600 100 200"] {
        let r = SubjectRequest::received(
            w.workspace.id,
            phone(p),
            RequestKind::Access,
            base_time(),
            30,
        )
        .unwrap();
        s.insert_request(&w.owner, &r).await.unwrap();
    }
    let e = export_subject(sources(&s), &w.owner, &phone("+48600100200"))
        .await
        .unwrap();
    let json = e.to_json().to_string();
    assert!(!json.contains("7600"), "another person's request: {json}");
    assert_eq!(
        e.requests.len(),
        2,
        "the same number, international and national"
    );
}

#[tokio::test]
async fn a_display_name_cannot_inject_a_spreadsheet_formula() {
    let s = setup();
    let w = World::create(&Stores::of(s.clone())).await;
    let mut m = s.get_member(&w.owner, w.rep_a.user_id).await.unwrap();
    m.display_name = Some("=HYPERLINK(\"http://x\",\"y\")".to_owned().into());
    s.put_member(&w.owner, &m).await.unwrap();
    let e = export_subject(sources(&s), &w.owner, &Subject::User(w.rep_a.user_id))
        .await
        .unwrap();
    let csv = &e.to_csv()["member.csv"];
    let row = csv.lines().nth(1).unwrap();
    assert!(!row.split(',').any(|cell| cell.starts_with('=')), "{row}");
    assert!(row.contains("\"'=HYPERLINK"), "{row}");
}

#[tokio::test]
async fn an_admin_rectifying_the_owner_leaves_no_open_request() {
    let s = setup();
    let w = World::create(&Stores::of(s.clone())).await;
    let requests = SubjectRequests::new(
        s.clone(),
        s.clone(),
        Arc::new(ManualClock::new(base_time())),
    );
    // An admin's stale scope that claims to be the owner's peer: the
    // store refuses a change it cannot make (here: by a scope that is no
    // longer a member).
    s.remove_member(&w.owner, w.admin.user_id).await.unwrap();
    let correction = MemberCorrection {
        display_name: Some("Someone Else".into()),
        ..MemberCorrection::default()
    };
    let r = rectify_member(
        &requests,
        s.as_ref(),
        &w.admin,
        w.owner.user_id,
        &correction,
    )
    .await;
    assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");
    let all = s.list_requests(&w.owner, 10).await.unwrap();
    assert_eq!(all.len(), 1);
    assert!(
        matches!(all[0].state, RequestState::Rejected { .. }),
        "{:?}",
        all[0].state
    );
    let owner = s.get_member(&w.owner, w.owner.user_id).await.unwrap();
    assert_ne!(
        owner.display_name.as_ref().map(|n| n.expose().as_str()),
        Some("Someone Else")
    );
}

#[tokio::test]
async fn a_reps_export_quotes_no_client_utterance() {
    use closeq_core::ports::CallStore;
    use closeq_core::testing::call_store::sample_scorecard;
    let s = setup();
    let w = World::create(&Stores::of(s.clone())).await;
    let c = w.call(&w.rep_a, Some(w.team_a), 7);
    s.insert_call(&w.owner, &c).await.unwrap();
    let mut card = sample_scorecard(&c, 50.0, &[("budget", closeq_core::Verdict::Met)]);
    let mut theirs = card.criteria[0].evidence[0].clone();
    theirs.speaker_role = closeq_core::SpeakerRole::Client;
    theirs.quote = "our budget is 40k".to_owned().into();
    card.criteria[0].evidence.push(theirs);
    s.insert_scorecard(&w.owner, &card).await.unwrap();
    let e = export_subject(sources(&s), &w.owner, &Subject::User(w.rep_a.user_id))
        .await
        .unwrap();
    let json = e.to_json().to_string();
    assert!(!json.contains("our budget is 40k"), "{json}");
    assert!(json.contains("What's"), "the rep's own quote stays");
    assert_eq!(e.scorecards[0].criteria[0].evidence.len(), 2);
}

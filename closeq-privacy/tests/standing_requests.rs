//! Stored requests and the gates that read them: restriction stops
//! analysis, exports and signed URLs until lifted; objection stops AI
//! analysis; stored consent satisfies a workspace that requires it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use closeq_core::ports::{
    AudioStore, ByteStream, CallStore, PrivacyStore, SignedMethod, WorkspaceStore,
};
use closeq_core::testing::call_store::sample_scorecard;
use closeq_core::testing::{Stores, World, base_time};
use closeq_core::{
    ConsentMethod, ConsentRecord, Error, ManualClock, Subject, SubjectFlags, SubjectKind, Verdict,
};
use closeq_privacy::gates::ProcessingGate;
use closeq_privacy::request::{RequestKind, RequestState, SubjectRequests};
use closeq_storage::{ObjectAudioStore, SigningKey, SqliteStore, SubjectHasher, UrlSigner};

fn rule(e: Error) -> String {
    match e {
        Error::Compliance { rule, .. } => rule.into_owned(),
        other => panic!("expected a compliance refusal, got {other:?}"),
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    store: Arc<SqliteStore>,
    w: World,
    gate: ProcessingGate,
    requests: SubjectRequests,
    audio: Arc<ObjectAudioStore>,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open(dir.path().join("q.db"), SubjectHasher::new([5; 32], "44"))
            .await
            .unwrap(),
    );
    let stores = Stores::of(store.clone());
    let w = World::create(&stores).await;
    let clock = Arc::new(ManualClock::new(base_time()));
    let audio = Arc::new(
        ObjectAudioStore::local(
            &dir.path().join("audio"),
            UrlSigner::new("https://x/a", SigningKey::new("k", [2; 32]), clock.clone()),
            store.clone(),
        )
        .unwrap(),
    );
    Setup {
        gate: ProcessingGate::new(store.clone(), store.clone()),
        requests: SubjectRequests::new(store.clone(), store.clone(), clock),
        _dir: dir,
        store,
        w,
        audio,
    }
}

#[tokio::test]
async fn restriction_stops_processing_until_lifted() {
    let s = setup().await;
    let w = &s.w;
    let mut call = w.call(&w.rep_a, Some(w.team_a), 3);
    let body: ByteStream = Box::pin(futures::stream::iter(vec![Ok(Bytes::from_static(
        b"RIFF....WAVEfmt ",
    ))]));
    call.audio = Some(
        s.audio
            .put(
                &w.owner,
                &call,
                &format!("calls/{}.wav", call.id),
                "audio/wav",
                body,
            )
            .await
            .unwrap(),
    );
    s.store.insert_call(&w.rep_a, &call).await.unwrap();
    let mut card = sample_scorecard(&call, 80.0, &[("budget", Verdict::Met)]);
    s.store.insert_scorecard(&w.owner, &card).await.unwrap();
    card.accept(w.manager.user_id, base_time()).unwrap();
    let ttl = Duration::from_secs(300);

    // Before: everything is allowed.
    s.gate.check_analysis(&w.rep_a, &call, None).await.unwrap();
    s.gate
        .signed_audio_url(&w.rep_a, s.audio.as_ref(), &call, SignedMethod::Get, ttl)
        .await
        .unwrap();
    s.gate
        .check_score_export(&w.owner, &[(call.clone(), card.clone())])
        .await
        .unwrap();

    // The client restricts processing, identified by phone in another
    // written form than the call's.
    let phone = call.client.phone.clone().unwrap();
    let national = format!("0{}", &phone.to_e164("44").unwrap()[3..]);
    let subject = Subject::Phone(closeq_core::PhoneNumber::parse(&national).unwrap());
    let req = s
        .requests
        .apply_standing(&w.admin, subject.clone(), RequestKind::Restriction)
        .await
        .unwrap();
    assert!(matches!(req.state, RequestState::Completed { .. }));
    assert_eq!(
        rule(
            s.gate
                .check_analysis(&w.rep_a, &call, None)
                .await
                .unwrap_err()
        ),
        "GDPR Art. 18"
    );
    assert_eq!(
        rule(
            s.gate
                .signed_audio_url(&w.rep_a, s.audio.as_ref(), &call, SignedMethod::Get, ttl)
                .await
                .unwrap_err()
        ),
        "GDPR Art. 18"
    );
    assert_eq!(
        rule(
            s.gate
                .check_score_export(&w.owner, &[(call.clone(), card.clone())])
                .await
                .unwrap_err()
        ),
        "GDPR Art. 18"
    );
    // Storage itself continues: the call is still readable.
    s.store.get_call(&w.rep_a, call.id).await.unwrap();

    // Lifted: allowed again.
    let flags = s
        .requests
        .lift_restriction(&w.admin, &subject)
        .await
        .unwrap();
    assert_eq!(flags, SubjectFlags::default());
    s.gate.check_analysis(&w.rep_a, &call, None).await.unwrap();
    s.gate
        .signed_audio_url(&w.rep_a, s.audio.as_ref(), &call, SignedMethod::Get, ttl)
        .await
        .unwrap();

    // The audit trail names the request, never the subject.
    let audit = s.store.list_audit(&w.owner, 0, 100).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "dsr.received",
            "dsr.started",
            "dsr.completed",
            "dsr.restriction_lifted"
        ]
    );
    let text = serde_json::to_string(&audit).unwrap();
    assert!(!text.contains(&national) && !text.contains(phone.as_str()));
}

#[tokio::test]
async fn objection_stops_ai_analysis_only() {
    let s = setup().await;
    let w = &s.w;
    let call = w.call(&w.rep_a, Some(w.team_a), 4);
    s.store.insert_call(&w.rep_a, &call).await.unwrap();
    let client = Subject::Email(call.client.email.clone().unwrap());
    s.requests
        .apply_standing(&w.owner, client.clone(), RequestKind::Objection)
        .await
        .unwrap();
    assert_eq!(
        rule(
            s.gate
                .check_analysis(&w.rep_a, &call, None)
                .await
                .unwrap_err()
        ),
        "GDPR Art. 21"
    );
    s.gate.check_processing(&w.rep_a, &call).await.unwrap();
    // A later restriction keeps the objection.
    s.requests
        .apply_standing(&w.owner, client.clone(), RequestKind::Restriction)
        .await
        .unwrap();
    let flags = s
        .requests
        .lift_restriction(&w.owner, &client)
        .await
        .unwrap();
    assert!(flags.objected && !flags.restricted);
    // Other calls are unaffected.
    let other = w.call(&w.rep_a, Some(w.team_a), 5);
    s.gate.check_analysis(&w.rep_a, &other, None).await.unwrap();
    // Only standing kinds are applied this way; managers cannot.
    assert!(matches!(
        s.requests
            .apply_standing(&w.owner, client.clone(), RequestKind::Access)
            .await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        s.requests
            .apply_standing(&w.manager, client, RequestKind::Objection)
            .await,
        Err(Error::Forbidden { .. })
    ));
}

#[tokio::test]
async fn stored_consent_satisfies_the_workspace_rule() {
    let s = setup().await;
    let w = &s.w;
    let mut settings = s.store.get_workspace(&w.owner).await.unwrap().settings;
    settings.consent_required = true;
    s.store.update_settings(&w.owner, &settings).await.unwrap();
    let call = w.call(&w.rep_a, Some(w.team_a), 6);
    s.store.insert_call(&w.rep_a, &call).await.unwrap();
    assert_eq!(
        rule(
            s.gate
                .check_analysis(&w.rep_a, &call, None)
                .await
                .unwrap_err()
        ),
        "recording consent"
    );
    let consent = ConsentRecord {
        call_id: call.id,
        method: ConsentMethod::Ivr,
        obtained_at: base_time(),
        withdrawn_at: None,
    };
    // A record about to be stored with the call counts...
    s.gate
        .check_analysis(&w.rep_a, &call, Some(&consent))
        .await
        .unwrap();
    // ...and so does a stored one.
    s.store.put_consent(&w.rep_a, &consent).await.unwrap();
    s.gate.check_analysis(&w.rep_a, &call, None).await.unwrap();
}

#[tokio::test]
async fn request_lifecycle_is_stored_and_erasure_forgets_the_subject() {
    let s = setup().await;
    let w = &s.w;
    let subject = Subject::Email(closeq_core::EmailAddress::parse("gone@example.com").unwrap());
    let r = s
        .requests
        .receive(&w.owner, subject.clone(), RequestKind::Erasure)
        .await
        .unwrap();
    assert_eq!(r.due_at(), base_time() + chrono::Duration::days(30));
    s.requests.start(&w.owner, r.id).await.unwrap();
    s.requests
        .extend(&w.owner, r.id, 14, "400 calls to review")
        .await
        .unwrap();
    let done = s.requests.complete(&w.owner, r.id).await.unwrap();
    assert!(done.subject.is_none() && done.subject_kind == SubjectKind::Email);
    let listed = s.requests.list(&w.owner, 10).await.unwrap();
    assert_eq!(listed, vec![done]);
    // Nothing of the subject is left in the database file.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(s.store.pool())
        .await
        .unwrap();
    let bytes = std::fs::read(s._dir.path().join("q.db")).unwrap();
    assert!(!bytes.windows(16).any(|w| w == b"gone@example.com"));
    // A completed request cannot be reopened.
    assert!(matches!(
        s.requests.reject(&w.owner, r.id, "late").await,
        Err(Error::InvalidTransition { .. })
    ));
    let access = s
        .requests
        .receive(&w.owner, subject, RequestKind::Access)
        .await
        .unwrap();
    let rejected = s
        .requests
        .reject(&w.owner, access.id, "identity not verified")
        .await
        .unwrap();
    assert!(
        rejected.subject.is_some(),
        "only erasure forgets the subject"
    );
}

/// Withdrawal stops analysis (even with a consent supplied again), score
/// exports and signed URLs from that moment, keeps what was done, and is
/// recorded as a completed request naming who and when.
#[tokio::test]
async fn consent_withdrawal_stops_further_processing() {
    let s = setup().await;
    let w = &s.w;
    let mut call = w.call(&w.rep_a, Some(w.team_a), 11);
    let body: ByteStream = Box::pin(futures::stream::iter(vec![Ok(Bytes::from_static(
        b"RIFF....WAVEfmt ",
    ))]));
    call.audio = Some(
        s.audio
            .put(
                &w.owner,
                &call,
                &format!("calls/{}.wav", call.id),
                "audio/wav",
                body,
            )
            .await
            .unwrap(),
    );
    s.store.insert_call(&w.rep_a, &call).await.unwrap();
    let given = ConsentRecord::given(call.id, ConsentMethod::Verbal, base_time());
    s.store.put_consent(&w.rep_a, &given).await.unwrap();
    let mut card = sample_scorecard(&call, 70.0, &[("budget", Verdict::Met)]);
    s.store.insert_scorecard(&w.owner, &card).await.unwrap();
    card.accept(w.manager.user_id, base_time()).unwrap();
    let ttl = Duration::from_secs(300);
    s.gate.check_analysis(&w.rep_a, &call, None).await.unwrap();

    // Someone who is not on the call cannot withdraw its consent, and a
    // call without a consent record has none to withdraw.
    let stranger = Subject::Email(closeq_core::EmailAddress::parse("x@elsewhere.example").unwrap());
    assert!(matches!(
        s.requests.withdraw_consent(&w.admin, stranger, &call).await,
        Err(Error::InvalidInput { .. })
    ));
    let bare = w.call(&w.rep_a, Some(w.team_a), 12);
    s.store.insert_call(&w.rep_a, &bare).await.unwrap();
    let bare_client = Subject::Email(bare.client.email.clone().unwrap());
    assert!(matches!(
        s.requests
            .withdraw_consent(&w.admin, bare_client, &bare)
            .await,
        Err(Error::NotFound { .. })
    ));

    let client = Subject::Email(call.client.email.clone().unwrap());
    let (request, consent) = s
        .requests
        .withdraw_consent(&w.admin, client, &call)
        .await
        .unwrap();
    assert_eq!(request.kind, RequestKind::ConsentWithdrawal);
    assert!(matches!(request.state, RequestState::Completed { at } if at == base_time()));
    assert_eq!(request.subject_kind, SubjectKind::Email);
    assert_eq!(consent.withdrawn_at, Some(base_time()));
    let again = ConsentRecord::given(call.id, ConsentMethod::Verbal, base_time());
    for supplied in [None, Some(&again)] {
        assert_eq!(
            rule(
                s.gate
                    .check_analysis(&w.rep_a, &call, supplied)
                    .await
                    .unwrap_err()
            ),
            "GDPR Art. 7(3)"
        );
    }
    assert_eq!(
        rule(
            s.gate
                .signed_audio_url(&w.rep_a, s.audio.as_ref(), &call, SignedMethod::Get, ttl)
                .await
                .unwrap_err()
        ),
        "GDPR Art. 7(3)"
    );
    assert_eq!(
        rule(
            s.gate
                .check_score_export(&w.owner, &[(call.clone(), card.clone())])
                .await
                .unwrap_err()
        ),
        "GDPR Art. 7(3)"
    );
    // What was done before stays: the call, its scorecard.
    s.store.get_call(&w.rep_a, call.id).await.unwrap();
    assert_eq!(
        s.store
            .list_scorecards(&w.owner, call.id)
            .await
            .unwrap()
            .len(),
        1
    );
    let audit = s.store.list_audit(&w.owner, 0, 100).await.unwrap();
    let withdrawn = audit
        .iter()
        .find(|a| a.action == "consent.withdrawn")
        .unwrap();
    assert_eq!(
        withdrawn.target.as_deref(),
        Some(call.id.to_string().as_str())
    );
    assert_eq!(withdrawn.actor, Some(w.admin.user_id));
}

/// The subject lifts their own objection: recorded as a request (who,
/// when), a restriction stays, and lifting nothing is `NotFound`.
#[tokio::test]
async fn an_objection_is_lifted_with_a_record() {
    let s = setup().await;
    let w = &s.w;
    let call = w.call(&w.rep_a, Some(w.team_a), 13);
    s.store.insert_call(&w.rep_a, &call).await.unwrap();
    let client = Subject::Email(call.client.email.clone().unwrap());
    assert!(matches!(
        s.requests.lift_objection(&w.owner, client.clone()).await,
        Err(Error::NotFound { .. })
    ));
    for kind in [RequestKind::Objection, RequestKind::Restriction] {
        s.requests
            .apply_standing(&w.owner, client.clone(), kind)
            .await
            .unwrap();
    }
    let lift = s
        .requests
        .lift_objection(&w.admin, client.clone())
        .await
        .unwrap();
    assert_eq!(lift.kind, RequestKind::ObjectionLift);
    assert_eq!(lift.subject, Some(client.clone()));
    assert!(matches!(lift.state, RequestState::Completed { .. }));
    let flags = s
        .store
        .subject_flags(&w.owner, std::slice::from_ref(&client))
        .await
        .unwrap();
    assert!(!flags.objected && flags.restricted);
    assert!(matches!(
        s.requests.lift_objection(&w.manager, client).await,
        Err(Error::Forbidden { .. })
    ));
}

/// Every rejection and extension carries the reason and the supervisory
/// authority, PUODO by default or the one configured, in the stored record.
#[tokio::test]
async fn refusals_and_extensions_name_the_supervisory_authority() {
    use closeq_core::SupervisoryAuthority;
    let s = setup().await;
    let w = &s.w;
    let subject = Subject::Email(closeq_core::EmailAddress::parse("asks@example.com").unwrap());
    let r = s
        .requests
        .receive(&w.owner, subject.clone(), RequestKind::Access)
        .await
        .unwrap();
    assert_eq!(r.complaint_notice(), None);
    let extended = s
        .requests
        .extend(&w.owner, r.id, 20, "many requests this month")
        .await
        .unwrap();
    let notice = extended.complaint_notice().unwrap();
    assert!(notice.contains("many requests this month"), "{notice}");
    assert!(
        notice.contains("PUODO") && notice.contains("ul. Stawki 2"),
        "{notice}"
    );
    let stored = s.store.get_request(&w.owner, r.id).await.unwrap();
    assert_eq!(
        stored.extensions[0].complaint,
        Some(SupervisoryAuthority::puodo())
    );
    let ico = SupervisoryAuthority::new(
        "Information Commissioner's Office",
        "Wycliffe House, Water Lane, Wilmslow SK9 5AF, United Kingdom",
        "https://ico.org.uk",
    )
    .unwrap();
    assert!(SupervisoryAuthority::new(" ", "a", "b").is_err());
    let requests = s.requests.clone().with_supervisory_authority(ico.clone());
    let rejected = requests
        .reject(&w.owner, r.id, "identity not verified")
        .await
        .unwrap();
    match &s.store.get_request(&w.owner, r.id).await.unwrap().state {
        RequestState::Rejected {
            reason, complaint, ..
        } => {
            assert_eq!(reason, "identity not verified");
            assert_eq!(complaint.as_ref(), Some(&ico));
        }
        other => panic!("{other:?}"),
    }
    let notice = rejected.complaint_notice().unwrap();
    assert!(notice.contains("identity not verified") && notice.contains("Wilmslow"));
}

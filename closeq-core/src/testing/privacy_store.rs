//! Conformance suite for [`PrivacyStore`](crate::ports::PrivacyStore)
//! implementations.

use chrono::Duration;

use crate::consent::{ConsentMethod, ConsentRecord};
use crate::contact::{EmailAddress, PhoneNumber};
use crate::error::Error;
use crate::id::{CallId, DataSubjectRequestId};
use crate::subject::{Subject, SubjectFlags, SubjectKind};
use crate::subject_request::{RequestKind, SubjectRequest, SupervisoryAuthority};
use crate::testing::Outcome;
use crate::testing::world::{Stores, World, base_time};

fn email(w: &World, local: &str) -> Subject {
    Subject::Email(
        EmailAddress::parse(&format!(
            "{local}@{}.example",
            w.workspace.id.as_uuid().simple()
        ))
        .expect("email"),
    )
}

/// Requests round-trip, list newest first, keep their lifecycle, forget an
/// erased subject, and belong to owners and admins of one workspace.
pub async fn requests(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let p = &s.privacy;
    let mut reqs = Vec::new();
    for (i, kind) in [
        RequestKind::Access,
        RequestKind::Erasure,
        RequestKind::Objection,
    ]
    .into_iter()
    .enumerate()
    {
        let r = SubjectRequest::received(
            w.workspace.id,
            email(&w, &format!("subject{i}")),
            kind,
            base_time() + Duration::hours(i as i64),
            30,
        )
        .expect("request");
        p.insert_request(&w.admin, &r).await.expect("insert");
        reqs.push(r);
    }
    assert!(matches!(
        p.insert_request(&w.admin, &reqs[0]).await,
        Err(Error::AlreadyExists { .. })
    ));
    assert_eq!(
        p.get_request(&w.owner, reqs[1].id).await.expect("get"),
        reqs[1]
    );
    let listed = p.list_requests(&w.owner, 10).await.expect("list");
    let ids: Vec<DataSubjectRequestId> = listed.iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        vec![reqs[2].id, reqs[1].id, reqs[0].id],
        "newest first"
    );
    assert_eq!(p.list_requests(&w.owner, 2).await.expect("list").len(), 2);
    assert!(matches!(
        p.list_requests(&w.owner, 0).await,
        Err(Error::InvalidInput { .. })
    ));
    // The lifecycle is stored; a completed erasure keeps no identifier.
    let mut erasure = reqs[1].clone();
    erasure.start().expect("start");
    erasure
        .extend(
            10,
            "many calls to review",
            base_time() + Duration::days(2),
            &SupervisoryAuthority::default(),
        )
        .expect("extend");
    p.update_request(&w.admin, &erasure).await.expect("update");
    erasure
        .complete(base_time() + Duration::days(3))
        .expect("complete");
    p.update_request(&w.admin, &erasure).await.expect("update");
    let back = p.get_request(&w.owner, erasure.id).await.expect("get");
    assert_eq!(back, erasure);
    assert!(back.subject.is_none() && back.subject_kind == SubjectKind::Email);
    assert_eq!(back.extensions.len(), 1);
    // Managers and reps may not see or write requests.
    for scope in [&w.manager, &w.rep_a] {
        assert!(matches!(
            p.list_requests(scope, 10).await,
            Err(Error::Forbidden { .. })
        ));
        assert!(matches!(
            p.get_request(scope, reqs[0].id).await,
            Err(Error::Forbidden { .. })
        ));
    }
    // Another workspace sees nothing and cannot write into this one.
    let other = World::create(s).await;
    assert!(matches!(
        p.get_request(&other.owner, reqs[0].id).await,
        Err(Error::NotFound { .. })
    ));
    assert!(
        p.list_requests(&other.owner, 10)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(p.update_request(&other.owner, &reqs[0]).await.is_err());
    let mut missing = reqs[0].clone();
    missing.id = DataSubjectRequestId::new();
    assert!(matches!(
        p.update_request(&w.owner, &missing).await,
        Err(Error::NotFound { .. })
    ));
    Outcome::Passed
}

/// Flags are set by owners and admins, read by every member for any of a
/// call's subjects (phones matched in any written form), united, cleared,
/// and scoped to the workspace.
pub async fn subject_flags(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let p = &s.privacy;
    let call = w.call(&w.rep_a, Some(w.team_a), 1);
    let subjects = Subject::of_call(&call);
    assert_eq!(
        p.subject_flags(&w.rep_a, &subjects).await.expect("flags"),
        SubjectFlags::default()
    );
    let restricted = SubjectFlags {
        restricted: true,
        objected: false,
        legal_hold: false,
    };
    let phone = call.client.phone.clone().expect("phone");
    let national = Subject::Phone(
        PhoneNumber::parse(&format!("0{}", &phone.to_e164("44").expect("e164")[3..]))
            .expect("national"),
    );
    p.set_subject_flags(&w.admin, &national, restricted)
        .await
        .expect("set");
    assert_eq!(
        p.subject_flags(&w.rep_a, &subjects).await.expect("flags"),
        restricted,
        "a national number restricts the E.164 one"
    );
    p.set_subject_flags(
        &w.owner,
        &Subject::User(w.rep_a.user_id),
        SubjectFlags {
            restricted: false,
            objected: true,
            legal_hold: false,
        },
    )
    .await
    .expect("set");
    assert_eq!(
        p.subject_flags(&w.manager, &subjects).await.expect("flags"),
        SubjectFlags {
            restricted: true,
            objected: true,
            legal_hold: false
        }
    );
    // Other subjects and other workspaces are untouched.
    assert_eq!(
        p.subject_flags(&w.owner, &[email(&w, "someone-else")])
            .await
            .expect("flags"),
        SubjectFlags::default()
    );
    let other = World::create(s).await;
    assert_eq!(
        p.subject_flags(&other.owner, &subjects)
            .await
            .expect("flags"),
        SubjectFlags::default()
    );
    assert!(matches!(
        p.set_subject_flags(&w.manager, &national, SubjectFlags::default())
            .await,
        Err(Error::Forbidden { .. })
    ));
    // Clearing lifts it.
    p.set_subject_flags(&w.admin, &national, SubjectFlags::default())
        .await
        .expect("clear");
    p.set_subject_flags(
        &w.admin,
        &Subject::User(w.rep_a.user_id),
        SubjectFlags::default(),
    )
    .await
    .expect("clear");
    assert_eq!(
        p.subject_flags(&w.rep_a, &subjects).await.expect("flags"),
        SubjectFlags::default()
    );
    Outcome::Passed
}

/// Consent records follow their call: written by who may upload it, read
/// by who sees it, gone with it.
pub async fn consent(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let p = &s.privacy;
    let call = w.call(&w.rep_a, Some(w.team_a), 2);
    s.calls.insert_call(&w.rep_a, &call).await.expect("insert");
    assert_eq!(p.get_consent(&w.rep_a, call.id).await.expect("none"), None);
    let mut record = ConsentRecord {
        call_id: call.id,
        method: ConsentMethod::Verbal,
        obtained_at: base_time(),
        withdrawn_at: None,
    };
    p.put_consent(&w.rep_a, &record).await.expect("put");
    assert_eq!(
        p.get_consent(&w.manager, call.id).await.expect("get"),
        Some(record.clone())
    );
    record.method = ConsentMethod::Written;
    p.put_consent(&w.rep_a, &record).await.expect("replace");
    assert_eq!(
        p.get_consent(&w.owner, call.id).await.expect("get"),
        Some(record.clone())
    );
    assert!(matches!(
        p.get_consent(&w.rep_b, call.id).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        p.put_consent(&w.rep_b, &record).await,
        Err(Error::NotFound { .. })
    ));
    let missing = ConsentRecord {
        call_id: CallId::new(),
        ..record.clone()
    };
    assert!(matches!(
        p.put_consent(&w.owner, &missing).await,
        Err(Error::NotFound { .. })
    ));
    s.calls
        .delete_call(&w.owner, call.id)
        .await
        .expect("delete");
    s.calls.insert_call(&w.rep_a, &call).await.expect("again");
    assert_eq!(
        p.get_consent(&w.owner, call.id).await.expect("gone"),
        None,
        "a deleted call's consent goes with it"
    );
    Outcome::Passed
}

/// A withdrawn consent stays withdrawn: re-sending the original record
/// (or any consent given before the withdrawal) is refused and changes
/// nothing; only an owner or admin records a consent given afterwards. A
/// consent dated in the future does not block the withdrawal.
pub async fn consent_withdrawal(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let p = &s.privacy;
    let call = w.call(&w.rep_a, Some(w.team_a), 3);
    s.calls.insert_call(&w.rep_a, &call).await.expect("insert");
    let original = ConsentRecord::given(call.id, ConsentMethod::Verbal, base_time());
    // A rep dating their record far ahead does not block a withdrawal.
    let other = w.call(&w.rep_a, Some(w.team_a), 4);
    s.calls.insert_call(&w.rep_a, &other).await.expect("insert");
    let far = ConsentRecord::given(
        other.id,
        ConsentMethod::Verbal,
        base_time() + Duration::days(3650),
    );
    p.put_consent(&w.rep_a, &far).await.expect("put");
    let mut early = far.clone();
    early.withdraw(base_time() + Duration::days(1));
    p.put_consent(&w.admin, &early)
        .await
        .expect("withdrawn before its date");
    assert!(
        p.get_consent(&w.owner, other.id)
            .await
            .expect("get")
            .is_some_and(|c| c.is_withdrawn())
    );
    p.put_consent(&w.rep_a, &original).await.expect("put");
    let mut withdrawn = original.clone();
    withdrawn.withdraw(base_time() + Duration::days(2));
    p.put_consent(&w.admin, &withdrawn)
        .await
        .expect("withdrawn");
    let err = p.put_consent(&w.rep_a, &original).await.unwrap_err();
    assert!(
        matches!(&err, Error::Compliance { rule, .. } if rule == "GDPR Art. 7(3)"),
        "{err:?}"
    );
    let at_withdrawal = ConsentRecord::given(
        call.id,
        ConsentMethod::Written,
        base_time() + Duration::days(2),
    );
    assert!(p.put_consent(&w.rep_a, &at_withdrawal).await.is_err());
    assert_eq!(
        p.get_consent(&w.owner, call.id).await.expect("get"),
        Some(withdrawn.clone()),
        "a refused replacement changes nothing"
    );
    // Withdrawing again keeps the record. A consent given later is
    // recorded by an owner or admin only: the rep (or their manager)
    // cannot undo the withdrawal with a record dated after it.
    p.put_consent(&w.admin, &withdrawn).await.expect("again");
    let renewed = ConsentRecord::given(
        call.id,
        ConsentMethod::Written,
        base_time() + Duration::days(3),
    );
    for who in [&w.rep_a, &w.manager] {
        let r = p.put_consent(who, &renewed).await;
        assert!(matches!(r, Err(Error::Compliance { .. })), "{r:?}");
    }
    p.put_consent(&w.admin, &renewed).await.expect("renewed");
    assert_eq!(
        p.get_consent(&w.manager, call.id).await.expect("get"),
        Some(renewed)
    );
    Outcome::Passed
}

/// A legal hold is stored with its restriction, read back in the union,
/// and dropped without one (a hold alone restricts nothing).
pub async fn legal_hold(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let p = &s.privacy;
    let client = email(&w, "claimant");
    let held = SubjectFlags {
        restricted: true,
        objected: false,
        legal_hold: true,
    };
    p.set_subject_flags(&w.admin, &client, held)
        .await
        .expect("set");
    let read = p
        .subject_flags(&w.rep_a, &[email(&w, "other"), client.clone()])
        .await
        .expect("flags");
    assert_eq!(read, held);
    assert!(read.holds_retention());
    // A hold without a restriction is not stored.
    p.set_subject_flags(
        &w.admin,
        &client,
        SubjectFlags {
            restricted: false,
            objected: true,
            legal_hold: true,
        },
    )
    .await
    .expect("set");
    let read = p
        .subject_flags(&w.owner, std::slice::from_ref(&client))
        .await
        .expect("flags");
    assert_eq!(
        read,
        SubjectFlags {
            restricted: false,
            objected: true,
            legal_hold: false,
        }
    );
    assert!(!read.holds_retention());
    Outcome::Passed
}

/// Keyset pages walk every request of the workspace, newest id first,
/// each once, none of another workspace; owners and admins only.
pub async fn requests_in_keyset_pages(s: &Stores, _: &()) -> Outcome {
    let (w, other) = (World::create(s).await, World::create(s).await);
    let mut ids = Vec::new();
    for i in 0..7 {
        let r = SubjectRequest::received(
            w.workspace.id,
            Subject::User(w.rep_a.user_id),
            RequestKind::Access,
            base_time() + Duration::seconds(i),
            30,
        )
        .expect("request");
        s.privacy
            .insert_request(&w.owner, &r)
            .await
            .expect("insert");
        ids.push(r.id);
    }
    let theirs = SubjectRequest::received(
        other.workspace.id,
        Subject::User(other.rep_a.user_id),
        RequestKind::Access,
        base_time(),
        30,
    )
    .expect("request");
    s.privacy
        .insert_request(&other.owner, &theirs)
        .await
        .expect("insert");
    let r = s.privacy.list_requests_before(&w.rep_a, None, 3).await;
    assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");
    let r = s.privacy.list_requests_before(&w.owner, None, 0).await;
    assert!(matches!(r, Err(Error::InvalidInput { .. })), "{r:?}");
    let mut seen: Vec<DataSubjectRequestId> = Vec::new();
    loop {
        let page = s
            .privacy
            .list_requests_before(&w.admin, seen.last().copied(), 3)
            .await
            .expect("page");
        assert!(page.len() <= 3);
        let done = page.len() < 3;
        seen.extend(page.iter().map(|r| r.id));
        if done {
            break;
        }
    }
    ids.reverse();
    assert_eq!(seen, ids, "every request once, newest id first");
    Outcome::Passed
}

/// Runs every case of the privacy-store suite as its own test.
#[macro_export]
macro_rules! privacy_store_conformance {
    (make = $make:expr $(,)?) => {
        $crate::conformance_tests!(
            suite = privacy_store,
            make = $make,
            fixture = (),
            cases = [
                requests,
                subject_flags,
                consent,
                consent_withdrawal,
                legal_hold,
                requests_in_keyset_pages
            ]
        );
    };
    (make_or_skip = $make:expr $(,)?) => {
        $crate::conformance_tests!(
            suite = privacy_store,
            make_or_skip = $make,
            fixture = (),
            cases = [
                requests,
                subject_flags,
                consent,
                consent_withdrawal,
                legal_hold,
                requests_in_keyset_pages
            ]
        );
    };
}

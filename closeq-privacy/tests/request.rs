//! The data-subject request lifecycle: deadlines, extensions, transitions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{Duration, TimeZone, Utc};
use closeq_core::{EmailAddress, Error, Subject, WorkspaceId};
use closeq_privacy::request::{RequestKind, RequestState, SubjectRequest};

fn req(days: u32) -> SubjectRequest {
    SubjectRequest::received(
        WorkspaceId::new(),
        Subject::Email(EmailAddress::parse("Jane.Doe@Example.COM").unwrap()),
        RequestKind::Erasure,
        Utc.with_ymd_and_hms(2026, 1, 31, 12, 0, 0).unwrap(),
        days,
    )
    .unwrap()
}

#[test]
fn due_thirty_days_after_receipt_and_overdue_one_second_later() {
    let r = req(30);
    let due = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();
    assert_eq!(r.due_at(), due);
    assert!(!r.is_overdue(due));
    assert!(r.is_overdue(due + Duration::seconds(1)));
    assert!(matches!(
        SubjectRequest::received(
            r.workspace_id,
            r.subject.clone().unwrap(),
            RequestKind::Access,
            r.received_at,
            45
        ),
        Err(Error::InvalidInput { ref field, .. }) if field == "answer_days"
    ));
}

#[test]
fn extensions_need_a_reason_and_stop_at_two_months() {
    let mut r = req(30);
    let t = r.received_at + Duration::days(10);
    assert!(r.extend(30, "  ", t, &pa()).is_err());
    r.extend(30, "complex request across 400 calls", t, &pa())
        .unwrap();
    r.extend(31, "many requests this month", t, &pa()).unwrap();
    assert_eq!(r.due_at(), r.received_at + Duration::days(91));
    assert!(matches!(
        r.extend(1, "more", t, &pa()),
        Err(Error::Compliance { .. })
    ));
    assert_eq!(r.extensions.len(), 2);
    // Too late to extend once the deadline has passed.
    let mut late = req(30);
    let after = late.due_at() + Duration::seconds(1);
    assert!(matches!(
        late.extend(10, "forgot", after, &pa()),
        Err(Error::Compliance { .. })
    ));
}

#[test]
fn transitions() {
    let mut r = req(30);
    r.start().unwrap();
    assert!(r.start().is_err(), "already in progress");
    let at = r.received_at + Duration::days(3);
    r.complete(at).unwrap();
    assert_eq!(r.state, RequestState::Completed { at });
    assert!(!r.is_overdue(at + Duration::days(365)));
    assert!(matches!(
        r.reject(at, "identity not verified", &pa()),
        Err(Error::InvalidTransition { .. })
    ));
    assert!(
        r.extend(5, "x", at, &pa()).is_err(),
        "closed requests are not extended"
    );

    let mut q = req(30);
    assert!(q.reject(q.received_at, "", &pa()).is_err());
    q.reject(q.received_at, "identity not verified", &pa())
        .unwrap();
    // Round trip, and no personal data in Debug.
    let back: SubjectRequest = serde_json::from_value(serde_json::to_value(&q).unwrap()).unwrap();
    assert_eq!(back, q);
    assert!(!format!("{q:?}").to_lowercase().contains("jane.doe"));
}

fn pa() -> closeq_core::SupervisoryAuthority {
    closeq_core::SupervisoryAuthority::default()
}

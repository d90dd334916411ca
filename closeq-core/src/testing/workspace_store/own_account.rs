//! Conformance case of a member's correction of their own account
//! ([`WorkspaceStore::rectify_own_account`](crate::ports::WorkspaceStore::rectify_own_account)).

use chrono::Utc;

use crate::audit::AuditRecord;
use crate::error::Error;
use crate::member::{Member, Role};
use crate::scope::Scope;
use crate::subject::Subject;
use crate::subject_request::{RequestKind, SubjectRequest};
use crate::testing::Outcome;
use crate::testing::world::{Stores, World};

fn request(scope: &Scope, about: Subject, complete: bool) -> SubjectRequest {
    let now = Utc::now();
    let mut r = SubjectRequest::received(
        scope.workspace_id,
        about,
        RequestKind::Rectification,
        now,
        30,
    )
    .expect("request");
    if complete {
        r.start().expect("start");
        r.complete(now).expect("complete");
    }
    r
}

fn audit(scope: &Scope, request: &SubjectRequest) -> AuditRecord {
    AuditRecord {
        seq: 0,
        workspace_id: scope.workspace_id,
        at: Utc::now(),
        actor: Some(scope.user_id),
        action: "dsr.rectify_own_account".into(),
        target: Some(request.id.to_string()),
        details: serde_json::json!({ "fields": ["time_zone"] }),
    }
}

async fn refused(
    s: &Stores,
    scope: &Scope,
    m: &Member,
    r: &SubjectRequest,
    a: &AuditRecord,
) -> Error {
    s.workspaces
        .rectify_own_account(scope, m, r, a)
        .await
        .map(|()| panic!("accepted: {:?} / {:?}", r.state, a.action))
        .unwrap_or_else(|e| e)
}

/// A rep corrects their own time zone: the record changes, the completed
/// request and the audit record are stored with it; a name or e-mail
/// address is filed as an open request, the record unchanged. Their role,
/// teams, name, e-mail address or another member's record cannot change
/// this way; requests and audit records must be of this correction, now;
/// a refused correction leaves nothing behind.
pub async fn own_account(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let rep = &w.rep_a;
    let stored = s
        .workspaces
        .get_member(rep, rep.user_id)
        .await
        .expect("member");
    let me = Subject::User(rep.user_id);
    let done = request(rep, me.clone(), true);

    let mut promoted = stored.clone();
    promoted.role = Role::Admin;
    let mut moved = stored.clone();
    moved.team_ids.clear();
    let mut renamed = stored.clone();
    renamed.display_name = Some("Thank You".to_owned().into());
    let mut readdressed = stored.clone();
    readdressed.email =
        Some(crate::EmailAddress::parse("someone.else@example.com").expect("email"));
    for bad in [promoted, moved, renamed, readdressed] {
        let e = refused(s, rep, &bad, &done, &audit(rep, &done)).await;
        assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    }
    let other = s
        .workspaces
        .get_member(&w.owner, w.rep_b.user_id)
        .await
        .expect("rep b");
    let e = refused(s, rep, &other, &done, &audit(rep, &done)).await;
    assert!(matches!(e, Error::Forbidden { .. }), "{e:?}");

    let mut fixed = stored.clone();
    fixed.time_zone = Some(crate::TimeZoneName::parse("America/New_York").expect("tz"));
    let mut future = request(rep, me.clone(), true);
    future.received_at += chrono::Duration::days(3650);
    let mut forever = request(rep, me.clone(), true);
    forever.answer_days = u32::MAX;
    let mut erasure = request(rep, me.clone(), true);
    erasure.kind = RequestKind::Erasure;
    for bad in [
        request(rep, me.clone(), false), // the record changes: must be completed
        request(rep, Subject::User(w.rep_b.user_id), true),
        erasure,
        future,
        forever,
    ] {
        let e = refused(s, rep, &fixed, &bad, &audit(rep, &bad)).await;
        assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    }
    // A completed request without a change, and audit records not of this
    // correction.
    let e = refused(s, rep, &stored, &done, &audit(rep, &done)).await;
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    let mut misleading = audit(rep, &done);
    misleading.action = "dsr.erasure_completed".into();
    let mut elsewhere = audit(rep, &done);
    elsewhere.target = Some(crate::CallId::new().to_string());
    for a in [misleading, elsewhere] {
        let e = refused(s, rep, &fixed, &done, &a).await;
        assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    }
    let e = refused(s, rep, &fixed, &done, &audit(&w.rep_b, &done)).await;
    assert!(matches!(e, Error::Forbidden { .. }), "{e:?}");
    assert_eq!(
        s.workspaces
            .get_member(&w.owner, rep.user_id)
            .await
            .expect("member"),
        stored,
        "refused corrections changed the record"
    );
    assert!(
        s.privacy
            .list_requests(&w.owner, 100)
            .await
            .expect("requests")
            .is_empty(),
        "refused corrections left requests"
    );

    s.workspaces
        .rectify_own_account(rep, &fixed, &done, &audit(rep, &done))
        .await
        .expect("own correction");
    assert_eq!(
        s.workspaces
            .get_member(&w.owner, rep.user_id)
            .await
            .expect("member"),
        fixed
    );
    let filed = request(rep, me, false);
    s.workspaces
        .rectify_own_account(rep, &fixed, &filed, &audit(rep, &filed))
        .await
        .expect("a filed correction for an admin");
    let mut requests = s.privacy.list_requests(&w.owner, 100).await.expect("list");
    requests.sort_by_key(|r| r.received_at);
    assert_eq!(requests, vec![done, filed]);
    let log = s
        .workspaces
        .list_audit(&w.owner, 0, 100)
        .await
        .expect("audit");
    assert_eq!(
        log.iter()
            .filter(|r| r.action == "dsr.rectify_own_account" && r.actor == Some(rep.user_id))
            .count(),
        2
    );
    Outcome::Passed
}

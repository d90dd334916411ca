//! Conformance case of a member's correction of their own account
//! ([`WorkspaceStore::rectify_own_account`](crate::ports::WorkspaceStore::rectify_own_account)).

use crate::audit::AuditRecord;
use crate::error::Error;
use crate::member::Role;
use crate::scope::Scope;
use crate::subject::Subject;
use crate::subject_request::{RequestKind, SubjectRequest};
use crate::testing::Outcome;
use crate::testing::world::{Stores, World, base_time};

fn completed(scope: &Scope, about: Subject) -> SubjectRequest {
    let mut r = SubjectRequest::received(
        scope.workspace_id,
        about,
        RequestKind::Rectification,
        base_time(),
        30,
    )
    .expect("request");
    r.start().expect("start");
    r.complete(base_time()).expect("complete");
    r
}

fn audit(scope: &Scope) -> AuditRecord {
    AuditRecord {
        seq: 0,
        workspace_id: scope.workspace_id,
        at: base_time(),
        actor: Some(scope.user_id),
        action: "dsr.rectify_own_account".into(),
        target: None,
        details: serde_json::json!({ "fields": ["time_zone"] }),
    }
}

/// A rep corrects their own name and time zone: the record changes, the
/// completed request and the audit record are stored with it. Their role,
/// teams or another member's record cannot change this way, and a refused
/// correction leaves nothing behind.
pub async fn own_account(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let rep = &w.rep_a;
    let stored = s
        .workspaces
        .get_member(rep, rep.user_id)
        .await
        .expect("member");
    let me = Subject::User(rep.user_id);

    let mut promoted = stored.clone();
    promoted.role = Role::Admin;
    let mut moved = stored.clone();
    moved.team_ids.clear();
    for bad in [promoted, moved] {
        let r = s
            .workspaces
            .rectify_own_account(rep, &bad, &completed(rep, me.clone()), &audit(rep))
            .await;
        assert!(matches!(r, Err(Error::InvalidInput { .. })), "{r:?}");
    }
    let other = s
        .workspaces
        .get_member(&w.owner, w.rep_b.user_id)
        .await
        .expect("rep b");
    let r = s
        .workspaces
        .rectify_own_account(rep, &other, &completed(rep, me.clone()), &audit(rep))
        .await;
    assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");

    let mut fixed = stored.clone();
    fixed.display_name = Some("Corrected Name".to_owned().into());
    fixed.time_zone = Some(crate::TimeZoneName::parse("Europe/Warsaw").expect("tz"));
    let open = SubjectRequest::received(
        rep.workspace_id,
        me.clone(),
        RequestKind::Rectification,
        base_time(),
        30,
    )
    .expect("request");
    let about_b = completed(rep, Subject::User(w.rep_b.user_id));
    let mut erasure = completed(rep, me.clone());
    erasure.kind = RequestKind::Erasure;
    for request in [open, about_b, erasure] {
        let r = s
            .workspaces
            .rectify_own_account(rep, &fixed, &request, &audit(rep))
            .await;
        assert!(matches!(r, Err(Error::InvalidInput { .. })), "{r:?}");
    }
    let r = s
        .workspaces
        .rectify_own_account(rep, &fixed, &completed(rep, me.clone()), &audit(&w.rep_b))
        .await;
    assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");
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

    let request = completed(rep, me);
    s.workspaces
        .rectify_own_account(rep, &fixed, &request, &audit(rep))
        .await
        .expect("own correction");
    assert_eq!(
        s.workspaces
            .get_member(&w.owner, rep.user_id)
            .await
            .expect("member"),
        fixed
    );
    let requests = s.privacy.list_requests(&w.owner, 100).await.expect("list");
    assert_eq!(requests, vec![request]);
    let log = s
        .workspaces
        .list_audit(&w.owner, 0, 100)
        .await
        .expect("audit");
    assert!(
        log.iter()
            .any(|r| r.action == "dsr.rectify_own_account" && r.actor == Some(rep.user_id))
    );
    Outcome::Passed
}

//! A workspace with one of every kind of record a store keeps, for purge
//! and canary tests: which identifiers to look for afterwards.

use chrono::Duration;

use crate::consent::{ConsentMethod, ConsentRecord};
use crate::contact::EmailAddress;
use crate::id::{ApiKeyId, IntegrationId};
use crate::invitation::Invitation;
use crate::member::Role;
use crate::ports::{ApiKeyRecord, IntegrationRecord};
use crate::scorecard::Verdict;
use crate::subject::{Subject, SubjectFlags};
use crate::subject_request::{RequestKind, SubjectRequest};
use crate::testing::call_store::{sample_scorecard, sample_transcript};
use crate::testing::world::{Stores, World, base_time};
use crate::{AuditRecord, Call};

/// What [`every_kind_of_record`] stored.
#[derive(Debug, Clone)]
pub struct EveryRecord {
    /// The calls (with transcript, scorecard, review, consent).
    pub calls: Vec<Call>,
    /// Strings that identify the workspace or its people and must be gone
    /// after a purge: ids (hyphenated and simple), e-mail addresses, names.
    pub canaries: Vec<String>,
}

/// Fills `w`'s workspace with calls (with transcripts, reviewed
/// scorecards, consent), an invitation, an API key, an integration, an
/// audit record, an access record, a data-subject request and subject
/// flags.
pub async fn every_kind_of_record(s: &Stores, w: &World) -> EveryRecord {
    let mut calls = Vec::new();
    for (rep, team, minutes) in [(&w.rep_a, Some(w.team_a), 1), (&w.rep_b, Some(w.team_b), 2)] {
        let call = w.call(rep, team, minutes);
        s.calls.insert_call(rep, &call).await.expect("call");
        s.calls
            .put_transcript(rep, call.id, &sample_transcript())
            .await
            .expect("transcript");
        let mut card = sample_scorecard(&call, 64.0, &[("budget", Verdict::Met)]);
        s.calls
            .insert_scorecard(&w.owner, &card)
            .await
            .expect("scorecard");
        card.accept(w.admin.user_id, base_time()).expect("accept");
        s.calls.save_review(&w.admin, &card).await.expect("review");
        s.privacy
            .put_consent(
                rep,
                &ConsentRecord::given(call.id, ConsentMethod::Verbal, base_time()),
            )
            .await
            .expect("consent");
        calls.push(call);
    }
    let ws = w.workspace.id;
    let invitee =
        EmailAddress::parse(&format!("invitee@{}.example", ws.as_uuid().simple())).expect("email");
    let inv = Invitation::new(
        ws,
        invitee.clone(),
        Role::Member,
        w.owner.user_id,
        base_time(),
        base_time() + Duration::days(7),
    )
    .expect("invitation");
    s.workspaces
        .insert_invitation(&w.owner, &inv, unique_hash(ws, 2))
        .await
        .expect("invitation");
    let key = ApiKeyRecord {
        id: ApiKeyId::new(),
        workspace_id: ws,
        name: "dialer".into(),
        display_prefix: "cq_live_ab12".into(),
        secret_sha256: unique_hash(ws, 1),
        scopes: vec!["calls:write".into()],
        created_by: w.owner.user_id,
        created_at: base_time(),
        last_used_at: None,
        revoked_at: None,
    };
    s.workspaces
        .insert_api_key(&w.owner, &key)
        .await
        .expect("key");
    let integration = IntegrationRecord {
        id: IntegrationId::new(),
        workspace_id: ws,
        provider: "aircall".into(),
        sealed_token: vec![1, 2, 3],
        key_id: "kek-1".into(),
        created_at: base_time(),
    };
    s.workspaces
        .put_integration(&w.admin, &integration)
        .await
        .expect("integration");
    s.workspaces
        .append_audit(
            &w.owner,
            &AuditRecord {
                seq: 0,
                workspace_id: ws,
                at: base_time(),
                actor: Some(w.owner.user_id),
                action: "settings.changed".into(),
                target: None,
                details: serde_json::json!({}),
            },
        )
        .await
        .expect("audit");
    let read = crate::AccessRecord::new(
        &w.rep_a,
        crate::AccessAction::CallRead,
        vec![calls[0].id.as_uuid()],
        base_time(),
    );
    s.workspaces
        .append_access(&w.rep_a, &[read])
        .await
        .expect("access record");
    let client = Subject::Email(calls[0].client.email.clone().expect("email"));
    let request =
        SubjectRequest::received(ws, client.clone(), RequestKind::Access, base_time(), 30)
            .expect("request");
    s.privacy
        .insert_request(&w.owner, &request)
        .await
        .expect("request");
    s.privacy
        .set_subject_flags(
            &w.owner,
            &client,
            SubjectFlags {
                restricted: false,
                objected: true,
                legal_hold: false,
            },
        )
        .await
        .expect("flags");
    let mut canaries = vec![invitee.as_str().to_owned()];
    let mut id = |u: uuid::Uuid| {
        canaries.push(u.hyphenated().to_string());
        canaries.push(u.simple().to_string());
    };
    id(ws.as_uuid());
    id(w.team_a.as_uuid());
    for scope in [&w.owner, &w.admin, &w.manager, &w.rep_a, &w.rep_b] {
        id(scope.user_id.as_uuid());
    }
    for c in &calls {
        id(c.id.as_uuid());
    }
    id(request.id.as_uuid());
    id(key.id.as_uuid());
    id(integration.id.as_uuid());
    id(inv.id.as_uuid());
    EveryRecord { calls, canaries }
}

/// A secret hash unique to the workspace and `salt` (so two fills never
/// collide).
pub fn unique_hash(ws: crate::WorkspaceId, salt: u8) -> [u8; 32] {
    let mut out = [salt; 32];
    out[..16].copy_from_slice(ws.as_uuid().as_bytes());
    out
}

//! Conformance suite for [`WorkspaceStore`](crate::ports::WorkspaceStore)
//! implementations.

use chrono::Duration;

use crate::contact::EmailAddress;
use crate::error::Error;
use crate::id::{ApiKeyId, IntegrationId, UserId, WorkspaceId};
use crate::invitation::{Invitation, InvitationStatus};
use crate::member::{Member, Role, Team};
use crate::ports::{ApiKeyRecord, IntegrationRecord};
use crate::testing::Outcome;
use crate::testing::world::{Stores, World, base_time};
use crate::workspace::{RetentionPeriod, Workspace};

/// A workspace and its settings round-trip; only owners and admins change
/// settings; another workspace is invisible.
pub async fn workspace_and_settings(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    assert_eq!(
        s.workspaces.get_workspace(&w.rep_a).await.expect("get"),
        w.workspace
    );
    let mut settings = w.workspace.settings.clone();
    settings.audio_retention = RetentionPeriod::Months(6);
    s.workspaces
        .update_settings(&w.admin, &settings)
        .await
        .expect("update");
    assert_eq!(
        s.workspaces
            .get_workspace(&w.owner)
            .await
            .expect("get")
            .settings,
        settings
    );
    assert!(matches!(
        s.workspaces.update_settings(&w.manager, &settings).await,
        Err(Error::Forbidden { .. })
    ));
    let mut bad = settings.clone();
    bad.audio_retention = RetentionPeriod::Months(0);
    assert!(matches!(
        s.workspaces.update_settings(&w.owner, &bad).await,
        Err(Error::InvalidInput { .. })
    ));
    let other = World::create(s).await;
    assert_ne!(
        s.workspaces
            .get_workspace(&other.owner)
            .await
            .expect("other")
            .id,
        w.workspace.id
    );
    let dup = Workspace {
        ..w.workspace.clone()
    };
    let owner = Member {
        workspace_id: dup.id,
        user_id: UserId::new(),
        role: Role::Owner,
        team_ids: Default::default(),
        display_name: None,
        email: None,
        joined_at: base_time(),
    };
    assert!(matches!(
        s.workspaces.create_workspace(&dup, &owner).await,
        Err(Error::AlreadyExists { .. })
    ));
    let not_owner = Member {
        role: Role::Admin,
        workspace_id: WorkspaceId::new(),
        ..owner
    };
    let fresh = Workspace::new("x", base_time()).expect("ws");
    assert!(matches!(
        s.workspaces.create_workspace(&fresh, &not_owner).await,
        Err(Error::InvalidInput { .. })
    ));
    Outcome::Passed
}

/// Members and teams: listing, updates, removal (idempotent), permissions.
pub async fn members_and_teams(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let teams = s.workspaces.list_teams(&w.rep_b).await.expect("teams");
    assert_eq!(teams.len(), 2);
    let members = s.workspaces.list_members(&w.owner).await.expect("members");
    assert_eq!(members.len(), 5);
    let mut m = s
        .workspaces
        .get_member(&w.owner, w.rep_a.user_id)
        .await
        .expect("member");
    assert_eq!(m.role, Role::Member);
    m.role = Role::Manager;
    s.workspaces
        .put_member(&w.admin, &m)
        .await
        .expect("promote");
    assert_eq!(
        s.workspaces
            .get_member(&w.owner, m.user_id)
            .await
            .expect("m")
            .role,
        Role::Manager
    );
    assert!(matches!(
        s.workspaces.put_member(&w.manager, &m).await,
        Err(Error::Forbidden { .. })
    ));
    assert!(matches!(
        s.workspaces
            .create_team(
                &w.rep_b,
                &Team::new(w.workspace.id, "X", base_time()).expect("t")
            )
            .await,
        Err(Error::Forbidden { .. })
    ));
    s.workspaces
        .remove_member(&w.owner, w.rep_b.user_id)
        .await
        .expect("remove");
    s.workspaces
        .remove_member(&w.owner, w.rep_b.user_id)
        .await
        .expect("remove again");
    assert!(matches!(
        s.workspaces.get_member(&w.owner, w.rep_b.user_id).await,
        Err(Error::NotFound { .. })
    ));
    let other = World::create(s).await;
    assert!(matches!(
        s.workspaces.get_member(&other.owner, w.owner.user_id).await,
        Err(Error::NotFound { .. })
    ));
    Outcome::Passed
}

/// Invitations are found by the hash of their token, and move only along
/// legal transitions.
pub async fn invitations(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let inv = Invitation::new(
        w.workspace.id,
        EmailAddress::parse("new.hire@example.com").expect("email"),
        Role::Member,
        w.owner.user_id,
        base_time(),
        base_time() + Duration::days(7),
    )
    .expect("invitation");
    let hash = [7u8; 32];
    assert!(matches!(
        s.workspaces.insert_invitation(&w.rep_a, &inv, hash).await,
        Err(Error::Forbidden { .. })
    ));
    s.workspaces
        .insert_invitation(&w.admin, &inv, hash)
        .await
        .expect("insert");
    assert_eq!(s.workspaces.find_invitation(hash).await.expect("find"), inv);
    assert!(matches!(
        s.workspaces.find_invitation([8u8; 32]).await,
        Err(Error::NotFound { .. })
    ));
    s.workspaces
        .set_invitation_status(w.workspace.id, inv.id, InvitationStatus::Accepted)
        .await
        .expect("accept");
    assert!(matches!(
        s.workspaces
            .set_invitation_status(w.workspace.id, inv.id, InvitationStatus::Revoked)
            .await,
        Err(Error::InvalidTransition { .. })
    ));
    Outcome::Passed
}

/// API keys: stored by hash, found by hash, revoked, touched.
pub async fn api_keys(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let key = ApiKeyRecord {
        id: ApiKeyId::new(),
        workspace_id: w.workspace.id,
        name: "dialer".into(),
        display_prefix: "cq_live_ab12".into(),
        secret_sha256: [42u8; 32],
        scopes: vec!["calls:write".into()],
        created_by: w.owner.user_id,
        created_at: base_time(),
        last_used_at: None,
        revoked_at: None,
    };
    assert!(matches!(
        s.workspaces.insert_api_key(&w.manager, &key).await,
        Err(Error::Forbidden { .. })
    ));
    s.workspaces
        .insert_api_key(&w.owner, &key)
        .await
        .expect("insert");
    assert!(matches!(
        s.workspaces.insert_api_key(&w.owner, &key).await,
        Err(Error::AlreadyExists { .. })
    ));
    assert_eq!(
        s.workspaces.find_api_key([42u8; 32]).await.expect("find"),
        key
    );
    s.workspaces
        .touch_api_key(w.workspace.id, key.id, base_time() + Duration::hours(1))
        .await
        .expect("touch");
    s.workspaces
        .revoke_api_key(&w.admin, key.id, base_time() + Duration::hours(2))
        .await
        .expect("revoke");
    s.workspaces
        .revoke_api_key(&w.admin, key.id, base_time() + Duration::hours(3))
        .await
        .expect("revoke again");
    let listed = s.workspaces.list_api_keys(&w.owner).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].last_used_at,
        Some(base_time() + Duration::hours(1))
    );
    assert_eq!(
        listed[0].revoked_at,
        Some(base_time() + Duration::hours(2)),
        "the first revocation time is kept"
    );
    Outcome::Passed
}

/// Integrations keep only the sealed token.
pub async fn integrations(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let rec = IntegrationRecord {
        id: IntegrationId::new(),
        workspace_id: w.workspace.id,
        provider: "aircall".into(),
        sealed_token: vec![1, 2, 3, 0, 255],
        key_id: "kek-1".into(),
        created_at: base_time(),
    };
    assert!(matches!(
        s.workspaces.put_integration(&w.rep_a, &rec).await,
        Err(Error::Forbidden { .. })
    ));
    s.workspaces
        .put_integration(&w.admin, &rec)
        .await
        .expect("put");
    assert_eq!(
        s.workspaces
            .get_integration(&w.owner, rec.id)
            .await
            .expect("get"),
        rec
    );
    let mut rotated = rec.clone();
    rotated.key_id = "kek-2".into();
    s.workspaces
        .put_integration(&w.admin, &rotated)
        .await
        .expect("replace");
    assert_eq!(
        s.workspaces
            .list_integrations(&w.owner)
            .await
            .expect("list"),
        vec![rotated]
    );
    let other = World::create(s).await;
    assert!(matches!(
        s.workspaces.get_integration(&other.owner, rec.id).await,
        Err(Error::NotFound { .. })
    ));
    Outcome::Passed
}

/// The audit log is append-only, ordered, per workspace, admin-only, and
/// refuses personal data.
pub async fn audit_log(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let other = World::create(s).await;
    let rec = |ws: WorkspaceId, action: &str| crate::audit::AuditRecord {
        seq: 0,
        workspace_id: ws,
        at: base_time(),
        actor: None,
        action: action.into(),
        target: Some(crate::id::CallId::new().to_string()),
        details: serde_json::json!({"deleted": 3}),
    };
    let a = s
        .workspaces
        .append_audit(&rec(w.workspace.id, "retention.sweep"))
        .await
        .expect("append");
    let b = s
        .workspaces
        .append_audit(&rec(w.workspace.id, "dsr.erase"))
        .await
        .expect("append");
    s.workspaces
        .append_audit(&rec(other.workspace.id, "retention.sweep"))
        .await
        .expect("other");
    assert!(b > a);
    let log = s
        .workspaces
        .list_audit(&w.admin, 0, 100)
        .await
        .expect("list");
    assert_eq!(
        log.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(),
        vec!["retention.sweep", "dsr.erase"]
    );
    assert_eq!(
        s.workspaces
            .list_audit(&w.owner, a, 100)
            .await
            .expect("after")
            .len(),
        1
    );
    assert!(matches!(
        s.workspaces.list_audit(&w.rep_a, 0, 100).await,
        Err(Error::Forbidden { .. })
    ));
    let mut pii = rec(w.workspace.id, "dsr.export");
    pii.details = serde_json::json!({"subject": "jane@example.com"});
    assert!(matches!(
        s.workspaces.append_audit(&pii).await,
        Err(Error::InvalidInput { .. })
    ));
    Outcome::Passed
}

/// Runs every case of the workspace-store suite as its own test.
#[macro_export]
macro_rules! workspace_store_conformance {
    (make = $make:expr $(,)?) => {
        $crate::conformance_tests!(
            suite = workspace_store,
            make = $make,
            fixture = (),
            cases = [
                workspace_and_settings,
                members_and_teams,
                invitations,
                api_keys,
                integrations,
                audit_log
            ]
        );
    };
    (make_or_skip = $make:expr $(,)?) => {
        $crate::conformance_tests!(
            suite = workspace_store,
            make_or_skip = $make,
            fixture = (),
            cases = [
                workspace_and_settings,
                members_and_teams,
                invitations,
                api_keys,
                integrations,
                audit_log
            ]
        );
    };
}

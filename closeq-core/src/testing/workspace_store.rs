//! Conformance suite for [`WorkspaceStore`](crate::ports::WorkspaceStore)
//! implementations.

use chrono::Duration;

use crate::contact::EmailAddress;
use crate::error::Error;
use crate::id::{ApiKeyId, IntegrationId, UserId, WorkspaceId};
use crate::invitation::{Invitation, InvitationStatus};
use crate::member::{Member, Role, Team};
use crate::ports::{ApiKeyRecord, IntegrationRecord};
use crate::scope::Scope;
use crate::testing::Outcome;
use crate::testing::world::{Stores, World, base_time};
use crate::workspace::{RetentionPeriod, Workspace};

mod access_log;
mod erasure;
mod own_account;
mod purge;

pub use access_log::{access_log, expire_access};
pub use own_account::own_account;
pub use purge::{delete_workspace, expire_audit, snapshot};

pub use erasure::invitations_to_an_address_are_deleted;

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
    let owner = Member::new(dup.id, UserId::new(), Role::Owner, base_time());
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

/// Invitations are found by the hash of their token; accepted only with
/// the token itself; revoked or expired only by the workspace's owners and
/// admins; and move only along legal transitions.
pub async fn invitations(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let other = World::create(s).await;
    let invite = |days: i64| {
        Invitation::new(
            w.workspace.id,
            EmailAddress::parse("new.hire@example.com").expect("email"),
            Role::Member,
            w.owner.user_id,
            base_time(),
            base_time() + Duration::days(days),
        )
        .expect("invitation")
    };
    let inv = invite(7);
    let token = format!("inv-{}", inv.id);
    let hash = crate::invitation_token_sha256(&token).expect("hash");
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
    // Accepting takes the token: not the id, not the hash, not a scope.
    assert!(matches!(
        s.workspaces
            .set_invitation_status(&w.owner, inv.id, InvitationStatus::Accepted)
            .await,
        Err(Error::Forbidden { .. })
    ));
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    for wrong in [format!("{token}x"), hex, String::from("inv-")] {
        assert!(matches!(
            s.workspaces.accept_invitation(&wrong, base_time()).await,
            Err(Error::NotFound { .. })
        ));
    }
    for bad in [
        String::new(),
        "x".repeat(crate::MAX_INVITATION_TOKEN_BYTES + 1),
    ] {
        assert_eq!(
            s.workspaces
                .accept_invitation(&bad, base_time())
                .await
                .expect_err("bad token")
                .field(),
            Some("token")
        );
    }
    // Members, and other workspaces, cannot revoke it.
    assert!(matches!(
        s.workspaces
            .set_invitation_status(&w.rep_a, inv.id, InvitationStatus::Revoked)
            .await,
        Err(Error::Forbidden { .. })
    ));
    assert!(matches!(
        s.workspaces
            .set_invitation_status(&other.owner, inv.id, InvitationStatus::Revoked)
            .await,
        Err(Error::NotFound { .. })
    ));
    let accepted = s
        .workspaces
        .accept_invitation(&token, base_time() + Duration::days(1))
        .await
        .expect("accept");
    assert_eq!(accepted.status, InvitationStatus::Accepted);
    assert_eq!(accepted.id, inv.id);
    assert_eq!(
        s.workspaces
            .find_invitation(hash)
            .await
            .expect("find")
            .status,
        InvitationStatus::Accepted
    );
    assert!(matches!(
        s.workspaces.accept_invitation(&token, base_time()).await,
        Err(Error::InvalidTransition { .. })
    ));
    assert!(matches!(
        s.workspaces
            .set_invitation_status(&w.admin, inv.id, InvitationStatus::Revoked)
            .await,
        Err(Error::InvalidTransition { .. })
    ));
    // Past its expiry: stored as expired, and refused.
    let late = invite(2);
    let late_token = format!("inv-{}", late.id);
    s.workspaces
        .insert_invitation(
            &w.owner,
            &late,
            crate::invitation_token_sha256(&late_token).expect("hash"),
        )
        .await
        .expect("insert");
    assert!(matches!(
        s.workspaces
            .accept_invitation(&late_token, base_time() + Duration::days(3))
            .await,
        Err(Error::InvalidTransition { .. })
    ));
    assert_eq!(
        s.workspaces
            .find_invitation(crate::invitation_token_sha256(&late_token).expect("hash"))
            .await
            .expect("find")
            .status,
        InvitationStatus::Expired
    );
    // An admin revokes a pending one.
    let third = invite(7);
    s.workspaces
        .insert_invitation(&w.owner, &third, [9u8; 32])
        .await
        .expect("insert");
    s.workspaces
        .set_invitation_status(&w.admin, third.id, InvitationStatus::Revoked)
        .await
        .expect("revoke");
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
    // Never in another's name: a key acts with its creator's rights.
    assert!(matches!(
        s.workspaces.insert_api_key(&w.admin, &key).await,
        Err(Error::Forbidden { .. })
    ));
    // Any member creates keys in their own name (a key acts with its
    // creator's rights, so it grants nothing more); a non-member none.
    let own = ApiKeyRecord {
        id: ApiKeyId::new(),
        secret_sha256: [45u8; 32],
        created_by: w.rep_a.user_id,
        ..key.clone()
    };
    s.workspaces
        .insert_api_key(&w.rep_a, &own)
        .await
        .expect("a member's own key");
    let stranger = Scope::new(w.workspace.id, UserId::new(), Role::Owner);
    let forged = ApiKeyRecord {
        id: ApiKeyId::new(),
        secret_sha256: [46u8; 32],
        created_by: stranger.user_id,
        ..key.clone()
    };
    assert!(matches!(
        s.workspaces.insert_api_key(&stranger, &forged).await,
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
    assert!(matches!(
        s.workspaces
            .touch_api_key([43u8; 32], base_time() + Duration::hours(1))
            .await,
        Err(Error::NotFound { .. })
    ));
    s.workspaces
        .touch_api_key([42u8; 32], base_time() + Duration::hours(1))
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
    // A revoked key's use is not recorded.
    assert!(matches!(
        s.workspaces
            .touch_api_key([42u8; 32], base_time() + Duration::hours(4))
            .await,
        Err(Error::NotFound { .. })
    ));
    let listed = s.workspaces.list_api_keys(&w.owner).await.expect("list");
    assert_eq!(listed.len(), 2);
    let listed_key = listed.iter().find(|k| k.id == key.id).expect("listed");
    assert_eq!(
        listed_key.last_used_at,
        Some(base_time() + Duration::hours(1))
    );
    assert_eq!(
        listed_key.revoked_at,
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

/// The audit log is append-only, ordered, per workspace, admin-only to
/// read, written as a scope (its own workspace, in its own user's name,
/// never in nobody's), and refuses personal data.
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
    let by_admin = |ws: WorkspaceId, action: &str| crate::audit::AuditRecord {
        actor: Some(w.admin.user_id),
        ..rec(ws, action)
    };
    let a = s
        .workspaces
        .append_audit(&w.admin, &by_admin(w.workspace.id, "retention.sweep"))
        .await
        .expect("append");
    let by_rep = crate::audit::AuditRecord {
        actor: Some(w.rep_a.user_id),
        ..rec(w.workspace.id, "dsr.erase")
    };
    let b = s
        .workspaces
        .append_audit(&w.rep_a, &by_rep)
        .await
        .expect("append in one's own name");
    let by_other = crate::audit::AuditRecord {
        actor: Some(other.owner.user_id),
        ..rec(other.workspace.id, "retention.sweep")
    };
    s.workspaces
        .append_audit(&other.owner, &by_other)
        .await
        .expect("other");
    assert!(b > a);
    // Refused, and nothing written: another workspace's log, another
    // person's name, nobody's name (whatever the role).
    let forged = [
        (
            &other.owner,
            crate::audit::AuditRecord {
                actor: Some(other.owner.user_id),
                ..rec(w.workspace.id, "forged.other.workspace")
            },
        ),
        (&w.owner, rec(w.workspace.id, "forged.system")),
        (&w.admin, rec(w.workspace.id, "forged.system")),
        (
            &w.rep_b,
            crate::audit::AuditRecord {
                actor: Some(w.rep_a.user_id),
                ..rec(w.workspace.id, "forged.other.person")
            },
        ),
        (&w.manager, rec(w.workspace.id, "forged.system")),
        (&w.rep_a, rec(w.workspace.id, "forged.system")),
    ];
    for (scope, record) in &forged {
        assert!(
            matches!(
                s.workspaces.append_audit(scope, record).await,
                Err(Error::Forbidden { .. })
            ),
            "{}",
            record.action
        );
    }
    let log = s
        .workspaces
        .list_audit(&w.admin, 0, 100)
        .await
        .expect("list");
    assert_eq!(
        log.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(),
        vec!["retention.sweep", "dsr.erase"]
    );
    assert_eq!(log[1].actor, Some(w.rep_a.user_id));
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
        s.workspaces.append_audit(&w.owner, &pii).await,
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
                audit_log,
                invitations_to_an_address_are_deleted,
                delete_workspace,
                expire_audit,
                access_log,
                expire_access,
                own_account
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
                audit_log,
                invitations_to_an_address_are_deleted,
                delete_workspace,
                expire_audit,
                access_log,
                expire_access,
                own_account
            ]
        );
    };
}

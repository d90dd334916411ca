//! A fresh, random workspace with one person per role, for store suites.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::call::{Call, CallDirection, CallSource, ClientContact};
use crate::contact::{EmailAddress, PhoneNumber};
use crate::id::{TeamId, UserId, WorkspaceId};
use crate::member::{Member, Role, Team};
use crate::ports::{CallStore, PrivacyStore, WorkspaceStore};
use crate::scope::Scope;
use crate::workspace::Workspace;

/// The stores a backend provides, as the store suites take them.
#[derive(Debug, Clone)]
pub struct Stores {
    /// Calls, transcripts, scorecards.
    pub calls: Arc<dyn CallStore>,
    /// Workspaces, teams, members, keys.
    pub workspaces: Arc<dyn WorkspaceStore>,
    /// Data-subject requests, subject flags, consent.
    pub privacy: Arc<dyn PrivacyStore>,
}

impl Stores {
    /// All three ports from one backend that implements them.
    pub fn of<S: CallStore + WorkspaceStore + PrivacyStore + 'static>(store: Arc<S>) -> Self {
        Self {
            calls: store.clone(),
            workspaces: store.clone(),
            privacy: store,
        }
    }
}

/// A workspace with an owner, an admin, a manager of team A, a rep in
/// team A and a rep in team B.
#[derive(Debug, Clone)]
pub struct World {
    /// The workspace.
    pub workspace: Workspace,
    /// Team A.
    pub team_a: TeamId,
    /// Team B.
    pub team_b: TeamId,
    /// Owner.
    pub owner: Scope,
    /// Admin.
    pub admin: Scope,
    /// Manager of team A.
    pub manager: Scope,
    /// Rep in team A.
    pub rep_a: Scope,
    /// Rep in team B.
    pub rep_b: Scope,
}

/// A fixed base time for suites.
pub fn base_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

impl World {
    /// Creates it in `stores` (panics on failure: this is test support).
    pub async fn create(stores: &Stores) -> World {
        let t = base_time();
        let workspace =
            Workspace::new(format!("Suite {}", WorkspaceId::new()), t).expect("workspace");
        let member = |role: Role, teams: Vec<TeamId>| Member {
            workspace_id: workspace.id,
            user_id: UserId::new(),
            role,
            team_ids: teams.into_iter().collect(),
            display_name: Some(format!("{role} person").into()),
            email: EmailAddress::parse(&format!(
                "{}@{}.example",
                role,
                workspace.id.as_uuid().simple()
            ))
            .ok(),
            joined_at: t,
            time_zone: crate::TimeZoneName::parse("Europe/Warsaw").ok(),
            preferences: crate::Preferences::default(),
        };
        let owner_m = member(Role::Owner, vec![]);
        stores
            .workspaces
            .create_workspace(&workspace, &owner_m)
            .await
            .expect("create_workspace");
        let owner = Scope::of_member(&owner_m);
        let team_a = Team::new(workspace.id, "Team A", t).expect("team");
        let team_b = Team::new(workspace.id, "Team B", t).expect("team");
        stores
            .workspaces
            .create_team(&owner, &team_a)
            .await
            .expect("team a");
        stores
            .workspaces
            .create_team(&owner, &team_b)
            .await
            .expect("team b");
        let admin_m = member(Role::Admin, vec![]);
        let manager_m = member(Role::Manager, vec![team_a.id]);
        let rep_a_m = member(Role::Member, vec![team_a.id]);
        let rep_b_m = member(Role::Member, vec![team_b.id]);
        for m in [&admin_m, &manager_m, &rep_a_m, &rep_b_m] {
            stores
                .workspaces
                .put_member(&owner, m)
                .await
                .expect("put_member");
        }
        World {
            workspace,
            team_a: team_a.id,
            team_b: team_b.id,
            owner,
            admin: Scope::of_member(&admin_m),
            manager: Scope::of_member(&manager_m),
            rep_a: Scope::of_member(&rep_a_m),
            rep_b: Scope::of_member(&rep_b_m),
        }
    }

    /// A new call by `rep` (a scope of this world) in `team`, started
    /// `minutes` after the base time, with a client contact.
    pub fn call(&self, rep: &Scope, team: Option<TeamId>, minutes: i64) -> Call {
        let t = base_time() + Duration::minutes(minutes);
        let mut c = Call::new(
            self.workspace.id,
            rep.user_id,
            t,
            CallDirection::Outbound,
            CallSource::Upload,
            t,
        );
        c.team_id = team;
        c.duration_ms = Some(120_000);
        c.client = ClientContact {
            name: Some(format!("Client Ünïcødé {minutes} 名前").into()),
            email: EmailAddress::parse(&format!(
                "client{minutes}@{}.example",
                self.workspace.id.as_uuid().simple()
            ))
            .ok(),
            phone: PhoneNumber::parse(&format!("+44 20 7946 {:04}", minutes.rem_euclid(10_000)))
                .ok(),
        };
        c
    }
}

//! [`Scope`]: who is acting, in which workspace. Every store call takes one.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::access::Relation;
use crate::id::{TeamId, UserId, WorkspaceId};
use crate::member::{Member, Role};

/// The acting user, their role and teams, in one workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// The workspace acted in.
    pub workspace_id: WorkspaceId,
    /// The acting user.
    pub user_id: UserId,
    /// Their role in the workspace.
    pub role: Role,
    /// Their teams (for a manager: the teams they manage).
    #[serde(default)]
    pub team_ids: BTreeSet<TeamId>,
}

impl Scope {
    /// A scope.
    pub fn new(workspace_id: WorkspaceId, user_id: UserId, role: Role) -> Self {
        Self {
            workspace_id,
            user_id,
            role,
            team_ids: BTreeSet::new(),
        }
    }

    /// The scope of a workspace member.
    pub fn of_member(m: &Member) -> Self {
        Self {
            workspace_id: m.workspace_id,
            user_id: m.user_id,
            role: m.role,
            team_ids: m.team_ids.clone(),
        }
    }

    /// With teams.
    #[must_use]
    pub fn with_teams(mut self, teams: impl IntoIterator<Item = TeamId>) -> Self {
        self.team_ids = teams.into_iter().collect();
        self
    }

    /// How a call (by workspace, rep and team) relates to this scope.
    pub fn relation_to_call(
        &self,
        workspace_id: WorkspaceId,
        rep_id: UserId,
        team_id: Option<TeamId>,
    ) -> Relation {
        if workspace_id != self.workspace_id {
            Relation::OtherWorkspace
        } else if rep_id == self.user_id {
            Relation::Own
        } else if team_id.is_some_and(|t| self.team_ids.contains(&t)) {
            Relation::Team
        } else {
            Relation::OtherInWorkspace
        }
    }

    /// How a workspace-level resource relates to this scope.
    pub fn relation_to_workspace(&self, workspace_id: WorkspaceId) -> Relation {
        if workspace_id == self.workspace_id {
            Relation::OtherInWorkspace
        } else {
            Relation::OtherWorkspace
        }
    }
}

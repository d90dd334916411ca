//! The access policy: which role may do what to which resource.
//!
//! | role | own calls | team calls | other calls in the workspace | workspace administration | another workspace |
//! |---|---|---|---|---|---|
//! | owner, admin | all | all | all | all | nothing |
//! | manager | all but review | all | nothing | nothing | nothing |
//! | member | all but review | nothing | nothing | nothing | nothing |
//!
//! "All" for calls means list, view, upload, delete, view scorecard, export
//! and review; nobody reviews a scorecard of their own call (four eyes).
//! Workspace administration (members, invitations, integrations, API keys,
//! retention, data-subject requests) is owners' and admins' alone.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::member::Role;
use crate::scope::Scope;

/// Something a user may try to do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// See a call in lists.
    ListCalls,
    /// Open a call (metadata, transcript, audio).
    ViewCall,
    /// Upload a call (for the rep it belongs to).
    UploadCall,
    /// Delete a call.
    DeleteCall,
    /// See a call's scorecard.
    ViewScorecard,
    /// Accept, override or reject a scorecard.
    ReviewScorecard,
    /// Export a call and its analysis.
    Export,
    /// Change members and roles.
    ManageMembers,
    /// Invite people.
    Invite,
    /// Connect or disconnect integrations.
    ManageIntegrations,
    /// Create or revoke API keys.
    ManageApiKeys,
    /// Change retention settings.
    ChangeRetention,
    /// Run data-subject requests.
    RunDataSubjectRequests,
    /// Delete the workspace and everything in it (owners only).
    DeleteWorkspace,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 14] = [
        Self::ListCalls,
        Self::ViewCall,
        Self::UploadCall,
        Self::DeleteCall,
        Self::ViewScorecard,
        Self::ReviewScorecard,
        Self::Export,
        Self::ManageMembers,
        Self::Invite,
        Self::ManageIntegrations,
        Self::ManageApiKeys,
        Self::ChangeRetention,
        Self::RunDataSubjectRequests,
        Self::DeleteWorkspace,
    ];

    /// Whether the action targets a call (rather than the workspace).
    pub fn is_call_action(self) -> bool {
        matches!(
            self,
            Self::ListCalls
                | Self::ViewCall
                | Self::UploadCall
                | Self::DeleteCall
                | Self::ViewScorecard
                | Self::ReviewScorecard
                | Self::Export
        )
    }

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ListCalls => "list_calls",
            Self::ViewCall => "view_call",
            Self::UploadCall => "upload_call",
            Self::DeleteCall => "delete_call",
            Self::ViewScorecard => "view_scorecard",
            Self::ReviewScorecard => "review_scorecard",
            Self::Export => "export",
            Self::ManageMembers => "manage_members",
            Self::Invite => "invite",
            Self::ManageIntegrations => "manage_integrations",
            Self::ManageApiKeys => "manage_api_keys",
            Self::ChangeRetention => "change_retention",
            Self::RunDataSubjectRequests => "run_data_subject_requests",
            Self::DeleteWorkspace => "delete_workspace",
        }
    }
}

/// How the resource relates to the actor.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The actor's own call.
    Own,
    /// A call of one of the actor's teams.
    Team,
    /// Any other call in the actor's workspace, or the workspace itself.
    OtherInWorkspace,
    /// Anything in another workspace.
    OtherWorkspace,
}

impl Relation {
    /// Every relation.
    pub const ALL: [Relation; 4] = [
        Self::Own,
        Self::Team,
        Self::OtherInWorkspace,
        Self::OtherWorkspace,
    ];
}

/// Whether `role` may perform `action` on a resource with `relation`.
/// This is the whole policy; every backend applies it.
pub fn permits(role: Role, action: Action, relation: Relation) -> bool {
    use Relation::*;
    if relation == OtherWorkspace {
        return false;
    }
    if action == Action::DeleteWorkspace {
        return role == Role::Owner;
    }
    if !action.is_call_action() {
        return matches!(role, Role::Owner | Role::Admin);
    }
    if action == Action::ReviewScorecard && relation == Own {
        return false;
    }
    match role {
        Role::Owner | Role::Admin => true,
        Role::Manager => matches!(relation, Own | Team),
        Role::Member => relation == Own,
    }
}

/// Checks `action` for `scope` on a resource with `relation`; the error is
/// [`Error::Forbidden`] naming the action.
pub fn check(scope: &Scope, action: Action, relation: Relation) -> Result<()> {
    if permits(scope.role, action, relation) {
        Ok(())
    } else {
        Err(Error::Forbidden {
            action: action.as_str().into(),
            reason: format!("role {} may not do this to {relation:?}", scope.role).into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{TeamId, UserId, WorkspaceId};

    /// The expected decision for every (action, role, relation) cell, written
    /// out by hand, row per action; columns per role are
    /// `[own, team, other-in-workspace, other-workspace]`.
    #[test]
    fn every_cell_of_the_matrix() {
        const Y: bool = true;
        const N: bool = false;
        // (action, owner, admin, manager, member)
        type Row = [bool; 4];
        let table: [(Action, Row, Row, Row, Row); 14] = [
            (
                Action::ListCalls,
                [Y, Y, Y, N],
                [Y, Y, Y, N],
                [Y, Y, N, N],
                [Y, N, N, N],
            ),
            (
                Action::ViewCall,
                [Y, Y, Y, N],
                [Y, Y, Y, N],
                [Y, Y, N, N],
                [Y, N, N, N],
            ),
            (
                Action::UploadCall,
                [Y, Y, Y, N],
                [Y, Y, Y, N],
                [Y, Y, N, N],
                [Y, N, N, N],
            ),
            (
                Action::DeleteCall,
                [Y, Y, Y, N],
                [Y, Y, Y, N],
                [Y, Y, N, N],
                [Y, N, N, N],
            ),
            (
                Action::ViewScorecard,
                [Y, Y, Y, N],
                [Y, Y, Y, N],
                [Y, Y, N, N],
                [Y, N, N, N],
            ),
            (
                Action::ReviewScorecard,
                [N, Y, Y, N],
                [N, Y, Y, N],
                [N, Y, N, N],
                [N, N, N, N],
            ),
            (
                Action::Export,
                [Y, Y, Y, N],
                [Y, Y, Y, N],
                [Y, Y, N, N],
                [Y, N, N, N],
            ),
            (
                Action::ManageMembers,
                [Y, Y, Y, N],
                [Y, Y, Y, N],
                [N, N, N, N],
                [N, N, N, N],
            ),
            (
                Action::Invite,
                [Y, Y, Y, N],
                [Y, Y, Y, N],
                [N, N, N, N],
                [N, N, N, N],
            ),
            (
                Action::ManageIntegrations,
                [Y, Y, Y, N],
                [Y, Y, Y, N],
                [N, N, N, N],
                [N, N, N, N],
            ),
            (
                Action::ManageApiKeys,
                [Y, Y, Y, N],
                [Y, Y, Y, N],
                [N, N, N, N],
                [N, N, N, N],
            ),
            (
                Action::ChangeRetention,
                [Y, Y, Y, N],
                [Y, Y, Y, N],
                [N, N, N, N],
                [N, N, N, N],
            ),
            (
                Action::RunDataSubjectRequests,
                [Y, Y, Y, N],
                [Y, Y, Y, N],
                [N, N, N, N],
                [N, N, N, N],
            ),
            (
                Action::DeleteWorkspace,
                [Y, Y, Y, N],
                [N, N, N, N],
                [N, N, N, N],
                [N, N, N, N],
            ),
        ];
        let mut cells = 0;
        for (action, owner, admin, manager, member) in table {
            for (role, row) in [
                (Role::Owner, owner),
                (Role::Admin, admin),
                (Role::Manager, manager),
                (Role::Member, member),
            ] {
                for (relation, expected) in Relation::ALL.into_iter().zip(row) {
                    assert_eq!(
                        permits(role, action, relation),
                        expected,
                        "{action:?} by {role:?} on {relation:?}"
                    );
                    cells += 1;
                }
            }
        }
        assert_eq!(
            cells,
            Action::ALL.len() * Role::ALL.len() * Relation::ALL.len()
        );
    }

    #[test]
    fn relations_from_scope() {
        let ws = WorkspaceId::new();
        let me = UserId::new();
        let team = TeamId::new();
        let s = Scope::new(ws, me, Role::Manager).with_teams([team]);
        assert_eq!(s.relation_to_call(ws, me, Some(team)), Relation::Own);
        assert_eq!(
            s.relation_to_call(ws, UserId::new(), Some(team)),
            Relation::Team
        );
        assert_eq!(
            s.relation_to_call(ws, UserId::new(), Some(TeamId::new())),
            Relation::OtherInWorkspace
        );
        assert_eq!(
            s.relation_to_call(ws, UserId::new(), None),
            Relation::OtherInWorkspace
        );
        assert_eq!(
            s.relation_to_call(WorkspaceId::new(), me, Some(team)),
            Relation::OtherWorkspace
        );
        let err = check(&s, Action::ManageApiKeys, s.relation_to_workspace(ws)).unwrap_err();
        assert!(matches!(err, Error::Forbidden { .. }));
        assert!(err.to_string().contains("manage_api_keys"));
    }
}

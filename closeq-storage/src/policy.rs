//! The access policy applied by stores that enforce it in code.

use closeq_core::{Action, Call, Error, Relation, Result, Scope, access};

/// How a call relates to the scope.
fn relation(scope: &Scope, call: &Call) -> Relation {
    scope.relation_to_call(call.workspace_id, call.rep_id, call.team_id)
}

/// Whether the scope can see the call at all.
pub(crate) fn visible(scope: &Scope, call: &Call) -> bool {
    access::permits(scope.role, Action::ViewCall, relation(scope, call))
}

/// Checks `action` on a stored call: invisible → `NotFound` (existence
/// never leaks), visible but not allowed → `Forbidden`.
pub(crate) fn check_call(scope: &Scope, call: &Call, action: Action) -> Result<()> {
    if !visible(scope, call) {
        return Err(Error::not_found("call", call.id));
    }
    access::check(scope, action, relation(scope, call))
}

/// Checks a workspace-level action.
pub(crate) fn check_workspace(scope: &Scope, action: Action) -> Result<()> {
    access::check(
        scope,
        action,
        scope.relation_to_workspace(scope.workspace_id),
    )
}

/// Checks that a new call may be created in this scope.
pub(crate) fn check_new_call(scope: &Scope, call: &Call) -> Result<()> {
    call.validate()?;
    access::check(scope, Action::UploadCall, relation(scope, call))
}

/// `set_invitation_status` revokes and expires; accepting takes the token
/// (`accept_invitation`).
pub(crate) fn refuse_accept_without_token(status: closeq_core::InvitationStatus) -> Result<()> {
    if status == closeq_core::InvitationStatus::Accepted {
        return Err(Error::Forbidden {
            action: "accept_invitation".into(),
            reason: "an invitation is accepted with its token (accept_invitation)".into(),
        });
    }
    Ok(())
}

/// Checks a tombstone rep id for [`CallStore::reassign_rep`]: not the rep
/// it replaces, and nobody (`is_member`: whether it names a member of the
/// workspace).
///
/// [`CallStore::reassign_rep`]: closeq_core::ports::CallStore::reassign_rep
pub(crate) fn check_tombstone(
    from: closeq_core::UserId,
    to: closeq_core::UserId,
    is_member: bool,
) -> Result<()> {
    if from == to || is_member {
        return Err(closeq_core::Error::invalid(
            "to",
            "a tombstone rep id must be new: neither the erased rep nor a member",
        ));
    }
    Ok(())
}

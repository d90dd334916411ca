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

/// Checks a change of the member `before` (the stored record, if any) into
/// `after` (`None`: removed) against the rest of the workspace's members
/// (`others`, everyone but this user), read under the same lock as the
/// write: the acting user is a member whose *stored* role may manage
/// members (a scope built before a demotion or removal carries a stale
/// role), the owners are changed only by an owner, and a workspace always
/// keeps at least one owner.
///
/// Errors: `Forbidden` (action `manage_members`).
pub(crate) fn check_member_change(
    scope: &Scope,
    before: Option<&closeq_core::Member>,
    after: Option<&closeq_core::Member>,
    others: &[closeq_core::Member],
) -> Result<()> {
    use closeq_core::Role;
    let refuse = |reason: &'static str| Error::Forbidden {
        action: "manage_members".into(),
        reason: reason.into(),
    };
    let actor = before
        .filter(|m| m.user_id == scope.user_id)
        .or_else(|| others.iter().find(|m| m.user_id == scope.user_id));
    let Some(actor) = actor else {
        return Err(refuse("the acting user is not a member of the workspace"));
    };
    if !access::permits(
        actor.role,
        Action::ManageMembers,
        Relation::OtherInWorkspace,
    ) {
        return Err(refuse("the acting member's role does not manage members"));
    }
    let was_owner = before.is_some_and(|m| m.role == Role::Owner);
    let is_owner = after.is_some_and(|m| m.role == Role::Owner);
    if (was_owner || is_owner) && was_owner != is_owner && actor.role != Role::Owner {
        return Err(refuse("only an owner can make, demote or remove an owner"));
    }
    if was_owner && !is_owner && !others.iter().any(|m| m.role == Role::Owner) {
        return Err(refuse(
            "the workspace's only owner cannot be removed or demoted; make another member owner first",
        ));
    }
    Ok(())
}

/// A key acts with its creator's rights: it is created by the acting user,
/// never in someone else's name, who must still be a member (`creator`,
/// read under the membership lock; a removed member's old scope creates
/// nothing). Any member may create keys in their own name — such a key
/// grants nothing its creator lacks; listing and revoking the workspace's
/// keys stays with owners and admins.
///
/// Errors: `Forbidden` (action `manage_api_keys`).
pub(crate) fn check_key_creator(
    scope: &Scope,
    key: &closeq_core::ports::ApiKeyRecord,
    creator: Option<&closeq_core::Member>,
) -> Result<()> {
    let refuse = |reason: &'static str| Error::Forbidden {
        action: "manage_api_keys".into(),
        reason: reason.into(),
    };
    if key.created_by != scope.user_id {
        return Err(refuse(
            "a key is created by the acting user (created_by), never in another's name",
        ));
    }
    match creator {
        Some(_) => Ok(()),
        None => Err(refuse("the acting user is not a member of the workspace")),
    }
}

/// Settings may change the subscription's state (its end schedules the
/// termination purge) only by an owner: an admin who backdated the end
/// would delete the workspace, audit log included.
pub(crate) fn check_settings_change(
    scope: &Scope,
    old: &closeq_core::WorkspaceSettings,
    new: &closeq_core::WorkspaceSettings,
) -> Result<()> {
    if old.subscription != new.subscription {
        check_workspace(scope, Action::DeleteWorkspace)?;
    }
    Ok(())
}

/// Whether `next` may replace the stored consent `stored`: a withdrawn
/// consent is replaced only by an owner or admin (who records a renewed
/// consent), and only with one given after the withdrawal; nobody else
/// can undo a withdrawal with a record of their own.
pub(crate) fn check_consent_replacement(
    scope: &Scope,
    stored: &closeq_core::ConsentRecord,
    next: &closeq_core::ConsentRecord,
) -> Result<()> {
    if stored.is_withdrawn() && !next.is_withdrawn() {
        let admin = access::permits(
            scope.role,
            Action::RunDataSubjectRequests,
            scope.relation_to_workspace(scope.workspace_id),
        );
        if !admin {
            return Err(Error::Compliance {
                rule: "GDPR Art. 7(3)".into(),
                reason: "consent for this call was withdrawn; only an owner or admin records a renewed consent".into(),
            });
        }
    }
    stored.may_be_replaced_by(next)
}

/// The refusal of a purge while a restriction for legal claims stands.
pub(crate) fn held_for_legal_claims() -> Error {
    Error::Compliance {
        rule: "GDPR Art. 18(1)(c)".into(),
        reason: "a subject of this workspace is restricted for legal claims; lift the restriction before the workspace can be deleted".into(),
    }
}

/// How far the times of a member's own request and audit record may be
/// from the store's clock.
const OWN_ACCOUNT_SKEW: chrono::Duration = chrono::Duration::minutes(5);

/// Checks a member's correction of their own account
/// ([`WorkspaceStore::rectify_own_account`](closeq_core::ports::WorkspaceStore::rectify_own_account)):
/// their own record, only the time zone and preferences changed (name and
/// e-mail address identify them elsewhere — erasure redacts them in every
/// call, invitations are matched by address — so an admin verifies and
/// applies those); a completed rectification about them when the record
/// changes, a received one (filed for an admin) when it does not; the
/// request new, dated now, due within a month; the audit record in their
/// name, of this correction, now.
pub(crate) fn check_own_account(
    scope: &Scope,
    stored: &closeq_core::Member,
    member: &closeq_core::Member,
    request: &closeq_core::SubjectRequest,
    audit: &closeq_core::AuditRecord,
) -> Result<()> {
    use closeq_core::RequestState;
    if member.user_id != scope.user_id || member.workspace_id != scope.workspace_id {
        return Err(Error::Forbidden {
            action: "rectify_own_account".into(),
            reason: "a member corrects only their own account".into(),
        });
    }
    member.validate()?;
    let mut expected = stored.clone();
    expected.time_zone.clone_from(&member.time_zone);
    expected.preferences.clone_from(&member.preferences);
    if expected != *member {
        return Err(Error::invalid(
            "member",
            "only the time zone and preferences may change (an owner or admin applies a corrected name or e-mail address)",
        ));
    }
    let now = chrono::Utc::now();
    let recent = |t: chrono::DateTime<chrono::Utc>| (t - now).abs() <= OWN_ACCOUNT_SKEW;
    let state_fits = match &request.state {
        RequestState::Completed { at } => member != stored && recent(*at),
        RequestState::Received => member == stored,
        _ => false,
    };
    if request.workspace_id != scope.workspace_id
        || request.kind != closeq_core::RequestKind::Rectification
        || request.subject != Some(closeq_core::Subject::User(scope.user_id))
        || request.subject_kind != closeq_core::SubjectKind::User
        || !(1..=31).contains(&request.answer_days)
        || !request.extensions.is_empty()
        || !recent(request.received_at)
        || !state_fits
    {
        return Err(Error::invalid(
            "request",
            "must be a new rectification request about the acting member, received now: completed when the record changes, open when it does not",
        ));
    }
    audit.validate()?;
    audit.check_author(scope)?;
    if audit.action != "dsr.rectify_own_account"
        || audit.target.as_deref() != Some(request.id.to_string().as_str())
        || !recent(audit.at)
    {
        return Err(Error::invalid(
            "audit",
            "must record this correction (action dsr.rectify_own_account, the request as its target), now",
        ));
    }
    Ok(())
}

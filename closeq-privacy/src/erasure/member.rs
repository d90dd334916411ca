//! Erasure of a member of the workspace (a `Subject::User`): the person,
//! not their calls' clients.
//!
//! - Their name and e-mail address are replaced with `[ERASED]` wherever
//!   they are mentioned: in every call of theirs (where single name parts
//!   count too: the calls are linked to them) and in any other call that
//!   names them in full or gives their address (the same matching as for a
//!   client: transcripts, speaker names and labels, rep comments, the
//!   scorecards' free text and review reasons).
//! - Their calls move to one fresh tombstone rep id per erasure
//!   ([`CallStore::reassign_rep`](closeq_core::ports::CallStore::reassign_rep)), so team and rep figures stay consistent
//!   without naming anyone; everything else on those calls — the clients'
//!   contact details and words, the recording — stays as it was.
//! - Invitations to their address are deleted, then their member record,
//!   then the API keys they created (a key acts with its creator's rights
//!   and its record names them).
//! - The audit log keeps the records of what they did under their user id
//!   (an opaque id that names nobody once the member record is gone): the
//!   log is the controller's accountability record (GDPR Art. 5(2),
//!   Art. 17(3)(b) and (e)), append-only, and holds no names or addresses.
//!
//! The workspace's only owner cannot be erased (`Forbidden`): someone must
//! own the workspace; make another member owner first. An owner is erased
//! only by an owner. Every member is demoted first, atomically (see
//! [`WorkspaceStore::remove_member`](closeq_core::ports::WorkspaceStore::remove_member)),
//! so two owners erasing each other at once cannot both succeed.

use closeq_core::{Error, Result, Role, Scope, Subject, UserId};

use super::mentions::{Identifiers, Mentions};
use super::{Eraser, ErasureReport};

impl Eraser {
    /// Erases the member `user` (see the module docs). Idempotent: a
    /// second run finds no member and no calls and reports zero.
    pub(super) async fn erase_member(&self, scope: &Scope, user: UserId) -> Result<ErasureReport> {
        // The right to run erasures first: nothing is read or refused on
        // behalf of a scope that may not.
        let ids = self
            .calls
            .find_calls_by_subject(scope, &Subject::User(user))
            .await?;
        let member = match self.workspaces.get_member(scope, user).await {
            Ok(m) => Some(m),
            Err(Error::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        // First, in one atomic step of the store on the member's *stored*
        // record: they lose every right (demoted to `Member`). The store
        // refuses to leave the workspace without an owner and lets only an
        // owner demote one, so two owners erasing each other cannot both
        // pass, a member promoted meanwhile is judged as they are now, and
        // a refused erasure has changed nothing. An erasure that fails
        // later leaves the member without rights; a retry completes it.
        if let Some(m) = &member {
            let mut demoted = m.clone();
            demoted.role = Role::Member;
            self.workspaces
                .put_member(scope, &demoted)
                .await
                .map_err(|e| match e {
                    Error::Forbidden { .. } => Error::Forbidden {
                        action: "erase member".into(),
                        reason: "the workspace's only owner cannot be erased, and only an owner erases an owner; make another member owner first".into(),
                    },
                    e => e,
                })?;
        }
        let mut report = ErasureReport::default();
        // Mentions first, while the member's calls are still theirs and
        // their record still names them: a failure leaves everything for
        // a retry.
        if let Some(m) = &member {
            let identifiers = Identifiers::of_member(m);
            if !identifiers.is_empty() {
                let mentions = Mentions::new(identifiers);
                report.mentions_redacted_in =
                    self.redact_mentions(scope, &[], &ids, &mentions).await?;
            }
            if let Some(email) = &m.email {
                self.workspaces.delete_invitations_to(scope, email).await?;
            }
        }
        if !ids.is_empty() {
            report.calls = self.calls.reassign_rep(scope, user, UserId::new()).await?;
        }
        if member.is_some() {
            self.workspaces.remove_member(scope, user).await?;
        }
        // Keys act with their creator's rights (a removed creator's keys
        // authenticate nobody); their records name the creator, so they go
        // — after the removal, when no new key can be made in that name.
        report.api_keys_deleted = self.workspaces.delete_api_keys_of(scope, user).await?;
        Ok(report)
    }
}

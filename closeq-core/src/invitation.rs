//! Invitations to join a workspace, with their legal status transitions.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::contact::EmailAddress;
use crate::error::{Error, Result};
use crate::id::{InvitationId, TeamId, UserId, WorkspaceId};
use crate::member::Role;

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    /// Sent, not yet answered.
    Pending,
    /// Accepted before it expired. Terminal.
    Accepted,
    /// Withdrawn by the workspace. Terminal.
    Revoked,
    /// Not accepted in time. Terminal.
    Expired,
}

impl InvitationStatus {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }

    /// Whether `self → next` is allowed: only a pending invitation moves,
    /// and only to one of the three terminal states.
    pub fn can_become(self, next: InvitationStatus) -> bool {
        self == Self::Pending && next != Self::Pending
    }
}

/// The longest invitation token accepted, in bytes.
pub const MAX_INVITATION_TOKEN_BYTES: usize = 256;

/// The SHA-256 of an invitation token, as stores keep it
/// ([`WorkspaceStore::insert_invitation`]) and compare it
/// ([`WorkspaceStore::accept_invitation`]).
///
/// Errors: [`Error::InvalidInput`] (`token`) for an empty token or one over
/// [`MAX_INVITATION_TOKEN_BYTES`]; the message never repeats the token.
///
/// [`WorkspaceStore::insert_invitation`]: crate::ports::WorkspaceStore::insert_invitation
/// [`WorkspaceStore::accept_invitation`]: crate::ports::WorkspaceStore::accept_invitation
pub fn invitation_token_sha256(token: &str) -> Result<[u8; 32]> {
    if token.is_empty() || token.len() > MAX_INVITATION_TOKEN_BYTES {
        return Err(Error::invalid(
            "token",
            "must be 1 to 256 bytes (the invitation link's token)",
        ));
    }
    Ok(Sha256::digest(token.as_bytes()).into())
}

/// An invitation to join a workspace. The invitation token itself is never
/// part of this type: stores keep only its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Invitation {
    /// Its id.
    pub id: InvitationId,
    /// The workspace the invitee will join.
    pub workspace_id: WorkspaceId,
    /// Who is invited (personal data).
    pub email: EmailAddress,
    /// The role they will get. Never `owner`: ownership is transferred, not invited.
    pub role: Role,
    /// Teams they will join.
    #[serde(default)]
    pub team_ids: BTreeSet<TeamId>,
    /// Who sent it.
    pub invited_by: UserId,
    /// Current status.
    pub status: InvitationStatus,
    /// When it was sent.
    pub created_at: DateTime<Utc>,
    /// When it stops being acceptable.
    pub expires_at: DateTime<Utc>,
}

impl Invitation {
    /// A new pending invitation.
    pub fn new(
        workspace_id: WorkspaceId,
        email: EmailAddress,
        role: Role,
        invited_by: UserId,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Self> {
        let inv = Self {
            id: InvitationId::new(),
            workspace_id,
            email,
            role,
            team_ids: BTreeSet::new(),
            invited_by,
            status: InvitationStatus::Pending,
            created_at,
            expires_at,
        };
        inv.validate()?;
        Ok(inv)
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        if self.role == Role::Owner {
            return Err(Error::invalid("role", "cannot invite an owner"));
        }
        if self.expires_at <= self.created_at {
            return Err(Error::invalid("expires_at", "must be after created_at"));
        }
        Ok(())
    }

    fn go(&mut self, next: InvitationStatus) -> Result<()> {
        if !self.status.can_become(next) {
            return Err(Error::InvalidTransition {
                resource: "invitation",
                from: self.status.as_str().into(),
                to: next.as_str().into(),
            });
        }
        self.status = next;
        Ok(())
    }

    /// Accepts the invitation at `now`. An invitation past its expiry cannot
    /// be accepted: it becomes `Expired` and an error is returned.
    pub fn accept(&mut self, now: DateTime<Utc>) -> Result<()> {
        if self.status == InvitationStatus::Pending && now >= self.expires_at {
            self.status = InvitationStatus::Expired;
            return Err(Error::InvalidTransition {
                resource: "invitation",
                from: "expired".into(),
                to: "accepted".into(),
            });
        }
        self.go(InvitationStatus::Accepted)
    }

    /// Revokes a pending invitation.
    pub fn revoke(&mut self) -> Result<()> {
        self.go(InvitationStatus::Revoked)
    }

    /// Marks a pending invitation expired; refused before `expires_at`.
    pub fn expire(&mut self, now: DateTime<Utc>) -> Result<()> {
        if now < self.expires_at {
            return Err(Error::invalid("expires_at", "has not passed yet"));
        }
        self.go(InvitationStatus::Expired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use InvitationStatus::*;
    use chrono::{Duration, TimeZone};

    fn inv() -> Invitation {
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        Invitation::new(
            WorkspaceId::new(),
            EmailAddress::parse("new.rep@example.com").unwrap(),
            Role::Member,
            UserId::new(),
            t,
            t + Duration::days(7),
        )
        .unwrap()
    }

    #[test]
    fn transition_table() {
        let all = [Pending, Accepted, Revoked, Expired];
        for from in all {
            for to in all {
                let expected = from == Pending && to != Pending;
                assert_eq!(from.can_become(to), expected, "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn accept_revoke_expire() {
        let mut i = inv();
        i.accept(i.created_at + Duration::days(1)).unwrap();
        assert_eq!(i.status, Accepted);
        assert!(matches!(i.revoke(), Err(Error::InvalidTransition { .. })));

        let mut i = inv();
        let late = i.expires_at;
        assert!(i.accept(late).is_err());
        assert_eq!(i.status, Expired);

        let mut i = inv();
        assert_eq!(
            i.expire(i.expires_at - Duration::seconds(1))
                .unwrap_err()
                .field(),
            Some("expires_at")
        );
        i.expire(i.expires_at).unwrap();
        assert_eq!(i.status, Expired);

        let mut i = inv();
        i.revoke().unwrap();
        assert!(i.accept(i.created_at).is_err());
        assert_eq!(i.status, Revoked);
    }

    #[test]
    fn validation() {
        let mut i = inv();
        i.role = Role::Owner;
        assert_eq!(i.validate().unwrap_err().field(), Some("role"));
        let mut i = inv();
        i.expires_at = i.created_at;
        assert_eq!(i.validate().unwrap_err().field(), Some("expires_at"));
        let i = inv();
        let json = serde_json::to_string(&i).unwrap();
        assert_eq!(serde_json::from_str::<Invitation>(&json).unwrap(), i);
        assert!(!format!("{i:?}").contains("new.rep"));
    }
}

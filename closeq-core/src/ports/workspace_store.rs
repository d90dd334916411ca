use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::access_record::{AccessQuery, AccessRecord};
use crate::audit::AuditRecord;
use crate::contact::EmailAddress;
use crate::error::Result;
use crate::id::{ApiKeyId, IntegrationId, InvitationId, UserId, WorkspaceId};
use crate::invitation::{Invitation, InvitationStatus};
use crate::member::Member;
use crate::member::Team;
use crate::purge::PurgeReceipt;
use crate::scope::Scope;
use crate::subject_request::SubjectRequest;
use crate::workspace::{Workspace, WorkspaceSettings};

/// A stored API key: never the secret, only its SHA-256 and a display prefix.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// Id.
    pub id: ApiKeyId,
    /// Workspace it authenticates for.
    pub workspace_id: WorkspaceId,
    /// A name for people.
    pub name: String,
    /// The first characters of the key, for recognising it in lists.
    pub display_prefix: String,
    /// SHA-256 of the full key.
    pub secret_sha256: [u8; 32],
    /// What it may do (`calls:write`, ...).
    pub scopes: Vec<String>,
    /// Who created it.
    pub created_by: UserId,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Last successful use.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Debug for ApiKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyRecord")
            .field("id", &self.id)
            .field("workspace_id", &self.workspace_id)
            .field("display_prefix", &self.display_prefix)
            .field("scopes", &self.scopes)
            .field("revoked", &self.revoked_at.is_some())
            .finish_non_exhaustive()
    }
}

/// A connected integration: its OAuth/API token sealed (encrypted), never plaintext.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationRecord {
    /// Id.
    pub id: IntegrationId,
    /// Workspace.
    pub workspace_id: WorkspaceId,
    /// Provider (`aircall`, `hubspot`).
    pub provider: String,
    /// The sealed token envelope.
    pub sealed_token: Vec<u8>,
    /// Id of the key-encryption key that wrapped the token's data key.
    pub key_id: String,
    /// When connected.
    pub created_at: DateTime<Utc>,
}

impl Debug for IntegrationRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntegrationRecord")
            .field("id", &self.id)
            .field("workspace_id", &self.workspace_id)
            .field("provider", &self.provider)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// Workspaces, teams, members, invitations, API keys and integrations.
///
/// Contract: as for [`CallStore`](crate::ports::CallStore): scoped, invisible
/// = `NotFound`, duplicates = `AlreadyExists`, idempotent deletes. Workspace
/// administration requires the matching [`Action`](crate::access::Action).
///
/// Every method acts as a [`Scope`] except the few an invitee or an API
/// client calls before they have one, which act on the one row whose
/// secret they present and nothing else: [`find_invitation`] and
/// [`find_api_key`] read it by the secret's hash, [`accept_invitation`]
/// takes the invitation's token, [`touch_api_key`] the key's hash.
/// [`create_workspace`] acts as the new workspace's owner. There are no
/// "system" writes: the audit log, too, is written as a scope.
///
/// [`find_invitation`]: Self::find_invitation
/// [`find_api_key`]: Self::find_api_key
/// [`accept_invitation`]: Self::accept_invitation
/// [`touch_api_key`]: Self::touch_api_key
/// [`create_workspace`]: Self::create_workspace
#[async_trait]
pub trait WorkspaceStore: Debug + Send + Sync {
    /// Creates a workspace with its first member, who must be its owner.
    async fn create_workspace(&self, workspace: &Workspace, owner: &Member) -> Result<()>;
    /// Reads the scope's workspace.
    async fn get_workspace(&self, scope: &Scope) -> Result<Workspace>;
    /// Replaces the workspace's settings (owners and admins).
    async fn update_settings(&self, scope: &Scope, settings: &WorkspaceSettings) -> Result<()>;

    /// Creates a team.
    async fn create_team(&self, scope: &Scope, team: &Team) -> Result<()>;
    /// Lists the workspace's teams.
    async fn list_teams(&self, scope: &Scope) -> Result<Vec<Team>>;

    /// Adds or updates a member.
    async fn put_member(&self, scope: &Scope, member: &Member) -> Result<()>;
    /// Reads a member.
    async fn get_member(&self, scope: &Scope, user: UserId) -> Result<Member>;
    /// Lists members.
    async fn list_members(&self, scope: &Scope) -> Result<Vec<Member>>;
    /// Removes a member (idempotent).
    ///
    /// Membership changes ([`put_member`](Self::put_member) too) keep two
    /// rules atomically, against concurrent changes: only an owner makes,
    /// demotes or removes an owner, and the workspace always keeps at least
    /// one owner. Either refusal is `Forbidden` (action `manage_members`).
    async fn remove_member(&self, scope: &Scope, user: UserId) -> Result<()>;

    /// Stores an invitation with the SHA-256 of its token
    /// ([`invitation_token_sha256`](crate::invitation_token_sha256)).
    async fn insert_invitation(
        &self,
        scope: &Scope,
        invitation: &Invitation,
        token_sha256: [u8; 32],
    ) -> Result<()>;
    /// Finds an invitation by the hash of its token (the invitee has no scope yet).
    async fn find_invitation(&self, token_sha256: [u8; 32]) -> Result<Invitation>;
    /// Accepts the invitation whose token is `token`, at `now`
    /// ([`Invitation::accept`]): the invitee has no scope yet, and the
    /// token is what entitles them. The store hashes the token
    /// ([`invitation_token_sha256`](crate::invitation_token_sha256)),
    /// finds the invitation by the hash and compares the stored hash in
    /// constant time. Returns the accepted invitation (the caller adds the
    /// member). An invitation past its expiry is stored as
    /// [`InvitationStatus::Expired`] and refused.
    ///
    /// Errors: [`Error::NotFound`](crate::Error::NotFound) for a token that
    /// matches no invitation; [`Error::InvalidTransition`](crate::Error::InvalidTransition)
    /// for one that is not pending or has expired;
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) (`token`) for an
    /// empty or oversized token.
    async fn accept_invitation(&self, token: &str, now: DateTime<Utc>) -> Result<Invitation>;
    /// Revokes or expires a pending invitation of the scope's workspace
    /// (action [`Invite`](crate::access::Action::Invite): owners and
    /// admins). Accepting takes the token: `Accepted` here is
    /// [`Error::Forbidden`](crate::Error::Forbidden); see
    /// [`accept_invitation`](Self::accept_invitation).
    ///
    /// Errors: `NotFound` for an invitation the scope's workspace does not
    /// hold; `InvalidTransition` for one that is not pending
    /// ([`InvitationStatus::can_become`]).
    async fn set_invitation_status(
        &self,
        scope: &Scope,
        id: InvitationId,
        status: InvitationStatus,
    ) -> Result<()>;

    /// Every invitation of the scope's workspace addressed to `email`
    /// (compared case-insensitively), whatever its status, oldest first.
    /// For the access request of the person invited (GDPR Art. 15).
    /// Requires action `run_data_subject_requests` (owners and admins;
    /// `Forbidden` otherwise).
    async fn list_invitations_to(
        &self,
        scope: &Scope,
        email: &EmailAddress,
    ) -> Result<Vec<Invitation>>;
    /// Deletes every invitation of the scope's workspace addressed to
    /// `email` (compared case-insensitively), whatever its status, and
    /// returns how many went. For the erasure of a member (GDPR Art. 17):
    /// the invitation holds their address. Idempotent. Requires action
    /// `run_data_subject_requests` (owners and admins; `Forbidden`
    /// otherwise).
    async fn delete_invitations_to(&self, scope: &Scope, email: &EmailAddress) -> Result<u32>;

    /// Stores an API key record, created by the acting user: a key acts
    /// with its creator's rights, so `created_by` must be the scope's user
    /// (`Forbidden` otherwise), and erasing the creator revokes it. Needs
    /// action `manage_api_keys`.
    async fn insert_api_key(&self, scope: &Scope, key: &ApiKeyRecord) -> Result<()>;
    /// Finds a key by the SHA-256 of its secret (authentication: no scope yet).
    async fn find_api_key(&self, secret_sha256: [u8; 32]) -> Result<ApiKeyRecord>;
    /// Lists the workspace's keys.
    async fn list_api_keys(&self, scope: &Scope) -> Result<Vec<ApiKeyRecord>>;
    /// Deletes every key of the scope's workspace created by `user`,
    /// revoked or not, and returns how many went. For the erasure of a
    /// member (GDPR Art. 17): the record names its creator. Idempotent.
    /// Requires action `run_data_subject_requests` (owners and admins;
    /// `Forbidden` otherwise).
    async fn delete_api_keys_of(&self, scope: &Scope, user: UserId) -> Result<u32>;
    /// Revokes a key at `at` (idempotent).
    async fn revoke_api_key(&self, scope: &Scope, id: ApiKeyId, at: DateTime<Utc>) -> Result<()>;
    /// Records a successful use, at `at`, of the key whose secret hashes
    /// to `secret_sha256` (after authentication: no scope yet; presenting
    /// the hash of the key is what entitles the caller, and it touches
    /// that key only). A revoked key's use is not recorded.
    ///
    /// Errors: `NotFound` for an unknown or revoked key.
    async fn touch_api_key(&self, secret_sha256: [u8; 32], at: DateTime<Utc>) -> Result<()>;

    /// Stores or replaces an integration.
    async fn put_integration(&self, scope: &Scope, integration: &IntegrationRecord) -> Result<()>;
    /// Reads an integration.
    async fn get_integration(&self, scope: &Scope, id: IntegrationId) -> Result<IntegrationRecord>;
    /// Lists a team's or the workspace's integrations.
    async fn list_integrations(&self, scope: &Scope) -> Result<Vec<IntegrationRecord>>;

    /// Appends an audit record (validated: no personal data) to the
    /// scope's workspace's log; returns its sequence number. The log is
    /// append-only. The record's actor is the scope's user, always
    /// ([`AuditRecord::check_author`](crate::AuditRecord::check_author)).
    ///
    /// Errors: `InvalidInput` for personal data in the record; `Forbidden`
    /// for a record of another workspace or in another person's name.
    async fn append_audit(&self, scope: &Scope, record: &AuditRecord) -> Result<u64>;
    /// The workspace's audit log, oldest first (owners and admins).
    async fn list_audit(
        &self,
        scope: &Scope,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<AuditRecord>>;

    /// Deletes the workspace's audit records made at `cutoff` or earlier
    /// (the technical-log retention rule) and appends one record of the
    /// expiry (count and cutoff) in the same transaction; how many went.
    /// Owners and admins (action `change_retention`); the only way records
    /// leave the append-only log besides the termination purge. A cutoff
    /// later than [`AUDIT_MINIMUM_AGE`] before the store's own clock is
    /// moved back to it: nobody empties the log of recent actions, their
    /// own included.
    async fn expire_audit(&self, scope: &Scope, cutoff: DateTime<Utc>) -> Result<u64>;

    /// A member's correction of their own account data (GDPR Art. 16,
    /// self-service), in one transaction: `member` replaces the scope's own
    /// member record — only its display name, e-mail address, time zone and
    /// preferences may differ from the stored one —, and the completed
    /// rectification `request` about them and the `audit` record (in their
    /// name) are stored with it. Any member, for their own record only.
    ///
    /// Errors: `Forbidden` for another member's record or an audit record
    /// in another's name; `InvalidInput` naming `member` when anything but
    /// the account data changed (or a value is invalid), naming `request`
    /// when it is not a completed rectification about the scope's user;
    /// `NotFound` when the member is gone.
    async fn rectify_own_account(
        &self,
        scope: &Scope,
        member: &Member,
        request: &SubjectRequest,
        audit: &AuditRecord,
    ) -> Result<()>;

    /// Appends access records (the access log: reads of calls,
    /// transcripts, scorecards and recordings, signed URLs issued), in one
    /// transaction: all or none. Any member appends records of their own
    /// reads ([`AccessRecord::check_author`]); the log is append-only.
    ///
    /// Errors: `Forbidden` for a record of another workspace or in another
    /// person's name; `InvalidInput` for more than 1,000 ids in a record or
    /// more than 10,000 records ([`check_access_batch`](crate::check_access_batch));
    /// `NotFound` when the workspace is gone. The store keeps the time each
    /// record carries (the recorder's clock).
    async fn append_access(&self, scope: &Scope, records: &[AccessRecord]) -> Result<()>;
    /// The workspace's access log, oldest first, filtered by `query`
    /// (owners and admins: action `change_retention`, as for the audit log).
    ///
    /// Errors: `Forbidden` for other roles; `InvalidInput` naming `limit`.
    async fn list_access(&self, scope: &Scope, query: &AccessQuery) -> Result<Vec<AccessRecord>>;
    /// Deletes the workspace's access records made at `cutoff` or earlier
    /// (the technical-log rule, 90 days) and appends an audit record of the
    /// expiry in the same transaction; how many went. Owners and admins. A
    /// cutoff later than [`AUDIT_MINIMUM_AGE`] before the store's clock is
    /// moved back to it, as for [`expire_audit`](Self::expire_audit).
    async fn expire_access(&self, scope: &Scope, cutoff: DateTime<Utc>) -> Result<u64>;

    /// Deletes the scope's workspace and everything stored about it, in
    /// one transaction: calls, transcripts, scorecards, reviews, rollups,
    /// members, teams, invitations, API keys, integrations, privacy
    /// records and the audit log — and stores `receipt`, the only trace
    /// (no identifier of the workspace). Owners only (action
    /// `delete_workspace`); audio lives in the [`AudioStore`](super::AudioStore):
    /// delete it first. A workspace already gone is `NotFound`.
    async fn delete_workspace(&self, scope: &Scope, receipt: &PurgeReceipt) -> Result<()>;
}

/// How old an audit record must be before [`WorkspaceStore::expire_audit`]
/// removes it: the privacy policy's technical-log period.
pub const AUDIT_MINIMUM_AGE: chrono::Duration = chrono::Duration::days(90);

/// An expiry cutoff bounded by [`AUDIT_MINIMUM_AGE`] before the store's
/// clock `now`, and the record of the expiry to append.
pub fn audit_expiry_record(
    scope: &Scope,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, AuditRecord) {
    technical_log_expiry(scope, cutoff, now, "retention.technical_logs")
}

/// As [`audit_expiry_record`], for the access log
/// ([`WorkspaceStore::expire_access`]).
pub fn access_expiry_record(
    scope: &Scope,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, AuditRecord) {
    technical_log_expiry(scope, cutoff, now, "retention.access_log")
}

fn technical_log_expiry(
    scope: &Scope,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
    action: &str,
) -> (DateTime<Utc>, AuditRecord) {
    let cutoff = cutoff.min(now - AUDIT_MINIMUM_AGE);
    let record = AuditRecord {
        seq: 0,
        workspace_id: scope.workspace_id,
        at: now,
        actor: Some(scope.user_id),
        action: action.into(),
        target: None,
        details: serde_json::json!({ "cutoff": cutoff.to_rfc3339() }),
    };
    (cutoff, record)
}

fn _object_safe(_: Arc<dyn WorkspaceStore>) {}

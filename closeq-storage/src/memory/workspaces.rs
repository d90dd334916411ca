use async_trait::async_trait;
use chrono::{DateTime, Utc};
use closeq_core::ports::{ApiKeyRecord, IntegrationRecord, WorkspaceStore};
use closeq_core::{
    Action, ApiKeyId, CallId, EmailAddress, Error, IntegrationId, Invitation, InvitationId,
    InvitationStatus, Member, Result, Role, Scope, Team, UserId, Workspace, WorkspaceId,
    WorkspaceSettings,
};

use subtle::ConstantTimeEq;

use super::InMemoryStore;
use crate::policy::{check_member_change, check_workspace};

#[async_trait]
impl WorkspaceStore for InMemoryStore {
    async fn create_workspace(&self, workspace: &Workspace, owner: &Member) -> Result<()> {
        workspace.validate()?;
        crate::validate_owner(workspace, owner)?;
        let mut s = self.write();
        if s.workspaces.contains_key(&workspace.id) {
            return Err(Error::already_exists("workspace", workspace.id));
        }
        s.workspaces.insert(workspace.id, workspace.clone());
        s.members
            .insert((workspace.id, owner.user_id), owner.clone());
        Ok(())
    }

    async fn get_workspace(&self, scope: &Scope) -> Result<Workspace> {
        self.read()
            .workspaces
            .get(&scope.workspace_id)
            .cloned()
            .ok_or_else(|| Error::not_found("workspace", scope.workspace_id))
    }

    async fn update_settings(&self, scope: &Scope, settings: &WorkspaceSettings) -> Result<()> {
        check_workspace(scope, Action::ChangeRetention)?;
        settings.validate()?;
        let mut s = self.write();
        let w = s
            .workspaces
            .get_mut(&scope.workspace_id)
            .ok_or_else(|| Error::not_found("workspace", scope.workspace_id))?;
        crate::policy::check_settings_change(scope, &w.settings, settings)?;
        w.settings = settings.clone();
        Ok(())
    }

    async fn create_team(&self, scope: &Scope, team: &Team) -> Result<()> {
        check_workspace(scope, Action::ManageMembers)?;
        team.validate()?;
        crate::same_workspace(scope, team.workspace_id)?;
        let mut s = self.write();
        if s.teams.contains_key(&team.id) {
            return Err(Error::already_exists("team", team.id));
        }
        s.teams.insert(team.id, team.clone());
        Ok(())
    }

    async fn list_teams(&self, scope: &Scope) -> Result<Vec<Team>> {
        let mut v: Vec<Team> = self
            .read()
            .teams
            .values()
            .filter(|t| t.workspace_id == scope.workspace_id)
            .cloned()
            .collect();
        v.sort_by_key(|t| t.id);
        Ok(v)
    }

    async fn put_member(&self, scope: &Scope, member: &Member) -> Result<()> {
        check_workspace(scope, Action::ManageMembers)?;
        member.validate()?;
        crate::same_workspace(scope, member.workspace_id)?;
        if member.role == Role::Owner && scope.role != Role::Owner {
            return Err(Error::Forbidden {
                action: "manage_members".into(),
                reason: "only an owner can make an owner".into(),
            });
        }
        let mut s = self.write();
        let (before, others) = members_around(&s.members, scope.workspace_id, member.user_id);
        check_member_change(scope, before.as_ref(), Some(member), &others)?;
        s.members
            .insert((member.workspace_id, member.user_id), member.clone());
        Ok(())
    }

    async fn get_member(&self, scope: &Scope, user: UserId) -> Result<Member> {
        self.read()
            .members
            .get(&(scope.workspace_id, user))
            .cloned()
            .ok_or_else(|| Error::not_found("member", user))
    }

    async fn list_members(&self, scope: &Scope) -> Result<Vec<Member>> {
        let mut v: Vec<Member> = self
            .read()
            .members
            .values()
            .filter(|m| m.workspace_id == scope.workspace_id)
            .cloned()
            .collect();
        v.sort_by_key(|m| m.user_id);
        Ok(v)
    }

    async fn remove_member(&self, scope: &Scope, user: UserId) -> Result<()> {
        check_workspace(scope, Action::ManageMembers)?;
        let mut s = self.write();
        let (before, others) = members_around(&s.members, scope.workspace_id, user);
        check_member_change(scope, before.as_ref(), None, &others)?;
        s.members.remove(&(scope.workspace_id, user));
        Ok(())
    }

    async fn insert_invitation(
        &self,
        scope: &Scope,
        inv: &Invitation,
        token_sha256: [u8; 32],
    ) -> Result<()> {
        check_workspace(scope, Action::Invite)?;
        inv.validate()?;
        crate::same_workspace(scope, inv.workspace_id)?;
        let mut s = self.write();
        if s.invitations.contains_key(&inv.id)
            || s.invitations.values().any(|(_, h)| *h == token_sha256)
        {
            return Err(Error::already_exists("invitation", inv.id));
        }
        s.invitations.insert(inv.id, (inv.clone(), token_sha256));
        Ok(())
    }

    async fn list_invitations_to(
        &self,
        scope: &Scope,
        email: &EmailAddress,
    ) -> Result<Vec<Invitation>> {
        check_workspace(scope, Action::RunDataSubjectRequests)?;
        let mut v: Vec<Invitation> = self
            .read()
            .invitations
            .values()
            .map(|(inv, _)| inv)
            .filter(|inv| {
                inv.workspace_id == scope.workspace_id
                    && inv.email.as_str().eq_ignore_ascii_case(email.as_str())
            })
            .cloned()
            .collect();
        v.sort_by_key(|i| i.id);
        Ok(v)
    }

    async fn delete_invitations_to(&self, scope: &Scope, email: &EmailAddress) -> Result<u32> {
        check_workspace(scope, Action::RunDataSubjectRequests)?;
        let mut s = self.write();
        let before = s.invitations.len();
        s.invitations.retain(|_, (inv, _)| {
            inv.workspace_id != scope.workspace_id
                || !inv.email.as_str().eq_ignore_ascii_case(email.as_str())
        });
        u32::try_from(before - s.invitations.len())
            .map_err(|_| Error::internal("more invitations than u32"))
    }

    async fn find_invitation(&self, token_sha256: [u8; 32]) -> Result<Invitation> {
        self.read()
            .invitations
            .values()
            .find(|(_, h)| *h == token_sha256)
            .map(|(i, _)| i.clone())
            .ok_or_else(|| Error::not_found("invitation", "token"))
    }

    async fn accept_invitation(&self, token: &str, now: DateTime<Utc>) -> Result<Invitation> {
        let hash = closeq_core::invitation_token_sha256(token)?;
        let mut s = self.write();
        let (inv, _) = s
            .invitations
            .values_mut()
            .find(|(_, h)| bool::from(h.ct_eq(&hash)))
            .ok_or_else(|| Error::not_found("invitation", "token"))?;
        // On expiry the invitation is marked expired and stays so.
        inv.accept(now)?;
        Ok(inv.clone())
    }

    async fn set_invitation_status(
        &self,
        scope: &Scope,
        id: InvitationId,
        status: InvitationStatus,
    ) -> Result<()> {
        check_workspace(scope, Action::Invite)?;
        crate::policy::refuse_accept_without_token(status)?;
        let mut s = self.write();
        let (inv, _) = s
            .invitations
            .get_mut(&id)
            .filter(|(i, _)| i.workspace_id == scope.workspace_id)
            .ok_or_else(|| Error::not_found("invitation", id))?;
        if !inv.status.can_become(status) {
            return Err(Error::InvalidTransition {
                resource: "invitation",
                from: inv.status.as_str().into(),
                to: status.as_str().into(),
            });
        }
        inv.status = status;
        Ok(())
    }

    async fn insert_api_key(&self, scope: &Scope, key: &ApiKeyRecord) -> Result<()> {
        // Any member, in their own name (check_key_creator).
        crate::same_workspace(scope, key.workspace_id)?;
        let mut s = self.write();
        let creator = s.members.get(&(scope.workspace_id, scope.user_id));
        crate::policy::check_key_creator(scope, key, creator)?;
        if s.api_keys.contains_key(&key.id)
            || s.api_keys
                .values()
                .any(|k| k.secret_sha256 == key.secret_sha256)
        {
            return Err(Error::already_exists("api_key", key.id));
        }
        s.api_keys.insert(key.id, key.clone());
        Ok(())
    }

    async fn find_api_key(&self, secret_sha256: [u8; 32]) -> Result<ApiKeyRecord> {
        self.read()
            .api_keys
            .values()
            .find(|k| k.secret_sha256 == secret_sha256)
            .cloned()
            .ok_or_else(|| Error::not_found("api_key", "hash"))
    }

    async fn list_api_keys(&self, scope: &Scope) -> Result<Vec<ApiKeyRecord>> {
        check_workspace(scope, Action::ManageApiKeys)?;
        let mut v: Vec<ApiKeyRecord> = self
            .read()
            .api_keys
            .values()
            .filter(|k| k.workspace_id == scope.workspace_id)
            .cloned()
            .collect();
        v.sort_by_key(|k| k.id);
        Ok(v)
    }

    async fn delete_api_keys_of(&self, scope: &Scope, user: UserId) -> Result<u32> {
        check_workspace(scope, Action::RunDataSubjectRequests)?;
        let mut s = self.write();
        let before = s.api_keys.len();
        s.api_keys
            .retain(|_, k| k.workspace_id != scope.workspace_id || k.created_by != user);
        u32::try_from(before - s.api_keys.len())
            .map_err(|_| Error::internal("more API keys than u32"))
    }

    async fn revoke_api_key(&self, scope: &Scope, id: ApiKeyId, at: DateTime<Utc>) -> Result<()> {
        check_workspace(scope, Action::ManageApiKeys)?;
        let mut s = self.write();
        let k = s
            .api_keys
            .get_mut(&id)
            .filter(|k| k.workspace_id == scope.workspace_id)
            .ok_or_else(|| Error::not_found("api_key", id))?;
        if k.revoked_at.is_none() {
            k.revoked_at = Some(at);
        }
        Ok(())
    }

    async fn touch_api_key(&self, secret_sha256: [u8; 32], at: DateTime<Utc>) -> Result<()> {
        let mut s = self.write();
        let k = s
            .api_keys
            .values_mut()
            .find(|k| bool::from(k.secret_sha256.ct_eq(&secret_sha256)) && k.revoked_at.is_none())
            .ok_or_else(|| Error::not_found("api_key", "hash"))?;
        k.last_used_at = Some(at);
        Ok(())
    }

    async fn put_integration(&self, scope: &Scope, rec: &IntegrationRecord) -> Result<()> {
        check_workspace(scope, Action::ManageIntegrations)?;
        crate::same_workspace(scope, rec.workspace_id)?;
        self.write().integrations.insert(rec.id, rec.clone());
        Ok(())
    }

    async fn get_integration(&self, scope: &Scope, id: IntegrationId) -> Result<IntegrationRecord> {
        self.read()
            .integrations
            .get(&id)
            .filter(|r| r.workspace_id == scope.workspace_id)
            .cloned()
            .ok_or_else(|| Error::not_found("integration", id))
    }

    async fn list_integrations(&self, scope: &Scope) -> Result<Vec<IntegrationRecord>> {
        let mut v: Vec<IntegrationRecord> = self
            .read()
            .integrations
            .values()
            .filter(|r| r.workspace_id == scope.workspace_id)
            .cloned()
            .collect();
        v.sort_by_key(|r| r.id);
        Ok(v)
    }

    async fn append_audit(&self, scope: &Scope, record: &closeq_core::AuditRecord) -> Result<u64> {
        record.validate()?;
        record.check_author(scope)?;
        let mut s = self.write();
        Ok(s.push_audit(record.clone()))
    }

    async fn list_audit(
        &self,
        scope: &Scope,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<closeq_core::AuditRecord>> {
        check_workspace(scope, Action::ChangeRetention)?;
        Ok(self
            .read()
            .audit
            .iter()
            .filter(|r| r.workspace_id == scope.workspace_id && r.seq > after_seq)
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn expire_audit(&self, scope: &Scope, cutoff: DateTime<Utc>) -> Result<u64> {
        check_workspace(scope, Action::ChangeRetention)?;
        let (cutoff, mut record) =
            closeq_core::ports::audit_expiry_record(scope, cutoff, Utc::now());
        let mut s = self.write();
        let before = s.audit.len();
        s.audit
            .retain(|r| r.workspace_id != scope.workspace_id || r.at > cutoff);
        let n = u64::try_from(before - s.audit.len()).unwrap_or(u64::MAX);
        record.details["deleted"] = n.into();
        s.push_audit(record);
        Ok(n)
    }

    async fn rectify_own_account(
        &self,
        scope: &Scope,
        member: &Member,
        request: &closeq_core::SubjectRequest,
        audit: &closeq_core::AuditRecord,
    ) -> Result<()> {
        let mut s = self.write();
        let key = (scope.workspace_id, scope.user_id);
        let stored = s
            .members
            .get(&key)
            .cloned()
            .ok_or_else(|| Error::not_found("member", scope.user_id))?;
        crate::policy::check_own_account(scope, &stored, member, request, audit)?;
        if s.requests.contains_key(&request.id) {
            return Err(Error::already_exists("subject request", request.id));
        }
        s.members.insert(key, member.clone());
        s.requests.insert(request.id, request.clone());
        s.push_audit(audit.clone());
        Ok(())
    }

    async fn append_access(
        &self,
        scope: &Scope,
        records: &[closeq_core::AccessRecord],
    ) -> Result<()> {
        closeq_core::check_access_batch(scope, records)?;
        let mut s = self.write();
        if !s.workspaces.contains_key(&scope.workspace_id) {
            return Err(Error::not_found("workspace", scope.workspace_id));
        }
        for r in records {
            s.access_seq += 1;
            let seq = s.access_seq;
            s.access
                .push(closeq_core::AccessRecord { seq, ..r.clone() });
        }
        Ok(())
    }

    async fn list_access(
        &self,
        scope: &Scope,
        query: &closeq_core::AccessQuery,
    ) -> Result<Vec<closeq_core::AccessRecord>> {
        check_workspace(scope, Action::ChangeRetention)?;
        query.validate()?;
        Ok(self
            .read()
            .access
            .iter()
            .filter(|r| {
                r.workspace_id == scope.workspace_id && r.seq > query.after_seq && query.matches(r)
            })
            .take(query.limit as usize)
            .cloned()
            .collect())
    }

    async fn expire_access(&self, scope: &Scope, cutoff: DateTime<Utc>) -> Result<u64> {
        check_workspace(scope, Action::ChangeRetention)?;
        let (cutoff, mut record) =
            closeq_core::ports::access_expiry_record(scope, cutoff, Utc::now());
        let mut s = self.write();
        let before = s.access.len();
        s.access
            .retain(|r| r.workspace_id != scope.workspace_id || r.at > cutoff);
        let n = u64::try_from(before - s.access.len()).unwrap_or(u64::MAX);
        record.details["deleted"] = n.into();
        s.push_audit(record);
        Ok(n)
    }

    async fn delete_workspace(
        &self,
        scope: &Scope,
        receipt: &closeq_core::PurgeReceipt,
    ) -> Result<()> {
        check_workspace(scope, Action::DeleteWorkspace)?;
        let ws = scope.workspace_id;
        let mut s = self.write();
        if !s.workspaces.contains_key(&ws) {
            return Err(Error::not_found("workspace", ws));
        }
        if s.subject_flags
            .iter()
            .any(|((w, _), f)| *w == ws && f.holds_retention())
        {
            return Err(crate::policy::held_for_legal_claims());
        }
        s.workspaces.remove(&ws);
        let calls: std::collections::HashSet<CallId> = s
            .calls
            .values()
            .filter(|c| c.workspace_id == ws)
            .map(|c| c.id)
            .collect();
        let cards: std::collections::HashSet<closeq_core::ScorecardId> = s
            .scorecards
            .values()
            .filter(|c| calls.contains(&c.call_id))
            .map(|c| c.id)
            .collect();
        s.teams.retain(|_, t| t.workspace_id != ws);
        s.members.retain(|(w, _), _| *w != ws);
        s.invitations.retain(|_, (i, _)| i.workspace_id != ws);
        s.api_keys.retain(|_, k| k.workspace_id != ws);
        s.integrations.retain(|_, i| i.workspace_id != ws);
        s.calls.retain(|id, _| !calls.contains(id));
        s.transcripts.retain(|id, _| !calls.contains(id));
        s.scorecards.retain(|id, _| !cards.contains(id));
        s.card_order.retain(|id, _| !calls.contains(id));
        s.reviews.retain(|r| !cards.contains(&r.scorecard_id));
        s.subjects.retain(|(w, _), _| *w != ws);
        s.audit.retain(|r| r.workspace_id != ws);
        s.access.retain(|r| r.workspace_id != ws);
        s.requests.retain(|_, r| r.workspace_id != ws);
        s.subject_flags.retain(|(w, _), _| *w != ws);
        s.consents.retain(|id, _| !calls.contains(id));
        s.purge_receipts.push(receipt.clone());
        Ok(())
    }
}

/// The stored record of `user` in `ws`, and the workspace's other members.
fn members_around(
    members: &std::collections::HashMap<(WorkspaceId, UserId), Member>,
    ws: WorkspaceId,
    user: UserId,
) -> (Option<Member>, Vec<Member>) {
    let mut before = None;
    let mut others = Vec::new();
    for ((w, u), m) in members {
        if *w != ws {
            continue;
        }
        if *u == user {
            before = Some(m.clone());
        } else {
            others.push(m.clone());
        }
    }
    (before, others)
}

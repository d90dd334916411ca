//! [`WorkspaceStore`] on SQL: workspaces, teams, members, invitations, API
//! keys, integrations and the audit log.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use closeq_core::ports::{ApiKeyRecord, IntegrationRecord, WorkspaceStore};
use closeq_core::{
    Action, ApiKeyId, AuditRecord, EmailAddress, Error, IntegrationId, Invitation, InvitationId,
    InvitationStatus, Member, Result, Role, Scope, Team, UserId, Workspace, WorkspaceId,
    WorkspaceSettings,
};

use subtle::ConstantTimeEq;

use super::{Acting, Dialect, Sql, SqlRow, SqlStore, Tx, dup};
use crate::codec::{from_json, to_json};
use crate::policy::{check_member_change, check_workspace};

/// Reads the record `id` of `workspace` from `table` for update, changes it
/// with `f` and writes it back.
async fn update_doc<D: Dialect, T>(
    tx: &mut Tx<'_, D>,
    (table, resource): (&str, &'static str),
    workspace: WorkspaceId,
    id: impl Into<super::Arg> + Copy + ToString + Send,
    f: impl FnOnce(&mut T) -> Result<()> + Send,
) -> Result<()>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Send,
{
    let lock = D::FOR_UPDATE;
    let sql = format!("SELECT data FROM {table} WHERE id = $1 AND workspace_id = $2{lock}");
    let mut doc: T = tx
        .doc(Sql::new(sql).bind(id).bind(workspace))
        .await?
        .ok_or_else(|| Error::not_found(resource, id))?;
    f(&mut doc)?;
    let sql = format!("UPDATE {table} SET data = $1 WHERE id = $2");
    tx.exec(Sql::new(sql).bind(to_json(D::NAME, &doc)?).bind(id))
        .await?;
    Ok(())
}

/// Locks the workspace's membership (its workspace row: concurrent changes
/// of members queue behind it) and reads the record of `user` and the
/// other members, for [`check_member_change`].
async fn lock_members<D: Dialect>(
    tx: &mut Tx<'_, D>,
    ws: WorkspaceId,
    user: UserId,
) -> Result<(Option<Member>, Vec<Member>)> {
    // `NO KEY UPDATE`: inserts of rows that reference the workspace (their
    // `FOR KEY SHARE` check) do not wait for it, membership changes do.
    let lock = if D::FOR_UPDATE.is_empty() {
        ""
    } else {
        " FOR NO KEY UPDATE"
    };
    let sql = format!("SELECT id FROM workspaces WHERE id = $1{lock}");
    if tx.row(Sql::new(sql).bind(ws)).await?.is_none() {
        return Err(Error::not_found("workspace", ws));
    }
    let sql = Sql::new("SELECT data FROM members WHERE workspace_id = $1");
    let members: Vec<Member> = tx.docs(sql.bind(ws)).await?;
    let (mine, others) = members.into_iter().partition(|m| m.user_id == user);
    Ok((Vec::into_iter(mine).next(), others))
}

#[async_trait]
impl<D: Dialect> WorkspaceStore for SqlStore<D> {
    async fn create_workspace(&self, workspace: &Workspace, owner: &Member) -> Result<()> {
        workspace.validate()?;
        crate::validate_owner(workspace, owner)?;
        let mut tx = self
            .begin("create_workspace", &Scope::of_member(owner))
            .await?;
        let sql = Sql::new("INSERT INTO workspaces (id, data) VALUES ($1, $2)");
        tx.exec(sql.bind(workspace.id).bind(to_json(D::NAME, workspace)?))
            .await
            .map_err(dup("workspace", workspace.id))?;
        let sql = Sql::new("INSERT INTO members (workspace_id, user_id, data) VALUES ($1, $2, $3)")
            .bind(workspace.id)
            .bind(owner.user_id)
            .bind(to_json(D::NAME, owner)?);
        tx.exec(sql).await?;
        tx.commit().await
    }

    async fn get_workspace(&self, scope: &Scope) -> Result<Workspace> {
        let sql = Sql::new("SELECT data FROM workspaces WHERE id = $1");
        self.doc("get_workspace", scope, sql.bind(scope.workspace_id))
            .await?
            .ok_or_else(|| Error::not_found("workspace", scope.workspace_id))
    }

    async fn update_settings(&self, scope: &Scope, settings: &WorkspaceSettings) -> Result<()> {
        check_workspace(scope, Action::ChangeRetention)?;
        settings.validate()?;
        let mut tx = self.begin("update_settings", scope).await?;
        let (ws, table) = (scope.workspace_id, ("workspaces", "workspace"));
        update_doc(&mut tx, table, ws, ws, |w: &mut Workspace| {
            crate::policy::check_settings_change(scope, &w.settings, settings)?;
            w.settings = settings.clone();
            Ok(())
        })
        .await?;
        tx.commit().await
    }

    async fn expire_audit(&self, scope: &Scope, cutoff: DateTime<Utc>) -> Result<u64> {
        check_workspace(scope, Action::ChangeRetention)?;
        let (cutoff, mut record) =
            closeq_core::ports::audit_expiry_record(scope, cutoff, Utc::now());
        let mut tx = self.begin("expire_audit", scope).await?;
        let expire = Sql::new(D::EXPIRE_AUDIT)
            .bind(scope.workspace_id)
            .bind(cutoff);
        let n = u64::try_from(tx.rows(expire).await?.len()).unwrap_or(u64::MAX);
        record.details["deleted"] = n.into();
        insert_audit(&mut tx, &record).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn rectify_own_account(
        &self,
        scope: &Scope,
        member: &Member,
        request: &closeq_core::SubjectRequest,
        audit: &AuditRecord,
    ) -> Result<()> {
        self.sql_rectify_own_account(scope, member, request, audit)
            .await
    }

    async fn append_access(
        &self,
        scope: &Scope,
        records: &[closeq_core::AccessRecord],
    ) -> Result<()> {
        self.sql_append_access(scope, records).await
    }

    async fn list_access(
        &self,
        scope: &Scope,
        query: &closeq_core::AccessQuery,
    ) -> Result<Vec<closeq_core::AccessRecord>> {
        self.sql_list_access(scope, query).await
    }

    async fn expire_access(&self, scope: &Scope, cutoff: DateTime<Utc>) -> Result<u64> {
        self.sql_expire_access(scope, cutoff).await
    }

    async fn delete_workspace(
        &self,
        scope: &Scope,
        receipt: &closeq_core::PurgeReceipt,
    ) -> Result<()> {
        check_workspace(scope, Action::DeleteWorkspace)?;
        let ws = scope.workspace_id;
        let mut tx = self.begin("delete_workspace", scope).await?;
        let found = tx
            .rows(Sql::new("SELECT id FROM workspaces WHERE id = $1").bind(ws))
            .await?;
        if found.is_empty() {
            return Err(Error::not_found("workspace", ws));
        }
        let held = Sql::new(
            "SELECT 1 FROM subject_flags WHERE workspace_id = $1 AND restricted AND legal_hold",
        )
        .bind(ws);
        if !tx.rows(held).await?.is_empty() {
            return Err(crate::policy::held_for_legal_claims());
        }
        for statement in D::PURGE_WORKSPACE {
            tx.exec(Sql::new(*statement).bind(ws)).await?;
        }
        let sql = Sql::new("INSERT INTO purge_receipts (id, data) VALUES ($1, $2)")
            .bind(receipt.id)
            .bind(to_json(D::NAME, receipt)?);
        tx.exec(sql).await?;
        tx.commit().await
    }

    async fn create_team(&self, scope: &Scope, team: &Team) -> Result<()> {
        check_workspace(scope, Action::ManageMembers)?;
        team.validate()?;
        crate::same_workspace(scope, team.workspace_id)?;
        let sql = Sql::new("INSERT INTO teams (id, workspace_id, data) VALUES ($1, $2, $3)")
            .bind(team.id)
            .bind(team.workspace_id)
            .bind(to_json(D::NAME, team)?);
        self.exec("create_team", scope, sql)
            .await
            .map_err(dup("team", team.id))?;
        Ok(())
    }

    async fn list_teams(&self, scope: &Scope) -> Result<Vec<Team>> {
        let sql = Sql::new("SELECT data FROM teams WHERE workspace_id = $1 ORDER BY id");
        self.docs("list_teams", scope, sql.bind(scope.workspace_id))
            .await
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
        let mut tx = self.begin("put_member", scope).await?;
        let (before, others) = lock_members(&mut tx, scope.workspace_id, member.user_id).await?;
        check_member_change(scope, before.as_ref(), Some(member), &others)?;
        let sql = Sql::new(
            "INSERT INTO members (workspace_id, user_id, data) VALUES ($1, $2, $3) \
             ON CONFLICT (workspace_id, user_id) DO UPDATE SET data = excluded.data",
        )
        .bind(member.workspace_id)
        .bind(member.user_id)
        .bind(to_json(D::NAME, member)?);
        tx.exec(sql).await?;
        tx.commit().await
    }

    async fn get_member(&self, scope: &Scope, user: UserId) -> Result<Member> {
        let sql = Sql::new("SELECT data FROM members WHERE workspace_id = $1 AND user_id = $2");
        self.doc("get_member", scope, sql.bind(scope.workspace_id).bind(user))
            .await?
            .ok_or_else(|| Error::not_found("member", user))
    }

    async fn list_members(&self, scope: &Scope) -> Result<Vec<Member>> {
        let sql = Sql::new("SELECT data FROM members WHERE workspace_id = $1 ORDER BY user_id");
        self.docs("list_members", scope, sql.bind(scope.workspace_id))
            .await
    }

    async fn remove_member(&self, scope: &Scope, user: UserId) -> Result<()> {
        check_workspace(scope, Action::ManageMembers)?;
        let mut tx = self.begin("remove_member", scope).await?;
        let (before, others) = lock_members(&mut tx, scope.workspace_id, user).await?;
        check_member_change(scope, before.as_ref(), None, &others)?;
        let sql = Sql::new("DELETE FROM members WHERE workspace_id = $1 AND user_id = $2");
        tx.exec(sql.bind(scope.workspace_id).bind(user)).await?;
        tx.commit().await
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
        let sql = Sql::new(
            "INSERT INTO invitations (id, workspace_id, token_sha256, data) VALUES ($1, $2, $3, $4)",
        )
        .bind(inv.id)
        .bind(inv.workspace_id)
        .bind(&token_sha256[..])
        .bind(to_json(D::NAME, inv)?);
        self.exec("insert_invitation", scope, sql)
            .await
            .map_err(dup("invitation", inv.id))?;
        Ok(())
    }

    async fn list_invitations_to(
        &self,
        scope: &Scope,
        email: &EmailAddress,
    ) -> Result<Vec<Invitation>> {
        check_workspace(scope, Action::RunDataSubjectRequests)?;
        // The address lives in the JSON document.
        let sql = Sql::new("SELECT data FROM invitations WHERE workspace_id = $1 ORDER BY id");
        let all: Vec<Invitation> = self
            .docs("list_invitations_to", scope, sql.bind(scope.workspace_id))
            .await?;
        Ok(all
            .into_iter()
            .filter(|i| i.email.as_str().eq_ignore_ascii_case(email.as_str()))
            .collect())
    }

    async fn delete_invitations_to(&self, scope: &Scope, email: &EmailAddress) -> Result<u32> {
        check_workspace(scope, Action::RunDataSubjectRequests)?;
        let mut tx = self.begin("delete_invitations_to", scope).await?;
        // The address lives in the JSON document: read the workspace's
        // invitations, delete the matching ones by id.
        let all: Vec<Invitation> = tx
            .docs(
                Sql::new("SELECT data FROM invitations WHERE workspace_id = $1")
                    .bind(scope.workspace_id),
            )
            .await?;
        let mut deleted = 0u32;
        for inv in all
            .iter()
            .filter(|i| i.email.as_str().eq_ignore_ascii_case(email.as_str()))
        {
            tx.exec(
                Sql::new("DELETE FROM invitations WHERE workspace_id = $1 AND id = $2")
                    .bind(scope.workspace_id)
                    .bind(inv.id),
            )
            .await?;
            deleted = deleted.saturating_add(1);
        }
        tx.commit().await?;
        Ok(deleted)
    }

    async fn find_invitation(&self, token_sha256: [u8; 32]) -> Result<Invitation> {
        let sql = Sql::new("SELECT data FROM invitations WHERE token_sha256 = $1");
        let lookup = Acting::Lookup(&token_sha256);
        self.doc("find_invitation", lookup, sql.bind(&token_sha256[..]))
            .await?
            .ok_or_else(|| Error::not_found("invitation", "token"))
    }

    async fn accept_invitation(&self, token: &str, now: DateTime<Utc>) -> Result<Invitation> {
        let hash = closeq_core::invitation_token_sha256(token)?;
        let mut tx = self
            .begin("accept_invitation", Acting::Lookup(&hash))
            .await?;
        let found: Invitation = held_row(&mut tx, ("invitations", "token_sha256"), &hash)
            .await?
            .ok_or_else(|| Error::not_found("invitation", "token"))?;
        // The holder of the token may update its invitation, nothing else.
        let workspace = found.workspace_id;
        tx.act_as(&Acting::Holder {
            workspace,
            hash: &hash,
        })
        .await?;
        let lock = D::FOR_UPDATE;
        let sql = format!("SELECT data FROM invitations WHERE token_sha256 = $1{lock}");
        let mut inv: Invitation = tx
            .doc(Sql::new(sql).bind(&hash[..]))
            .await?
            .ok_or_else(|| Error::not_found("invitation", "token"))?;
        let accepted = inv.accept(now);
        if accepted.is_ok() || inv.status == InvitationStatus::Expired {
            // An expired invitation is stored as such, and refused.
            let sql = Sql::new("UPDATE invitations SET data = $1 WHERE token_sha256 = $2")
                .bind(to_json(D::NAME, &inv)?)
                .bind(&hash[..]);
            tx.exec(sql).await?;
            tx.commit().await?;
        }
        accepted.map(|()| inv)
    }

    async fn set_invitation_status(
        &self,
        scope: &Scope,
        id: InvitationId,
        status: InvitationStatus,
    ) -> Result<()> {
        check_workspace(scope, Action::Invite)?;
        crate::policy::refuse_accept_without_token(status)?;
        let mut tx = self.begin("set_invitation_status", scope).await?;
        let table = ("invitations", "invitation");
        let ws = scope.workspace_id;
        update_doc(&mut tx, table, ws, id, |inv: &mut Invitation| {
            if !inv.status.can_become(status) {
                return Err(Error::InvalidTransition {
                    resource: "invitation",
                    from: inv.status.as_str().into(),
                    to: status.as_str().into(),
                });
            }
            inv.status = status;
            Ok(())
        })
        .await?;
        tx.commit().await
    }

    async fn insert_api_key(&self, scope: &Scope, key: &ApiKeyRecord) -> Result<()> {
        // Any member, in their own name (check_key_creator).
        crate::same_workspace(scope, key.workspace_id)?;
        let mut tx = self.begin("insert_api_key", scope).await?;
        // Read, not locked: on PostgreSQL only admins may lock the
        // workspace row, and any member creates keys. A member removed
        // meanwhile leaves a key that authenticates nobody (verification
        // checks membership on every use).
        let members: Vec<Member> = tx
            .docs(
                Sql::new("SELECT data FROM members WHERE workspace_id = $1")
                    .bind(scope.workspace_id),
            )
            .await?;
        let creator = members.into_iter().find(|m| m.user_id == scope.user_id);
        crate::policy::check_key_creator(scope, key, creator.as_ref())?;
        let sql = Sql::new(
            "INSERT INTO api_keys (id, workspace_id, secret_sha256, data) VALUES ($1, $2, $3, $4)",
        )
        .bind(key.id)
        .bind(key.workspace_id)
        .bind(&key.secret_sha256[..])
        .bind(to_json(D::NAME, key)?);
        tx.exec(sql).await.map_err(dup("api_key", key.id))?;
        tx.commit().await
    }

    async fn find_api_key(&self, secret_sha256: [u8; 32]) -> Result<ApiKeyRecord> {
        let sql = Sql::new("SELECT data FROM api_keys WHERE secret_sha256 = $1");
        let lookup = Acting::Lookup(&secret_sha256);
        self.doc("find_api_key", lookup, sql.bind(&secret_sha256[..]))
            .await?
            .ok_or_else(|| Error::not_found("api_key", "hash"))
    }

    async fn list_api_keys(&self, scope: &Scope) -> Result<Vec<ApiKeyRecord>> {
        check_workspace(scope, Action::ManageApiKeys)?;
        let sql = Sql::new("SELECT data FROM api_keys WHERE workspace_id = $1 ORDER BY id");
        self.docs("list_api_keys", scope, sql.bind(scope.workspace_id))
            .await
    }

    async fn delete_api_keys_of(&self, scope: &Scope, user: UserId) -> Result<u32> {
        check_workspace(scope, Action::RunDataSubjectRequests)?;
        let mut tx = self.begin("delete_api_keys_of", scope).await?;
        // The creator lives in the JSON document: read the workspace's
        // keys, delete the matching ones by id.
        let all: Vec<ApiKeyRecord> = tx
            .docs(
                Sql::new("SELECT data FROM api_keys WHERE workspace_id = $1")
                    .bind(scope.workspace_id),
            )
            .await?;
        let mut deleted = 0u32;
        for key in all.iter().filter(|k| k.created_by == user) {
            tx.exec(
                Sql::new("DELETE FROM api_keys WHERE workspace_id = $1 AND id = $2")
                    .bind(scope.workspace_id)
                    .bind(key.id),
            )
            .await?;
            deleted = deleted.saturating_add(1);
        }
        tx.commit().await?;
        Ok(deleted)
    }

    async fn revoke_api_key(&self, scope: &Scope, id: ApiKeyId, at: DateTime<Utc>) -> Result<()> {
        check_workspace(scope, Action::ManageApiKeys)?;
        let mut tx = self.begin("revoke_api_key", scope).await?;
        let table = ("api_keys", "api_key");
        update_doc(
            &mut tx,
            table,
            scope.workspace_id,
            id,
            |k: &mut ApiKeyRecord| {
                k.revoked_at = k.revoked_at.or(Some(at));
                Ok(())
            },
        )
        .await?;
        tx.commit().await
    }

    async fn touch_api_key(&self, secret_sha256: [u8; 32], at: DateTime<Utc>) -> Result<()> {
        let hash = &secret_sha256;
        let missing = || Error::not_found("api_key", "hash");
        let mut tx = self.begin("touch_api_key", Acting::Lookup(hash)).await?;
        let found: ApiKeyRecord = held_row(&mut tx, ("api_keys", "secret_sha256"), hash)
            .await?
            .ok_or_else(missing)?;
        // The holder of the key may update its record, nothing else.
        let workspace = found.workspace_id;
        tx.act_as(&Acting::Holder { workspace, hash }).await?;
        let lock = D::FOR_UPDATE;
        let sql = format!("SELECT data FROM api_keys WHERE secret_sha256 = $1{lock}");
        let mut key: ApiKeyRecord = tx
            .doc(Sql::new(sql).bind(&hash[..]))
            .await?
            .filter(|k: &ApiKeyRecord| k.revoked_at.is_none())
            .ok_or_else(missing)?;
        key.last_used_at = Some(at);
        let sql = Sql::new("UPDATE api_keys SET data = $1 WHERE secret_sha256 = $2")
            .bind(to_json(D::NAME, &key)?)
            .bind(&hash[..]);
        tx.exec(sql).await?;
        tx.commit().await
    }

    async fn put_integration(&self, scope: &Scope, rec: &IntegrationRecord) -> Result<()> {
        check_workspace(scope, Action::ManageIntegrations)?;
        crate::same_workspace(scope, rec.workspace_id)?;
        let sql = Sql::new(
            "INSERT INTO integrations (id, workspace_id, data) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data \
             WHERE integrations.workspace_id = excluded.workspace_id",
        )
        .bind(rec.id)
        .bind(rec.workspace_id)
        .bind(to_json(D::NAME, rec)?);
        match self.exec("put_integration", scope, sql).await {
            // The id is taken in another workspace: the update matched no
            // row (PostgreSQL's Row-Level Security refuses it outright).
            Ok(0) | Err(Error::Forbidden { .. }) => {
                Err(Error::already_exists("integration", rec.id))
            }
            other => other.map(drop),
        }
    }

    async fn get_integration(&self, scope: &Scope, id: IntegrationId) -> Result<IntegrationRecord> {
        let sql = Sql::new("SELECT data FROM integrations WHERE id = $1 AND workspace_id = $2");
        self.doc(
            "get_integration",
            scope,
            sql.bind(id).bind(scope.workspace_id),
        )
        .await?
        .ok_or_else(|| Error::not_found("integration", id))
    }

    async fn list_integrations(&self, scope: &Scope) -> Result<Vec<IntegrationRecord>> {
        let sql = Sql::new("SELECT data FROM integrations WHERE workspace_id = $1 ORDER BY id");
        self.docs("list_integrations", scope, sql.bind(scope.workspace_id))
            .await
    }

    async fn append_audit(&self, scope: &Scope, record: &AuditRecord) -> Result<u64> {
        record.validate()?;
        record.check_author(scope)?;
        let mut tx = self.begin("append_audit", scope).await?;
        // The `seq` column numbers the records (the log is append-only: the
        // runtime role may not update it); the stored document has 0.
        let unnumbered = AuditRecord {
            seq: 0,
            ..record.clone()
        };
        let sql = Sql::new(
            "INSERT INTO audit_records (workspace_id, data, at) VALUES ($1, $2, $3) RETURNING seq",
        )
        .bind(record.workspace_id)
        .bind(to_json(D::NAME, &unnumbered)?)
        .bind(record.at);
        let seq = match tx.row(sql).await? {
            Some(row) => audit_seq(row.int(0)?)?,
            None => return Err(Error::internal("INSERT … RETURNING returned no row")),
        };
        tx.commit().await?;
        Ok(seq)
    }

    async fn list_audit(
        &self,
        scope: &Scope,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<AuditRecord>> {
        check_workspace(scope, Action::ChangeRetention)?;
        let sql = Sql::new(
            "SELECT seq, data FROM audit_records WHERE workspace_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(scope.workspace_id)
        .bind(i64::try_from(after_seq).unwrap_or(i64::MAX))
        .bind(i64::from(limit));
        let mut tx = self.read("list_audit", scope).await?;
        let rows = tx.rows(sql).await?;
        rows.iter()
            .map(|r| {
                let record: AuditRecord = from_json(D::NAME, r.text(1)?)?;
                let seq = audit_seq(r.int(0)?)?;
                Ok(AuditRecord { seq, ..record })
            })
            .collect()
    }
}

/// The record in the row of `table` whose secret hash (column `column`)
/// is `hash`, the stored hash compared in constant time.
async fn held_row<D: Dialect, T: serde::de::DeserializeOwned>(
    tx: &mut Tx<'_, D>,
    (table, column): (&str, &str),
    hash: &[u8; 32],
) -> Result<Option<T>> {
    let sql = format!("SELECT {column}, data FROM {table} WHERE {column} = $1");
    let Some(row) = tx.row(Sql::new(sql).bind(&hash[..])).await? else {
        return Ok(None);
    };
    if !bool::from(row.bytes(0)?.ct_eq(&hash[..])) {
        return Ok(None);
    }
    from_json(D::NAME, row.text(1)?).map(Some)
}

/// Appends `record` to the audit log inside `tx` (the `seq` column numbers
/// it; the stored document has 0).
pub(super) async fn insert_audit<D: Dialect>(
    tx: &mut Tx<'_, D>,
    record: &AuditRecord,
) -> Result<()> {
    let unnumbered = AuditRecord {
        seq: 0,
        ..record.clone()
    };
    let sql = Sql::new("INSERT INTO audit_records (workspace_id, data, at) VALUES ($1, $2, $3)")
        .bind(record.workspace_id)
        .bind(to_json(D::NAME, &unnumbered)?)
        .bind(record.at);
    tx.exec(sql).await?;
    Ok(())
}

fn audit_seq(n: i64) -> Result<u64> {
    u64::try_from(n).map_err(|_| Error::internal("negative audit sequence number"))
}

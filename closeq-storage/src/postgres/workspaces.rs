use async_trait::async_trait;
use chrono::{DateTime, Utc};
use closeq_core::ports::{ApiKeyRecord, IntegrationRecord, WorkspaceStore};
use closeq_core::{
    Action, ApiKeyId, Error, IntegrationId, Invitation, InvitationId, InvitationStatus, Member,
    Result, Role, Scope, Team, UserId, Workspace, WorkspaceId, WorkspaceSettings,
};
use serde::de::DeserializeOwned;
use sqlx::Row;
use uuid::Uuid;

use super::{BACKEND, PgScope, PostgresStore, map_err};
use crate::codec::{from_json, to_json};
use crate::policy::check_workspace;

fn dup(resource: &'static str, id: impl ToString) -> impl FnOnce(sqlx::Error) -> Error {
    let id = id.to_string();
    move |e| match map_err(e) {
        Error::AlreadyExists { .. } => Error::AlreadyExists { resource, id },
        other => other,
    }
}

impl PostgresStore {
    async fn one_scoped<T: DeserializeOwned>(
        &self,
        scope: &PgScope,
        sql: &str,
        binds: &[Uuid],
        resource: &'static str,
        id: String,
    ) -> Result<T> {
        let mut tx = self.begin(scope).await?;
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(*b);
        }
        let row = q
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::not_found(resource, id))?;
        from_json(BACKEND, row.get::<&str, _>(0))
    }

    async fn all_scoped<T: DeserializeOwned>(&self, scope: &Scope, sql: &str) -> Result<Vec<T>> {
        let mut tx = self.begin_scope(scope).await?;
        let rows = sqlx::query(sql)
            .fetch_all(&mut *tx)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| from_json(BACKEND, r.get::<&str, _>(0)))
            .collect()
    }
}

#[async_trait]
impl WorkspaceStore for PostgresStore {
    async fn create_workspace(&self, workspace: &Workspace, owner: &Member) -> Result<()> {
        workspace.validate()?;
        crate::validate_owner(workspace, owner)?;
        let mut tx = self.begin_scope(&Scope::of_member(owner)).await?;
        sqlx::query("INSERT INTO workspaces (id, data) VALUES ($1, $2)")
            .bind(workspace.id.as_uuid())
            .bind(to_json(BACKEND, workspace)?)
            .execute(&mut *tx)
            .await
            .map_err(dup("workspace", workspace.id))?;
        sqlx::query("INSERT INTO members (workspace_id, user_id, data) VALUES ($1, $2, $3)")
            .bind(workspace.id.as_uuid())
            .bind(owner.user_id.as_uuid())
            .bind(to_json(BACKEND, owner)?)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn get_workspace(&self, scope: &Scope) -> Result<Workspace> {
        self.one_scoped(
            &PgScope::of(scope),
            "SELECT data FROM workspaces",
            &[],
            "workspace",
            scope.workspace_id.to_string(),
        )
        .await
    }

    async fn update_settings(&self, scope: &Scope, settings: &WorkspaceSettings) -> Result<()> {
        check_workspace(scope, Action::ChangeRetention)?;
        settings.validate()?;
        let mut tx = self.begin_scope(scope).await?;
        let row = sqlx::query("SELECT data FROM workspaces FOR UPDATE")
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::not_found("workspace", scope.workspace_id))?;
        let mut w: Workspace = from_json(BACKEND, row.get::<&str, _>(0))?;
        w.settings = settings.clone();
        sqlx::query("UPDATE workspaces SET data = $1 WHERE id = $2")
            .bind(to_json(BACKEND, &w)?)
            .bind(w.id.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn create_team(&self, scope: &Scope, team: &Team) -> Result<()> {
        check_workspace(scope, Action::ManageMembers)?;
        team.validate()?;
        crate::same_workspace(scope, team.workspace_id)?;
        let mut tx = self.begin_scope(scope).await?;
        sqlx::query("INSERT INTO teams (id, workspace_id, data) VALUES ($1, $2, $3)")
            .bind(team.id.as_uuid())
            .bind(team.workspace_id.as_uuid())
            .bind(to_json(BACKEND, team)?)
            .execute(&mut *tx)
            .await
            .map_err(dup("team", team.id))?;
        tx.commit().await.map_err(map_err)
    }

    async fn list_teams(&self, scope: &Scope) -> Result<Vec<Team>> {
        self.all_scoped(scope, "SELECT data FROM teams ORDER BY id")
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
        let mut tx = self.begin_scope(scope).await?;
        sqlx::query("INSERT INTO members (workspace_id, user_id, data) VALUES ($1, $2, $3) ON CONFLICT (workspace_id, user_id) DO UPDATE SET data = excluded.data")
            .bind(member.workspace_id.as_uuid())
            .bind(member.user_id.as_uuid())
            .bind(to_json(BACKEND, member)?)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn get_member(&self, scope: &Scope, user: UserId) -> Result<Member> {
        self.one_scoped(
            &PgScope::of(scope),
            "SELECT data FROM members WHERE user_id = $1",
            &[user.as_uuid()],
            "member",
            user.to_string(),
        )
        .await
    }

    async fn list_members(&self, scope: &Scope) -> Result<Vec<Member>> {
        self.all_scoped(scope, "SELECT data FROM members ORDER BY user_id")
            .await
    }

    async fn remove_member(&self, scope: &Scope, user: UserId) -> Result<()> {
        check_workspace(scope, Action::ManageMembers)?;
        let mut tx = self.begin_scope(scope).await?;
        sqlx::query("DELETE FROM members WHERE user_id = $1")
            .bind(user.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
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
        let mut tx = self.begin_scope(scope).await?;
        sqlx::query("INSERT INTO invitations (id, workspace_id, token_sha256, data) VALUES ($1, $2, $3, $4)")
            .bind(inv.id.as_uuid())
            .bind(inv.workspace_id.as_uuid())
            .bind(&token_sha256[..])
            .bind(to_json(BACKEND, inv)?)
            .execute(&mut *tx)
            .await
            .map_err(dup("invitation", inv.id))?;
        tx.commit().await.map_err(map_err)
    }

    async fn find_invitation(&self, token_sha256: [u8; 32]) -> Result<Invitation> {
        let mut tx = self.begin(&PgScope::lookup(&token_sha256)).await?;
        let row = sqlx::query("SELECT data FROM invitations WHERE token_sha256 = $1")
            .bind(&token_sha256[..])
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::not_found("invitation", "token"))?;
        from_json(BACKEND, row.get::<&str, _>(0))
    }

    async fn set_invitation_status(
        &self,
        workspace: WorkspaceId,
        id: InvitationId,
        status: InvitationStatus,
    ) -> Result<()> {
        let mut tx = self.begin(&PgScope::system(workspace)).await?;
        let row = sqlx::query("SELECT data FROM invitations WHERE id = $1 FOR UPDATE")
            .bind(id.as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::not_found("invitation", id))?;
        let mut inv: Invitation = from_json(BACKEND, row.get::<&str, _>(0))?;
        if !inv.status.can_become(status) {
            return Err(Error::InvalidTransition {
                resource: "invitation",
                from: inv.status.as_str().into(),
                to: status.as_str().into(),
            });
        }
        inv.status = status;
        sqlx::query("UPDATE invitations SET data = $1 WHERE id = $2")
            .bind(to_json(BACKEND, &inv)?)
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn insert_api_key(&self, scope: &Scope, key: &ApiKeyRecord) -> Result<()> {
        check_workspace(scope, Action::ManageApiKeys)?;
        crate::same_workspace(scope, key.workspace_id)?;
        let mut tx = self.begin_scope(scope).await?;
        sqlx::query(
            "INSERT INTO api_keys (id, workspace_id, secret_sha256, data) VALUES ($1, $2, $3, $4)",
        )
        .bind(key.id.as_uuid())
        .bind(key.workspace_id.as_uuid())
        .bind(&key.secret_sha256[..])
        .bind(to_json(BACKEND, key)?)
        .execute(&mut *tx)
        .await
        .map_err(dup("api_key", key.id))?;
        tx.commit().await.map_err(map_err)
    }

    async fn find_api_key(&self, secret_sha256: [u8; 32]) -> Result<ApiKeyRecord> {
        let mut tx = self.begin(&PgScope::lookup(&secret_sha256)).await?;
        let row = sqlx::query("SELECT data FROM api_keys WHERE secret_sha256 = $1")
            .bind(&secret_sha256[..])
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::not_found("api_key", "hash"))?;
        from_json(BACKEND, row.get::<&str, _>(0))
    }

    async fn list_api_keys(&self, scope: &Scope) -> Result<Vec<ApiKeyRecord>> {
        check_workspace(scope, Action::ManageApiKeys)?;
        self.all_scoped(scope, "SELECT data FROM api_keys ORDER BY id")
            .await
    }

    async fn revoke_api_key(&self, scope: &Scope, id: ApiKeyId, at: DateTime<Utc>) -> Result<()> {
        check_workspace(scope, Action::ManageApiKeys)?;
        let mut tx = self.begin_scope(scope).await?;
        self.update_key(&mut tx, id, |k| {
            if k.revoked_at.is_none() {
                k.revoked_at = Some(at);
            }
        })
        .await?;
        tx.commit().await.map_err(map_err)
    }

    async fn touch_api_key(
        &self,
        workspace: WorkspaceId,
        id: ApiKeyId,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin(&PgScope::system(workspace)).await?;
        self.update_key(&mut tx, id, |k| k.last_used_at = Some(at))
            .await?;
        tx.commit().await.map_err(map_err)
    }

    async fn put_integration(&self, scope: &Scope, rec: &IntegrationRecord) -> Result<()> {
        check_workspace(scope, Action::ManageIntegrations)?;
        crate::same_workspace(scope, rec.workspace_id)?;
        let mut tx = self.begin_scope(scope).await?;
        sqlx::query("INSERT INTO integrations (id, workspace_id, data) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET data = excluded.data")
            .bind(rec.id.as_uuid())
            .bind(rec.workspace_id.as_uuid())
            .bind(to_json(BACKEND, rec)?)
            .execute(&mut *tx)
            .await
            .map_err(|e| match map_err(e) {
                // The row exists in another workspace: RLS hides it and refuses the update.
                Error::Forbidden { .. } => Error::already_exists("integration", rec.id),
                other => other,
            })?;
        tx.commit().await.map_err(map_err)
    }

    async fn get_integration(&self, scope: &Scope, id: IntegrationId) -> Result<IntegrationRecord> {
        self.one_scoped(
            &PgScope::of(scope),
            "SELECT data FROM integrations WHERE id = $1",
            &[id.as_uuid()],
            "integration",
            id.to_string(),
        )
        .await
    }

    async fn list_integrations(&self, scope: &Scope) -> Result<Vec<IntegrationRecord>> {
        self.all_scoped(scope, "SELECT data FROM integrations ORDER BY id")
            .await
    }

    async fn append_audit(&self, record: &closeq_core::AuditRecord) -> Result<u64> {
        record.validate()?;
        let mut tx = self.begin(&PgScope::system(record.workspace_id)).await?;
        let seq: i64 =
            sqlx::query("SELECT nextval(pg_get_serial_sequence('audit_records', 'seq'))")
                .fetch_one(&mut *tx)
                .await
                .map_err(map_err)?
                .get(0);
        sqlx::query("INSERT INTO audit_records (seq, workspace_id, data) VALUES ($1, $2, $3)")
            .bind(seq)
            .bind(record.workspace_id.as_uuid())
            .bind(to_json(
                BACKEND,
                &closeq_core::AuditRecord {
                    seq: seq as u64,
                    ..record.clone()
                },
            )?)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(seq as u64)
    }

    async fn list_audit(
        &self,
        scope: &Scope,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<closeq_core::AuditRecord>> {
        check_workspace(scope, Action::ChangeRetention)?;
        let mut tx = self.begin_scope(scope).await?;
        let rows =
            sqlx::query("SELECT data FROM audit_records WHERE seq > $1 ORDER BY seq LIMIT $2")
                .bind(after_seq as i64)
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await
                .map_err(map_err)?;
        rows.iter()
            .map(|r| from_json(BACKEND, r.get::<&str, _>(0)))
            .collect()
    }
}

impl PostgresStore {
    async fn update_key(
        &self,
        tx: &mut sqlx::PgConnection,
        id: ApiKeyId,
        f: impl FnOnce(&mut ApiKeyRecord),
    ) -> Result<()> {
        let row = sqlx::query("SELECT data FROM api_keys WHERE id = $1 FOR UPDATE")
            .bind(id.as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::not_found("api_key", id))?;
        let mut k: ApiKeyRecord = from_json(BACKEND, row.get::<&str, _>(0))?;
        f(&mut k);
        sqlx::query("UPDATE api_keys SET data = $1 WHERE id = $2")
            .bind(to_json(BACKEND, &k)?)
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}

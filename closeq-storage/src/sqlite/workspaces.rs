use async_trait::async_trait;
use chrono::{DateTime, Utc};
use closeq_core::ports::{ApiKeyRecord, IntegrationRecord, WorkspaceStore};
use closeq_core::{
    Action, ApiKeyId, Error, IntegrationId, Invitation, InvitationId, InvitationStatus, Member,
    Result, Role, Scope, Team, UserId, Workspace, WorkspaceId, WorkspaceSettings,
};
use serde::de::DeserializeOwned;
use sqlx::Row;

use super::{BACKEND, SqliteStore, map_err};
use crate::codec::{from_json, to_json};
use crate::policy::check_workspace;

impl SqliteStore {
    async fn one<T: DeserializeOwned>(
        &self,
        sql: &str,
        binds: &[String],
        resource: &'static str,
        id: String,
    ) -> Result<T> {
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(b.clone());
        }
        let row = q
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::not_found(resource, id))?;
        from_json(BACKEND, row.get::<&str, _>(0))
    }

    async fn all<T: DeserializeOwned>(&self, sql: &str, ws: WorkspaceId) -> Result<Vec<T>> {
        let rows = sqlx::query(sql)
            .bind(ws.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| from_json(BACKEND, r.get::<&str, _>(0)))
            .collect()
    }
}

fn dup(resource: &'static str, id: impl ToString) -> impl FnOnce(sqlx::Error) -> Error {
    let id = id.to_string();
    move |e| match map_err(e) {
        Error::AlreadyExists { .. } => Error::AlreadyExists { resource, id },
        other => other,
    }
}

#[async_trait]
impl WorkspaceStore for SqliteStore {
    async fn create_workspace(&self, workspace: &Workspace, owner: &Member) -> Result<()> {
        workspace.validate()?;
        crate::validate_owner(workspace, owner)?;
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query("INSERT INTO workspaces (id, data) VALUES (?, ?)")
            .bind(workspace.id.to_string())
            .bind(to_json(BACKEND, workspace)?)
            .execute(&mut *tx)
            .await
            .map_err(dup("workspace", workspace.id))?;
        sqlx::query("INSERT INTO members (workspace_id, user_id, data) VALUES (?, ?, ?)")
            .bind(workspace.id.to_string())
            .bind(owner.user_id.to_string())
            .bind(to_json(BACKEND, owner)?)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn get_workspace(&self, scope: &Scope) -> Result<Workspace> {
        let id = scope.workspace_id.to_string();
        self.one(
            "SELECT data FROM workspaces WHERE id = ?",
            std::slice::from_ref(&id),
            "workspace",
            scope.workspace_id.to_string(),
        )
        .await
    }

    async fn update_settings(&self, scope: &Scope, settings: &WorkspaceSettings) -> Result<()> {
        check_workspace(scope, Action::ChangeRetention)?;
        settings.validate()?;
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let row = sqlx::query("SELECT data FROM workspaces WHERE id = ?")
            .bind(scope.workspace_id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::not_found("workspace", scope.workspace_id))?;
        let mut w: Workspace = from_json(BACKEND, row.get::<&str, _>(0))?;
        w.settings = settings.clone();
        sqlx::query("UPDATE workspaces SET data = ? WHERE id = ?")
            .bind(to_json(BACKEND, &w)?)
            .bind(w.id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn create_team(&self, scope: &Scope, team: &Team) -> Result<()> {
        check_workspace(scope, Action::ManageMembers)?;
        team.validate()?;
        crate::same_workspace(scope, team.workspace_id)?;
        sqlx::query("INSERT INTO teams (id, workspace_id, data) VALUES (?, ?, ?)")
            .bind(team.id.to_string())
            .bind(team.workspace_id.to_string())
            .bind(to_json(BACKEND, team)?)
            .execute(&self.pool)
            .await
            .map_err(dup("team", team.id))?;
        Ok(())
    }

    async fn list_teams(&self, scope: &Scope) -> Result<Vec<Team>> {
        self.all(
            "SELECT data FROM teams WHERE workspace_id = ? ORDER BY id",
            scope.workspace_id,
        )
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
        sqlx::query("INSERT INTO members (workspace_id, user_id, data) VALUES (?, ?, ?) ON CONFLICT (workspace_id, user_id) DO UPDATE SET data = excluded.data")
            .bind(member.workspace_id.to_string())
            .bind(member.user_id.to_string())
            .bind(to_json(BACKEND, member)?)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn get_member(&self, scope: &Scope, user: UserId) -> Result<Member> {
        self.one(
            "SELECT data FROM members WHERE workspace_id = ? AND user_id = ?",
            &[scope.workspace_id.to_string(), user.to_string()],
            "member",
            user.to_string(),
        )
        .await
    }

    async fn list_members(&self, scope: &Scope) -> Result<Vec<Member>> {
        self.all(
            "SELECT data FROM members WHERE workspace_id = ? ORDER BY user_id",
            scope.workspace_id,
        )
        .await
    }

    async fn remove_member(&self, scope: &Scope, user: UserId) -> Result<()> {
        check_workspace(scope, Action::ManageMembers)?;
        sqlx::query("DELETE FROM members WHERE workspace_id = ? AND user_id = ?")
            .bind(scope.workspace_id.to_string())
            .bind(user.to_string())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
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
        sqlx::query(
            "INSERT INTO invitations (id, workspace_id, token_sha256, data) VALUES (?, ?, ?, ?)",
        )
        .bind(inv.id.to_string())
        .bind(inv.workspace_id.to_string())
        .bind(&token_sha256[..])
        .bind(to_json(BACKEND, inv)?)
        .execute(&self.pool)
        .await
        .map_err(dup("invitation", inv.id))?;
        Ok(())
    }

    async fn find_invitation(&self, token_sha256: [u8; 32]) -> Result<Invitation> {
        let row = sqlx::query("SELECT data FROM invitations WHERE token_sha256 = ?")
            .bind(&token_sha256[..])
            .fetch_optional(&self.pool)
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
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let row = sqlx::query("SELECT data FROM invitations WHERE id = ? AND workspace_id = ?")
            .bind(id.to_string())
            .bind(workspace.to_string())
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
        sqlx::query("UPDATE invitations SET data = ? WHERE id = ?")
            .bind(to_json(BACKEND, &inv)?)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn insert_api_key(&self, scope: &Scope, key: &ApiKeyRecord) -> Result<()> {
        check_workspace(scope, Action::ManageApiKeys)?;
        crate::same_workspace(scope, key.workspace_id)?;
        sqlx::query(
            "INSERT INTO api_keys (id, workspace_id, secret_sha256, data) VALUES (?, ?, ?, ?)",
        )
        .bind(key.id.to_string())
        .bind(key.workspace_id.to_string())
        .bind(&key.secret_sha256[..])
        .bind(to_json(BACKEND, key)?)
        .execute(&self.pool)
        .await
        .map_err(dup("api_key", key.id))?;
        Ok(())
    }

    async fn find_api_key(&self, secret_sha256: [u8; 32]) -> Result<ApiKeyRecord> {
        let row = sqlx::query("SELECT data FROM api_keys WHERE secret_sha256 = ?")
            .bind(&secret_sha256[..])
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::not_found("api_key", "hash"))?;
        from_json(BACKEND, row.get::<&str, _>(0))
    }

    async fn list_api_keys(&self, scope: &Scope) -> Result<Vec<ApiKeyRecord>> {
        check_workspace(scope, Action::ManageApiKeys)?;
        self.all(
            "SELECT data FROM api_keys WHERE workspace_id = ? ORDER BY id",
            scope.workspace_id,
        )
        .await
    }

    async fn revoke_api_key(&self, scope: &Scope, id: ApiKeyId, at: DateTime<Utc>) -> Result<()> {
        check_workspace(scope, Action::ManageApiKeys)?;
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let row = sqlx::query("SELECT data FROM api_keys WHERE id = ? AND workspace_id = ?")
            .bind(id.to_string())
            .bind(scope.workspace_id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::not_found("api_key", id))?;
        let mut k: ApiKeyRecord = from_json(BACKEND, row.get::<&str, _>(0))?;
        if k.revoked_at.is_none() {
            k.revoked_at = Some(at);
            sqlx::query("UPDATE api_keys SET data = ? WHERE id = ?")
                .bind(to_json(BACKEND, &k)?)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn touch_api_key(
        &self,
        workspace: WorkspaceId,
        id: ApiKeyId,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let row = sqlx::query("SELECT data FROM api_keys WHERE id = ? AND workspace_id = ?")
            .bind(id.to_string())
            .bind(workspace.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::not_found("api_key", id))?;
        let mut k: ApiKeyRecord = from_json(BACKEND, row.get::<&str, _>(0))?;
        k.last_used_at = Some(at);
        sqlx::query("UPDATE api_keys SET data = ? WHERE id = ?")
            .bind(to_json(BACKEND, &k)?)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn put_integration(&self, scope: &Scope, rec: &IntegrationRecord) -> Result<()> {
        check_workspace(scope, Action::ManageIntegrations)?;
        crate::same_workspace(scope, rec.workspace_id)?;
        let done = sqlx::query("INSERT INTO integrations (id, workspace_id, data) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data WHERE integrations.workspace_id = excluded.workspace_id")
            .bind(rec.id.to_string())
            .bind(rec.workspace_id.to_string())
            .bind(to_json(BACKEND, rec)?)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(Error::already_exists("integration", rec.id));
        }
        Ok(())
    }

    async fn get_integration(&self, scope: &Scope, id: IntegrationId) -> Result<IntegrationRecord> {
        self.one(
            "SELECT data FROM integrations WHERE id = ? AND workspace_id = ?",
            &[id.to_string(), scope.workspace_id.to_string()],
            "integration",
            id.to_string(),
        )
        .await
    }

    async fn list_integrations(&self, scope: &Scope) -> Result<Vec<IntegrationRecord>> {
        self.all(
            "SELECT data FROM integrations WHERE workspace_id = ? ORDER BY id",
            scope.workspace_id,
        )
        .await
    }

    async fn append_audit(&self, record: &closeq_core::AuditRecord) -> Result<u64> {
        record.validate()?;
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let done = sqlx::query("INSERT INTO audit_records (workspace_id, data) VALUES (?, '{}')")
            .bind(record.workspace_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let seq = done.last_insert_rowid() as u64;
        sqlx::query("UPDATE audit_records SET data = ? WHERE seq = ?")
            .bind(to_json(
                BACKEND,
                &closeq_core::AuditRecord {
                    seq,
                    ..record.clone()
                },
            )?)
            .bind(seq as i64)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(seq)
    }

    async fn list_audit(
        &self,
        scope: &Scope,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<closeq_core::AuditRecord>> {
        check_workspace(scope, Action::ChangeRetention)?;
        let rows = sqlx::query("SELECT data FROM audit_records WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?")
            .bind(scope.workspace_id.to_string())
            .bind(after_seq as i64)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| from_json(BACKEND, r.get::<&str, _>(0)))
            .collect()
    }
}

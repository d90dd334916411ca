use async_trait::async_trait;
use closeq_core::ports::PrivacyStore;
use closeq_core::{
    Action, CallId, ConsentRecord, DataSubjectRequestId, Error, Result, Scope, Subject,
    SubjectFlags, SubjectRequest,
};
use sqlx::Row;

use super::calls::call_for;
use super::{BACKEND, SqliteStore, map_err};
use crate::codec::{from_json, to_json};
use crate::policy;

#[async_trait]
impl PrivacyStore for SqliteStore {
    async fn insert_request(&self, scope: &Scope, request: &SubjectRequest) -> Result<()> {
        crate::privacy::check_request(scope, request)?;
        sqlx::query(
            "INSERT INTO subject_requests (id, workspace_id, received_at, data) VALUES (?, ?, ?, ?)",
        )
        .bind(request.id.to_string())
        .bind(request.workspace_id.to_string())
        .bind(request.received_at.timestamp_micros())
        .bind(to_json(BACKEND, request)?)
        .execute(&self.pool)
        .await
        .map_err(|e| match map_err(e) {
            Error::AlreadyExists { .. } => Error::already_exists("subject request", request.id),
            other => other,
        })?;
        Ok(())
    }

    async fn update_request(&self, scope: &Scope, request: &SubjectRequest) -> Result<()> {
        crate::privacy::check_request(scope, request)?;
        let done =
            sqlx::query("UPDATE subject_requests SET data = ? WHERE id = ? AND workspace_id = ?")
                .bind(to_json(BACKEND, request)?)
                .bind(request.id.to_string())
                .bind(scope.workspace_id.to_string())
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(Error::not_found("subject request", request.id));
        }
        Ok(())
    }

    async fn get_request(&self, scope: &Scope, id: DataSubjectRequestId) -> Result<SubjectRequest> {
        policy::check_workspace(scope, Action::RunDataSubjectRequests)?;
        let row =
            sqlx::query("SELECT data FROM subject_requests WHERE id = ? AND workspace_id = ?")
                .bind(id.to_string())
                .bind(scope.workspace_id.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?
                .ok_or_else(|| Error::not_found("subject request", id))?;
        from_json(BACKEND, row.get::<&str, _>(0))
    }

    async fn list_requests(&self, scope: &Scope, limit: u32) -> Result<Vec<SubjectRequest>> {
        policy::check_workspace(scope, Action::RunDataSubjectRequests)?;
        crate::privacy::check_limit(limit)?;
        let rows = sqlx::query(
            "SELECT data FROM subject_requests WHERE workspace_id = ? \
             ORDER BY received_at DESC, id DESC LIMIT ?",
        )
        .bind(scope.workspace_id.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| from_json(BACKEND, r.get::<&str, _>(0)))
            .collect()
    }

    async fn set_subject_flags(
        &self,
        scope: &Scope,
        subject: &Subject,
        flags: SubjectFlags,
    ) -> Result<()> {
        policy::check_workspace(scope, Action::RunDataSubjectRequests)?;
        let hash = self.hasher().hash(subject)?;
        let q = if flags == SubjectFlags::default() {
            sqlx::query("DELETE FROM subject_flags WHERE workspace_id = ? AND subject_hash = ?")
                .bind(scope.workspace_id.to_string())
                .bind(hash.to_vec())
        } else {
            sqlx::query(
                "INSERT INTO subject_flags (workspace_id, subject_hash, restricted, objected) \
                 VALUES (?, ?, ?, ?) ON CONFLICT (workspace_id, subject_hash) \
                 DO UPDATE SET restricted = excluded.restricted, objected = excluded.objected",
            )
            .bind(scope.workspace_id.to_string())
            .bind(hash.to_vec())
            .bind(flags.restricted)
            .bind(flags.objected)
        };
        q.execute(&self.pool).await.map_err(map_err)?;
        Ok(())
    }

    async fn subject_flags(&self, scope: &Scope, subjects: &[Subject]) -> Result<SubjectFlags> {
        let mut flags = SubjectFlags::default();
        for subject in subjects {
            let hash = self.hasher().hash(subject)?;
            let row = sqlx::query(
                "SELECT restricted, objected FROM subject_flags WHERE workspace_id = ? AND subject_hash = ?",
            )
            .bind(scope.workspace_id.to_string())
            .bind(hash.to_vec())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
            if let Some(r) = row {
                flags = flags.union(SubjectFlags {
                    restricted: r.get(0),
                    objected: r.get(1),
                });
            }
        }
        Ok(flags)
    }

    async fn put_consent(&self, scope: &Scope, record: &ConsentRecord) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        call_for(&mut tx, scope, record.call_id, Action::UploadCall).await?;
        sqlx::query(
            "INSERT INTO call_consents (call_id, workspace_id, data) VALUES (?, ?, ?) \
             ON CONFLICT (call_id) DO UPDATE SET data = excluded.data",
        )
        .bind(record.call_id.to_string())
        .bind(scope.workspace_id.to_string())
        .bind(to_json(BACKEND, record)?)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn get_consent(&self, scope: &Scope, call: CallId) -> Result<Option<ConsentRecord>> {
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        call_for(&mut conn, scope, call, Action::ViewCall).await?;
        let row = sqlx::query("SELECT data FROM call_consents WHERE call_id = ?")
            .bind(call.to_string())
            .fetch_optional(&mut *conn)
            .await
            .map_err(map_err)?;
        row.map(|r| from_json(BACKEND, r.get::<&str, _>(0)))
            .transpose()
    }
}

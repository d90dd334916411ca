use async_trait::async_trait;
use closeq_core::ports::PrivacyStore;
use closeq_core::{
    Action, CallId, ConsentRecord, DataSubjectRequestId, Error, Result, Scope, Subject,
    SubjectFlags, SubjectRequest,
};
use sqlx::Row;

use super::calls::call_for;
use super::{BACKEND, PostgresStore, map_err};
use crate::codec::{from_json, to_json};
use crate::policy;

#[async_trait]
impl PrivacyStore for PostgresStore {
    async fn insert_request(&self, scope: &Scope, request: &SubjectRequest) -> Result<()> {
        crate::privacy::check_request(scope, request)?;
        let mut tx = self.begin_scope(scope).await?;
        sqlx::query(
            "INSERT INTO subject_requests (id, workspace_id, received_at, data) VALUES ($1, $2, $3, $4)",
        )
        .bind(request.id.as_uuid())
        .bind(request.workspace_id.as_uuid())
        .bind(request.received_at)
        .bind(to_json(BACKEND, request)?)
        .execute(&mut *tx)
        .await
        .map_err(|e| match map_err(e) {
            Error::AlreadyExists { .. } => Error::already_exists("subject request", request.id),
            other => other,
        })?;
        tx.commit().await.map_err(map_err)
    }

    async fn update_request(&self, scope: &Scope, request: &SubjectRequest) -> Result<()> {
        crate::privacy::check_request(scope, request)?;
        let mut tx = self.begin_scope(scope).await?;
        let done = sqlx::query("UPDATE subject_requests SET data = $1 WHERE id = $2")
            .bind(to_json(BACKEND, request)?)
            .bind(request.id.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(Error::not_found("subject request", request.id));
        }
        tx.commit().await.map_err(map_err)
    }

    async fn get_request(&self, scope: &Scope, id: DataSubjectRequestId) -> Result<SubjectRequest> {
        policy::check_workspace(scope, Action::RunDataSubjectRequests)?;
        let mut tx = self.begin_scope(scope).await?;
        let row = sqlx::query("SELECT data FROM subject_requests WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::not_found("subject request", id))?;
        from_json(BACKEND, row.get::<&str, _>(0))
    }

    async fn list_requests(&self, scope: &Scope, limit: u32) -> Result<Vec<SubjectRequest>> {
        policy::check_workspace(scope, Action::RunDataSubjectRequests)?;
        crate::privacy::check_limit(limit)?;
        let mut tx = self.begin_scope(scope).await?;
        let rows = sqlx::query(
            "SELECT data FROM subject_requests ORDER BY received_at DESC, id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
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
        let mut tx = self.begin_scope(scope).await?;
        let q = if flags == SubjectFlags::default() {
            sqlx::query("DELETE FROM subject_flags WHERE subject_hash = $1").bind(hash.to_vec())
        } else {
            sqlx::query(
                "INSERT INTO subject_flags (workspace_id, subject_hash, restricted, objected) \
                 VALUES ($2, $1, $3, $4) ON CONFLICT (workspace_id, subject_hash) \
                 DO UPDATE SET restricted = excluded.restricted, objected = excluded.objected",
            )
            .bind(hash.to_vec())
            .bind(scope.workspace_id.as_uuid())
            .bind(flags.restricted)
            .bind(flags.objected)
        };
        q.execute(&mut *tx).await.map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn subject_flags(&self, scope: &Scope, subjects: &[Subject]) -> Result<SubjectFlags> {
        let mut hashes = Vec::with_capacity(subjects.len());
        for subject in subjects {
            hashes.push(self.hasher().hash(subject)?.to_vec());
        }
        let mut tx = self.begin_scope(scope).await?;
        let row = sqlx::query(
            "SELECT COALESCE(bool_or(restricted), false), COALESCE(bool_or(objected), false) \
             FROM subject_flags WHERE subject_hash = ANY($1)",
        )
        .bind(&hashes)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        Ok(SubjectFlags {
            restricted: row.get(0),
            objected: row.get(1),
        })
    }

    async fn put_consent(&self, scope: &Scope, record: &ConsentRecord) -> Result<()> {
        let mut tx = self.begin_scope(scope).await?;
        call_for(&mut tx, scope, record.call_id, Action::UploadCall).await?;
        sqlx::query(
            "INSERT INTO call_consents (call_id, workspace_id, data) VALUES ($1, $2, $3) \
             ON CONFLICT (call_id) DO UPDATE SET data = excluded.data",
        )
        .bind(record.call_id.as_uuid())
        .bind(scope.workspace_id.as_uuid())
        .bind(to_json(BACKEND, record)?)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn get_consent(&self, scope: &Scope, call: CallId) -> Result<Option<ConsentRecord>> {
        let mut tx = self.begin_scope(scope).await?;
        call_for(&mut tx, scope, call, Action::ViewCall).await?;
        let row = sqlx::query("SELECT data FROM call_consents WHERE call_id = $1")
            .bind(call.as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?;
        row.map(|r| from_json(BACKEND, r.get::<&str, _>(0)))
            .transpose()
    }
}

//! [`PrivacyStore`] on SQL: data-subject requests, subject flags (keyed
//! hashes only) and call-recording consent.

use async_trait::async_trait;
use closeq_core::ports::PrivacyStore;
use closeq_core::{
    Action, CallId, ConsentRecord, DataSubjectRequestId, Error, Result, Scope, Subject,
    SubjectFlags, SubjectRequest,
};

use super::calls::{call_for, call_for_update};
use super::{Dialect, Sql, SqlRow, SqlStore, dup};
use crate::codec::to_json;
use crate::policy;
use crate::privacy::{check_limit, check_request};

#[async_trait]
impl<D: Dialect> PrivacyStore for SqlStore<D> {
    async fn insert_request(&self, scope: &Scope, request: &SubjectRequest) -> Result<()> {
        check_request(scope, request)?;
        let sql = insert_request_statement::<D>(request)?;
        self.exec("insert_request", scope, sql)
            .await
            .map_err(dup("subject request", request.id))?;
        Ok(())
    }

    async fn update_request(&self, scope: &Scope, request: &SubjectRequest) -> Result<()> {
        check_request(scope, request)?;
        let sql =
            Sql::new("UPDATE subject_requests SET data = $1 WHERE id = $2 AND workspace_id = $3")
                .bind(to_json(D::NAME, request)?)
                .bind(request.id)
                .bind(scope.workspace_id);
        if self.exec("update_request", scope, sql).await? == 0 {
            return Err(Error::not_found("subject request", request.id));
        }
        Ok(())
    }

    async fn get_request(&self, scope: &Scope, id: DataSubjectRequestId) -> Result<SubjectRequest> {
        policy::check_workspace(scope, Action::RunDataSubjectRequests)?;
        let sql = Sql::new("SELECT data FROM subject_requests WHERE id = $1 AND workspace_id = $2");
        self.doc("get_request", scope, sql.bind(id).bind(scope.workspace_id))
            .await?
            .ok_or_else(|| Error::not_found("subject request", id))
    }

    async fn list_requests_before(
        &self,
        scope: &Scope,
        before: Option<closeq_core::DataSubjectRequestId>,
        limit: u32,
    ) -> Result<Vec<SubjectRequest>> {
        policy::check_workspace(scope, Action::RunDataSubjectRequests)?;
        check_limit(limit)?;
        let mut sql = Sql::new("SELECT data FROM subject_requests WHERE workspace_id = ");
        sql.push_bind(scope.workspace_id);
        if let Some(b) = before {
            sql.push(" AND id < ").push_bind(b);
        }
        sql.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(limit));
        self.docs("list_requests_before", scope, sql).await
    }

    async fn list_requests(&self, scope: &Scope, limit: u32) -> Result<Vec<SubjectRequest>> {
        policy::check_workspace(scope, Action::RunDataSubjectRequests)?;
        check_limit(limit)?;
        let sql = Sql::new(
            "SELECT data FROM subject_requests WHERE workspace_id = $1 \
             ORDER BY received_at DESC, id DESC LIMIT $2",
        )
        .bind(scope.workspace_id)
        .bind(i64::from(limit));
        self.docs("list_requests", scope, sql).await
    }

    async fn set_subject_flags(
        &self,
        scope: &Scope,
        subject: &Subject,
        flags: SubjectFlags,
    ) -> Result<()> {
        policy::check_workspace(scope, Action::RunDataSubjectRequests)?;
        let hash = self.hasher().hash(subject)?;
        let flags = flags.normalized();
        let sql = if flags == SubjectFlags::default() {
            Sql::new("DELETE FROM subject_flags WHERE workspace_id = $1 AND subject_hash = $2")
                .bind(scope.workspace_id)
                .bind(&hash[..])
        } else {
            Sql::new(
                "INSERT INTO subject_flags (workspace_id, subject_hash, restricted, objected, legal_hold) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id, subject_hash) \
                 DO UPDATE SET restricted = excluded.restricted, objected = excluded.objected, \
                 legal_hold = excluded.legal_hold",
            )
            .bind(scope.workspace_id)
            .bind(&hash[..])
            .bind(flags.restricted)
            .bind(flags.objected)
            .bind(flags.legal_hold)
        };
        self.exec("set_subject_flags", scope, sql).await?;
        Ok(())
    }

    async fn subject_flags(&self, scope: &Scope, subjects: &[Subject]) -> Result<SubjectFlags> {
        let mut flags = SubjectFlags::default();
        if subjects.is_empty() {
            return Ok(flags);
        }
        let mut q = Sql::new(
            "SELECT restricted, objected, legal_hold FROM subject_flags WHERE workspace_id = $1 AND subject_hash IN (",
        )
        .bind(scope.workspace_id);
        for (i, subject) in subjects.iter().enumerate() {
            q.push(if i == 0 { "" } else { ", " })
                .push_bind(&self.hasher().hash(subject)?[..]);
        }
        q.push(")");
        let mut tx = self.read("subject_flags", scope).await?;
        for r in tx.rows(q).await? {
            flags = flags.union(SubjectFlags {
                restricted: r.flag(0)?,
                objected: r.flag(1)?,
                legal_hold: r.flag(2)?,
            });
        }
        Ok(flags)
    }

    async fn put_consent(&self, scope: &Scope, record: &ConsentRecord) -> Result<()> {
        let mut tx = self.begin("put_consent", scope).await?;
        // The call's row is locked, so a withdrawal and a replacement of
        // the same record are serialized and the check below sees the
        // latest record.
        call_for_update(&mut tx, scope, record.call_id, Action::UploadCall).await?;
        let stored: Option<ConsentRecord> = tx
            .doc(Sql::new("SELECT data FROM call_consents WHERE call_id = $1").bind(record.call_id))
            .await?;
        if let Some(stored) = stored {
            policy::check_consent_replacement(scope, &stored, record)?;
        }
        let sql = Sql::new(
            "INSERT INTO call_consents (call_id, workspace_id, data) VALUES ($1, $2, $3) \
             ON CONFLICT (call_id) DO UPDATE SET data = excluded.data",
        )
        .bind(record.call_id)
        .bind(scope.workspace_id)
        .bind(to_json(D::NAME, record)?);
        tx.exec(sql).await?;
        tx.commit().await
    }

    async fn get_consent(&self, scope: &Scope, call: CallId) -> Result<Option<ConsentRecord>> {
        let mut tx = self.read("get_consent", scope).await?;
        call_for(&mut tx, scope, call, Action::ViewCall).await?;
        tx.doc(Sql::new("SELECT data FROM call_consents WHERE call_id = $1").bind(call))
            .await
    }
}

/// The statement that stores a new request.
pub(super) fn insert_request_statement<D: Dialect>(request: &SubjectRequest) -> Result<Sql> {
    Ok(Sql::new(
        "INSERT INTO subject_requests (id, workspace_id, received_at, data) VALUES ($1, $2, $3, $4)",
    )
    .bind(request.id)
    .bind(request.workspace_id)
    .bind(request.received_at)
    .bind(to_json(D::NAME, request)?))
}

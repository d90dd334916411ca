//! A member's correction of their own account data on SQL
//! ([`WorkspaceStore::rectify_own_account`]): the member record, the
//! request and the audit record in one transaction.
//!
//! [`WorkspaceStore::rectify_own_account`]: closeq_core::ports::WorkspaceStore::rectify_own_account

use closeq_core::{AuditRecord, Error, Member, Result, Scope, SubjectRequest};

use super::{Dialect, Sql, SqlStore};
use crate::codec::to_json;
use crate::policy::check_own_account;

impl<D: Dialect> SqlStore<D> {
    pub(crate) async fn sql_rectify_own_account(
        &self,
        scope: &Scope,
        member: &Member,
        request: &SubjectRequest,
        audit: &AuditRecord,
    ) -> Result<()> {
        let mut tx = self.begin("rectify_own_account", scope).await?;
        // The member's own row, locked (a membership change by an admin
        // waits for it; on PostgreSQL the row passes the member's own
        // UPDATE policy, migration 0012).
        let lock = D::FOR_UPDATE;
        let sql =
            format!("SELECT data FROM members WHERE workspace_id = $1 AND user_id = $2{lock}");
        let stored: Member = tx
            .doc(Sql::new(sql).bind(scope.workspace_id).bind(scope.user_id))
            .await?
            .ok_or_else(|| Error::not_found("member", scope.user_id))?;
        check_own_account(scope, &stored, member, request, audit)?;
        let sql = Sql::new("UPDATE members SET data = $1 WHERE workspace_id = $2 AND user_id = $3")
            .bind(to_json(D::NAME, member)?)
            .bind(scope.workspace_id)
            .bind(scope.user_id);
        tx.exec(sql).await?;
        let sql = Sql::new(
            "INSERT INTO subject_requests (id, workspace_id, received_at, data) VALUES ($1, $2, $3, $4)",
        )
        .bind(request.id)
        .bind(request.workspace_id)
        .bind(request.received_at)
        .bind(to_json(D::NAME, request)?);
        tx.exec(sql)
            .await
            .map_err(super::dup("subject request", request.id))?;
        let unnumbered = AuditRecord {
            seq: 0,
            ..audit.clone()
        };
        let sql =
            Sql::new("INSERT INTO audit_records (workspace_id, data, at) VALUES ($1, $2, $3)")
                .bind(scope.workspace_id)
                .bind(to_json(D::NAME, &unnumbered)?)
                .bind(audit.at);
        tx.exec(sql).await?;
        tx.commit().await
    }
}

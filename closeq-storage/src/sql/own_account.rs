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
        tx.exec(super::privacy::insert_request_statement::<D>(request)?)
            .await
            .map_err(super::dup("subject request", request.id))?;
        super::workspaces::insert_audit(&mut tx, audit).await?;
        tx.commit().await
    }
}

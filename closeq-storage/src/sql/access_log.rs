//! The access log on SQL ([`WorkspaceStore::append_access`] and the
//! methods beside it): one row per record, its ids packed 16 bytes each.
//!
//! [`WorkspaceStore::append_access`]: closeq_core::ports::WorkspaceStore::append_access

use chrono::{DateTime, Utc};
use closeq_core::{AccessAction, AccessQuery, AccessRecord, Action, Error, Result, Scope, UserId};

use super::{Dialect, ROWS_PER_INSERT, Sql, SqlRow, SqlStore, value_rows};
use crate::codec::to_json;
use crate::policy::check_workspace;

/// Columns of one inserted row.
const WIDTH: usize = 5;

impl<D: Dialect> SqlStore<D> {
    pub(crate) async fn sql_append_access(
        &self,
        scope: &Scope,
        records: &[AccessRecord],
    ) -> Result<()> {
        for r in records {
            r.check_author(scope)?;
        }
        if records.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin("append_access", scope).await?;
        for chunk in records.chunks(ROWS_PER_INSERT) {
            let text = format!(
                "INSERT INTO access_records (workspace_id, at, actor, action, resources) VALUES {}",
                value_rows(chunk.len(), WIDTH)
            );
            let mut sql = Sql::new(text);
            for r in chunk {
                sql = sql
                    .bind(r.workspace_id)
                    .bind(r.at)
                    .bind(r.actor)
                    .bind(r.action.code())
                    .bind(r.resource_bytes());
            }
            tx.exec(sql).await?;
        }
        tx.commit().await
    }

    pub(crate) async fn sql_list_access(
        &self,
        scope: &Scope,
        query: &AccessQuery,
    ) -> Result<Vec<AccessRecord>> {
        check_workspace(scope, Action::ChangeRetention)?;
        query.validate()?;
        let mut sql = Sql::new(
            "SELECT seq, at, actor, action, resources FROM access_records WHERE workspace_id = ",
        );
        sql.push_bind(scope.workspace_id).push(" AND seq > ");
        sql.push_bind(i64::try_from(query.after_seq).unwrap_or(i64::MAX));
        if let Some(actor) = query.actor {
            sql.push(" AND actor = ").push_bind(actor);
        }
        if let Some(since) = query.since {
            sql.push(" AND at >= ").push_bind(since);
        }
        if let Some(id) = query.resource {
            sql.push(" AND ");
            let placeholder = format!("${}", sql.args.len() + 1);
            sql.args.push(id.as_bytes().to_vec().into());
            sql.push(&D::RESOURCES_HOLD.replace("{}", &placeholder));
        }
        sql.push(" ORDER BY seq LIMIT ")
            .push_bind(i64::from(query.limit));
        let mut tx = self.read("list_access", scope).await?;
        let rows = tx.rows(sql).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let record = AccessRecord {
                seq: u64::try_from(r.int(0)?)
                    .map_err(|_| Error::internal("negative access-log sequence number"))?,
                workspace_id: scope.workspace_id,
                at: r.time(1)?,
                actor: UserId::from_uuid(r.id(2)?)?,
                action: AccessAction::from_code(r.text(3)?)?,
                resources: AccessRecord::resources_from_bytes(r.bytes(4)?)?,
            };
            // The byte search may match across two ids; the ids decide.
            if query.matches(&record) {
                out.push(record);
            }
        }
        Ok(out)
    }

    pub(crate) async fn sql_expire_access(
        &self,
        scope: &Scope,
        cutoff: DateTime<Utc>,
    ) -> Result<u64> {
        check_workspace(scope, Action::ChangeRetention)?;
        let (cutoff, mut record) =
            closeq_core::ports::access_expiry_record(scope, cutoff, Utc::now());
        let mut tx = self.begin("expire_access", scope).await?;
        let expire = Sql::new(D::EXPIRE_ACCESS)
            .bind(scope.workspace_id)
            .bind(cutoff);
        let n = u64::try_from(tx.rows(expire).await?.len()).unwrap_or(u64::MAX);
        record.details["deleted"] = n.into();
        let sql =
            Sql::new("INSERT INTO audit_records (workspace_id, data, at) VALUES ($1, $2, $3)")
                .bind(scope.workspace_id)
                .bind(to_json(D::NAME, &record)?)
                .bind(record.at);
        tx.exec(sql).await?;
        tx.commit().await?;
        Ok(n)
    }
}

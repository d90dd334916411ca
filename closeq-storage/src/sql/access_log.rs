//! The access log on SQL ([`WorkspaceStore::append_access`] and the
//! methods beside it): one row per record, its ids packed 16 bytes each.
//!
//! [`WorkspaceStore::append_access`]: closeq_core::ports::WorkspaceStore::append_access

use chrono::{DateTime, Utc};
use closeq_core::{AccessAction, AccessQuery, AccessRecord, Action, Error, Result, Scope, UserId};

use super::{Dialect, ROWS_PER_INSERT, Sql, SqlRow, SqlStore, value_rows};
use crate::policy::check_workspace;

/// Columns of one inserted row.
const WIDTH: usize = 5;

/// Records one expiry transaction deletes at most.
const EXPIRY_BATCH: i64 = 10_000;

/// The next page of the log after `after`, filtered in SQL.
fn list_statement<D: Dialect>(scope: &Scope, query: &AccessQuery, after: u64) -> Sql {
    let mut sql = Sql::new(
        "SELECT seq, at, actor, action, resources FROM access_records WHERE workspace_id = ",
    );
    sql.push_bind(scope.workspace_id).push(" AND seq > ");
    sql.push_bind(i64::try_from(after).unwrap_or(i64::MAX));
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
    sql
}

impl<D: Dialect> SqlStore<D> {
    pub(crate) async fn sql_append_access(
        &self,
        scope: &Scope,
        records: &[AccessRecord],
    ) -> Result<()> {
        closeq_core::check_access_batch(scope, records)?;
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
        let mut out = Vec::new();
        let mut after = query.after_seq;
        let mut tx = self.read("list_access", scope).await?;
        // The byte search for a resource can match across two ids; those
        // rows are dropped here, and the next rows read until the page is
        // full or the log ends (so a page is never short while more match).
        loop {
            let rows = tx.rows(list_statement::<D>(scope, query, after)).await?;
            let full = rows.len() >= query.limit as usize;
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
                after = record.seq;
                if query.matches(&record) && out.len() < query.limit as usize {
                    out.push(record);
                }
            }
            if !full || out.len() >= query.limit as usize {
                return Ok(out);
            }
        }
    }

    pub(crate) async fn sql_expire_access(
        &self,
        scope: &Scope,
        cutoff: DateTime<Utc>,
    ) -> Result<u64> {
        check_workspace(scope, Action::ChangeRetention)?;
        let (cutoff, mut record) =
            closeq_core::ports::access_expiry_record(scope, cutoff, Utc::now());
        // Batches of EXPIRY_BATCH records, each in its own transaction:
        // memory and lock time stay bounded however much is due. The
        // last one appends the audit record with the total.
        let mut n = 0u64;
        loop {
            let mut tx = self.begin("expire_access", scope).await?;
            let expire = Sql::new(D::EXPIRE_ACCESS)
                .bind(scope.workspace_id)
                .bind(cutoff)
                .bind(EXPIRY_BATCH);
            let batch = tx.rows(expire).await?.len();
            n = n.saturating_add(u64::try_from(batch).unwrap_or(u64::MAX));
            if batch < EXPIRY_BATCH as usize {
                record.details["deleted"] = n.into();
                super::workspaces::insert_audit(&mut tx, &record).await?;
                tx.commit().await?;
                return Ok(n);
            }
            tx.commit().await?;
        }
    }
}

//! What differs between the SQL backends, for a reason: the driver, how a
//! transaction begins (PostgreSQL sets the Row-Level-Security scope in it),
//! row locks, and what a database error means.

use std::fmt;
use std::future::Future;

use closeq_core::{Scope, WorkspaceId};
use sqlx::error::DatabaseError;

use super::query::{Sql, SqlRow};

pub(crate) mod sealed {
    /// Only this crate's dialects implement [`super::Dialect`].
    pub trait Sealed {}
}

/// Who a transaction acts as.
#[derive(Debug, Clone, Copy)]
pub enum Acting<'a> {
    /// A member of a workspace.
    Scope(&'a Scope),
    /// CloseQ itself inside one workspace (key and invitation bookkeeping,
    /// the audit log).
    System(WorkspaceId),
    /// No workspace yet: only the row whose secret hash is presented
    /// (authentication by API key or invitation token).
    Lookup(&'a [u8; 32]),
}

impl<'a> From<&'a Scope> for Acting<'a> {
    fn from(scope: &'a Scope) -> Self {
        Acting::Scope(scope)
    }
}

/// A SQL backend the shared store runs on: [`SqliteDialect`] or
/// [`PostgresDialect`]. Sealed: the store's queries are written for these
/// two.
///
/// [`SqliteDialect`]: crate::SqliteDialect
/// [`PostgresDialect`]: crate::PostgresDialect
pub trait Dialect: sealed::Sealed + fmt::Debug + Clone + Send + Sync + 'static {
    /// The connection pool.
    type Pool: fmt::Debug + Clone + Send + Sync;
    /// An open transaction.
    type Tx<'p>: Send;
    /// A result row.
    type Row: SqlRow + Send;

    /// The backend's name in errors.
    const NAME: &'static str;
    /// Appended to a `SELECT` of a row that is about to be updated:
    /// ` FOR UPDATE` where the database locks rows; empty where a write
    /// locks the whole database.
    const FOR_UPDATE: &'static str;

    /// Begins a transaction acting as `acting`.
    fn begin<'p>(
        pool: &'p Self::Pool,
        acting: &Acting<'_>,
    ) -> impl Future<Output = Result<Self::Tx<'p>, sqlx::Error>> + Send;

    /// Commits.
    fn commit(tx: Self::Tx<'_>) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// Runs a statement; the number of rows it changed.
    fn execute(
        tx: &mut Self::Tx<'_>,
        sql: Sql,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;

    /// Runs a query; every row.
    fn fetch_all(
        tx: &mut Self::Tx<'_>,
        sql: Sql,
    ) -> impl Future<Output = Result<Vec<Self::Row>, sqlx::Error>> + Send;

    /// Whether retrying may help (a lock, a serialization failure).
    fn retryable(e: &dyn DatabaseError) -> bool;

    /// Whether a row-level policy refused the row.
    fn refused_by_policy(e: &dyn DatabaseError) -> bool;

    /// The constraint (or `table.column`) the error names.
    fn constraint(e: &dyn DatabaseError) -> Option<String>;
}

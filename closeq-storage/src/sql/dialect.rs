//! What differs between the SQL backends, for a reason: the driver, how a
//! transaction begins (PostgreSQL sets the Row-Level-Security scope in it),
//! row locks, and what a database error means.

use std::fmt;
use std::future::Future;

use closeq_core::{Scope, WorkspaceId};
use sqlx::error::DatabaseError;
use sqlx::pool::PoolConnection;
use sqlx::{Database, Transaction};

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
    /// No workspace yet: reads of the row whose secret hash is presented
    /// (authentication by API key or invitation token). Never writes.
    Lookup(&'a [u8; 32]),
    /// The holder of a secret (an API key, an invitation token), after the
    /// lookup found its row: may update that one row of `workspace`, the
    /// one whose hash it presents (record a key's use, accept an
    /// invitation), and nothing else.
    Holder {
        /// The workspace of the row.
        workspace: WorkspaceId,
        /// The SHA-256 of the secret.
        hash: &'a [u8; 32],
    },
    /// A worker of the job queue, before it acts on a job: no workspace;
    /// on PostgreSQL it reaches job rows only, through the queue's
    /// `SECURITY DEFINER` functions.
    Worker,
}

/// What a store operation runs on.
pub enum Session<'p, DB: Database> {
    /// A transaction: every write, and every PostgreSQL operation (the
    /// scope lives in it).
    Tx(Transaction<'p, DB>),
    /// A pooled connection in autocommit: a SQLite read, as before one code
    /// base (a `BEGIN` and `ROLLBACK` around a read cost more than it).
    Conn(PoolConnection<DB>),
}

impl<DB: Database> Session<'_, DB> {
    /// The connection, in the transaction or not.
    pub fn conn(&mut self) -> &mut DB::Connection {
        match self {
            Session::Tx(t) => t,
            Session::Conn(c) => c,
        }
    }
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
    /// The sqlx driver.
    type Db: sqlx::Database;
    /// A result row.
    type Row: SqlRow + Send + Sync;

    /// The backend's name in errors.
    const NAME: &'static str;
    /// Appended to a `SELECT` of a row that is about to be updated:
    /// ` FOR UPDATE` where the database locks rows; empty where a write
    /// locks the whole database.
    const FOR_UPDATE: &'static str;
    /// The statements that delete a workspace with everything in it, `$1`
    /// its id, run in one transaction acting as its owner (PostgreSQL:
    /// one `SECURITY DEFINER` function that also clears the append-only
    /// audit log; SQLite: the tables without a cascading foreign key, then
    /// the workspace row, whose foreign keys cascade).
    const PURGE_WORKSPACE: &'static [&'static str];
    /// Deletes the audit records of workspace `$1` from `$2` or earlier,
    /// returning one row per record deleted (PostgreSQL: a `SECURITY
    /// DEFINER` function, the log being append-only for the runtime role).
    const EXPIRE_AUDIT: &'static str;
    /// As [`EXPIRE_AUDIT`](Self::EXPIRE_AUDIT), for the access log, at
    /// most `$3` records (the oldest).
    const EXPIRE_ACCESS: &'static str;
    /// A condition true when the `resources` column (16-byte ids,
    /// concatenated) holds the bytes of the placeholder `{}` (`$n`).
    const RESOURCES_HOLD: &'static str;
    /// Whether the job queue goes through the database's functions
    /// (`closeq_job_enqueue`, `closeq_job_lease`, `closeq_job_settle`: the
    /// runtime role has no direct access to other workspaces' jobs) rather
    /// than plain statements.
    const JOB_FUNCTIONS: bool;

    /// Starts an operation acting as `acting` that `writes` or only reads.
    fn begin<'p>(
        pool: &'p sqlx::Pool<Self::Db>,
        acting: &Acting<'_>,
        writes: bool,
    ) -> impl Future<Output = Result<Session<'p, Self::Db>, sqlx::Error>> + Send;

    /// The values of the settings Row-Level Security reads for `acting`
    /// (PostgreSQL: `closeq.workspace_id`, `closeq.user_id`,
    /// `closeq.role`, `closeq.team_ids`, `closeq.lookup_hash`; SQLite:
    /// none), for a statement that sets them itself.
    fn scope_settings(acting: &Acting<'_>) -> [String; 5] {
        let _ = acting;
        Default::default()
    }

    /// Switches an open transaction to act as `acting` (PostgreSQL: the
    /// settings Row-Level Security reads; SQLite: nothing to do).
    fn act_as(
        conn: &mut <Self::Db as Database>::Connection,
        acting: &Acting<'_>,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// Runs a statement; the number of rows it changed.
    fn execute(
        conn: &mut <Self::Db as Database>::Connection,
        sql: Sql,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;

    /// Runs a query; every row.
    fn fetch_all(
        conn: &mut <Self::Db as Database>::Connection,
        sql: Sql,
    ) -> impl Future<Output = Result<Vec<Self::Row>, sqlx::Error>> + Send;

    /// After an erasure, removes the copies of deleted rows the database
    /// keeps in its own files where the store can (SQLite: the write-ahead
    /// log); see [`CallStore::checkpoint_erasure`].
    ///
    /// [`CallStore::checkpoint_erasure`]: closeq_core::ports::CallStore::checkpoint_erasure
    fn checkpoint_erasure(
        pool: &sqlx::Pool<Self::Db>,
    ) -> impl Future<Output = closeq_core::Result<()>> + Send;

    /// Whether retrying may help (a lock, a serialization failure).
    fn retryable(e: &dyn DatabaseError) -> bool;

    /// Whether a row-level policy refused the row.
    fn refused_by_policy(e: &dyn DatabaseError) -> bool;

    /// The constraint (or `table.column`) the error names.
    fn constraint(e: &dyn DatabaseError) -> Option<String>;
}

/// A dialect's `query(&Sql)`: the statement with its arguments bound, ids
/// and times as the database stores them, everything else as it is.
macro_rules! bind_args {
    ($db:ty, $args:ty, id: |$u:ident| $id:expr, time: |$t:ident| $time:expr $(,)?) => {
        fn query(sql: &Sql) -> sqlx::query::Query<'_, $db, $args> {
            let mut q = sqlx::query(&sql.text);
            for a in &sql.args {
                q = match a {
                    Arg::Id(v) => q.bind(v.map(|$u| $id)),
                    Arg::Time($t) => q.bind($time),
                    Arg::OptTime(v) => q.bind(v.as_ref().map(|$t| $time)),
                    Arg::Text(v) => q.bind(v.as_deref()),
                    Arg::Int(v) => q.bind(*v),
                    Arg::OptInt(v) => q.bind(*v),
                    Arg::Float(v) => q.bind(*v),
                    Arg::Bool(v) => q.bind(*v),
                    Arg::Bytes(v) => q.bind(v.as_slice()),
                };
            }
            q
        }
    };
}
pub(crate) use bind_args;

/// [`Dialect::execute`] and [`Dialect::fetch_all`] for a dialect whose
/// `query(&Sql)` binds the arguments: the same two sqlx calls, written
/// per driver because sqlx's executor traits are.
macro_rules! run_bound_queries {
    ($db:ty, $row:ty) => {
        async fn execute(
            conn: &mut <$db as sqlx::Database>::Connection,
            sql: Sql,
        ) -> Result<u64, sqlx::Error> {
            Ok(query(&sql).execute(conn).await?.rows_affected())
        }

        async fn fetch_all(
            conn: &mut <$db as sqlx::Database>::Connection,
            sql: Sql,
        ) -> Result<Vec<$row>, sqlx::Error> {
            query(&sql).fetch_all(conn).await
        }
    };
}
pub(crate) use run_bound_queries;

//! SQLite: the embedded default. WAL journal, foreign keys on, migrations
//! embedded and applied on open; the access policy enforced in the queries.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use closeq_core::{Error, Result};
use sqlx::error::DatabaseError;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, Sqlite};
use uuid::Uuid;

use crate::sql::{
    Acting, Arg, Dialect, Session, Sql, SqlRow, SqlStore, bind_args, from_migrate, from_sqlx,
    run_bound_queries, sealed,
};
use crate::subject_index::SubjectHasher;

/// SQLite as the shared store's backend: ids as hyphenated text, times as
/// microseconds since the epoch, one writer at a time.
#[derive(Debug, Clone, Copy)]
pub struct SqliteDialect;

/// Calls and workspaces in a SQLite database file.
pub type SqliteStore = SqlStore<SqliteDialect>;

/// The job queue in a SQLite database file (one process: SQLite has one
/// writer at a time).
pub type SqliteJobQueue = crate::sql::SqlJobQueue<SqliteDialect>;

impl sealed::Sealed for SqliteDialect {}

bind_args!(
    Sqlite,
    SqliteArguments<'_>,
    id: |u| u.hyphenated().to_string(),
    time: |t| t.timestamp_micros(),
);

impl Dialect for SqliteDialect {
    type Db = Sqlite;
    type Row = SqliteRow;

    const NAME: &'static str = "sqlite";
    // A write transaction holds the database's write lock from its start
    // (`BEGIN IMMEDIATE`): what it reads cannot change before it writes.
    const FOR_UPDATE: &'static str = "";
    const PURGE_WORKSPACE: &'static [&'static str] = &[
        "DELETE FROM jobs WHERE workspace_id = $1",
        "DELETE FROM audit_records WHERE workspace_id = $1",
        "DELETE FROM access_records WHERE workspace_id = $1",
        "DELETE FROM daily_verdicts WHERE workspace_id = $1",
        "DELETE FROM daily_stats WHERE workspace_id = $1",
        "DELETE FROM review_events WHERE workspace_id = $1",
        "DELETE FROM calls WHERE workspace_id = $1",
        "DELETE FROM workspaces WHERE id = $1",
    ];
    const EXPIRE_AUDIT: &'static str =
        "DELETE FROM audit_records WHERE workspace_id = $1 AND at <= $2 RETURNING seq";
    const EXPIRE_ACCESS: &'static str = "DELETE FROM access_records WHERE seq IN \
        (SELECT seq FROM access_records WHERE workspace_id = $1 AND at <= $2 ORDER BY seq LIMIT $3) \
        RETURNING seq";
    const RESOURCES_HOLD: &'static str = "instr(resources, {}) > 0";
    const JOB_FUNCTIONS: bool = false;

    async fn begin<'p>(
        pool: &'p SqlitePool,
        _acting: &Acting<'_>,
        writes: bool,
    ) -> Result<Session<'p, Sqlite>, sqlx::Error> {
        Ok(if writes {
            Session::Tx(pool.begin_with("BEGIN IMMEDIATE").await?)
        } else {
            Session::Conn(pool.acquire().await?)
        })
    }

    async fn act_as(_: &mut sqlx::SqliteConnection, _: &Acting<'_>) -> Result<(), sqlx::Error> {
        Ok(())
    }

    run_bound_queries!(Sqlite, SqliteRow);

    async fn checkpoint_erasure(pool: &SqlitePool) -> Result<()> {
        let row: (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(pool)
            .await
            .map_err(|e| from_sqlx::<SqliteDialect>("checkpoint", e))?;
        if row.0 != 0 {
            return Err(Error::storage(
                SqliteDialect::NAME,
                "checkpoint",
                "the write-ahead log is busy; retry the checkpoint",
                true,
            ));
        }
        Ok(())
    }

    fn retryable(e: &dyn DatabaseError) -> bool {
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
        let code: i64 = e.code().and_then(|c| c.parse().ok()).unwrap_or(0);
        matches!(code & 0xff, 5 | 6)
    }

    fn refused_by_policy(_: &dyn DatabaseError) -> bool {
        false
    }

    fn constraint(e: &dyn DatabaseError) -> Option<String> {
        // "UNIQUE constraint failed: calls.id": the schema names only.
        e.message()
            .split_once("constraint failed: ")
            .map(|(_, names)| names.to_owned())
    }
}

/// SQLite is dynamically typed: numbers are read whatever their storage
/// class (an integral `SUM` of a `REAL` column is an integer).
impl SqlRow for SqliteRow {
    fn text(&self, i: usize) -> Result<&str> {
        self.try_get(i).map_err(decode)
    }
    fn opt_text(&self, i: usize) -> Result<Option<&str>> {
        self.try_get::<Option<&str>, _>(i).map_err(decode)
    }
    fn int(&self, i: usize) -> Result<i64> {
        self.try_get_unchecked(i).map_err(decode)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        self.try_get_unchecked(i).map_err(decode)
    }
    fn float(&self, i: usize) -> Result<f64> {
        self.try_get_unchecked(i).map_err(decode)
    }
    fn opt_float(&self, i: usize) -> Result<Option<f64>> {
        self.try_get_unchecked(i).map_err(decode)
    }
    fn flag(&self, i: usize) -> Result<bool> {
        self.try_get(i).map_err(decode)
    }
    fn id(&self, i: usize) -> Result<Uuid> {
        parse_id(self.try_get(i).map_err(decode)?)
    }
    fn opt_id(&self, i: usize) -> Result<Option<Uuid>> {
        self.try_get::<Option<&str>, _>(i)
            .map_err(decode)?
            .map(parse_id)
            .transpose()
    }
    fn time(&self, i: usize) -> Result<DateTime<Utc>> {
        let micros: i64 = self.try_get(i).map_err(decode)?;
        DateTime::from_timestamp_micros(micros)
            .ok_or_else(|| corrupt("a stored time is out of range"))
    }
    fn opt_time(&self, i: usize) -> Result<Option<DateTime<Utc>>> {
        self.try_get::<Option<i64>, _>(i)
            .map_err(decode)?
            .map(|micros| {
                DateTime::from_timestamp_micros(micros)
                    .ok_or_else(|| corrupt("a stored time is out of range"))
            })
            .transpose()
    }
    fn bytes(&self, i: usize) -> Result<&[u8]> {
        self.try_get(i).map_err(decode)
    }
    fn opt_bytes(&self, i: usize) -> Result<Option<&[u8]>> {
        self.try_get::<Option<&[u8]>, _>(i).map_err(decode)
    }
}

fn decode(e: sqlx::Error) -> Error {
    from_sqlx::<SqliteDialect>("decode", e)
}

fn corrupt(reason: &'static str) -> Error {
    Error::storage(SqliteDialect::NAME, "decode", reason, false)
}

fn parse_id(s: &str) -> Result<Uuid> {
    Uuid::try_parse(s).map_err(|_| corrupt("a stored id is not a UUID"))
}

impl SqlStore<SqliteDialect> {
    /// Opens (creating if needed) the database at `path` and applies migrations.
    pub async fn open(path: impl AsRef<Path>, hasher: SubjectHasher) -> Result<Self> {
        let opts = SqliteConnectOptions::new()
            .filename(path.as_ref())
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // Erased rows are overwritten with zeros, not left in free pages.
            .pragma("secure_delete", "ON")
            .busy_timeout(Duration::from_secs(10));
        Self::connect(opts, 8, hasher).await
    }

    /// A private in-memory database (one connection), for tests.
    pub async fn open_in_memory(hasher: SubjectHasher) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(|e| from_sqlx::<SqliteDialect>("open", e))?
            .foreign_keys(true)
            .pragma("secure_delete", "ON");
        Self::connect(opts, 1, hasher).await
    }

    async fn connect(opts: SqliteConnectOptions, max: u32, hasher: SubjectHasher) -> Result<Self> {
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            .connect_with(opts)
            .await
            .map_err(|e| from_sqlx::<SqliteDialect>("open", e))?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(from_migrate::<SqliteDialect>)?;
        Ok(Self::with_pool(pool, hasher))
    }

    /// Copies the write-ahead log into the database file and truncates it
    /// (as [`CallStore::checkpoint_erasure`]). Run it after an erasure:
    /// until then the WAL still holds the old pages, personal data included
    /// (`secure_delete` zeroes freed pages of the main file only).
    ///
    /// [`CallStore::checkpoint_erasure`]: closeq_core::ports::CallStore::checkpoint_erasure
    pub async fn checkpoint(&self) -> Result<()> {
        SqliteDialect::checkpoint_erasure(self.pool()).await
    }
}

//! SQLite: the embedded default. WAL journal, foreign keys on, migrations
//! embedded and applied on open; the access policy enforced in the queries.

pub(crate) mod calls;
mod privacy;
pub(crate) mod rollup;
mod workspaces;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use closeq_core::{Error, Result};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::subject_index::SubjectHasher;

pub(crate) const BACKEND: &str = "sqlite";

/// Calls and workspaces in a SQLite database file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    hasher: SubjectHasher,
}

pub(crate) fn map_err(e: sqlx::Error) -> Error {
    match &e {
        sqlx::Error::Database(db) => {
            let msg = db.message();
            if db.is_unique_violation() || msg.contains("UNIQUE") {
                Error::AlreadyExists {
                    resource: "record",
                    id: "(duplicate key)".into(),
                }
            } else if db.is_foreign_key_violation() || msg.contains("FOREIGN KEY") {
                Error::NotFound {
                    resource: "parent record",
                    id: "(foreign key)".into(),
                }
            } else {
                let busy = msg.contains("locked") || msg.contains("busy");
                Error::Storage {
                    backend: BACKEND,
                    reason: format!("database error {}", db.code().unwrap_or_default()).into(),
                    retryable: busy,
                }
            }
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) => Error::Storage {
            backend: BACKEND,
            reason: "connection unavailable".into(),
            retryable: true,
        },
        _ => Error::Storage {
            backend: BACKEND,
            reason: "query failed".into(),
            retryable: false,
        },
    }
}

impl SqliteStore {
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
            .map_err(map_err)?
            .foreign_keys(true)
            .pragma("secure_delete", "ON");
        Self::connect(opts, 1, hasher).await
    }

    async fn connect(opts: SqliteConnectOptions, max: u32, hasher: SubjectHasher) -> Result<Self> {
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            .connect_with(opts)
            .await
            .map_err(map_err)?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|_| Error::Storage {
                backend: BACKEND,
                reason: "migration failed".into(),
                retryable: false,
            })?;
        Ok(Self { pool, hasher })
    }

    pub(crate) fn hasher(&self) -> &SubjectHasher {
        &self.hasher
    }

    /// Copies the write-ahead log into the database file and truncates it.
    /// Run it after an erasure: until then the WAL still holds the old
    /// pages, personal data included (`secure_delete` zeroes freed pages of
    /// the main file only).
    pub async fn checkpoint(&self) -> Result<()> {
        let row: (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        if row.0 != 0 {
            return Err(Error::Storage {
                backend: BACKEND,
                reason: "the write-ahead log is busy; retry the checkpoint".into(),
                retryable: true,
            });
        }
        Ok(())
    }

    /// The connection pool (for embedders' own queries and the privacy engine).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

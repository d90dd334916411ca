//! One store for SQLite and PostgreSQL: [`SqlStore`], generic over a small
//! sealed [`Dialect`] that holds what differs for a reason (the driver, how
//! ids and times bind, row locks, how a transaction begins, what an error
//! means). The queries are written once, with `$n` placeholders,
//! `ON CONFLICT` and row values, which both databases read.
//!
//! Every method runs in one transaction begun with the acting scope. The
//! visibility rule is part of every call query ([`visibility`]); on
//! PostgreSQL, Row-Level Security applies it a first time, in the database.

mod access_log;
mod advance;
mod aggregate;
mod calls;
mod dialect;
mod error;
mod ingest;
mod jobs;
mod key_check;
mod own_account;
mod privacy;
mod query;
mod rollup;
mod visibility;
mod workspaces;

use std::marker::PhantomData;

use closeq_core::Result;
use serde::de::DeserializeOwned;

pub(crate) use dialect::sealed;
pub use dialect::{Acting, Dialect, Session};
pub(crate) use dialect::{bind_args, run_bound_queries};
pub(crate) use error::{dup, dup_card, from_migrate, from_sqlx};
pub use jobs::SqlJobQueue;
pub use query::{Arg, Sql, SqlRow};
pub(crate) use query::{ROWS_PER_INSERT, value_rows};

use crate::codec::from_json;
use crate::subject_index::SubjectHasher;

/// The calls, workspaces and privacy records of CloseQ in a SQL database;
/// used as [`SqliteStore`](crate::SqliteStore) and
/// [`PostgresStore`](crate::PostgresStore).
#[derive(Debug)]
pub struct SqlStore<D: Dialect> {
    pool: sqlx::Pool<D::Db>,
    hasher: SubjectHasher,
    dialect: PhantomData<D>,
}

impl<D: Dialect> Clone for SqlStore<D> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            hasher: self.hasher.clone(),
            dialect: PhantomData,
        }
    }
}

impl<D: Dialect> SqlStore<D> {
    pub(crate) fn with_pool(pool: sqlx::Pool<D::Db>, hasher: SubjectHasher) -> Self {
        Self {
            pool,
            hasher,
            dialect: PhantomData,
        }
    }

    /// The connection pool (for embedders' own queries and the privacy
    /// engine).
    pub fn pool(&self) -> &sqlx::Pool<D::Db> {
        &self.pool
    }

    pub(crate) fn hasher(&self) -> &SubjectHasher {
        &self.hasher
    }

    /// Begins `operation`, which writes, acting as `acting` (a [`Scope`]
    /// or an [`Acting`]): a transaction.
    pub(crate) async fn begin<'a>(
        &self,
        operation: &'static str,
        acting: impl Into<Acting<'a>>,
    ) -> Result<Tx<'_, D>> {
        self.start(operation, &acting.into(), true).await
    }

    /// Begins `operation`, which only reads (see [`Session`]).
    pub(crate) async fn read<'a>(
        &self,
        operation: &'static str,
        acting: impl Into<Acting<'a>>,
    ) -> Result<Tx<'_, D>> {
        self.start(operation, &acting.into(), false).await
    }

    async fn start(
        &self,
        operation: &'static str,
        acting: &Acting<'_>,
        writes: bool,
    ) -> Result<Tx<'_, D>> {
        let tx = D::begin(&self.pool, acting, writes)
            .await
            .map_err(|e| error::from_sqlx::<D>(operation, e))?;
        Ok(Tx { tx, operation })
    }

    /// `operation` as one statement in its own transaction; the number of
    /// rows it changed.
    pub(crate) async fn exec<'a>(
        &self,
        operation: &'static str,
        acting: impl Into<Acting<'a>>,
        sql: Sql,
    ) -> Result<u64> {
        let mut tx = self.begin(operation, acting).await?;
        let n = tx.exec(sql).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// `operation` as one query for a record (see [`Tx::doc`]).
    pub(crate) async fn doc<'a, T: DeserializeOwned>(
        &self,
        operation: &'static str,
        acting: impl Into<Acting<'a>>,
        sql: Sql,
    ) -> Result<Option<T>> {
        self.read(operation, acting).await?.doc(sql).await
    }

    /// `operation` as one query for records (see [`Tx::docs`]).
    pub(crate) async fn docs<'a, T: DeserializeOwned>(
        &self,
        operation: &'static str,
        acting: impl Into<Acting<'a>>,
        sql: Sql,
    ) -> Result<Vec<T>> {
        self.read(operation, acting).await?.docs(sql).await
    }
}

/// A transaction of one store operation; its errors name the operation.
pub(crate) struct Tx<'p, D: Dialect> {
    tx: Session<'p, D::Db>,
    operation: &'static str,
}

impl<D: Dialect> Tx<'_, D> {
    /// Maps a driver error of this operation.
    fn failed(&self) -> impl FnOnce(sqlx::Error) -> closeq_core::Error + use<D> {
        let operation = self.operation;
        move |e| error::from_sqlx::<D>(operation, e)
    }

    /// Runs a statement; the number of rows it changed.
    pub(crate) async fn exec(&mut self, sql: Sql) -> Result<u64> {
        let failed = self.failed();
        D::execute(self.tx.conn(), sql).await.map_err(failed)
    }

    /// Every row of a query.
    pub(crate) async fn rows(&mut self, sql: Sql) -> Result<Vec<D::Row>> {
        let failed = self.failed();
        D::fetch_all(self.tx.conn(), sql).await.map_err(failed)
    }

    /// The first row of a query (written to return at most one), if any.
    pub(crate) async fn row(&mut self, sql: Sql) -> Result<Option<D::Row>> {
        Ok(self.rows(sql).await?.into_iter().next())
    }

    /// The record (a JSON document in the first column) of the first row.
    pub(crate) async fn doc<T: DeserializeOwned>(&mut self, sql: Sql) -> Result<Option<T>> {
        Ok(self.docs(sql).await?.into_iter().next())
    }

    /// The records (JSON documents in the first column) of every row.
    pub(crate) async fn docs<T: DeserializeOwned>(&mut self, sql: Sql) -> Result<Vec<T>> {
        self.rows(sql)
            .await?
            .iter()
            .map(|r| from_json(D::NAME, r.text(0)?))
            .collect()
    }

    /// Acts as `acting` from here on, in the same transaction.
    pub(crate) async fn act_as(&mut self, acting: &Acting<'_>) -> Result<()> {
        let failed = self.failed();
        D::act_as(self.tx.conn(), acting).await.map_err(failed)
    }

    /// Rolls back now. A transaction merely dropped is rolled back when
    /// its connection is next used, and keeps its row locks until then: a
    /// `SKIP LOCKED` lease would pass over the rows in the meantime.
    pub(crate) async fn rollback(self) -> Result<()> {
        let failed = self.failed();
        match self.tx {
            Session::Tx(tx) => tx.rollback().await.map_err(failed),
            Session::Conn(_) => Ok(()),
        }
    }

    /// Commits.
    pub(crate) async fn commit(self) -> Result<()> {
        let failed = self.failed();
        match self.tx {
            Session::Tx(tx) => tx.commit().await.map_err(failed),
            Session::Conn(_) => Ok(()),
        }
    }
}

/// `decode` of every row, in order, on up to as many threads as the
/// machine has cores when there are enough rows to be worth it; the first
/// error wins.
pub(crate) fn decode_parallel<R: Sync, T: Send>(
    rows: &[R],
    decode: impl Fn(&R) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    const PER_THREAD_MIN: usize = 512;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(rows.len() / PER_THREAD_MIN);
    if threads <= 1 {
        return rows.iter().map(&decode).collect();
    }
    let per = rows.len().div_ceil(threads);
    let decode = &decode;
    let parts: Vec<Result<Vec<T>>> = std::thread::scope(|s| {
        let handles: Vec<_> = rows
            .chunks(per)
            .map(|chunk| s.spawn(move || chunk.iter().map(decode).collect::<Result<Vec<T>>>()))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(closeq_core::Error::Internal {
                        reason: "a row decoder panicked".into(),
                    })
                })
            })
            .collect()
    });
    let mut out = Vec::with_capacity(rows.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

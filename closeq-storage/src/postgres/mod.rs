//! PostgreSQL with Row-Level Security (feature `store-postgres`).
//!
//! Tenant isolation is enforced twice: by the access policy in code, and by
//! the database itself. The application connects as a *runtime role* that
//! is neither superuser, table owner nor BYPASSRLS — [`PostgresStore::connect`]
//! checks this and refuses otherwise. Migrations run separately, as the
//! owner role ([`PostgresStore::migrate`]). Every table with a workspace
//! column has RLS enabled and forced, a RESTRICTIVE tenant policy and
//! role-visibility policies with `WITH CHECK` on writes. The scope is set per
//! transaction with `set_config(..., true)`, so a pooled connection never
//! carries a tenant over; with no scope set, queries return no rows.

pub(crate) mod calls;
mod privacy;
pub(crate) mod rollup;
mod workspaces;

use closeq_core::{Error, Result, Scope, WorkspaceId};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Row, Transaction};

use crate::subject_index::SubjectHasher;

pub(crate) const BACKEND: &str = "postgres";

/// Calls and workspaces in PostgreSQL, under Row-Level Security.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    hasher: SubjectHasher,
}

pub(crate) fn map_err(e: sqlx::Error) -> Error {
    match &e {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            match code.as_str() {
                "23505" => Error::AlreadyExists {
                    resource: "record",
                    id: "(duplicate key)".into(),
                },
                "23503" => Error::NotFound {
                    resource: "parent record",
                    id: "(foreign key)".into(),
                },
                "42501" => Error::Forbidden {
                    action: "write".into(),
                    reason: "refused by row-level security".into(),
                },
                "40001" | "40P01" | "55P03" => Error::Storage {
                    backend: BACKEND,
                    reason: format!("transient database error {code}").into(),
                    retryable: true,
                },
                _ => Error::Storage {
                    backend: BACKEND,
                    reason: format!("database error {code}").into(),
                    retryable: false,
                },
            }
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
            Error::Storage {
                backend: BACKEND,
                reason: "connection unavailable".into(),
                retryable: true,
            }
        }
        _ => Error::Storage {
            backend: BACKEND,
            reason: "query failed".into(),
            retryable: false,
        },
    }
}

/// What the store sets as the transaction's scope.
pub(crate) struct PgScope {
    workspace: String,
    user: String,
    role: &'static str,
    teams: String,
    lookup_hash: String,
}

impl PgScope {
    pub(crate) fn of(scope: &Scope) -> Self {
        Self {
            workspace: scope.workspace_id.to_string(),
            user: scope.user_id.to_string(),
            role: scope.role.as_str(),
            teams: scope
                .team_ids
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(","),
            lookup_hash: String::new(),
        }
    }

    /// CloseQ itself acting inside one workspace (key bookkeeping).
    pub(crate) fn system(ws: WorkspaceId) -> Self {
        Self {
            workspace: ws.to_string(),
            user: String::new(),
            role: "system",
            teams: String::new(),
            lookup_hash: String::new(),
        }
    }

    /// No workspace: only rows whose secret hash is presented are visible.
    pub(crate) fn lookup(hash: &[u8; 32]) -> Self {
        Self {
            workspace: String::new(),
            user: String::new(),
            role: "",
            teams: String::new(),
            lookup_hash: hex::encode(hash),
        }
    }
}

impl PostgresStore {
    /// Connects as the runtime role at `url` and verifies that role: not a
    /// superuser, no BYPASSRLS, owner of no table. Refuses otherwise.
    pub async fn connect(url: &str, hasher: SubjectHasher) -> Result<Self> {
        Self::connect_with(url, 8, hasher).await
    }

    /// As [`PostgresStore::connect`], with a pool of `max_connections`.
    pub async fn connect_with(
        url: &str,
        max_connections: u32,
        hasher: SubjectHasher,
    ) -> Result<Self> {
        let opts: PgConnectOptions = url
            .parse()
            .map_err(|_| Error::invalid("database_url", "not a PostgreSQL connection URL"))?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .connect_with(opts)
            .await
            .map_err(|e| match map_err(e) {
                Error::Storage { .. } => Error::Unavailable {
                    service: "postgres".into(),
                    reason: "cannot connect".into(),
                },
                other => other,
            })?;
        let row = sqlx::query(
            "SELECT r.rolsuper, r.rolbypassrls, \
             (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
              WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname = current_schema() AND c.relowner = r.oid) \
             FROM pg_roles r WHERE r.rolname = current_user",
        )
        .fetch_one(&pool)
        .await
        .map_err(map_err)?;
        let (sup, bypass, owned): (bool, bool, i64) = (row.get(0), row.get(1), row.get(2));
        if sup || bypass || owned > 0 {
            return Err(Error::Compliance {
                rule: "row-level security".into(),
                reason: "the runtime role must not be a superuser, have BYPASSRLS or own tables; connect as the runtime role and run migrations as the owner role".into(),
            });
        }
        Ok(Self { pool, hasher })
    }

    /// Runs the migrations as the owner role at `owner_url`, and grants the
    /// runtime role `runtime_role` the data privileges it needs (nothing
    /// more: no ownership, no DDL).
    pub async fn migrate(owner_url: &str, runtime_role: &str) -> Result<()> {
        if runtime_role.is_empty()
            || !runtime_role
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(Error::invalid("runtime_role", "must be a plain role name"));
        }
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect(owner_url)
            .await
            .map_err(|_| Error::Unavailable {
                service: "postgres".into(),
                reason: "cannot connect as the owner role".into(),
            })?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|_| Error::Storage {
                backend: BACKEND,
                reason: "migration failed".into(),
                retryable: false,
            })?;
        for sql in [
            format!("GRANT USAGE ON SCHEMA public TO {runtime_role}"),
            format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {runtime_role}"
            ),
            format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {runtime_role}"),
            format!("REVOKE ALL ON _sqlx_migrations FROM {runtime_role}"),
            format!("REVOKE UPDATE, DELETE, TRUNCATE ON audit_records FROM {runtime_role}"),
        ] {
            sqlx::query(&sql).execute(&pool).await.map_err(map_err)?;
        }
        pool.close().await;
        Ok(())
    }

    pub(crate) fn hasher(&self) -> &SubjectHasher {
        &self.hasher
    }

    /// The connection pool (runtime role).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub(crate) async fn begin(&self, scope: &PgScope) -> Result<Transaction<'_, Postgres>> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query(
            "SELECT set_config('closeq.workspace_id', $1, true), set_config('closeq.user_id', $2, true), \
             set_config('closeq.role', $3, true), set_config('closeq.team_ids', $4, true), \
             set_config('closeq.lookup_hash', $5, true)",
        )
        .bind(&scope.workspace)
        .bind(&scope.user)
        .bind(scope.role)
        .bind(&scope.teams)
        .bind(&scope.lookup_hash)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        Ok(tx)
    }

    pub(crate) async fn begin_scope(&self, scope: &Scope) -> Result<Transaction<'_, Postgres>> {
        self.begin(&PgScope::of(scope)).await
    }
}

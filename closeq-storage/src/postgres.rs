//! PostgreSQL with Row-Level Security (feature `store-postgres`).
//!
//! Tenant isolation is enforced twice: by the database itself, and by the
//! access policy in the store's queries and code. The application connects
//! as a *runtime role* that is neither superuser, table owner nor BYPASSRLS
//! — [`PostgresStore::connect`] checks this and refuses otherwise.
//! Migrations run separately, as the owner role ([`PostgresStore::migrate`]).
//! Every table with a workspace column has RLS enabled and forced, a
//! RESTRICTIVE tenant policy and role-visibility policies with `WITH CHECK`
//! on writes. The scope is set per transaction with `set_config(..., true)`,
//! so a pooled connection never carries a tenant over; with no scope set,
//! queries return no rows.

use chrono::{DateTime, Utc};
use closeq_core::{Error, Result};
use sqlx::error::DatabaseError;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Postgres, Row};
use uuid::Uuid;

use crate::sql::{
    Acting, Arg, Dialect, Session, Sql, SqlRow, SqlStore, bind_args, from_migrate, from_sqlx,
    run_bound_queries, sealed,
};
use crate::subject_index::SubjectHasher;

/// PostgreSQL as the shared store's backend: native `uuid` and
/// `timestamptz`, row locks, and the scope set in every transaction for
/// Row-Level Security.
#[derive(Debug, Clone, Copy)]
pub struct PostgresDialect;

/// Calls and workspaces in PostgreSQL, under Row-Level Security.
pub type PostgresStore = SqlStore<PostgresDialect>;

impl sealed::Sealed for PostgresDialect {}

bind_args!(Postgres, PgArguments, id: |u| u, time: |t| *t);

/// The settings the policies read (see `migrations/postgres/0001_init.sql`).
fn settings(acting: &Acting<'_>) -> [String; 5] {
    let none = String::new;
    match acting {
        Acting::Scope(s) => {
            let teams: Vec<String> = s.team_ids.iter().map(ToString::to_string).collect();
            let (ws, user, role) = (s.workspace_id, s.user_id, s.role.as_str());
            [
                ws.to_string(),
                user.to_string(),
                role.into(),
                teams.join(","),
                none(),
            ]
        }
        Acting::System(ws) => [ws.to_string(), none(), "system".into(), none(), none()],
        Acting::Lookup(hash) => [none(), none(), none(), none(), hex::encode(hash)],
    }
}

impl Dialect for PostgresDialect {
    type Db = Postgres;
    type Row = PgRow;

    const NAME: &'static str = "postgres";
    const FOR_UPDATE: &'static str = " FOR UPDATE";

    async fn begin<'p>(
        pool: &'p PgPool,
        acting: &Acting<'_>,
        _writes: bool,
    ) -> Result<Session<'p, Postgres>, sqlx::Error> {
        // Reads too: the scope lives in the transaction.
        let [workspace, user, role, teams, lookup] = settings(acting);
        let mut tx = pool.begin().await?;
        sqlx::query(
            "SELECT set_config('closeq.workspace_id', $1, true), set_config('closeq.user_id', $2, true), \
             set_config('closeq.role', $3, true), set_config('closeq.team_ids', $4, true), \
             set_config('closeq.lookup_hash', $5, true)",
        )
        .bind(workspace)
        .bind(user)
        .bind(role)
        .bind(teams)
        .bind(lookup)
        .execute(&mut *tx)
        .await?;
        Ok(Session::Tx(tx))
    }

    run_bound_queries!(Postgres, PgRow);

    async fn checkpoint_erasure(_: &PgPool) -> Result<()> {
        // Old row versions stay until VACUUM, which the database's owner
        // runs; the runtime role cannot.
        Ok(())
    }

    fn retryable(e: &dyn DatabaseError) -> bool {
        // serialization_failure, deadlock_detected, lock_not_available.
        matches!(e.code().as_deref(), Some("40001" | "40P01" | "55P03"))
    }

    fn refused_by_policy(e: &dyn DatabaseError) -> bool {
        // insufficient_privilege: a row Row-Level Security refuses.
        e.code().as_deref() == Some("42501")
    }

    fn constraint(e: &dyn DatabaseError) -> Option<String> {
        e.constraint().map(str::to_owned)
    }
}

/// PostgreSQL columns have the types the store reads: each accessor is a
/// plain typed read.
macro_rules! typed_reads {
    ($($name:ident -> $t:ty),* $(,)?) => {$(
        fn $name(&self, i: usize) -> Result<$t> {
            self.try_get(i).map_err(decode)
        }
    )*};
}

impl SqlRow for PgRow {
    typed_reads!(
        text -> &str,
        int -> i64,
        float -> f64,
        opt_float -> Option<f64>,
        flag -> bool,
        id -> Uuid,
        opt_id -> Option<Uuid>,
        time -> DateTime<Utc>,
    );
}

fn decode(e: sqlx::Error) -> Error {
    from_sqlx::<PostgresDialect>("decode", e)
}

impl SqlStore<PostgresDialect> {
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
            .map_err(|e| match from_sqlx::<PostgresDialect>("connect", e) {
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
        .map_err(|e| from_sqlx::<PostgresDialect>("connect", e))?;
        let (sup, bypass, owned): (bool, bool, i64) = (row.get(0), row.get(1), row.get(2));
        if sup || bypass || owned > 0 {
            return Err(Error::Compliance {
                rule: "row-level security".into(),
                reason: "the runtime role must not be a superuser, have BYPASSRLS or own tables; connect as the runtime role and run migrations as the owner role".into(),
            });
        }
        Ok(Self::with_pool(pool, hasher))
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
        let failed = |e: sqlx::Error| from_sqlx::<PostgresDialect>("migrate", e);
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(from_migrate::<PostgresDialect>)?;
        for sql in [
            format!("GRANT USAGE ON SCHEMA public TO {runtime_role}"),
            format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {runtime_role}"
            ),
            format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {runtime_role}"),
            format!("REVOKE ALL ON _sqlx_migrations FROM {runtime_role}"),
            format!("REVOKE UPDATE, DELETE, TRUNCATE ON audit_records FROM {runtime_role}"),
        ] {
            sqlx::query(&sql).execute(&pool).await.map_err(failed)?;
        }
        pool.close().await;
        Ok(())
    }
}

//! PostgreSQL with Row-Level Security (feature `store-postgres`).
//!
//! Tenant isolation is enforced twice: by the database itself, and by the
//! access policy in the store's queries and code. The application connects
//! as a *runtime role* that is neither superuser, table owner nor BYPASSRLS,
//! and cannot create objects in `public` — [`PostgresStore::connect`]
//! checks this and refuses otherwise.
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

/// The job queue in PostgreSQL: `FOR UPDATE SKIP LOCKED` leases for many
/// workers, Row-Level Security for the runtime role.
pub type PostgresJobQueue = crate::sql::SqlJobQueue<PostgresDialect>;

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
        Acting::Worker => [none(), none(), none(), none(), none()],
        Acting::Lookup(hash) => [none(), none(), none(), none(), hex::encode(hash)],
        Acting::Holder { workspace, hash } => [
            workspace.to_string(),
            none(),
            "holder".into(),
            none(),
            hex::encode(hash),
        ],
    }
}

impl Dialect for PostgresDialect {
    type Db = Postgres;
    type Row = PgRow;

    const NAME: &'static str = "postgres";
    const FOR_UPDATE: &'static str = " FOR UPDATE";
    const PURGE_WORKSPACE: &'static [&'static str] = &[
        "DELETE FROM jobs WHERE workspace_id = $1",
        "SELECT closeq_purge_workspace($1)",
    ];
    const EXPIRE_AUDIT: &'static str = "SELECT * FROM closeq_expire_audit($1, $2)";
    const EXPIRE_ACCESS: &'static str = "SELECT * FROM closeq_expire_access($1, $2, $3)";
    const RESOURCES_HOLD: &'static str = "position({} IN resources) > 0";
    const JOB_FUNCTIONS: bool = true;

    async fn begin<'p>(
        pool: &'p PgPool,
        acting: &Acting<'_>,
        _writes: bool,
    ) -> Result<Session<'p, Postgres>, sqlx::Error> {
        // A worker before it acts on a job runs one function call (lease or
        // settle), atomic on its own, with no scope: no transaction, no
        // settings (one round trip instead of four).
        if matches!(acting, Acting::Worker) {
            return Ok(Session::Conn(pool.acquire().await?));
        }
        // Reads too: the scope lives in the transaction. READ COMMITTED
        // whatever the server's default: the store's locks (`FOR UPDATE`,
        // the membership lock) rely on each statement seeing what was
        // committed before it, not a snapshot from the first statement.
        let mut tx = pool
            .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
            .await?;
        Self::act_as(&mut tx, acting).await?;
        Ok(Session::Tx(tx))
    }

    fn scope_settings(acting: &Acting<'_>) -> [String; 5] {
        settings(acting)
    }

    async fn act_as(conn: &mut sqlx::PgConnection, acting: &Acting<'_>) -> Result<(), sqlx::Error> {
        let [workspace, user, role, teams, lookup] = settings(acting);
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
        .execute(conn)
        .await?;
        Ok(())
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
        opt_text -> Option<&str>,
        int -> i64,
        opt_int -> Option<i64>,
        float -> f64,
        opt_float -> Option<f64>,
        flag -> bool,
        id -> Uuid,
        opt_id -> Option<Uuid>,
        time -> DateTime<Utc>,
        opt_time -> Option<DateTime<Utc>>,
        bytes -> &[u8],
        opt_bytes -> Option<&[u8]>,
    );
}

fn decode(e: sqlx::Error) -> Error {
    from_sqlx::<PostgresDialect>("decode", e)
}

impl SqlStore<PostgresDialect> {
    /// Connects as the runtime role at `url` and verifies that the role
    /// cannot lift Row-Level Security: it must not be, nor be a member
    /// (directly or through other roles, inheriting or not) of, a
    /// superuser, a BYPASSRLS or CREATEROLE role, or a role that owns a
    /// table — the owner role included, whose members can `SET ROLE` to it
    /// and switch RLS off — and that it (or a role it reaches) cannot create
    /// objects in schema `public`, where the owner's `SECURITY DEFINER`
    /// functions look names up (a planted function would run as the
    /// owner). Refuses otherwise with [`Error::Compliance`].
    ///
    /// The connection uses TLS as the URL's `sslmode` says (`disable`,
    /// `prefer` — the default —, `require`, `verify-ca`, `verify-full`),
    /// verified against the system's root certificates or the URL's
    /// `sslrootcert` file. A failed connection is
    /// [`Error::Unavailable`]; its reason says when TLS failed.
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
            .map_err(|e| unavailable(e, "cannot connect"))?;
        check_runtime_role(&pool).await?;
        Ok(Self::with_pool(pool, hasher))
    }

    /// Runs the migrations as the owner role at `owner_url`, and grants the
    /// runtime role `runtime_role` the data privileges it needs (nothing
    /// more: no ownership, no DDL); revokes CREATE on schema `public` from
    /// everyone but the owner. Errors: `InvalidInput` naming
    /// `runtime_role` for a name that is not a plain role (PUBLIC, a `pg_`
    /// role, a keyword).
    pub async fn migrate(owner_url: &str, runtime_role: &str) -> Result<()> {
        let reserved = runtime_role.eq_ignore_ascii_case("public")
            || runtime_role.to_ascii_lowercase().starts_with("pg_")
            || [
                "current_user",
                "current_role",
                "session_user",
                "user",
                "none",
            ]
            .iter()
            .any(|r| runtime_role.eq_ignore_ascii_case(r));
        if runtime_role.is_empty()
            || reserved
            || !runtime_role
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(Error::invalid(
                "runtime_role",
                "must be a plain role name, not PUBLIC, a pg_ role or a keyword",
            ));
        }
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect(owner_url)
            .await
            .map_err(|e| unavailable(e, "cannot connect as the owner role"))?;
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
            // The SECURITY DEFINER functions look names up in public: no
            // one but the owner may create there (a no-op, with a warning,
            // where the owner does not own the schema: `connect` refuses a
            // runtime role that still can).
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC".to_owned(),
            format!("REVOKE CREATE ON SCHEMA public FROM {runtime_role}"),
            format!("REVOKE UPDATE, DELETE, TRUNCATE ON audit_records FROM {runtime_role}"),
            format!("REVOKE UPDATE, DELETE, TRUNCATE ON access_records FROM {runtime_role}"),
            format!(
                "REVOKE SELECT, UPDATE, DELETE, TRUNCATE ON purge_receipts FROM {runtime_role}"
            ),
            format!("GRANT EXECUTE ON FUNCTION closeq_purge_workspace(uuid) TO {runtime_role}"),
            format!(
                "GRANT EXECUTE ON FUNCTION closeq_expire_audit(uuid, timestamptz) TO {runtime_role}"
            ),
            format!(
                "GRANT EXECUTE ON FUNCTION closeq_expire_access(uuid, timestamptz, bigint) TO {runtime_role}"
            ),
            format!(
                "GRANT EXECUTE ON FUNCTION closeq_job_enqueue(uuid, uuid, text, uuid, text, bigint, \
                 uuid, timestamptz, timestamptz, bigint) TO {runtime_role}"
            ),
            format!(
                "GRANT EXECUTE ON FUNCTION closeq_job_lease(text, timestamptz, timestamptz, text) \
                 TO {runtime_role}"
            ),
            format!(
                "GRANT EXECUTE ON FUNCTION closeq_job_settle(uuid, text, text, timestamptz, \
                 timestamptz, timestamptz, text) TO {runtime_role}"
            ),
            format!(
                "GRANT EXECUTE ON FUNCTION closeq_job_retry(uuid, uuid, timestamptz) TO {runtime_role}"
            ),
            format!("REVOKE INSERT, UPDATE, TRUNCATE ON jobs FROM {runtime_role}"),
            // The job functions' definer check names the owner (see
            // migration 0015): written again on every run, so a renamed
            // owner is one `migrate` away from a working queue.
            "DO $$ BEGIN EXECUTE format('CREATE OR REPLACE FUNCTION closeq_jobs_definer() \
             RETURNS boolean LANGUAGE sql STABLE AS %L', \
             format('SELECT current_user = %L::name', \
                    (SELECT pg_get_userbyid(c.relowner) FROM pg_class c \
                     WHERE c.oid = 'public.jobs'::regclass))); END $$"
                .to_owned(),
        ] {
            sqlx::query(&sql).execute(&pool).await.map_err(failed)?;
        }
        pool.close().await;
        Ok(())
    }
}

/// A failed connection as [`Error::Unavailable`]: `reason`, or why TLS
/// failed (never the URL, which may hold a password).
fn unavailable(e: sqlx::Error, reason: &'static str) -> Error {
    // The handshake's own failures (a certificate not trusted, a wrong
    // host) come back as I/O errors carrying rustls's error.
    let handshake = matches!(&e, sqlx::Error::Io(io)
        if io.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()));
    match e {
        _ if handshake => tls_failed(),
        sqlx::Error::Tls(_) => tls_failed(),
        e => match from_sqlx::<PostgresDialect>("connect", e) {
            Error::Storage { .. } => Error::Unavailable {
                service: "postgres".into(),
                reason: reason.into(),
            },
            other => other,
        },
    }
}

fn tls_failed() -> Error {
    Error::Unavailable {
        service: "postgres".into(),
        reason: "TLS failed: the server does not offer TLS, or its certificate is not \
                 trusted for this host (see sslmode and sslrootcert in the URL)"
            .into(),
    }
}

/// What a role can do that would lift Row-Level Security: read by
/// [`check_runtime_role`] and by `postgres_setup::check_database`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RolePowers {
    /// Whether the role exists.
    pub(crate) exists: bool,
    /// It is, or reaches, a superuser or BYPASSRLS role.
    pub(crate) bypass: bool,
    /// It is, or reaches, a role with CREATEROLE.
    pub(crate) createrole: bool,
    /// It owns a table, or reaches a role that does.
    pub(crate) owns: bool,
    /// It (or a role it reaches, or PUBLIC) may create in schema `public`.
    pub(crate) creates: bool,
}

/// The [`RolePowers`] of `role`, or of the connection's own role when
/// `None`. `pg_has_role(…, 'MEMBER')` is true for the role itself and for
/// every role it reaches by membership, directly or transitively, with or
/// without INHERIT (`SET ROLE` reaches them all).
pub(crate) async fn role_powers<'c, E>(
    conn: E,
    role: Option<&str>,
) -> Result<RolePowers, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = Postgres>,
{
    let row = sqlx::query(
        "WITH me AS (SELECT COALESCE($1::name, current_user) AS n) SELECT \
           EXISTS (SELECT 1 FROM pg_roles, me WHERE rolname = me.n), \
           EXISTS (SELECT 1 FROM pg_roles r, me WHERE pg_has_role(me.n, r.oid, 'MEMBER') \
                   AND (r.rolsuper OR r.rolbypassrls)), \
           EXISTS (SELECT 1 FROM pg_roles r, me WHERE pg_has_role(me.n, r.oid, 'MEMBER') \
                   AND r.rolcreaterole), \
           EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, me \
                   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') \
                   AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
                   AND n.nspname NOT LIKE 'pg\\_toast%' \
                   AND pg_has_role(me.n, c.relowner, 'MEMBER')), \
           EXISTS (SELECT 1 FROM pg_roles r, me WHERE pg_has_role(me.n, r.oid, 'MEMBER') \
                   AND has_schema_privilege(r.oid, 'public', 'CREATE'))",
    )
    .bind(role)
    .fetch_one(conn)
    .await?;
    Ok(RolePowers {
        exists: row.get(0),
        bypass: row.get(1),
        createrole: row.get(2),
        owns: row.get(3),
        creates: row.get(4),
    })
}

/// Refuses a runtime role that can lift Row-Level Security (see
/// [`PostgresStore::connect`]).
async fn check_runtime_role(pool: &PgPool) -> Result<()> {
    let RolePowers {
        bypass,
        createrole,
        owns: owner,
        creates,
        ..
    } = role_powers(pool, None)
        .await
        .map_err(|e| from_sqlx::<PostgresDialect>("connect", e))?;
    let why = if creates {
        "the runtime role may create objects in schema public, where the owner's SECURITY \
         DEFINER functions look names up: a planted function would run as the owner (run \
         `closeq db migrate`, which revokes CREATE there, or REVOKE CREATE ON SCHEMA public FROM PUBLIC)"
    } else if bypass {
        "the runtime role is, or is a member of, a superuser or BYPASSRLS role"
    } else if createrole {
        "the runtime role is, or is a member of, a role with CREATEROLE (it can grant itself the owner role)"
    } else if owner {
        "the runtime role owns tables or is a member of a role that does (the owner role can switch Row-Level Security off)"
    } else {
        return Ok(());
    };
    Err(Error::Compliance {
        rule: "row-level security".into(),
        reason: format!(
            "{why}; connect as a plain runtime role and run migrations as the owner role"
        )
        .into(),
    })
}

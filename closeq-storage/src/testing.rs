//! Test support for code built on these stores (feature `testing`).
//!
//! [`postgres_test_database`] gives a test binary a fresh PostgreSQL
//! database laid out as in production: owned by an owner role that ran the
//! migrations, used through a runtime role without `BYPASSRLS`, so the
//! suites run under Row-Level Security. The server comes from
//! `CLOSEQ_TEST_POSTGRES_URL` (a superuser URL); see
//! [`closeq_core::testing::required_service_url`] for what happens when it
//! is not set (a visible `SKIPPED` line, or a failure under `CI=true`).

use std::sync::OnceLock;

use closeq_core::testing::required_service_url;

/// The role that owns the test database and ran its migrations.
pub const OWNER_ROLE: &str = "closeq_owner";
/// The RLS-bound role the store connects as.
pub const RUNTIME_ROLE: &str = "closeq_app";

/// A migrated test database and the URLs of its roles.
#[derive(Debug)]
pub struct PostgresTestDatabase {
    /// The superuser on this database.
    pub admin_url: String,
    /// The owner role (migrations).
    pub owner_url: String,
    /// The runtime role (what `PostgresStore::connect` should get).
    pub runtime_url: String,
    /// The database's name (`closeq_t_<uuid>`).
    pub name: String,
}

/// `postgres://USER@HOST:PORT/DB` from a superuser URL.
pub fn url_for(admin_url: &str, user: &str, db: &str) -> String {
    let rest = admin_url.split_once("://").map_or(admin_url, |(_, r)| r);
    let hostpart = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let host = hostpart.split('/').next().unwrap_or(hostpart);
    format!("postgres://{user}@{host}/{db}")
}

/// The test binary's migrated database, created on first use; `None` when
/// PostgreSQL is not configured (and not required).
///
/// # Panics
/// When the server is configured but the set-up fails: a test must not
/// pass without the database it asked for.
#[allow(clippy::panic, clippy::expect_used)]
pub fn postgres_test_database() -> Option<&'static PostgresTestDatabase> {
    static DB: OnceLock<Option<PostgresTestDatabase>> = OnceLock::new();
    DB.get_or_init(|| {
        let admin = required_service_url("CLOSEQ_TEST_POSTGRES_URL")?;
        // Set-up runs on its own runtime: test runtimes come and go.
        let made = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("runtime: {e}"))?;
            rt.block_on(create(&admin))
        })
        .join()
        .unwrap_or_else(|_| Err("the set-up thread panicked".into()));
        match made {
            Ok(db) => Some(db),
            Err(e) => panic!("PostgreSQL test set-up failed: {e}"),
        }
    })
    .as_ref()
}

/// A new migrated database of the caller's own, on the same server and
/// roles as [`postgres_test_database`]: for tests that read the whole
/// database, such as the job queue's (workers lease across workspaces).
/// `None` when PostgreSQL is not configured (and not required).
///
/// # Panics
/// When the server is configured but the set-up fails.
#[allow(clippy::panic)]
pub async fn postgres_fresh_database() -> Option<PostgresTestDatabase> {
    let admin = required_service_url("CLOSEQ_TEST_POSTGRES_URL")?;
    match create(&admin).await {
        Ok(db) => Some(db),
        Err(e) => panic!("PostgreSQL test set-up failed: {e}"),
    }
}

async fn create(admin: &str) -> Result<PostgresTestDatabase, String> {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(admin)
        .await
        .map_err(|e| format!("connect as superuser: {e}"))?;
    for (role, extra) in [
        (OWNER_ROLE, ""),
        (
            RUNTIME_ROLE,
            " NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE",
        ),
    ] {
        let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_roles WHERE rolname = $1")
            .bind(role)
            .fetch_optional(&mut c)
            .await
            .map_err(|e| format!("look up role {role}: {e}"))?;
        if exists.is_none() {
            // Another test binary may create it at the same moment.
            if let Err(e) = sqlx::query(&format!("CREATE ROLE {role} LOGIN{extra}"))
                .execute(&mut c)
                .await
            {
                let raced = e
                    .as_database_error()
                    .and_then(|d| d.code())
                    .is_some_and(|code| code == "23505" || code == "42710");
                if !raced {
                    return Err(format!("create role {role}: {e}"));
                }
            }
        }
    }
    let name = format!("closeq_t_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name} OWNER {OWNER_ROLE}"))
        .execute(&mut c)
        .await
        .map_err(|e| format!("create database: {e}"))?;
    let owner_url = url_for(admin, OWNER_ROLE, &name);
    let runtime_url = url_for(admin, RUNTIME_ROLE, &name);
    crate::PostgresStore::migrate(&owner_url, RUNTIME_ROLE)
        .await
        .map_err(|e| format!("migrate: {e}"))?;
    Ok(PostgresTestDatabase {
        admin_url: url_for(admin, "postgres", &name),
        owner_url,
        runtime_url,
        name,
    })
}

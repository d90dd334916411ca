//! Shared test setup for the PostgreSQL suites: a fresh database owned by
//! an owner role, migrated once per test binary, and the runtime role's URL.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;

use closeq_core::testing::required_service_url;

pub const OWNER: &str = "closeq_owner";
pub const RUNTIME: &str = "closeq_app";

/// `postgres://USER@HOST:PORT/DB` from the superuser URL.
pub fn url_for(admin_url: &str, user: &str, db: &str) -> String {
    let rest = admin_url.split_once("://").map_or(admin_url, |(_, r)| r);
    let hostpart = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let host = hostpart.split('/').next().unwrap_or(hostpart);
    format!("postgres://{user}@{host}/{db}")
}

pub struct Db {
    pub admin_url: String,
    pub owner_url: String,
    pub runtime_url: String,
    pub name: String,
}

/// The shared migrated database, or `None` when PostgreSQL is unavailable
/// (and not required: under CI=true a missing server panics instead).
pub fn db() -> Option<&'static Db> {
    static DB: OnceLock<Option<Db>> = OnceLock::new();
    DB.get_or_init(|| {
        let admin = required_service_url("CLOSEQ_TEST_POSTGRES_URL")?;
        // Setup runs on its own runtime: test runtimes come and go.
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                use sqlx::Connection;
                let mut c = sqlx::PgConnection::connect(&admin)
                    .await
                    .expect("connect as superuser");
                for (role, extra) in [
                    (OWNER, ""),
                    (RUNTIME, " NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"),
                ] {
                    let exists: Option<(i32,)> =
                        sqlx::query_as("SELECT 1 FROM pg_roles WHERE rolname = $1")
                            .bind(role)
                            .fetch_optional(&mut c)
                            .await
                            .unwrap();
                    if exists.is_none() {
                        sqlx::query(&format!("CREATE ROLE {role} LOGIN{extra}"))
                            .execute(&mut c)
                            .await
                            .unwrap();
                    }
                }
                let name = format!("closeq_t_{}", uuid::Uuid::new_v4().simple());
                sqlx::query(&format!("CREATE DATABASE {name} OWNER {OWNER}"))
                    .execute(&mut c)
                    .await
                    .unwrap();
                let owner_url = url_for(&admin, OWNER, &name);
                let runtime_url = url_for(&admin, RUNTIME, &name);
                closeq_storage::PostgresStore::migrate(&owner_url, RUNTIME)
                    .await
                    .expect("migrate");
                Db {
                    admin_url: url_for(&admin, "postgres", &name),
                    owner_url,
                    runtime_url,
                    name,
                }
            })
        })
        .join()
        .map_err(|_| "setup thread panicked")
        .map(Some)
        .expect("PostgreSQL test setup failed (see the panic above)")
    })
    .as_ref()
}

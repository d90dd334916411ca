//! Cleartext database connections. sqlx was built without TLS, so every
//! PostgreSQL connection sent call data, transcripts and credentials in
//! clear, and a URL asking for TLS (`sslmode=require`) could not connect
//! at all. The store now speaks TLS (rustls) and honours the URL's
//! `sslmode` and `sslrootcert`.
//!
//! The server: the test cluster of `scripts/services.sh`, which runs with
//! `ssl=on` and a server certificate signed by a throwaway CA it writes to
//! `CLOSEQ_TEST_POSTGRES_TLS_CA`. Under CI=true a missing variable fails;
//! elsewhere the suite prints SKIPPED.
#![cfg(feature = "store-postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use closeq_core::Error;
use closeq_core::testing::required_service;
use closeq_storage::{PostgresStore, SubjectHasher};
use sqlx::Row;

fn hasher() -> SubjectHasher {
    SubjectHasher::new([9; 32], "44")
}

/// The test database and the CA of its server, when both are there.
fn setup() -> Option<(&'static support::Db, String)> {
    let ca = required_service(
        "PostgreSQL with TLS (scripts/services.sh)",
        "CLOSEQ_TEST_POSTGRES_TLS_CA",
    )?;
    Some((support::db()?, ca))
}

fn unrelated_ca() -> String {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/unrelated-ca.pem"
    )
    .to_owned()
}

/// Whether the store's own connection is encrypted, asked of the server.
async fn encrypted(store: &PostgresStore) -> bool {
    sqlx::query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn sslmode_require_connects_over_tls() {
    let Some((db, _)) = setup() else { return };
    let url = format!("{}?sslmode=require", db.runtime_url);
    let store = PostgresStore::connect(&url, hasher()).await.unwrap();
    assert!(
        encrypted(&store).await,
        "sslmode=require gave a plain connection"
    );
    // The server accepts plain connections too: the URL decides.
    let url = format!("{}?sslmode=disable", db.runtime_url);
    let store = PostgresStore::connect(&url, hasher()).await.unwrap();
    assert!(!encrypted(&store).await);
}

#[tokio::test]
async fn migrations_run_over_tls() {
    let Some((db, ca)) = setup() else { return };
    let url = format!("{}?sslmode=verify-full&sslrootcert={ca}", db.owner_url);
    PostgresStore::migrate(&url, support::RUNTIME)
        .await
        .unwrap();
}

#[tokio::test]
async fn verify_full_accepts_the_servers_ca_and_refuses_another() {
    let Some((db, ca)) = setup() else { return };
    let url = format!("{}?sslmode=verify-full&sslrootcert={ca}", db.runtime_url);
    let store = PostgresStore::connect(&url, hasher()).await.unwrap();
    assert!(encrypted(&store).await);
    for mode in ["verify-full", "verify-ca"] {
        let url = format!(
            "{}?sslmode={mode}&sslrootcert={}",
            db.runtime_url,
            unrelated_ca()
        );
        match PostgresStore::connect(&url, hasher()).await {
            Err(Error::Unavailable { service, reason }) => {
                assert_eq!(service, "postgres");
                assert!(reason.contains("TLS"), "{mode}: {reason}");
                assert!(!reason.contains(&db.name), "no URL in the error: {reason}");
            }
            Ok(_) => panic!("{mode}: connected to a server whose CA is not the one given"),
            Err(other) => panic!("{mode}: {other:?}"),
        }
    }
}

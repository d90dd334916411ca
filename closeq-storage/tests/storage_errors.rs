//! A failed statement says what was being done, on which backend, with the
//! database's code and constraint name, and keeps the driver's error as its
//! source; no message, `Debug` output or source summary repeats the data
//! that was written (the driver's own message is withheld: see
//! `closeq_core::StorageSource`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(feature = "store-postgres")]
mod support;

use std::sync::Arc;

use closeq_core::testing::{Stores, World, base_time};
use closeq_core::{Error, StorageSource, Team};
use closeq_storage::{SqliteStore, SubjectHasher};

const SECRET: &str = "Secret Team of Ada Lovelace";

fn hasher() -> SubjectHasher {
    SubjectHasher::new([6; 32], "44")
}

/// The store error of creating a team named [`SECRET`], which the database
/// refuses.
async fn refused_team(stores: &Stores) -> (Error, StorageSource) {
    let w = World::create(stores).await;
    let team = Team::new(w.workspace.id, SECRET, base_time()).unwrap();
    let e = stores
        .workspaces
        .create_team(&w.owner, &team)
        .await
        .unwrap_err();
    let Error::Storage {
        source: Some(source),
        retryable,
        ..
    } = &e
    else {
        panic!("not a storage error with a source: {e:?}");
    };
    assert!(!retryable);
    let source = source.clone();
    for text in [
        e.to_string(),
        format!("{e:?}"),
        format!("{e:#?}"),
        source.to_string(),
    ] {
        assert!(!text.contains("Ada"), "personal data in {text}");
    }
    (e, source)
}

#[tokio::test]
async fn sqlite_errors_name_operation_and_code() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open(dir.path().join("e.db"), hasher())
            .await
            .unwrap(),
    );
    sqlx::query(
        "CREATE TRIGGER refuse_secret_teams BEFORE INSERT ON teams WHEN NEW.data LIKE '%Secret%' \
         BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END",
    )
    .execute(store.pool())
    .await
    .unwrap();
    let (e, source) = refused_team(&Stores::of(store)).await;
    // SQLITE_CONSTRAINT_TRIGGER.
    assert_eq!(
        e.to_string(),
        "sqlite create_team failed: database error (code 1811)"
    );
    let driver = source.get_ref().downcast_ref::<sqlx::Error>().unwrap();
    assert!(
        driver.to_string().contains("refused by a trigger"),
        "{driver}"
    );
}

#[cfg(feature = "store-postgres")]
#[tokio::test]
async fn postgres_errors_name_operation_sqlstate_and_constraint() {
    use sqlx::Connection;
    let Some(db) = support::db() else { return };
    // This test binary has a database of its own: the constraint stays here.
    let mut owner = sqlx::PgConnection::connect(&db.owner_url).await.unwrap();
    sqlx::query(
        "ALTER TABLE teams ADD CONSTRAINT no_secret_teams CHECK (data NOT LIKE '%Secret%') NOT VALID",
    )
    .execute(&mut owner)
    .await
    .unwrap();
    let store = closeq_storage::PostgresStore::connect(&db.runtime_url, hasher())
        .await
        .unwrap();
    let (e, source) = refused_team(&Stores::of(Arc::new(store))).await;
    assert_eq!(
        e.to_string(),
        "postgres create_team failed: database error (code 23514, constraint no_secret_teams)"
    );
    assert_eq!(
        (source.code(), source.constraint()),
        (Some("23514"), Some("no_secret_teams"))
    );
    // The driver's error is there (PostgreSQL itself omits the failing
    // row from its detail on a table under Row-Level Security).
    let driver = source.get_ref().downcast_ref::<sqlx::Error>().unwrap();
    let db = driver.as_database_error().unwrap();
    assert_eq!(db.table(), Some("teams"));
}

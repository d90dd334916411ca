//! Shared test setup for the PostgreSQL suites: the library's test
//! database (`closeq_storage::testing`), under this suite's names.
#![allow(dead_code, unused_imports)]

pub use closeq_storage::testing::{OWNER_ROLE as OWNER, RUNTIME_ROLE as RUNTIME, url_for};

pub type Db = closeq_storage::testing::PostgresTestDatabase;

/// The shared migrated database, or `None` when PostgreSQL is unavailable
/// (and not required: under CI=true a missing server panics instead).
pub fn db() -> Option<&'static Db> {
    closeq_storage::testing::postgres_test_database()
}

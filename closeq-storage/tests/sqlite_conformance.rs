//! The store conformance suites against SQLite (a fresh database file per case).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use closeq_core::testing::Stores;
use closeq_storage::{SqliteStore, SubjectHasher};

async fn stores() -> Arc<Stores> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("closeq.db");
    // The directory must outlive the store: leak it for the test's lifetime.
    std::mem::forget(dir);
    let s = Arc::new(
        SqliteStore::open(&path, SubjectHasher::new([9; 32], "44"))
            .await
            .unwrap(),
    );
    Arc::new(Stores::of(s))
}

mod call_store {
    use super::*;
    closeq_core::call_store_conformance!(make = stores().await);
}

mod workspace_store {
    use super::*;
    closeq_core::workspace_store_conformance!(make = stores().await);
}

mod privacy_store {
    use super::*;
    closeq_core::privacy_store_conformance!(make = stores().await);
}

mod job_queue {
    use std::sync::Arc;

    use closeq_core::testing::job_queue::QueueUnderTest;
    use closeq_core::{ManualClock, RetryPolicy};
    use closeq_storage::{SqliteJobQueue, SqliteStore, SubjectHasher};

    async fn queue() -> Arc<QueueUnderTest> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("closeq.db");
        std::mem::forget(dir);
        let store = SqliteStore::open(&path, SubjectHasher::new([9; 32], "44"))
            .await
            .unwrap();
        let clock = Arc::new(ManualClock::new(closeq_core::testing::base_time()));
        Arc::new(QueueUnderTest {
            queue: Arc::new(SqliteJobQueue::new(
                store,
                clock.clone(),
                RetryPolicy::default(),
            )),
            clock,
        })
    }

    closeq_core::job_queue_conformance!(make = queue().await);
}

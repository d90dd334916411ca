//! The store conformance suites against PostgreSQL, connected as the
//! RLS-bound runtime role.
#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use closeq_core::testing::Stores;
use closeq_storage::{PostgresStore, SubjectHasher};

async fn stores() -> Option<Arc<Stores>> {
    let db = support::db()?;
    let s = Arc::new(
        PostgresStore::connect(&db.runtime_url, SubjectHasher::new([9; 32], "44"))
            .await
            .unwrap(),
    );
    Some(Arc::new(Stores::of(s)))
}

mod call_store {
    use super::*;
    closeq_core::call_store_conformance!(make_or_skip = stores().await);
}

mod workspace_store {
    use super::*;
    closeq_core::workspace_store_conformance!(make_or_skip = stores().await);
}

mod privacy_store {
    use super::*;
    closeq_core::privacy_store_conformance!(make_or_skip = stores().await);
}

mod job_queue {
    use std::sync::Arc;

    use closeq_core::testing::job_queue::QueueUnderTest;
    use closeq_core::{ManualClock, RetryPolicy};
    use closeq_storage::{PostgresJobQueue, PostgresStore, SubjectHasher};

    /// Each case on a database of its own: workers lease across
    /// workspaces, so cases sharing one would take each other's jobs.
    async fn queue() -> Option<Arc<QueueUnderTest>> {
        let db = closeq_storage::testing::postgres_fresh_database().await?;
        let store = PostgresStore::connect(&db.runtime_url, SubjectHasher::new([9; 32], "44"))
            .await
            .unwrap();
        let clock = Arc::new(ManualClock::new(closeq_core::testing::base_time()));
        Some(Arc::new(QueueUnderTest {
            queue: Arc::new(PostgresJobQueue::new(
                store,
                clock.clone(),
                RetryPolicy::default(),
            )),
            clock,
        }))
    }

    closeq_core::job_queue_conformance!(make_or_skip = queue().await);
}

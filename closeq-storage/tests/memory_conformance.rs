//! The store conformance suites against the in-memory backend.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use closeq_core::testing::Stores;
use closeq_storage::{InMemoryStore, SubjectHasher};

fn stores() -> Arc<Stores> {
    let s = Arc::new(InMemoryStore::new(SubjectHasher::new([9; 32], "44")));
    Arc::new(Stores::of(s))
}

mod call_store {
    use super::*;
    closeq_core::call_store_conformance!(make = stores());
}

mod workspace_store {
    use super::*;
    closeq_core::workspace_store_conformance!(make = stores());
}

mod privacy_store {
    use super::*;
    closeq_core::privacy_store_conformance!(make = stores());
}

mod job_queue {
    use std::sync::Arc;

    use closeq_core::testing::job_queue::QueueUnderTest;
    use closeq_core::{ManualClock, RetryPolicy};
    use closeq_storage::InMemoryJobQueue;

    fn queue() -> Arc<QueueUnderTest> {
        let clock = Arc::new(ManualClock::new(closeq_core::testing::base_time()));
        Arc::new(QueueUnderTest {
            queue: Arc::new(InMemoryJobQueue::new(clock.clone(), RetryPolicy::default())),
            clock,
        })
    }

    closeq_core::job_queue_conformance!(make = queue());
}

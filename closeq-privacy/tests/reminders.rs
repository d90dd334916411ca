//! Reminders of data-subject requests: open requests due within the
//! window or overdue, soonest first, one audit record each naming no
//! subject; closed requests and far deadlines are left alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::Duration;
use closeq_core::testing::{Stores, World, base_time};
use closeq_core::{EmailAddress, Error, ManualClock, RequestKind, Subject};
use closeq_privacy::reminders::REMINDER_ACTION;
use closeq_privacy::request::SubjectRequests;
use closeq_storage::{InMemoryStore, SubjectHasher};

fn subject(n: u32) -> Subject {
    Subject::Email(EmailAddress::parse(&format!("person{n}@example.com")).unwrap())
}

#[tokio::test]
async fn open_requests_due_soon_or_overdue_are_reminded_soonest_first() {
    let store = Arc::new(InMemoryStore::new(SubjectHasher::new([1; 32], "44")));
    let w = World::create(&Stores::of(store.clone())).await;
    let clock = Arc::new(ManualClock::new(base_time()));
    let requests = SubjectRequests::new(store.clone(), store.clone(), clock.clone());
    // Received 40, 26 and 2 days ago (due 10 days ago, in 4 days, in 28),
    // and one received 35 days ago but answered.
    let mut ids = Vec::new();
    for (n, ago) in [(1, 40), (2, 26), (3, 2), (4, 35)] {
        clock.set(base_time() - Duration::days(ago));
        ids.push(
            requests
                .receive(&w.owner, subject(n), RequestKind::Access)
                .await
                .unwrap()
                .id,
        );
    }
    clock.set(base_time());
    requests.start(&w.owner, ids[3]).await.unwrap();
    requests.complete(&w.owner, ids[3]).await.unwrap();

    let r = requests.remind(&w.owner, Duration::days(7)).await.unwrap();
    assert_eq!(r.open, 3);
    let reminded: Vec<_> = r.reminders.iter().map(|x| (x.request, x.overdue)).collect();
    assert_eq!(reminded, vec![(ids[0], true), (ids[1], false)]);
    assert_eq!(r.overdue(), 1);
    let audit = store_audit(&store, &w).await;
    let records: Vec<_> = audit
        .iter()
        .filter(|a| a.action == REMINDER_ACTION)
        .collect();
    assert_eq!(records.len(), 2);
    for rec in records {
        let text = serde_json::to_string(rec).unwrap();
        assert!(!text.contains("example.com"), "{text}");
    }
    // A wider window takes the far one too; a bad window is refused.
    let wide = requests.remind(&w.owner, Duration::days(31)).await.unwrap();
    assert_eq!(wide.reminders.len(), 3);
    for bad in [Duration::days(-1), Duration::days(32)] {
        let e = requests.remind(&w.owner, bad).await.unwrap_err();
        assert!(
            matches!(e, Error::InvalidInput { ref field, .. } if field == "within"),
            "{e:?}"
        );
    }
    // Members do not run data-subject requests.
    let e = requests
        .remind(&w.rep_a, Duration::days(7))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Forbidden { .. }), "{e:?}");
}

async fn store_audit(store: &Arc<InMemoryStore>, w: &World) -> Vec<closeq_core::AuditRecord> {
    use closeq_core::ports::WorkspaceStore;
    store.list_audit(&w.owner, 0, 1_000).await.unwrap()
}

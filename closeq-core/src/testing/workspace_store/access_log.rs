//! Conformance cases of the access log
//! ([`WorkspaceStore::append_access`](crate::ports::WorkspaceStore::append_access)
//! and the methods beside it).

use crate::access_record::{AccessAction, AccessQuery, AccessRecord};
use crate::error::Error;
use crate::id::CallId;
use crate::testing::Outcome;
use crate::testing::world::{Stores, World, base_time};

/// Every member appends records of their own reads, in batches that are
/// written whole or not at all; nobody writes into another workspace's log
/// or in another person's name; only owners and admins read it, filtered
/// by member, resource and time, in keyset pages; ids round-trip.
pub async fn access_log(s: &Stores, _: &()) -> Outcome {
    let (w, other) = (World::create(s).await, World::create(s).await);
    let (c1, c2, c3) = (CallId::new(), CallId::new(), CallId::new());
    let at = |secs: i64| base_time() + chrono::Duration::seconds(secs);
    let rec = |scope, action, ids: &[CallId], secs| {
        AccessRecord::new(
            scope,
            action,
            ids.iter().map(|c| c.as_uuid()).collect(),
            at(secs),
        )
    };
    s.workspaces
        .append_access(
            &w.rep_a,
            &[
                rec(&w.rep_a, AccessAction::CallList, &[c1, c2, c3], 0),
                rec(&w.rep_a, AccessAction::CallRead, &[c2], 1),
            ],
        )
        .await
        .expect("a rep records their reads");
    s.workspaces
        .append_access(
            &w.manager,
            &[rec(&w.manager, AccessAction::TranscriptRead, &[c3], 2)],
        )
        .await
        .expect("a manager records theirs");
    s.workspaces
        .append_access(
            &other.owner,
            &[rec(&other.owner, AccessAction::AudioRead, &[c1], 3)],
        )
        .await
        .expect("another workspace");
    s.workspaces
        .append_access(&w.admin, &[])
        .await
        .expect("nothing to write");
    // Refused, whole batches: another person's name, another workspace.
    let forged = [
        (
            &w.rep_b,
            vec![
                rec(&w.rep_b, AccessAction::CallRead, &[c1], 4),
                rec(&w.rep_a, AccessAction::CallRead, &[c1], 4),
            ],
        ),
        (
            &other.owner,
            vec![rec(&w.owner, AccessAction::CallRead, &[c1], 4)],
        ),
    ];
    for (scope, batch) in &forged {
        let r = s.workspaces.append_access(scope, batch).await;
        assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");
    }
    let too_many: Vec<CallId> = (0..1_001).map(|_| CallId::new()).collect();
    let r = s
        .workspaces
        .append_access(
            &w.rep_a,
            &[rec(&w.rep_a, AccessAction::CallList, &too_many, 5)],
        )
        .await;
    assert!(matches!(r, Err(Error::InvalidInput { .. })), "{r:?}");

    for who in [&w.rep_a, &w.manager] {
        let r = s.workspaces.list_access(who, &AccessQuery::first(10)).await;
        assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");
    }
    let r = s
        .workspaces
        .list_access(&w.owner, &AccessQuery::first(0))
        .await;
    assert!(matches!(r, Err(Error::InvalidInput { .. })), "{r:?}");
    let all = s
        .workspaces
        .list_access(&w.admin, &AccessQuery::first(100))
        .await
        .expect("list");
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(
        all.iter().map(|r| r.action).collect::<Vec<_>>(),
        [
            AccessAction::CallList,
            AccessAction::CallRead,
            AccessAction::TranscriptRead
        ]
    );
    assert_eq!(all[0].actor, w.rep_a.user_id);
    assert_eq!(all[0].at, at(0));
    assert_eq!(
        all[0].resources,
        [c1, c2, c3].map(|c| c.as_uuid()).to_vec(),
        "ids in order"
    );
    assert!(all.windows(2).all(|p| p[0].seq < p[1].seq));
    assert!(all.iter().all(|r| r.workspace_id == w.workspace.id));

    let query = |f: fn(&mut AccessQuery)| {
        let mut q = AccessQuery::first(100);
        f(&mut q);
        q
    };
    let actions = |v: Vec<AccessRecord>| v.into_iter().map(|r| r.action).collect::<Vec<_>>();
    let manager = w.manager.user_id;
    let mut by_manager = AccessQuery::first(100);
    by_manager.actor = Some(manager);
    assert_eq!(
        actions(
            s.workspaces
                .list_access(&w.owner, &by_manager)
                .await
                .expect("actor")
        ),
        [AccessAction::TranscriptRead]
    );
    let mut of_c2 = AccessQuery::first(100);
    of_c2.resource = Some(c2.as_uuid());
    assert_eq!(
        actions(
            s.workspaces
                .list_access(&w.owner, &of_c2)
                .await
                .expect("resource")
        ),
        [AccessAction::CallList, AccessAction::CallRead],
        "the list that showed it and the read"
    );
    let since = query(|q| q.since = Some(base_time() + chrono::Duration::seconds(1)));
    assert_eq!(
        s.workspaces
            .list_access(&w.owner, &since)
            .await
            .expect("since")
            .len(),
        2
    );
    let mut page = AccessQuery::first(2);
    let first = s
        .workspaces
        .list_access(&w.owner, &page)
        .await
        .expect("page 1");
    assert_eq!(first.len(), 2);
    page.after_seq = first[1].seq;
    let second = s
        .workspaces
        .list_access(&w.owner, &page)
        .await
        .expect("page 2");
    assert_eq!(actions(second), [AccessAction::TranscriptRead]);
    // The other workspace sees only its own.
    let theirs = s
        .workspaces
        .list_access(&other.owner, &AccessQuery::first(100))
        .await
        .expect("other");
    assert_eq!(actions(theirs), [AccessAction::AudioRead]);
    Outcome::Passed
}

/// Access records made at the cutoff or earlier go, by owners and admins
/// only, never younger than 90 days before the store's clock, other
/// workspaces untouched; the expiry is audited with its count.
pub async fn expire_access(s: &Stores, _: &()) -> Outcome {
    let (a, b) = (World::create(s).await, World::create(s).await);
    let cutoff =
        chrono::SubsecRound::trunc_subsecs(chrono::Utc::now() - chrono::Duration::days(100), 6);
    for w in [&a, &b] {
        let records: Vec<AccessRecord> = [-1, 0, 1]
            .into_iter()
            .map(|offset| {
                AccessRecord::new(
                    &w.rep_a,
                    AccessAction::CallRead,
                    vec![CallId::new().as_uuid()],
                    cutoff + chrono::Duration::seconds(offset),
                )
            })
            .chain(std::iter::once(AccessRecord::new(
                &w.rep_a,
                AccessAction::CallRead,
                vec![],
                chrono::Utc::now() - chrono::Duration::days(89),
            )))
            .collect();
        s.workspaces
            .append_access(&w.rep_a, &records)
            .await
            .expect("append");
    }
    for who in [&a.manager, &a.rep_a] {
        let r = s.workspaces.expire_access(who, cutoff).await;
        assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");
    }
    let n = s
        .workspaces
        .expire_access(&a.admin, cutoff)
        .await
        .expect("expire");
    assert_eq!(n, 2, "the records at the cutoff -1 s and 0 s");
    let left = s
        .workspaces
        .list_access(&a.owner, &AccessQuery::first(100))
        .await
        .expect("list");
    assert_eq!(left.len(), 2);
    assert_eq!(left[0].at, cutoff + chrono::Duration::seconds(1));
    // A cutoff of now removes nothing younger than 90 days.
    let n = s
        .workspaces
        .expire_access(&a.owner, chrono::Utc::now())
        .await
        .expect("expire now");
    assert_eq!(n, 1, "only the record 100 days old");
    let left = s
        .workspaces
        .list_access(&a.owner, &AccessQuery::first(100))
        .await
        .expect("list");
    assert_eq!(left.len(), 1, "the record 89 days old stays");
    let audit = s
        .workspaces
        .list_audit(&a.owner, 0, 100)
        .await
        .expect("audit");
    let expiries: Vec<_> = audit
        .iter()
        .filter(|r| r.action == "retention.access_log")
        .map(|r| r.details["deleted"].as_u64())
        .collect();
    assert_eq!(expiries, [Some(2), Some(1)]);
    assert_eq!(
        s.workspaces
            .list_access(&b.owner, &AccessQuery::first(100))
            .await
            .expect("b")
            .len(),
        4,
        "another workspace untouched"
    );
    Outcome::Passed
}

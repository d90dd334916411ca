//! Conformance case for
//! [`calls_started_before`](crate::ports::CallStore::calls_started_before):
//! keyset pages in start order, for retention.

use chrono::Duration;

use crate::ports::StartKey;
use crate::testing::Outcome;
use crate::testing::world::{Stores, World, base_time};

/// Pages of two walk every visible call once, in `(started_at, id)` order,
/// ties broken by id, and a page resumes after a key whose call was
/// deleted meanwhile (a sweep deletes what it just examined); calls at or
/// after `before`, and calls the scope cannot see, never appear.
pub async fn start_order_pages_survive_deletion(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let mut calls = Vec::new();
    // Three calls at the same start (ties), two later, one at the cut-off.
    for (i, minutes) in [(0, 1), (1, 1), (2, 1), (3, 2), (4, 3), (5, 9)] {
        let mut c = w.call(&w.rep_a, Some(w.team_a), minutes);
        c.created_at += Duration::seconds(i);
        s.calls.insert_call(&w.rep_a, &c).await.expect("insert");
        calls.push(c);
    }
    let theirs = w.call(&w.rep_b, Some(w.team_b), 1);
    s.calls
        .insert_call(&w.rep_b, &theirs)
        .await
        .expect("insert");
    let before = base_time() + Duration::minutes(9);
    let mut expected: Vec<StartKey> = calls[..5]
        .iter()
        .map(|c| StartKey {
            started_at: c.started_at,
            id: c.id,
        })
        .collect();
    expected.sort();
    let mut seen = Vec::new();
    let mut after: Option<StartKey> = None;
    loop {
        let page = s
            .calls
            .calls_started_before(&w.rep_a, before, after.as_ref(), 2)
            .await
            .expect("page");
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 2);
        let last = *page.last().expect("non-empty");
        // The sweep deletes the call its checkpoint names.
        s.calls
            .delete_call(&w.owner, last.id)
            .await
            .expect("delete");
        seen.extend(page);
        after = Some(last);
    }
    assert_eq!(seen, expected);
    // The owner sees the other rep's call too.
    let all = s
        .calls
        .calls_started_before(&w.owner, before, None, 100)
        .await
        .expect("all");
    assert!(all.iter().any(|k| k.id == theirs.id));
    Outcome::Passed
}

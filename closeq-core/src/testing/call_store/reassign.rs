//! Conformance case for
//! [`reassign_rep`](crate::ports::CallStore::reassign_rep): the erasure of
//! a member moves their calls to a tombstone rep id.

use chrono::Duration;

use super::{sample_scorecard, sample_transcript};
use crate::error::Error;
use crate::id::UserId;
use crate::ports::{AggregateQuery, GroupBy};
use crate::scorecard::Verdict;
use crate::subject::Subject;
use crate::testing::Outcome;
use crate::testing::world::{Stores, World, base_time};

/// The rep's calls move to the tombstone with their records, index
/// entries and dashboard figures; nothing else changes; only owners and
/// admins may, and only to an id that is nobody.
pub async fn reassign_rep_moves_a_reps_calls_to_a_tombstone(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let other = World::create(s).await;
    let c = w.call(&w.rep_a, Some(w.team_a), 5);
    let kept = w.call(&w.rep_b, Some(w.team_b), 6);
    for call in [&c, &kept] {
        s.calls.insert_call(&w.owner, call).await.expect("insert");
        s.calls
            .put_transcript(&w.owner, call.id, &sample_transcript())
            .await
            .expect("transcript");
        let card = sample_scorecard(call, 80.0, &[("budget", Verdict::Met)]);
        s.calls
            .insert_scorecard(&w.owner, &card)
            .await
            .expect("card");
    }
    let foreign = other.call(&other.rep_a, None, 5);
    s.calls
        .insert_call(&other.owner, &foreign)
        .await
        .expect("foreign");
    let tomb = UserId::new();
    let (from, to) = (w.rep_a.user_id, tomb);
    for scope in [&w.rep_a, &w.manager] {
        assert!(
            matches!(
                s.calls.reassign_rep(scope, from, to).await,
                Err(Error::Forbidden { .. })
            ),
            "only owners and admins reassign"
        );
    }
    for bad in [w.rep_b.user_id, from] {
        assert!(matches!(
            s.calls.reassign_rep(&w.owner, from, bad).await,
            Err(Error::InvalidInput { .. })
        ));
    }
    let q = AggregateQuery {
        group_by: GroupBy::Rep,
        from: base_time() - Duration::days(1),
        to: base_time() + Duration::days(1),
    };
    let before = s.calls.aggregate(&w.owner, &q).await.expect("aggregate");
    assert_eq!(
        s.calls
            .reassign_rep(&w.admin, from, to)
            .await
            .expect("move"),
        1
    );
    assert_eq!(
        s.calls
            .reassign_rep(&w.admin, from, to)
            .await
            .expect("again"),
        0,
        "idempotent"
    );
    let back = s.calls.get_call(&w.owner, c.id).await.expect("call");
    let mut expected = c.clone();
    expected.rep_id = tomb;
    assert_eq!(back, expected, "only the rep changed");
    assert_eq!(
        s.calls.get_call(&w.owner, kept.id).await.expect("kept"),
        kept
    );
    assert_eq!(
        s.calls
            .get_call(&other.owner, foreign.id)
            .await
            .expect("foreign"),
        foreign
    );
    s.calls
        .get_transcript(&w.owner, c.id)
        .await
        .expect("transcript follows");
    assert_eq!(
        s.calls
            .list_scorecards(&w.owner, c.id)
            .await
            .expect("cards")
            .len(),
        1
    );
    assert!(
        s.calls
            .find_calls_by_subject(&w.owner, &Subject::User(from))
            .await
            .expect("by old rep")
            .is_empty()
    );
    assert_eq!(
        s.calls
            .find_calls_by_subject(&w.owner, &Subject::User(tomb))
            .await
            .expect("by tombstone"),
        vec![c.id]
    );
    // The erased rep's own scope no longer sees the call.
    assert!(super::is_not_found(s.calls.get_call(&w.rep_a, c.id).await));
    let mut after = s.calls.aggregate(&w.owner, &q).await.expect("aggregate");
    let mut renamed: Vec<_> = before
        .into_iter()
        .map(|mut r| {
            if r.key == Some(from.to_string()) {
                r.key = Some(tomb.to_string());
            }
            r
        })
        .collect();
    renamed.sort_by(|a, b| a.key.cmp(&b.key));
    after.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(after, renamed, "the dashboards keep the figures");
    Outcome::Passed
}

//! Conformance case for [`scored_calls`](crate::ports::CallStore::scored_calls),
//! the bulk read behind reports.

use super::{all_pages, sample_scorecard};
use crate::error::Error;
use crate::ports::CallFilter;
use crate::rubric::RubricKey;
use crate::scorecard::Verdict;
use crate::testing::Outcome;
use crate::testing::world::{Stores, World};

/// Visible calls come oldest first, each with its cards in stored order,
/// narrowed by the filter and by the scope like `list_calls`, cut to the
/// oldest `limit`; a limit of 0 is `InvalidInput` naming `limit`.
pub async fn scored_calls_read_every_card_of_each_call(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let a = w.call(&w.rep_a, Some(w.team_a), 30);
    let b = w.call(&w.rep_b, Some(w.team_b), 10);
    let c = w.call(&w.rep_a, Some(w.team_a), 20);
    for (scope, call) in [(&w.rep_a, &a), (&w.rep_b, &b), (&w.rep_a, &c)] {
        s.calls.insert_call(scope, call).await.expect("insert");
    }
    let first = sample_scorecard(&a, 40.0, &[("budget", Verdict::Missed)]);
    let mut second = sample_scorecard(&a, 90.0, &[("budget", Verdict::Met)]);
    second.provenance.rubric_version = "2".into();
    let only = sample_scorecard(&b, 55.0, &[("budget", Verdict::Partial)]);
    for card in [&first, &second, &only] {
        s.calls
            .insert_scorecard(&w.owner, card)
            .await
            .expect("card");
    }

    let all = s
        .calls
        .scored_calls(&w.owner, &CallFilter::default(), 100)
        .await
        .expect("read");
    let got: Vec<_> = all
        .iter()
        .map(|x| {
            (
                x.call.id,
                x.scorecards.iter().map(|c| c.id).collect::<Vec<_>>(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (b.id, vec![only.id]),
            (c.id, vec![]),
            (a.id, vec![first.id, second.id])
        ],
        "oldest first, each with its cards in stored order"
    );
    assert_eq!(
        all[2].scorecards.last(),
        Some(&second),
        "the card as stored"
    );
    assert_eq!(all[0].call, b, "the call as stored");

    // The same calls list_calls pages through, in reverse.
    let mut paged = all_pages(s, &w.owner, &CallFilter::default(), 2).await;
    paged.reverse();
    assert_eq!(all.iter().map(|x| x.call.id).collect::<Vec<_>>(), paged);

    let reps = CallFilter {
        rep_id: Some(w.rep_a.user_id),
        ..Default::default()
    };
    let ids =
        |v: Vec<crate::ports::ScoredCall>| v.into_iter().map(|x| x.call.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s
            .calls
            .scored_calls(&w.owner, &reps, 100)
            .await
            .expect("filter")),
        vec![c.id, a.id]
    );
    assert_eq!(
        ids(s
            .calls
            .scored_calls(&w.rep_b, &CallFilter::default(), 100)
            .await
            .expect("member")),
        vec![b.id],
        "a member reads only their own calls"
    );
    let rubric = CallFilter {
        rubric: Some(RubricKey::parse("bant").unwrap_or_else(|_| panic!("key"))),
        ..Default::default()
    };
    assert_eq!(
        ids(s
            .calls
            .scored_calls(&w.owner, &rubric, 100)
            .await
            .expect("rubric")),
        vec![b.id, a.id]
    );
    assert_eq!(
        ids(s
            .calls
            .scored_calls(&w.owner, &CallFilter::default(), 2)
            .await
            .expect("limit")),
        vec![b.id, c.id],
        "the oldest calls when more match"
    );
    match s
        .calls
        .scored_calls(&w.owner, &CallFilter::default(), 0)
        .await
    {
        Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "limit"),
        other => panic!("limit 0: {other:?}"),
    }
    Outcome::Passed
}

//! Records for the migration 0006 tests, built through the memory store
//! (the reference model): calls whose latest cards were accepted,
//! overridden (score and verdicts, a criterion changed twice, one made
//! not applicable) and rejected, and a call whose older card was rejected
//! and whose latest is a suggestion; and how to compare dashboards.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::Duration;
use closeq_core::ports::{AggregateQuery, AggregateRow, GroupBy};
use closeq_core::testing::call_store::sample_scorecard;
use closeq_core::testing::{Stores, World, base_time};
use closeq_core::{Call, ReviewChange, Score, Scorecard, Verdict};
use closeq_storage::{InMemoryStore, SubjectHasher};

pub fn hasher() -> SubjectHasher {
    SubjectHasher::new([5; 32], "44")
}

/// The memory store, its world, and each call with its cards (oldest
/// first, as reviewed).
pub struct Records {
    pub memory: Stores,
    pub w: World,
    pub calls: Vec<(Call, Vec<Scorecard>)>,
    /// The fourth call's latest card (a suggestion), for a later review.
    pub again: Scorecard,
}

pub async fn build() -> Records {
    let memory = Stores::of(Arc::new(InMemoryStore::new(hasher())));
    let w = World::create(&memory).await;
    let verdicts = [("budget", Verdict::Met), ("timeline", Verdict::Partial)];
    let mut calls = Vec::new();
    for (i, score) in [80.0, 90.0, 100.0, 70.0].into_iter().enumerate() {
        let rep = if i % 2 == 0 { &w.rep_a } else { &w.rep_b };
        let team = rep.team_ids.iter().next().copied();
        let call = w.call(rep, team, 30 * i as i64);
        memory.calls.insert_call(rep, &call).await.unwrap();
        let card = sample_scorecard(&call, score, &verdicts);
        memory.calls.insert_scorecard(rep, &card).await.unwrap();
        calls.push((call, vec![card]));
    }
    let mut accepted = calls[0].1[0].clone();
    accepted.accept(w.admin.user_id, base_time()).unwrap();
    memory.calls.save_review(&w.admin, &accepted).await.unwrap();
    let mut overridden = calls[1].1[0].clone();
    overridden
        .override_with(
            w.admin.user_id,
            base_time(),
            vec![
                ReviewChange {
                    criterion_id: None,
                    verdict: None,
                    score: Some(Score::new(30.0).unwrap()),
                },
                ReviewChange {
                    criterion_id: Some("budget".into()),
                    verdict: Some(Verdict::Partial),
                    score: None,
                },
                ReviewChange {
                    criterion_id: Some("budget".into()),
                    verdict: Some(Verdict::Missed),
                    score: None,
                },
                ReviewChange {
                    criterion_id: Some("timeline".into()),
                    verdict: Some(Verdict::NotApplicable),
                    score: None,
                },
            ],
            "neither was discussed",
        )
        .unwrap();
    memory
        .calls
        .save_review(&w.admin, &overridden)
        .await
        .unwrap();
    let mut rejected = calls[2].1[0].clone();
    rejected
        .reject(w.admin.user_id, base_time(), "wrong call")
        .unwrap();
    memory.calls.save_review(&w.admin, &rejected).await.unwrap();
    // The fourth call: its first card rejected, then scored again.
    let mut first = calls[3].1[0].clone();
    first.reject(w.admin.user_id, base_time(), "stale").unwrap();
    memory.calls.save_review(&w.admin, &first).await.unwrap();
    let mut again = sample_scorecard(&calls[3].0, 65.0, &verdicts);
    again.provenance.rubric_version = "2".into();
    memory
        .calls
        .insert_scorecard(&w.owner, &again)
        .await
        .unwrap();
    for (call, cards) in &mut calls {
        *cards = memory
            .calls
            .list_scorecards(&w.owner, call.id)
            .await
            .unwrap();
    }

    Records {
        memory,
        w,
        calls,
        again,
    }
}

/// Whole days (the rollups) and a partial day (the calls' summary columns).
pub fn queries() -> [AggregateQuery; 2] {
    [
        AggregateQuery {
            group_by: GroupBy::Rep,
            from: base_time() - Duration::hours(9),
            to: base_time() + Duration::days(1),
        },
        AggregateQuery {
            group_by: GroupBy::Team,
            from: base_time(),
            to: base_time() + Duration::hours(3),
        },
    ]
}

/// A review of the fourth call's latest card by the admin.
pub fn late_review(r: &Records) -> Scorecard {
    let mut late = r.again.clone();
    late.override_with(
        r.w.admin.user_id,
        base_time(),
        vec![ReviewChange {
            criterion_id: None,
            verdict: None,
            score: Some(Score::new(20.0).unwrap()),
        }],
        "too generous",
    )
    .unwrap();
    late
}

/// Equal up to float rounding.
pub fn same(a: &[AggregateRow], b: &[AggregateRow]) -> bool {
    let close = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-9,
        (None, None) => true,
        _ => false,
    };
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.key == y.key
                && (
                    x.calls,
                    x.scored_calls,
                    x.unreviewed_calls,
                    x.rejected_calls,
                ) == (
                    y.calls,
                    y.scored_calls,
                    y.unreviewed_calls,
                    y.rejected_calls,
                )
                && close(x.avg_score, y.avg_score)
                && close(x.avg_rep_talk_ratio, y.avg_rep_talk_ratio)
                && x.criterion_hit_rate.len() == y.criterion_hit_rate.len()
                && x.criterion_hit_rate
                    .iter()
                    .all(|(k, v)| close(Some(*v), y.criterion_hit_rate.get(k).copied()))
        })
}

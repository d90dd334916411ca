//! Attacks on human review (EU AI Act Art. 14), on every backend: a member
//! storing a card that already says "accepted" (directly, through ingest or
//! through advance_call), a review in someone else's name or about one's
//! own call, a forged override the review methods would refuse, the
//! reviewed rep rewriting the reviewer's reason, and dashboards that count
//! raw AI scores of rejected and overridden cards. Each failed before its
//! fix.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(feature = "store-postgres")]
mod support;

use std::sync::Arc;

use chrono::Duration;
use closeq_core::ports::{AggregateQuery, CallBundle, CallFilter, GroupBy, PageRequest};
use closeq_core::testing::call_store::{sample_scorecard, sample_transcript};
use closeq_core::testing::{Stores, World, base_time};
use closeq_core::{CallStatus, Error, ReviewChange, Score, Scorecard, Verdict};
use closeq_storage::{InMemoryStore, SqliteStore, SubjectHasher};

fn hasher() -> SubjectHasher {
    SubjectHasher::new([5; 32], "44")
}

/// A copy of `card` whose private review field says `state`, the way a
/// client can build one through `Deserialize`.
fn forged(card: &Scorecard, state: serde_json::Value) -> Scorecard {
    let mut v = serde_json::to_value(card).unwrap();
    v["review"] = state;
    serde_json::from_value(v).unwrap()
}

fn accepted_by(w: &World) -> serde_json::Value {
    serde_json::json!({"state": "accepted", "by": w.manager.user_id, "at": base_time()})
}

/// Rollups add and subtract floats: equal up to rounding.
fn close(v: Option<f64>, expected: f64) -> bool {
    v.is_some_and(|v| (v - expected).abs() < 1e-9)
}

fn is_review_refusal<T: std::fmt::Debug>(r: Result<T, Error>) -> bool {
    matches!(&r, Err(e @ Error::InvalidInput { .. }) if e.field() == Some("review"))
}

/// Cards enter the store only as suggestions, by every write path.
async fn cards_enter_only_as_suggestions(s: &Stores) {
    let w = World::create(s).await;
    let call = w.call(&w.rep_a, Some(w.team_a), 1);
    s.calls.insert_call(&w.rep_a, &call).await.unwrap();
    let card = sample_scorecard(&call, 99.0, &[("budget", Verdict::Met)]);
    let smuggled = forged(&card, accepted_by(&w));
    assert!(smuggled.review().is_reviewed());
    let r = s.calls.insert_scorecard(&w.rep_a, &smuggled).await;
    assert!(
        is_review_refusal(r),
        "insert_scorecard stored a reviewed card"
    );
    assert!(
        s.calls
            .list_scorecards(&w.owner, call.id)
            .await
            .unwrap()
            .is_empty()
    );

    // Through ingest: nothing of the bundle is written.
    let fresh = w.call(&w.rep_a, Some(w.team_a), 2);
    let bundle = CallBundle {
        scorecards: vec![forged(
            &sample_scorecard(&fresh, 99.0, &[]),
            accepted_by(&w),
        )],
        transcript: Some(sample_transcript()),
        ..CallBundle::new(fresh.clone())
    };
    let r = s.calls.ingest(&w.rep_a, &[bundle]).await;
    assert!(is_review_refusal(r), "ingest stored a reviewed card");
    assert!(matches!(
        s.calls.get_call(&w.owner, fresh.id).await,
        Err(Error::NotFound { .. })
    ));

    // Through advance_call: the call stays where it was.
    let r = s
        .calls
        .advance_call(
            &w.rep_a,
            call.id,
            &[CallStatus::Transcribing],
            None,
            &[forged(&card, accepted_by(&w))],
        )
        .await;
    assert!(is_review_refusal(r), "advance_call stored a reviewed card");
    assert_eq!(
        s.calls.get_call(&w.owner, call.id).await.unwrap().status(),
        &CallStatus::Uploaded
    );

    // Someone who may only view a call cannot add analysis to it: another
    // team's rep does not even see it.
    assert!(matches!(
        s.calls.insert_scorecard(&w.rep_b, &card).await,
        Err(Error::NotFound { .. })
    ));
    // A suggestion by the call's own rep is fine.
    s.calls.insert_scorecard(&w.rep_a, &card).await.unwrap();
}

/// A review is the acting user's own, never about their own call, and goes
/// through the review methods' rules.
async fn reviews_are_the_reviewers_own(s: &Stores) {
    let w = World::create(s).await;
    let call = w.call(&w.rep_a, Some(w.team_a), 1);
    s.calls.insert_call(&w.rep_a, &call).await.unwrap();
    let card = sample_scorecard(&call, 70.0, &[("budget", Verdict::Met)]);
    s.calls.insert_scorecard(&w.rep_a, &card).await.unwrap();

    // The manager files a review in the admin's name.
    let mut in_admins_name = card.clone();
    in_admins_name.accept(w.admin.user_id, base_time()).unwrap();
    assert!(matches!(
        s.calls.save_review(&w.manager, &in_admins_name).await,
        Err(Error::Forbidden { .. })
    ));
    // ... or in the reviewed rep's own name.
    let mut in_reps_name = card.clone();
    in_reps_name.accept(w.rep_a.user_id, base_time()).unwrap();
    assert!(matches!(
        s.calls.save_review(&w.manager, &in_reps_name).await,
        Err(Error::Forbidden { .. })
    ));
    // The rep reviews their own call.
    assert!(matches!(
        s.calls.save_review(&w.rep_a, &in_reps_name).await,
        Err(Error::Forbidden { .. })
    ));
    // An owner's own call: not even the owner reviews it.
    let own = w.call(&w.owner, None, 2);
    s.calls.insert_call(&w.owner, &own).await.unwrap();
    let own_card = sample_scorecard(&own, 50.0, &[]);
    s.calls.insert_scorecard(&w.owner, &own_card).await.unwrap();
    let mut self_review = own_card.clone();
    self_review.accept(w.owner.user_id, base_time()).unwrap();
    assert!(matches!(
        s.calls.save_review(&w.owner, &self_review).await,
        Err(Error::Forbidden { .. })
    ));

    // A forged override naming a criterion the card lacks.
    let bad = forged(
        &card,
        serde_json::json!({"state": "overridden", "by": w.manager.user_id, "at": base_time(),
            "changes": [{"criterion_id": "not_in_card", "verdict": "met"}], "reason": "r"}),
    );
    let r = s.calls.save_review(&w.manager, &bad).await;
    assert!(
        matches!(&r, Err(e) if e.field() == Some("changes[0].criterion_id")),
        "{r:?}"
    );
    // A review also cannot carry changed AI content along.
    let mut doctored = card.clone();
    doctored.score = Score::new(100.0).unwrap();
    doctored.accept(w.manager.user_id, base_time()).unwrap();
    s.calls.save_review(&w.manager, &doctored).await.unwrap();
    let stored = s.calls.get_scorecard(&w.owner, card.id).await.unwrap();
    assert_eq!(stored.score.value(), 70.0);
    assert!(stored.review().is_reviewed());
    assert_eq!(stored.reviewed_by(), Some(w.manager.user_id));
    assert_eq!(
        s.calls
            .review_history(&w.owner, card.id)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// Only the erasure path (owners, admins) rewrites a card's text, and the
/// review history keeps its decision.
async fn the_rep_cannot_rewrite_the_review(s: &Stores) {
    let w = World::create(s).await;
    let call = w.call(&w.rep_a, Some(w.team_a), 1);
    s.calls.insert_call(&w.rep_a, &call).await.unwrap();
    let card = sample_scorecard(&call, 40.0, &[("budget", Verdict::Missed)]);
    s.calls.insert_scorecard(&w.rep_a, &card).await.unwrap();
    let mut rejected = card.clone();
    rejected
        .reject(
            w.manager.user_id,
            base_time(),
            "the rep talked over the client",
        )
        .unwrap();
    s.calls.save_review(&w.manager, &rejected).await.unwrap();
    let mut rewritten = s.calls.get_scorecard(&w.rep_a, card.id).await.unwrap();
    rewritten.rewrite_text(|_| Some("great call".into()));
    for who in [&w.rep_a, &w.manager] {
        assert!(
            matches!(
                s.calls.update_scorecard_text(who, &rewritten).await,
                Err(Error::Forbidden { .. })
            ),
            "{:?} rewrote the review",
            who.role
        );
    }
    let history = s.calls.review_history(&w.owner, card.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert!(matches!(
        &history[0].state,
        closeq_core::ReviewState::Rejected { reason, .. } if reason.as_str() == "the rep talked over the client"
    ));
    // The erasure path redacts the reason, keeping the decision.
    let mut redacted = s.calls.get_scorecard(&w.owner, card.id).await.unwrap();
    redacted.rewrite_text(|t| t.contains("rep").then(|| "[ERASED]".into()));
    s.calls
        .update_scorecard_text(&w.admin, &redacted)
        .await
        .unwrap();
    let history = s.calls.review_history(&w.owner, card.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert!(matches!(
        &history[0].state,
        closeq_core::ReviewState::Rejected { reason, by, .. }
            if reason.as_str() == "[ERASED]" && *by == w.manager.user_id
    ));
}

/// Dashboards count reviewed results: an override replaces, a rejected
/// card counts for nothing, and unreviewed cards are reported. Checked over
/// whole days (the rollups) and a partial day (the calls), before and after
/// the reviews.
async fn dashboards_use_reviewed_results(s: &Stores) {
    let w = World::create(s).await;
    let mut cards = Vec::new();
    for (i, score) in [80.0, 90.0, 100.0].into_iter().enumerate() {
        let call = w.call(&w.rep_a, Some(w.team_a), 10 + i as i64);
        s.calls.insert_call(&w.rep_a, &call).await.unwrap();
        let card = sample_scorecard(&call, score, &[("budget", Verdict::Met)]);
        s.calls.insert_scorecard(&w.rep_a, &card).await.unwrap();
        cards.push(card);
    }
    let whole_days = AggregateQuery {
        group_by: GroupBy::Rep,
        from: base_time() - Duration::hours(9),
        to: base_time() + Duration::days(2),
    };
    let partial = AggregateQuery {
        group_by: GroupBy::Team,
        from: base_time() + Duration::minutes(5),
        to: base_time() + Duration::hours(3),
    };
    let before = &s.calls.aggregate(&w.owner, &whole_days).await.unwrap()[0];
    assert_eq!(
        (
            before.scored_calls,
            before.unreviewed_calls,
            before.rejected_calls
        ),
        (3, 3, 0)
    );
    assert!(close(before.avg_score, 90.0), "{:?}", before.avg_score);

    let mut overridden = cards[1].clone();
    overridden
        .override_with(
            w.manager.user_id,
            base_time(),
            vec![
                ReviewChange {
                    criterion_id: None,
                    verdict: None,
                    score: Some(Score::new(40.0).unwrap()),
                },
                ReviewChange {
                    criterion_id: Some("budget".into()),
                    verdict: Some(Verdict::Missed),
                    score: None,
                },
            ],
            "no budget was discussed",
        )
        .unwrap();
    s.calls.save_review(&w.manager, &overridden).await.unwrap();
    let mut rejected = cards[2].clone();
    rejected
        .reject(w.admin.user_id, base_time(), "wrong rubric")
        .unwrap();
    s.calls.save_review(&w.admin, &rejected).await.unwrap();

    for q in [&whole_days, &partial] {
        let rows = s.calls.aggregate(&w.owner, q).await.unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        let r = &rows[0];
        assert_eq!(r.calls, 3);
        assert_eq!(
            (r.scored_calls, r.unreviewed_calls, r.rejected_calls),
            (2, 1, 1),
            "{q:?}"
        );
        // (80 suggested + 40 overridden) / 2; the rejected 100 is out.
        assert!(close(r.avg_score, 60.0), "{q:?}: {:?}", r.avg_score);
        // Met on the suggestion, missed by the override.
        assert!(
            close(r.criterion_hit_rate.get("budget").copied(), 0.5),
            "{q:?}"
        );
        assert!(close(r.avg_rep_talk_ratio, 0.4), "{q:?}");
    }
    // The list filter reads the reviewed score too.
    let high = CallFilter {
        min_score: Some(85.0),
        ..CallFilter::default()
    };
    let page = s
        .calls
        .list_calls(&w.owner, &high, &PageRequest::first(10))
        .await
        .unwrap();
    assert!(
        page.items.is_empty(),
        "raw AI scores leaked into the filter"
    );
}

macro_rules! on_every_backend {
    ($($case:ident),* $(,)?) => {
        mod memory {
            use super::*;
            $(#[tokio::test]
            async fn $case() {
                super::$case(&Stores::of(Arc::new(InMemoryStore::new(hasher())))).await;
            })*
        }
        mod sqlite {
            use super::*;
            $(#[tokio::test]
            async fn $case() {
                let s = SqliteStore::open_in_memory(hasher()).await.unwrap();
                super::$case(&Stores::of(Arc::new(s))).await;
            })*
        }
        #[cfg(feature = "store-postgres")]
        mod postgres {
            use super::*;
            $(#[tokio::test]
            async fn $case() {
                let Some(db) = support::db() else { return };
                let s = closeq_storage::PostgresStore::connect(&db.runtime_url, hasher())
                    .await
                    .unwrap();
                super::$case(&Stores::of(Arc::new(s))).await;
            })*
        }
    };
}

on_every_backend!(
    cards_enter_only_as_suggestions,
    reviews_are_the_reviewers_own,
    the_rep_cannot_rewrite_the_review,
    dashboards_use_reviewed_results,
);

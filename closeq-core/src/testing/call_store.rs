//! Conformance suite for [`CallStore`](crate::ports::CallStore)
//! implementations. Each case builds a fresh random workspace ([`World`]).

use std::collections::BTreeSet;

use chrono::{Duration, Utc};

use crate::call::{CallStatus, ProcessingStage};
use crate::error::Error;
use crate::id::CallId;
use crate::metrics::ConversationMetrics;
use crate::ports::{AggregateQuery, CallFilter, GroupBy, PageRequest};
use crate::rubric::RubricKey;
use crate::scorecard::{
    CriterionResult, EvidenceSpan, Provenance, ReviewChange, ReviewState, Score, Scorecard,
    ScorecardDraft, Verdict,
};
use crate::subject::Subject;
use crate::testing::Outcome;
use crate::testing::world::{Stores, World, base_time};
use crate::transcript::{
    RoleDecision, Speaker, SpeakerId, SpeakerRole, Transcript, Utterance, UtteranceId,
};

mod processing;
mod reassign;
mod scored;
mod start_order;

pub use processing::{
    advance_call_checks_every_step, ingest_is_all_or_nothing,
    one_card_per_rubric_version_and_scorer,
};
pub use reassign::reassign_rep_moves_a_reps_calls_to_a_tombstone;
pub use scored::scored_calls_read_every_card_of_each_call;
pub use start_order::start_order_pages_survive_deletion;

/// A two-line transcript with Unicode text.
pub fn sample_transcript() -> Transcript {
    let mut t = Transcript::empty(10_000);
    for (i, role) in [SpeakerRole::Rep, SpeakerRole::Client]
        .into_iter()
        .enumerate()
    {
        t.speakers.push(Speaker {
            id: SpeakerId(i as u32),
            label: format!("spk_{i}").into(),
            role,
            decided_by: RoleDecision::Provided,
            name: None,
        });
    }
    for (i, text) in [
        "What's your budget — in €? 🙂",
        "Etwa fünfzigtausend, 五万.",
    ]
    .into_iter()
    .enumerate()
    {
        t.utterances.push(Utterance {
            id: UtteranceId(i as u32),
            speaker: SpeakerId(i as u32),
            start_ms: i as u64 * 5_000,
            end_ms: i as u64 * 5_000 + 4_000,
            text: text.into(),
            words: vec![],
            channel: None,
        });
    }
    t
}

/// A scorecard for `call` with score `score` and the given verdicts.
pub fn sample_scorecard(
    call: &crate::call::Call,
    score: f64,
    verdicts: &[(&str, Verdict)],
) -> Scorecard {
    let mut metrics = ConversationMetrics::default();
    metrics.talk_ratio.rep = 0.4;
    metrics.talk_ratio.client = 0.6;
    Scorecard::suggested(ScorecardDraft {
        call_id: call.id,
        workspace_id: call.workspace_id,
        score: Score::new(score).unwrap_or_else(|_| panic!("bad score")),
        criteria: verdicts
            .iter()
            .map(|(id, v)| CriterionResult {
                criterion_id: (*id).into(),
                verdict: *v,
                weight: 1.0,
                points: if *v == Verdict::Met { 1.0 } else { 0.0 },
                evidence: vec![EvidenceSpan {
                    utterance_id: UtteranceId(0),
                    char_start: 0,
                    char_end: 6,
                    start_ms: 0,
                    end_ms: 4_000,
                    quote: "What's".into(),
                    speaker_role: SpeakerRole::Rep,
                }],
                rationale: "because".into(),
            })
            .collect(),
        explanation: vec![],
        coaching_notes: vec![],
        recommendations: vec![],
        issues: vec![],
        metrics: Some(metrics),
        summary: None,
        provenance: Provenance {
            scorer: "suite".into(),
            model: None,
            rubric_id: RubricKey::parse("bant").unwrap_or_else(|_| panic!("key")),
            rubric_version: "1".into(),
            rubric_hash: "sha256:00".into(),
            prompt_version: None,
            transcript_hash: "sha256:11".into(),
            generated_at: base_time(),
        },
    })
}

pub(super) fn is_not_found<T: std::fmt::Debug>(r: Result<T, Error>) -> bool {
    matches!(r, Err(Error::NotFound { .. }))
}

/// Calls, transcripts and scorecards come back exactly as stored.
pub async fn round_trips(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let call = w.call(&w.rep_a, Some(w.team_a), 1);
    s.calls.insert_call(&w.rep_a, &call).await.expect("insert");
    assert_eq!(
        s.calls.get_call(&w.rep_a, call.id).await.expect("get"),
        call
    );
    // With word timings (with and without confidence, extreme values),
    // and replaced: exactly what was put, every time.
    let mut t = sample_transcript();
    for (i, u) in t.utterances.iter_mut().enumerate() {
        let at = u.start_ms;
        u.words = vec![
            crate::transcript::Word {
                text: crate::Sensitive::new(format!("wörd{i},")),
                start_ms: at,
                end_ms: at + 250,
                confidence: Some(0.912_345_7),
            },
            crate::transcript::Word {
                text: crate::Sensitive::new(String::new()),
                start_ms: at + 250,
                end_ms: at + 250,
                confidence: None,
            },
        ];
    }
    for t in [sample_transcript(), t] {
        s.calls
            .put_transcript(&w.rep_a, call.id, &t)
            .await
            .expect("put transcript");
        assert_eq!(
            s.calls
                .get_transcript(&w.rep_a, call.id)
                .await
                .expect("get transcript"),
            t
        );
    }
    let sc = sample_scorecard(&call, 72.5, &[("budget", Verdict::Met)]);
    s.calls
        .insert_scorecard(&w.rep_a, &sc)
        .await
        .expect("insert scorecard");
    assert_eq!(
        s.calls
            .get_scorecard(&w.rep_a, sc.id)
            .await
            .expect("get scorecard"),
        sc
    );
    assert_eq!(
        s.calls
            .list_scorecards(&w.rep_a, call.id)
            .await
            .expect("list"),
        vec![sc]
    );
    Outcome::Passed
}

/// Missing things are `NotFound`.
pub async fn missing_is_not_found(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    assert!(is_not_found(
        s.calls.get_call(&w.owner, CallId::new()).await
    ));
    assert!(is_not_found(
        s.calls.get_transcript(&w.owner, CallId::new()).await
    ));
    assert!(is_not_found(
        s.calls
            .get_scorecard(&w.owner, crate::id::ScorecardId::new())
            .await
    ));
    let call = w.call(&w.rep_a, None, 1);
    s.calls.insert_call(&w.rep_a, &call).await.expect("insert");
    assert!(is_not_found(
        s.calls.get_transcript(&w.rep_a, call.id).await
    ));
    Outcome::Passed
}

/// Inserting an existing id is `AlreadyExists`.
pub async fn duplicates_are_already_exists(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let call = w.call(&w.rep_a, None, 1);
    s.calls.insert_call(&w.rep_a, &call).await.expect("insert");
    assert!(matches!(
        s.calls.insert_call(&w.rep_a, &call).await,
        Err(Error::AlreadyExists { .. })
    ));
    let sc = sample_scorecard(&call, 50.0, &[]);
    s.calls
        .insert_scorecard(&w.owner, &sc)
        .await
        .expect("scorecard");
    assert!(matches!(
        s.calls.insert_scorecard(&w.owner, &sc).await,
        Err(Error::AlreadyExists { .. })
    ));
    Outcome::Passed
}

/// Deleting cascades to transcript and scorecards, and is idempotent.
pub async fn deletes_cascade_and_are_idempotent(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let call = w.call(&w.rep_a, None, 1);
    s.calls.insert_call(&w.rep_a, &call).await.expect("insert");
    s.calls
        .put_transcript(&w.rep_a, call.id, &sample_transcript())
        .await
        .expect("t");
    let sc = sample_scorecard(&call, 50.0, &[]);
    s.calls.insert_scorecard(&w.rep_a, &sc).await.expect("sc");
    s.calls
        .delete_call(&w.rep_a, call.id)
        .await
        .expect("delete");
    s.calls
        .delete_call(&w.rep_a, call.id)
        .await
        .expect("delete again");
    s.calls
        .delete_call(&w.owner, CallId::new())
        .await
        .expect("delete missing");
    assert!(is_not_found(s.calls.get_call(&w.owner, call.id).await));
    assert!(is_not_found(
        s.calls.get_transcript(&w.owner, call.id).await
    ));
    assert!(is_not_found(s.calls.get_scorecard(&w.owner, sc.id).await));
    Outcome::Passed
}

/// Status changes follow the lifecycle; an illegal one changes nothing.
pub async fn lifecycle_is_enforced(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let call = w.call(&w.rep_a, None, 1);
    s.calls.insert_call(&w.rep_a, &call).await.expect("insert");
    let c = s
        .calls
        .transition_call(&w.rep_a, call.id, CallStatus::Transcribing)
        .await
        .expect("t1");
    assert_eq!(*c.status(), CallStatus::Transcribing);
    let e = s
        .calls
        .transition_call(&w.rep_a, call.id, CallStatus::Analyzed)
        .await;
    assert!(matches!(e, Err(Error::InvalidTransition { .. })), "{e:?}");
    let failed = CallStatus::Failed {
        stage: ProcessingStage::Transcription,
        reason: "decoder".into(),
        retryable: true,
    };
    s.calls
        .transition_call(&w.rep_a, call.id, failed.clone())
        .await
        .expect("fail");
    assert_eq!(
        s.calls
            .get_call(&w.rep_a, call.id)
            .await
            .expect("get")
            .status()
            .clone(),
        failed
    );
    Outcome::Passed
}

pub(super) async fn all_pages(
    s: &Stores,
    scope: &crate::scope::Scope,
    filter: &CallFilter,
    limit: u32,
) -> Vec<CallId> {
    let mut out = Vec::new();
    let mut page = PageRequest::first(limit);
    loop {
        let p = s
            .calls
            .list_calls(scope, filter, &page)
            .await
            .expect("list");
        out.extend(p.items.iter().map(|c| c.id));
        match p.next {
            Some(c) => page.after = Some(c),
            None => break,
        }
    }
    out
}

/// Keyset pagination returns every call once, newest first, and stays
/// stable when calls are inserted between pages.
pub async fn pagination_is_stable(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let mut ids = Vec::new();
    for i in 0..25 {
        // Pairs with the same start time exercise the id tie-break.
        let c = w.call(&w.rep_a, Some(w.team_a), i / 2);
        s.calls.insert_call(&w.rep_a, &c).await.expect("insert");
        ids.push((c.started_at, c.id));
    }
    ids.sort_by(|a, b| b.cmp(a));
    let want: Vec<CallId> = ids.iter().map(|x| x.1).collect();
    assert_eq!(
        all_pages(s, &w.owner, &CallFilter::default(), 7).await,
        want
    );
    // Insert newer and older calls between pages: the pages already read
    // are unaffected, and the walk still sees every old call exactly once.
    let first = s
        .calls
        .list_calls(&w.owner, &CallFilter::default(), &PageRequest::first(10))
        .await
        .expect("p1");
    s.calls
        .insert_call(&w.rep_a, &w.call(&w.rep_a, None, 1_000))
        .await
        .expect("newer");
    let older = w.call(&w.rep_a, None, -1_000);
    s.calls.insert_call(&w.rep_a, &older).await.expect("older");
    let mut seen: Vec<CallId> = first.items.iter().map(|c| c.id).collect();
    let mut page = PageRequest {
        limit: 10,
        after: first.next,
    };
    loop {
        let p = s
            .calls
            .list_calls(&w.owner, &CallFilter::default(), &page)
            .await
            .expect("list");
        seen.extend(p.items.iter().map(|c| c.id));
        match p.next {
            Some(c) => page.after = Some(c),
            None => break,
        }
    }
    let mut expected = want.clone();
    expected.push(older.id);
    assert_eq!(seen, expected);
    assert!(matches!(
        s.calls
            .list_calls(&w.owner, &CallFilter::default(), &PageRequest::first(0))
            .await,
        Err(Error::InvalidInput { .. })
    ));
    Outcome::Passed
}

/// Every filter narrows the list.
pub async fn filters_narrow(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let a = w.call(&w.rep_a, Some(w.team_a), 10);
    let mut b = w.call(&w.rep_b, Some(w.team_b), 20);
    b.outcome = crate::call::CallOutcome::Won;
    for (scope, c) in [(&w.rep_a, &a), (&w.rep_b, &b)] {
        s.calls.insert_call(scope, c).await.expect("insert");
    }
    s.calls
        .insert_scorecard(&w.owner, &sample_scorecard(&a, 80.0, &[]))
        .await
        .expect("sc");
    let owner = &w.owner;
    let ids = |f: CallFilter| async move { all_pages(s, owner, &f, 50).await };
    assert_eq!(
        ids(CallFilter {
            rep_id: Some(w.rep_a.user_id),
            ..Default::default()
        })
        .await,
        vec![a.id]
    );
    assert_eq!(
        ids(CallFilter {
            team_id: Some(w.team_b),
            ..Default::default()
        })
        .await,
        vec![b.id]
    );
    assert_eq!(
        ids(CallFilter {
            outcome: Some(crate::call::CallOutcome::Won),
            ..Default::default()
        })
        .await,
        vec![b.id]
    );
    assert_eq!(
        ids(CallFilter {
            started_from: Some(b.started_at),
            ..Default::default()
        })
        .await,
        vec![b.id]
    );
    assert_eq!(
        ids(CallFilter {
            started_before: Some(b.started_at),
            ..Default::default()
        })
        .await,
        vec![a.id]
    );
    assert_eq!(
        ids(CallFilter {
            min_score: Some(70.0),
            ..Default::default()
        })
        .await,
        vec![a.id]
    );
    assert_eq!(
        ids(CallFilter {
            max_score: Some(70.0),
            ..Default::default()
        })
        .await,
        Vec::<CallId>::new()
    );
    assert_eq!(
        ids(CallFilter {
            rubric: Some(RubricKey::parse("bant").unwrap_or_else(|_| panic!())),
            ..Default::default()
        })
        .await,
        vec![a.id]
    );
    assert_eq!(
        ids(CallFilter {
            status: Some("uploaded".into()),
            ..Default::default()
        })
        .await
        .len(),
        2
    );
    Outcome::Passed
}

/// Owners and admins see the workspace, managers their teams and
/// themselves, members themselves; invisible calls are `NotFound`.
pub async fn role_visibility(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let a = w.call(&w.rep_a, Some(w.team_a), 1);
    let b = w.call(&w.rep_b, Some(w.team_b), 2);
    let m = w.call(&w.manager, Some(w.team_a), 3);
    s.calls.insert_call(&w.rep_a, &a).await.expect("a");
    s.calls.insert_call(&w.rep_b, &b).await.expect("b");
    s.calls.insert_call(&w.manager, &m).await.expect("m");
    let visible = |scope| async move {
        all_pages(s, scope, &CallFilter::default(), 50)
            .await
            .into_iter()
            .collect::<BTreeSet<_>>()
    };
    let all: BTreeSet<_> = [a.id, b.id, m.id].into();
    assert_eq!(visible(&w.owner).await, all);
    assert_eq!(visible(&w.admin).await, all);
    assert_eq!(visible(&w.manager).await, [a.id, m.id].into());
    assert_eq!(visible(&w.rep_a).await, [a.id].into());
    assert_eq!(visible(&w.rep_b).await, [b.id].into());
    assert!(is_not_found(s.calls.get_call(&w.rep_a, b.id).await));
    assert!(is_not_found(s.calls.get_call(&w.manager, b.id).await));
    // A member cannot upload a call for someone else.
    let foreign = w.call(&w.rep_b, Some(w.team_b), 4);
    assert!(matches!(
        s.calls.insert_call(&w.rep_a, &foreign).await,
        Err(Error::Forbidden { .. })
    ));
    // Nobody reviews their own call; a manager reviews the team's.
    let sc = sample_scorecard(&a, 60.0, &[("budget", Verdict::Met)]);
    s.calls.insert_scorecard(&w.owner, &sc).await.expect("sc");
    let mut own = sc.clone();
    own.accept(w.rep_a.user_id, base_time()).expect("accept");
    assert!(matches!(
        s.calls.save_review(&w.rep_a, &own).await,
        Err(Error::Forbidden { .. })
    ));
    let mut by_manager = sc.clone();
    by_manager
        .accept(w.manager.user_id, base_time())
        .expect("accept");
    s.calls
        .save_review(&w.manager, &by_manager)
        .await
        .expect("manager review");
    Outcome::Passed
}

/// Nothing crosses workspaces, in reads or writes.
pub async fn tenant_isolation(s: &Stores, _: &()) -> Outcome {
    let w1 = World::create(s).await;
    let w2 = World::create(s).await;
    let c = w1.call(&w1.rep_a, None, 1);
    s.calls.insert_call(&w1.rep_a, &c).await.expect("insert");
    assert!(is_not_found(s.calls.get_call(&w2.owner, c.id).await));
    assert!(
        all_pages(s, &w2.owner, &CallFilter::default(), 50)
            .await
            .is_empty()
    );
    s.calls.delete_call(&w2.owner, c.id).await.expect("no-op");
    assert!(
        s.calls.get_call(&w1.owner, c.id).await.is_ok(),
        "another workspace's delete removed the call"
    );
    assert!(
        s.calls
            .put_transcript(&w2.owner, c.id, &sample_transcript())
            .await
            .is_err()
    );
    // A call claiming another workspace is refused.
    let mut forged = w1.call(&w1.rep_a, None, 2);
    forged.workspace_id = w1.workspace.id;
    assert!(s.calls.insert_call(&w2.owner, &forged).await.is_err());
    Outcome::Passed
}

/// Timestamps come back in UTC to the microsecond; text byte for byte.
pub async fn utc_and_unicode(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let mut c = w.call(&w.rep_a, None, 1);
    c.started_at += Duration::microseconds(123_456);
    c.rep_comments = Some("Notiz: Kunde mag Ümläüte, emoji 🎧, 中文, RTL עברית".into());
    s.calls.insert_call(&w.rep_a, &c).await.expect("insert");
    let back = s.calls.get_call(&w.rep_a, c.id).await.expect("get");
    assert_eq!(back.started_at, c.started_at);
    assert_eq!(back.started_at.timezone(), Utc);
    assert_eq!(back.rep_comments, c.rep_comments);
    assert_eq!(back.client.name, c.client.name);
    Outcome::Passed
}

/// Concurrent writers neither lose nor duplicate calls.
pub async fn concurrent_writers(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let mut handles = Vec::new();
    for i in 0..20 {
        let calls = s.calls.clone();
        let scope = w.rep_a.clone();
        let c = w.call(&w.rep_a, None, i);
        handles.push(async move { calls.insert_call(&scope, &c).await });
    }
    let mut results = Vec::new();
    for h in handles {
        results.push(h);
    }
    let joined = futures_join_all(results).await;
    assert!(joined.iter().all(Result::is_ok), "{joined:?}");
    assert_eq!(
        all_pages(s, &w.rep_a, &CallFilter::default(), 100)
            .await
            .len(),
        20
    );
    Outcome::Passed
}

async fn futures_join_all<F: std::future::Future>(fs: Vec<F>) -> Vec<F::Output> {
    // Poll all futures concurrently without depending on a runtime crate.
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = fs.into_iter().map(Box::pin).collect();
    let mut outs: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if outs[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => outs[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outs.into_iter()
        .map(|o| o.unwrap_or_else(|| panic!("future did not finish")))
        .collect()
}

/// A review is saved once, with its history; a second save of an
/// already-reviewed scorecard is a `Conflict`.
pub async fn reviews_are_recorded_once(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let c = w.call(&w.rep_a, Some(w.team_a), 1);
    s.calls.insert_call(&w.rep_a, &c).await.expect("insert");
    let sc = sample_scorecard(&c, 70.0, &[("budget", Verdict::Met)]);
    s.calls.insert_scorecard(&w.owner, &sc).await.expect("sc");
    let mut reviewed = sc.clone();
    reviewed
        .override_with(
            w.manager.user_id,
            base_time(),
            vec![ReviewChange {
                criterion_id: None,
                verdict: None,
                score: Some(Score::new(55.0).unwrap_or_else(|_| panic!())),
            }],
            "client never confirmed",
        )
        .expect("override");
    s.calls
        .save_review(&w.manager, &reviewed)
        .await
        .expect("save");
    let back = s.calls.get_scorecard(&w.owner, sc.id).await.expect("get");
    assert!(matches!(back.review(), ReviewState::Overridden { .. }));
    assert_eq!(back.score.value(), 70.0, "the AI's original score is kept");
    let mut again = sc.clone();
    again.accept(w.admin.user_id, base_time()).expect("accept");
    assert!(matches!(
        s.calls.save_review(&w.admin, &again).await,
        Err(Error::Conflict { .. })
    ));
    let history = s
        .calls
        .review_history(&w.owner, sc.id)
        .await
        .expect("history");
    assert_eq!(history.len(), 1);
    Outcome::Passed
}

/// Aggregates per rep and team over a date range.
pub async fn aggregates(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let mut cards = Vec::new();
    for (i, (rep, team, score, v)) in [
        (&w.rep_a, w.team_a, 80.0, Verdict::Met),
        (&w.rep_a, w.team_a, 60.0, Verdict::Missed),
        (&w.rep_b, w.team_b, 50.0, Verdict::Partial),
    ]
    .into_iter()
    .enumerate()
    {
        let c = w.call(rep, Some(team), i as i64 * 10);
        s.calls.insert_call(rep, &c).await.expect("insert");
        let sc = sample_scorecard(&c, score, &[("budget", v)]);
        s.calls.insert_scorecard(&w.owner, &sc).await.expect("sc");
        cards.push(sc);
    }
    // An unscored call, and a call outside the range.
    s.calls
        .insert_call(&w.rep_a, &w.call(&w.rep_a, Some(w.team_a), 5))
        .await
        .expect("unscored");
    s.calls
        .insert_call(&w.rep_a, &w.call(&w.rep_a, Some(w.team_a), 100_000))
        .await
        .expect("later");
    let q = AggregateQuery {
        group_by: GroupBy::Rep,
        from: base_time(),
        to: base_time() + Duration::days(1),
    };
    let rows = s.calls.aggregate(&w.owner, &q).await.expect("aggregate");
    let a = rows
        .iter()
        .find(|r| r.key.as_deref() == Some(&w.rep_a.user_id.to_string()))
        .expect("rep a");
    assert_eq!((a.calls, a.scored_calls), (3, 2));
    assert_eq!(a.avg_score, Some(70.0));
    assert!((a.avg_rep_talk_ratio.unwrap_or_default() - 0.4).abs() < 1e-9);
    assert_eq!(a.criterion_hit_rate.get("budget"), Some(&0.5));
    let b = rows
        .iter()
        .find(|r| r.key.as_deref() == Some(&w.rep_b.user_id.to_string()))
        .expect("rep b");
    assert_eq!(
        b.criterion_hit_rate.get("budget"),
        Some(&0.5),
        "partial counts half"
    );
    // A newer scorecard (a new version of the rubric) replaces the call's
    // contribution.
    let call_b = s
        .calls
        .get_call(&w.owner, cards[2].call_id)
        .await
        .expect("call b");
    let mut rescored = sample_scorecard(&call_b, 90.0, &[("budget", Verdict::Met)]);
    rescored.provenance.rubric_version = "2".into();
    s.calls
        .insert_scorecard(&w.owner, &rescored)
        .await
        .expect("rescore");
    // Whole days (midnight to midnight) and ragged ranges agree.
    let midnight = base_time() - Duration::hours(9);
    let whole = AggregateQuery {
        group_by: GroupBy::Rep,
        from: midnight,
        to: midnight + Duration::days(2),
    };
    let ragged = AggregateQuery {
        group_by: GroupBy::Rep,
        from: midnight - Duration::hours(5),
        to: midnight + Duration::days(2) + Duration::minutes(30),
    };
    let by_whole = s.calls.aggregate(&w.owner, &whole).await.expect("whole");
    assert_eq!(
        by_whole,
        s.calls.aggregate(&w.owner, &ragged).await.expect("ragged")
    );
    assert_eq!(
        by_whole,
        s.calls
            .aggregate(&w.owner, &q)
            .await
            .expect("same as the first range")
    );
    let q = AggregateQuery {
        group_by: GroupBy::Team,
        ..q
    };
    let rows = s
        .calls
        .aggregate(&w.manager, &q)
        .await
        .expect("manager aggregate");
    assert_eq!(rows.len(), 1, "a manager sees only their team: {rows:?}");
    let rows = s
        .calls
        .aggregate(&w.owner, &q)
        .await
        .expect("team aggregate");
    let tb = rows
        .iter()
        .find(|r| r.key.as_deref() == Some(&w.team_b.to_string()))
        .expect("team b");
    assert_eq!(tb.avg_score, Some(90.0));
    assert_eq!(tb.criterion_hit_rate.get("budget"), Some(&1.0));
    Outcome::Passed
}

/// The subject index finds calls by client e-mail (any case), phone (any
/// formatting) and rep, within the workspace only.
pub async fn subject_index(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let other = World::create(s).await;
    let c = w.call(&w.rep_a, None, 7);
    s.calls.insert_call(&w.rep_a, &c).await.expect("insert");
    let email = c.client.email.clone().unwrap_or_else(|| panic!("email"));
    let upper = crate::contact::EmailAddress::parse(&email.as_str().to_uppercase())
        .unwrap_or_else(|_| panic!());
    assert_eq!(
        s.calls
            .find_calls_by_subject(&w.owner, &Subject::Email(upper))
            .await
            .expect("by email"),
        vec![c.id]
    );
    let phone =
        crate::contact::PhoneNumber::parse("+44 (20) 7946-0007").unwrap_or_else(|_| panic!());
    assert_eq!(
        s.calls
            .find_calls_by_subject(&w.owner, &Subject::Phone(phone))
            .await
            .expect("by phone"),
        vec![c.id]
    );
    assert_eq!(
        s.calls
            .find_calls_by_subject(&w.owner, &Subject::User(w.rep_a.user_id))
            .await
            .expect("by rep"),
        vec![c.id]
    );
    assert!(
        s.calls
            .find_calls_by_subject(&other.owner, &Subject::Email(email.clone()))
            .await
            .expect("other ws")
            .is_empty()
    );
    assert!(matches!(
        s.calls
            .find_calls_by_subject(&w.rep_a, &Subject::Email(email))
            .await,
        Err(Error::Forbidden { .. })
    ));
    // Rectification re-indexes.
    let mut fixed = c.clone();
    fixed.client.email = crate::contact::EmailAddress::parse("renamed@new.example").ok();
    s.calls.update_call(&w.owner, &fixed).await.expect("update");
    let new = Subject::Email(
        crate::contact::EmailAddress::parse("renamed@new.example").unwrap_or_else(|_| panic!()),
    );
    assert_eq!(
        s.calls
            .find_calls_by_subject(&w.owner, &new)
            .await
            .expect("new"),
        vec![c.id]
    );
    Outcome::Passed
}

/// Anonymizing removes personal data atomically and keeps the scores.
pub async fn anonymize(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let mut c = w.call(&w.rep_a, None, 3);
    c.rep_comments = Some("call back Pat".into());
    s.calls.insert_call(&w.rep_a, &c).await.expect("insert");
    s.calls
        .put_transcript(&w.rep_a, c.id, &sample_transcript())
        .await
        .expect("t");
    let sc = sample_scorecard(&c, 64.0, &[("budget", Verdict::Met)]);
    s.calls.insert_scorecard(&w.owner, &sc).await.expect("sc");
    let email = c.client.email.clone().unwrap_or_else(|| panic!());
    s.calls
        .anonymize_call(&w.owner, c.id)
        .await
        .expect("anonymize");
    s.calls
        .anonymize_call(&w.owner, c.id)
        .await
        .expect("idempotent");
    let back = s.calls.get_call(&w.owner, c.id).await.expect("call stays");
    assert!(back.client.is_empty() && back.rep_comments.is_none());
    assert!(is_not_found(s.calls.get_transcript(&w.owner, c.id).await));
    let card = s
        .calls
        .get_scorecard(&w.owner, sc.id)
        .await
        .expect("scorecard stays");
    assert_eq!(card.score.value(), 64.0);
    assert!(
        card.criteria
            .iter()
            .all(|r| r.evidence.is_empty() && r.rationale.is_empty())
    );
    assert!(
        s.calls
            .find_calls_by_subject(&w.owner, &Subject::Email(email))
            .await
            .expect("find")
            .is_empty()
    );
    let old = s
        .calls
        .calls_started_before(&w.owner, Utc::now() + Duration::days(3650), None, 10)
        .await
        .expect("retention");
    assert_eq!(old.iter().map(|k| k.id).collect::<Vec<_>>(), vec![c.id]);
    assert_eq!(old[0].started_at, c.started_at);
    Outcome::Passed
}

/// A scorecard's free text can be rewritten (redaction), review history
/// included, and nothing else can change that way.
pub async fn scorecard_text_updates(s: &Stores, _: &()) -> Outcome {
    let w = World::create(s).await;
    let c = w.call(&w.rep_a, Some(w.team_a), 4);
    s.calls.insert_call(&w.rep_a, &c).await.expect("insert");
    let mut sc = sample_scorecard(&c, 70.0, &[("budget", Verdict::Met)]);
    sc.coaching_notes.push(crate::scorecard::CoachingNote {
        text: "Ask Pat Doe about the budget".into(),
        about: None,
        source: None,
        at_ms: vec![],
    });
    s.calls.insert_scorecard(&w.owner, &sc).await.expect("sc");
    let mut reviewed = sc.clone();
    reviewed
        .reject(
            w.manager.user_id,
            base_time(),
            "Pat Doe was not on this call",
        )
        .expect("reject");
    s.calls
        .save_review(&w.manager, &reviewed)
        .await
        .expect("review");
    let mut stored = s.calls.get_scorecard(&w.owner, sc.id).await.expect("get");
    assert!(stored.rewrite_text(|t| {
        t.contains("Pat Doe")
            .then(|| t.replace("Pat Doe", "[ERASED]"))
    }));
    s.calls
        .update_scorecard_text(&w.owner, &stored)
        .await
        .expect("text update");
    let back = s.calls.get_scorecard(&w.owner, sc.id).await.expect("get");
    assert_eq!(back, stored);
    assert_eq!(
        back.coaching_notes[0].text.as_str(),
        "Ask [ERASED] about the budget"
    );
    let history = s
        .calls
        .review_history(&w.owner, sc.id)
        .await
        .expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(
        &history[0].state,
        back.review(),
        "the review event is redacted too"
    );
    // Anything but text is refused.
    let mut bad = back.clone();
    bad.score = Score::new(99.0).expect("score");
    assert!(matches!(
        s.calls.update_scorecard_text(&w.owner, &bad).await,
        Err(Error::InvalidInput { .. })
    ));
    let mut bad = back.clone();
    bad.criteria[0].verdict = Verdict::Missed;
    assert!(matches!(
        s.calls.update_scorecard_text(&w.owner, &bad).await,
        Err(Error::InvalidInput { .. })
    ));
    // Invisible to another team's rep; missing is NotFound.
    assert!(is_not_found(
        s.calls.update_scorecard_text(&w.rep_b, &back).await
    ));
    let mut unknown = sample_scorecard(&c, 10.0, &[]);
    unknown.rewrite_text(|_| Some("x".into()));
    assert!(is_not_found(
        s.calls.update_scorecard_text(&w.owner, &unknown).await
    ));
    Outcome::Passed
}

/// Runs every case of the call-store suite as its own test. `make` gives an
/// `Arc<Stores>` (or anything that derefs to [`Stores`]).
#[macro_export]
macro_rules! call_store_conformance {
    (make = $make:expr $(,)?) => {
        $crate::conformance_tests!(
            suite = call_store,
            make = $make,
            fixture = (),
            cases = [
                round_trips,
                missing_is_not_found,
                duplicates_are_already_exists,
                deletes_cascade_and_are_idempotent,
                lifecycle_is_enforced,
                pagination_is_stable,
                filters_narrow,
                role_visibility,
                tenant_isolation,
                utc_and_unicode,
                concurrent_writers,
                reviews_are_recorded_once,
                aggregates,
                subject_index,
                anonymize,
                scorecard_text_updates,
                ingest_is_all_or_nothing,
                advance_call_checks_every_step,
                one_card_per_rubric_version_and_scorer,
                reassign_rep_moves_a_reps_calls_to_a_tombstone,
                start_order_pages_survive_deletion,
                scored_calls_read_every_card_of_each_call,
            ]
        );
    };
    (make_or_skip = $make:expr $(,)?) => {
        $crate::conformance_tests!(
            suite = call_store,
            make_or_skip = $make,
            fixture = (),
            cases = [
                round_trips,
                missing_is_not_found,
                duplicates_are_already_exists,
                deletes_cascade_and_are_idempotent,
                lifecycle_is_enforced,
                pagination_is_stable,
                filters_narrow,
                role_visibility,
                tenant_isolation,
                utc_and_unicode,
                concurrent_writers,
                reviews_are_recorded_once,
                aggregates,
                subject_index,
                anonymize,
                scorecard_text_updates,
                ingest_is_all_or_nothing,
                advance_call_checks_every_step,
                one_card_per_rubric_version_and_scorer,
                reassign_rep_moves_a_reps_calls_to_a_tombstone,
                start_order_pages_survive_deletion,
                scored_calls_read_every_card_of_each_call,
            ]
        );
    };
}

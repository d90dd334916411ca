//! The heuristic scorer on real-looking calls.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::TimeZone;
use closeq_analysis::metrics::{MetricsConfig, compute};
use closeq_analysis::rubric::{builtin_rubric, builtin_rubrics, load_toml};
use closeq_analysis::scoring::HeuristicScorer;
use closeq_analysis::transcript::{ImportOptions, import};
use closeq_core::ports::{Scorer, ScoringInput};
use closeq_core::{
    Call, CallDirection, CallSource, ManualClock, ReviewState, Scorecard, Transcript, UserId,
    Verdict, WorkspaceId,
};

fn transcript(name: &str) -> Transcript {
    let bytes = std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    import(
        &bytes,
        None,
        &ImportOptions::default().with_rep_speaker("Rep"),
    )
    .unwrap()
}

fn call() -> Call {
    let t = chrono::Utc.with_ymd_and_hms(2026, 5, 1, 10, 0, 0).unwrap();
    let mut c = Call::new(
        WorkspaceId::new(),
        UserId::new(),
        t,
        CallDirection::Outbound,
        CallSource::Upload,
        t,
    );
    c.call_type = Some("discovery".into());
    c
}

fn scorer() -> HeuristicScorer {
    let t = chrono::Utc.with_ymd_and_hms(2026, 5, 2, 0, 0, 0).unwrap();
    HeuristicScorer::new(Arc::new(ManualClock::new(t)))
}

async fn score(name: &str, rubric: &str) -> Scorecard {
    let t = transcript(name);
    let m = compute(&t, &MetricsConfig::default());
    let c = call();
    let r = builtin_rubric(rubric).unwrap();
    scorer()
        .score(
            &ScoringInput {
                call: &c,
                transcript: &t,
                metrics: &m,
            },
            &r,
        )
        .await
        .unwrap()
}

fn verdict(s: &Scorecard, id: &str) -> Verdict {
    s.criteria
        .iter()
        .find(|c| c.criterion_id == id)
        .unwrap()
        .verdict
}

fn assert_evidence_is_verifiable(s: &Scorecard, t: &Transcript) {
    for r in &s.criteria {
        if matches!(r.verdict, Verdict::Met | Verdict::Partial) {
            assert!(
                !r.evidence.is_empty(),
                "{} is {:?} without evidence",
                r.criterion_id,
                r.verdict
            );
        }
        for e in &r.evidence {
            let u = t.utterance(e.utterance_id).unwrap();
            let chars: String = u
                .text
                .chars()
                .skip(e.char_start as usize)
                .take((e.char_end - e.char_start) as usize)
                .collect();
            assert_eq!(
                chars,
                e.quote.as_str(),
                "quote does not match its char range"
            );
            assert_eq!((e.start_ms, e.end_ms), (u.start_ms, u.end_ms));
            assert_eq!(e.speaker_role, t.role_of(u.speaker));
        }
    }
}

#[tokio::test]
async fn a_good_discovery_call_meets_bant() {
    let s = score("discovery_good.txt", "bant").await;
    for id in ["budget", "authority", "need", "timeline"] {
        assert_eq!(
            verdict(&s, id),
            Verdict::Met,
            "{id}: {:?}",
            s.criteria
                .iter()
                .find(|c| c.criterion_id == id)
                .unwrap()
                .rationale
                .expose()
        );
    }
    assert_eq!(s.score.value(), 100.0);
    assert_eq!(s.review(), &ReviewState::Suggested);
    assert_evidence_is_verifiable(&s, &transcript("discovery_good.txt"));
    let budget = s
        .criteria
        .iter()
        .find(|c| c.criterion_id == "budget")
        .unwrap();
    assert!(
        budget.evidence.iter().any(|e| e.quote.contains("budget")),
        "{:?}",
        budget
            .evidence
            .iter()
            .map(|e| e.quote.expose())
            .collect::<Vec<_>>()
    );
    assert_eq!(s.provenance.rubric_id.as_str(), "bant");
    assert!(s.provenance.transcript_hash.starts_with("sha256:"));
}

#[tokio::test]
async fn a_poor_call_misses_and_gets_coached() {
    let s = score("discovery_poor.txt", "discovery").await;
    assert_eq!(verdict(&s, "next_step"), Verdict::Missed);
    assert_eq!(verdict(&s, "questions"), Verdict::Missed);
    assert_eq!(verdict(&s, "listening"), Verdict::Missed);
    assert!(s.score.value() < 30.0, "{}", s.score.value());
    assert!(s.issues.iter().any(|i| i.kind == "no_next_step"));
    assert!(
        s.issues
            .iter()
            .any(|i| i.kind == "rep_dominated_conversation")
    );
    let talk = s
        .coaching_notes
        .iter()
        .find(|n| n.about.as_deref() == Some("rep_talk_ratio"))
        .unwrap();
    assert!(
        talk.text.contains("top performers stay near 43%"),
        "{}",
        talk.text.expose()
    );
    assert!(talk.source.as_deref().unwrap().contains("Gong"));
    assert!(!talk.at_ms.is_empty());
    assert!(!s.recommendations.is_empty());
    assert_evidence_is_verifiable(&s, &transcript("discovery_poor.txt"));
}

#[tokio::test]
async fn the_good_call_beats_the_poor_one_on_every_pack() {
    let good = transcript("discovery_good.txt");
    let poor = transcript("discovery_poor.txt");
    let sc = scorer();
    let packs = sc.compile_set(&builtin_rubrics().unwrap()).unwrap();
    let c = call();
    let mg = compute(&good, &MetricsConfig::default());
    let mp = compute(&poor, &MetricsConfig::default());
    let g = sc
        .score_all(
            &ScoringInput {
                call: &c,
                transcript: &good,
                metrics: &mg,
            },
            &packs,
        )
        .unwrap();
    let p = sc
        .score_all(
            &ScoringInput {
                call: &c,
                transcript: &poor,
                metrics: &mp,
            },
            &packs,
        )
        .unwrap();
    for (a, b) in g.iter().zip(&p) {
        assert!(
            a.score.value() > b.score.value(),
            "{}: {} vs {}",
            a.provenance.rubric_id,
            a.score.value(),
            b.score.value()
        );
        assert_evidence_is_verifiable(a, &good);
        assert_evidence_is_verifiable(b, &poor);
    }
}

#[tokio::test]
async fn rollup_is_weighted_with_partial_credit_and_not_applicable_excluded() {
    let rubric = load_toml(
        "r.toml",
        r#"
id = "r"
name = "R"
version = "1"
partial_credit = 0.25
[[criteria]]
id = "a"
title = "A"
weight = 3.0
evidence = "rep"
met_when = { type = "phrases", side = "rep", phrases = ["never said anywhere"] }
partial_when = { type = "phrases", side = "rep", phrases = ["walk me through"] }
[[criteria]]
id = "b"
title = "B"
weight = 1.0
evidence = "client"
met_when = { type = "phrases", side = "client", phrases = ["cfo"] }
[[criteria]]
id = "c"
title = "C"
weight = 5.0
evidence = "either"
applies_when = { type = "phrases", side = "either", phrases = ["renewal"] }
met_when = { type = "phrases", side = "either", phrases = ["budget"] }
"#,
    )
    .unwrap();
    let t = transcript("discovery_good.txt");
    let m = compute(&t, &MetricsConfig::default());
    let c = call();
    let s = scorer()
        .score(
            &ScoringInput {
                call: &c,
                transcript: &t,
                metrics: &m,
            },
            &rubric,
        )
        .await
        .unwrap();
    assert_eq!(verdict(&s, "a"), Verdict::Partial);
    assert_eq!(verdict(&s, "b"), Verdict::Met);
    assert_eq!(verdict(&s, "c"), Verdict::NotApplicable);
    // (3 × 0.25 + 1) / (3 + 1) = 43.75 → 43.8 (one decimal).
    assert_eq!(s.score.value(), 43.8);
    let ex: Vec<_> = s
        .explanation
        .iter()
        .map(|e| (e.criterion_id.as_str(), e.points, e.possible))
        .collect();
    assert_eq!(ex, vec![("a", 0.75, 3.0), ("b", 1.0, 1.0), ("c", 0.0, 0.0)]);
}

#[tokio::test]
async fn scoring_is_deterministic() {
    let a = score("discovery_good.txt", "meddpicc").await;
    let b = score("discovery_good.txt", "meddpicc").await;
    assert_eq!(a.criteria, b.criteria);
    assert_eq!(a.score, b.score);
    assert_eq!(a.coaching_notes, b.coaching_notes);
}

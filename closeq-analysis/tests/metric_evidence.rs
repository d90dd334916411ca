//! Metric verdicts cite the moments behind the metric — the questions
//! asked, the longest monologue, the longest client story — with their
//! times and the measured value against the benchmark, not the opening
//! greeting.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::TimeZone;
use closeq_analysis::metrics::{MetricsConfig, compute, longest_stretches};
use closeq_analysis::rubric::builtin_rubric;
use closeq_analysis::scoring::HeuristicScorer;
use closeq_analysis::transcript::{ImportOptions, import};
use closeq_core::ports::{Scorer, ScoringInput};
use closeq_core::{
    Call, CallDirection, CallSource, CriterionResult, ManualClock, SpeakerRole, Transcript, UserId,
    WorkspaceId,
};

/// A greeting, then a pitch of three rep utterances over a client's
/// backchannel, then a long client story, then two rep questions.
const SCRIPT: &str = "\
[00:00:00] Rep: Hi Sam, this is Dana from Acme.
[00:00:03] Client: Hi.
[00:00:05] Rep: Let me tell you about our platform, it does dashboards and exports.
[00:00:20] Client: Okay.
[00:00:22] Rep: It also integrates with every tool you use and our pricing is simple.
[00:00:40] Client: Our close takes nine days, the board is unhappy and finance works every weekend to reconcile the numbers by hand before the report goes out.
[00:01:10] Rep: How do you reconcile today?
[00:01:15] Client: Spreadsheets.
[00:01:18] Rep: Who signs off on a new tool?
[00:01:22] Client: Our CFO.
";

fn transcript() -> Transcript {
    import(
        SCRIPT.as_bytes(),
        None,
        &ImportOptions::default().with_rep_speaker("Rep"),
    )
    .unwrap()
}

async fn card() -> (Transcript, Vec<CriterionResult>) {
    let t = transcript();
    let m = compute(&t, &MetricsConfig::default());
    let at = chrono::Utc.with_ymd_and_hms(2026, 5, 1, 10, 0, 0).unwrap();
    let mut c = Call::new(
        WorkspaceId::new(),
        UserId::new(),
        at,
        CallDirection::Outbound,
        CallSource::Upload,
        at,
    );
    c.call_type = Some("discovery".into());
    let scorer = HeuristicScorer::new(Arc::new(ManualClock::new(at)));
    let card = scorer
        .score(
            &ScoringInput {
                call: &c,
                transcript: &t,
                metrics: &m,
            },
            &builtin_rubric("discovery").unwrap(),
        )
        .await
        .unwrap();
    (t, card.criteria)
}

fn criterion<'a>(cs: &'a [CriterionResult], id: &str) -> &'a CriterionResult {
    cs.iter().find(|c| c.criterion_id == id).unwrap()
}

#[test]
fn the_located_stretches_are_the_ones_the_metrics_measure() {
    let t = transcript();
    let cfg = MetricsConfig::default();
    let m = compute(&t, &cfg);
    let s = longest_stretches(&t, &cfg);
    let rep = s.rep.unwrap();
    let client = s.client.unwrap();
    assert_eq!(rep.end_ms - rep.start_ms, m.longest_rep_monologue_ms);
    assert_eq!(client.end_ms - client.start_ms, m.longest_customer_story_ms);
    // The pitch from the greeting on, across the client's backchannel.
    assert_eq!(rep.first, 0);
    assert!(rep.last >= 2, "{rep:?}");
    assert_eq!(client.first, 5);
}

#[tokio::test]
async fn metric_verdicts_cite_what_the_metric_measured() {
    let (t, cs) = card().await;
    // The monologue criterion: its value and where it runs.
    let pitch = criterion(&cs, "no_long_monologue");
    let m = compute(&t, &MetricsConfig::default());
    let secs = m.longest_rep_monologue_ms as f64 / 1000.0;
    assert!(
        pitch.rationale.contains(&format!("{secs:.1} s")),
        "{}",
        pitch.rationale.as_str()
    );
    assert!(
        pitch.rationale.contains("runs 0:00–"),
        "{}",
        pitch.rationale.as_str()
    );
    // Talk ratio: the monologue and the client's story are both cited.
    let listening = criterion(&cs, "listening");
    let roles: Vec<SpeakerRole> = listening.evidence.iter().map(|e| e.speaker_role).collect();
    assert!(roles.contains(&SpeakerRole::Client), "{roles:?}");
    let story = listening
        .evidence
        .iter()
        .find(|e| e.speaker_role == SpeakerRole::Client)
        .unwrap();
    assert_eq!(
        story.start_ms, 40_000,
        "the longest client story, not a backchannel"
    );
    assert!(
        listening
            .rationale
            .contains("longest client story runs 0:40"),
        "{}",
        listening.rationale.as_str()
    );
    assert!(listening.rationale.contains('%'));
    // Questions (too few here, so missed): the times are listed, and any
    // cited utterance asks one.
    let questions = criterion(&cs, "questions");
    for e in &questions.evidence {
        assert!(e.quote.contains('?'), "{}", e.quote.as_str());
    }
    assert!(
        questions.rationale.contains("questions at 1:10, 1:18"),
        "{}",
        questions.rationale.as_str()
    );
    // No metric verdict explains itself with the greeting alone.
    for c in [pitch, listening, questions] {
        assert!(
            !(c.evidence.len() == 1 && c.evidence[0].quote.starts_with("Hi Sam")),
            "{} cites only the greeting",
            c.criterion_id
        );
    }
}

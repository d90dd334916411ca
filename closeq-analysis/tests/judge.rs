//! The LLM judge with a scripted model: verified citations, unverifiable
//! quotes, repair retry, refusal, truncation, caching.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::TimeZone;
use closeq_analysis::metrics::{MetricsConfig, compute};
use closeq_analysis::rubric::builtin_rubric;
use closeq_analysis::scoring::LlmJudge;
use closeq_analysis::transcript::{ImportOptions, import};
use closeq_core::ports::{Completion, FinishReason, Scorer, ScoringInput, TokenUsage};
use closeq_core::testing::ScriptedLanguageModel;
use closeq_core::{
    Call, CallDirection, CallSource, Error, ManualClock, ReviewState, Transcript, UserId, Verdict,
    WorkspaceId,
};
use serde_json::json;

fn transcript() -> Transcript {
    let bytes = std::fs::read(format!(
        "{}/tests/fixtures/discovery_good.txt",
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

fn completion(content: String, finish: FinishReason) -> Completion {
    Completion {
        content: content.into(),
        finish_reason: finish,
        usage: TokenUsage {
            input_tokens: 1200,
            output_tokens: 300,
        },
        cost_usd: None,
        model: "fake".into(),
        request_id: None,
    }
}

fn answer(criteria: serde_json::Value) -> String {
    json!({"criteria": criteria, "coaching_notes": ["Ask about budget earlier."], "recommendations": ["Confirm the decision process."]}).to_string()
}

fn uid(t: &Transcript, needle: &str) -> u32 {
    t.utterances
        .iter()
        .find(|u| u.text.contains(needle))
        .unwrap()
        .id
        .0
}

fn setup() -> (Arc<ScriptedLanguageModel>, LlmJudge, Transcript, Call) {
    let lm = Arc::new(ScriptedLanguageModel::new("fake-model"));
    let clock = Arc::new(ManualClock::new(
        chrono::Utc.with_ymd_and_hms(2026, 5, 2, 0, 0, 0).unwrap(),
    ));
    let judge = LlmJudge::new(lm.clone(), clock);
    let t0 = chrono::Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
    let call = Call::new(
        WorkspaceId::new(),
        UserId::new(),
        t0,
        CallDirection::Outbound,
        CallSource::Upload,
        t0,
    );
    (lm, judge, transcript(), call)
}

#[tokio::test]
async fn verified_citations_count_and_unverifiable_ones_do_not() {
    let (lm, judge, t, call) = setup();
    let budget_u = uid(&t, "budget is approved");
    let timeline_u = uid(&t, "What is your timeline");
    lm.push(Ok(completion(
        answer(json!([
            {"criterion_id": "budget", "verdict": "met", "citations": [{"utterance": budget_u, "quote": "the  BUDGET is approved for this quarter"}], "rationale": "client stated budget"},
            {"criterion_id": "authority", "verdict": "met", "citations": [{"utterance": budget_u, "quote": "our CEO signs off"}], "rationale": "invented quote"},
            {"criterion_id": "need", "verdict": "partial", "citations": [{"utterance": timeline_u, "quote": "What is your timeline?"}], "rationale": "wrong side: need evidence is either, but..."},
            {"criterion_id": "timeline", "verdict": "met", "citations": [{"utterance": 999, "quote": "next quarter"}], "rationale": "bad id"}
        ])),
        FinishReason::Stop,
    )));
    let m = compute(&t, &MetricsConfig::default());
    let rubric = builtin_rubric("bant").unwrap();
    let s = judge
        .score(
            &ScoringInput {
                call: &call,
                transcript: &t,
                metrics: &m,
            },
            &rubric,
        )
        .await
        .unwrap();
    let v = |id: &str| s.criteria.iter().find(|c| c.criterion_id == id).unwrap();
    assert_eq!(v("budget").verdict, Verdict::Met);
    assert_eq!(
        v("budget").evidence[0].quote.as_str(),
        "The budget is approved for this quarter",
        "the transcript's own words are quoted"
    );
    assert_eq!(v("authority").verdict, Verdict::InsufficientEvidence);
    assert!(v("authority").rationale.contains("quote not found"));
    assert_eq!(
        v("need").verdict,
        Verdict::Partial,
        "either side accepts a rep quote"
    );
    assert_eq!(v("timeline").verdict, Verdict::InsufficientEvidence);
    assert!(v("timeline").rationale.contains("does not exist"));
    // (1 + 0.5) / 4
    assert_eq!(s.score.value(), 37.5);
    assert_eq!(s.review(), &ReviewState::Suggested);
    assert_eq!(s.provenance.prompt_version.as_deref(), Some("judge-v3"));
    assert_eq!(s.provenance.model.as_deref(), Some("fake-model"));
    // The request: temperature 0, a seed, the schema, utterance ids.
    let req = &lm.requests()[0];
    assert_eq!(req.temperature, 0.0);
    assert_eq!(req.seed, Some(0));
    assert!(req.response_schema.as_ref().unwrap().schema["properties"]["criteria"].is_object());
    assert!(
        req.messages[0]
            .content
            .contains(&format!("\nC{budget_u} Our CFO"))
    );
}

#[tokio::test]
async fn wrong_side_quotes_are_refused() {
    let (lm, judge, t, call) = setup();
    // SPIN's "problem" criterion needs the rep; cite the client.
    let client_u = uid(&t, "It takes too long");
    lm.push(Ok(completion(
        answer(json!([{"criterion_id": "problem", "verdict": "met", "citations": [{"utterance": client_u, "quote": "It takes too long"}], "rationale": "x"}])),
        FinishReason::Stop,
    )));
    let m = compute(&t, &MetricsConfig::default());
    let s = judge
        .score(
            &ScoringInput {
                call: &call,
                transcript: &t,
                metrics: &m,
            },
            &builtin_rubric("spin").unwrap(),
        )
        .await
        .unwrap();
    let p = s
        .criteria
        .iter()
        .find(|c| c.criterion_id == "problem")
        .unwrap();
    assert_eq!(p.verdict, Verdict::InsufficientEvidence);
    assert!(p.rationale.contains("wrong side"));
    // Criteria the judge skipped are insufficient evidence, never met.
    assert!(
        s.criteria
            .iter()
            .filter(|c| c.criterion_id != "problem")
            .all(|c| c.verdict == Verdict::InsufficientEvidence)
    );
}

#[tokio::test]
async fn malformed_answers_get_one_repair_then_a_typed_error() {
    let (lm, judge, t, call) = setup();
    let m = compute(&t, &MetricsConfig::default());
    let input = ScoringInput {
        call: &call,
        transcript: &t,
        metrics: &m,
    };
    let rubric = builtin_rubric("bant").unwrap();
    // Invalid JSON, then a valid answer: one repair, success.
    lm.push(Ok(completion("{not json".into(), FinishReason::Stop)));
    lm.push(Ok(completion(answer(json!([])), FinishReason::Stop)));
    judge.score(&input, &rubric).await.unwrap();
    assert_eq!(lm.requests().len(), 2);
    assert_eq!(
        lm.requests()[1].messages.len(),
        3,
        "the repair turn carries the bad answer and the problem"
    );
    // Twice invalid (schema violation, then truncation): a typed error, no scorecard.
    let (lm, judge, ..) = setup();
    lm.push(Ok(completion(
        json!({"criteria": "nope"}).to_string(),
        FinishReason::Stop,
    )));
    lm.push(Ok(completion(
        "{\"criteria\": [".into(),
        FinishReason::Length,
    )));
    let e = judge.score(&input, &rubric).await.unwrap_err();
    assert!(matches!(e, Error::Provider { .. }), "{e}");
    assert!(e.to_string().contains("repair"), "{e}");
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn refusals_are_errors_and_provider_errors_pass_through() {
    let (lm, judge, t, call) = setup();
    let m = compute(&t, &MetricsConfig::default());
    let input = ScoringInput {
        call: &call,
        transcript: &t,
        metrics: &m,
    };
    let rubric = builtin_rubric("bant").unwrap();
    lm.push(Ok(completion(String::new(), FinishReason::Refusal)));
    assert!(
        judge
            .score(&input, &rubric)
            .await
            .unwrap_err()
            .to_string()
            .contains("refused")
    );
    lm.push(Err(Error::RateLimited {
        provider: "fake".into(),
        retry_after: None,
    }));
    assert!(
        judge
            .score(&input, &rubric)
            .await
            .unwrap_err()
            .is_retryable()
    );
}

#[tokio::test]
async fn identical_input_is_answered_from_the_cache() {
    let (lm, judge, t, call) = setup();
    let m = compute(&t, &MetricsConfig::default());
    let input = ScoringInput {
        call: &call,
        transcript: &t,
        metrics: &m,
    };
    let rubric = builtin_rubric("bant").unwrap();
    lm.push(Ok(completion(answer(json!([])), FinishReason::Stop)));
    let a = judge.score(&input, &rubric).await.unwrap();
    let b = judge.score(&input, &rubric).await.unwrap();
    assert_eq!(lm.requests().len(), 1);
    assert_eq!(a.criteria, b.criteria);
    // A different rubric is a different key.
    lm.push(Ok(completion(answer(json!([])), FinishReason::Stop)));
    judge
        .score(&input, &builtin_rubric("spin").unwrap())
        .await
        .unwrap();
    assert_eq!(lm.requests().len(), 2);
}

#[test]
fn prompt_size_stays_within_budget() {
    use closeq_analysis::scoring::{build_request, render_transcript};
    let bpe = tiktoken_rs::o200k_base().unwrap();
    let mut worst = 0.0f64;
    for name in [
        "discovery_good.txt",
        "discovery_poor.txt",
        "call_stamped.txt",
    ] {
        let bytes = std::fs::read(format!(
            "{}/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let t = import(&bytes, None, &ImportOptions::default()).unwrap();
        let raw: String = t
            .utterances
            .iter()
            .map(|u| u.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let transcript_tokens = bpe.encode_with_special_tokens(&raw).len();
        for rubric in closeq_analysis::rubric::builtin_rubrics().unwrap() {
            let req = build_request(&t, &rubric);
            let prompt = format!(
                "{}{}{}",
                req.system,
                req.messages[0].content.as_str(),
                serde_json::to_string(&req.response_schema.as_ref().unwrap().schema).unwrap()
            );
            let prompt_tokens = bpe.encode_with_special_tokens(&prompt).len();
            let budget = 1.1 * transcript_tokens as f64 + 2000.0;
            assert!(
                prompt_tokens as f64 <= budget,
                "{name} × {}: {prompt_tokens} > {budget}",
                rubric.id
            );
            worst = worst.max(prompt_tokens as f64 - 1.1 * transcript_tokens as f64);
        }
        let _ = render_transcript(&t);
    }
    eprintln!(
        "bundled calls: largest prompt overhead beyond 1.1 × transcript tokens: {worst:.0} tokens (budget 2000)"
    );

    // A 60-minute call: the good call repeated with shifted times.
    let base = {
        let bytes = std::fs::read(format!(
            "{}/tests/fixtures/discovery_good.txt",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        import(
            &bytes,
            None,
            &ImportOptions::default().with_rep_speaker("Rep"),
        )
        .unwrap()
    };
    let mut long = base.clone();
    long.utterances.clear();
    let span = base.duration_ms + 1_000;
    for k in 0..52u64 {
        for u in &base.utterances {
            let mut u = u.clone();
            u.id = closeq_core::UtteranceId(long.utterances.len() as u32);
            u.start_ms += k * span;
            u.end_ms += k * span;
            u.words.clear();
            long.utterances.push(u);
        }
    }
    long.duration_ms = 52 * span;
    long.validate().unwrap();
    let raw: String = long
        .utterances
        .iter()
        .map(|u| u.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let tt = bpe.encode_with_special_tokens(&raw).len();
    let req = build_request(
        &long,
        &closeq_analysis::rubric::builtin_rubric("meddpicc").unwrap(),
    );
    let prompt = format!(
        "{}{}{}",
        req.system,
        req.messages[0].content.as_str(),
        serde_json::to_string(&req.response_schema.as_ref().unwrap().schema).unwrap()
    );
    let pt = bpe.encode_with_special_tokens(&prompt).len();
    eprintln!(
        "{} utterances, {} min: transcript {tt} tokens, prompt {pt} tokens, budget {:.0}, ratio {:.3}",
        long.utterances.len(),
        long.duration_ms / 60_000,
        1.1 * tt as f64 + 2000.0,
        pt as f64 / tt as f64
    );
    assert!(pt as f64 <= 1.1 * tt as f64 + 2000.0);
}

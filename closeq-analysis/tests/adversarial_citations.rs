//! Hostile judge answers. Each test is a citation the verifier accepted
//! before its fix — a one-character quote, a common word found inside
//! another word, a short phrase said in many utterances — or a prompt whose
//! schema described utterance ids differently from the transcript lines.
//! Now each such citation is dropped with a typed reason in the rationale.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::TimeZone;
use closeq_analysis::metrics::{MetricsConfig, compute};
use closeq_analysis::rubric::builtin_rubric;
use closeq_analysis::scoring::{LlmJudge, answer_schema, build_request};
use closeq_analysis::transcript::{ImportOptions, import};
use closeq_core::ports::{Completion, FinishReason, Scorer, ScoringInput, TokenUsage};
use closeq_core::testing::ScriptedLanguageModel;
use closeq_core::{
    Call, CallDirection, CallSource, CriterionResult, ManualClock, Scorecard, Transcript, UserId,
    Verdict, WorkspaceId,
};
use serde_json::json;

const CALL: &str = "\
[00:00:00] Rep: Hi Sam, thanks for taking the time today.
[00:00:04] Client: Yes.
[00:00:06] Rep: Is the budget approved for this quarter?
[00:00:10] Client: Yes, the budget is approved for this quarter.
[00:00:16] Rep: Does your CEO sign off on purchases like this?
[00:00:20] Client: Yes, our CEO signs off on anything above ten thousand.
[00:00:28] Rep: What is your timeline?
[00:00:31] Client: We needed it yesterday, before the audit in March.
[00:00:38] Rep: Shall we book a demo for Tuesday?
[00:00:41] Client: Yes.
";

fn transcript() -> Transcript {
    import(
        CALL.as_bytes(),
        None,
        &ImportOptions::default().with_rep_speaker("Rep"),
    )
    .unwrap()
}

/// The id of the `nth` utterance whose text is exactly or contains `needle`.
fn uid(t: &Transcript, needle: &str, nth: usize) -> u32 {
    t.utterances
        .iter()
        .filter(|u| u.text.contains(needle))
        .nth(nth)
        .unwrap_or_else(|| panic!("no utterance {nth} with {needle:?}"))
        .id
        .0
}

/// Scores the call with BANT (every criterion accepts either side), the
/// model answering `criteria`.
async fn judge(criteria: serde_json::Value) -> Scorecard {
    let t = transcript();
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
    let content = json!({"criteria": criteria, "coaching_notes": [], "recommendations": []});
    lm.push(Ok(Completion {
        content: content.to_string().into(),
        finish_reason: FinishReason::Stop,
        usage: TokenUsage {
            input_tokens: 100,
            output_tokens: 50,
        },
        cost_usd: None,
        model: "fake-model".into(),
        request_id: None,
    }));
    let m = compute(&t, &MetricsConfig::default());
    judge
        .score(
            &ScoringInput {
                call: &call,
                transcript: &t,
                metrics: &m,
            },
            &builtin_rubric("bant").unwrap(),
        )
        .await
        .unwrap()
}

fn met(criterion: &str, utterance: u32, quote: &str) -> serde_json::Value {
    json!({"criterion_id": criterion, "verdict": "met", "citations": [{"utterance": utterance, "quote": quote}], "rationale": "cited"})
}

fn result<'a>(s: &'a Scorecard, id: &str) -> &'a CriterionResult {
    s.criteria.iter().find(|c| c.criterion_id == id).unwrap()
}

fn assert_refused(s: &Scorecard, id: &str, reason: &str) {
    let r = result(s, id);
    assert_eq!(
        r.verdict,
        Verdict::InsufficientEvidence,
        "{id}: the citation was accepted: {:?}",
        r.evidence
    );
    assert!(r.evidence.is_empty());
    assert!(
        r.rationale.contains(reason),
        "{id}: the rationale does not give the reason {reason:?}: {}",
        r.rationale.as_str()
    );
}

#[tokio::test]
async fn one_character_and_two_word_quotes_are_refused() {
    let t = transcript();
    let budget = uid(&t, "budget is approved", 0);
    let ceo = uid(&t, "Yes, our CEO", 0);
    let s = judge(json!([
        met("budget", budget, "s"),
        met("authority", ceo, "  a\t"),
        met("need", budget, "the budget"),
    ]))
    .await;
    assert_refused(&s, "budget", "quote too short");
    assert_refused(&s, "authority", "quote too short");
    assert_refused(&s, "need", "quote too short");
    assert_eq!(s.score.value(), 0.0);
}

#[tokio::test]
async fn a_common_word_inside_another_word_is_refused() {
    let t = transcript();
    let yesterday = uid(&t, "yesterday", 0);
    let ceo = uid(&t, "Yes, our CEO", 0);
    let s = judge(json!([
        // "yes" is said in five utterances; the cited one only has "yesterday".
        met("timeline", yesterday, "yes"),
        // Three words, the last of which was never said ("signs" was).
        met("authority", ceo, "our CEO sign"),
    ]))
    .await;
    assert_refused(&s, "timeline", "quote too short");
    assert_refused(&s, "authority", "quote not found");
}

#[tokio::test]
async fn a_short_common_quote_counts_only_as_the_whole_cited_utterance() {
    let t = transcript();
    let ceo = uid(&t, "Yes, our CEO", 0);
    let bare_yes = t
        .utterances
        .iter()
        .rev()
        .find(|u| u.text.as_str() == "Yes.")
        .unwrap()
        .id
        .0;
    let s = judge(json!([
        // "Yes" is a word of the cited utterance, and of four others: it
        // does not show what this utterance says.
        met("authority", ceo, "Yes"),
        // The whole of the cited utterance is "Yes.": an exact quote.
        met("timeline", bare_yes, "yes"),
    ]))
    .await;
    assert_refused(&s, "authority", "quote too short");
    let r = result(&s, "timeline");
    assert_eq!(r.verdict, Verdict::Met);
    assert_eq!(r.evidence[0].utterance_id.0, bare_yes);
    assert_eq!(r.evidence[0].quote.as_str(), "Yes");
}

#[tokio::test]
async fn a_quote_said_in_several_utterances_counts_only_where_it_was_cited() {
    let t = transcript();
    let question = uid(&t, "Is the budget approved", 0);
    let answer = uid(&t, "the budget is approved", 0);
    let s = judge(json!([
        // Said by the client, cited to the rep's question.
        met("budget", question, "the budget is approved"),
        // "for this quarter" is in both utterances: each citation holds.
        met("need", question, "for this quarter"),
        met("timeline", answer, "FOR this   quarter."),
    ]))
    .await;
    assert_refused(&s, "budget", "quote is from another utterance");
    for (id, u) in [("need", question), ("timeline", answer)] {
        let r = result(&s, id);
        assert_eq!(r.verdict, Verdict::Met, "{id}: {}", r.rationale.as_str());
        assert_eq!(r.evidence[0].utterance_id.0, u);
    }
}

#[test]
fn the_schema_and_the_prompt_describe_utterance_ids_the_same_way() {
    let t = transcript();
    let rubric = builtin_rubric("bant").unwrap();
    let schema = answer_schema(&rubric);
    let described = schema
        .pointer("/$defs/JudgeCitation/properties/utterance/description")
        .and_then(|d| d.as_str())
        .unwrap();
    let req = build_request(&t, &rubric);
    assert_eq!(
        req.response_schema.as_ref().unwrap().schema,
        schema,
        "the request carries the schema"
    );
    let prompt = req.messages[0].content.as_str();
    assert!(
        prompt.contains(described),
        "the schema says utterance ids are {described:?}, the prompt never says so:\n{prompt}"
    );
    // The description's example is how the prompt's lines really look: a
    // side letter then the id, e.g. `C3 Yes, the budget…`.
    let answer = uid(&t, "the budget is approved", 0);
    assert!(prompt.contains(&format!("\nC{answer} Yes, the budget")));
    assert!(
        !described.contains("`u`"),
        "the schema names a `u` prefix the prompt's lines do not have: {described}"
    );
}

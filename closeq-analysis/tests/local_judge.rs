//! The LLM judge fully offline: llama.cpp in process over a real GGUF
//! model, scoring the bundled sample calls end to end.
//!
//! Needs the model: `CLOSEQ_JUDGE_MODEL` (scripts/test sets it from
//! `scripts/fetch-judge-model`: Gemma 3 270M, a base model). A 270M base
//! model exercises the machinery — grammar-constrained JSON, citation
//! verification, token accounting — not the judgement: its verdicts and
//! quotes mean nothing, and most of its citations are invented. Under
//! CI=true a missing model fails; otherwise these tests print a SKIP line.
#![cfg(feature = "llm-local")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use async_trait::async_trait;
use chrono::TimeZone;
use closeq_analysis::llm::json_answer::check;
use closeq_analysis::llm::local::{LlamaCppModel, LocalModelConfig};
use closeq_analysis::metrics::{MetricsConfig, compute};
use closeq_analysis::rubric::builtin_rubric;
use closeq_analysis::scoring::{JudgeAnswer, LlmJudge, answer_schema, build_request};
use closeq_analysis::transcript::{ImportOptions, import};
use closeq_core::ports::{
    Completion, CompletionRequest, FinishReason, LanguageModel, Message, MessageRole,
    ResponseSchema, Scorer, ScoringInput, SubProcessor,
};
use closeq_core::testing::required_service_url;
use closeq_core::{
    Call, CallDirection, CallSource, ManualClock, Result, SubProcessorInfo, Transcript, UserId,
    Verdict, WorkspaceId,
};

/// Bounded for a 2-core CI machine, where every answer token is a forward
/// pass through Gemma's 262,144-token output layer: short strings, one item
/// per list, and an answer cap the bounded schema always fits in.
fn config() -> LocalModelConfig {
    LocalModelConfig {
        threads: 2,
        context_tokens: 4_096,
        batch_tokens: 512,
        max_output_tokens: 256,
        max_string_chars: 24,
        max_array_items: 1,
    }
}

/// A built-in rubric cut to its first criterion: the answer's length (and
/// the test's time) grows with the criteria.
fn rubric(id: &str) -> closeq_core::Rubric {
    let mut r = builtin_rubric(id).unwrap();
    r.criteria.truncate(1);
    r
}

fn model() -> Option<Arc<LlamaCppModel>> {
    static MODEL: OnceLock<Arc<LlamaCppModel>> = OnceLock::new();
    let path = required_service_url("CLOSEQ_JUDGE_MODEL")?;
    Some(
        MODEL
            .get_or_init(|| Arc::new(LlamaCppModel::load(path, config()).unwrap()))
            .clone(),
    )
}

/// The model, with every request and answer kept for inspection.
#[derive(Debug)]
struct Recording {
    inner: Arc<LlamaCppModel>,
    seen: Mutex<Vec<(CompletionRequest, Completion, f64)>>,
}

impl SubProcessor for Recording {
    fn sub_processor(&self) -> Option<SubProcessorInfo> {
        self.inner.sub_processor()
    }
}

#[async_trait]
impl LanguageModel for Recording {
    fn model(&self) -> &str {
        self.inner.model()
    }
    async fn complete(&self, req: CompletionRequest) -> Result<Completion> {
        let started = Instant::now();
        let c = self.inner.complete(req.clone()).await?;
        self.seen
            .lock()
            .unwrap()
            .push((req, c.clone(), started.elapsed().as_secs_f64()));
        Ok(c)
    }
}

fn sample(name: &str) -> Transcript {
    let bytes = std::fs::read(format!(
        "{}/../closeq-cli/samples/{name}",
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

/// Three utterances: the truncation cases need no long prompt.
fn short_call() -> Transcript {
    import(
        b"Rep: Hi Sam, what made you look at new tools?\nClient: Reporting takes two days.\nRep: Can we meet Tuesday?\n",
        None,
        &ImportOptions::default().with_rep_speaker("Rep"),
    )
    .unwrap()
}

/// Lower case, letters and digits only, single spaces: quotes compare on
/// words, not on punctuation or case.
fn norm(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn call() -> Call {
    let t0 = chrono::Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
    Call::new(
        WorkspaceId::new(),
        UserId::new(),
        t0,
        CallDirection::Outbound,
        CallSource::Upload,
        t0,
    )
}

#[tokio::test]
async fn scores_the_bundled_calls_offline_and_no_invented_citation_survives() {
    let Some(inner) = model() else { return };
    assert!(
        inner.sub_processor().is_none(),
        "in process: no sub-processor"
    );
    let lm = Arc::new(Recording {
        inner: inner.clone(),
        seen: Mutex::new(Vec::new()),
    });
    let clock = Arc::new(ManualClock::new(
        chrono::Utc.with_ymd_and_hms(2026, 5, 2, 0, 0, 0).unwrap(),
    ));
    let judge = LlmJudge::new(lm.clone(), clock);
    let (mut cited, mut invented, mut accepted, mut downgraded) = (0usize, 0usize, 0usize, 0usize);
    let mut invented_accepted = 0usize;
    for (file, rubric_id) in [
        ("01_discovery_won.txt", "discovery"),
        ("02_discovery_lost.txt", "discovery"),
        ("03_demo_follow_up.txt", "demo"),
    ] {
        let t = sample(file);
        let rubric = rubric(rubric_id);
        let metrics = compute(&t, &MetricsConfig::default());
        let call = call();
        let before = lm.seen.lock().unwrap().len();
        let card = judge
            .score(
                &ScoringInput {
                    call: &call,
                    transcript: &t,
                    metrics: &metrics,
                },
                &rubric,
            )
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let seen = lm.seen.lock().unwrap();
        let (req, answer_text, secs) = {
            let (req, c, secs) = seen.last().unwrap();
            (req.clone(), c.clone(), *secs)
        };
        // Grammar-constrained: schema-valid on the first try, every time.
        assert_eq!(seen.len() - before, 1, "{file}: a repair was needed");
        assert_eq!(answer_text.finish_reason, FinishReason::Stop, "{file}");
        let value: serde_json::Value = serde_json::from_str(answer_text.content.as_str()).unwrap();
        check(&value, &answer_schema(&rubric)).unwrap();
        let answer: JudgeAnswer = serde_json::from_value(value).unwrap();
        // Exact token counts: the prompt as llama.cpp tokenised it.
        assert_eq!(
            answer_text.usage.input_tokens,
            inner.count_tokens(&inner.render_prompt(&req).unwrap()),
            "{file}"
        );
        assert!(answer_text.usage.output_tokens > 0);
        assert!(answer_text.usage.output_tokens <= u64::from(config().max_output_tokens));
        eprintln!(
            "{file}: {} prompt + {} answer tokens in {secs:.1} s ({:.1} answer tokens/s)",
            answer_text.usage.input_tokens,
            answer_text.usage.output_tokens,
            answer_text.usage.output_tokens as f64 / secs
        );
        // Every citation the model made either points at words really said
        // in that utterance, or was dropped; a met/partial verdict whose
        // citations were all dropped became insufficient evidence.
        for a in &answer.criteria {
            let r = card
                .criteria
                .iter()
                .find(|r| r.criterion_id == a.criterion_id)
                .unwrap();
            let real = |utt: u32, quote: &str| {
                let q = norm(quote);
                !q.is_empty()
                    && t.utterances
                        .iter()
                        .any(|u| u.id.0 == utt && norm(u.text.as_str()).contains(&q))
            };
            for c in &a.citations {
                cited += 1;
                if !real(c.utterance, &c.quote) {
                    invented += 1;
                }
            }
            for e in &r.evidence {
                accepted += 1;
                let backed = a
                    .citations
                    .iter()
                    .any(|c| c.utterance == e.utterance_id.0 && real(c.utterance, &c.quote));
                if !backed {
                    invented_accepted += 1;
                }
                let u = t
                    .utterances
                    .iter()
                    .find(|u| u.id == e.utterance_id)
                    .unwrap();
                let said: String = u
                    .text
                    .chars()
                    .skip(e.char_start as usize)
                    .take((e.char_end - e.char_start) as usize)
                    .collect();
                assert_eq!(
                    norm(&said),
                    norm(e.quote.as_str()),
                    "{file}: span and quote differ"
                );
            }
            assert!(r.evidence.len() <= a.citations.len());
            if matches!(r.verdict, Verdict::Met | Verdict::Partial) {
                assert!(!r.evidence.is_empty(), "{file}: credit without evidence");
            }
            let credited = matches!(
                a.verdict,
                closeq_analysis::scoring::JudgeVerdict::Met
                    | closeq_analysis::scoring::JudgeVerdict::Partial
            );
            if credited && r.evidence.is_empty() {
                assert_eq!(r.verdict, Verdict::InsufficientEvidence, "{file}");
                downgraded += 1;
            }
        }
    }
    eprintln!(
        "citations: {cited} made, {invented} invented (not in the cited utterance), {accepted} accepted, \
         {invented_accepted} invented ones accepted; {downgraded} met/partial verdicts became insufficient evidence"
    );
    assert_eq!(invented_accepted, 0, "an invented citation survived");
}

#[tokio::test]
async fn truncated_and_empty_generations_are_reported_not_panics() {
    let Some(lm) = model() else { return };
    let t = short_call();
    let rubric = rubric("discovery");
    let mut req = build_request(&t, &rubric);
    for max in [0u32, 1, 7] {
        req.max_tokens = max;
        let c = lm.complete(req.clone()).await.unwrap();
        assert_eq!(c.finish_reason, FinishReason::Length, "max_tokens {max}");
        assert_eq!(
            c.usage.output_tokens,
            u64::from(max),
            "exact count at the cap"
        );
        assert!(serde_json::from_str::<serde_json::Value>(c.content.as_str()).is_err());
    }
    // The judge over a model that always runs out: one repair, then a
    // typed error, no panic.
    let tiny = Arc::new(
        LlamaCppModel::load(
            std::env::var("CLOSEQ_JUDGE_MODEL").unwrap(),
            LocalModelConfig {
                max_output_tokens: 5,
                ..config()
            },
        )
        .unwrap(),
    );
    let clock = Arc::new(ManualClock::new(
        chrono::Utc.with_ymd_and_hms(2026, 5, 2, 0, 0, 0).unwrap(),
    ));
    let metrics = compute(&t, &MetricsConfig::default());
    let call = call();
    let e = LlmJudge::new(tiny, clock)
        .score(
            &ScoringInput {
                call: &call,
                transcript: &t,
                metrics: &metrics,
            },
            &rubric,
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("cut off at the token limit"), "{e}");
    // A prompt that cannot fit the context is refused before any work.
    let long = CompletionRequest {
        system: String::new(),
        messages: vec![Message {
            role: MessageRole::User,
            content: "word ".repeat(5_000).into(),
        }],
        response_schema: Some(ResponseSchema {
            name: "x".into(),
            schema: serde_json::json!({"type": "object"}),
        }),
        temperature: 0.0,
        seed: None,
        max_tokens: 16,
    };
    let e = lm.complete(long).await.unwrap_err();
    assert_eq!(e.field(), Some("prompt"), "{e}");
}

#[test]
fn missing_and_foreign_files_are_typed_errors() {
    let dir = std::env::temp_dir().join(format!("closeq-local-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let not_gguf = dir.join("model.gguf");
    std::fs::write(&not_gguf, b"PK\x03\x04 not a model").unwrap();
    for p in [dir.join("absent.gguf"), not_gguf] {
        let e = LlamaCppModel::load(&p, LocalModelConfig::default()).unwrap_err();
        assert_eq!(e.field(), Some("model_path"), "{e}");
        assert!(!e.to_string().contains(dir.to_str().unwrap()), "{e}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The judge's prompt in the local model's own tokens (exact: its
/// tokenizer), against the transcript's, for every bundled call × every
/// built-in rubric: within the budget of 1.1 × transcript + 2,000.
#[test]
fn prompt_tokens_stay_within_budget_in_gemma_tokens() {
    use closeq_analysis::scoring::render_transcript;
    let Some(lm) = model() else { return };
    let mut worst = (0.0f64, String::new());
    for file in [
        "01_discovery_won.txt",
        "02_discovery_lost.txt",
        "03_demo_follow_up.txt",
    ] {
        let t = sample(file);
        let transcript = lm.count_tokens(&render_transcript(&t));
        for rubric in closeq_analysis::rubric::builtin_rubrics().unwrap() {
            let prompt = lm.count_tokens(&lm.render_prompt(&build_request(&t, &rubric)).unwrap());
            let over = prompt as f64 - 1.1 * transcript as f64;
            assert!(
                over <= 2_000.0,
                "{file} × {}: {prompt} vs {transcript}",
                rubric.id
            );
            if over > worst.0 {
                worst = (
                    over,
                    format!(
                        "{file} × {}: {prompt} prompt vs {transcript} transcript tokens",
                        rubric.id
                    ),
                );
            }
        }
    }
    eprintln!(
        "largest overhead {:.0} tokens above 1.1 × transcript ({})",
        worst.0, worst.1
    );
}

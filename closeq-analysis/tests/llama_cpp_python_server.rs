//! The OpenAI-compatible adapter against a real local server:
//! llama-cpp-python's (`llama-cpp-python[server]` 0.3.36) on loopback,
//! serving the judge's test model (Gemma 3 270M, a base model: it
//! exercises the wire format and the machinery, not the judgement).
//!
//! Needs `CLOSEQ_TEST_LLAMA_CPP_PYTHON_URL` (scripts/test starts the server;
//! see scripts/services.sh). Under CI=true a missing server fails; otherwise
//! these tests print a SKIP line. Every request is small and bounded: the
//! server runs on the same two cores as the tests.
#![cfg(feature = "llm-openai")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use closeq_analysis::llm::RetryPolicy;
use closeq_analysis::llm::json_answer::check;
use closeq_analysis::llm::openai::{OpenAiChat, StructuredOutput};
use closeq_core::Error;
use closeq_core::ports::{
    CompletionRequest, FinishReason, LanguageModel, Message, MessageRole, ResponseSchema,
};
use closeq_core::testing::required_service_url;
use serde_json::json;

fn server() -> Option<String> {
    required_service_url("CLOSEQ_TEST_LLAMA_CPP_PYTHON_URL")
}

/// Four attempts with a 2 s first backoff: a retried request would take
/// seconds, a refused one milliseconds.
fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_backoff: Duration::from_secs(2),
        max_backoff: Duration::from_secs(4),
        request_timeout: Duration::from_secs(240),
    }
}

fn adapter(url: &str, mode: StructuredOutput) -> OpenAiChat {
    OpenAiChat::new(url, "no-key", "gemma-3-270m")
        .unwrap()
        .with_retry_policy(policy())
        .unwrap()
        .with_structured_output(mode)
}

fn schema() -> serde_json::Value {
    json!({
        "type": "object",
        "properties": {
            "utterance": {"type": "integer", "minimum": 0, "maximum": 99},
            "quote": {"type": "string", "maxLength": 20}
        },
        "required": ["utterance", "quote"],
        "additionalProperties": false
    })
}

fn request(max_tokens: u32) -> CompletionRequest {
    CompletionRequest {
        system: "Cite the utterance where the client names a budget.".into(),
        messages: vec![Message {
            role: MessageRole::User,
            content: "R0 Hi Sam, what budget do you have?\nC1 About fifty thousand a year.".into(),
        }],
        response_schema: Some(ResponseSchema {
            name: "citation".into(),
            schema: schema(),
        }),
        temperature: 0.0,
        seed: Some(0),
        max_tokens,
    }
}

#[tokio::test]
async fn json_object_mode_gets_schema_valid_answers_and_honours_max_tokens() {
    let Some(url) = server() else { return };
    let lm = adapter(&url, StructuredOutput::JsonObject);
    let started = Instant::now();
    let c = lm.complete(request(64)).await.unwrap();
    eprintln!(
        "llama-cpp-python json_object: {} prompt + {} answer tokens in {:.1} s",
        c.usage.input_tokens,
        c.usage.output_tokens,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(c.finish_reason, FinishReason::Stop);
    let v: serde_json::Value = serde_json::from_str(c.content.as_str()).unwrap();
    check(&v, &schema()).unwrap();
    assert!(c.usage.input_tokens > 20 && c.usage.output_tokens > 0);
    assert!(c.usage.output_tokens <= 64);
    assert!(
        c.request_id
            .as_deref()
            .is_some_and(|id| id.starts_with("chatcmpl-"))
    );

    // `max_tokens` (the field local servers read) is honoured exactly.
    let c = lm.complete(request(3)).await.unwrap();
    assert_eq!(c.finish_reason, FinishReason::Length);
    assert_eq!(c.usage.output_tokens, 3);
}

#[tokio::test]
async fn json_schema_mode_is_refused_with_a_500_that_is_not_retried() {
    let Some(url) = server() else { return };
    let started = Instant::now();
    let e = adapter(&url, StructuredOutput::JsonSchema)
        .complete(request(8))
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(1_800),
        "retried: {took:?} ({e})"
    );
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    assert!(!e.is_retryable());
    assert_eq!(e.field(), Some("response_format"), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("HTTP 500"), "{msg}");
    assert!(
        msg.contains(
            "set CLOSEQ_OPENAI_STRUCTURED_OUTPUT to one of json_object, tool_call, prompt"
        ),
        "{msg}"
    );
    assert!(!msg.contains("budget") && !msg.contains("app.py"), "{msg}");
}

/// The in-process tokenizer (llama-cpp-2's llama.cpp) and
/// llama-cpp-python's (its own llama.cpp build) count the bundled calls'
/// tokens identically.
#[cfg(feature = "llm-local")]
#[tokio::test]
async fn in_process_token_counts_match_llama_cpp_python() {
    use closeq_analysis::llm::local::{LlamaCppModel, LocalModelConfig};
    let Some(url) = server() else { return };
    let Some(path) = required_service_url("CLOSEQ_JUDGE_MODEL") else {
        return;
    };
    let local = LlamaCppModel::load(path, LocalModelConfig::default()).unwrap();
    let base = url.trim_end_matches("/v1");
    let client = reqwest::Client::new();
    for name in [
        "01_discovery_won.txt",
        "02_discovery_lost.txt",
        "03_demo_follow_up.txt",
    ] {
        let text = std::fs::read_to_string(format!(
            "{}/../closeq-cli/samples/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let theirs: serde_json::Value = client
            .post(format!("{base}/extras/tokenize"))
            .json(&json!({"input": text}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let theirs = theirs["tokens"].as_array().unwrap().len() as u64;
        assert_eq!(local.count_tokens(&text), theirs, "{name}");
    }
}

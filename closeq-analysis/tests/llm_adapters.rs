//! The OpenAI-compatible and Anthropic adapters against local wiremock
//! servers replaying each provider's documented response shapes, with
//! fault injection.
#![cfg(all(feature = "llm-openai", feature = "llm-anthropic"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use closeq_analysis::llm::anthropic::AnthropicMessages;
use closeq_analysis::llm::openai::OpenAiChat;
use closeq_analysis::llm::{Pricing, RetryPolicy};
use closeq_core::Error;
use closeq_core::ports::{
    CompletionRequest, FinishReason, LanguageModel, Message, MessageRole, ResponseSchema,
};
use serde_json::json;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_secs(3),
        request_timeout: Duration::from_millis(800),
    }
}

fn request() -> CompletionRequest {
    CompletionRequest {
        system: "You review sales calls.".into(),
        messages: vec![Message {
            role: MessageRole::User,
            content: "R0 What is your budget?".into(),
        }],
        response_schema: Some(ResponseSchema {
            name: "scorecard_answer".into(),
            schema: json!({"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"], "additionalProperties": false}),
        }),
        temperature: 0.0,
        seed: Some(0),
        max_tokens: 512,
    }
}

fn openai_ok(content: &str, finish: &str) -> serde_json::Value {
    json!({
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "object": "chat.completion",
        "created": 1741569952,
        "model": "gpt-4.1-2025-04-14",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": null, "annotations": []}, "logprobs": null, "finish_reason": finish}],
        "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29,
                  "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                  "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
        "service_tier": "default"
    })
}

async fn openai(server: &MockServer) -> OpenAiChat {
    OpenAiChat::new(format!("{}/v1", server.uri()), "sk-test-SECRET", "gpt-4.1")
        .unwrap()
        .with_retry_policy(policy())
        .unwrap()
        .with_pricing(Pricing {
            input_per_million: 2.0,
            output_per_million: 8.0,
        })
}

/// Answers with the given templates in order, then repeats the last.
struct Sequence(std::sync::Mutex<Vec<ResponseTemplate>>);
impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut v = self.0.lock().unwrap();
        if v.len() > 1 {
            v.remove(0)
        } else {
            v[0].clone()
        }
    }
}

#[tokio::test]
async fn openai_success_with_usage_and_strict_schema() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", "Bearer sk-test-SECRET"))
        .and(body_partial_json(json!({"model": "gpt-4.1", "temperature": 0.0, "seed": 0,
            "response_format": {"type": "json_schema", "json_schema": {"name": "scorecard_answer", "strict": true}}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(openai_ok("{\"ok\":true}", "stop")))
        .expect(1)
        .mount(&server)
        .await;
    let lm = openai(&server).await;
    let c = lm.complete(request()).await.unwrap();
    assert_eq!(c.content.as_str(), "{\"ok\":true}");
    assert_eq!(c.finish_reason, FinishReason::Stop);
    assert_eq!((c.usage.input_tokens, c.usage.output_tokens), (19, 10));
    assert!((c.cost_usd.unwrap() - (19.0 * 2.0 + 10.0 * 8.0) / 1e6).abs() < 1e-12);
    assert_eq!(
        c.request_id.as_deref(),
        Some("chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT")
    );
    assert!(!format!("{lm:?}").contains("SECRET"));
}

#[tokio::test]
async fn openai_refusal_and_truncation_are_reported_not_errors() {
    let server = MockServer::start().await;
    let mut refusal = openai_ok("", "stop");
    refusal["choices"][0]["message"]["content"] = serde_json::Value::Null;
    refusal["choices"][0]["message"]["refusal"] = json!("I'm sorry, I can't help with that.");
    Mock::given(method("POST"))
        .respond_with(Sequence(std::sync::Mutex::new(vec![
            ResponseTemplate::new(200).set_body_json(refusal),
            ResponseTemplate::new(200).set_body_json(openai_ok("{\"ok\": tr", "length")),
        ])))
        .mount(&server)
        .await;
    let lm = openai(&server).await;
    assert_eq!(
        lm.complete(request()).await.unwrap().finish_reason,
        FinishReason::Refusal
    );
    assert_eq!(
        lm.complete(request()).await.unwrap().finish_reason,
        FinishReason::Length
    );
}

#[tokio::test]
async fn openai_429_honours_retry_after() {
    let server = MockServer::start().await;
    let err = json!({"error": {"message": "Rate limit reached for gpt-4.1 in organization org-x on tokens per min (TPM)", "type": "tokens", "param": null, "code": "rate_limit_exceeded"}});
    Mock::given(method("POST"))
        .respond_with(Sequence(std::sync::Mutex::new(vec![
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(err),
            ResponseTemplate::new(200).set_body_json(openai_ok("{\"ok\":true}", "stop")),
        ])))
        .expect(2)
        .mount(&server)
        .await;
    let lm = openai(&server).await;
    let started = Instant::now();
    lm.complete(request()).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn openai_500_is_retried_with_bounded_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"error": {"message": "The server had an error", "type": "server_error", "param": null, "code": null}})))
        .expect(3)
        .mount(&server)
        .await;
    let e = openai(&server).await.complete(request()).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::Provider {
                status: Some(500),
                ..
            }
        ),
        "{e}"
    );
    assert!(e.is_retryable());
}

#[tokio::test]
async fn openai_auth_and_quota_errors_are_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(header("authorization", "Bearer sk-test-SECRET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {"message": "Incorrect API key provided: sk-test-***CRET.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}})))
        .expect(1)
        .mount(&server)
        .await;
    let e = openai(&server).await.complete(request()).await.unwrap_err();
    assert!(matches!(e, Error::Unauthenticated { .. }));
    assert!(!e.to_string().contains("SECRET"));

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).set_body_json(json!({"error": {"message": "You exceeded your current quota, please check your plan and billing details.", "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}})))
        .expect(1)
        .mount(&server)
        .await;
    let e = openai(&server).await.complete(request()).await.unwrap_err();
    assert!(!e.is_retryable(), "{e}");
    assert!(e.to_string().contains("quota"));
}

#[tokio::test]
async fn openai_timeout_and_malformed_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_secs(3))
                .set_body_json(openai_ok("{}", "stop")),
        )
        .mount(&server)
        .await;
    let e = openai(&server).await.complete(request()).await.unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e}");

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>gateway</html>"))
        .mount(&server)
        .await;
    let e = openai(&server).await.complete(request()).await.unwrap_err();
    assert!(matches!(e, Error::Provider { .. }), "{e}");
    assert!(
        !e.to_string().contains("127.0.0.1"),
        "no URLs in errors: {e}"
    );
}

fn anthropic_ok(input: serde_json::Value, stop: &str) -> serde_json::Value {
    json!({
        "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-20250514",
        "content": [{"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "scorecard_answer", "input": input}],
        "stop_reason": stop,
        "stop_sequence": null,
        "usage": {"input_tokens": 2095, "output_tokens": 503, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    })
}

async fn anthropic(server: &MockServer) -> AnthropicMessages {
    AnthropicMessages::new(server.uri(), "sk-ant-SECRET", "claude-sonnet-4-20250514")
        .unwrap()
        .with_retry_policy(policy())
        .unwrap()
}

#[tokio::test]
async fn anthropic_forced_tool_call() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", "sk-ant-SECRET"))
        .and(header("anthropic-version", "2023-06-01"))
        .and(body_partial_json(json!({"tool_choice": {"type": "tool", "name": "scorecard_answer"}, "system": "You review sales calls."})))
        .respond_with(ResponseTemplate::new(200).set_body_json(anthropic_ok(json!({"ok": true}), "tool_use")))
        .expect(1)
        .mount(&server)
        .await;
    let c = anthropic(&server).await.complete(request()).await.unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(c.content.as_str()).unwrap(),
        json!({"ok": true})
    );
    assert_eq!((c.usage.input_tokens, c.usage.output_tokens), (2095, 503));
    assert_eq!(c.finish_reason, FinishReason::Stop);
}

#[tokio::test]
async fn anthropic_529_overloaded_is_retried_and_max_tokens_reported() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(Sequence(std::sync::Mutex::new(vec![
        ResponseTemplate::new(529).set_body_json(json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})),
        ResponseTemplate::new(200).set_body_json(anthropic_ok(json!({"ok": true}), "max_tokens")),
    ]))).expect(2).mount(&server).await;
    let c = anthropic(&server).await.complete(request()).await.unwrap();
    assert_eq!(c.finish_reason, FinishReason::Length);
}

#[tokio::test]
async fn anthropic_401_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}})))
        .expect(1)
        .mount(&server)
        .await;
    assert!(matches!(
        anthropic(&server).await.complete(request()).await,
        Err(Error::Unauthenticated { .. })
    ));
}

#[tokio::test]
async fn judge_over_openai_repairs_invalid_json_and_drops_invented_quotes() {
    use std::sync::Arc;

    use chrono::TimeZone;
    use closeq_analysis::metrics::{MetricsConfig, compute};
    use closeq_analysis::rubric::builtin_rubric;
    use closeq_analysis::scoring::LlmJudge;
    use closeq_analysis::transcript::{ImportOptions, import};
    use closeq_core::ports::{Scorer, ScoringInput};
    use closeq_core::{Call, CallDirection, CallSource, ManualClock, UserId, Verdict, WorkspaceId};

    let bytes = std::fs::read(format!(
        "{}/tests/fixtures/discovery_good.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let t = import(
        &bytes,
        None,
        &ImportOptions::default().with_rep_speaker("Rep"),
    )
    .unwrap();
    let answer = json!({"criteria": [
        {"criterion_id": "budget", "verdict": "met", "citations": [{"utterance": 9, "quote": "we have two million dollars"}], "rationale": "invented"}
    ], "coaching_notes": [], "recommendations": []});
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(Sequence(std::sync::Mutex::new(vec![
            ResponseTemplate::new(200).set_body_json(openai_ok("{\"criteria\": [ {oops", "stop")),
            ResponseTemplate::new(200).set_body_json(openai_ok(&answer.to_string(), "stop")),
        ])))
        .expect(2)
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::new(
        chrono::Utc.with_ymd_and_hms(2026, 5, 2, 0, 0, 0).unwrap(),
    ));
    let judge = LlmJudge::new(Arc::new(openai(&server).await), clock);
    let t0 = chrono::Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
    let call = Call::new(
        WorkspaceId::new(),
        UserId::new(),
        t0,
        CallDirection::Outbound,
        CallSource::Upload,
        t0,
    );
    let m = compute(&t, &MetricsConfig::default());
    let s = judge
        .score(
            &ScoringInput {
                call: &call,
                transcript: &t,
                metrics: &m,
            },
            &builtin_rubric("bant").unwrap(),
        )
        .await
        .unwrap();
    let b = s
        .criteria
        .iter()
        .find(|c| c.criterion_id == "budget")
        .unwrap();
    assert_eq!(b.verdict, Verdict::InsufficientEvidence);
    assert_eq!(s.score.value(), 0.0);
}

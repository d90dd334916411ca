//! The OpenAI-compatible adapter against OpenAI's current request rules
//! and the structured-output modes of other servers, on local wiremock
//! servers replaying the documented error bodies: OpenAI's
//! `{"error": {"message", "type", "param", "code"}}` (400
//! `unsupported_parameter` / `unsupported_value` for reasoning models, a
//! refused `response_format`) and llama-cpp-python's HTTP 500 for a request
//! that fails its validation (body recorded from llama-cpp-python 0.3.36).
#![cfg(feature = "llm-openai")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use closeq_analysis::llm::RetryPolicy;
use closeq_analysis::llm::openai::{OpenAiChat, StructuredOutput, Temperature, TokenLimit};
use closeq_core::Error;
use closeq_core::ports::{
    CompletionRequest, FinishReason, LanguageModel, Message, MessageRole, ResponseSchema,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn schema() -> Value {
    json!({"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"], "additionalProperties": false})
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
            schema: schema(),
        }),
        temperature: 0.0,
        seed: Some(0),
        max_tokens: 512,
    }
}

fn ok_body(content: Option<&str>, tool_arguments: Option<&str>) -> Value {
    let mut message =
        json!({"role": "assistant", "content": content, "refusal": null, "annotations": []});
    if let Some(args) = tool_arguments {
        message["tool_calls"] = json!([{"id": "call_Xq1", "type": "function",
            "function": {"name": "scorecard_answer", "arguments": args}}]);
    }
    json!({
        "id": "chatcmpl-C1", "object": "chat.completion", "created": 1754000000, "model": "gpt-5-mini-2025-08-07",
        "choices": [{"index": 0, "message": message, "logprobs": null,
                     "finish_reason": if tool_arguments.is_some() { "tool_calls" } else { "stop" }}],
        "usage": {"prompt_tokens": 30, "completion_tokens": 7, "total_tokens": 37}
    })
}

fn quick() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        request_timeout: Duration::from_secs(5),
    }
}

async fn adapter(server: &MockServer, model: &str) -> OpenAiChat {
    OpenAiChat::new(format!("{}/v1", server.uri()), "sk-test", model)
        .unwrap()
        .with_retry_policy(quick())
        .unwrap()
}

async fn bodies(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

async fn answering(status: u16, body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn reasoning_models_get_max_completion_tokens_and_no_temperature() {
    let server = answering(200, ok_body(Some("{\"ok\":true}"), None)).await;
    let lm = adapter(&server, "gpt-5-mini")
        .await
        .with_token_limit(TokenLimit::MaxCompletionTokens);
    lm.complete(request()).await.unwrap();
    let b = &bodies(&server).await[0];
    assert_eq!(b["max_completion_tokens"], 512);
    assert!(b.get("max_tokens").is_none(), "{b}");
    assert!(b.get("temperature").is_none(), "{b}");
    assert_eq!(b["response_format"]["type"], "json_schema");
    assert_eq!(b["response_format"]["json_schema"]["strict"], true);
    assert_eq!(b["response_format"]["json_schema"]["schema"], schema());

    // A local server keeps `max_tokens` and the temperature.
    let server = answering(200, ok_body(Some("{\"ok\":true}"), None)).await;
    adapter(&server, "gemma-3-270m")
        .await
        .complete(request())
        .await
        .unwrap();
    let b = &bodies(&server).await[0];
    assert_eq!(b["max_tokens"], 512);
    assert!(b.get("max_completion_tokens").is_none(), "{b}");
    assert_eq!(b["temperature"], 0.0);
}

#[tokio::test]
async fn unsupported_parameter_400_is_a_typed_configuration_error() {
    let server = answering(400, json!({"error": {
        "message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
        "type": "invalid_request_error", "param": "max_tokens", "code": "unsupported_parameter"}}))
    .await;
    let lm = adapter(&server, "gpt-5")
        .await
        .with_token_limit(TokenLimit::MaxTokens);
    let e = lm.complete(request()).await.unwrap_err();
    assert_eq!(bodies(&server).await.len(), 1, "not retried");
    assert!(!e.is_retryable());
    assert_eq!(e.field(), Some("max_tokens"), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("HTTP 400 unsupported_parameter"), "{msg}");
    assert!(
        msg.contains("CLOSEQ_OPENAI_TOKEN_LIMIT=max_completion_tokens"),
        "{msg}"
    );

    let server = answering(400, json!({"error": {
        "message": "Unsupported value: 'temperature' does not support 0 with this model. Only the default (1) value is supported.",
        "type": "invalid_request_error", "param": "temperature", "code": "unsupported_value"}}))
    .await;
    let lm = adapter(&server, "o4-mini")
        .await
        .with_temperature(Temperature::Send);
    let e = lm.complete(request()).await.unwrap_err();
    assert_eq!(e.field(), Some("temperature"), "{e}");
    assert!(
        e.to_string().contains("CLOSEQ_OPENAI_TEMPERATURE=omit"),
        "{e}"
    );
    assert_eq!(bodies(&server).await.len(), 1);
}

#[tokio::test]
async fn a_refused_structured_output_mode_names_the_modes_to_try() {
    let server = answering(400, json!({"error": {
        "message": "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
        "type": "invalid_request_error", "param": "response_format", "code": null}}))
    .await;
    let e = adapter(&server, "gpt-4")
        .await
        .complete(request())
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("response_format"), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("structured-output mode json_schema was refused"),
        "{msg}"
    );
    assert!(
        msg.contains("CLOSEQ_OPENAI_STRUCTURED_OUTPUT to one of json_object, tool_call, prompt"),
        "{msg}"
    );
    assert_eq!(bodies(&server).await.len(), 1);
}

#[tokio::test]
async fn a_500_that_is_a_validation_error_is_not_retried_as_a_server_fault() {
    // llama-cpp-python's answer to `response_format: {"type": "json_schema"}`;
    // its `input` echoes the request, which must not reach the error.
    let server = answering(500, json!({"error": {
        "message": "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema SECRET-ECHO', 'ctx': {'expected': \"'text' or 'json_object'\"}}\n\n  File \"/srv/llama_cpp/server/app.py\", line 376, in create_chat_completion\n    POST /v1/chat/completions",
        "type": "internal_server_error", "param": null, "code": null}}))
    .await;
    let e = adapter(&server, "gemma-3-270m")
        .await
        .complete(request())
        .await
        .unwrap_err();
    assert_eq!(bodies(&server).await.len(), 1, "retried: {e}");
    assert!(!e.is_retryable());
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    assert_eq!(e.field(), Some("response_format"));
    let msg = e.to_string();
    assert!(msg.contains("HTTP 500"), "{msg}");
    assert!(msg.contains("json_object, tool_call, prompt"), "{msg}");
    assert!(!msg.contains("SECRET") && !msg.contains("app.py"), "{msg}");
}

#[tokio::test]
async fn json_object_mode_sends_the_schema_in_the_format_and_the_prompt() {
    let server = answering(200, ok_body(Some("{\"ok\":false}"), None)).await;
    let c = adapter(&server, "local")
        .await
        .with_structured_output(StructuredOutput::JsonObject)
        .complete(request())
        .await
        .unwrap();
    assert_eq!(c.content.as_str(), "{\"ok\":false}");
    let b = &bodies(&server).await[0];
    assert_eq!(
        b["response_format"],
        json!({"type": "json_object", "schema": schema()})
    );
    assert!(b.get("tools").is_none());
    let system = b["messages"][0]["content"].as_str().unwrap();
    assert!(system.starts_with("You review sales calls."));
    assert!(system.contains(&schema().to_string()), "{system}");
}

#[tokio::test]
async fn tool_call_mode_forces_the_function_and_reads_its_arguments() {
    let server = answering(200, ok_body(None, Some("{\"ok\":true}"))).await;
    let c = adapter(&server, "mistral-small")
        .await
        .with_structured_output(StructuredOutput::ToolCall)
        .complete(request())
        .await
        .unwrap();
    assert_eq!(c.content.as_str(), "{\"ok\":true}");
    assert_eq!(c.finish_reason, FinishReason::Stop);
    let b = &bodies(&server).await[0];
    assert!(b.get("response_format").is_none(), "{b}");
    assert_eq!(b["tools"][0]["type"], "function");
    assert_eq!(b["tools"][0]["function"]["name"], "scorecard_answer");
    assert_eq!(b["tools"][0]["function"]["parameters"], schema());
    assert_eq!(b["tools"][0]["function"]["strict"], true);
    assert_eq!(
        b["tool_choice"],
        json!({"type": "function", "function": {"name": "scorecard_answer"}})
    );
    assert_eq!(b["messages"][0]["content"], "You review sales calls.");
}

/// Answers with the given bodies in order, then repeats the last.
struct Sequence(std::sync::Mutex<Vec<Value>>);
impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut v = self.0.lock().unwrap();
        let body = if v.len() > 1 {
            v.remove(0)
        } else {
            v[0].clone()
        };
        ResponseTemplate::new(200).set_body_json(body)
    }
}

async fn sequence(answers: &[&str]) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(Sequence(std::sync::Mutex::new(
            answers.iter().map(|a| ok_body(Some(a), None)).collect(),
        )))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn prompt_mode_extracts_checks_and_repairs_once() {
    // Fenced, but valid: taken out of the fence, no repair.
    let server = sequence(&["Here you go:\n```json\n{\"ok\": true}\n```"]).await;
    let lm = adapter(&server, "base-model")
        .await
        .with_structured_output(StructuredOutput::Prompt);
    let c = lm.complete(request()).await.unwrap();
    assert_eq!(c.content.as_str(), "{\"ok\": true}");
    let b = &bodies(&server).await[0];
    assert!(
        b.get("response_format").is_none() && b.get("tools").is_none(),
        "{b}"
    );
    assert!(
        b["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("follows this JSON Schema")
    );

    // Wrong shape, then right: one repair naming the problem; usage summed.
    let server = sequence(&["{\"ok\": \"yes\"}", "{\"ok\": false}"]).await;
    let lm = adapter(&server, "base-model")
        .await
        .with_structured_output(StructuredOutput::Prompt);
    let c = lm.complete(request()).await.unwrap();
    assert_eq!(c.content.as_str(), "{\"ok\": false}");
    assert_eq!((c.usage.input_tokens, c.usage.output_tokens), (60, 14));
    let sent = bodies(&server).await;
    assert_eq!(sent.len(), 2);
    let repair = sent[1]["messages"].as_array().unwrap();
    assert_eq!(repair[2]["role"], "assistant");
    assert!(
        repair[3]["content"]
            .as_str()
            .unwrap()
            .contains("does not follow the schema at /ok: expected boolean"),
        "{}",
        repair[3]
    );

    // Wrong twice: a typed error after exactly one repair.
    let server = sequence(&["not json", "{\"ok\": 1, \"extra\": 2}"]).await;
    let e = adapter(&server, "base-model")
        .await
        .with_structured_output(StructuredOutput::Prompt)
        .complete(request())
        .await
        .unwrap_err();
    assert_eq!(bodies(&server).await.len(), 2);
    assert!(matches!(e, Error::Provider { status: None, .. }), "{e:?}");
    assert!(e.to_string().contains("after one repair request"), "{e}");
}

/// The judge's real schema goes out in the subset strict mode defines:
/// schemars' `"format": "uint32"` on utterance ids and its `$schema`
/// marker are dropped (strict mode defines `format` for strings only), in
/// `json_schema` mode and as a strict tool's parameters; the bounds stay.
#[tokio::test]
async fn strict_modes_get_the_schema_without_what_strict_mode_does_not_define() {
    let rubric = closeq_analysis::rubric::builtin_rubric("spin").unwrap();
    let raw = closeq_analysis::scoring::answer_schema(&rubric);
    assert!(
        raw.to_string().contains("\"uint32\""),
        "schemars changed: {raw}"
    );
    let mut req = request();
    req.response_schema = Some(ResponseSchema {
        name: "scorecard_answer".into(),
        schema: raw.clone(),
    });
    for mode in [StructuredOutput::JsonSchema, StructuredOutput::ToolCall] {
        let server = answering(200, ok_body(Some("{}"), Some("{}"))).await;
        let lm = adapter(&server, "gpt-5-mini")
            .await
            .with_structured_output(mode);
        let _ = lm.complete(req.clone()).await;
        let b = &bodies(&server).await[0];
        let sent = match mode {
            StructuredOutput::JsonSchema => &b["response_format"]["json_schema"]["schema"],
            _ => &b["tools"][0]["function"]["parameters"],
        };
        let text = sent.to_string();
        assert!(sent.is_object(), "{mode:?}: {b}");
        assert!(!text.contains("uint32"), "{mode:?}: {text}");
        assert!(sent.get("$schema").is_none(), "{mode:?}");
        assert_eq!(
            sent.pointer("/$defs/JudgeCitation/properties/utterance/maximum"),
            Some(&json!(u32::MAX)),
            "{mode:?}: {text}"
        );
    }
}

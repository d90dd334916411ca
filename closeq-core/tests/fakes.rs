//! The scripted language model and the manual clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use closeq_core::ports::{
    Completion, CompletionRequest, FinishReason, LanguageModel, Message, MessageRole, TokenUsage,
};
use closeq_core::testing::{ManualClock, ScriptedLanguageModel, required_service_url};
use closeq_core::{Clock, Error};

fn request() -> CompletionRequest {
    CompletionRequest {
        system: "score".into(),
        messages: vec![Message {
            role: MessageRole::User,
            content: "u1 REP: hello".into(),
        }],
        response_schema: None,
        temperature: 0.0,
        seed: Some(7),
        max_tokens: 100,
    }
}

#[tokio::test]
async fn scripted_model_answers_in_order_and_records_requests() {
    let lm = ScriptedLanguageModel::new("fake-1");
    lm.push(Ok(Completion {
        content: "{\"ok\":true}".into(),
        finish_reason: FinishReason::Stop,
        usage: TokenUsage {
            input_tokens: 10,
            output_tokens: 3,
        },
        cost_usd: None,
        model: "fake-1".into(),
        request_id: None,
    }));
    lm.push(Err(Error::Provider {
        provider: "fake".into(),
        status: Some(500),
        reason: "boom".into(),
    }));
    assert_eq!(lm.complete(request()).await.unwrap().usage.output_tokens, 3);
    assert!(lm.complete(request()).await.unwrap_err().is_retryable());
    assert!(matches!(
        lm.complete(request()).await,
        Err(Error::Internal { .. })
    ));
    assert_eq!(lm.requests().len(), 3);
    // Prompts are personal data: Debug of the request never shows them.
    assert!(!format!("{:?}", lm.requests()[0]).contains("hello"));
}

#[test]
fn manual_clock_is_shared_state() {
    use chrono::TimeZone;
    let t0 = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let clock = std::sync::Arc::new(ManualClock::new(t0));
    let dyn_clock: std::sync::Arc<dyn Clock> = clock.clone();
    clock.advance(chrono::Duration::seconds(1));
    assert_eq!(dyn_clock.now(), t0 + chrono::Duration::seconds(1));
}

#[test]
fn service_urls_are_read_from_the_environment() {
    // PATH is always set, so this exercises the present branch without
    // depending on CI's environment.
    assert!(required_service_url("PATH").is_some());
}

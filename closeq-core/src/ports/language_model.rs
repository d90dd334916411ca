use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ports::SubProcessor;
use crate::sensitive::Sensitive;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageRole {
    /// The user (our prompt).
    User,
    /// The model (an earlier answer, for repair turns).
    Assistant,
}

/// One chat message. Its content usually holds transcript text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Author.
    pub role: MessageRole,
    /// Content (personal data).
    pub content: Sensitive<String>,
}

/// A JSON Schema the answer must follow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseSchema {
    /// A name for the schema (`scorecard_answer`).
    pub name: String,
    /// The schema.
    pub schema: serde_json::Value,
}

/// A request for one completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionRequest {
    /// System prompt.
    pub system: String,
    /// The conversation.
    pub messages: Vec<Message>,
    /// Structured-output schema, when the answer must be JSON.
    pub response_schema: Option<ResponseSchema>,
    /// Sampling temperature (0 for scoring).
    pub temperature: f32,
    /// A seed, for providers that support one.
    pub seed: Option<u64>,
    /// Maximum tokens to generate.
    pub max_tokens: u32,
}

/// Why generation stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// Finished normally.
    Stop,
    /// Hit `max_tokens`: the answer is truncated.
    Length,
    /// The model refused.
    Refusal,
    /// Stopped by a content filter.
    ContentFilter,
    /// Anything else.
    Other,
}

/// Tokens used by one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Generated tokens.
    pub output_tokens: u64,
}

/// A model's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    /// The text (or JSON) answer (may quote personal data).
    pub content: Sensitive<String>,
    /// Why it stopped.
    pub finish_reason: FinishReason,
    /// Token usage.
    pub usage: TokenUsage,
    /// Cost in USD according to the adapter's price table, when configured.
    pub cost_usd: Option<f64>,
    /// The model that answered.
    pub model: String,
    /// The provider's request id.
    pub request_id: Option<String>,
}

/// A large language model behind some API.
///
/// Contract: with a `response_schema`, `content` is the JSON answer (the
/// adapter extracts it from tool calls etc.); a refusal gives
/// `finish_reason = Refusal`, truncation `Length` — neither is an error;
/// transport and provider failures map to the retryable / non-retryable
/// [`Error`](crate::Error) variants; prompts and answers never appear in errors.
#[async_trait]
pub trait LanguageModel: SubProcessor + Debug + Send + Sync {
    /// The model name.
    fn model(&self) -> &str;
    /// Runs one completion.
    async fn complete(&self, req: CompletionRequest) -> Result<Completion>;
}

fn _object_safe(_: Arc<dyn LanguageModel>) {}

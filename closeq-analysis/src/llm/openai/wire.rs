//! OpenAI Chat Completions wire types (`POST /v1/chat/completions`).

use serde::{Deserialize, Serialize};

#[derive(Serialize)]
pub(crate) struct Request<'a> {
    pub model: &'a str,
    pub messages: Vec<Msg<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The legacy limit, which local servers (llama.cpp, llama-cpp-python,
    /// Ollama) read; OpenAI's reasoning models refuse it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// OpenAI's current limit (reasoning tokens included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<[Tool<'a>; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice<'a>>,
}

#[derive(Serialize)]
pub(crate) struct Msg<'a> {
    pub role: &'a str,
    pub content: &'a str,
}

/// `response_format`: `{"type": "json_schema", "json_schema": {...}}` or
/// `{"type": "json_object", "schema": {...}}` (the `schema` member is
/// llama-cpp-python's and vLLM's extension; OpenAI takes no schema here).
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum ResponseFormat<'a> {
    JsonSchema { json_schema: JsonSchema<'a> },
    JsonObject { schema: &'a serde_json::Value },
}

#[derive(Serialize)]
pub(crate) struct JsonSchema<'a> {
    pub name: &'a str,
    pub schema: &'a serde_json::Value,
    pub strict: bool,
}

#[derive(Serialize)]
pub(crate) struct Tool<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: Function<'a>,
}

#[derive(Serialize)]
pub(crate) struct Function<'a> {
    pub name: &'a str,
    pub description: &'static str,
    pub parameters: &'a serde_json::Value,
    pub strict: bool,
}

#[derive(Serialize)]
pub(crate) struct ToolChoice<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: ToolChoiceFunction<'a>,
}

#[derive(Serialize)]
pub(crate) struct ToolChoiceFunction<'a> {
    pub name: &'a str,
}

#[derive(Deserialize)]
pub(crate) struct Response {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    pub choices: Vec<Choice>,
    #[serde(default)]
    pub usage: Option<Usage>,
}

#[derive(Deserialize)]
pub(crate) struct Choice {
    pub message: AssistantMessage,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct AssistantMessage {
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub refusal: Option<String>,
    #[serde(default)]
    pub tool_calls: Option<Vec<ToolCall>>,
}

#[derive(Deserialize)]
pub(crate) struct ToolCall {
    #[serde(default)]
    pub function: Option<ToolCallFunction>,
}

#[derive(Deserialize)]
pub(crate) struct ToolCallFunction {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub arguments: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct Usage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
}

/// OpenAI's documented error body: `{"error": {"message", "type", "param",
/// "code"}}`. llama-cpp-python uses the same envelope.
#[derive(Deserialize)]
pub(crate) struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Deserialize)]
pub(crate) struct ErrorDetail {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub param: Option<serde_json::Value>,
    #[serde(default)]
    pub code: Option<serde_json::Value>,
}

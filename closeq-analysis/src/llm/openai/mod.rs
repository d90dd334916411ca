//! OpenAI-compatible Chat Completions: OpenAI, Azure OpenAI, Mistral, Groq,
//! Ollama, vLLM, llama.cpp's and llama-cpp-python's servers (configurable
//! base URL and model).
//!
//! Servers disagree on three things, each a setting with a default that
//! follows the server or model and an environment variable to override it:
//! how structured output is asked for ([`StructuredOutput`], default strict
//! `json_schema`), which field limits the answer's tokens ([`TokenLimit`]:
//! `max_completion_tokens` for OpenAI and Azure, `max_tokens` elsewhere) and
//! whether a temperature is sent ([`Temperature`]: not to OpenAI's reasoning
//! models). A server that refuses one of them answers with a typed,
//! non-retryable [`Error::InvalidInput`] whose field is the refused
//! parameter and whose reason names the setting to change (for a refused
//! structured-output mode: the modes to try).

mod error;
mod options;
mod strict_schema;
mod wire;

pub use options::{StructuredOutput, Temperature, TokenLimit};

use std::collections::BTreeSet;
use std::fmt;

use async_trait::async_trait;
use closeq_core::ports::{
    Completion, CompletionRequest, FinishReason, LanguageModel, Message, MessageRole, SubProcessor,
    TokenUsage,
};
use closeq_core::transport::check_remote_base_url;
use closeq_core::{
    DataCategory, Error, Region, Result, Sensitive, SubProcessorInfo, TransferMechanism,
};

use super::http::{build_client, parse_json, send_classified};
use super::json_answer::{check, extract_json};
use super::{Pricing, RetryPolicy};

const PROVIDER: &str = "openai";

/// An OpenAI-compatible chat model.
pub struct OpenAiChat {
    client: reqwest::Client,
    base_url: String,
    api_key: Sensitive<String>,
    model: String,
    policy: RetryPolicy,
    pricing: Option<Pricing>,
    sub_processor: SubProcessorInfo,
    structured: StructuredOutput,
    token_limit: TokenLimit,
    temperature: Temperature,
}

impl fmt::Debug for OpenAiChat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiChat")
            .field("model", &self.model)
            .field("policy", &self.policy)
            .field("structured_output", &self.structured)
            .field("token_limit", &self.token_limit)
            .field("temperature", &self.temperature)
            .finish_non_exhaustive()
    }
}

fn env_option<T: std::str::FromStr<Err = Error>>(name: &str) -> Result<Option<T>> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v.parse().map(Some),
        _ => Ok(None),
    }
}

impl OpenAiChat {
    /// A client for `model` at `base_url` (e.g. `https://api.openai.com/v1`,
    /// `http://localhost:11434/v1` for Ollama), with strict `json_schema`
    /// output, the token-limit field the base URL needs
    /// ([`TokenLimit::for_base_url`]) and the temperature sent unless the
    /// model refuses one ([`Temperature::for_model`]).
    ///
    /// `base_url` must be `https://`, or `http://` to a loopback address
    /// ([`check_remote_base_url`]): transcripts and the key are sent
    /// there. Errors: [`Error::InvalidInput`] naming `base_url` (or, from
    /// [`from_env`](Self::from_env), `CLOSEQ_OPENAI_BASE_URL`).
    pub fn new(
        base_url: impl Into<String>,
        api_key: impl Into<String>,
        model: impl Into<String>,
    ) -> Result<Self> {
        let policy = RetryPolicy::default();
        let base_url = base_url.into().trim().trim_end_matches('/').to_owned();
        // Transcripts and the key go there: https://, or http:// to a
        // loopback address only.
        check_remote_base_url("base_url", &base_url)?;
        let model = model.into();
        if model.trim().is_empty() {
            return Err(Error::invalid("model", "must not be empty"));
        }
        Ok(Self {
            client: build_client(&policy)?,
            token_limit: TokenLimit::for_base_url(&base_url),
            temperature: Temperature::for_model(&model),
            structured: StructuredOutput::default(),
            base_url,
            api_key: Sensitive::new(api_key.into()),
            model,
            policy,
            pricing: None,
            sub_processor: SubProcessorInfo {
                vendor: "OpenAI".into(),
                legal_entity: "OpenAI Ireland Ltd".into(),
                purpose: "AI analysis of call transcripts (scoring)".into(),
                data_categories: BTreeSet::from([
                    DataCategory::Transcript,
                    DataCategory::AiAnalysis,
                ]),
                region: Region::parse("US").unwrap_or_else(|_| Region::eu()),
                transfer_mechanism: TransferMechanism::EuUsDataPrivacyFramework,
                dpa_in_place: true,
                trains_on_customer_data: false,
            },
        })
    }

    /// From `CLOSEQ_OPENAI_API_KEY`, `CLOSEQ_OPENAI_BASE_URL` (default
    /// `https://api.openai.com/v1`) and `CLOSEQ_OPENAI_MODEL`, plus the
    /// options of [`with_env_options`](Self::with_env_options).
    pub fn from_env() -> Result<Self> {
        // The credential first: without it nothing else matters.
        if std::env::var_os("CLOSEQ_OPENAI_API_KEY").is_none() {
            return Err(Error::invalid("CLOSEQ_OPENAI_API_KEY", "is not set"));
        }
        let model = std::env::var("CLOSEQ_OPENAI_MODEL")
            .map_err(|_| Error::invalid("CLOSEQ_OPENAI_MODEL", "is not set"))?;
        Self::from_env_with_model(&model)
    }

    /// [`from_env`](Self::from_env) for a model named by the caller.
    pub fn from_env_with_model(model: &str) -> Result<Self> {
        let key = std::env::var("CLOSEQ_OPENAI_API_KEY")
            .map_err(|_| Error::invalid("CLOSEQ_OPENAI_API_KEY", "is not set"))?;
        let base = std::env::var("CLOSEQ_OPENAI_BASE_URL")
            .unwrap_or_else(|_| "https://api.openai.com/v1".into());
        // Checked here too, so the error names the variable.
        check_remote_base_url("CLOSEQ_OPENAI_BASE_URL", &base)?;
        Self::new(base, key, model)?.with_env_options()
    }

    /// Builder: the options set in the environment, each overriding its
    /// default only when set: `CLOSEQ_OPENAI_STRUCTURED_OUTPUT`
    /// (`json_schema`, `json_object`, `tool_call`, `prompt`),
    /// `CLOSEQ_OPENAI_TOKEN_LIMIT` (`max_completion_tokens`, `max_tokens`)
    /// and `CLOSEQ_OPENAI_TEMPERATURE` (`send`, `omit`). A value that is
    /// none of these is an [`Error::InvalidInput`] naming the variable.
    pub fn with_env_options(mut self) -> Result<Self> {
        if let Some(m) = env_option("CLOSEQ_OPENAI_STRUCTURED_OUTPUT")? {
            self.structured = m;
        }
        if let Some(t) = env_option("CLOSEQ_OPENAI_TOKEN_LIMIT")? {
            self.token_limit = t;
        }
        if let Some(t) = env_option("CLOSEQ_OPENAI_TEMPERATURE")? {
            self.temperature = t;
        }
        Ok(self)
    }

    /// Builder: retry policy (also sets the request timeout).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Result<Self> {
        self.client = build_client(&policy)?;
        self.policy = policy;
        Ok(self)
    }

    /// Builder: prices for cost accounting.
    #[must_use]
    pub fn with_pricing(mut self, pricing: Pricing) -> Self {
        self.pricing = Some(pricing);
        self
    }

    /// Builder: how structured output is asked for.
    #[must_use]
    pub fn with_structured_output(mut self, mode: StructuredOutput) -> Self {
        self.structured = mode;
        self
    }

    /// Builder: which field carries the token limit.
    #[must_use]
    pub fn with_token_limit(mut self, field: TokenLimit) -> Self {
        self.token_limit = field;
        self
    }

    /// Builder: whether the temperature is sent.
    #[must_use]
    pub fn with_temperature(mut self, temperature: Temperature) -> Self {
        self.temperature = temperature;
        self
    }

    /// The structured-output mode in use.
    pub fn structured_output(&self) -> StructuredOutput {
        self.structured
    }

    /// Builder: the sub-processor declaration (region, entity, DPA) for the
    /// server actually used — e.g. Azure OpenAI in an EU region, or a local
    /// server, which is no sub-processor at all.
    #[must_use]
    pub fn with_sub_processor(mut self, info: SubProcessorInfo) -> Self {
        self.sub_processor = info;
        self
    }

    fn system_prompt(&self, req: &CompletionRequest) -> String {
        match (&req.response_schema, self.structured) {
            (Some(s), StructuredOutput::JsonObject | StructuredOutput::Prompt) => format!(
                "{}\n\nAnswer with one JSON object, and nothing else, that follows this JSON Schema:\n{}",
                req.system, s.schema
            ),
            _ => req.system.clone(),
        }
    }

    /// One request, no repair.
    async fn send_once(&self, req: &CompletionRequest) -> Result<Completion> {
        let system = self.system_prompt(req);
        let mut messages = vec![wire::Msg {
            role: "system",
            content: &system,
        }];
        for m in &req.messages {
            messages.push(wire::Msg {
                role: match m.role {
                    MessageRole::User => "user",
                    MessageRole::Assistant => "assistant",
                },
                content: m.content.as_str(),
            });
        }
        let schema = req.response_schema.as_ref();
        let mode = self.structured;
        // Strict modes get the schema in the subset strict mode defines.
        let strict = schema.map(|s| strict_schema::strict_schema(&s.schema));
        let strict = strict.as_ref();
        let body = wire::Request {
            model: &self.model,
            messages,
            temperature: (self.temperature == Temperature::Send).then_some(req.temperature),
            seed: req.seed,
            max_tokens: (self.token_limit == TokenLimit::MaxTokens).then_some(req.max_tokens),
            max_completion_tokens: (self.token_limit == TokenLimit::MaxCompletionTokens)
                .then_some(req.max_tokens),
            response_format: schema.and_then(|s| match mode {
                StructuredOutput::JsonSchema => Some(wire::ResponseFormat::JsonSchema {
                    json_schema: wire::JsonSchema {
                        name: &s.name,
                        schema: strict.unwrap_or(&s.schema),
                        strict: true,
                    },
                }),
                StructuredOutput::JsonObject => {
                    Some(wire::ResponseFormat::JsonObject { schema: &s.schema })
                }
                StructuredOutput::ToolCall | StructuredOutput::Prompt => None,
            }),
            tools: schema
                .filter(|_| mode == StructuredOutput::ToolCall)
                .map(|s| {
                    [wire::Tool {
                        kind: "function",
                        function: wire::Function {
                            name: &s.name,
                            description: "Record the answer.",
                            parameters: strict.unwrap_or(&s.schema),
                            strict: true,
                        },
                    }]
                }),
            tool_choice: schema
                .filter(|_| mode == StructuredOutput::ToolCall)
                .map(|s| wire::ToolChoice {
                    kind: "function",
                    function: wire::ToolChoiceFunction { name: &s.name },
                }),
        };
        let body =
            serde_json::to_vec(&body).map_err(|_| Error::internal("cannot encode the request"))?;
        let url = format!("{}/chat/completions", self.base_url);
        let sent = error::Sent {
            provider: PROVIDER,
            model: &self.model,
            mode,
        };
        let (status, bytes) = send_classified(
            PROVIDER,
            &self.policy,
            || {
                self.client
                    .post(&url)
                    .bearer_auth(self.api_key.as_str())
                    .header("content-type", "application/json")
                    .body(body.clone())
            },
            |status, text, after| error::classify(&sent, status, text, after),
        )
        .await?;
        let resp: wire::Response = parse_json(PROVIDER, "a chat completion", status, &bytes)?;
        let usage = resp.usage.map_or_else(TokenUsage::default, |u| TokenUsage {
            input_tokens: u.prompt_tokens,
            output_tokens: u.completion_tokens,
        });
        let choice = resp
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| Error::Provider {
                provider: PROVIDER.into(),
                status: None,
                reason: "the response has no choices".into(),
            })?;
        let finish_reason = if choice.message.refusal.is_some() {
            FinishReason::Refusal
        } else {
            match choice.finish_reason.as_deref() {
                Some("stop" | "tool_calls") | None => FinishReason::Stop,
                Some("length") => FinishReason::Length,
                Some("content_filter") => FinishReason::ContentFilter,
                Some(_) => FinishReason::Other,
            }
        };
        let tool_arguments = choice
            .message
            .tool_calls
            .unwrap_or_default()
            .into_iter()
            .filter_map(|c| c.function)
            .find(|f| schema.is_some_and(|s| f.name.as_deref().is_none_or(|n| n == s.name)))
            .and_then(|f| f.arguments);
        let content = match (mode, tool_arguments) {
            (StructuredOutput::ToolCall, Some(args)) => args,
            _ => choice.message.content.unwrap_or_default(),
        };
        Ok(Completion {
            content: content.into(),
            finish_reason,
            usage,
            cost_usd: self.pricing.map(|p| p.cost(usage)),
            model: resp.model.unwrap_or_else(|| self.model.clone()),
            request_id: resp.id,
        })
    }
}

/// The JSON answer in `text`, checked against `schema`.
fn checked_answer(text: &str, schema: &serde_json::Value) -> std::result::Result<String, String> {
    let json = extract_json(text).ok_or_else(|| "the answer holds no JSON object".to_owned())?;
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| format!("the answer is not valid JSON ({})", e.classify_name()))?;
    check(&value, schema).map_err(|p| format!("the answer does not follow the schema at {p}"))?;
    Ok(json.to_owned())
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "wrong data",
            serde_json::error::Category::Eof => "cut off",
        }
    }
}

impl SubProcessor for OpenAiChat {
    fn sub_processor(&self) -> Option<SubProcessorInfo> {
        Some(self.sub_processor.clone())
    }
}

#[async_trait]
impl LanguageModel for OpenAiChat {
    fn model(&self) -> &str {
        &self.model
    }

    /// One request; in [`StructuredOutput::Prompt`] mode the JSON is taken
    /// out of the text and checked against the schema, and an answer that
    /// fails gets one repair request (usage and cost are the sum of both).
    async fn complete(&self, req: CompletionRequest) -> Result<Completion> {
        let first = self.send_once(&req).await?;
        let Some(schema) = req.response_schema.as_ref().map(|s| &s.schema) else {
            return Ok(first);
        };
        if self.structured != StructuredOutput::Prompt || first.finish_reason != FinishReason::Stop
        {
            return Ok(first);
        }
        let problem = match checked_answer(first.content.as_str(), schema) {
            Ok(json) => {
                return Ok(Completion {
                    content: json.into(),
                    ..first
                });
            }
            Err(problem) => problem,
        };
        let mut repair = req.clone();
        repair.messages.push(Message {
            role: MessageRole::Assistant,
            content: first.content.clone(),
        });
        repair.messages.push(Message {
            role: MessageRole::User,
            content: format!(
                "{problem}. Answer again with only the JSON object the schema describes."
            )
            .into(),
        });
        let second = self.send_once(&repair).await?;
        let usage = TokenUsage {
            input_tokens: first
                .usage
                .input_tokens
                .saturating_add(second.usage.input_tokens),
            output_tokens: first
                .usage
                .output_tokens
                .saturating_add(second.usage.output_tokens),
        };
        let cost_usd = self.pricing.map(|p| p.cost(usage));
        if second.finish_reason != FinishReason::Stop {
            return Ok(Completion {
                usage,
                cost_usd,
                ..second
            });
        }
        match checked_answer(second.content.as_str(), schema) {
            Ok(json) => Ok(Completion {
                content: json.into(),
                usage,
                cost_usd,
                ..second
            }),
            Err(problem) => Err(Error::Provider {
                provider: PROVIDER.into(),
                status: None,
                reason: format!(
                    "{problem}, after one repair request (structured-output mode prompt)"
                )
                .into(),
            }),
        }
    }
}

//! OpenAI-compatible Chat Completions: OpenAI, Azure OpenAI, Mistral, Groq,
//! Ollama, vLLM and llama.cpp servers (configurable base URL and model),
//! with a strict `json_schema` response format.

mod wire;

use std::collections::BTreeSet;
use std::fmt;

use async_trait::async_trait;
use closeq_core::ports::{
    Completion, CompletionRequest, FinishReason, LanguageModel, MessageRole, SubProcessor,
    TokenUsage,
};
use closeq_core::{
    DataCategory, Error, Region, Result, Sensitive, SubProcessorInfo, TransferMechanism,
};

use super::http::{build_client, send_for_json};
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
}

impl fmt::Debug for OpenAiChat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiChat")
            .field("model", &self.model)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl OpenAiChat {
    /// A client for `model` at `base_url` (e.g. `https://api.openai.com/v1`,
    /// `http://localhost:11434/v1` for Ollama).
    pub fn new(
        base_url: impl Into<String>,
        api_key: impl Into<String>,
        model: impl Into<String>,
    ) -> Result<Self> {
        let policy = RetryPolicy::default();
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(Error::invalid("base_url", "must be an http(s) URL"));
        }
        let model = model.into();
        if model.trim().is_empty() {
            return Err(Error::invalid("model", "must not be empty"));
        }
        Ok(Self {
            client: build_client(&policy)?,
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
    /// `https://api.openai.com/v1`) and `CLOSEQ_OPENAI_MODEL`.
    pub fn from_env() -> Result<Self> {
        let key = std::env::var("CLOSEQ_OPENAI_API_KEY")
            .map_err(|_| Error::invalid("CLOSEQ_OPENAI_API_KEY", "is not set"))?;
        let base = std::env::var("CLOSEQ_OPENAI_BASE_URL")
            .unwrap_or_else(|_| "https://api.openai.com/v1".into());
        let model = std::env::var("CLOSEQ_OPENAI_MODEL")
            .map_err(|_| Error::invalid("CLOSEQ_OPENAI_MODEL", "is not set"))?;
        Self::new(base, key, model)
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

    /// Builder: the sub-processor declaration (region, entity, DPA) for the
    /// server actually used — e.g. Azure OpenAI in an EU region, or a local
    /// server, which is no sub-processor at all.
    #[must_use]
    pub fn with_sub_processor(mut self, info: SubProcessorInfo) -> Self {
        self.sub_processor = info;
        self
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

    async fn complete(&self, req: CompletionRequest) -> Result<Completion> {
        let mut messages = vec![wire::Msg {
            role: "system",
            content: &req.system,
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
        let body = wire::Request {
            model: &self.model,
            messages,
            temperature: req.temperature,
            seed: req.seed,
            max_tokens: req.max_tokens,
            response_format: req.response_schema.as_ref().map(|s| wire::ResponseFormat {
                kind: "json_schema",
                json_schema: wire::JsonSchema {
                    name: &s.name,
                    schema: &s.schema,
                    strict: true,
                },
            }),
        };
        let body =
            serde_json::to_vec(&body).map_err(|_| Error::internal("cannot encode the request"))?;
        let url = format!("{}/chat/completions", self.base_url);
        let resp: wire::Response =
            send_for_json(PROVIDER, &self.policy, "a chat completion", || {
                self.client
                    .post(&url)
                    .bearer_auth(self.api_key.as_str())
                    .header("content-type", "application/json")
                    .body(body.clone())
            })
            .await?;
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
                Some("stop") | None => FinishReason::Stop,
                Some("length") => FinishReason::Length,
                Some("content_filter") => FinishReason::ContentFilter,
                Some(_) => FinishReason::Other,
            }
        };
        Ok(Completion {
            content: choice.message.content.unwrap_or_default().into(),
            finish_reason,
            usage,
            cost_usd: self.pricing.map(|p| p.cost(usage)),
            model: resp.model.unwrap_or_else(|| self.model.clone()),
            request_id: resp.id,
        })
    }
}

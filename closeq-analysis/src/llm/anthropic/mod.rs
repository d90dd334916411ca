//! Anthropic Messages, with structured output through a forced tool call.

mod wire;

use std::collections::BTreeSet;
use std::fmt;

use async_trait::async_trait;
use closeq_core::ports::{
    Completion, CompletionRequest, FinishReason, LanguageModel, MessageRole, SubProcessor,
    TokenUsage,
};
use closeq_core::transport::check_remote_base_url;
use closeq_core::{
    DataCategory, Error, Region, Result, Sensitive, SubProcessorInfo, TransferMechanism,
};

use super::http::send_for_json;
use super::{Pricing, RetryPolicy};

const PROVIDER: &str = "anthropic";
const API_VERSION: &str = "2023-06-01";

/// A Claude model behind the Anthropic Messages API.
pub struct AnthropicMessages {
    client: reqwest::Client,
    base_url: String,
    api_key: Sensitive<String>,
    model: String,
    policy: RetryPolicy,
    pricing: Option<Pricing>,
    sub_processor: SubProcessorInfo,
}

impl fmt::Debug for AnthropicMessages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnthropicMessages")
            .field("model", &self.model)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl AnthropicMessages {
    /// A client for `model` at `base_url` (`https://api.anthropic.com`).
    ///
    /// `base_url` must be `https://`, or `http://` to a loopback address
    /// ([`check_remote_base_url`]): transcripts and the key are sent
    /// there. Errors: [`Error::InvalidInput`] naming `base_url` (or, from
    /// [`from_env`](Self::from_env), `CLOSEQ_ANTHROPIC_BASE_URL`).
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
            client: super::http::build_client(&policy)?,
            base_url,
            api_key: Sensitive::new(api_key.into()),
            model,
            policy,
            pricing: None,
            sub_processor: SubProcessorInfo {
                vendor: "Anthropic".into(),
                legal_entity: "Anthropic, PBC".into(),
                purpose: "AI analysis of call transcripts (scoring)".into(),
                data_categories: BTreeSet::from([
                    DataCategory::Transcript,
                    DataCategory::AiAnalysis,
                ]),
                region: Region::parse("US").unwrap_or_else(|_| Region::eu()),
                transfer_mechanism: TransferMechanism::StandardContractualClauses,
                dpa_in_place: true,
                trains_on_customer_data: false,
            },
        })
    }

    /// From `CLOSEQ_ANTHROPIC_API_KEY`, `CLOSEQ_ANTHROPIC_BASE_URL` (default
    /// `https://api.anthropic.com`) and `CLOSEQ_ANTHROPIC_MODEL`.
    pub fn from_env() -> Result<Self> {
        // The credential first: without it nothing else matters.
        if std::env::var_os("CLOSEQ_ANTHROPIC_API_KEY").is_none() {
            return Err(Error::invalid("CLOSEQ_ANTHROPIC_API_KEY", "is not set"));
        }
        let model = std::env::var("CLOSEQ_ANTHROPIC_MODEL")
            .map_err(|_| Error::invalid("CLOSEQ_ANTHROPIC_MODEL", "is not set"))?;
        Self::from_env_with_model(&model)
    }

    /// [`from_env`](Self::from_env) for a model named by the caller.
    pub fn from_env_with_model(model: &str) -> Result<Self> {
        let key = std::env::var("CLOSEQ_ANTHROPIC_API_KEY")
            .map_err(|_| Error::invalid("CLOSEQ_ANTHROPIC_API_KEY", "is not set"))?;
        let base = std::env::var("CLOSEQ_ANTHROPIC_BASE_URL")
            .unwrap_or_else(|_| "https://api.anthropic.com".into());
        // Checked here too, so the error names the variable.
        check_remote_base_url("CLOSEQ_ANTHROPIC_BASE_URL", &base)?;
        Self::new(base, key, model)
    }

    /// Builder: retry policy.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Result<Self> {
        self.client = super::http::build_client(&policy)?;
        self.policy = policy;
        Ok(self)
    }

    /// Builder: prices for cost accounting.
    #[must_use]
    pub fn with_pricing(mut self, pricing: Pricing) -> Self {
        self.pricing = Some(pricing);
        self
    }

    /// Builder: the sub-processor declaration for the endpoint used.
    #[must_use]
    pub fn with_sub_processor(mut self, info: SubProcessorInfo) -> Self {
        self.sub_processor = info;
        self
    }
}

impl SubProcessor for AnthropicMessages {
    fn sub_processor(&self) -> Option<SubProcessorInfo> {
        Some(self.sub_processor.clone())
    }
}

#[async_trait]
impl LanguageModel for AnthropicMessages {
    fn model(&self) -> &str {
        &self.model
    }

    async fn complete(&self, req: CompletionRequest) -> Result<Completion> {
        let messages = req
            .messages
            .iter()
            .map(|m| wire::Msg {
                role: match m.role {
                    MessageRole::User => "user",
                    MessageRole::Assistant => "assistant",
                },
                content: m.content.as_str(),
            })
            .collect();
        let tool_name = req.response_schema.as_ref().map(|s| s.name.clone());
        let body = wire::Request {
            model: &self.model,
            max_tokens: req.max_tokens,
            system: &req.system,
            messages,
            temperature: req.temperature,
            tools: req
                .response_schema
                .as_ref()
                .map(|s| wire::Tool {
                    name: &s.name,
                    description: "Record the structured answer.",
                    input_schema: &s.schema,
                })
                .into_iter()
                .collect(),
            tool_choice: tool_name.as_deref().map(|n| wire::ToolChoice {
                kind: "tool",
                name: n,
            }),
        };
        let body =
            serde_json::to_vec(&body).map_err(|_| Error::internal("cannot encode the request"))?;
        let url = format!("{}/v1/messages", self.base_url);
        let resp: wire::Response = send_for_json(PROVIDER, &self.policy, "a message", || {
            self.client
                .post(&url)
                .header("x-api-key", self.api_key.as_str())
                .header("anthropic-version", API_VERSION)
                .header("content-type", "application/json")
                .body(body.clone())
        })
        .await?;
        let usage = resp.usage.map_or_else(TokenUsage::default, |u| TokenUsage {
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
        });
        let mut content = String::new();
        for block in resp.content {
            match block {
                wire::Block::ToolUse { name, input }
                    if tool_name.as_deref().is_none_or(|t| t == name) =>
                {
                    content = input.to_string();
                    break;
                }
                wire::Block::Text { text } if tool_name.is_none() => content.push_str(&text),
                _ => {}
            }
        }
        let finish_reason = match resp.stop_reason.as_deref() {
            Some("end_turn") | Some("tool_use") | Some("stop_sequence") | None => {
                FinishReason::Stop
            }
            Some("max_tokens") => FinishReason::Length,
            Some("refusal") => FinishReason::Refusal,
            Some(_) => FinishReason::Other,
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

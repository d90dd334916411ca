//! The request options on which OpenAI-compatible servers disagree: how
//! structured output is asked for, which field limits the answer's tokens,
//! and whether a temperature may be sent.

use std::fmt;
use std::str::FromStr;

use closeq_core::Error;

/// How the adapter asks for a JSON answer that follows the request's
/// schema (`CLOSEQ_OPENAI_STRUCTURED_OUTPUT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StructuredOutput {
    /// `response_format: {"type": "json_schema", ...}` with `strict: true`
    /// (OpenAI, Azure OpenAI, llama.cpp's server, vLLM, Ollama). The default.
    #[default]
    JsonSchema,
    /// `response_format: {"type": "json_object", "schema": ...}`, with the
    /// schema also in the system prompt (llama-cpp-python's server, which
    /// refuses `json_schema`; servers that ignore `schema` still see it in
    /// the prompt).
    JsonObject,
    /// A forced function call whose parameters are the schema (`tools` +
    /// `tool_choice`); the answer is the call's arguments.
    ToolCall,
    /// No structured-output parameter at all: the schema goes into the
    /// system prompt, the answer is taken from the text (code fences
    /// stripped), checked against the schema, and repaired once.
    Prompt,
}

impl StructuredOutput {
    /// Every mode, in the order worth trying.
    pub const ALL: [Self; 4] = [
        Self::JsonSchema,
        Self::JsonObject,
        Self::ToolCall,
        Self::Prompt,
    ];

    /// The configuration name (`json_schema`, `json_object`, `tool_call`, `prompt`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::JsonSchema => "json_schema",
            Self::JsonObject => "json_object",
            Self::ToolCall => "tool_call",
            Self::Prompt => "prompt",
        }
    }

    /// The other modes, comma separated, for "try these" messages.
    pub fn alternatives(self) -> String {
        Self::ALL
            .iter()
            .filter(|m| **m != self)
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for StructuredOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StructuredOutput {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s.trim())
            .ok_or_else(|| {
                Error::invalid(
                    "CLOSEQ_OPENAI_STRUCTURED_OUTPUT",
                    "must be json_schema, json_object, tool_call or prompt",
                )
            })
    }
}

/// Which request field carries the answer's token limit
/// (`CLOSEQ_OPENAI_TOKEN_LIMIT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenLimit {
    /// `max_completion_tokens`: what OpenAI's current models require (the
    /// o-series and GPT-5 refuse `max_tokens`).
    MaxCompletionTokens,
    /// `max_tokens`: what local servers (llama.cpp, llama-cpp-python,
    /// Ollama) read.
    MaxTokens,
}

impl TokenLimit {
    /// The request field's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MaxCompletionTokens => "max_completion_tokens",
            Self::MaxTokens => "max_tokens",
        }
    }

    /// `max_completion_tokens` for OpenAI's own API and Azure OpenAI,
    /// `max_tokens` for every other base URL.
    pub fn for_base_url(base_url: &str) -> Self {
        let host = base_url
            .split_once("://")
            .map_or(base_url, |(_, rest)| rest)
            .split(['/', ':'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if host == "api.openai.com" || host.ends_with(".openai.azure.com") {
            Self::MaxCompletionTokens
        } else {
            Self::MaxTokens
        }
    }
}

impl FromStr for TokenLimit {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim() {
            "max_completion_tokens" => Ok(Self::MaxCompletionTokens),
            "max_tokens" => Ok(Self::MaxTokens),
            _ => Err(Error::invalid(
                "CLOSEQ_OPENAI_TOKEN_LIMIT",
                "must be max_completion_tokens or max_tokens",
            )),
        }
    }
}

/// Whether the request's temperature is sent (`CLOSEQ_OPENAI_TEMPERATURE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temperature {
    /// Sent.
    Send,
    /// Left out: OpenAI's reasoning models (o1, o3, o4-mini, GPT-5) accept
    /// only their default and answer any other value with HTTP 400.
    Omit,
}

impl Temperature {
    /// `Omit` for OpenAI's reasoning models (`o1…`, `o3…`, `o4…`, `gpt-5…`
    /// except the `-chat` variants), `Send` for every other model name.
    pub fn for_model(model: &str) -> Self {
        let m = model.to_ascii_lowercase();
        let m = m.rsplit('/').next().unwrap_or_default();
        let o_series = m.len() >= 2
            && m.starts_with('o')
            && m.as_bytes().get(1).is_some_and(u8::is_ascii_digit);
        let gpt5 = m.starts_with("gpt-5") && !m.contains("-chat");
        if o_series || gpt5 {
            Self::Omit
        } else {
            Self::Send
        }
    }
}

impl FromStr for Temperature {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim() {
            "send" => Ok(Self::Send),
            "omit" => Ok(Self::Omit),
            _ => Err(Error::invalid(
                "CLOSEQ_OPENAI_TEMPERATURE",
                "must be send or omit",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_server_and_the_model() {
        assert_eq!(
            TokenLimit::for_base_url("https://api.openai.com/v1"),
            TokenLimit::MaxCompletionTokens
        );
        assert_eq!(
            TokenLimit::for_base_url("https://eu1.openai.azure.com/openai/v1"),
            TokenLimit::MaxCompletionTokens
        );
        assert_eq!(
            TokenLimit::for_base_url("http://127.0.0.1:8080/v1"),
            TokenLimit::MaxTokens
        );
        assert_eq!(
            TokenLimit::for_base_url("https://api.openai.com.evil.example/v1"),
            TokenLimit::MaxTokens
        );
        for m in [
            "o1",
            "o3-mini",
            "o4-mini-2025-04-16",
            "gpt-5",
            "gpt-5.1",
            "gpt-5-mini",
        ] {
            assert_eq!(Temperature::for_model(m), Temperature::Omit, "{m}");
        }
        for m in [
            "gpt-4.1",
            "gpt-4o-mini",
            "gpt-5-chat-latest",
            "omni-local",
            "llama3",
        ] {
            assert_eq!(Temperature::for_model(m), Temperature::Send, "{m}");
        }
    }

    #[test]
    fn modes_parse_and_name_their_alternatives() {
        for m in StructuredOutput::ALL {
            assert_eq!(m.as_str().parse::<StructuredOutput>().unwrap(), m);
        }
        assert_eq!(
            StructuredOutput::JsonSchema.alternatives(),
            "json_object, tool_call, prompt"
        );
        let e = "xml".parse::<StructuredOutput>().unwrap_err();
        assert_eq!(e.field(), Some("CLOSEQ_OPENAI_STRUCTURED_OUTPUT"));
    }
}

//! Naming a language model in one string, as command lines and
//! configuration files do: `openai:MODEL`, `anthropic:MODEL`,
//! `local:PATH.gguf`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use closeq_core::ports::LanguageModel;
use closeq_core::{Error, Result};

/// A language model by provider and name (or file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSpec {
    /// An OpenAI-compatible server (`openai:MODEL`); key, base URL and
    /// request options from `CLOSEQ_OPENAI_*` (see
    /// [`OpenAiChat::from_env_with_model`](crate::llm::openai::OpenAiChat::from_env_with_model)).
    OpenAi(String),
    /// Anthropic (`anthropic:MODEL`); key and base URL from `CLOSEQ_ANTHROPIC_*`.
    Anthropic(String),
    /// A GGUF file run in process (`local:PATH`); settings from
    /// `CLOSEQ_LLM_LOCAL_*` (see `LocalModelConfig::from_env`).
    Local(PathBuf),
}

impl FromStr for ModelSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::invalid(
                "model",
                "use openai:MODEL, anthropic:MODEL or local:PATH.gguf",
            )
        };
        let (provider, rest) = s.split_once(':').ok_or_else(bad)?;
        if rest.trim().is_empty() {
            return Err(bad());
        }
        match provider {
            "openai" => Ok(Self::OpenAi(rest.to_owned())),
            "anthropic" => Ok(Self::Anthropic(rest.to_owned())),
            "local" => Ok(Self::Local(PathBuf::from(rest))),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for ModelSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OpenAi(m) => write!(f, "openai:{m}"),
            Self::Anthropic(m) => write!(f, "anthropic:{m}"),
            Self::Local(p) => write!(
                f,
                "local:{}",
                p.file_name()
                    .map_or_else(|| "model".into(), |n| n.to_string_lossy().into_owned())
            ),
        }
    }
}

#[allow(dead_code)] // used only when a provider feature is off
fn not_built(feature: &str) -> Error {
    Error::Unsupported {
        what: format!("this build has no {feature} (cargo feature `{feature}`)").into(),
    }
}

impl ModelSpec {
    /// Builds the model, reading keys and options from the environment. A
    /// local model is loaded here (blocking: call it before starting work
    /// or inside `spawn_blocking`). A provider this build lacks is an
    /// [`Error::Unsupported`] naming the cargo feature.
    pub fn build_from_env(&self) -> Result<Arc<dyn LanguageModel>> {
        match self {
            #[cfg(feature = "llm-openai")]
            Self::OpenAi(m) => Ok(Arc::new(super::openai::OpenAiChat::from_env_with_model(m)?)),
            #[cfg(not(feature = "llm-openai"))]
            Self::OpenAi(_) => Err(not_built("llm-openai")),
            #[cfg(feature = "llm-anthropic")]
            Self::Anthropic(m) => Ok(Arc::new(
                super::anthropic::AnthropicMessages::from_env_with_model(m)?,
            )),
            #[cfg(not(feature = "llm-anthropic"))]
            Self::Anthropic(_) => Err(not_built("llm-anthropic")),
            #[cfg(feature = "llm-local")]
            Self::Local(p) => Ok(Arc::new(super::local::LlamaCppModel::load(
                p,
                super::local::LocalModelConfig::from_env()?,
            )?)),
            #[cfg(not(feature = "llm-local"))]
            Self::Local(_) => Err(not_built("llm-local")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_provider_and_refuses_the_rest() {
        assert_eq!(
            "openai:gpt-5-mini".parse::<ModelSpec>().unwrap(),
            ModelSpec::OpenAi("gpt-5-mini".into())
        );
        assert_eq!(
            "local:/models/a:b.gguf".parse::<ModelSpec>().unwrap(),
            ModelSpec::Local("/models/a:b.gguf".into())
        );
        assert_eq!(
            ModelSpec::Local("/home/someone/m.gguf".into()).to_string(),
            "local:m.gguf"
        );
        for bad in ["openai", "openai:", "cohere:x", ""] {
            assert_eq!(bad.parse::<ModelSpec>().unwrap_err().field(), Some("model"));
        }
    }
}

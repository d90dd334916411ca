//! Language-model adapters: OpenAI-compatible servers (feature
//! `llm-openai`) and Anthropic (`llm-anthropic`) with request timeouts,
//! retries with jittered backoff that honour `Retry-After`, no retry on
//! authentication errors, exhausted quota or refused parameters, token
//! usage and cost for every call; and an in-process llama.cpp model over a
//! GGUF file (`llm-local`), with no network and no sub-processor.

#[cfg(feature = "llm-anthropic")]
pub mod anthropic;
use crate::http;
pub mod json_answer;
#[cfg(feature = "llm-local")]
pub mod local;
#[cfg(feature = "llm-openai")]
pub mod openai;
mod pricing;
mod spec;

pub use http::RetryPolicy;
pub use pricing::Pricing;
pub use spec::ModelSpec;

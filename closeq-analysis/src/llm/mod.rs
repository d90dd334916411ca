//! Language-model adapters (features `llm-openai`, `llm-anthropic`):
//! request timeouts, retries with jittered backoff that honour
//! `Retry-After`, no retry on authentication errors or exhausted quota,
//! token usage and cost for every call.

#[cfg(feature = "llm-anthropic")]
pub mod anthropic;
mod http;
#[cfg(feature = "llm-openai")]
pub mod openai;
mod pricing;

pub use http::RetryPolicy;
#[cfg(feature = "_http")]
pub(crate) use http::build_client as openai_client;
pub use pricing::Pricing;

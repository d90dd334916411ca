//! Language-model adapters (features `llm-openai`, `llm-anthropic`):
//! request timeouts, retries with jittered backoff that honour
//! `Retry-After`, no retry on authentication errors or exhausted quota,
//! token usage and cost for every call.

#[cfg(feature = "llm-anthropic")]
pub mod anthropic;
use crate::http;
#[cfg(feature = "llm-openai")]
pub mod openai;
mod pricing;

pub use http::RetryPolicy;
pub use pricing::Pricing;

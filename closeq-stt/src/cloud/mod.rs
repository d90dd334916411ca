//! Cloud speech-to-text adapters. Each declares its sub-processor
//! (vendor, entity, region, transfer mechanism) so the privacy gates can
//! refuse it before audio leaves, retries 429 (honouring `Retry-After`)
//! and 5xx with jittered backoff, never retries 401/403, and normalizes the
//! provider's payload with `closeq_analysis::transcript`.

#[cfg(feature = "stt-assemblyai")]
mod assemblyai;
#[cfg(feature = "stt-deepgram")]
mod deepgram;
mod endpoint;
#[cfg(feature = "stt-openai")]
mod openai;

#[cfg(feature = "stt-assemblyai")]
pub use assemblyai::{ASSEMBLYAI_MAX_BYTES, AssemblyAiJob, AssemblyAiStt, PollPolicy};
pub use closeq_analysis::http::RetryPolicy;
#[cfg(feature = "stt-deepgram")]
pub use deepgram::{DEEPGRAM_MAX_BYTES, DeepgramStt};
#[cfg(feature = "stt-openai")]
pub use openai::{OPENAI_MAX_BYTES, OpenAiStt};

//! The ports: object-safe traits for I/O and decisions, used as `Arc<dyn Trait>`.

mod audio_store;
mod call_store;
mod job_queue;
mod language_model;
mod privacy_store;
mod retention;
mod scorer;
mod speech_to_text;
mod sub_processor;
mod workspace_store;

pub use audio_store::{
    AudioAccessGate, AudioStore, ByteStream, SignedMethod, SignedUrl, UnreferencedObject,
    key_belongs_to, key_call,
};
pub use call_store::{
    AggregateQuery, AggregateRow, CallBundle, CallFilter, CallStore, Cursor, GroupBy,
    MAX_SCORED_CALLS, Page, PageRequest, ReviewRecord, ScoredCall, StartKey, check_scored_limit,
};
pub use job_queue::{
    JobKind, JobQueue, JobSpec, LeasedJob, MAX_JOB_DELAY, MAX_JOB_PAYLOAD_BYTES, MIN_JOB_INTERVAL,
};
pub use language_model::{
    Completion, CompletionRequest, FinishReason, LanguageModel, Message, MessageRole,
    ResponseSchema, TokenUsage,
};
pub use privacy_store::PrivacyStore;
pub use retention::{RetentionDecision, RetentionItem, RetentionPolicy};
pub use scorer::{Scorer, ScoringInput};
pub use speech_to_text::{
    AudioInput, ProgressFn, SpeechToText, SttCapabilities, TranscribeOptions,
};
pub use sub_processor::SubProcessor;
pub use workspace_store::{
    AUDIT_MINIMUM_AGE, ApiKeyRecord, IntegrationRecord, WorkspaceStore, access_expiry_record,
    audit_expiry_record,
};

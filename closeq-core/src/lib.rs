//! # closeq-core
//!
//! The domain model, ports (traits), access policy and error type of CloseQ,
//! a library for sales-call quality analysis and coaching with GDPR and EU AI
//! Act rules built in. This crate does no I/O: storage, speech-to-text,
//! language models and scoring engines plug in through the traits in
//! [`ports`], used as `Arc<dyn Trait>`.
//!
//! * Data: [`Workspace`], [`Team`], [`Member`], [`Invitation`], [`Call`],
//!   [`Transcript`], [`ConversationMetrics`], [`Rubric`], [`Scorecard`],
//!   [`DataCategory`], [`SubProcessorInfo`] — plain serde structs, validated
//!   with `validate()` or on construction; every error names its field.
//! * Personal data is wrapped in [`Sensitive`] (or a validated contact type)
//!   so that `Debug` output never shows it.
//! * Access: [`access::permits`] is the whole role × action × relation matrix.
//! * Time: inject a [`Clock`]; nothing reads the wall clock directly.
//!
//! ```
//! use closeq_core::{access, Action, Call, CallDirection, CallSource, CallStatus, Role, Scope};
//! use closeq_core::{ManualClock, Clock, UserId, WorkspaceId};
//! use chrono::{TimeZone, Utc};
//!
//! let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap());
//! let ws = WorkspaceId::new();
//! let rep = UserId::new();
//! let mut call = Call::new(ws, rep, clock.now(), CallDirection::Outbound, CallSource::Upload, clock.now());
//! call.transition(CallStatus::Transcribing)?;
//! assert!(call.transition(CallStatus::Analyzed).is_err()); // no skipping stages
//!
//! // A member sees their own calls, not a colleague's.
//! let me = Scope::new(ws, rep, Role::Member);
//! let relation = me.relation_to_call(call.workspace_id, call.rep_id, call.team_id);
//! assert!(access::permits(me.role, Action::ViewCall, relation));
//! let colleague = me.relation_to_call(ws, UserId::new(), None);
//! assert!(!access::permits(me.role, Action::ViewCall, colleague));
//! # Ok::<(), closeq_core::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod access;
mod access_record;
mod audit;
mod call;
mod clock;
mod consent;
mod contact;
mod data_category;
mod error;
mod id;
mod invitation;
mod job;
mod member;
mod metrics;
pub mod ports;
mod profile;
mod purge;
mod recording_sample;
mod rubric;
mod scope;
mod scorecard;
mod sensitive;
mod subject;
mod subject_request;
mod subprocessor;
mod summary;
#[cfg(feature = "testing")]
pub mod testing;
mod transcript;
pub mod transport;
mod validate;
mod wer;
mod workspace;

pub use access::{Action, Relation};
pub use access_record::{
    AccessAction, AccessQuery, AccessRecord, MAX_ACCESS_BATCH, MAX_ACCESS_RESOURCES,
    check_access_batch,
};
pub use audit::AuditRecord;
pub use call::{
    AudioRef, Call, CallDirection, CallOutcome, CallSource, CallStatus, ChannelLayout,
    ClientContact, MAX_CALL_DURATION_MS, ProcessingStage,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use consent::{ConsentMethod, ConsentRecord};
pub use contact::{EmailAddress, PhoneNumber};
pub use data_category::{DataCategory, DataSubject};
pub use error::{Error, Result, StorageSource};
pub use id::{
    ApiKeyId, CallId, DataSubjectRequestId, IntegrationId, InvitationId, JobId, RubricId,
    ScorecardId, TeamId, TranscriptId, UserId, WorkspaceId,
};
pub use invitation::{
    Invitation, InvitationStatus, MAX_INVITATION_TOKEN_BYTES, invitation_token_sha256,
};
pub use job::{JobRecord, JobState, RetryPolicy, failure_reason};
pub use member::{Member, Role, Team};
pub use metrics::{ConversationMetrics, MetricKey, MinuteBucket, Patience, PerSide};
pub use profile::{Locale, Notifications, Preferences, TimeZoneName};
pub use purge::{PurgeReason, PurgeReceipt};
pub use recording_sample::RecordingSample;
pub use rubric::{Comparison, Criterion, Cue, EvidenceSide, JudgeGuide, Rubric, RubricKey};
pub use scope::Scope;
pub use scorecard::{
    CoachingNote, CriterionResult, EvidenceSpan, IdentifiedIssue, Provenance, Recommendation,
    ReviewChange, ReviewState, Score, ScoreExplanation, Scorecard, ScorecardDraft, Severity,
    Verdict,
};
pub use sensitive::Sensitive;
pub use subject::{Subject, SubjectFlags, SubjectKind};
pub use subject_request::{
    Extension, MAX_EXTENSION_DAYS, RequestKind, RequestState, SubjectRequest, SupervisoryAuthority,
};
pub use subprocessor::{Region, SubProcessorInfo, TransferMechanism};
pub use summary::{CallSummary, SummaryKind, SummaryLine};
pub use transcript::{
    Language, ProcessingInfo, ProviderInfo, RoleDecision, Speaker, SpeakerId, SpeakerRole,
    Transcript, TranscriptWarning, Utterance, UtteranceId, Word,
};
pub use wer::word_error_rate;
pub use workspace::{
    RetentionPeriod, SubscriptionState, TransferPolicy, Workspace, WorkspaceSettings,
};

//! # closeq-pipeline
//!
//! CloseQ's analysis pipeline as a library. [`Analyzer`] takes a call — a
//! recording or a transcript — and runs it end to end: input checks, the
//! compliance gates (AI switch, consent, restriction and objection of
//! every subject), the transfer check of every party that would receive
//! call data, audio storage, speech-to-text, redaction before remote
//! processing, conversation metrics, scoring, and atomic storage of the
//! result with the call's status persisted at every stage. Compliance is
//! structural: this is the one way to process a call, and it always
//! checks.
//!
//! ```
//! # #[cfg(feature = "store-sqlite")]
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use closeq_analysis::rubric::builtin_rubric;
//! use closeq_analysis::scoring::HeuristicScorer;
//! use closeq_analysis::transcript::{import, Format, ImportOptions};
//! use closeq_core::{ManualClock, Clock, Member, Role, Scope, UserId, Workspace};
//! use closeq_core::ports::WorkspaceStore;
//! use closeq_pipeline::{AnalyzeRequest, Analyzer};
//! use closeq_storage::{InMemoryStore, SubjectHasher};
//! use chrono::TimeZone;
//!
//! let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()));
//! let store = Arc::new(InMemoryStore::new(SubjectHasher::new([7; 32], "48")));
//! let ws = Workspace::new("Acme", clock.now())?;
//! let owner = Member::new(ws.id, UserId::new(), Role::Owner, clock.now());
//! store.create_workspace(&ws, &owner).await?;
//! let scope = Scope::new(ws.id, owner.user_id, Role::Owner);
//!
//! let analyzer = Analyzer::builder()
//!     .store(store)
//!     .scorer(Arc::new(HeuristicScorer::new(clock.clone())))
//!     .clock(clock)
//!     .build()?;
//! let transcript = import(
//!     b"Rep: What problem are you trying to solve?\nClient: Reports take two days.",
//!     Some(Format::Script),
//!     &ImportOptions::default().with_rep_speaker("Rep"),
//! )?;
//! let done = analyzer
//!     .analyze(&scope, AnalyzeRequest::transcript(transcript, builtin_rubric("discovery")?))
//!     .await?;
//! assert_eq!(done.call.status().name(), "analyzed");
//! assert_eq!(done.scorecards.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod analyzer;
pub mod coaching;
mod limits;
#[cfg(feature = "store-sqlite")]
pub mod local;
mod progress;
mod redact;
mod render;
mod request;
pub mod settings;
mod transfer;
pub mod worker;

pub use analyzer::{Analyzer, AnalyzerBuilder, QUEUED_ATTEMPTS, QueuedWork, Submitted};
pub use coaching::{CoachingReports, ReportFor, ReportRequest};
pub use limits::InputLimits;
#[cfg(feature = "store-sqlite")]
pub use local::LocalInstallation;
pub use progress::{Progress, ProgressFn, Stage};
pub use render::{render_scorecard, review_line};
pub use request::{Analysed, AnalyzeRequest, CallDetails, CallInput};
pub use worker::{RateLimit, Schedule, ScheduledWork, Worker, WorkerConfig, WorkerReport};

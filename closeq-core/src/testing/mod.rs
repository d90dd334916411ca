//! Test support (feature `testing`): fakes for every external engine, a
//! steppable clock, and the conformance suites every implementation of a
//! port runs — in this workspace and in embedders' own crates.
//!
//! A conformance case is a `pub async fn case(subject, fixture) -> Outcome`
//! that panics on a contract violation and returns [`Outcome::Skipped`] when
//! the subject lacks a capability the case needs. The suite macros
//! ([`stt_conformance!`](crate::stt_conformance)) emit one named
//! `#[tokio::test]` per case, so a failing behaviour is reported by name;
//! the calling crate needs `tokio` (with `macros` and `rt`) as a
//! dev-dependency.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

pub mod call_store;
pub mod every_record;
mod fake_language_model;
mod fake_stt;
mod harness;
pub mod job_queue;
pub mod privacy_store;
mod service;
pub mod stt;
mod transport;

pub mod workspace_store;
mod world;

pub use crate::clock::ManualClock;
pub use crate::wer::word_error_rate;
pub use fake_language_model::ScriptedLanguageModel;
pub use fake_stt::ScriptedStt;
pub use harness::Outcome;
pub use service::{required_service, required_service_url};
pub use transport::refused_transport_field;
pub use world::{Stores, World, base_time};

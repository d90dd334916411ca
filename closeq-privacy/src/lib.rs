//! # closeq-privacy
//!
//! CloseQ's privacy engine, driving the stores through [`closeq_core`]'s
//! traits: [`secrets`] (API keys kept only as hashes, integration tokens
//! sealed with AES-256-GCM envelopes), [`redaction`] (deterministic
//! detectors with keyed pseudonyms) and [`subprocessors`] (the register and
//! the transfer checks run before any data leaves).
//!
//! ```
//! use closeq_privacy::secrets::{check_format, generate, KeyEnvironment};
//! let key = generate(KeyEnvironment::Test, &mut rand::rngs::OsRng);
//! assert!(check_format(key.expose()).is_ok());
//! assert!(check_format("cq_test_forged_000000").is_err());
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod data_map;
pub mod erasure;
pub mod export;
pub mod gates;
pub mod rectification;
pub mod redaction;
pub mod request;
pub mod retention;
pub mod secrets;
pub mod subprocessors;

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
//! assert_eq!(check_format(key.expose())?, KeyEnvironment::Test);
//! // The checksum catches a typo before any lookup...
//! let mut typo = key.expose().to_owned();
//! typo.replace_range(10..11, if &typo[10..11] == "x" { "y" } else { "x" });
//! assert!(check_format(&typo).is_err());
//! // ...but not a forgery: that is the stored hash's job (`ApiKeys::verify`).
//! # Ok::<(), closeq_core::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod data_map;
pub mod erasure;
pub mod export;
pub mod fulfilment;
pub mod gates;
pub mod rectification;
pub mod redaction;
pub mod reminders;
pub mod request;
pub mod retention;
pub mod secrets;
pub mod subprocessors;
pub mod termination;

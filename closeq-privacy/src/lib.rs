//! # closeq-privacy
//!
//! CloseQ's privacy engine, driving the stores through [`closeq_core`]'s traits.
//!
//! ```
//! use closeq_core::{TransferPolicy, TransferMechanism};
//! assert!(TransferPolicy::eea_only().allowed_mechanisms.contains(&TransferMechanism::WithinEea));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

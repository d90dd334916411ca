//! # closeq-analysis
//!
//! Transcript import, conversation metrics, rubrics and scorers of CloseQ,
//! built on the types of [`closeq_core`].
//!
//! ```
//! let t = closeq_core::Transcript::empty(0);
//! assert!(t.validate().is_ok());
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

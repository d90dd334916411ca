//! # closeq-storage
//!
//! Store implementations of CloseQ's ports ([`closeq_core::ports`]).
//!
//! ```
//! use closeq_core::ports::PageRequest;
//! assert!(PageRequest::first(50).validate().is_ok());
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

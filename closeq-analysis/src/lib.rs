//! # closeq-analysis
//!
//! Transcript import ([`transcript`]) and conversation metrics ([`metrics`])
//! of CloseQ, built on the types of [`closeq_core`].
//!
//! ```
//! use closeq_analysis::{metrics, transcript};
//! let script = "Rep: Hi Sam, what prompted you to look at new tools?\nClient: Our reporting takes days.\n";
//! let t = transcript::import(script.as_bytes(), None, &transcript::ImportOptions::default().with_rep_speaker("Rep"))?;
//! let m = metrics::compute(&t, &metrics::MetricsConfig::default());
//! assert_eq!(m.questions.rep, 1);
//! assert!((m.talk_ratio.rep + m.talk_ratio.client - 1.0).abs() < 1e-9);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod agreement;
pub mod bench;
pub mod chart;
pub mod coaching;
pub mod dataset;
pub mod http;
pub mod llm;
pub mod metrics;
pub mod rubric;
pub mod scoring;
mod text;
pub mod transcript;

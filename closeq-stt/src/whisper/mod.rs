//! Local Whisper: log-mel features, the long-form decode loop over a
//! CTranslate2 model, speech packing per channel, and
//! [`WhisperLocalStt`] (feature `stt-whisper-local`).
//!
//! The feature extraction, token handling and window splitting are plain
//! Rust and always built (they are tested and benchmarked without a
//! model); the model itself needs the feature.

mod config;
#[cfg(feature = "_whisper")]
mod engine;
mod mel;
mod pack;
mod segments;
#[cfg(feature = "_whisper")]
mod stt;
mod vocab;
#[cfg(feature = "_whisper")]
mod words;

pub use config::{ComputeType, MODEL_ENV, WhisperConfig};
pub use mel::{HOP, LogMel, MelExtractor, N_FFT, WINDOW_FRAMES};
pub use pack::PackedSpeech;
pub use segments::{WindowSegment, WindowSplit, split_window};
#[cfg(feature = "_whisper")]
pub use stt::WhisperLocalStt;
pub use vocab::Vocabulary;

//! Speech-to-text for CloseQ.
//!
//! - [`audio`]: decode WAV, MP3, FLAC, Ogg Vorbis and M4A/AAC into PCM,
//!   resample to 16 kHz, find speech.
//! - [`whisper`]: Whisper in-process on a CTranslate2 model, the default
//!   engine: no network and no sub-processor (feature `stt-whisper-local`).
//! - Cloud adapters, each declaring its sub-processor (features
//!   `stt-openai`, `stt-deepgram`, `stt-assemblyai`).
//!
//! Every engine implements [`closeq_core::ports::SpeechToText`] and passes
//! the conformance suite in `closeq_core::testing`.
//!
//! ```
//! use closeq_stt::audio::{decode, AudioError, DecodeLimits};
//! assert_eq!(decode(b"", &DecodeLimits::default()), Err(AudioError::Empty));
//! ```

pub mod audio;
#[cfg(feature = "_http")]
pub mod cloud;
#[cfg(feature = "samples")]
pub mod samples;
#[cfg(feature = "testing")]
pub mod testing;
pub mod whisper;

//! Audio in: decoding (symphonia), resampling to 16 kHz (rubato), channel
//! splitting and speech detection (Silero VAD v6 by default, an energy
//! detector as the fallback; see [`SpeechDetection`]).
//!
//! Supported: WAV (PCM), MP3, FLAC, Ogg Vorbis and M4A/AAC. Opus has no
//! decoder in symphonia or any pure-Rust crate on the registry that this
//! workspace accepts, so Ogg/Opus is refused with
//! [`AudioError::UnsupportedCodec`]; convert it first
//! (`ffmpeg -i call.opus call.flac`). Limits: see [`DecodeLimits`].

mod decode;
mod error;
mod limits;
mod resample;
pub mod silero;
mod sniff;
mod speech;
mod vad;

pub use decode::{AudioInfo, PcmAudio, decode, decode_shared, probe, probe_shared};
pub use error::AudioError;
pub use limits::DecodeLimits;
pub use resample::{WHISPER_SAMPLE_RATE, resample};
pub use silero::{SileroOptions, SileroVad};
pub use sniff::AudioKind;
pub use speech::SpeechDetection;
pub use vad::{SpeechRegion, VadOptions, speech_regions};

/// Decodes `bytes` and resamples to 16 kHz: what every local engine needs.
/// Copies `bytes` once; [`load_16k_shared`] does not.
pub fn load_16k(bytes: &[u8], limits: &DecodeLimits) -> Result<PcmAudio, AudioError> {
    resample(decode(bytes, limits)?, WHISPER_SAMPLE_RATE)
}

/// [`load_16k`] on a shared buffer, without copying it.
pub fn load_16k_shared(
    bytes: std::sync::Arc<[u8]>,
    limits: &DecodeLimits,
) -> Result<PcmAudio, AudioError> {
    resample(decode_shared(bytes, limits)?, WHISPER_SAMPLE_RATE)
}

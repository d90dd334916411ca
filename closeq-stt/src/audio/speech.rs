//! Which speech detector finds the regions each channel is decoded over.

use super::silero::{SileroOptions, SileroVad};
use super::vad::{SpeechRegion, VadOptions, speech_regions};

/// How speech is found before decoding.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum SpeechDetection {
    /// The learned detector, Silero VAD v6 (the default): keeps short
    /// backchannels and quiet speech an energy threshold misses.
    Silero(SileroOptions),
    /// The energy detector with an adaptive noise floor: no model, the
    /// fallback when the learned one cannot be loaded.
    Energy(VadOptions),
}

impl Default for SpeechDetection {
    fn default() -> Self {
        Self::Silero(SileroOptions::default())
    }
}

impl SpeechDetection {
    /// A short name for provenance (`silero-v6`, `energy`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Silero(_) => "silero-v6",
            Self::Energy(_) => "energy",
        }
    }

    /// The speech regions of one 16 kHz channel. `silero` is the loaded
    /// learned model; without it the energy detector (with default
    /// options) stands in.
    pub fn regions(
        &self,
        silero: Option<&SileroVad>,
        samples: &[f32],
        rate: u32,
    ) -> Vec<SpeechRegion> {
        match (self, silero) {
            (Self::Silero(o), Some(model)) => model.speech_regions(samples, o),
            (Self::Silero(_), None) => speech_regions(samples, rate, &VadOptions::default()),
            (Self::Energy(o), _) => speech_regions(samples, rate, o),
        }
    }
}

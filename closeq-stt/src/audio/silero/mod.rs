//! A learned speech detector: Silero VAD v6, the model faster-whisper
//! ships (`faster_whisper/assets/silero_vad_v6.onnx`, MIT; bundled here,
//! see `assets/SILERO_VAD_LICENSE`), run in pure Rust.
//!
//! The network is small (about 310,000 weights: an STFT, four
//! convolutions, an LSTM), so CloseQ reads its weights from the ONNX file
//! and computes its graph directly instead of pulling in an ONNX runtime:
//! `tract-onnx` 0.23.9 could not type this model's LSTM with a variable
//! sequence length and costs about 16 CPU-minutes to compile. The result
//! matches onnxruntime's to within 1e-4 per frame (see
//! `tests/silero_vad.rs` and `scripts/silero_reference.py`).
//!
//! Framing and region rules follow faster-whisper 1.2.1 exactly, so the
//! two engines decode the same speech.

mod net;
mod onnx;
mod timestamps;

pub use timestamps::SileroOptions;

use crate::audio::{SpeechRegion, WHISPER_SAMPLE_RATE};
use net::{CONTEXT, FRAME, Net};

/// The bundled model: Silero VAD v6 as shipped in faster-whisper 1.2.1's
/// wheel (sha256 `4cbf549b8326f60f80f2536d9eefeb450a9abe83365a098031c89719f1be17d2`).
pub const SILERO_V6_ONNX: &[u8] = include_bytes!("../../../assets/silero_vad_v6.onnx");

/// Why a Silero model could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a Silero VAD v6 model: {0}")]
pub struct SileroLoadError(&'static str);

/// Silero VAD v6 at 16 kHz.
#[derive(Debug)]
pub struct SileroVad {
    net: Net,
}

impl SileroVad {
    /// The bundled model.
    pub fn bundled() -> Result<Self, SileroLoadError> {
        Self::from_onnx(SILERO_V6_ONNX)
    }

    /// A Silero VAD v6 model from the bytes of its ONNX file.
    pub fn from_onnx(bytes: &[u8]) -> Result<Self, SileroLoadError> {
        let weights = onnx::float_initializers(bytes).map_err(SileroLoadError)?;
        Ok(Self {
            net: Net::from_weights(&weights).map_err(SileroLoadError)?,
        })
    }

    /// The speech probability of each 512-sample frame (32 ms) of a 16 kHz
    /// signal, framed as faster-whisper frames it: zero-padded to a whole
    /// number of frames plus one when it already is one, each frame
    /// preceded by the previous frame's last 64 samples, and the last
    /// frame's last 64 samples zeroed.
    pub fn probabilities(&self, samples: &[f32]) -> Vec<f32> {
        let frames = samples.len() / FRAME + 1;
        let mut inputs = Vec::with_capacity(frames * (CONTEXT + FRAME));
        let frame = |i: usize| -> Vec<f32> {
            let mut f: Vec<f32> = samples
                .iter()
                .skip(i * FRAME)
                .take(FRAME)
                .copied()
                .collect();
            f.resize(FRAME, 0.0);
            if i + 1 == frames {
                f[FRAME - CONTEXT..].fill(0.0);
            }
            f
        };
        let mut previous = vec![0.0; FRAME];
        for i in 0..frames {
            let current = frame(i);
            inputs.extend_from_slice(&previous[FRAME - CONTEXT..]);
            inputs.extend_from_slice(&current);
            previous = current;
        }
        self.net.run(&inputs)
    }

    /// The speech regions of a 16 kHz signal, ordered and disjoint.
    pub fn speech_regions(&self, samples: &[f32], options: &SileroOptions) -> Vec<SpeechRegion> {
        let probs = self.probabilities(samples);
        timestamps::speech_regions(&probs, samples.len(), WHISPER_SAMPLE_RATE, options)
    }
}

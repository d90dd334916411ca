//! Settings of the local Whisper engine.

use std::path::PathBuf;

use crate::audio::{DecodeLimits, SpeechDetection, VadOptions};

/// The environment variable naming the model directory.
pub const MODEL_ENV: &str = "CLOSEQ_WHISPER_MODEL";

/// How weights are computed on the CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ComputeType {
    /// What the model was saved in, converted to what the CPU supports
    /// (an fp16 model runs as float32).
    Default,
    /// The fastest type the CPU supports.
    Auto,
    /// 32-bit floats.
    Float32,
    /// 8-bit integer weights, quantized on load.
    #[default]
    Int8,
    /// 8-bit weights, float32 activations.
    Int8Float32,
    /// 16-bit integer weights.
    Int16,
}

impl ComputeType {
    /// Its name, as faster-whisper spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Auto => "auto",
            Self::Float32 => "float32",
            Self::Int8 => "int8",
            Self::Int8Float32 => "int8_float32",
            Self::Int16 => "int16",
        }
    }
}

impl std::str::FromStr for ComputeType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "default" => Self::Default,
            "auto" => Self::Auto,
            "float32" => Self::Float32,
            "int8" => Self::Int8,
            "int8_float32" => Self::Int8Float32,
            "int16" => Self::Int16,
            _ => {
                return Err(
                    "unknown compute type; use one of default, auto, float32, int8, int8_float32, int16"
                        .to_owned(),
                );
            }
        })
    }
}

/// Settings of [`WhisperLocalStt`](super::WhisperLocalStt).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WhisperConfig {
    /// A CTranslate2 (faster-whisper format) model directory: `model.bin`,
    /// `config.json`, `vocabulary.txt` (`tokenizer.json` is not needed).
    pub model_dir: PathBuf,
    /// Weight type (default int8).
    pub compute_type: ComputeType,
    /// Beam size; 1 is greedy (default 1).
    pub beam_size: usize,
    /// CPU threads in all (default 0: every core). With
    /// `parallel_channels`, the two channels of a call are decoded at once
    /// on two model replicas that share these threads.
    pub threads: usize,
    /// Decode the two channels of a two-channel call concurrently on two
    /// model replicas (default true): small Whisper models scale poorly
    /// past one thread per decode, so two decodes at once finish sooner.
    /// Set `OMP_WAIT_POLICY=PASSIVE` in the environment before the process
    /// starts (the `closeq` CLI does) so the replicas can share all the
    /// threads; otherwise each gets half.
    pub parallel_channels: bool,
    /// Speech detection per channel (default: Silero VAD v6).
    pub speech: SpeechDetection,
    /// Pause put between packed speech regions, ms: 0 with the learned
    /// detector (its regions carry 400 ms of padding each side, and
    /// faster-whisper packs them the same way), 300 with the energy
    /// detector (set by [`with_vad`](Self::with_vad)).
    pub region_gap_ms: u32,
    /// Decoder limits.
    pub limits: DecodeLimits,
    /// A window whose no-speech probability is above this and whose mean
    /// log-probability is below −1 is dropped as silence (default 0.6, as
    /// in Whisper).
    pub no_speech_threshold: f32,
}

impl WhisperConfig {
    /// Defaults for the model in `model_dir`.
    pub fn new(model_dir: impl Into<PathBuf>) -> Self {
        Self {
            model_dir: model_dir.into(),
            compute_type: ComputeType::default(),
            beam_size: 1,
            threads: 0,
            parallel_channels: true,
            speech: SpeechDetection::default(),
            region_gap_ms: 0,
            limits: DecodeLimits::default(),
            no_speech_threshold: 0.6,
        }
    }

    /// Defaults for the model named by `CLOSEQ_WHISPER_MODEL`, if set.
    pub fn from_env() -> Option<Self> {
        std::env::var_os(MODEL_ENV)
            .filter(|v| !v.is_empty())
            .map(Self::new)
    }

    /// Builder: compute type.
    #[must_use]
    pub fn with_compute_type(mut self, t: ComputeType) -> Self {
        self.compute_type = t;
        self
    }

    /// Builder: beam size (at least 1).
    #[must_use]
    pub fn with_beam_size(mut self, n: usize) -> Self {
        self.beam_size = n.max(1);
        self
    }

    /// Builder: threads.
    #[must_use]
    pub fn with_threads(mut self, n: usize) -> Self {
        self.threads = n;
        self
    }

    /// Builder: concurrent channel decoding.
    #[must_use]
    pub fn with_parallel_channels(mut self, on: bool) -> Self {
        self.parallel_channels = on;
        self
    }

    /// The thread count in effect (`threads`, or the machine's cores).
    pub fn effective_threads(&self) -> usize {
        if self.threads > 0 {
            self.threads
        } else {
            std::thread::available_parallelism().map_or(1, usize::from)
        }
    }

    /// Builder: speech detection.
    #[must_use]
    pub fn with_speech_detection(mut self, speech: SpeechDetection) -> Self {
        self.speech = speech;
        self
    }

    /// Builder: the energy detector with these options instead of the
    /// learned one.
    #[must_use]
    pub fn with_vad(mut self, vad: VadOptions) -> Self {
        self.speech = SpeechDetection::Energy(vad);
        self.region_gap_ms = 300;
        self
    }

    /// Builder: decoder limits.
    #[must_use]
    pub fn with_limits(mut self, limits: DecodeLimits) -> Self {
        self.limits = limits;
        self
    }
}

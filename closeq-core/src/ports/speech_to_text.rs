use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;

use crate::call::ChannelLayout;
use crate::error::Result;
use crate::ports::SubProcessor;
use crate::transcript::Transcript;

/// What a speech-to-text engine can do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SttCapabilities {
    /// Separates speakers in mixed (mono) audio.
    pub diarization: bool,
    /// Returns per-word timestamps.
    pub word_timestamps: bool,
    /// Transcribes each channel of multichannel audio separately.
    pub multichannel: bool,
    /// BCP-47 languages it handles; empty means "many / auto-detect".
    pub languages: Vec<String>,
    /// Largest input accepted, in bytes.
    pub max_input_bytes: Option<u64>,
}

impl SttCapabilities {
    /// Capabilities with everything off; set fields with struct update.
    pub fn none() -> Self {
        Self::default()
    }

    /// Builder: diarization.
    #[must_use]
    pub fn with_diarization(mut self, on: bool) -> Self {
        self.diarization = on;
        self
    }

    /// Builder: word timestamps.
    #[must_use]
    pub fn with_word_timestamps(mut self, on: bool) -> Self {
        self.word_timestamps = on;
        self
    }

    /// Builder: multichannel.
    #[must_use]
    pub fn with_multichannel(mut self, on: bool) -> Self {
        self.multichannel = on;
        self
    }

    /// Builder: maximum input size.
    #[must_use]
    pub fn with_max_input_bytes(mut self, max: Option<u64>) -> Self {
        self.max_input_bytes = max;
        self
    }
}

/// Encoded audio handed to a speech-to-text engine.
#[derive(Clone)]
pub struct AudioInput {
    /// The encoded bytes (WAV, MP3, FLAC, ...).
    pub data: Arc<[u8]>,
    /// MIME type when known.
    pub content_type: Option<String>,
    /// How channels map to speakers.
    pub channels: ChannelLayout,
}

impl Debug for AudioInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioInput")
            .field("bytes", &self.data.len())
            .field("content_type", &self.content_type)
            .field("channels", &self.channels)
            .finish()
    }
}

/// A progress callback: fraction done in `0.0..=1.0`.
pub type ProgressFn = Arc<dyn Fn(f32) + Send + Sync>;

/// Options for one transcription.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct TranscribeOptions {
    /// Expected language (BCP-47), or `None` to auto-detect.
    pub language: Option<String>,
    /// Ask for diarization when the engine supports it.
    pub diarize: bool,
    /// Ask for word timestamps when the engine supports it.
    pub word_timestamps: bool,
    /// Called as transcription progresses.
    pub progress: Option<ProgressFn>,
}

impl TranscribeOptions {
    /// Builder: language.
    #[must_use]
    pub fn with_language(mut self, lang: impl Into<String>) -> Self {
        self.language = Some(lang.into());
        self
    }

    /// Builder: diarization.
    #[must_use]
    pub fn with_diarize(mut self, on: bool) -> Self {
        self.diarize = on;
        self
    }

    /// Builder: word timestamps.
    #[must_use]
    pub fn with_word_timestamps(mut self, on: bool) -> Self {
        self.word_timestamps = on;
        self
    }

    /// Builder: progress callback.
    #[must_use]
    pub fn with_progress(mut self, f: ProgressFn) -> Self {
        self.progress = Some(f);
        self
    }
}

impl Debug for TranscribeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TranscribeOptions")
            .field("language", &self.language)
            .field("diarize", &self.diarize)
            .field("word_timestamps", &self.word_timestamps)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// Turns audio into a [`Transcript`].
///
/// Contract:
/// - utterances come back ordered by start and inside the audio's duration,
///   and the transcript passes [`Transcript::validate`];
/// - silence gives a transcript with no utterances, not an error;
/// - empty or undecodable audio gives [`Error::InvalidInput`](crate::Error::InvalidInput);
///   audio over [`SttCapabilities::max_input_bytes`] gives `InvalidInput` before
///   anything is sent;
/// - provider throttling gives [`Error::RateLimited`](crate::Error::RateLimited),
///   outages `Unavailable` / `Provider` with a 5xx status (both retryable),
///   bad credentials [`Error::Unauthenticated`](crate::Error::Unauthenticated);
/// - when [`SttCapabilities::diarization`] is declared and asked for, speech
///   by two people yields at least two speakers;
/// - errors never contain audio, transcript text or credentials.
#[async_trait]
pub trait SpeechToText: SubProcessor + Debug + Send + Sync {
    /// A short name (`whisper-local`, `deepgram`).
    fn name(&self) -> &str;
    /// What the engine can do.
    fn capabilities(&self) -> SttCapabilities;
    /// Transcribes `audio`.
    async fn transcribe(&self, audio: AudioInput, opts: &TranscribeOptions) -> Result<Transcript>;
}

fn _object_safe(_: Arc<dyn SpeechToText>) {}

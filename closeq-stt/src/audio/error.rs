//! What can go wrong reading audio.

use closeq_core::Error;

/// Why audio could not be read. Messages name the problem, never the
/// content.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AudioError {
    /// No bytes at all.
    #[error("the audio is empty")]
    Empty,
    /// More bytes than [`DecodeLimits::max_bytes`](super::DecodeLimits::max_bytes).
    #[error("the audio is {bytes} bytes, over the limit of {max} bytes")]
    TooLarge {
        /// Size of the input.
        bytes: u64,
        /// The limit.
        max: u64,
    },
    /// Longer than [`DecodeLimits::max_duration_ms`](super::DecodeLimits::max_duration_ms).
    #[error("the audio is longer than the limit of {max_ms} ms")]
    TooLong {
        /// The limit.
        max_ms: u64,
    },
    /// A sample rate above [`DecodeLimits::max_sample_rate`](super::DecodeLimits::max_sample_rate).
    #[error("the audio's sample rate of {rate} Hz is over the limit of {max} Hz")]
    SampleRateTooHigh {
        /// The rate the file declares.
        rate: u32,
        /// The limit.
        max: u32,
    },
    /// The decoded samples would pass
    /// [`DecodeLimits::max_decoded_bytes`](super::DecodeLimits::max_decoded_bytes).
    #[error("the decoded audio would need more than {max_bytes} bytes of memory, the limit")]
    TooMuchAudio {
        /// The limit.
        max_bytes: u64,
    },
    /// The container was recognised but its codec has no decoder here.
    #[error(
        "the audio codec {codec} is not supported (supported: WAV/PCM, MP3, FLAC, Ogg Vorbis, M4A/AAC)"
    )]
    UnsupportedCodec {
        /// The codec's short name (`opus`).
        codec: String,
    },
    /// Not a container or stream this decoder recognises.
    #[error("the data is not a supported audio format (WAV, MP3, FLAC, Ogg Vorbis, M4A/AAC)")]
    UnrecognisedFormat,
    /// More channels than CloseQ handles.
    #[error("the audio has {channels} channels; mono or two-channel (stereo) audio is supported")]
    TooManyChannels {
        /// How many it has.
        channels: usize,
    },
    /// The stream is damaged.
    #[error("the audio is corrupt: {reason}")]
    Corrupt {
        /// What the decoder found.
        reason: String,
    },
    /// The stream decoded to no samples.
    #[error("the audio contains no samples")]
    NoSamples,
    /// The decoder itself failed (a contained panic); the input is treated
    /// as corrupt.
    #[error("the audio decoder failed on this input")]
    DecoderFailed,
}

impl AudioError {
    /// The input field an error is about.
    pub fn field(&self) -> &'static str {
        "audio"
    }
}

impl From<AudioError> for Error {
    fn from(e: AudioError) -> Self {
        Error::invalid(e.field(), e.to_string())
    }
}

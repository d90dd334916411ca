//! Limits on what the decoder accepts.

/// Limits checked before and while decoding, so oversized, endless or
/// expanding input is refused early instead of exhausting memory.
///
/// Defaults: 1 GiB of encoded input, 4 hours of audio, 192 kHz, 2 channels,
/// and 2 GiB of decoded samples. The decoder holds `f32` samples at the
/// file's own rate, so the memory budget is what bounds a small file that
/// expands (a FLAC frame of 14 bytes can decode to 65,535 samples): 2 GiB
/// holds 4 hours of 16 kHz stereo, or about 1.5 hours of 48 kHz stereo.
/// Raise `max_decoded_bytes` for long high-rate recordings only with
/// memory to match (resampling to 16 kHz adds up to a third more).
///
/// ```
/// use closeq_stt::audio::DecodeLimits;
/// let l = DecodeLimits::default();
/// let four_hours_16k_stereo = 4 * 3600 * 16_000 * 2 * 4;
/// assert!(four_hours_16k_stereo <= l.max_decoded_bytes);
/// assert_eq!(l.max_sample_rate, 192_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeLimits {
    /// Largest encoded input, in bytes.
    pub max_bytes: u64,
    /// Longest audio, in milliseconds (checked against the length the
    /// header declares before decoding, and against the decoded samples).
    pub max_duration_ms: u64,
    /// Highest sample rate, in Hz (checked from the header before
    /// decoding, or at the first packet for streams without one).
    pub max_sample_rate: u32,
    /// Most bytes of decoded `f32` samples, all channels, at the file's own
    /// rate: the memory budget (checked against the declared length before
    /// decoding, and before each packet is kept; buffers never grow past it).
    pub max_decoded_bytes: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_bytes: 1 << 30,
            max_duration_ms: 4 * 60 * 60 * 1000,
            max_sample_rate: 192_000,
            max_decoded_bytes: 2 << 30,
        }
    }
}

impl DecodeLimits {
    /// Builder: the byte limit.
    #[must_use]
    pub fn with_max_bytes(mut self, max: u64) -> Self {
        self.max_bytes = max;
        self
    }

    /// Builder: the duration limit.
    #[must_use]
    pub fn with_max_duration_ms(mut self, max: u64) -> Self {
        self.max_duration_ms = max;
        self
    }

    /// Builder: the sample-rate limit.
    #[must_use]
    pub fn with_max_sample_rate(mut self, max: u32) -> Self {
        self.max_sample_rate = max;
        self
    }

    /// Builder: the memory budget for decoded samples.
    #[must_use]
    pub fn with_max_decoded_bytes(mut self, max: u64) -> Self {
        self.max_decoded_bytes = max;
        self
    }
}

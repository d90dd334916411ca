//! Limits on what the decoder accepts.

/// Limits checked while decoding, so oversized or endless input is refused
/// early instead of exhausting memory.
///
/// Defaults: 1 GiB of encoded input, 4 hours of audio, 2 channels. Four
/// hours of stereo audio decode to about 3.7 GB of `f32` samples at
/// 16 kHz after resampling, so raise `max_duration_ms` only with memory to
/// match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeLimits {
    /// Largest encoded input, in bytes.
    pub max_bytes: u64,
    /// Longest audio, in milliseconds (checked against the decoded
    /// samples, not only the header).
    pub max_duration_ms: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_bytes: 1 << 30,
            max_duration_ms: 4 * 60 * 60 * 1000,
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
}

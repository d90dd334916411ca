//! Input checks that run before anything is stored or sent anywhere.

use closeq_core::{Error, MAX_CALL_DURATION_MS, Result, Rubric, Transcript};

use crate::request::CallInput;

/// Limits on what [`Analyzer::analyze`](crate::Analyzer::analyze) accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct InputLimits {
    /// Largest recording, bytes (default 1 GiB).
    pub max_audio_bytes: usize,
    /// Longest call, ms (default 4 h; never above 12 h).
    pub max_duration_ms: u64,
    /// Most utterances in a transcript (default 50,000).
    pub max_utterances: usize,
    /// Most rubrics per call (default 8).
    pub max_rubrics: usize,
}

impl Default for InputLimits {
    fn default() -> Self {
        Self {
            max_audio_bytes: 1 << 30,
            max_duration_ms: 4 * 60 * 60 * 1000,
            max_utterances: 50_000,
            max_rubrics: 8,
        }
    }
}

impl InputLimits {
    /// Checks the rubrics and the input; for audio, the format and the
    /// duration its header declares (without decoding it). Returns the
    /// call's duration when known.
    pub(crate) fn check(&self, input: &CallInput, rubrics: &[Rubric]) -> Result<Option<u64>> {
        if rubrics.is_empty() {
            return Err(Error::invalid("rubrics", "name at least one rubric"));
        }
        if rubrics.len() > self.max_rubrics {
            return Err(Error::invalid(
                "rubrics",
                format!("at most {} per call", self.max_rubrics),
            ));
        }
        for (i, r) in rubrics.iter().enumerate() {
            r.validate()
                .map_err(|e| e.in_field(&format!("rubrics[{i}]")))?;
        }
        let max_ms = self.max_duration_ms.min(MAX_CALL_DURATION_MS);
        match input {
            CallInput::Transcript(t) => self
                .check_transcript(t, max_ms)
                .map(|()| Some(t.duration_ms)),
            CallInput::Audio { bytes, layout } => {
                layout.validate().map_err(|e| e.in_field("layout"))?;
                if bytes.is_empty() {
                    return Err(Error::invalid("audio", "is empty"));
                }
                if bytes.len() > self.max_audio_bytes {
                    return Err(Error::invalid(
                        "audio",
                        format!(
                            "is {} bytes; at most {} are accepted",
                            bytes.len(),
                            self.max_audio_bytes
                        ),
                    ));
                }
                check_audio_header(bytes, max_ms)
            }
        }
    }

    fn check_transcript(&self, t: &Transcript, max_ms: u64) -> Result<()> {
        t.validate().map_err(|e| e.in_field("transcript"))?;
        if t.utterances.is_empty() {
            return Err(Error::invalid("transcript", "has no utterances"));
        }
        if t.utterances.len() > self.max_utterances {
            return Err(Error::invalid(
                "transcript",
                format!("has more than {} utterances", self.max_utterances),
            ));
        }
        if t.duration_ms > max_ms {
            return Err(Error::invalid(
                "transcript",
                format!(
                    "lasts {} ms; at most {max_ms} ms are accepted",
                    t.duration_ms
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(feature = "audio")]
fn check_audio_header(bytes: &[u8], max_ms: u64) -> Result<Option<u64>> {
    use closeq_stt::audio::{AudioKind, DecodeLimits, probe};
    if AudioKind::sniff(bytes).is_none() {
        return Err(Error::invalid(
            "audio",
            "is not a recognised recording (WAV, MP3, FLAC, Ogg Vorbis or M4A)",
        ));
    }
    let info = probe(bytes, &DecodeLimits::default())
        .map_err(|e| Error::invalid("audio", e.to_string()))?;
    if let Some(ms) = info.duration_ms
        && ms > max_ms
    {
        return Err(Error::invalid(
            "audio",
            format!("lasts {ms} ms; at most {max_ms} ms are accepted"),
        ));
    }
    Ok(info.duration_ms)
}

/// Without the `audio` feature the speech-to-text engine checks the format.
#[cfg(not(feature = "audio"))]
fn check_audio_header(_bytes: &[u8], _max_ms: u64) -> Result<Option<u64>> {
    Ok(None)
}

//! Transcript import and normalization.
//!
//! [`import`] reads any supported [`Format`] (or detects it) into a
//! validated [`closeq_core::Transcript`]: times normalized to milliseconds,
//! punctuation attached, turns built from words when the source has them
//! (provider utterances are only hints), speaker roles decided by the
//! documented rules in [`roles`](self#speaker-roles), the language
//! normalized to BCP-47.
//!
//! ## Speaker roles
//! See the rules documented on [`ImportOptions`] and in the `roles` module:
//! channel map, then known rep label or name, then the `rep-signals`
//! heuristic with a confidence; every speaker records how its role was
//! decided.
//!
//! ## Untrusted input
//! Imports never panic and never wrap a number. Every time — a clock stamp
//! with any number of hour digits, a float, a numeric or ISO-8601 string —
//! is read with checked arithmetic and must be at most 48 hours; channel
//! numbers outside a format's range (more than 256 Deepgram channels,
//! AssemblyAI channel `0`, `ch_999`), an unstamped script whose estimated
//! timings pass 48 hours, and CloseQ JSON with a longer `duration_ms` or
//! speaker ids outside `0..speakers` are [`ImportError::Malformed`] naming
//! the line or JSON field. `tests/adversarial_input.rs` holds the attacks.

mod assemble;
mod assemblyai;
mod aws;
mod closeq_json;
mod deepgram;
mod engine;
mod error;
mod format;
mod labels;
mod language;
mod openai;
mod options;
mod revai;
mod roles;
mod script;
mod speechmatics;
mod srt;
mod text;
mod time;
mod vtt;

pub use engine::{EngineOutput, EngineWord, from_engine};
pub use error::{ImportError, Location};

/// A serde error message without the offending value (which may be
/// personal data).
pub(crate) fn sanitize(msg: &str) -> String {
    error::sanitize_serde_message(msg)
}
pub use format::{Format, detect};
pub use options::ImportOptions;

use closeq_core::Transcript;

/// Imports a transcript. `format: None` detects it ([`detect`]).
///
/// ```
/// use closeq_analysis::transcript::{import, Format, ImportOptions};
/// let vtt = "WEBVTT\n\n00:00.000 --> 00:02.000\n<v Rep>What is your budget?\n\n00:02.500 --> 00:04.000\n<v Client>About ten thousand.\n";
/// let t = import(vtt.as_bytes(), None, &ImportOptions::default().with_rep_speaker("Rep"))?;
/// assert_eq!(t.utterances.len(), 2);
/// assert_eq!(t.speakers[0].role, closeq_core::SpeakerRole::Rep);
/// # Ok::<(), closeq_analysis::transcript::ImportError>(())
/// ```
pub fn import(
    bytes: &[u8],
    format: Option<Format>,
    opts: &ImportOptions,
) -> Result<Transcript, ImportError> {
    let format = match format {
        Some(f) => f,
        None => detect(bytes)?,
    };
    let text = || {
        std::str::from_utf8(bytes).map_err(|e| {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            ImportError::at_line(format, line, "the input is not valid UTF-8")
        })
    };
    let raw = match format {
        Format::CloseQ => return closeq_json::parse(bytes, opts),
        Format::WebVtt => vtt::parse(text()?)?,
        Format::Srt => srt::parse(text()?)?,
        Format::Script => script::parse(text()?)?,
        Format::Deepgram => deepgram::parse(bytes)?,
        Format::AssemblyAi => assemblyai::parse(bytes)?,
        Format::OpenAi => openai::parse(bytes)?,
        Format::AwsTranscribe => aws::parse(bytes)?,
        Format::Speechmatics => speechmatics::parse(bytes)?,
        Format::RevAi => revai::parse(bytes)?,
    };
    assemble::assemble(raw, opts)
}

//! The transcript formats CloseQ reads, and auto-detection.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::ImportError;

/// A transcript format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Format {
    /// WebVTT subtitles (voice tags `<v Name>`).
    WebVtt,
    /// SubRip subtitles (`Name:` speaker prefixes).
    Srt,
    /// A plain script: `Speaker: text` lines, optionally `[hh:mm:ss]` stamped.
    Script,
    /// CloseQ's own JSON (a serialized [`closeq_core::Transcript`]).
    CloseQ,
    /// Deepgram pre-recorded response.
    Deepgram,
    /// AssemblyAI transcript.
    AssemblyAi,
    /// OpenAI `verbose_json` or `diarized_json`.
    OpenAi,
    /// AWS Transcribe job output.
    AwsTranscribe,
    /// Speechmatics `json-v2`.
    Speechmatics,
    /// Rev.ai transcript (monologues).
    RevAi,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 10] = [
        Self::WebVtt,
        Self::Srt,
        Self::Script,
        Self::CloseQ,
        Self::Deepgram,
        Self::AssemblyAi,
        Self::OpenAi,
        Self::AwsTranscribe,
        Self::Speechmatics,
        Self::RevAi,
    ];

    /// The short name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WebVtt => "vtt",
            Self::Srt => "srt",
            Self::Script => "script",
            Self::CloseQ => "closeq",
            Self::Deepgram => "deepgram",
            Self::AssemblyAi => "assemblyai",
            Self::OpenAi => "openai",
            Self::AwsTranscribe => "aws",
            Self::Speechmatics => "speechmatics",
            Self::RevAi => "revai",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = closeq_core::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s || (s == "webvtt" && *f == Format::WebVtt))
            .ok_or_else(|| {
                closeq_core::Error::invalid(
                    "format",
                    "must be one of vtt, srt, script, closeq, deepgram, assemblyai, openai, aws, speechmatics, revai",
                )
            })
    }
}

/// The top-level shape of a JSON document: its keys, and the kind and keys
/// of `results` (which tells Deepgram, AWS and Speechmatics apart). Values
/// are skipped without allocation.
#[derive(Default)]
struct Shape {
    keys: Vec<String>,
    results_keys: Option<Vec<String>>,
    results_is_array: bool,
}

struct ResultsShape {
    keys: Option<Vec<String>>,
}

impl<'de> Deserialize<'de> for ResultsShape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ResultsShape;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ResultsShape, A::Error> {
                let mut keys = Vec::new();
                while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    keys.push(k.into_owned());
                    map.next_value::<IgnoredAny>()?;
                }
                Ok(ResultsShape { keys: Some(keys) })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ResultsShape, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(ResultsShape { keys: None })
            }
            fn visit_unit<E: de::Error>(self) -> Result<ResultsShape, E> {
                Ok(ResultsShape { keys: Some(vec![]) })
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Shape;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
                let mut shape = Shape::default();
                while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if k == "results" {
                        let r: ResultsShape = map.next_value()?;
                        shape.results_is_array = r.keys.is_none();
                        shape.results_keys = r.keys;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                    shape.keys.push(k.into_owned());
                }
                Ok(shape)
            }
        }
        d.deserialize_map(V)
    }
}

/// Detects the format of `bytes`. Text formats are recognised by their
/// first lines, JSON formats by their top-level keys. An input matching no
/// format, or several, is an error saying so.
pub fn detect(bytes: &[u8]) -> Result<Format, ImportError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ImportError::UnknownFormat {
        reason: "the input is not UTF-8 text".into(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(ImportError::UnknownFormat {
            reason: "the input is empty".into(),
        });
    }
    if trimmed.starts_with('{') {
        return detect_json(trimmed.as_bytes());
    }
    let mut candidates = Vec::new();
    if text.starts_with("WEBVTT") {
        candidates.push(Format::WebVtt);
    }
    let mut lines = trimmed.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("");
    let second = lines.next().unwrap_or("");
    if first.bytes().all(|b| b.is_ascii_digit()) && second.contains("-->") {
        candidates.push(Format::Srt);
    }
    if candidates.is_empty() && super::script::looks_like_script(trimmed) {
        candidates.push(Format::Script);
    }
    one_of(
        candidates,
        "no WEBVTT header, SRT cue or `Speaker: text` line",
    )
}

fn detect_json(bytes: &[u8]) -> Result<Format, ImportError> {
    let shape: Shape = serde_json::from_slice(bytes).map_err(|e| ImportError::UnknownFormat {
        reason: format!(
            "the input looks like JSON but does not parse: {}",
            super::error::sanitize_serde_message(&e.to_string())
        ),
    })?;
    let has = |k: &str| shape.keys.iter().any(|x| x == k);
    let results_has = |k: &str| {
        shape
            .results_keys
            .as_ref()
            .is_some_and(|ks| ks.iter().any(|x| x == k))
    };
    let mut candidates = Vec::new();
    if has("results") && results_has("channels") {
        candidates.push(Format::Deepgram);
    }
    if has("results") && (results_has("items") || results_has("transcripts")) {
        candidates.push(Format::AwsTranscribe);
    }
    if has("results") && shape.results_is_array && (has("format") || has("job") || has("metadata"))
    {
        candidates.push(Format::Speechmatics);
    }
    if has("monologues") {
        candidates.push(Format::RevAi);
    }
    if has("segments") && (has("task") || has("duration") || has("text")) {
        candidates.push(Format::OpenAi);
    }
    if (has("utterances") || has("words"))
        && (has("audio_duration") || has("status") || has("language_code") || has("audio_url"))
    {
        candidates.push(Format::AssemblyAi);
    }
    if has("duration_ms") && has("id") && (has("utterances") || has("speakers")) {
        candidates.push(Format::CloseQ);
    }
    one_of(
        candidates,
        "no top-level keys of a known provider (results, monologues, segments, utterances, duration_ms)",
    )
}

fn one_of(mut candidates: Vec<Format>, none: &str) -> Result<Format, ImportError> {
    match candidates.len() {
        0 => Err(ImportError::UnknownFormat {
            reason: none.into(),
        }),
        1 => Ok(candidates.remove(0)),
        _ => Err(ImportError::AmbiguousFormat { candidates }),
    }
}

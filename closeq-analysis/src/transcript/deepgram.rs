//! Deepgram pre-recorded (`/v1/listen`) responses: `results.channels[]`
//! (one per audio channel with `multichannel=true`) with word timings,
//! `speaker` per word with `diarize=true`, and `results.utterances` with
//! `utterances=true`. Times are float seconds.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::assemble::{RawSegment, RawTranscript, RawWord, Units};
use super::error::from_json;
use super::time::Secs;
use super::{Format, ImportError};

const F: Format = Format::Deepgram;

#[derive(Deserialize)]
struct Response<'a> {
    #[serde(default, borrow)]
    metadata: Option<Metadata<'a>>,
    results: Results<'a>,
}

#[derive(Deserialize)]
struct Metadata<'a> {
    #[serde(default, borrow)]
    request_id: Option<Cow<'a, str>>,
    #[serde(default)]
    duration: Option<Secs>,
    #[serde(default)]
    model_info: Option<BTreeMap<String, ModelInfo>>,
}

#[derive(Deserialize)]
struct ModelInfo {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct Results<'a> {
    #[serde(borrow)]
    channels: Vec<Channel<'a>>,
    #[serde(default, borrow)]
    utterances: Option<Vec<Utterance<'a>>>,
}

#[derive(Deserialize)]
struct Channel<'a> {
    #[serde(borrow)]
    alternatives: Vec<Alternative<'a>>,
    #[serde(default)]
    detected_language: Option<String>,
}

#[derive(Deserialize)]
struct Alternative<'a> {
    #[serde(default, borrow)]
    words: Vec<DgWord<'a>>,
    #[serde(default)]
    languages: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct DgWord<'a> {
    #[serde(borrow)]
    word: Cow<'a, str>,
    start: Secs,
    end: Secs,
    #[serde(default)]
    confidence: Option<f32>,
    #[serde(default)]
    speaker: Option<u32>,
    #[serde(default, borrow)]
    punctuated_word: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Utterance<'a> {
    start: Secs,
    end: Secs,
    #[serde(default)]
    channel: Option<u8>,
    #[serde(borrow)]
    transcript: Cow<'a, str>,
    #[serde(default)]
    speaker: Option<u32>,
    #[serde(default)]
    #[allow(dead_code)]
    words: IgnoredAny,
}

pub(crate) fn parse(bytes: &[u8]) -> Result<RawTranscript, ImportError> {
    let r: Response<'_> = from_json(F, bytes)?;
    let multichannel = r.results.channels.len() > 1;
    let mut words = Vec::new();
    let mut language = None;
    for (ci, ch) in r.results.channels.into_iter().enumerate() {
        if language.is_none() {
            language = ch.detected_language.clone();
        }
        let Some(alt) = ch.alternatives.into_iter().next() else {
            continue;
        };
        if language.is_none() {
            language = alt.languages.and_then(|l| l.into_iter().next());
        }
        let channel = if multichannel {
            // Channel 256 must not wrap to channel 0 (often the rep's).
            Some(u8::try_from(ci).map_err(|_| {
                ImportError::at_path(
                    F,
                    format!("results.channels[{ci}]"),
                    "more than 256 channels; CloseQ reads at most 256 channels",
                )
            })?)
        } else {
            None
        };
        words.reserve(alt.words.len());
        for w in alt.words {
            words.push(RawWord {
                text: w.punctuated_word.unwrap_or(w.word).into_owned(),
                start_ms: w.start.0,
                end_ms: w.end.0,
                speaker: w.speaker.map(|s| s.to_string()),
                channel,
                confidence: w.confidence,
                punctuation: false,
            });
        }
    }
    let units = if words.is_empty() {
        // No word timings (e.g. a trimmed response): fall back to utterances.
        let segs = r
            .results
            .utterances
            .unwrap_or_default()
            .into_iter()
            .map(|u| RawSegment {
                text: u.transcript.into_owned(),
                start_ms: u.start.0,
                end_ms: u.end.0,
                speaker: u.speaker.map(|s| s.to_string()),
                channel: if multichannel { u.channel } else { None },
                words: Vec::new(),
            })
            .collect();
        Units::Segments(segs)
    } else {
        Units::Words(words)
    };
    let mut raw = RawTranscript::new(F, units);
    raw.language = language;
    if let Some(m) = r.metadata {
        raw.duration_ms = m.duration.map(|d| d.0);
        raw.provider.request_id = m.request_id.map(Cow::into_owned);
        raw.provider.model = m
            .model_info
            .and_then(|mi| mi.into_values().find_map(|m| m.name));
    }
    Ok(raw)
}

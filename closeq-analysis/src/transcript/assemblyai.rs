//! AssemblyAI transcripts (`GET /v2/transcript/{id}`): `words` and
//! `utterances` with times in integer milliseconds, speakers as letters
//! (`A`, `B`) with `speaker_labels=true`, `channel` with multichannel,
//! `audio_duration` in seconds. Only a `completed` transcript is imported.

use serde::Deserialize;

use super::assemble::{RawSegment, RawTranscript, RawWord, Units};
use super::error::from_json;
use super::time::{Millis, Secs};
use super::{Format, ImportError};

const F: Format = Format::AssemblyAi;

#[derive(Deserialize)]
struct Transcript {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    language_code: Option<String>,
    #[serde(default)]
    audio_duration: Option<Secs>,
    #[serde(default)]
    speech_model: Option<String>,
    #[serde(default)]
    words: Option<Vec<AaiWord>>,
    #[serde(default)]
    utterances: Option<Vec<AaiUtterance>>,
}

#[derive(Deserialize)]
struct AaiWord {
    text: String,
    start: Millis,
    end: Millis,
    #[serde(default)]
    confidence: Option<f32>,
    #[serde(default)]
    speaker: Option<String>,
    #[serde(default)]
    channel: Option<String>,
}

#[derive(Deserialize)]
struct AaiUtterance {
    text: String,
    start: Millis,
    end: Millis,
    #[serde(default)]
    speaker: Option<String>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    words: Vec<AaiWord>,
}

/// A channel number as AssemblyAI writes it (`"1"`, `"2"`: numbered from
/// 1), zero-based; anything else is an error at `path`.
fn channel(c: Option<&str>, path: impl FnOnce() -> String) -> Result<Option<u8>, ImportError> {
    let Some(c) = c else { return Ok(None) };
    match c.trim().parse::<u16>() {
        Ok(n @ 1..=256) => Ok(u8::try_from(n - 1).ok()),
        _ => Err(ImportError::at_path(
            F,
            path(),
            "must be a channel number from 1 to 256",
        )),
    }
}

fn word(
    w: AaiWord,
    hint: Option<&str>,
    path: impl FnOnce() -> String,
) -> Result<RawWord, ImportError> {
    Ok(RawWord {
        channel: channel(w.channel.as_deref(), path)?,
        speaker: w.speaker.or_else(|| hint.map(str::to_owned)),
        text: w.text,
        start_ms: w.start.0,
        end_ms: w.end.0,
        confidence: w.confidence,
        punctuation: false,
    })
}

pub(crate) fn parse(bytes: &[u8]) -> Result<RawTranscript, ImportError> {
    let t: Transcript = from_json(F, bytes)?;
    match t.status.as_deref() {
        None | Some("completed") => {}
        Some("error") => {
            return Err(ImportError::at_path(
                F,
                "status",
                "the transcription job failed",
            ));
        }
        Some(_) => {
            return Err(ImportError::at_path(
                F,
                "status",
                "the transcript is not completed yet (queued or processing)",
            ));
        }
    }
    let top_words = t.words.unwrap_or_default();
    let utterances = t.utterances.unwrap_or_default();
    let units = if top_words.iter().any(|w| w.speaker.is_some()) || utterances.is_empty() {
        // Word-level speakers are authoritative.
        Units::Words(
            top_words
                .into_iter()
                .enumerate()
                .map(|(i, w)| word(w, None, || format!("words[{i}].channel")))
                .collect::<Result<_, _>>()?,
        )
    } else if utterances.iter().any(|u| !u.words.is_empty()) {
        // Words inside utterances: each word's own speaker wins over the
        // utterance's (they can differ).
        let mut words = Vec::new();
        for (ui, u) in utterances.into_iter().enumerate() {
            let hint = u.speaker;
            let ch = u.channel;
            for (wi, mut w) in u.words.into_iter().enumerate() {
                let own = w.channel.is_some();
                if !own {
                    w.channel.clone_from(&ch);
                }
                words.push(word(w, hint.as_deref(), || {
                    if own {
                        format!("utterances[{ui}].words[{wi}].channel")
                    } else {
                        format!("utterances[{ui}].channel")
                    }
                })?);
            }
        }
        Units::Words(words)
    } else {
        Units::Segments(
            utterances
                .into_iter()
                .enumerate()
                .map(|(i, u)| {
                    Ok(RawSegment {
                        channel: channel(u.channel.as_deref(), || {
                            format!("utterances[{i}].channel")
                        })?,
                        text: u.text,
                        start_ms: u.start.0,
                        end_ms: u.end.0,
                        speaker: u.speaker,
                        words: Vec::new(),
                    })
                })
                .collect::<Result<_, ImportError>>()?,
        )
    };
    let mut raw = RawTranscript::new(F, units);
    raw.language = t.language_code;
    raw.duration_ms = t.audio_duration.map(|d| d.0);
    raw.provider.request_id = t.id;
    raw.provider.model = t.speech_model;
    Ok(raw)
}

//! Speechmatics `json-v2`: `results[]` of `word` and `punctuation` items
//! with `start_time`/`end_time` in float seconds, `alternatives[0].speaker`
//! (`S1`, `S2`, `UU` for unknown), `attaches_to` for punctuation, `channel`
//! (`channel_1`) with channel diarization.

use serde::Deserialize;

use super::assemble::{RawTranscript, RawWord, Units};
use super::error::from_json;
use super::time::Secs;
use super::{Format, ImportError};

const F: Format = Format::Speechmatics;

#[derive(Deserialize)]
struct Doc {
    #[serde(default)]
    job: Option<Job>,
    #[serde(default)]
    metadata: Option<Metadata>,
    results: Vec<Item>,
}

#[derive(Deserialize)]
struct Job {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    duration: Option<Secs>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    transcription_config: Option<Config>,
}

#[derive(Deserialize)]
struct Config {
    #[serde(default)]
    language: Option<String>,
}

#[derive(Deserialize)]
struct Item {
    #[serde(rename = "type")]
    kind: String,
    start_time: Secs,
    end_time: Secs,
    alternatives: Vec<Alt>,
    #[serde(default)]
    attaches_to: Option<String>,
    #[serde(default)]
    channel: Option<String>,
}

#[derive(Deserialize)]
struct Alt {
    content: String,
    #[serde(default)]
    confidence: Option<f32>,
    #[serde(default)]
    speaker: Option<String>,
}

pub(crate) fn parse(bytes: &[u8]) -> Result<RawTranscript, ImportError> {
    let doc: Doc = from_json(F, bytes)?;
    let mut words = Vec::with_capacity(doc.results.len());
    let mut glue_next = false;
    for (idx, item) in doc.results.into_iter().enumerate() {
        let Some(alt) = item.alternatives.into_iter().next() else {
            return Err(ImportError::at_path(
                F,
                format!("results[{idx}].alternatives"),
                "must hold at least one alternative",
            ));
        };
        // `channel_1` .. `channel_256`, numbered from 1.
        let channel = match item.channel.as_deref() {
            None => None,
            Some(c) => match c.strip_prefix("channel_").map(str::parse::<u16>) {
                Some(Ok(n @ 1..=256)) => u8::try_from(n - 1).ok(),
                _ => {
                    return Err(ImportError::at_path(
                        F,
                        format!("results[{idx}].channel"),
                        "must be channel_1 to channel_256",
                    ));
                }
            },
        };
        let attaches = item.attaches_to.as_deref().unwrap_or("none");
        if item.kind == "punctuation" && matches!(attaches, "previous" | "both") {
            words.push(RawWord {
                text: alt.content,
                punctuation: true,
                ..RawWord::default()
            });
            glue_next = attaches == "both";
            continue;
        }
        if glue_next {
            glue_next = false;
            if let Some(prev) = words.last_mut() {
                prev.text.push_str(&alt.content);
                continue;
            }
        }
        if item.kind == "punctuation" && attaches == "next" {
            glue_next = true;
        }
        words.push(RawWord {
            text: alt.content,
            start_ms: item.start_time.0,
            end_ms: item.end_time.0,
            speaker: alt.speaker,
            channel,
            confidence: alt.confidence,
            punctuation: false,
        });
    }
    let mut raw = RawTranscript::new(F, Units::Words(words));
    raw.language = doc
        .metadata
        .and_then(|m| m.transcription_config)
        .and_then(|c| c.language);
    if let Some(j) = doc.job {
        raw.duration_ms = j.duration.map(|d| d.0);
        raw.provider.request_id = j.id;
    }
    Ok(raw)
}

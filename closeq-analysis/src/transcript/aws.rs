//! AWS Transcribe job output (`results.items[]`): times as strings
//! (`"0.44"`), `pronunciation` and `punctuation` items (punctuation has no
//! times and attaches to the previous word), speakers from
//! `speaker_label` on each item or from `results.speaker_labels.segments`,
//! channels from `results.channel_labels` (`ch_0`, `ch_1`).

use std::collections::HashMap;

use serde::Deserialize;

use super::assemble::{RawTranscript, RawWord, Units};
use super::error::from_json;
use super::time::{Number, Secs};
use super::{Format, ImportError};

const F: Format = Format::AwsTranscribe;

#[derive(Deserialize)]
struct Job {
    #[serde(default, rename = "jobName")]
    job_name: Option<String>,
    #[serde(default)]
    status: Option<String>,
    results: Results,
}

#[derive(Deserialize)]
struct Results {
    #[serde(default)]
    items: Vec<Item>,
    #[serde(default)]
    speaker_labels: Option<SpeakerLabels>,
    #[serde(default)]
    channel_labels: Option<ChannelLabels>,
    #[serde(default)]
    language_code: Option<String>,
}

#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    start_time: Option<Secs>,
    #[serde(default)]
    end_time: Option<Secs>,
    #[serde(rename = "type")]
    kind: String,
    alternatives: Vec<Alt>,
    #[serde(default)]
    speaker_label: Option<String>,
    #[serde(default)]
    channel_label: Option<String>,
}

#[derive(Deserialize)]
struct Alt {
    content: String,
    #[serde(default)]
    confidence: Option<Number>,
}

#[derive(Deserialize)]
struct SpeakerLabels {
    #[serde(default)]
    segments: Vec<SpeakerSegment>,
}

#[derive(Deserialize)]
struct SpeakerSegment {
    speaker_label: String,
    #[serde(default)]
    items: Vec<LabelItem>,
}

#[derive(Deserialize)]
struct LabelItem {
    start_time: Secs,
    #[serde(default)]
    speaker_label: Option<String>,
}

#[derive(Deserialize)]
struct ChannelLabels {
    #[serde(default)]
    channels: Vec<ChannelLabel>,
}

#[derive(Deserialize)]
struct ChannelLabel {
    channel_label: String,
    #[serde(default)]
    items: Vec<Item>,
}

/// `ch_0` .. `ch_255`; anything else is an error at `path`.
fn channel_number(label: &str, path: impl FnOnce() -> String) -> Result<u8, ImportError> {
    label
        .strip_prefix("ch_")
        .and_then(|n| n.parse::<u8>().ok())
        .ok_or_else(|| ImportError::at_path(F, path(), "must be ch_0 to ch_255"))
}

pub(crate) fn parse(bytes: &[u8]) -> Result<RawTranscript, ImportError> {
    let job: Job = from_json(F, bytes)?;
    match job.status.as_deref() {
        None | Some("COMPLETED") => {}
        Some(_) => {
            return Err(ImportError::at_path(
                F,
                "status",
                "the transcription job is not COMPLETED",
            ));
        }
    }
    // Speaker by word start time, for outputs whose items carry no label.
    let mut speaker_at: HashMap<u64, String> = HashMap::new();
    if let Some(sl) = job.results.speaker_labels {
        for seg in sl.segments {
            for it in seg.items {
                speaker_at.insert(
                    it.start_time.0,
                    it.speaker_label
                        .unwrap_or_else(|| seg.speaker_label.clone()),
                );
            }
        }
    }
    // Channel-identified output lists items per channel.
    let mut items: Vec<(Item, Option<u8>)> = Vec::new();
    let per_channel = job
        .results
        .channel_labels
        .filter(|cl| cl.channels.iter().any(|c| !c.items.is_empty()));
    match per_channel {
        Some(cl) => {
            for (ci, c) in cl.channels.into_iter().enumerate() {
                let ch = channel_number(&c.channel_label, || {
                    format!("results.channel_labels.channels[{ci}].channel_label")
                })?;
                items.extend(c.items.into_iter().map(|i| (i, Some(ch))));
            }
        }
        None => {
            for (idx, i) in job.results.items.into_iter().enumerate() {
                let ch = match i.channel_label.as_deref() {
                    Some(l) => Some(channel_number(l, || {
                        format!("results.items[{idx}].channel_label")
                    })?),
                    None => None,
                };
                items.push((i, ch));
            }
        }
    }
    let mut words = Vec::with_capacity(items.len());
    for (idx, (item, ch)) in items.into_iter().enumerate() {
        let Some(alt) = item.alternatives.into_iter().next() else {
            continue;
        };
        match item.kind.as_str() {
            "punctuation" => words.push(RawWord {
                text: alt.content,
                punctuation: true,
                ..RawWord::default()
            }),
            "pronunciation" => {
                let (Some(start), Some(end)) = (item.start_time, item.end_time) else {
                    return Err(ImportError::at_path(
                        F,
                        format!("results.items[{idx}]"),
                        "a pronunciation item needs start_time and end_time",
                    ));
                };
                let speaker = item
                    .speaker_label
                    .or_else(|| speaker_at.get(&start.0).cloned());
                words.push(RawWord {
                    text: alt.content,
                    start_ms: start.0,
                    end_ms: end.0,
                    speaker,
                    channel: ch,
                    confidence: alt.confidence.map(|c| c.0 as f32),
                    punctuation: false,
                });
            }
            _ => {
                return Err(ImportError::at_path(
                    F,
                    format!("results.items[{idx}].type"),
                    "must be pronunciation or punctuation",
                ));
            }
        }
    }
    let mut raw = RawTranscript::new(F, Units::Words(words));
    raw.language = job.results.language_code;
    raw.provider.request_id = job.job_name;
    Ok(raw)
}

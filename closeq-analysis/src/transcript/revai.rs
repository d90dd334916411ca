//! Rev.ai transcripts (`application/vnd.rev.transcript.v1.0+json`):
//! `monologues[]` with an integer `speaker`, optional `speaker_name`, and
//! `elements` of type `text` (with `ts`/`end_ts` in seconds), `punct`
//! (spaces and punctuation, untimed) and `unknown`.

use serde::Deserialize;

use super::assemble::{RawTranscript, RawWord, Units};
use super::error::from_json;
use super::time::Secs;
use super::{Format, ImportError};

const F: Format = Format::RevAi;

#[derive(Deserialize)]
struct Doc {
    monologues: Vec<Monologue>,
}

#[derive(Deserialize)]
struct Monologue {
    #[serde(default)]
    speaker: Option<i64>,
    #[serde(default)]
    speaker_name: Option<String>,
    #[serde(default)]
    elements: Vec<Element>,
}

#[derive(Deserialize)]
struct Element {
    #[serde(rename = "type")]
    kind: String,
    value: String,
    #[serde(default)]
    ts: Option<Secs>,
    #[serde(default)]
    end_ts: Option<Secs>,
    #[serde(default)]
    confidence: Option<f32>,
}

pub(crate) fn parse(bytes: &[u8]) -> Result<RawTranscript, ImportError> {
    let doc: Doc = from_json(F, bytes)?;
    let mut words = Vec::new();
    for (mi, m) in doc.monologues.into_iter().enumerate() {
        let speaker = match (m.speaker_name, m.speaker) {
            (Some(n), _) if !n.trim().is_empty() => Some(n),
            (_, Some(s)) => Some(s.to_string()),
            _ => None,
        };
        for (ei, e) in m.elements.into_iter().enumerate() {
            match e.kind.as_str() {
                "text" => {
                    let (Some(ts), Some(end)) = (e.ts, e.end_ts) else {
                        return Err(ImportError::at_path(
                            F,
                            format!("monologues[{mi}].elements[{ei}]"),
                            "a text element needs ts and end_ts",
                        ));
                    };
                    words.push(RawWord {
                        text: e.value,
                        start_ms: ts.0,
                        end_ms: end.0,
                        speaker: speaker.clone(),
                        channel: None,
                        confidence: e.confidence,
                        punctuation: false,
                    });
                }
                "punct" => {
                    if !e.value.trim().is_empty() {
                        words.push(RawWord {
                            text: e.value,
                            punctuation: true,
                            ..RawWord::default()
                        });
                    }
                }
                "unknown" => {}
                _ => {
                    return Err(ImportError::at_path(
                        F,
                        format!("monologues[{mi}].elements[{ei}].type"),
                        "must be text, punct or unknown",
                    ));
                }
            }
        }
    }
    let mut raw = RawTranscript::new(F, Units::Words(words));
    raw.labels_are_names = false;
    Ok(raw)
}

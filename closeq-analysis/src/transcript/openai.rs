//! OpenAI `/v1/audio/transcriptions` responses: `verbose_json` (whisper-1:
//! `language` as a name such as "english", `segments` with leading spaces,
//! optional top-level `words`) and `diarized_json`
//! (gpt-4o-transcribe-diarize: segments with `speaker` labels `A`, `B`, ...
//! or known speaker names). Times are float seconds.

use serde::Deserialize;

use super::assemble::{RawSegment, RawTranscript, RawWord, Units};
use super::error::from_json;
use super::time::Secs;
use super::{Format, ImportError};

const F: Format = Format::OpenAi;

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    duration: Option<Secs>,
    #[serde(default)]
    segments: Vec<Segment>,
    #[serde(default)]
    words: Vec<OaiWord>,
}

#[derive(Deserialize)]
struct Segment {
    start: Secs,
    end: Secs,
    text: String,
    #[serde(default)]
    speaker: Option<String>,
}

#[derive(Deserialize)]
struct OaiWord {
    word: String,
    start: Secs,
    end: Secs,
}

pub(crate) fn parse(bytes: &[u8]) -> Result<RawTranscript, ImportError> {
    let r: Response = from_json(F, bytes)?;
    let mut segments: Vec<RawSegment> = r
        .segments
        .into_iter()
        .map(|s| RawSegment {
            text: s.text.trim().to_owned(),
            start_ms: s.start.0,
            end_ms: s.end.0,
            speaker: s.speaker,
            channel: None,
            words: Vec::new(),
        })
        .collect();
    // whisper-1 words carry timing but no punctuation and no speaker: the
    // punctuated segment text stays authoritative, words attach by time.
    let mut wi = r.words.into_iter().peekable();
    for s in &mut segments {
        while let Some(w) = wi.peek() {
            if w.start.0 >= s.end_ms && s.end_ms > s.start_ms {
                break;
            }
            let w = wi.next();
            if let Some(w) = w
                && w.start.0 >= s.start_ms
            {
                s.words.push(RawWord {
                    text: w.word.trim().to_owned(),
                    start_ms: w.start.0,
                    end_ms: w.end.0,
                    ..RawWord::default()
                });
            }
        }
    }
    let mut raw = RawTranscript::new(F, Units::Segments(segments));
    raw.language = r.language;
    raw.duration_ms = r.duration.map(|d| d.0);
    Ok(raw)
}

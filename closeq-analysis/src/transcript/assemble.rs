//! From what a parser read to a validated [`Transcript`]: punctuation
//! attached, turns built, speakers numbered, roles decided, language
//! normalized.

use std::collections::HashMap;

use closeq_core::{
    ProviderInfo, RoleDecision, Speaker, SpeakerId, SpeakerRole, Transcript, TranscriptWarning,
    Utterance, UtteranceId, Word,
};

use super::labels::SpeakerLabel;
use super::{Format, ImportError, ImportOptions};

/// A word as read from the source.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawWord {
    pub text: String,
    pub start_ms: u64,
    pub end_ms: u64,
    pub speaker: Option<String>,
    pub channel: Option<u8>,
    pub confidence: Option<f32>,
    /// A punctuation token: appended to the previous word, carries no timing.
    pub punctuation: bool,
}

/// A segment or provider utterance as read from the source.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawSegment {
    pub text: String,
    pub start_ms: u64,
    pub end_ms: u64,
    pub speaker: Option<String>,
    pub channel: Option<u8>,
    /// Word timings inside the segment (no speaker of their own).
    pub words: Vec<RawWord>,
}

/// What the source gave us, before normalization.
#[derive(Debug, Clone)]
pub(crate) enum Units {
    /// Word-level input: turns are built from words (provider utterances are
    /// only hints, already folded into each word's speaker).
    Words(Vec<RawWord>),
    /// Segment-level input.
    Segments(Vec<RawSegment>),
}

#[derive(Debug, Clone)]
pub(crate) struct RawTranscript {
    pub format: Format,
    pub units: Units,
    pub language: Option<String>,
    pub duration_ms: Option<u64>,
    pub provider: ProviderInfo,
    /// Speaker names keyed by raw label (WebVTT voice tags are names).
    pub labels_are_names: bool,
    pub warnings: Vec<TranscriptWarning>,
}

impl RawTranscript {
    pub(crate) fn new(format: Format, units: Units) -> Self {
        Self {
            format,
            units,
            language: None,
            duration_ms: None,
            provider: ProviderInfo {
                name: format.as_str().to_owned(),
                ..ProviderInfo::default()
            },
            labels_are_names: false,
            warnings: Vec::new(),
        }
    }
}

/// A turn under construction.
struct Turn {
    key: (Option<u8>, String),
    start_ms: u64,
    end_ms: u64,
    text: String,
    words: Vec<Word>,
}

fn push_text(buf: &mut String, piece: &str) {
    let piece = piece.trim();
    if piece.is_empty() {
        return;
    }
    if !buf.is_empty() {
        buf.push(' ');
    }
    buf.push_str(piece);
}

fn speaker_key(speaker: &Option<String>, channel: Option<u8>) -> (Option<u8>, String) {
    let label = match speaker {
        Some(s) if !s.trim().is_empty() => s.trim().to_owned(),
        _ => match channel {
            Some(c) => format!("ch{c}"),
            None => "UU".to_owned(),
        },
    };
    (channel, label)
}

fn turns_from_words(mut words: Vec<RawWord>, max_gap: u64) -> Vec<Turn> {
    // Attach punctuation to the word before it (in source order).
    let mut timed: Vec<RawWord> = Vec::with_capacity(words.len());
    for w in words.drain(..) {
        if w.punctuation {
            if let Some(prev) = timed.last_mut() {
                prev.text.push_str(w.text.trim());
            }
            continue;
        }
        let trimmed = w.text.trim();
        if trimmed.is_empty() {
            continue;
        }
        let text = if trimmed.len() == w.text.len() {
            w.text
        } else {
            trimmed.to_owned()
        };
        timed.push(RawWord { text, ..w });
    }
    // Interleave channels by time; the sort is stable, so source order wins ties.
    timed.sort_by_key(|w| w.start_ms);
    let mut turns: Vec<Turn> = Vec::new();
    for w in timed {
        let key = speaker_key(&w.speaker, w.channel);
        let end = w.end_ms.max(w.start_ms);
        let word = Word {
            text: w.text.into(),
            start_ms: w.start_ms,
            end_ms: end,
            confidence: w.confidence.filter(|c| (0.0..=1.0).contains(c)),
        };
        match turns.last_mut() {
            Some(t) if t.key == key && w.start_ms <= t.end_ms.saturating_add(max_gap) => {
                push_text(&mut t.text, &word.text);
                t.end_ms = t.end_ms.max(end);
                t.words.push(word);
            }
            _ => {
                let mut text = String::new();
                push_text(&mut text, &word.text);
                turns.push(Turn {
                    key,
                    start_ms: w.start_ms,
                    end_ms: end,
                    text,
                    words: vec![word],
                });
            }
        }
    }
    turns
}

fn turns_from_segments(mut segments: Vec<RawSegment>, max_gap: u64) -> Vec<Turn> {
    segments.sort_by_key(|s| s.start_ms);
    let mut turns: Vec<Turn> = Vec::new();
    for s in segments {
        if s.text.trim().is_empty() {
            continue;
        }
        let key = speaker_key(&s.speaker, s.channel);
        let end = s.end_ms.max(s.start_ms);
        let words: Vec<Word> = s
            .words
            .iter()
            .filter(|w| !w.text.trim().is_empty())
            .map(|w| Word {
                text: w.text.trim().to_owned().into(),
                start_ms: w.start_ms.max(s.start_ms),
                end_ms: w.end_ms.max(w.start_ms).clamp(s.start_ms, end),
                confidence: w.confidence.filter(|c| (0.0..=1.0).contains(c)),
            })
            .collect();
        let words = if words.windows(2).all(|p| p[0].start_ms <= p[1].start_ms)
            && words
                .iter()
                .all(|w| w.start_ms <= w.end_ms && w.end_ms <= end)
        {
            words
        } else {
            Vec::new()
        };
        match turns.last_mut() {
            Some(t) if t.key == key && s.start_ms <= t.end_ms.saturating_add(max_gap) => {
                push_text(&mut t.text, &s.text);
                t.end_ms = t.end_ms.max(end);
                t.words.extend(words);
            }
            _ => {
                let mut text = String::new();
                push_text(&mut text, &s.text);
                turns.push(Turn {
                    key,
                    start_ms: s.start_ms,
                    end_ms: end,
                    text,
                    words,
                });
            }
        }
    }
    turns
}

/// Builds, decides roles and validates.
pub(crate) fn assemble(
    raw: RawTranscript,
    opts: &ImportOptions,
) -> Result<Transcript, ImportError> {
    let format = raw.format;
    let turns = match raw.units {
        Units::Words(w) => turns_from_words(w, opts.max_gap_ms),
        Units::Segments(s) => turns_from_segments(s, opts.max_gap_ms),
    };

    let mut speaker_ids: HashMap<(Option<u8>, String), SpeakerId> = HashMap::new();
    let mut speakers: Vec<Speaker> = Vec::new();
    let mut labels: Vec<SpeakerLabel> = Vec::new();
    let mut channels: Vec<Option<u8>> = Vec::new();
    let mut utterances = Vec::with_capacity(turns.len());
    let mut max_end = 0;
    let too_many = || ImportError::input(format, "more than 4,294,967,295 turns or speakers");
    for (i, t) in turns.into_iter().enumerate() {
        let next_speaker = SpeakerId(u32::try_from(speakers.len()).map_err(|_| too_many())?);
        let utterance_id = UtteranceId(u32::try_from(i).map_err(|_| too_many())?);
        let id = *speaker_ids.entry(t.key.clone()).or_insert_with(|| {
            let id = next_speaker;
            let label = SpeakerLabel::parse(&t.key.1);
            speakers.push(Speaker {
                id,
                label: t.key.1.clone().into(),
                role: SpeakerRole::Unknown,
                decided_by: RoleDecision::Undecided,
                name: (raw.labels_are_names && !label.unknown && label.index.is_none())
                    .then(|| t.key.1.clone().into()),
            });
            labels.push(label);
            channels.push(t.key.0);
            id
        });
        max_end = max_end.max(t.end_ms);
        let mut words = t.words;
        if words
            .iter()
            .any(|w| w.end_ms > t.end_ms || w.start_ms < t.start_ms)
        {
            words.clear();
        }
        utterances.push(Utterance {
            id: utterance_id,
            speaker: id,
            start_ms: t.start_ms,
            end_ms: t.end_ms,
            text: t.text.into(),
            words,
            channel: t.key.0,
        });
    }

    let mut warnings = raw.warnings;
    let duration_ms = match raw.duration_ms {
        Some(d) if d >= max_end => d,
        Some(_) => {
            warnings.push(TranscriptWarning::new(
                "duration_extended",
                "the source's duration ended before its last word; the duration was extended to it",
            ));
            max_end
        }
        None => max_end,
    };
    if utterances
        .windows(2)
        .any(|w| w[1].start_ms < w[0].end_ms && w[1].speaker != w[0].speaker)
    {
        warnings.push(TranscriptWarning::new(
            "overlapping_speech",
            "some turns overlap in time (both sides speaking at once)",
        ));
    }
    let mut transcript = Transcript {
        id: closeq_core::TranscriptId::new(),
        language: raw.language.as_deref().and_then(super::language::normalize),
        duration_ms,
        speakers,
        utterances,
        provider: Some(raw.provider),
        warnings,
    };
    if let Some(l) = &raw.language
        && transcript.language.is_none()
        && !l.trim().is_empty()
    {
        transcript.warnings.push(TranscriptWarning::new(
            "language_unrecognised",
            "the source's language value is not a recognised language",
        ));
    }
    super::roles::assign(&mut transcript, &labels, &channels, opts);
    transcript.validate().map_err(|e| {
        ImportError::input(
            format,
            format!("the imported transcript is inconsistent: {e}"),
        )
    })?;
    Ok(transcript)
}

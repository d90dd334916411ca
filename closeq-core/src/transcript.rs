//! Transcripts: who said what, when.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::TranscriptId;
use crate::sensitive::Sensitive;

/// A call transcript, normalized from any source (speech-to-text provider,
/// subtitle file, script).
///
/// Invariants checked by [`Transcript::validate`]: speaker ids unique, every
/// utterance's speaker declared, `start_ms <= end_ms <= duration_ms`,
/// utterances ordered by start, utterance ids unique, words inside their
/// utterance and ordered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Transcript {
    /// Its id.
    pub id: TranscriptId,
    /// The spoken language, when known.
    #[serde(default)]
    pub language: Option<Language>,
    /// Length of the transcribed audio in milliseconds.
    pub duration_ms: u64,
    /// The speakers.
    #[serde(default)]
    pub speakers: Vec<Speaker>,
    /// What was said, ordered by start time.
    #[serde(default)]
    pub utterances: Vec<Utterance>,
    /// Which engine produced it.
    #[serde(default)]
    pub provider: Option<ProviderInfo>,
    /// Things a reader should know (a guessed role, mono audio, ...).
    #[serde(default)]
    pub warnings: Vec<TranscriptWarning>,
}

impl Transcript {
    /// An empty transcript (valid: it yields zeroed metrics).
    pub fn empty(duration_ms: u64) -> Self {
        Self {
            id: TranscriptId::new(),
            language: None,
            duration_ms,
            speakers: Vec::new(),
            utterances: Vec::new(),
            provider: None,
            warnings: Vec::new(),
        }
    }

    /// The speaker with id `id`.
    pub fn speaker(&self, id: SpeakerId) -> Option<&Speaker> {
        self.speakers.iter().find(|s| s.id == id)
    }

    /// The role of speaker `id` ([`SpeakerRole::Unknown`] if undeclared).
    pub fn role_of(&self, id: SpeakerId) -> SpeakerRole {
        self.speaker(id).map_or(SpeakerRole::Unknown, |s| s.role)
    }

    /// The utterance with id `id`.
    pub fn utterance(&self, id: UtteranceId) -> Option<&Utterance> {
        self.utterances.iter().find(|u| u.id == id)
    }

    /// Checks the invariants; the error names the first offending field by
    /// path (`utterances[3].end_ms`).
    pub fn validate(&self) -> Result<()> {
        let mut ids = BTreeSet::new();
        for (i, s) in self.speakers.iter().enumerate() {
            if !ids.insert(s.id) {
                return Err(Error::invalid(
                    format!("speakers[{i}].id"),
                    "duplicate speaker id",
                ));
            }
            if let RoleDecision::Heuristic { confidence, .. } = &s.decided_by
                && !(0.0..=1.0).contains(confidence)
            {
                return Err(Error::invalid(
                    format!("speakers[{i}].decided_by.confidence"),
                    "must be between 0 and 1",
                ));
            }
        }
        let mut utterance_ids = BTreeSet::new();
        let mut prev_start = 0u64;
        for (i, u) in self.utterances.iter().enumerate() {
            let f = |name: &str| format!("utterances[{i}].{name}");
            if !utterance_ids.insert(u.id) {
                return Err(Error::invalid(f("id"), "duplicate utterance id"));
            }
            if !ids.contains(&u.speaker) {
                return Err(Error::invalid(
                    f("speaker"),
                    "refers to an undeclared speaker",
                ));
            }
            if u.end_ms < u.start_ms {
                return Err(Error::invalid(f("end_ms"), "is before start_ms"));
            }
            if u.end_ms > self.duration_ms {
                return Err(Error::invalid(
                    f("end_ms"),
                    "is after the transcript's duration_ms",
                ));
            }
            if u.start_ms < prev_start {
                return Err(Error::invalid(
                    f("start_ms"),
                    "utterances must be ordered by start",
                ));
            }
            prev_start = u.start_ms;
            let mut prev_word = u.start_ms;
            for (j, w) in u.words.iter().enumerate() {
                let wf = |name: &str| format!("utterances[{i}].words[{j}].{name}");
                if w.end_ms < w.start_ms {
                    return Err(Error::invalid(wf("end_ms"), "is before start_ms"));
                }
                if w.start_ms < prev_word {
                    return Err(Error::invalid(
                        wf("start_ms"),
                        "words must be ordered and start inside their utterance",
                    ));
                }
                if w.end_ms > u.end_ms {
                    return Err(Error::invalid(
                        wf("end_ms"),
                        "is after its utterance's end_ms",
                    ));
                }
                if let Some(c) = w.confidence
                    && !(0.0..=1.0).contains(&c)
                {
                    return Err(Error::invalid(wf("confidence"), "must be between 0 and 1"));
                }
                prev_word = w.start_ms;
            }
        }
        Ok(())
    }
}

/// A speaker's stable id within one transcript (0, 1, 2, ...).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct SpeakerId(pub u32);

/// An utterance's id within one transcript; evidence spans cite it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct UtteranceId(pub u32);

impl std::fmt::Display for UtteranceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "u{}", self.0)
    }
}

/// Which side of the call a speaker is on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SpeakerRole {
    /// The sales rep (the employee).
    Rep,
    /// The customer.
    Client,
    /// Someone else (a colleague, an assistant, an IVR).
    Other,
    /// Not decided.
    Unknown,
}

/// How a speaker's role was decided. Nothing is silently guessed: a
/// heuristic names its rule and confidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum RoleDecision {
    /// The source stated it (CloseQ JSON, a caller-supplied map).
    Provided,
    /// From the channel layout of a stereo recording.
    ChannelMap {
        /// The channel this speaker was recorded on.
        channel: u8,
    },
    /// The speaker's label or name matched the known rep.
    KnownRep {
        /// What matched: `label` or `name`.
        matched_on: String,
    },
    /// A documented heuristic.
    Heuristic {
        /// The rule's name (documented in closeq-analysis).
        rule: String,
        /// Confidence between 0 and 1.
        confidence: f32,
    },
    /// Not decided.
    Undecided,
}

/// A speaker in a transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Speaker {
    /// Stable id.
    pub id: SpeakerId,
    /// The raw label from the source (`spk_0`, `A`, `S1`, a name from a
    /// WebVTT voice tag); may be personal data.
    pub label: Sensitive<String>,
    /// Rep, client, other or unknown.
    pub role: SpeakerRole,
    /// How the role was decided.
    pub decided_by: RoleDecision,
    /// The speaker's name, when known (personal data).
    #[serde(default)]
    pub name: Option<Sensitive<String>>,
}

/// One turn: consecutive speech by one speaker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Utterance {
    /// Id, unique in the transcript.
    pub id: UtteranceId,
    /// Who spoke.
    pub speaker: SpeakerId,
    /// Start, ms from the start of the call.
    pub start_ms: u64,
    /// End, ms from the start of the call.
    pub end_ms: u64,
    /// What was said (personal data).
    pub text: Sensitive<String>,
    /// Word-level timing, when the source has it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<Word>,
    /// The audio channel, for multichannel sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<u8>,
}

impl Utterance {
    /// Length in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        self.end_ms.saturating_sub(self.start_ms)
    }
}

/// A word with its timing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Word {
    /// The word, with attached punctuation (personal data).
    pub text: Sensitive<String>,
    /// Start, ms from the start of the call.
    pub start_ms: u64,
    /// End, ms from the start of the call.
    pub end_ms: u64,
    /// Recognition confidence between 0 and 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
}

/// A language: a BCP-47 tag, with the raw value the source gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Language {
    /// BCP-47 tag (`en`, `en-US`, `de`).
    pub tag: String,
    /// What the source said (`english`, `eng`, `en-US`).
    #[serde(default)]
    pub raw: Option<String>,
}

/// Which engine produced a transcript, and how.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderInfo {
    /// Engine or format name (`deepgram`, `whisper-local`, `webvtt`).
    pub name: String,
    /// Model, when known.
    #[serde(default)]
    pub model: Option<String>,
    /// The provider's request or job id, when known.
    #[serde(default)]
    pub request_id: Option<String>,
    /// Compute details for local engines.
    #[serde(default)]
    pub processing: Option<ProcessingInfo>,
}

/// How a local engine ran.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessingInfo {
    /// Compute type (`int8`, `float32`).
    #[serde(default)]
    pub compute_type: Option<String>,
    /// Threads used.
    #[serde(default)]
    pub threads: Option<u32>,
    /// Beam size.
    #[serde(default)]
    pub beam_size: Option<u32>,
    /// Audio seconds processed per wall-clock second.
    #[serde(default)]
    pub real_time_factor: Option<f64>,
    /// Wall-clock processing time in ms.
    #[serde(default)]
    pub wall_ms: Option<u64>,
}

/// Something a reader of the transcript should know. Never holds transcript text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TranscriptWarning {
    /// A stable machine-readable code (`mono_audio`, `role_guessed`, `overlap`).
    pub code: String,
    /// A human-readable explanation.
    pub message: String,
}

impl TranscriptWarning {
    /// A warning.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::type_complexity)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Transcript {
        let mut t = Transcript::empty(10_000);
        t.speakers = vec![
            Speaker {
                id: SpeakerId(0),
                label: "spk_0".into(),
                role: SpeakerRole::Rep,
                decided_by: RoleDecision::ChannelMap { channel: 0 },
                name: None,
            },
            Speaker {
                id: SpeakerId(1),
                label: "spk_1".into(),
                role: SpeakerRole::Client,
                decided_by: RoleDecision::Heuristic {
                    rule: "asks-fewer-questions".into(),
                    confidence: 0.7,
                },
                name: Some("Pat".into()),
            },
        ];
        t.utterances = vec![
            Utterance {
                id: UtteranceId(0),
                speaker: SpeakerId(0),
                start_ms: 0,
                end_ms: 2000,
                text: "Hi, how are you?".into(),
                words: vec![Word {
                    text: "Hi,".into(),
                    start_ms: 0,
                    end_ms: 300,
                    confidence: Some(0.9),
                }],
                channel: Some(0),
            },
            Utterance {
                id: UtteranceId(1),
                speaker: SpeakerId(1),
                start_ms: 2500,
                end_ms: 4000,
                text: "Fine, thanks — très bien.".into(),
                words: vec![],
                channel: Some(1),
            },
        ];
        t
    }

    #[test]
    fn round_trip() {
        let t = sample();
        t.validate().unwrap();
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<Transcript>(&json).unwrap(), t);
        assert!(!format!("{t:?}").contains("how are you"));
        assert_eq!(t.role_of(SpeakerId(1)), SpeakerRole::Client);
        assert_eq!(t.role_of(SpeakerId(9)), SpeakerRole::Unknown);
        Transcript::empty(0).validate().unwrap();
    }

    #[test]
    fn every_invariant_names_its_path() {
        let cases: Vec<(Box<dyn Fn(&mut Transcript)>, &str)> = vec![
            (
                Box::new(|t| t.speakers[1].id = SpeakerId(0)),
                "speakers[1].id",
            ),
            (
                Box::new(|t| {
                    t.speakers[1].decided_by = RoleDecision::Heuristic {
                        rule: "r".into(),
                        confidence: 1.5,
                    }
                }),
                "speakers[1].decided_by.confidence",
            ),
            (
                Box::new(|t| t.utterances[1].id = UtteranceId(0)),
                "utterances[1].id",
            ),
            (
                Box::new(|t| t.utterances[1].speaker = SpeakerId(7)),
                "utterances[1].speaker",
            ),
            (
                Box::new(|t| t.utterances[1].end_ms = 2000),
                "utterances[1].end_ms",
            ),
            (
                Box::new(|t| t.utterances[1].end_ms = 10_001),
                "utterances[1].end_ms",
            ),
            (
                Box::new(|t| t.utterances.swap(0, 1)),
                "utterances[1].start_ms",
            ),
            (
                Box::new(|t| t.utterances[0].words[0].end_ms = 3000),
                "utterances[0].words[0].end_ms",
            ),
            (
                Box::new(|t| t.utterances[0].words[0].start_ms = 400),
                "utterances[0].words[0].end_ms",
            ),
            (
                Box::new(|t| t.utterances[0].words[0].confidence = Some(-0.1)),
                "utterances[0].words[0].confidence",
            ),
        ];
        for (mutate, field) in cases {
            let mut t = sample();
            mutate(&mut t);
            assert_eq!(t.validate().unwrap_err().field(), Some(field));
        }
    }
}

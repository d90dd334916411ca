//! Building a transcript from a speech engine's own output (timed words),
//! with the same normalization as imports: turns, channel-interleaving,
//! roles, language, validation.

use closeq_core::{ProviderInfo, Transcript, TranscriptWarning};

use super::assemble::{RawTranscript, RawWord, Units, assemble};
use super::{Format, ImportError, ImportOptions};

/// One recognised word.
#[derive(Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct EngineWord {
    /// The word with its punctuation (personal data).
    pub text: String,
    /// Start, ms from the start of the recording.
    pub start_ms: u64,
    /// End, ms.
    pub end_ms: u64,
    /// The channel it was heard on, for multichannel audio.
    pub channel: Option<u8>,
    /// The engine's speaker label, for diarized audio.
    pub speaker: Option<String>,
    /// Confidence between 0 and 1.
    pub confidence: Option<f32>,
}

impl std::fmt::Debug for EngineWord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineWord")
            .field("start_ms", &self.start_ms)
            .field("end_ms", &self.end_ms)
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

impl EngineWord {
    /// A word heard between `start_ms` and `end_ms`.
    pub fn new(text: impl Into<String>, start_ms: u64, end_ms: u64) -> Self {
        Self {
            text: text.into(),
            start_ms,
            end_ms,
            ..Self::default()
        }
    }

    /// Builder: the channel.
    #[must_use]
    pub fn on_channel(mut self, channel: u8) -> Self {
        self.channel = Some(channel);
        self
    }

    /// Builder: the speaker label.
    #[must_use]
    pub fn by_speaker(mut self, label: impl Into<String>) -> Self {
        self.speaker = Some(label.into());
        self
    }
}

/// What a speech engine produced for one recording.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct EngineOutput {
    /// Words in any order (they are sorted by time; ties keep this order).
    pub words: Vec<EngineWord>,
    /// The language as the engine named it (`en`, `english`).
    pub language: Option<String>,
    /// Length of the audio, ms.
    pub duration_ms: u64,
    /// The engine and how it ran.
    pub provider: ProviderInfo,
    /// Notes for the reader.
    pub warnings: Vec<TranscriptWarning>,
}

impl EngineOutput {
    /// Output for `duration_ms` of audio from `provider`; set the other
    /// fields after.
    pub fn new(duration_ms: u64, provider: ProviderInfo) -> Self {
        Self {
            duration_ms,
            provider,
            ..Self::default()
        }
    }
}

/// Builds a validated transcript from an engine's timed words: turns are
/// built per speaker/channel with `opts.max_gap_ms`, channels interleave
/// by time, and roles follow the rules of [`ImportOptions`] (the channel
/// map first).
pub fn from_engine(out: EngineOutput, opts: &ImportOptions) -> Result<Transcript, ImportError> {
    let words = out
        .words
        .into_iter()
        .map(|w| RawWord {
            text: w.text,
            start_ms: w.start_ms,
            end_ms: w.end_ms,
            speaker: w.speaker,
            channel: w.channel,
            confidence: w.confidence,
            punctuation: false,
        })
        .collect();
    let mut raw = RawTranscript::new(Format::CloseQ, Units::Words(words));
    raw.language = out.language;
    raw.duration_ms = Some(out.duration_ms);
    raw.provider = out.provider;
    raw.warnings = out.warnings;
    assemble(raw, opts)
}

#[cfg(test)]
mod tests {
    use closeq_core::SpeakerRole;

    use super::*;

    #[test]
    fn channels_interleave_by_time_and_take_roles_from_the_channel_map() {
        let words = vec![
            EngineWord::new("Hi,", 0, 300).on_channel(0),
            EngineWord::new("thanks.", 300, 700).on_channel(0),
            EngineWord::new("Sure.", 2_000, 2_400).on_channel(1),
            EngineWord::new("Budget?", 4_000, 4_600).on_channel(0),
            EngineWord::new("Ten.", 800, 1_100).on_channel(1),
        ];
        let out = EngineOutput {
            words,
            language: Some("en".into()),
            duration_ms: 5_000,
            provider: ProviderInfo {
                name: "test-engine".into(),
                ..ProviderInfo::default()
            },
            warnings: Vec::new(),
        };
        let t = from_engine(out, &ImportOptions::default().with_rep_channel(0))
            .unwrap_or_else(|e| panic!("{e}"));
        let order: Vec<(u8, &str)> = t
            .utterances
            .iter()
            .map(|u| (u.channel.unwrap_or(9), u.text.as_str()))
            .collect();
        assert_eq!(
            order,
            vec![(0, "Hi, thanks."), (1, "Ten. Sure."), (0, "Budget?")]
        );
        let rep = t.speaker(t.utterances[0].speaker).map(|s| s.role);
        assert_eq!(rep, Some(SpeakerRole::Rep));
        assert_eq!(t.language.as_ref().map(|l| l.tag.as_str()), Some("en"));
        assert_eq!(
            t.provider.as_ref().map(|p| p.name.as_str()),
            Some("test-engine")
        );
    }
}

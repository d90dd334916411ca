//! Deterministic conversation metrics (the data; computed in closeq-analysis).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A value per side of the call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PerSide<T> {
    /// The rep's value.
    pub rep: T,
    /// The client's value.
    pub client: T,
    /// Everyone else's (other or unknown roles).
    pub other: T,
}

/// The rep's pauses after the client stops talking, in milliseconds.
/// `None` when there was no client-to-rep handover to measure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Patience {
    /// Number of handovers measured.
    pub samples: u32,
    /// Mean pause.
    pub mean_ms: Option<f64>,
    /// Median pause.
    pub median_ms: Option<f64>,
    /// 90th percentile pause.
    pub p90_ms: Option<f64>,
}

/// Talk time per side within one minute of the call, for charts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MinuteBucket {
    /// Minute index from the start (0-based).
    pub minute: u32,
    /// Talk time in this minute per side, ms.
    pub talk_ms: PerSide<u64>,
}

/// Every conversation metric for one call. The exact formula of each is
/// documented where it is computed (`closeq_analysis::metrics`). An empty
/// transcript yields [`ConversationMetrics::default`] (all zero / `None`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationMetrics {
    /// Length of the call, ms.
    pub duration_ms: u64,
    /// Distinct speakers who said something.
    pub speaker_count: u32,
    /// Speaking time per side, ms (overlaps counted for both sides).
    pub talk_ms: PerSide<u64>,
    /// Speaking time per side over total speaking time.
    pub talk_ratio: PerSide<f64>,
    /// Share of the call in which nobody spoke.
    pub silence_share: f64,
    /// Time in which two sides spoke at once, ms.
    pub overlap_ms: u64,
    /// Longest uninterrupted rep stretch, ms.
    pub longest_rep_monologue_ms: u64,
    /// Longest client stretch, tolerating short rep backchannels, ms.
    pub longest_customer_story_ms: u64,
    /// Speaker switches per minute.
    pub interactivity_per_min: f64,
    /// The rep's pause after the client stops talking.
    pub patience: Patience,
    /// Questions asked per side.
    pub questions: PerSide<u32>,
    /// Questions per side in each third of the call.
    pub questions_by_third: PerSide<[u32; 3]>,
    /// Words spoken per side.
    pub words: PerSide<u32>,
    /// Filler words per 100 words, per side.
    pub fillers_per_100_words: PerSide<f64>,
    /// Words per minute of that side's own speaking time.
    pub words_per_minute: PerSide<f64>,
    /// Times a side started while the other was mid-utterance (backchannels excluded).
    pub interruptions: PerSide<u32>,
    /// Talk time per minute.
    #[serde(default)]
    pub timeline: Vec<MinuteBucket>,
}

/// A metric a rubric threshold or coaching note can refer to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MetricKey {
    /// [`ConversationMetrics::talk_ratio`] of the rep (0–1).
    RepTalkRatio,
    /// [`ConversationMetrics::talk_ratio`] of the client (0–1).
    ClientTalkRatio,
    /// [`ConversationMetrics::longest_rep_monologue_ms`] in seconds.
    LongestRepMonologueSecs,
    /// [`ConversationMetrics::longest_customer_story_ms`] in seconds.
    LongestCustomerStorySecs,
    /// [`ConversationMetrics::interactivity_per_min`].
    InteractivityPerMin,
    /// Mean [`Patience`] in seconds.
    PatienceSecs,
    /// Questions asked by the rep.
    RepQuestions,
    /// Questions asked by the client.
    ClientQuestions,
    /// Rep filler words per 100 words.
    RepFillersPer100Words,
    /// Rep words per minute.
    RepWordsPerMinute,
    /// Rep interruptions.
    RepInterruptions,
    /// Share of silence (0–1).
    SilenceShare,
}

impl MetricKey {
    /// Every key.
    pub const ALL: [MetricKey; 12] = [
        Self::RepTalkRatio,
        Self::ClientTalkRatio,
        Self::LongestRepMonologueSecs,
        Self::LongestCustomerStorySecs,
        Self::InteractivityPerMin,
        Self::PatienceSecs,
        Self::RepQuestions,
        Self::ClientQuestions,
        Self::RepFillersPer100Words,
        Self::RepWordsPerMinute,
        Self::RepInterruptions,
        Self::SilenceShare,
    ];
}

impl ConversationMetrics {
    /// The value of `key`, or `None` when it is undefined for this call
    /// (patience without any handover).
    pub fn get(&self, key: MetricKey) -> Option<f64> {
        Some(match key {
            MetricKey::RepTalkRatio => self.talk_ratio.rep,
            MetricKey::ClientTalkRatio => self.talk_ratio.client,
            MetricKey::LongestRepMonologueSecs => self.longest_rep_monologue_ms as f64 / 1000.0,
            MetricKey::LongestCustomerStorySecs => self.longest_customer_story_ms as f64 / 1000.0,
            MetricKey::InteractivityPerMin => self.interactivity_per_min,
            MetricKey::PatienceSecs => self.patience.mean_ms? / 1000.0,
            MetricKey::RepQuestions => f64::from(self.questions.rep),
            MetricKey::ClientQuestions => f64::from(self.questions.client),
            MetricKey::RepFillersPer100Words => self.fillers_per_100_words.rep,
            MetricKey::RepWordsPerMinute => self.words_per_minute.rep,
            MetricKey::RepInterruptions => f64::from(self.interruptions.rep),
            MetricKey::SilenceShare => self.silence_share,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_zeroed_and_round_trips() {
        let m = ConversationMetrics::default();
        assert_eq!(m.get(MetricKey::RepTalkRatio), Some(0.0));
        assert_eq!(m.get(MetricKey::PatienceSecs), None);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(
            serde_json::from_str::<ConversationMetrics>(&json).unwrap(),
            m
        );
        for k in MetricKey::ALL {
            let s = serde_json::to_string(&k).unwrap();
            assert_eq!(serde_json::from_str::<MetricKey>(&s).unwrap(), k);
        }
    }
}

//! What the heuristic scorer computes once per call and shares across
//! rubrics: speaker sides, the transcript fingerprint, agreed next steps.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use closeq_core::{SpeakerRole, Transcript};
use sha2::{Digest, Sha256};

/// A stretch of one utterance, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SpanRef {
    pub utt: u32,
    pub start: u32,
    pub end: u32,
}

/// Phrases that commit to a next step.
const COMMITMENTS: &[&str] = &[
    "let's",
    "let us",
    "i'll send",
    "i will send",
    "i'll set up",
    "i will set up",
    "schedule",
    "book",
    "calendar invite",
    "send over",
    "send you",
    "follow up",
    "follow-up",
    "meet again",
    "next call",
    "next meeting",
    "set up a call",
    "set up a meeting",
    "get back to you",
    "circle back",
    "put something on the calendar",
    "i'll email",
    "i will email",
    "we'll meet",
    "we will meet",
    "talk again",
    "speak again",
    "reconvene",
    "see you",
    "i'll call",
    "i will call",
];

/// Words and phrases that name a date or time.
const DATES: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "tomorrow",
    "next week",
    "next month",
    "this week",
    "end of the week",
    "end of the month",
    "end of day",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "o'clock",
    "noon",
    "in two weeks",
    "in a week",
    "in two days",
    "later today",
    "this afternoon",
    "tomorrow morning",
    "next quarter",
];

fn automaton(words: &[&str]) -> Option<AhoCorasick> {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostLongest)
        .build(words)
        .ok()
}

fn commitments() -> Option<&'static AhoCorasick> {
    static A: OnceLock<Option<AhoCorasick>> = OnceLock::new();
    A.get_or_init(|| automaton(COMMITMENTS)).as_ref()
}

fn dates() -> Option<&'static AhoCorasick> {
    static A: OnceLock<Option<AhoCorasick>> = OnceLock::new();
    A.get_or_init(|| automaton(DATES)).as_ref()
}

pub(crate) fn word_bounded(text: &[u8], start: usize, end: usize, check_end: bool) -> bool {
    let before_ok = start == 0 || !text[start - 1].is_ascii_alphanumeric();
    let after_ok = !check_end || end >= text.len() || !text[end].is_ascii_alphanumeric();
    before_ok && after_ok
}

/// A numeric time (`3pm`, `10:30 am`, `14:00`) or ordinal date (`15th`).
fn has_numeric_time(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let mut j = i;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let digits = j - i;
            let mut k = j;
            let mut colon = false;
            if k + 2 < b.len() + 1
                && k < b.len()
                && b[k] == b':'
                && b.get(k + 1).is_some_and(u8::is_ascii_digit)
                && b.get(k + 2).is_some_and(u8::is_ascii_digit)
            {
                colon = true;
                k += 3;
            }
            let mut m = k;
            while m < b.len() && b[m] == b' ' {
                m += 1;
            }
            let rest = text[m..].to_ascii_lowercase();
            let ampm = rest.starts_with("am")
                || rest.starts_with("pm")
                || rest.starts_with("a.m")
                || rest.starts_with("p.m");
            let after = text[j..].to_ascii_lowercase();
            let ordinal = digits <= 2
                && ["st", "nd", "rd", "th"]
                    .iter()
                    .any(|s| after.starts_with(s));
            if (digits <= 2 && (ampm || colon)) || ordinal {
                return true;
            }
            i = j;
        } else {
            i += 1;
        }
    }
    false
}

/// Facts about one call, computed once.
#[derive(Debug)]
pub(crate) struct CallFacts {
    pub roles: Vec<SpeakerRole>,
    pub fingerprint: String,
    /// Next-step commitments with a date or time, by the utterance's role.
    pub next_steps: Vec<(SpeakerRole, SpanRef)>,
    /// Index of the rep's longest utterance.
    pub longest_rep: Option<u32>,
    /// The rep's longest monologue and the client's longest story, as the
    /// metrics measure them with the default configuration.
    pub stretches: closeq_core::PerSide<Option<crate::metrics::Stretch>>,
    /// Per utterance: has sentence punctuation; opens with an interrogative.
    pub punctuated: Vec<bool>,
    pub opener: Vec<bool>,
    /// Per utterance: contains a `?`.
    pub has_question: Vec<bool>,
}

/// A stable fingerprint of what was said: SHA-256 over each utterance's
/// id, speaker, role, times and text (not over JSON, so it is cheap).
pub fn transcript_fingerprint(t: &Transcript) -> String {
    let mut h = Sha256::new();
    h.update(t.duration_ms.to_le_bytes());
    for u in &t.utterances {
        h.update(u.id.0.to_le_bytes());
        h.update(u.speaker.0.to_le_bytes());
        h.update([t.role_of(u.speaker) as u8]);
        h.update(u.start_ms.to_le_bytes());
        h.update(u.end_ms.to_le_bytes());
        h.update((u.text.len() as u64).to_le_bytes());
        h.update(u.text.as_bytes());
    }
    format!("sha256:{}", hex::encode(h.finalize()))
}

impl CallFacts {
    /// Utterances of `side` that ask a question (a `?`, or an interrogative
    /// opener in unpunctuated text), in order.
    pub(crate) fn questions_by<'a>(&'a self, side: SpeakerRole) -> impl Iterator<Item = u32> + 'a {
        self.roles
            .iter()
            .enumerate()
            .filter(move |(i, r)| **r == side && (self.has_question[*i] || self.opener[*i]))
            .map(|(i, _)| i as u32)
    }

    pub(crate) fn new(t: &Transcript) -> Self {
        let max_id = t.speakers.iter().map(|s| s.id.0).max().unwrap_or(0) as usize;
        let mut by_id = vec![SpeakerRole::Unknown; max_id + 1];
        for s in &t.speakers {
            by_id[s.id.0 as usize] = s.role;
        }
        let roles: Vec<SpeakerRole> = t
            .utterances
            .iter()
            .map(|u| {
                by_id
                    .get(u.speaker.0 as usize)
                    .copied()
                    .unwrap_or(SpeakerRole::Unknown)
            })
            .collect();
        let punctuated: Vec<bool> = t
            .utterances
            .iter()
            .map(|u| crate::text::is_punctuated(&u.text))
            .collect();
        let opener: Vec<bool> = t
            .utterances
            .iter()
            .zip(&punctuated)
            .map(|(u, p)| !p && crate::text::opens_with_interrogative(&u.text))
            .collect();
        let mut next_steps = Vec::new();
        let mut longest = [(0u64, None::<u32>); 2];
        for (i, u) in t.utterances.iter().enumerate() {
            let d = u.duration_ms();
            let slot = match roles[i] {
                SpeakerRole::Rep => Some(0),
                SpeakerRole::Client => Some(1),
                _ => None,
            };
            if let Some(s) = slot
                && (longest[s].1.is_none() || d > longest[s].0)
            {
                longest[s] = (d, Some(i as u32));
            }
            let text = u.text.as_str();
            let bytes = text.as_bytes();
            let Some(commit) = commitments().and_then(|a| {
                a.find_iter(text)
                    .find(|m| word_bounded(bytes, m.start(), m.end(), true))
            }) else {
                continue;
            };
            let dated = dates().is_some_and(|a| {
                a.find_iter(text)
                    .any(|m| word_bounded(bytes, m.start(), m.end(), true))
            }) || has_numeric_time(text);
            if dated {
                next_steps.push((
                    roles[i],
                    SpanRef {
                        utt: i as u32,
                        start: commit.start() as u32,
                        end: commit.end() as u32,
                    },
                ));
            }
        }
        Self {
            roles,
            fingerprint: transcript_fingerprint(t),
            next_steps,
            longest_rep: longest[0].1,
            stretches: crate::metrics::longest_stretches(
                t,
                &crate::metrics::MetricsConfig::default(),
            ),
            has_question: t.utterances.iter().map(|u| u.text.contains('?')).collect(),
            punctuated,
            opener,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_times() {
        assert!(has_numeric_time("see you at 3pm"));
        assert!(has_numeric_time("at 10:30 am works"));
        assert!(has_numeric_time("on the 15th"));
        assert!(has_numeric_time("14:00"));
        assert!(!has_numeric_time("we have 300 seats"));
        assert!(!has_numeric_time("about 50 percent"));
    }
}

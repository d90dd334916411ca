//! Deterministic synthetic calls: a seeded generator of two-speaker calls
//! with realistic turn lengths (about 700 turns and 9,000 words per hour).

use closeq_core::{
    RoleDecision, Speaker, SpeakerId, SpeakerRole, Transcript, Utterance, UtteranceId, Word,
};

const WORDS: &[&str] = &[
    "so",
    "we",
    "the",
    "team",
    "uses",
    "spreadsheets",
    "for",
    "reporting",
    "and",
    "it",
    "takes",
    "about",
    "two",
    "days",
    "every",
    "week",
    "budget",
    "is",
    "approved",
    "for",
    "next",
    "quarter",
    "um",
    "you",
    "know",
    "what",
    "would",
    "change",
    "if",
    "that",
    "was",
    "automated",
    "right",
    "pricing",
    "demo",
    "timeline",
    "decision",
    "process",
    "who",
    "else",
    "involved",
    "basically",
];

/// A tiny deterministic PRNG (xorshift64*), so benches need no dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// Next value.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo).max(1)
    }
}

/// A generated call of `minutes` minutes, with word timings.
pub fn call(minutes: u64, seed: u64) -> Transcript {
    let mut rng = Rng::new(seed);
    let duration = minutes * 60_000;
    let mut t = Transcript::empty(duration);
    for (i, role) in [SpeakerRole::Rep, SpeakerRole::Client]
        .into_iter()
        .enumerate()
    {
        t.speakers.push(Speaker {
            id: SpeakerId(i as u32),
            label: format!("spk_{i}").into(),
            role,
            decided_by: RoleDecision::Provided,
            name: None,
        });
    }
    let mut at = 0u64;
    let mut speaker = 0u32;
    let mut id = 0u32;
    while at < duration {
        let n_words = rng.range(3, 23);
        let mut words = Vec::with_capacity(n_words as usize);
        let mut text = String::new();
        let mut wt = at;
        for k in 0..n_words {
            let mut w = WORDS[(rng.next_u64() % WORDS.len() as u64) as usize].to_owned();
            if k + 1 == n_words {
                w.push(if rng.next_u64().is_multiple_of(3) {
                    '?'
                } else {
                    '.'
                });
            }
            let len = rng.range(250, 450);
            words.push(Word {
                text: w.clone().into(),
                start_ms: wt,
                end_ms: wt + len,
                confidence: Some(0.9),
            });
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&w);
            wt += len;
        }
        if wt > duration {
            break;
        }
        t.utterances.push(Utterance {
            id: UtteranceId(id),
            speaker: SpeakerId(speaker),
            start_ms: at,
            end_ms: wt,
            text: text.into(),
            words,
            channel: None,
        });
        id += 1;
        speaker ^= 1;
        // A pause, sometimes a short overlap.
        let pause = rng.range(0, 1_100);
        at = if rng.next_u64().is_multiple_of(10) {
            wt.saturating_sub(300)
        } else {
            wt + pause
        };
    }
    t
}

/// The same call as a Deepgram pre-recorded response (diarized, with
/// utterances), shaped like the provider's documented JSON.
pub fn deepgram_json(t: &Transcript) -> String {
    use std::fmt::Write;
    let mut words = String::new();
    let mut utts = String::new();
    for u in &t.utterances {
        let mut uw = String::new();
        for w in &u.words {
            let bare = w.text.trim_end_matches(['.', '?']).to_lowercase();
            let item = format!(
                r#"{{"word":"{bare}","start":{:.3},"end":{:.3},"confidence":0.93,"speaker":{},"speaker_confidence":0.81,"punctuated_word":"{}"}}"#,
                w.start_ms as f64 / 1000.0,
                w.end_ms as f64 / 1000.0,
                u.speaker.0,
                w.text.as_str()
            );
            if !words.is_empty() {
                words.push(',');
            }
            words.push_str(&item);
            if !uw.is_empty() {
                uw.push(',');
            }
            uw.push_str(&item);
        }
        if !utts.is_empty() {
            utts.push(',');
        }
        let _ = write!(
            utts,
            r#"{{"start":{:.3},"end":{:.3},"confidence":0.9,"channel":0,"transcript":"{}","words":[{uw}],"speaker":{},"id":"00000000-0000-4000-8000-{:012}"}}"#,
            u.start_ms as f64 / 1000.0,
            u.end_ms as f64 / 1000.0,
            u.text.as_str(),
            u.speaker.0,
            u.id.0
        );
    }
    format!(
        r#"{{"metadata":{{"transaction_key":"deprecated","request_id":"bench","sha256":"0","created":"2026-01-01T00:00:00.000Z","duration":{:.3},"channels":1,"models":["m"],"model_info":{{"m":{{"name":"2-general-nova","version":"x","arch":"nova-2"}}}}}},"results":{{"channels":[{{"alternatives":[{{"transcript":"","confidence":0.9,"words":[{words}]}}]}}],"utterances":[{utts}]}}}}"#,
        t.duration_ms as f64 / 1000.0
    )
}

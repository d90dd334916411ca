//! The deterministic extractive call summary: who spoke, the rep's key
//! questions, the client's stated needs and objections, budget and
//! timeline mentions, and agreed next steps with dates — each line a
//! sentence quoted verbatim from its utterance (see [`summarize`]).

use closeq_core::{CallSummary, EvidenceSpan, SpeakerRole, SummaryKind, SummaryLine, Transcript};

use super::evidence::cite;
use super::facts::{CallFacts, SpanRef};

/// Lines per kind, at most.
const PER_KIND: usize = 3;

/// Cue phrases per kind (lowercase; matched on word starts), and the side
/// whose sentences count.
const CUES: [(SummaryKind, SpeakerRole, &[&str]); 4] = [
    (
        SummaryKind::Need,
        SpeakerRole::Client,
        &[
            "we need",
            "i need",
            "we want",
            "we're looking",
            "we are looking",
            "looking for",
            "takes too long",
            "too slow",
            "problem",
            "struggle",
            "pain",
            "frustrat",
            "costs us",
            "we lose",
            "wrong",
            "manual",
            "by hand",
        ],
    ),
    (
        SummaryKind::Objection,
        SpeakerRole::Client,
        &[
            "too expensive",
            "expensive",
            "worried",
            "worry",
            "concern",
            "not sure",
            "already use",
            "already have",
            "don't think",
            "do not think",
            "not convinced",
            "can't",
            "cannot",
            "risk",
        ],
    ),
    (
        SummaryKind::Budget,
        SpeakerRole::Unknown,
        &[
            "budget", "price", "pricing", "cost", "spend", "afford", "thousand", "€", "$", "£",
        ],
    ),
    (
        SummaryKind::Timeline,
        SpeakerRole::Unknown,
        &[
            "timeline",
            "deadline",
            "by the end of",
            "next quarter",
            "this quarter",
            "q1",
            "q2",
            "q3",
            "q4",
            "next month",
            "this month",
            "this year",
            "next year",
            "go live",
            "go-live",
            "weeks",
            "months",
        ],
    ),
];

/// Whether `needle` starts a word of `hay` (both lowercase).
fn has_cue(hay: &str, needle: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = hay[from..].find(needle) {
        let at = from + i;
        let starts_word = hay[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        if starts_word || !needle.starts_with(|c: char| c.is_alphanumeric()) {
            return Some(at);
        }
        from = at + needle.len();
    }
    None
}

/// The sentence around byte `at` of utterance `utt`, cited.
fn quote(t: &Transcript, f: &CallFacts, utt: usize, at: usize) -> Option<EvidenceSpan> {
    cite(
        t,
        &f.roles,
        SpanRef {
            utt: utt as u32,
            start: at as u32,
            end: at as u32,
        },
    )
}

fn line(kind: SummaryKind, e: EvidenceSpan) -> SummaryLine {
    SummaryLine {
        kind,
        text: e.quote.clone(),
        cite: Some(e),
    }
}

/// The extractive summary of `t`. Deterministic; every line but the
/// speakers line is a sentence of the transcript, quoted verbatim, citing
/// its utterance (checked like evidence quotes). Lines per kind: at most
/// three, in call order; a sentence appears once (under its first kind).
pub fn summarize(t: &Transcript) -> CallSummary {
    summarize_with(t, &CallFacts::new(t))
}

pub(crate) fn summarize_with(t: &Transcript, f: &CallFacts) -> CallSummary {
    let mut lines = Vec::new();
    let mut talk = [0u64; 2];
    for (i, u) in t.utterances.iter().enumerate() {
        match f.roles[i] {
            SpeakerRole::Rep => talk[0] += u.end_ms.saturating_sub(u.start_ms),
            SpeakerRole::Client => talk[1] += u.end_ms.saturating_sub(u.start_ms),
            _ => {}
        }
    }
    let total = (talk[0] + talk[1]).max(1) as f64;
    lines.push(SummaryLine {
        kind: SummaryKind::Speakers,
        text: format!(
            "{} speakers; the rep spoke {:.0} % of the time, the client {:.0} %.",
            t.speakers.len(),
            talk[0] as f64 * 100.0 / total,
            talk[1] as f64 * 100.0 / total
        )
        .into(),
        cite: None,
    });
    let mut seen: Vec<(u32, u32)> = Vec::new();
    let mut push = |lines: &mut Vec<SummaryLine>, kind, e: EvidenceSpan, n: &mut usize| {
        let key = (e.utterance_id.0, e.char_start);
        if *n < PER_KIND && !seen.contains(&key) {
            seen.push(key);
            lines.push(line(kind, e));
            *n += 1;
        }
    };
    // The rep's questions: the question sentences, longest first among the
    // first twelve asked (greetings and "does that work?" are short).
    let mut asked: Vec<EvidenceSpan> = f
        .questions_by(SpeakerRole::Rep)
        .take(12)
        .filter_map(|u| {
            let text = t.utterances.get(u as usize)?.text.as_str();
            quote(t, f, u as usize, text.find('?').unwrap_or(0))
        })
        .filter(|e| e.quote.ends_with('?'))
        .collect();
    asked.sort_by_key(|e| std::cmp::Reverse(e.quote.chars().count()));
    asked.truncate(PER_KIND);
    asked.sort_by_key(|e| e.start_ms);
    let mut n = 0;
    for e in asked {
        push(&mut lines, SummaryKind::Question, e, &mut n);
    }
    for (kind, side, cues) in CUES {
        let mut n = 0;
        for (i, u) in t.utterances.iter().enumerate() {
            if side != SpeakerRole::Unknown && f.roles[i] != side {
                continue;
            }
            let lower = u.text.to_lowercase();
            // Lowercasing keeps byte offsets only for text whose lowercase
            // has the same length; otherwise the sentence is not located.
            if lower.len() != u.text.len() {
                continue;
            }
            if let Some(at) = cues.iter().filter_map(|c| has_cue(&lower, c)).min()
                && let Some(e) = quote(t, f, i, at)
            {
                push(&mut lines, kind, e, &mut n);
            }
        }
    }
    let mut n = 0;
    for (_, span) in &f.next_steps {
        if let Some(e) = cite(t, &f.roles, *span) {
            push(&mut lines, SummaryKind::NextStep, e, &mut n);
        }
    }
    CallSummary {
        method: "extractive".into(),
        lines,
    }
}

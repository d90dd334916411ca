//! Extractive summaries of the bundled sample calls cite only utterances
//! that say what the line claims, quoted verbatim at the cited offsets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use closeq_analysis::scoring::summarize;
use closeq_analysis::transcript::{ImportOptions, import};
use closeq_core::{SpeakerRole, SummaryKind};

const SAMPLES: [&str; 5] = [
    "01_discovery_won",
    "02_discovery_lost",
    "03_demo_follow_up",
    "04_qualification_backchannels",
    "05_demo_fast_talker",
];

/// What each kind's line must say, judged here with words of its own.
fn says(kind: SummaryKind, quote: &str, role: SpeakerRole) -> bool {
    let q = quote.to_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| q.contains(w));
    match kind {
        SummaryKind::Speakers => false,
        SummaryKind::Question => role == SpeakerRole::Rep && q.ends_with('?'),
        SummaryKind::Need => {
            role == SpeakerRole::Client
                && any(&[
                    "need", "want", "looking", "long", "slow", "problem", "struggl", "pain",
                    "frustrat", "cost", "lose", "wrong", "manual", "by hand",
                ])
        }
        SummaryKind::Objection => {
            role == SpeakerRole::Client
                && any(&[
                    "expensive",
                    "worr",
                    "concern",
                    "not sure",
                    "already",
                    "don't think",
                    "do not think",
                    "convinced",
                    "can't",
                    "cannot",
                    "risk",
                ])
        }
        SummaryKind::Budget => any(&[
            "budget", "price", "pricing", "cost", "spend", "afford", "thousand", "€", "$", "£",
        ]),
        SummaryKind::Timeline => any(&[
            "timeline", "deadline", "end of", "quarter", "q1", "q2", "q3", "q4", "month", "year",
            "go live", "go-live", "weeks",
        ]),
        SummaryKind::NextStep => any(&[
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "tomorrow",
            "next week",
            "pm",
            "am",
            ":",
            "th",
        ]),
    }
}

#[test]
fn every_line_cites_an_utterance_that_says_it() {
    let mut kinds = std::collections::BTreeSet::new();
    for name in SAMPLES {
        let text = std::fs::read(format!(
            "{}/../closeq-cli/samples/{name}.txt",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let t = import(
            &text,
            None,
            &ImportOptions::default().with_rep_speaker("Rep"),
        )
        .unwrap();
        let s = summarize(&t);
        assert_eq!(s, summarize(&t), "{name}: deterministic");
        assert_eq!(s.method, "extractive");
        assert_eq!(s.lines[0].kind, SummaryKind::Speakers);
        assert!(s.lines[0].cite.is_none());
        for l in &s.lines[1..] {
            let e = l
                .cite
                .as_ref()
                .unwrap_or_else(|| panic!("{name}: an uncited {:?} line", l.kind));
            assert_eq!(
                l.text.as_str(),
                e.quote.as_str(),
                "{name}: the line is the quote"
            );
            let u = t.utterance(e.utterance_id).unwrap();
            let at: String = u
                .text
                .chars()
                .skip(e.char_start as usize)
                .take((e.char_end - e.char_start) as usize)
                .collect();
            assert_eq!(
                at,
                e.quote.as_str(),
                "{name}: quoted verbatim at its offsets"
            );
            assert_eq!((e.start_ms, e.end_ms), (u.start_ms, u.end_ms));
            assert_eq!(e.speaker_role, t.role_of(u.speaker));
            assert!(
                says(l.kind, &e.quote, e.speaker_role),
                "{name}: a {:?} line that does not say it: {}",
                l.kind,
                e.quote.as_str()
            );
            kinds.insert(format!("{:?}", l.kind));
        }
        let per_kind = |k| s.lines.iter().filter(|l| l.kind == k).count();
        for k in [
            SummaryKind::Question,
            SummaryKind::Need,
            SummaryKind::Budget,
            SummaryKind::NextStep,
        ] {
            assert!(per_kind(k) <= 3);
        }
    }
    // Across the samples the summaries find every kind of line but objections
    // (no sample objects in words the cues know).
    for k in ["Question", "Need", "Budget", "Timeline", "NextStep"] {
        assert!(kinds.contains(k), "no {k} line in any sample: {kinds:?}");
    }
}

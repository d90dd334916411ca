//! Conversation metrics: small transcripts with every metric computed by
//! hand in the test, and property tests of the invariants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use closeq_analysis::metrics::{MetricsConfig, compute};
use closeq_core::{
    ConversationMetrics, MinuteBucket, Patience, PerSide, RoleDecision, Speaker, SpeakerId,
    SpeakerRole, Transcript, Utterance, UtteranceId,
};
use proptest::prelude::*;

const R: SpeakerRole = SpeakerRole::Rep;
const C: SpeakerRole = SpeakerRole::Client;
const U: SpeakerRole = SpeakerRole::Unknown;

/// Speaker i has role roles[i]; lines are (speaker, start, end, text).
fn call(duration: u64, roles: &[SpeakerRole], lines: &[(u32, u64, u64, &str)]) -> Transcript {
    let mut t = Transcript::empty(duration);
    for (i, r) in roles.iter().enumerate() {
        t.speakers.push(Speaker {
            id: SpeakerId(i as u32),
            label: format!("s{i}").into(),
            role: *r,
            decided_by: RoleDecision::Provided,
            name: None,
        });
    }
    for (i, (s, a, b, text)) in lines.iter().enumerate() {
        t.utterances.push(Utterance {
            id: UtteranceId(i as u32),
            speaker: SpeakerId(*s),
            start_ms: *a,
            end_ms: *b,
            text: (*text).into(),
            words: vec![],
            channel: None,
        });
    }
    t.validate().unwrap();
    t
}

fn m(t: &Transcript) -> ConversationMetrics {
    compute(t, &MetricsConfig::default())
}

fn side<T>(rep: T, client: T, other: T) -> PerSide<T> {
    PerSide { rep, client, other }
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}

fn minutes(v: &[(u64, u64, u64)]) -> Vec<MinuteBucket> {
    v.iter()
        .enumerate()
        .map(|(i, (r, c, o))| MinuteBucket {
            minute: i as u32,
            talk_ms: side(*r, *c, *o),
        })
        .collect()
}

#[test]
fn c01_empty_transcript_is_all_zero() {
    assert_eq!(m(&Transcript::empty(0)), ConversationMetrics::default());
    let x = m(&Transcript::empty(90_000));
    assert_eq!(x.silence_share, 1.0);
    assert_eq!(x.timeline.len(), 2);
    assert_eq!(x.talk_ratio, PerSide::default());
}

#[test]
fn c02_one_rep_utterance() {
    let x = m(&call(
        20_000,
        &[R],
        &[(0, 0, 10_000, "Hello there, how are you?")],
    ));
    assert_eq!(x.talk_ms, side(10_000, 0, 0));
    assert_eq!(x.talk_ratio, side(1.0, 0.0, 0.0));
    assert_eq!(x.silence_share, 0.5);
    assert_eq!(x.overlap_ms, 0);
    assert_eq!(x.longest_rep_monologue_ms, 10_000);
    assert_eq!(x.longest_customer_story_ms, 0);
    assert_eq!(x.interactivity_per_min, 0.0);
    assert_eq!(x.patience, Patience::default());
    assert_eq!(x.questions, side(1, 0, 0));
    assert_eq!(x.questions_by_third, side([1, 0, 0], [0; 3], [0; 3]));
    assert_eq!(x.words, side(5, 0, 0));
    assert_eq!(x.fillers_per_100_words, side(0.0, 0.0, 0.0));
    assert_eq!(x.words_per_minute, side(30.0, 0.0, 0.0));
    assert_eq!(x.interruptions, side(0, 0, 0));
    assert_eq!(x.speaker_count, 1);
    assert_eq!(x.timeline, minutes(&[(10_000, 0, 0)]));
}

#[test]
fn c03_alternating_turns() {
    let t = call(
        12_000,
        &[R, C],
        &[
            (0, 0, 4_000, "What is your budget?"),
            (1, 5_000, 9_000, "About fifty thousand euros."),
            (0, 10_000, 12_000, "Great, thanks."),
        ],
    );
    let x = m(&t);
    assert_eq!(x.talk_ms, side(6_000, 4_000, 0));
    close(x.talk_ratio.rep, 0.6);
    close(x.talk_ratio.client, 0.4);
    close(x.silence_share, 2_000.0 / 12_000.0);
    assert_eq!(x.longest_rep_monologue_ms, 4_000);
    assert_eq!(x.longest_customer_story_ms, 4_000);
    close(x.interactivity_per_min, 2.0 / 0.2);
    assert_eq!(
        x.patience,
        Patience {
            samples: 1,
            mean_ms: Some(1_000.0),
            median_ms: Some(1_000.0),
            p90_ms: Some(1_000.0)
        }
    );
    assert_eq!(x.questions, side(1, 0, 0));
    assert_eq!(x.words, side(6, 4, 0));
    close(x.words_per_minute.rep, 60.0);
    close(x.words_per_minute.client, 60.0);
    assert_eq!(x.speaker_count, 2);
}

#[test]
fn c04_overlap_and_interruption() {
    let t = call(
        8_000,
        &[R, C],
        &[
            (
                0,
                0,
                6_000,
                "Let me explain how the integration works in detail",
            ),
            (1, 4_000, 8_000, "Sorry but what about security?"),
        ],
    );
    let x = m(&t);
    assert_eq!(x.talk_ms, side(6_000, 4_000, 0));
    assert_eq!(x.overlap_ms, 2_000);
    assert_eq!(x.silence_share, 0.0);
    assert_eq!(x.interruptions, side(0, 1, 0));
    assert_eq!(x.patience.samples, 0);
    assert_eq!(x.questions, side(0, 1, 0));
    assert_eq!(x.questions_by_third, side([0; 3], [0, 1, 0], [0; 3]));
    close(x.interactivity_per_min, 7.5);
}

#[test]
fn c05_backchannels_neither_interrupt_nor_end_a_story() {
    let t = call(
        20_000,
        &[R, C],
        &[
            (
                1,
                0,
                10_000,
                "We tried three vendors and none of them worked for us",
            ),
            (0, 4_000, 4_500, "uh-huh"),
            (
                1,
                11_000,
                20_000,
                "so now we are looking again at the market",
            ),
        ],
    );
    let x = m(&t);
    assert_eq!(x.talk_ms, side(500, 19_000, 0));
    assert_eq!(x.longest_customer_story_ms, 20_000);
    assert_eq!(x.longest_rep_monologue_ms, 500);
    assert_eq!(x.interruptions, side(0, 0, 0));
    assert_eq!(x.overlap_ms, 500);
    close(x.silence_share, 0.05);
    assert_eq!(
        x.patience.samples, 0,
        "the rep spoke before the client finished"
    );
    close(x.interactivity_per_min, 6.0);
    assert_eq!(x.words, side(1, 20, 0));
    // With backchannels off, the rep's "uh-huh" interrupts and splits the story.
    let strict = compute(&t, &MetricsConfig::default().with_backchannel_max_words(0));
    assert_eq!(strict.interruptions, side(1, 0, 0));
    assert_eq!(strict.longest_customer_story_ms, 10_000);
}

#[test]
fn c06_fillers() {
    let x = m(&call(
        6_000,
        &[R],
        &[(0, 0, 6_000, "Um so you know we basically uh help teams")],
    ));
    assert_eq!(x.words.rep, 9);
    close(x.fillers_per_100_words.rep, 400.0 / 9.0);
    assert_eq!(x.questions.rep, 0);
}

#[test]
fn c07_unpunctuated_speech_to_text_questions() {
    let t = call(
        10_000,
        &[R, C],
        &[
            (0, 0, 3_000, "what does your team use today"),
            (1, 3_500, 6_000, "mostly spreadsheets"),
            (0, 7_000, 9_000, "do you like it"),
            (1, 9_500, 10_000, "no"),
        ],
    );
    let x = m(&t);
    assert_eq!(x.questions, side(2, 0, 0));
    assert_eq!(x.questions_by_third, side([1, 0, 1], [0; 3], [0; 3]));
    assert_eq!(x.patience.samples, 1);
    assert_eq!(x.patience.mean_ms, Some(1_000.0));
}

#[test]
fn c08_patience_statistics() {
    let t = call(
        15_000,
        &[R, C],
        &[
            (1, 0, 1_000, "a"),
            (0, 1_200, 2_000, "b"),
            (1, 2_000, 3_000, "c"),
            (0, 3_400, 4_000, "d"),
            (1, 4_000, 5_000, "e"),
            (0, 5_600, 6_000, "f"),
            (1, 6_000, 7_000, "g"),
            (0, 7_800, 8_000, "h"),
            (1, 8_000, 9_000, "i"),
            (0, 14_000, 15_000, "j"),
        ],
    );
    let x = m(&t);
    assert_eq!(
        x.patience,
        Patience {
            samples: 5,
            mean_ms: Some(1_400.0),
            median_ms: Some(600.0),
            p90_ms: Some(5_000.0)
        }
    );
    assert_eq!(
        x.interruptions,
        side(0, 0, 0),
        "starting exactly at the other's end is no interruption"
    );
}

#[test]
fn c09_timeline_and_long_stretches() {
    let t = call(
        130_000,
        &[R, C],
        &[(0, 50_000, 70_000, "pitch"), (1, 70_000, 130_000, "story")],
    );
    let x = m(&t);
    assert_eq!(
        x.timeline,
        minutes(&[(10_000, 0, 0), (10_000, 50_000, 0), (0, 10_000, 0)])
    );
    assert_eq!(x.longest_rep_monologue_ms, 20_000);
    assert_eq!(x.longest_customer_story_ms, 60_000);
    close(x.silence_share, 50_000.0 / 130_000.0);
}

#[test]
fn c10_unknown_speakers_count_as_other() {
    let t = call(
        7_000,
        &[R, U, C],
        &[
            (0, 0, 2_000, "hello"),
            (1, 2_000, 3_000, "hi all"),
            (2, 3_000, 7_000, "thanks for having us today"),
        ],
    );
    let x = m(&t);
    assert_eq!(x.talk_ms, side(2_000, 4_000, 1_000));
    close(x.talk_ratio.rep, 2.0 / 7.0);
    close(x.talk_ratio.other, 1.0 / 7.0);
    close(x.talk_ratio.client, 4.0 / 7.0);
    assert_eq!(x.speaker_count, 3);
    assert_eq!(x.words, side(1, 5, 2));
}

#[test]
fn c11_long_pauses_end_a_monologue() {
    let t = call(
        30_000,
        &[R],
        &[(0, 0, 10_000, "part one"), (0, 20_000, 30_000, "part two")],
    );
    assert_eq!(m(&t).longest_rep_monologue_ms, 10_000);
    let lenient = compute(
        &t,
        &MetricsConfig::default().with_max_pause_in_stretch_ms(15_000),
    );
    assert_eq!(lenient.longest_rep_monologue_ms, 30_000);
}

#[test]
fn c12_question_mark_runs_and_silent_speakers() {
    let t = call(
        4_000,
        &[R, C],
        &[(0, 0, 2_000, "Really?? And why?"), (1, 2_000, 4_000, "...")],
    );
    let x = m(&t);
    assert_eq!(x.questions.rep, 2);
    assert_eq!(x.words.client, 0);
    assert_eq!(
        x.speaker_count, 1,
        "a speaker who said no word does not count"
    );
}

// ---- properties ----

const VOCAB: &[&str] = &[
    "alpha",
    "beta",
    "gamma",
    "delta",
    "report",
    "team",
    "price",
    "ok.",
    "now?",
    "um",
    "basically",
];

fn arb_call() -> impl Strategy<Value = Transcript> {
    let line = (
        0u32..3,
        0u64..3_000,
        1u64..8_000,
        proptest::collection::vec(0usize..VOCAB.len(), 1..12),
    );
    proptest::collection::vec(line, 0..25).prop_map(|lines| {
        let mut t = Transcript::empty(0);
        for (i, r) in [R, C, U].into_iter().enumerate() {
            t.speakers.push(Speaker {
                id: SpeakerId(i as u32),
                label: format!("s{i}").into(),
                role: r,
                decided_by: RoleDecision::Provided,
                name: None,
            });
        }
        let mut at = 0;
        for (i, (spk, gap, len, words)) in lines.into_iter().enumerate() {
            let start = at + gap;
            let end = start + len;
            let text: Vec<&str> = words.into_iter().map(|w| VOCAB[w]).collect();
            t.utterances.push(Utterance {
                id: UtteranceId(i as u32),
                speaker: SpeakerId(spk),
                start_ms: start,
                end_ms: end,
                text: text.join(" ").into(),
                words: vec![],
                channel: None,
            });
            at = end;
        }
        t.duration_ms = at + 1_000;
        t
    })
}

fn scaled(t: &Transcript, k: u64) -> Transcript {
    let mut s = t.clone();
    s.duration_ms *= k;
    for u in &mut s.utterances {
        u.start_ms *= k;
        u.end_ms *= k;
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x00c1_05e1),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn talk_ratios_sum_to_one_when_anyone_spoke(t in arb_call()) {
        let x = m(&t);
        let total = x.talk_ms.rep + x.talk_ms.client + x.talk_ms.other;
        if total > 0 {
            prop_assert!((x.talk_ratio.rep + x.talk_ratio.client + x.talk_ratio.other - 1.0).abs() < 1e-9);
        } else {
            prop_assert_eq!(x.talk_ratio.rep + x.talk_ratio.client + x.talk_ratio.other, 0.0);
        }
        prop_assert!((0.0..=1.0).contains(&x.silence_share));
    }

    #[test]
    fn scaling_times_scales_durations_not_ratios(t in arb_call(), k in 2u64..6) {
        let cfg = MetricsConfig::default();
        let cfg_k = MetricsConfig::default().with_max_pause_in_stretch_ms(cfg.max_pause_in_stretch_ms * k);
        let a = compute(&t, &cfg);
        let b = compute(&scaled(&t, k), &cfg_k);
        prop_assert_eq!(b.talk_ms.rep, a.talk_ms.rep * k);
        prop_assert_eq!(b.talk_ms.client, a.talk_ms.client * k);
        prop_assert_eq!(b.overlap_ms, a.overlap_ms * k);
        prop_assert_eq!(b.longest_rep_monologue_ms, a.longest_rep_monologue_ms * k);
        prop_assert_eq!(b.longest_customer_story_ms, a.longest_customer_story_ms * k);
        prop_assert!((b.talk_ratio.rep - a.talk_ratio.rep).abs() < 1e-12);
        prop_assert!((b.talk_ratio.client - a.talk_ratio.client).abs() < 1e-12);
        prop_assert!((b.silence_share - a.silence_share).abs() < 1e-12);
        prop_assert!((b.interactivity_per_min * k as f64 - a.interactivity_per_min).abs() < 1e-9);
        prop_assert_eq!(a.patience.samples, b.patience.samples);
        if let (Some(x), Some(y)) = (a.patience.median_ms, b.patience.median_ms) {
            prop_assert!((y - x * k as f64).abs() < 1e-9);
        }
        prop_assert_eq!(a.questions, b.questions);
        prop_assert_eq!(a.interruptions, b.interruptions);
        prop_assert_eq!(a.words, b.words);
    }

    #[test]
    fn splitting_a_turn_without_a_gap_changes_only_counts(t in arb_call(), pick in any::<prop::sample::Index>()) {
        // Sequential calls only (no overlap), no backchannels: see the
        // module docs for why these make the property exact.
        let cfg = MetricsConfig::default().with_backchannel_max_words(0);
        let splittable: Vec<usize> = t.utterances.iter().enumerate()
            .filter(|(_, u)| u.text.split_whitespace().count() >= 2 && u.end_ms - u.start_ms >= 2)
            .map(|(i, _)| i).collect();
        prop_assume!(!splittable.is_empty());
        let i = splittable[pick.index(splittable.len())];
        let mut s = t.clone();
        let u = s.utterances[i].clone();
        let words: Vec<&str> = u.text.split_whitespace().collect();
        let cut = words.len() / 2;
        let mid = u.start_ms + (u.end_ms - u.start_ms) / 2;
        let mut first = u.clone();
        first.end_ms = mid;
        first.text = words[..cut].join(" ").into();
        let mut second = u.clone();
        second.start_ms = mid;
        second.text = words[cut..].join(" ").into();
        s.utterances.splice(i..=i, [first, second]);
        for (j, u) in s.utterances.iter_mut().enumerate() {
            u.id = UtteranceId(j as u32);
        }
        let a = compute(&t, &cfg);
        let b = compute(&s, &cfg);
        prop_assert_eq!(a.talk_ms, b.talk_ms);
        prop_assert_eq!(a.talk_ratio, b.talk_ratio);
        prop_assert_eq!(a.silence_share, b.silence_share);
        prop_assert_eq!(a.overlap_ms, b.overlap_ms);
        prop_assert_eq!(a.longest_rep_monologue_ms, b.longest_rep_monologue_ms);
        prop_assert_eq!(a.longest_customer_story_ms, b.longest_customer_story_ms);
        prop_assert_eq!(a.interactivity_per_min, b.interactivity_per_min, "same speaker: no new switch");
        prop_assert_eq!(a.patience, b.patience);
        prop_assert_eq!(a.questions, b.questions);
        prop_assert_eq!(a.words, b.words);
        prop_assert_eq!(a.fillers_per_100_words, b.fillers_per_100_words);
        prop_assert_eq!(a.words_per_minute, b.words_per_minute);
        prop_assert_eq!(a.interruptions, b.interruptions);
        prop_assert_eq!(a.speaker_count, b.speaker_count);
        prop_assert_eq!(a.timeline, b.timeline);
    }
}

//! The metrics, each with its exact formula.
//!
//! Notation: utterances are taken in start order; each belongs to a *side*
//! — rep, client, or other (speakers with role other or unknown). `T` is
//! the transcript's `duration_ms`. Intervals are half-open `[start, end)`.
//! A *backchannel* is an utterance of at most
//! [`MetricsConfig::backchannel_max_words`] words.
//!
//! * `talk_ms[s]` = length of the union of side `s`'s utterance intervals
//!   (same-side overlaps count once; overlaps between sides count for both).
//! * `talk_ratio[s]` = `talk_ms[s] / Σ talk_ms` (0 when nobody spoke), so
//!   the ratios sum to 1 whenever anyone spoke.
//! * `silence_share` = `1 − |∪ all intervals| / T` (0 when `T` = 0).
//! * `overlap_ms` = length of the time in which at least two sides speak.
//! * `longest_rep_monologue_ms`: over *stretches* of rep speech — maximal
//!   runs of rep utterances in which every other-side utterance is a
//!   backchannel and no silence exceeds
//!   [`MetricsConfig::max_pause_in_stretch_ms`] — the largest
//!   `end(last rep utterance) − start(first rep utterance)`.
//! * `longest_customer_story_ms`: the same for the client, tolerating rep
//!   (and other) backchannels.
//! * `interactivity_per_min` = number of consecutive utterance pairs with
//!   different speakers ÷ (`T` / 60,000) (0 when `T` = 0).
//! * `patience`: for every consecutive pair (client utterance `a`, rep
//!   utterance `b`) with `b.start ≥ a.end`, the pause `b.start − a.end`;
//!   mean, median (mean of the two middle values for even counts) and p90
//!   (nearest rank: the ⌈0.9·n⌉-th smallest). `None` without any pair.
//! * `questions[s]`: per utterance, the number of runs of `?` when the
//!   utterance has any sentence punctuation (`.`, `?`, `!`); otherwise (raw
//!   speech-to-text output) 1 if its first word is an interrogative opener
//!   of the language's lexicon ("what", "how", "do", "could", ...), else 0.
//! * `questions_by_third[s][k]`: the same, for utterances starting in third
//!   `k = min(2, ⌊3·start / T⌋)` of the call.
//! * `words[s]`: tokens separated by whitespace that contain a letter or digit.
//! * `fillers_per_100_words[s]` = 100 × fillers ÷ `words[s]` (0 without
//!   words); fillers are the lexicon's single words ("um", "uh", "basically",
//!   ...) and pairs ("you know", "I mean", "kind of", "sort of").
//! * `words_per_minute[s]` = `words[s]` ÷ (`talk_ms[s]` / 60,000) (0 when
//!   `talk_ms[s]` = 0).
//! * `interruptions[s]`: utterances of side `s`, not backchannels, that
//!   start strictly inside an utterance of another side
//!   (`a.start < b.start < a.end`).
//! * `speaker_count`: distinct speakers with at least one word.
//! * `timeline[m].talk_ms[s]`: `talk_ms[s]` restricted to minute `m`,
//!   for `m` in `0..⌈T / 60,000⌉`.

use closeq_core::{ConversationMetrics, MinuteBucket, Patience, PerSide, SpeakerRole, Transcript};

use super::MetricsConfig;
use super::intervals::{add_to_minutes, intersect, merge, total, union};
use super::lexicon::{Lexicon, Packed, normalize_word};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Rep = 0,
    Client = 1,
    Other = 2,
}

fn side(role: SpeakerRole) -> Side {
    match role {
        SpeakerRole::Rep => Side::Rep,
        SpeakerRole::Client => Side::Client,
        SpeakerRole::Other | SpeakerRole::Unknown => Side::Other,
    }
}

fn per_side<T: Copy>(v: [T; 3]) -> PerSide<T> {
    PerSide {
        rep: v[0],
        client: v[1],
        other: v[2],
    }
}

/// What one pass over an utterance's text yields.
#[derive(Default, Clone, Copy)]
struct TextStats {
    words: u32,
    fillers: u32,
    questions: u32,
}

fn count_word(
    st: &mut TextStats,
    lex: &Lexicon,
    w: Packed,
    prev: &mut Packed,
    first: &mut Option<Packed>,
) {
    st.words += 1;
    if first.is_none() {
        *first = Some(w);
    }
    if w != 0
        && (lex.fillers.contains(&w) || lex.filler_pairs.iter().any(|&(a, b)| b == w && *prev == a))
    {
        st.fillers += 1;
    }
    *prev = w;
}

/// Words, fillers and questions of one utterance, in one pass over its
/// bytes for ASCII text (the common case) and per token otherwise.
fn text_stats(text: &str, lex: &Lexicon) -> TextStats {
    let mut st = TextStats::default();
    let mut prev: Packed = 0;
    let mut first: Option<Packed> = None;
    let mut punctuated = false;
    let mut q_runs = 0u32;
    if text.is_ascii() {
        let b = text.as_bytes();
        let mut in_q = false;
        let mut i = 0;
        while i < b.len() {
            while i < b.len() && b[i].is_ascii_whitespace() {
                in_q = false;
                i += 1;
            }
            let tok_start = i;
            let (mut core_start, mut core_end, mut alnum) = (usize::MAX, 0, false);
            while i < b.len() && !b[i].is_ascii_whitespace() {
                let c = b[i];
                match c {
                    b'?' => {
                        punctuated = true;
                        if !in_q {
                            q_runs += 1;
                        }
                        in_q = true;
                    }
                    b'.' | b'!' => {
                        punctuated = true;
                        in_q = false;
                    }
                    _ => in_q = false,
                }
                let is_alnum = c.is_ascii_alphanumeric();
                if is_alnum || c == b'\'' {
                    if core_start == usize::MAX {
                        core_start = i;
                    }
                    core_end = i + 1;
                    alnum |= is_alnum;
                }
                i += 1;
            }
            if i > tok_start && alnum {
                let w = super::lexicon::pack_core(&b[core_start..core_end]);
                count_word(&mut st, lex, w, &mut prev, &mut first);
            }
        }
    } else {
        punctuated = text.bytes().any(|b| matches!(b, b'.' | b'?' | b'!'));
        let mut in_q = false;
        for c in text.bytes() {
            if c == b'?' {
                if !in_q {
                    q_runs += 1;
                }
                in_q = true;
            } else {
                in_q = false;
            }
        }
        for token in text.split_whitespace() {
            if let Some(w) = normalize_word(token) {
                count_word(&mut st, lex, w, &mut prev, &mut first);
            }
        }
    }
    st.questions = if punctuated {
        q_runs
    } else {
        u32::from(first.is_some_and(|w| w != 0 && lex.openers.contains(&w)))
    };
    st
}

fn percentile_nearest_rank(sorted: &[u64], p: f64) -> f64 {
    let n = sorted.len();
    let rank = ((p * n as f64).ceil() as usize).clamp(1, n);
    sorted[rank - 1] as f64
}

/// Where a side's longest stretch of speech is (see the module docs: the
/// stretch behind `longest_rep_monologue_ms` and
/// `longest_customer_story_ms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stretch {
    /// Index (in `utterances`) of its first utterance.
    pub first: usize,
    /// Index of its last utterance of the side.
    pub last: usize,
    /// Its start.
    pub start_ms: u64,
    /// Its end.
    pub end_ms: u64,
}

/// The longest run of utterances for which `ours` holds, other
/// utterances being backchannels, no gap above the configured pause: the
/// first such run when several tie.
fn scan_stretch(
    t: &Transcript,
    ours: impl Fn(usize) -> bool,
    is_backchannel: impl Fn(usize) -> bool,
    cfg: &MetricsConfig,
) -> Option<Stretch> {
    let mut best: Option<Stretch> = None;
    let mut run: Option<Stretch> = None;
    for (i, u) in t.utterances.iter().enumerate() {
        if ours(i) {
            run = match run {
                Some(r) if u.start_ms <= r.end_ms.saturating_add(cfg.max_pause_in_stretch_ms) => {
                    Some(Stretch {
                        last: i,
                        end_ms: r.end_ms.max(u.end_ms),
                        ..r
                    })
                }
                _ => Some(Stretch {
                    first: i,
                    last: i,
                    start_ms: u.start_ms,
                    end_ms: u.end_ms,
                }),
            };
            if let Some(r) = run
                && best.is_none_or(|b| {
                    r.end_ms.saturating_sub(r.start_ms) > b.end_ms.saturating_sub(b.start_ms)
                })
            {
                best = Some(r);
            }
        } else if !is_backchannel(i) {
            run = None;
        }
    }
    best
}

/// The rep's longest monologue and the client's longest story, located:
/// the stretches whose lengths [`compute`] reports as
/// `longest_rep_monologue_ms` and `longest_customer_story_ms` with the same
/// `cfg`. Cited as the moments behind those metrics.
pub fn longest_stretches(t: &Transcript, cfg: &MetricsConfig) -> PerSide<Option<Stretch>> {
    let side_at = |i: usize| side(t.role_of(t.utterances[i].speaker));
    let max = cfg.backchannel_max_words;
    let backchannel = |i: usize| at_most_words(&t.utterances[i].text, max);
    PerSide {
        rep: scan_stretch(t, |i| side_at(i) == Side::Rep, backchannel, cfg),
        client: scan_stretch(t, |i| side_at(i) == Side::Client, backchannel, cfg),
        other: None,
    }
}

/// Whether `text` has at most `max` words, counted as [`text_stats`]
/// counts them, stopping early.
fn at_most_words(text: &str, max: usize) -> bool {
    let mut n = 0usize;
    let mut count = |word: bool| {
        n += usize::from(word);
        n <= max
    };
    if text.is_ascii() {
        text.split_ascii_whitespace()
            .all(|tok| count(tok.bytes().any(|c| c.is_ascii_alphanumeric())))
    } else {
        text.split_whitespace()
            .all(|tok| count(normalize_word(tok).is_some()))
    }
}

/// Computes every metric of `t`. An empty transcript yields all zeros (and
/// a silence share of 1 when it has a positive duration).
pub fn compute(t: &Transcript, cfg: &MetricsConfig) -> ConversationMetrics {
    let duration = t.duration_ms;
    let n = t.utterances.len();
    if n == 0 {
        return ConversationMetrics {
            duration_ms: duration,
            silence_share: if duration > 0 { 1.0 } else { 0.0 },
            timeline: (0..duration.div_ceil(60_000))
                .map(|m| MinuteBucket {
                    minute: m as u32,
                    talk_ms: PerSide::default(),
                })
                .collect(),
            ..ConversationMetrics::default()
        };
    }
    let lang = t
        .language
        .as_ref()
        .map_or(cfg.language.as_str(), |l| l.tag.as_str());
    let lex = Lexicon::for_language(lang);

    // Speaker id → side lookup (ids are small integers).
    let max_id = t.speakers.iter().map(|s| s.id.0).max().unwrap_or(0) as usize;
    let mut side_of = vec![Side::Other; max_id + 1];
    for s in &t.speakers {
        side_of[s.id.0 as usize] = side(s.role);
    }
    let side_at = |i: usize| {
        side_of
            .get(t.utterances[i].speaker.0 as usize)
            .copied()
            .unwrap_or(Side::Other)
    };

    let mut sides = Vec::with_capacity(n);
    let mut stats = Vec::with_capacity(n);
    let mut spans: [Vec<(u64, u64)>; 3] =
        [Vec::with_capacity(n), Vec::with_capacity(n), Vec::new()];
    let mut words = [0u32; 3];
    let mut fillers = [0u32; 3];
    let mut questions = [0u32; 3];
    let mut by_third = [[0u32; 3]; 3];
    let mut speaking = vec![false; max_id + 1];
    for (i, u) in t.utterances.iter().enumerate() {
        let s = side_at(i);
        let st = text_stats(&u.text, &lex);
        sides.push(s);
        stats.push(st);
        spans[s as usize].push((u.start_ms, u.end_ms));
        words[s as usize] += st.words;
        fillers[s as usize] += st.fillers;
        questions[s as usize] += st.questions;
        let third = u
            .start_ms
            .saturating_mul(3)
            .checked_div(duration)
            .map_or(0, |x| (x as usize).min(2));
        by_third[s as usize][third] += st.questions;
        if st.words > 0
            && let Some(x) = speaking.get_mut(u.speaker.0 as usize)
        {
            *x = true;
        }
    }
    let merged: [Vec<(u64, u64)>; 3] = spans.map(merge);
    let talk = [total(&merged[0]), total(&merged[1]), total(&merged[2])];
    let talk_sum: u64 = talk.iter().sum();
    let ratio = |x: u64| {
        if talk_sum == 0 {
            0.0
        } else {
            x as f64 / talk_sum as f64
        }
    };
    let speech = union(&[&merged[0], &merged[1], &merged[2]]);
    let overlap = union(&[
        &intersect(&merged[0], &merged[1]),
        &intersect(&merged[0], &merged[2]),
        &intersect(&merged[1], &merged[2]),
    ]);
    let silence_share = if duration == 0 {
        0.0
    } else {
        (1.0 - total(&speech) as f64 / duration as f64).max(0.0)
    };

    let is_backchannel = |i: usize| (stats[i].words as usize) <= cfg.backchannel_max_words;
    let longest_stretch = |who: Side| {
        scan_stretch(t, |i| sides[i] == who, is_backchannel, cfg)
            .map_or(0, |x| x.end_ms.saturating_sub(x.start_ms))
    };

    let mut switches = 0u32;
    let mut pauses = Vec::new();
    for i in 1..n {
        let (a, b) = (&t.utterances[i - 1], &t.utterances[i]);
        if a.speaker != b.speaker {
            switches += 1;
        }
        if sides[i - 1] == Side::Client && sides[i] == Side::Rep && b.start_ms >= a.end_ms {
            pauses.push(b.start_ms - a.end_ms);
        }
    }
    let patience = if pauses.is_empty() {
        Patience::default()
    } else {
        pauses.sort_unstable();
        let k = pauses.len();
        let mean = pauses.iter().sum::<u64>() as f64 / k as f64;
        let median = if k % 2 == 1 {
            pauses[k / 2] as f64
        } else {
            (pauses[k / 2 - 1] + pauses[k / 2]) as f64 / 2.0
        };
        Patience {
            samples: k as u32,
            mean_ms: Some(mean),
            median_ms: Some(median),
            p90_ms: Some(percentile_nearest_rank(&pauses, 0.9)),
        }
    };

    // Interruptions: fold utterances that started strictly earlier into a
    // per-side latest end, then test each utterance against the other sides.
    let mut interruptions = [0u32; 3];
    let mut latest_end = [0u64; 3];
    let mut folded = 0;
    for i in 0..n {
        let start = t.utterances[i].start_ms;
        while folded < i && t.utterances[folded].start_ms < start {
            let s = sides[folded] as usize;
            latest_end[s] = latest_end[s].max(t.utterances[folded].end_ms);
            folded += 1;
        }
        if is_backchannel(i) {
            continue;
        }
        let me = sides[i] as usize;
        if (0..3).any(|o| o != me && latest_end[o] > start) {
            interruptions[me] += 1;
        }
    }

    let minutes = duration.div_ceil(60_000) as usize;
    let mut buckets = [
        vec![0u64; minutes],
        vec![0u64; minutes],
        vec![0u64; minutes],
    ];
    for s in 0..3 {
        add_to_minutes(&merged[s], &mut buckets[s]);
    }
    let timeline = (0..minutes)
        .map(|m| MinuteBucket {
            minute: m as u32,
            talk_ms: per_side([buckets[0][m], buckets[1][m], buckets[2][m]]),
        })
        .collect();

    let per100 = |f: u32, w: u32| {
        if w == 0 {
            0.0
        } else {
            100.0 * f64::from(f) / f64::from(w)
        }
    };
    let wpm = |w: u32, ms: u64| {
        if ms == 0 {
            0.0
        } else {
            f64::from(w) / (ms as f64 / 60_000.0)
        }
    };
    ConversationMetrics {
        duration_ms: duration,
        speaker_count: speaking.iter().filter(|x| **x).count() as u32,
        talk_ms: per_side(talk),
        talk_ratio: per_side(talk.map(ratio)),
        silence_share,
        overlap_ms: total(&overlap),
        longest_rep_monologue_ms: longest_stretch(Side::Rep),
        longest_customer_story_ms: longest_stretch(Side::Client),
        interactivity_per_min: if duration == 0 {
            0.0
        } else {
            f64::from(switches) / (duration as f64 / 60_000.0)
        },
        patience,
        questions: per_side(questions),
        questions_by_third: per_side(by_third),
        words: per_side(words),
        fillers_per_100_words: per_side([
            per100(fillers[0], words[0]),
            per100(fillers[1], words[1]),
            per100(fillers[2], words[2]),
        ]),
        words_per_minute: per_side([
            wpm(words[0], talk[0]),
            wpm(words[1], talk[1]),
            wpm(words[2], talk[2]),
        ]),
        interruptions: per_side(interruptions),
        timeline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_early_word_count_agrees_with_text_stats() {
        let lex = Lexicon::for_language("en");
        let texts = [
            "",
            "   ",
            "Okay.",
            "Mm-hmm, sure",
            "' ' -- ?? ok",
            "I see, yes, go on please",
            "Ja, genau — 五万 ok",
            "Ünïcødé wörds ñ and ' ...",
            "a b c d e f g",
        ];
        for text in texts {
            let words = text_stats(text, &lex).words as usize;
            for max in 0..6 {
                assert_eq!(
                    at_most_words(text, max),
                    words <= max,
                    "{text:?} at most {max}"
                );
            }
        }
    }
}

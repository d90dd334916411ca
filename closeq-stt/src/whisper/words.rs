//! Word timings from the decoder's cross-attention alignment, computed as
//! faster-whisper 1.2.1 computes them (`find_alignment` and
//! `add_word_timestamps`), so the two engines time words — and, through the
//! last word's end, place the next 30-second window — the same way:
//!
//! - tokens are grouped into words at spaces, and every punctuation token
//!   is a word of its own while timing; a word starts at the first
//!   alignment frame of its first token and ends at the first frame of the
//!   token after it (20 ms frames);
//! - a sentence-ending mark longer than twice the window's median word
//!   duration (at most 0.7 s) is cut short, and the word after it too;
//! - punctuation is then merged into the neighbouring word, keeping that
//!   word's times;
//! - per segment: a first word after a long pause that runs too long is
//!   shortened, and the segment's own start and end are preferred over a
//!   first or last word that overruns them by more than 0.5 s.

use super::vocab::Vocabulary;

/// Python's `string.punctuation`.
const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
const PREPEND: &str = "\"'“¿([{-";
const APPEND: &str = "\"'.。,，!！?？:：”)]}、";
const SENTENCE_END: &str = ".。!！?？";
/// Alignment frames per second (encoder frames, 20 ms).
const TOKENS_PER_SECOND: f64 = 50.0;

/// One word of a window, times in seconds from the window's start until
/// [`time_window`] makes them absolute.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TimedWord {
    /// The word as decoded, with its leading space and merged punctuation.
    pub text: String,
    /// How many text tokens it spans.
    pub tokens: usize,
    pub start: f64,
    pub end: f64,
    pub probability: f32,
}

/// A segment of a window: its time span (absolute seconds) and how many
/// text tokens it holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SegmentSpan {
    pub start: f64,
    pub end: f64,
    pub text_tokens: usize,
}

/// Splits tokens (plus a final end-of-text) into words as faster-whisper's
/// `split_tokens_on_spaces` does: a new word at a leading space, at a
/// special token, and at every punctuation-only piece. Returns each word's
/// text and token count; multi-token characters stay together.
pub(crate) fn split_words(vocab: &Vocabulary, tokens: &[usize]) -> Vec<(String, usize)> {
    let full = vocab.decode(tokens);
    let mut pieces: Vec<(String, usize)> = Vec::new();
    let (mut current, mut offset) = (Vec::new(), 0usize);
    for &t in tokens {
        current.push(t);
        let decoded = vocab.decode(&current);
        let complete = match decoded.find('\u{fffd}') {
            None => true,
            Some(i) => full[..]
                .get(offset + i..)
                .is_some_and(|s| s.starts_with('\u{fffd}')),
        };
        if complete {
            offset += decoded.len();
            pieces.push((decoded, current.len()));
            current.clear();
        }
    }
    let mut words: Vec<(String, usize)> = Vec::new();
    for (piece, n) in pieces {
        let with_space = piece.starts_with(' ');
        let punctuation = PUNCTUATION.contains(piece.trim());
        match words.last_mut() {
            Some(last) if !with_space && !punctuation => {
                last.0.push_str(&piece);
                last.1 += n;
            }
            _ => words.push((piece, n)),
        }
    }
    words
}

/// faster-whisper's `find_alignment` for one window: `text_tokens` are the
/// window's text tokens, `first_frames[i]` the first alignment frame of
/// token `i` (one more entry, for the end-of-text token), `probs` the
/// tokens' probabilities.
pub(crate) fn align_words(
    vocab: &Vocabulary,
    text_tokens: &[usize],
    first_frames: &[usize],
    probs: &[f32],
) -> Vec<TimedWord> {
    let words = split_words(vocab, text_tokens);
    let mut out = Vec::with_capacity(words.len());
    let mut at = 0usize;
    for (text, n) in words {
        let (Some(&s), Some(&e)) = (first_frames.get(at), first_frames.get(at + n)) else {
            break;
        };
        let p = probs.get(at..at + n).filter(|p| !p.is_empty());
        out.push(TimedWord {
            text,
            tokens: n,
            start: s as f64 / TOKENS_PER_SECOND,
            end: e as f64 / TOKENS_PER_SECOND,
            probability: p.map_or(0.0, |p| p.iter().sum::<f32>() / p.len() as f32),
        });
        at += n;
    }
    out
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// faster-whisper's `add_word_timestamps` for one window. `words` come
/// from [`align_words`] (times from the window start); `segments` are the
/// window's segments, adjusted in place; `time_offset` is the window's
/// start and `last_speech` the end of the last speech before it (both
/// absolute seconds; `last_speech` is updated). Returns each segment's
/// words, times absolute.
pub(crate) fn time_window(
    mut words: Vec<TimedWord>,
    segments: &mut [SegmentSpan],
    time_offset: f64,
    last_speech: &mut f64,
) -> Vec<Vec<TimedWord>> {
    let mut durations: Vec<f64> = words
        .iter()
        .map(|w| w.end - w.start)
        .filter(|d| *d != 0.0)
        .collect();
    durations.sort_by(f64::total_cmp);
    let median = match durations.len() {
        0 => 0.0,
        n if n % 2 == 1 => durations[n / 2],
        n => (durations[n / 2 - 1] + durations[n / 2]) / 2.0,
    }
    .min(0.7);
    let max_duration = median * 2.0;
    if !durations.is_empty() {
        for i in 1..words.len() {
            if words[i].end - words[i].start > max_duration {
                // As in Python, `word in marks` is a substring test.
                if SENTENCE_END.contains(words[i].text.as_str()) {
                    words[i].end = words[i].start + max_duration;
                } else if SENTENCE_END.contains(words[i - 1].text.as_str()) {
                    words[i].start = words[i].end - max_duration;
                }
            }
        }
    }
    merge_punctuation(&mut words);

    let mut out = Vec::with_capacity(segments.len());
    let mut next = 0usize;
    for seg in segments.iter_mut() {
        let mut saved = 0usize;
        let mut seg_words: Vec<TimedWord> = Vec::new();
        while next < words.len() && saved < seg.text_tokens {
            let w = &words[next];
            if !w.text.is_empty() {
                seg_words.push(TimedWord {
                    start: round2(time_offset + w.start),
                    end: round2(time_offset + w.end),
                    ..w.clone()
                });
            }
            saved += w.tokens;
            next += 1;
        }
        if !seg_words.is_empty() {
            let n = seg_words.len();
            let first_too_long = seg_words[0].end - seg_words[0].start > max_duration
                || (n > 1 && seg_words[1].end - seg_words[0].start > max_duration * 2.0);
            if seg_words[0].end - *last_speech > median * 4.0 && first_too_long {
                if n > 1 && seg_words[1].end - seg_words[1].start > max_duration {
                    let boundary = (seg_words[1].end / 2.0).max(seg_words[1].end - max_duration);
                    seg_words[0].end = boundary;
                    seg_words[1].start = boundary;
                }
                seg_words[0].start = (seg_words[0].end - max_duration).max(0.0);
            }
            if seg.start < seg_words[0].end && seg.start - 0.5 > seg_words[0].start {
                seg_words[0].start = (seg_words[0].end - median).min(seg.start).max(0.0);
            } else {
                seg.start = seg_words[0].start;
            }
            let last = n - 1;
            if seg.end > seg_words[last].start && seg.end + 0.5 < seg_words[last].end {
                seg_words[last].end = (seg_words[last].start + median).max(seg.end);
            } else {
                seg.end = seg_words[last].end;
            }
            *last_speech = seg.end;
        }
        out.push(seg_words);
    }
    out
}

/// faster-whisper's `merge_punctuations`: opening marks join the next
/// word, closing marks the previous one; the emptied word keeps no text.
fn merge_punctuation(words: &mut [TimedWord]) {
    if words.len() >= 2 {
        let mut i = words.len() - 2;
        let mut j = words.len() - 1;
        loop {
            let prev_text = words[i].text.clone();
            if prev_text.starts_with(' ') && PREPEND.contains(prev_text.trim()) {
                let tokens = words[i].tokens;
                words[j].text = format!("{prev_text}{}", words[j].text);
                words[j].tokens += tokens;
                words[i].text.clear();
                words[i].tokens = 0;
            } else {
                j = i;
            }
            if i == 0 {
                break;
            }
            i -= 1;
        }
    }
    let (mut i, mut j) = (0usize, 1usize);
    while j < words.len() {
        let following = words[j].text.clone();
        // `following in appended` is a substring test, true for an emptied
        // word too (merging nothing), exactly as in faster-whisper.
        if !words[i].text.ends_with(' ') && APPEND.contains(following.as_str()) {
            let tokens = words[j].tokens;
            words[i].text.push_str(&following);
            words[i].tokens += tokens;
            words[j].text.clear();
            words[j].tokens = 0;
        } else {
            i = j;
        }
        j += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(text: &str, start: f64, end: f64) -> TimedWord {
        TimedWord {
            text: text.into(),
            tokens: 1,
            start,
            end,
            probability: 1.0,
        }
    }

    #[test]
    fn punctuation_merges_and_keeps_the_word_times() {
        let mut words = vec![
            w(" Hello", 0.0, 0.4),
            w(",", 0.4, 0.5),
            w(" (world", 0.5, 0.9),
            w(")", 0.9, 1.0),
        ];
        merge_punctuation(&mut words);
        assert_eq!(words[0].text, " Hello,");
        assert_eq!(words[0].end, 0.4);
        assert_eq!(words[0].tokens, 2);
        assert_eq!(words[1].text, "");
        assert_eq!(words[2].text, " (world)");
    }

    #[test]
    fn segment_end_is_preferred_over_an_overlong_last_word() {
        let words = vec![
            w(" one", 0.0, 0.3),
            w(" two", 0.3, 0.6),
            w(" three", 0.6, 3.0),
        ];
        let mut segs = [SegmentSpan {
            start: 10.0,
            end: 11.0,
            text_tokens: 3,
        }];
        let mut last = 0.0;
        let out = time_window(words, &mut segs, 10.0, &mut last);
        assert_eq!(out[0].len(), 3);
        // 11.0 + 0.5 < 13.0: the last word is clipped to the segment end.
        assert_eq!(out[0][2].end, 11.0);
        assert_eq!(last, 11.0);
    }

    #[test]
    fn a_long_sentence_end_mark_is_cut_to_twice_the_median() {
        let words = vec![
            w(" a", 0.0, 0.2),
            w(" b", 0.2, 0.4),
            w(".", 0.4, 2.4),
            w(" c", 2.4, 2.6),
        ];
        let mut segs = [SegmentSpan {
            start: 0.0,
            end: 3.0,
            text_tokens: 4,
        }];
        let mut last = 0.0;
        let out = time_window(words, &mut segs, 0.0, &mut last);
        // "." merged into " b." keeps b's times; " c" follows.
        assert_eq!(
            out[0].iter().map(|w| w.text.as_str()).collect::<Vec<_>>(),
            [" a", " b.", " c"]
        );
    }
}

//! Small text routines shared by metrics and scoring.

/// English words that open a question in unpunctuated text (the metrics
/// lexicon packs the same list, plus the contraction `whats`).
pub(crate) const OPENERS: [&str; 37] = [
    "what",
    "why",
    "how",
    "when",
    "where",
    "who",
    "whom",
    "whose",
    "which",
    "do",
    "does",
    "did",
    "is",
    "are",
    "was",
    "were",
    "can",
    "could",
    "would",
    "will",
    "should",
    "shall",
    "have",
    "has",
    "may",
    "might",
    "am",
    "isn't",
    "aren't",
    "don't",
    "doesn't",
    "didn't",
    "won't",
    "can't",
    "wouldn't",
    "couldn't",
    "shouldn't",
];

/// Whether `text` has any sentence punctuation.
pub(crate) fn is_punctuated(text: &str) -> bool {
    text.bytes().any(|b| matches!(b, b'.' | b'?' | b'!'))
}

/// The byte range of the sentence containing byte `pos`: from after the
/// previous `.`, `?` or `!` (plus whitespace) through the next one.
pub(crate) fn sentence_bounds(text: &str, pos: usize) -> (usize, usize) {
    let b = text.as_bytes();
    let pos = pos.min(b.len());
    let mut start = b[..pos]
        .iter()
        .rposition(|c| matches!(c, b'.' | b'?' | b'!'))
        .map_or(0, |i| i + 1);
    while start < pos && b[start].is_ascii_whitespace() {
        start += 1;
    }
    let end = b[pos..]
        .iter()
        .position(|c| matches!(c, b'.' | b'?' | b'!'))
        .map_or(b.len(), |i| pos + i + 1);
    (start, end)
}

/// Whether an unpunctuated utterance opens with an interrogative word.
pub(crate) fn opens_with_interrogative(text: &str) -> bool {
    text.split_whitespace()
        .next()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
                .to_ascii_lowercase()
        })
        .is_some_and(|w| OPENERS.contains(&w.as_str()))
}

/// [`is_question_at`] with the utterance-level facts precomputed.
pub(crate) fn is_question_at_with(text: &str, pos: usize, punctuated: bool, opener: bool) -> bool {
    if punctuated {
        let b = text.as_bytes();
        let end = b[pos.min(b.len())..]
            .iter()
            .position(|c| matches!(c, b'.' | b'?' | b'!'));
        end.is_some_and(|i| b[pos + i] == b'?')
    } else {
        opener
    }
}

/// Whether the sentence containing byte `pos` is a question: it ends with
/// `?`, or, in unpunctuated text, the utterance opens with an interrogative.
#[cfg(test)]
pub(crate) fn is_question_at(text: &str, pos: usize) -> bool {
    if is_punctuated(text) {
        let (_, end) = sentence_bounds(text, pos);
        end > 0 && text.as_bytes().get(end - 1) == Some(&b'?')
    } else {
        text.split_whitespace()
            .next()
            .map(|w| {
                w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
                    .to_ascii_lowercase()
            })
            .is_some_and(|w| OPENERS.contains(&w.as_str()))
    }
}

/// Converts a byte offset in `text` to a char offset.
pub(crate) fn char_offset(text: &str, byte: usize) -> usize {
    text.get(..byte.min(text.len()))
        .map_or(0, |s| s.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_and_questions() {
        let t = "Hi Sam. What is your budget? We have time.";
        let p = t.find("budget").unwrap();
        let (s, e) = sentence_bounds(t, p);
        assert_eq!(&t[s..e], "What is your budget?");
        assert!(is_question_at(t, p));
        assert!(!is_question_at(t, t.find("time").unwrap()));
        assert!(is_question_at("what is your budget", 10));
        assert!(!is_question_at("our budget is fine", 4));
        assert_eq!(char_offset("héllo", 3), 2);
    }
}

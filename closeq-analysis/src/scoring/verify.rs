//! The citation verifier: a quote counts only if it occurs (after
//! whitespace and case normalization) in the utterance it cites, as whole
//! words, and that utterance is on the side the criterion requires. A quote
//! shorter than [`MIN_QUOTE_WORDS`] words counts only when it is the whole
//! cited utterance: a fragment like "yes" or "a" is said in many utterances
//! and shows nothing about the one cited. A quote the cited utterance lacks
//! is refused even when another utterance has it; the refusal says so.

use closeq_core::{EvidenceSide, EvidenceSpan, SpeakerRole, Transcript, UtteranceId};

use crate::text::char_offset;

/// Lower-cases and collapses whitespace runs to one space, keeping a map
/// from each normalized byte to the original byte offset.
fn normalize(s: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(s.len());
    let mut map = Vec::with_capacity(s.len());
    let mut in_space = true;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() {
            if !in_space {
                out.push(' ');
                map.push(i);
                in_space = true;
            }
            continue;
        }
        in_space = false;
        for lc in c.to_lowercase() {
            let before = out.len();
            out.push(lc);
            for _ in before..out.len() {
                map.push(i);
            }
        }
    }
    if out.ends_with(' ') {
        out.pop();
        map.pop();
    }
    map.push(s.len());
    (out, map)
}

/// The fewest words a quote needs, unless it is the whole cited utterance.
///
/// Three words: enough that a quote says something about the utterance it
/// cites ("budget is approved", "our CEO signs"), short enough for any real
/// statement. A word is a run of letters or digits; in scripts written
/// without spaces (Chinese, Japanese, Thai) each character counts as one.
pub const MIN_QUOTE_WORDS: usize = 3;

/// Whether `c` belongs to a script written without spaces between words,
/// where each character is counted as a word and may start or end a quote.
fn unspaced(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF // Thai, Lao
        | 0x3040..=0x30FF // Hiragana, Katakana
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xF900..=0xFAFF // CJK compatibility ideographs
        | 0x20000..=0x3FFFF // CJK extensions B and later
    )
}

/// A character inside a word: a letter or digit of a spaced script.
fn word_char(c: char) -> bool {
    c.is_alphanumeric() && !unspaced(c)
}

/// The number of words in `s`: runs of letters or digits, each unspaced
/// character counting as one.
fn word_count(s: &str) -> usize {
    let mut n = 0usize;
    let mut in_word = false;
    for c in s.chars() {
        if unspaced(c) {
            n = n.saturating_add(1);
            in_word = false;
        } else if word_char(c) {
            if !in_word {
                n = n.saturating_add(1);
            }
            in_word = true;
        } else {
            in_word = false;
        }
    }
    n
}

/// `s` without the punctuation and spaces around its first and last word.
fn words_only(s: &str) -> &str {
    s.trim_matches(|c: char| !c.is_alphanumeric())
}

/// The byte offset in `hay` of the first occurrence of `q` that neither
/// starts nor ends inside a word ("yes" is not found in "yesterday").
fn find_words(hay: &str, q: &str) -> Option<usize> {
    let mut from = 0usize;
    while let Some(i) = hay.get(from..).and_then(|h| h.find(q)) {
        let at = from + i;
        let end = at + q.len();
        let starts_clean = !q.chars().next().is_some_and(word_char)
            || !hay[..at].chars().next_back().is_some_and(word_char);
        let ends_clean = !q.chars().next_back().is_some_and(word_char)
            || !hay[end..].chars().next().is_some_and(word_char);
        if starts_clean && ends_clean {
            return Some(at);
        }
        from = at + hay[at..].chars().next().map_or(1, char::len_utf8);
    }
    None
}

/// Why a citation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    NoSuchUtterance,
    QuoteNotFound,
    WrongSide,
    EmptyQuote,
    TooShort,
    FromAnotherUtterance,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoSuchUtterance => f.write_str("cites an utterance that does not exist"),
            Self::QuoteNotFound => f.write_str("quote not found in the cited utterance"),
            Self::WrongSide => f.write_str("quote is from the wrong side for this criterion"),
            Self::EmptyQuote => f.write_str("empty quote"),
            Self::TooShort => write!(
                f,
                "quote too short: fewer than {MIN_QUOTE_WORDS} words and not the whole utterance"
            ),
            Self::FromAnotherUtterance => {
                f.write_str("quote is from another utterance, not the cited one")
            }
        }
    }
}

/// Verifies one citation; on success returns the evidence span, quoting
/// the utterance's own text (not the model's rendering of it).
pub(crate) fn verify(
    t: &Transcript,
    side: EvidenceSide,
    utterance: u32,
    quote: &str,
) -> Result<EvidenceSpan, Refusal> {
    let u = t
        .utterance(UtteranceId(utterance))
        .ok_or(Refusal::NoSuchUtterance)?;
    let (q, _) = normalize(
        quote.trim_matches(|c: char| c.is_whitespace() || c == '"' || c == '“' || c == '”'),
    );
    let words = word_count(&q);
    if words == 0 {
        return Err(Refusal::EmptyQuote);
    }
    let (hay, map) = normalize(&u.text);
    if words < MIN_QUOTE_WORDS && words_only(&q) != words_only(&hay) {
        return Err(Refusal::TooShort);
    }
    let Some(at) = find_words(&hay, &q) else {
        let elsewhere = t
            .utterances
            .iter()
            .filter(|o| o.id != u.id)
            .any(|o| find_words(&normalize(&o.text).0, &q).is_some());
        return Err(if elsewhere {
            Refusal::FromAnotherUtterance
        } else {
            Refusal::QuoteNotFound
        });
    };
    let role = t.role_of(u.speaker);
    let side_ok = match side {
        EvidenceSide::Rep => role == SpeakerRole::Rep,
        EvidenceSide::Client => role == SpeakerRole::Client,
        EvidenceSide::Either => true,
    };
    if !side_ok {
        return Err(Refusal::WrongSide);
    }
    let start = map[at];
    let end_norm = at + q.len();
    let end = if end_norm >= map.len() - 1 {
        u.text.len()
    } else {
        // The original byte just past the last normalized char.
        let last = map[end_norm - 1];
        last + u.text[last..].chars().next().map_or(0, char::len_utf8)
    };
    let original = &u.text[start..end];
    let cs = char_offset(&u.text, start);
    Ok(EvidenceSpan {
        utterance_id: u.id,
        char_start: cs as u32,
        char_end: (cs + original.chars().count()) as u32,
        start_ms: u.start_ms,
        end_ms: u.end_ms,
        quote: original.to_owned().into(),
        speaker_role: role,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_counted_per_script() {
        assert_eq!(word_count("yes"), 1);
        assert_eq!(word_count("the budget, approved!"), 3);
        assert_eq!(word_count("... -- !"), 0);
        assert_eq!(word_count("予算は承認済み"), 7);
        assert_eq!(word_count("it's 20 hours"), 4);
    }

    #[test]
    fn quotes_match_whole_words_only() {
        assert_eq!(find_words("we needed it yesterday", "yes"), None);
        assert_eq!(find_words("yesterday, yes.", "yes"), Some(11));
        assert_eq!(find_words("our ceo signs off", "our ceo sign"), None);
        assert_eq!(find_words("is it approved?", "approved?"), Some(6));
        assert_eq!(find_words("予算は承認済み", "承認"), Some(9));
    }

    proptest::proptest! {
        /// Any quote against any utterance: a span inside the text, or a
        /// refusal; never a panic (case folding changes byte lengths).
        #[test]
        fn any_quote_gives_a_span_or_a_refusal(text in "[^\\r\\n]{1,40}", from in 0usize..40, len in 0usize..40, junk in "\\PC{0,6}") {
            let input = format!("[00:00:00] Rep: {text}\n[00:00:05] Client: ok then\n");
            let Ok(t) = crate::transcript::import(
                input.as_bytes(),
                None,
                &crate::transcript::ImportOptions::default().with_rep_speaker("Rep"),
            ) else {
                return Ok(());
            };
            let Some(u) = t.utterances.first() else { return Ok(()) };
            let chars: Vec<char> = u.text.chars().collect();
            let a = from.min(chars.len());
            let b = a.saturating_add(len).min(chars.len());
            let sub: String = chars[a..b].iter().collect();
            for quote in [sub.clone(), sub.to_uppercase(), format!("{sub}{junk}"), u.text.to_string()] {
                if let Ok(span) = verify(&t, EvidenceSide::Either, u.id.0, &quote) {
                    proptest::prop_assert!(span.char_start <= span.char_end);
                    proptest::prop_assert!(span.char_end as usize <= chars.len());
                }
            }
            // The whole utterance, quoted exactly, always verifies.
            let whole = verify(&t, EvidenceSide::Either, u.id.0, u.text.as_str());
            proptest::prop_assert_eq!(whole.is_ok(), word_count(&normalize(u.text.as_str()).0) > 0);
        }
    }

    #[test]
    fn normalization_keeps_offsets() {
        let (n, map) = normalize("  What  IS\tyour Budget? ");
        assert_eq!(n, "what is your budget?");
        assert_eq!(map[0], 2);
        assert_eq!(map.len(), n.len() + 1);
    }
}

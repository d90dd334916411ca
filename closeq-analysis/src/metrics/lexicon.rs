//! Word lists for fillers and question openers, per language, and a
//! zero-allocation word normalizer.
//!
//! Words are compared as [`Packed`] values: up to 16 ASCII bytes,
//! lower-cased, in one `u128`, so a lexicon lookup is a handful of integer
//! comparisons instead of string comparisons.

/// A normalized word packed into an integer; `0` for words that cannot be
/// packed (non-ASCII or longer than 16 bytes), which match no lexicon entry.
pub(crate) type Packed = u128;

/// Packs a lower-case ASCII word (at most 16 bytes) at compile time.
const fn pack(s: &str) -> Packed {
    let b = s.as_bytes();
    let mut v: u128 = 0;
    let mut i = 0;
    while i < b.len() && i < 16 {
        v |= (b[i] as u128) << (8 * i);
        i += 1;
    }
    v
}

const fn pack_all<const N: usize>(words: [&str; N]) -> [Packed; N] {
    let mut out = [0; N];
    let mut i = 0;
    while i < N {
        out[i] = pack(words[i]);
        i += 1;
    }
    out
}

/// English single-word fillers.
const EN_FILLERS: [Packed; 10] = pack_all([
    "um",
    "umm",
    "uh",
    "uhh",
    "er",
    "erm",
    "ah",
    "hmm",
    "basically",
    "literally",
]);
/// English two-word fillers.
const EN_FILLER_PAIRS: [(Packed, Packed); 4] = [
    (pack("you"), pack("know")),
    (pack("i"), pack("mean")),
    (pack("kind"), pack("of")),
    (pack("sort"), pack("of")),
];
/// English words that open a question in unpunctuated text: the shared
/// list in [`crate::text::OPENERS`], plus `whats`.
const EN_OPENERS: [Packed; 38] = {
    let base = pack_all(crate::text::OPENERS);
    let mut out = [0; 38];
    let mut i = 0;
    while i < base.len() {
        out[i] = base[i];
        i += 1;
    }
    out[37] = pack("whats");
    out
};

/// The word lists for one language.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lexicon {
    pub fillers: &'static [Packed],
    pub filler_pairs: &'static [(Packed, Packed)],
    pub openers: &'static [Packed],
}

impl Lexicon {
    pub(crate) fn for_language(lang: &str) -> Self {
        let primary = lang.split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("en") {
            Self {
                fillers: &EN_FILLERS,
                filler_pairs: &EN_FILLER_PAIRS,
                openers: &EN_OPENERS,
            }
        } else {
            Self {
                fillers: &[],
                filler_pairs: &[],
                openers: &[],
            }
        }
    }
}

/// Packs a token core that is ASCII and at most 16 bytes, lower-cased;
/// anything else packs to 0 (a word, but no lexicon entry).
pub(crate) fn pack_core(core: &[u8]) -> Packed {
    if core.len() > 16 || !core.is_ascii() {
        return 0;
    }
    let mut v: u128 = 0;
    for (i, &c) in core.iter().enumerate() {
        v |= u128::from(c.to_ascii_lowercase()) << (8 * i);
    }
    v
}

/// Normalizes one whitespace-separated token: surrounding punctuation
/// (anything but letters, digits and `'`) removed, ASCII lower-cased.
/// Returns `None` for tokens without a letter or digit, otherwise the packed
/// word (0 when it cannot be packed).
pub(crate) fn normalize_word(token: &str) -> Option<Packed> {
    if token.is_ascii() {
        let b = token.as_bytes();
        let keep = |c: &u8| c.is_ascii_alphanumeric() || *c == b'\'';
        let start = b.iter().position(keep)?;
        let end = b.iter().rposition(keep)? + 1;
        let core = &b[start..end];
        if !core.iter().any(u8::is_ascii_alphanumeric) {
            return None;
        }
        return Some(pack_core(core));
    }
    let core = token.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'');
    if !core.chars().any(char::is_alphanumeric) {
        return None;
    }
    Some(pack_core(core.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization() {
        assert_eq!(normalize_word("Um,"), Some(pack("um")));
        assert_eq!(normalize_word("\"Basically\"..."), Some(pack("basically")));
        assert_eq!(normalize_word("don't?"), Some(pack("don't")));
        assert_eq!(normalize_word("..."), None);
        assert_eq!(normalize_word("—"), None);
        assert_eq!(normalize_word("très"), Some(0));
        assert_eq!(normalize_word("internationalization"), Some(0));
    }
}

//! Word lists for fillers and question openers, per language.

/// English single-word fillers.
const EN_FILLERS: &[&str] = &[
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
];
/// English two-word fillers.
const EN_FILLER_PAIRS: &[(&str, &str)] = &[
    ("you", "know"),
    ("i", "mean"),
    ("kind", "of"),
    ("sort", "of"),
];
/// English words that open a question in unpunctuated text.
const EN_OPENERS: &[&str] = &[
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

/// The word lists for one language.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lexicon {
    pub fillers: &'static [&'static str],
    pub filler_pairs: &'static [(&'static str, &'static str)],
    pub openers: &'static [&'static str],
}

impl Lexicon {
    pub(crate) fn for_language(lang: &str) -> Self {
        let primary = lang.split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("en") {
            Self {
                fillers: EN_FILLERS,
                filler_pairs: EN_FILLER_PAIRS,
                openers: EN_OPENERS,
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

/// A word with surrounding punctuation removed, ASCII-lower-cased into `buf`
/// (no allocation once `buf` has grown). Returns `None` for tokens without
/// a letter or digit.
pub(crate) fn normalize_word<'b>(token: &str, buf: &'b mut String) -> Option<&'b str> {
    let t = token.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'');
    if !t.chars().any(char::is_alphanumeric) {
        return None;
    }
    buf.clear();
    for c in t.chars() {
        buf.push(c.to_ascii_lowercase());
    }
    Some(buf.as_str())
}

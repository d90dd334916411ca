//! Finding an erased subject's mentions in other calls without erasing
//! other people.
//!
//! The subject's identifiers are every e-mail address, phone number and
//! name on their calls. E-mail addresses, phone numbers (written or spoken)
//! and full names (two words or more) are matched in every call; a call
//! holding one of them is *linked* to the subject, and only in linked calls
//! do single name parts match ("Anna" after "Anna Schmidt" was mentioned),
//! and only where they are not part of someone else's name ("Anna Berg",
//! "Max Schmidt", "Anna-Lena"). A call that names another Anna and nothing
//! of the subject keeps every word.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use closeq_core::{Call, Member, Subject};

use crate::redaction::{Kind, Redactor, phone_digits, same_phone_digits};

/// The subject's identifiers, as found in text.
#[derive(Debug, Default)]
pub(crate) struct Identifiers {
    /// Lower-cased.
    emails: Vec<String>,
    /// Digits only.
    phones: Vec<String>,
    /// Names as written in the calls' client contacts.
    names: Vec<String>,
}

impl Identifiers {
    /// Every identifier of `subject` and of the client contacts of its
    /// calls. A user (rep) subject contributes none: their calls' clients
    /// are other people.
    pub(crate) fn of(subject: &Subject, calls: &[Call]) -> Self {
        let mut ids = Self::default();
        match subject {
            Subject::Email(e) => ids.add_email(e.as_str()),
            Subject::Phone(p) => ids.add_phone(p.as_str()),
            Subject::User(_) => return ids,
        }
        for c in calls {
            if let Some(e) = &c.client.email {
                ids.add_email(e.as_str());
            }
            if let Some(p) = &c.client.phone {
                ids.add_phone(p.as_str());
            }
            if let Some(n) = &c.client.name {
                let n = n.as_str().split_whitespace().collect::<Vec<_>>().join(" ");
                if !n.is_empty() && !ids.names.iter().any(|x| x.eq_ignore_ascii_case(&n)) {
                    ids.names.push(n);
                }
            }
        }
        ids
    }

    /// A member's own identifiers: their display name and e-mail
    /// address (never their calls' clients).
    pub(crate) fn of_member(member: &Member) -> Self {
        let mut ids = Self::default();
        if let Some(e) = &member.email {
            ids.add_email(e.as_str());
        }
        if let Some(n) = &member.display_name {
            let n = n.as_str().split_whitespace().collect::<Vec<_>>().join(" ");
            if !n.is_empty() {
                ids.names.push(n);
            }
        }
        ids
    }

    fn add_email(&mut self, e: &str) {
        let e = e.to_lowercase();
        if !self.emails.contains(&e) {
            self.emails.push(e);
        }
    }

    fn add_phone(&mut self, p: &str) {
        let d = phone_digits(p);
        if !d.is_empty() && !self.phones.contains(&d) {
            self.phones.push(d);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.emails.is_empty() && self.phones.is_empty() && self.names.is_empty()
    }
}

/// Capitalised words that may stand next to a name without being part of
/// another person's name: titles, greetings, sentence openers.
const NOT_NAMES: &[&str] = &[
    "mr",
    "mrs",
    "ms",
    "miss",
    "dr",
    "prof",
    "sir",
    "madam",
    "herr",
    "frau",
    "i",
    "hi",
    "hello",
    "hey",
    "dear",
    "thanks",
    "thank",
    "yes",
    "no",
    "so",
    "and",
    "but",
    "or",
    "ok",
    "okay",
    "well",
    "oh",
    "ah",
    "ask",
    "call",
    "tell",
    "email",
    "mail",
    "ping",
    "meet",
    "met",
    "with",
    "for",
    "from",
    "to",
    "sorry",
    "please",
    "sure",
    "great",
    "right",
    "morning",
    "evening",
    "afternoon",
    "good",
    "bye",
    "cheers",
    "regards",
    "then",
    "also",
    "is",
    "was",
    "did",
    "does",
    "has",
    "had",
    "will",
    "can",
    "could",
    "would",
    "should",
    "when",
    "where",
    "why",
    "how",
    "what",
    "who",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Finds the subject's mentions.
pub(crate) struct Mentions {
    /// E-mail addresses and phone numbers (no names).
    contacts: Redactor,
    /// Full names: two words or more.
    full: Option<AhoCorasick>,
    /// Name parts of three letters or more (single-word names included).
    parts: Option<AhoCorasick>,
    /// The same parts, lower-cased, to tell the subject's name words from
    /// another person's next to a match.
    part_words: Vec<String>,
    ids: Identifiers,
}

fn automaton(patterns: &[String]) -> Option<AhoCorasick> {
    if patterns.is_empty() {
        return None;
    }
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostLongest)
        .build(patterns)
        .ok()
}

impl Mentions {
    pub(crate) fn new(ids: Identifiers) -> Self {
        let mut full = Vec::new();
        let mut parts: Vec<String> = Vec::new();
        for n in &ids.names {
            let words: Vec<&str> = n.split(' ').collect();
            if words.len() > 1 {
                full.push(n.clone());
            }
            for w in words {
                if w.chars().count() >= 3 && !parts.iter().any(|p| p.eq_ignore_ascii_case(w)) {
                    parts.push(w.to_owned());
                }
            }
        }
        Self {
            // The key is irrelevant: findings are replaced, never pseudonymised.
            contacts: Redactor::new([0; 32], &[]),
            full: automaton(&full),
            part_words: parts.iter().map(|p| p.to_lowercase()).collect(),
            parts: automaton(&parts),
            ids,
        }
    }

    /// Whether `text` names the subject unambiguously: one of their
    /// e-mail addresses or phone numbers, or their full name.
    pub(crate) fn links(&self, text: &str) -> bool {
        self.strong(text).next().is_some()
    }

    /// `text` with each of the subject's mentions replaced by `[ERASED]`,
    /// or `None` when it holds none. Name parts count only in a `linked`
    /// call.
    pub(crate) fn redact(&self, text: &str, linked: bool) -> Option<String> {
        let mut found: Vec<(usize, usize)> = self.strong(text).collect();
        if linked {
            found.extend(self.parts_in(text));
        }
        found.sort_by_key(|&(s, e)| (s, std::cmp::Reverse(e)));
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (s, e) in found {
            if s >= at {
                out.push_str(&text[at..s]);
                out.push_str("[ERASED]");
                at = e;
            }
        }
        (at > 0).then(|| {
            out.push_str(&text[at..]);
            out
        })
    }

    /// Spans of e-mail addresses, phone numbers and full names.
    fn strong<'a>(&'a self, text: &'a str) -> impl Iterator<Item = (usize, usize)> + 'a {
        let contacts = self.contacts.find(text).into_iter().filter_map(move |f| {
            let span = &text[f.start..f.end];
            let hit = match f.kind {
                Kind::Email => self.ids.emails.contains(&span.to_lowercase()),
                Kind::Phone => {
                    let digits = phone_digits(span);
                    self.ids
                        .phones
                        .iter()
                        .any(|p| same_phone_digits(&digits, p))
                }
                _ => false,
            };
            hit.then_some((f.start, f.end))
        });
        let names = self.full.iter().flat_map(move |ac| {
            ac.find_iter(text)
                .map(|m| (m.start(), m.end()))
                .filter(move |&(s, e)| bounded(text, s, e))
        });
        contacts.chain(names)
    }

    /// Spans of name parts that are not part of another person's name.
    fn parts_in<'a>(&'a self, text: &'a str) -> impl Iterator<Item = (usize, usize)> + 'a {
        // Lower-case-only text (raw speech-to-text) has no capitals to go by.
        let cased = text.chars().any(char::is_uppercase);
        self.parts.iter().flat_map(move |ac| {
            ac.find_iter(text)
                .map(|m| (m.start(), m.end()))
                .filter(move |&(s, e)| {
                    bounded(text, s, e)
                        && (!cased
                            || (capitalised(&text[s..e])
                                && !self.other_name(next_word(text, e))
                                && !self.other_name(prev_word(text, s))))
                })
        })
    }

    /// Whether a word next to a name part makes it someone else's name: a
    /// capitalised word that is not one of the subject's name parts nor a
    /// title, greeting or sentence opener.
    fn other_name(&self, word: Option<&str>) -> bool {
        word.is_some_and(|w| {
            let lower = w.to_lowercase();
            capitalised(w)
                && !self.part_words.contains(&lower)
                && !NOT_NAMES.contains(&lower.as_str())
        })
    }
}

fn capitalised(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase)
}

/// Whether `c` continues a word (a letter or digit, or a hyphen or
/// apostrophe joining two name parts as in "Anna-Lena").
fn joins(c: Option<char>, beyond: Option<char>) -> bool {
    match c {
        Some(c) if c.is_alphanumeric() => true,
        Some('-') | Some('\'') => beyond.is_some_and(char::is_alphabetic),
        _ => false,
    }
}

/// Whether `text[s..e]` is a whole word (or run of words).
fn bounded(text: &str, s: usize, e: usize) -> bool {
    let mut before = text[..s].chars().rev();
    let mut after = text[e..].chars();
    let (b1, b2) = (before.next(), before.next());
    let (a1, a2) = (after.next(), after.next());
    // "Anna's" is Anna; "Anna-Lena" and "O'Anna" are other names.
    let after_joins = match a1 {
        Some('\'') => a2.is_some_and(char::is_alphabetic) && !matches!(a2, Some('s' | 'S')),
        c => joins(c, a2),
    };
    !joins(b1, b2) && !after_joins
}

/// The word right after `text[..e]` when only spaces separate them.
fn next_word(text: &str, e: usize) -> Option<&str> {
    let rest = &text[e..];
    let trimmed = rest.trim_start_matches([' ', '\t']);
    if trimmed.len() == rest.len() {
        return None;
    }
    let end = trimmed
        .find(|c: char| !(c.is_alphabetic() || c == '-'))
        .unwrap_or(trimmed.len());
    Some(&trimmed[..end]).filter(|w| !w.is_empty())
}

/// The word right before `text[s..]` when only spaces separate them.
fn prev_word(text: &str, s: usize) -> Option<&str> {
    let head = &text[..s];
    let trimmed = head.trim_end_matches([' ', '\t']);
    if trimmed.len() == head.len() {
        return None;
    }
    let start = trimmed
        .rfind(|c: char| !(c.is_alphabetic() || c == '-'))
        .map_or(0, |i| {
            i + trimmed[i..].chars().next().map_or(1, char::len_utf8)
        });
    Some(&trimmed[start..]).filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mentions(names: &[&str]) -> Mentions {
        Mentions::new(Identifiers {
            emails: vec!["anna@x.example".into()],
            phones: vec![phone_digits("+49 30 1234 5601")],
            names: names.iter().map(|n| (*n).to_owned()).collect(),
        })
    }

    #[test]
    fn full_names_everywhere_parts_only_in_linked_calls() {
        let m = mentions(&["Anna Schmidt"]);
        assert_eq!(
            m.redact("Ask Anna Schmidt.", false).as_deref(),
            Some("Ask [ERASED].")
        );
        assert_eq!(m.redact("Ask Anna.", false), None);
        assert_eq!(
            m.redact("Ask Anna.", true).as_deref(),
            Some("Ask [ERASED].")
        );
        assert!(m.links("write to ANNA@x.example"));
        assert!(m.links("ring 030 1234 5601"));
        assert!(!m.links("Anna called"));
    }

    #[test]
    fn other_peoples_names_stay_in_linked_calls() {
        let m = mentions(&["Anna Schmidt"]);
        for kept in [
            "Anna Berg called.",
            "Max Schmidt called.",
            "Anna-Lena called.",
            "Annabelle called.",
            "Schmidt-Weber called.",
        ] {
            assert_eq!(m.redact(kept, true), None, "{kept}");
        }
        for (text, erased) in [
            ("Anna's team", "[ERASED]'s team"),
            ("Thanks Anna, bye", "Thanks [ERASED], bye"),
            ("Ms Schmidt agreed", "Ms [ERASED] agreed"),
            ("Anna Schmidt and Anna Berg", "[ERASED] and Anna Berg"),
            ("Schmidt, Anna", "[ERASED], [ERASED]"),
            ("anna said so", "[ERASED] said so"),
        ] {
            assert_eq!(m.redact(text, true).as_deref(), Some(erased), "{text}");
        }
    }

    #[test]
    fn neighbouring_words() {
        assert_eq!(next_word("Anna Berg, hi", 4), Some("Berg"));
        assert_eq!(next_word("Anna, Berg", 4), None);
        assert_eq!(prev_word("Max Schmidt", 4), Some("Max"));
        assert_eq!(prev_word("Grüße Schmidt", 8), Some("Grüße"));
        assert_eq!(prev_word("x, Schmidt", 3), None);
    }
}

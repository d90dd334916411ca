//! Deterministic redaction of personal data in text: e-mail addresses,
//! phone numbers (written, and spoken as digit words), payment card numbers
//! (Luhn-checked), IBANs (mod-97 checked) and names known from call
//! metadata. Each finding is replaced by a stable keyed pseudonym,
//! `[EMAIL_1f2e3d4c]`: HMAC-SHA256 with a per-workspace key over the
//! normalized value, so the same person gets the same pseudonym across a
//! workspace's calls, and nobody without the key can link or reverse it.

use std::fmt;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// An e-mail address.
    Email,
    /// A phone number, written or spoken.
    Phone,
    /// A payment card number.
    Card,
    /// An IBAN.
    Iban,
    /// A known name.
    Name,
}

impl Kind {
    /// The label used in pseudonyms.
    pub fn label(self) -> &'static str {
        match self {
            Self::Email => "EMAIL",
            Self::Phone => "PHONE",
            Self::Card => "CARD",
            Self::Iban => "IBAN",
            Self::Name => "NAME",
        }
    }
}

/// One detected span (byte offsets into the input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finding {
    /// Kind.
    pub kind: Kind,
    /// Start byte.
    pub start: usize,
    /// End byte (exclusive).
    pub end: usize,
}

/// Redacts text for one workspace.
#[derive(Clone)]
pub struct Redactor {
    key: [u8; 32],
    names: Option<AhoCorasick>,
    /// For each name pattern: whether it is a single part of a full name
    /// (then it must be capitalised, unless the text has no capitals).
    part: Vec<bool>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor").finish_non_exhaustive()
    }
}

const DIGIT_WORDS: &[(&str, u8)] = &[
    ("zero", 0),
    ("oh", 0),
    ("o", 0),
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
];

/// Whether two phone numbers, as digit strings ([`phone_digits`]), are
/// the same number: the same digits, or the same last nine (a national
/// form of an international number).
pub fn same_phone_digits(a: &str, b: &str) -> bool {
    let tail = |s: &str| s.chars().rev().take(9).collect::<String>();
    a.len() >= 7 && (a == b || (a.len() >= 9 && b.len() >= 9 && tail(a) == tail(b)))
}

/// The digits of a phone number as written (`+44 20 7946 0000`) or
/// spoken (`oh two oh, seven nine four six, double oh ...`).
pub fn phone_digits(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::new();
    let mut repeat = 1;
    for token in lower.split(|c: char| !c.is_ascii_alphanumeric()) {
        if token.is_empty() {
            continue;
        }
        if token.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(token);
            repeat = 1;
            continue;
        }
        match token {
            "double" => repeat = 2,
            "triple" => repeat = 3,
            w => {
                if let Some((_, v)) = DIGIT_WORDS.iter().find(|(d, _)| *d == w) {
                    for _ in 0..repeat {
                        out.push(char::from(b'0' + v));
                    }
                }
                repeat = 1;
            }
        }
    }
    out
}

fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(*d);
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

fn iban_ok(s: &str) -> bool {
    let c: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
    if !(15..=34).contains(&c.len())
        || !c[0].is_ascii_uppercase()
        || !c[1].is_ascii_uppercase()
        || !c[2].is_ascii_digit()
        || !c[3].is_ascii_digit()
        || !c
            .iter()
            .all(|x| x.is_ascii_uppercase() || x.is_ascii_digit())
    {
        return false;
    }
    let rearranged = c[4..].iter().chain(&c[..4]);
    let mut rem = 0u32;
    for ch in rearranged {
        let v = if ch.is_ascii_digit() {
            *ch as u32 - '0' as u32
        } else {
            *ch as u32 - 'A' as u32 + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// `2026-05-01`, `01/05/2026`, `1.5.2026`: dates, not phone numbers.
fn is_date(s: &str) -> bool {
    let groups: Vec<&str> = s.split(['-', '/', '.']).collect();
    if groups.len() != 3
        || !groups
            .iter()
            .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    matches!(
        lens.as_slice(),
        [4, 1..=2, 1..=2] | [1..=2, 1..=2, 4] | [1..=2, 1..=2, 2]
    )
}

fn is_email_local(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"._%+-".contains(&b)
}

fn is_email_domain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'-'
}

impl Redactor {
    /// A redactor with the workspace's pseudonym key and the names known
    /// from call metadata (full names; their parts of 3+ letters match too).
    pub fn new(key: [u8; 32], known_names: &[&str]) -> Self {
        let mut pats: Vec<(String, bool)> = Vec::new();
        for n in known_names {
            let n = n.trim();
            let parts: Vec<&str> = n.split_whitespace().collect();
            if n.chars().count() >= 3 {
                pats.push((n.to_owned(), parts.len() == 1));
            }
            if parts.len() > 1 {
                for part in parts {
                    if part.chars().count() >= 3 {
                        pats.push((part.to_owned(), true));
                    }
                }
            }
        }
        pats.sort();
        pats.dedup_by(|a, b| a.0.eq_ignore_ascii_case(&b.0));
        let part: Vec<bool> = pats.iter().map(|p| p.1).collect();
        let pats: Vec<String> = pats.into_iter().map(|p| p.0).collect();
        let names = (!pats.is_empty())
            .then(|| {
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&pats)
                    .ok()
            })
            .flatten();
        Self { key, names, part }
    }

    /// Every finding in `text`, ordered and non-overlapping (earlier,
    /// longer findings win).
    pub fn find(&self, text: &str) -> Vec<Finding> {
        let mut f = Vec::new();
        self.emails(text, &mut f);
        self.ibans(text, &mut f);
        self.numbers(text, &mut f);
        self.spoken_numbers(text, &mut f);
        self.known_names(text, &mut f);
        f.sort_by_key(|x| (x.start, std::cmp::Reverse(x.end)));
        let mut out: Vec<Finding> = Vec::new();
        for x in f {
            if out.last().is_none_or(|l| x.start >= l.end) {
                out.push(x);
            }
        }
        out
    }

    /// The text with every finding replaced by its pseudonym.
    pub fn redact(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for f in self.find(text) {
            out.push_str(&text[at..f.start]);
            out.push_str(&self.pseudonym(f.kind, &text[f.start..f.end]));
            at = f.end;
        }
        out.push_str(&text[at..]);
        out
    }

    /// The stable pseudonym of a value.
    pub fn pseudonym(&self, kind: Kind, value: &str) -> String {
        let norm: String = match kind {
            Kind::Email | Kind::Name => value.to_lowercase(),
            _ => value
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_lowercase(),
        };
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&self.key) {
            Ok(m) => m,
            Err(_) => return format!("[{}]", kind.label()),
        };
        mac.update(kind.label().as_bytes());
        mac.update(b"|");
        mac.update(norm.as_bytes());
        let h = mac.finalize().into_bytes();
        format!("[{}_{}]", kind.label(), hex::encode(&h[..4]))
    }

    fn emails(&self, text: &str, out: &mut Vec<Finding>) {
        let b = text.as_bytes();
        for (i, _) in text.match_indices('@') {
            let mut s = i;
            while s > 0 && is_email_local(b[s - 1]) {
                s -= 1;
            }
            let mut e = i + 1;
            while e < b.len() && is_email_domain(b[e]) {
                e += 1;
            }
            while e > i + 1 && (b[e - 1] == b'.' || b[e - 1] == b'-') {
                e -= 1;
            }
            let domain = &text[i + 1..e];
            let tld_ok = domain.rsplit_once('.').is_some_and(|(h, t)| {
                !h.is_empty() && t.len() >= 2 && t.bytes().all(|c| c.is_ascii_alphabetic())
            });
            if s < i && tld_ok {
                out.push(Finding {
                    kind: Kind::Email,
                    start: s,
                    end: e,
                });
            }
        }
    }

    fn ibans(&self, text: &str, out: &mut Vec<Finding>) {
        let b = text.as_bytes();
        let mut i = 0;
        while i + 4 <= b.len() {
            let starts = b[i].is_ascii_uppercase()
                && b[i + 1].is_ascii_uppercase()
                && b[i + 2].is_ascii_digit()
                && b[i + 3].is_ascii_digit()
                && (i == 0 || !b[i - 1].is_ascii_alphanumeric());
            if starts {
                // Extend over alphanumerics and single spaces between groups.
                let mut e = i;
                let mut last_good = i;
                while e < b.len()
                    && (b[e].is_ascii_uppercase()
                        || b[e].is_ascii_digit()
                        || (b[e] == b' '
                            && e + 1 < b.len()
                            && b[e + 1].is_ascii_alphanumeric()
                            && b[e + 1].is_ascii_uppercase() | b[e + 1].is_ascii_digit()))
                {
                    e += 1;
                    if b[e - 1] != b' ' {
                        last_good = e;
                        if iban_ok(&text[i..last_good])
                            && (last_good == b.len() || !b[last_good].is_ascii_alphanumeric())
                        {
                            out.push(Finding {
                                kind: Kind::Iban,
                                start: i,
                                end: last_good,
                            });
                        }
                    }
                }
                let _ = last_good;
            }
            i += 1;
        }
    }

    /// Digit runs with separators: cards (13–19 digits, Luhn) or phones
    /// (7–15 digits).
    fn numbers(&self, text: &str, out: &mut Vec<Finding>) {
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let start_ok = (b[i].is_ascii_digit() || b[i] == b'+' || b[i] == b'(')
                && (i == 0 || !b[i - 1].is_ascii_alphanumeric());
            if !start_ok {
                i += 1;
                continue;
            }
            let mut e = i;
            let mut digits = Vec::new();
            let mut last_digit_end = i;
            while e < b.len() {
                let c = b[e];
                if c.is_ascii_digit() {
                    digits.push(c - b'0');
                    last_digit_end = e + 1;
                } else if matches!(c, b' ' | b'-' | b'.' | b'(' | b')' | b'+') && e + 1 < b.len() {
                    // A separator must be followed by a digit or another separator.
                    let next = b[e + 1];
                    if !(next.is_ascii_digit() || matches!(next, b'(' | b' ' | b'-')) {
                        break;
                    }
                    if c == b'+' && e != i {
                        break;
                    }
                } else {
                    break;
                }
                e += 1;
            }
            let end = last_digit_end;
            let bounded = end >= b.len() || !b[end].is_ascii_alphanumeric();
            let n = digits.len();
            if bounded && (13..=19).contains(&n) && luhn(&digits) {
                out.push(Finding {
                    kind: Kind::Card,
                    start: i,
                    end,
                });
            } else if bounded && (7..=15).contains(&n) && !is_date(&text[i..end]) {
                let s = if b[i] == b'(' || b[i] == b'+' || b[i].is_ascii_digit() {
                    i
                } else {
                    i + 1
                };
                out.push(Finding {
                    kind: Kind::Phone,
                    start: s,
                    end,
                });
            }
            i = end.max(i + 1);
        }
    }

    /// Seven or more digit words in a row ("five five five, one two ...").
    fn spoken_numbers(&self, text: &str, out: &mut Vec<Finding>) {
        let lower = text.to_ascii_lowercase();
        let mut tokens: Vec<(usize, usize, &str)> = Vec::new();
        let mut s = None;
        for (i, c) in lower.char_indices() {
            if c.is_ascii_alphabetic() {
                if s.is_none() {
                    s = Some(i);
                }
            } else if let Some(st) = s.take() {
                tokens.push((st, i, &lower[st..i]));
            }
        }
        if let Some(st) = s {
            tokens.push((st, lower.len(), &lower[st..]));
        }
        let value = |w: &str| DIGIT_WORDS.iter().find(|(d, _)| *d == w).map(|(_, v)| *v);
        let mut i = 0;
        while i < tokens.len() {
            let mut j = i;
            let mut count = 0;
            let mut run_end = tokens[i].1;
            while j < tokens.len() {
                let w = tokens[j].2;
                // Only separators (spaces, commas, hyphens, dots) between words.
                if j > i
                    && !lower[tokens[j - 1].1..tokens[j].0]
                        .chars()
                        .all(|c| matches!(c, ' ' | ',' | '-' | '.'))
                {
                    break;
                }
                let mult = match w {
                    "double" => 2,
                    "triple" => 3,
                    _ => 1,
                };
                if mult > 1 {
                    if let Some(next) = tokens.get(j + 1).and_then(|t| value(t.2)) {
                        let _ = next;
                        count += mult;
                        run_end = tokens[j + 1].1;
                        j += 2;
                        continue;
                    }
                    break;
                }
                if value(w).is_none() || (w == "o" && count == 0) {
                    break;
                }
                count += 1;
                run_end = tokens[j].1;
                j += 1;
            }
            if count >= 7 {
                out.push(Finding {
                    kind: Kind::Phone,
                    start: tokens[i].0,
                    end: run_end,
                });
                i = j;
            } else {
                i += 1;
            }
        }
    }

    fn known_names(&self, text: &str, out: &mut Vec<Finding>) {
        let Some(ac) = &self.names else { return };
        let b = text.as_bytes();
        // Lower-case-only text (raw speech-to-text) carries no capitals to go by.
        let cased = text.chars().any(char::is_uppercase);
        for m in ac.find_iter(text) {
            let before = m.start() == 0 || !b[m.start() - 1].is_ascii_alphanumeric();
            let after = m.end() >= b.len() || !b[m.end()].is_ascii_alphanumeric();
            let capital_ok =
                !cased || !self.part[m.pattern().as_usize()] || b[m.start()].is_ascii_uppercase();
            if before && after && capital_ok {
                out.push(Finding {
                    kind: Kind::Name,
                    start: m.start(),
                    end: m.end(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn phone_digits_reads_written_and_spoken_numbers() {
        assert_eq!(phone_digits("+44 20 7946 0000"), "442079460000");
        assert_eq!(
            phone_digits("oh two oh, seven nine four six, double oh one two"),
            "02079460012"
        );
        assert_eq!(phone_digits("triple five, 0199"), "5550199");
        assert_eq!(phone_digits("no digits here"), "");
    }

    use super::*;

    #[test]
    fn checksums() {
        assert!(luhn(&[4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]));
        assert!(!luhn(&[4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]));
        assert!(iban_ok("DE89 3704 0044 0532 0130 00"));
        assert!(iban_ok("GB82WEST12345698765432"));
        assert!(!iban_ok("GB82WEST12345698765433"));
    }

    #[test]
    fn pseudonyms_are_stable_and_keyed() {
        let a = Redactor::new([1; 32], &[]);
        let b = Redactor::new([2; 32], &[]);
        assert_eq!(
            a.pseudonym(Kind::Email, "Jane@X.com"),
            a.pseudonym(Kind::Email, "jane@x.com")
        );
        assert_ne!(
            a.pseudonym(Kind::Email, "jane@x.com"),
            b.pseudonym(Kind::Email, "jane@x.com")
        );
        assert_eq!(
            a.pseudonym(Kind::Phone, "+44 20 7946 0958"),
            a.pseudonym(Kind::Phone, "+44-20-7946-0958")
        );
    }
}

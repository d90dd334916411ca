//! Language values normalized to BCP-47, keeping what the source said.

use closeq_core::Language;

/// (ISO 639-1, ISO 639-2/3 codes, English names).
const TABLE: &[(&str, &[&str], &[&str])] = &[
    ("en", &["eng"], &["english"]),
    ("de", &["deu", "ger"], &["german", "deutsch"]),
    ("fr", &["fra", "fre"], &["french", "français", "francais"]),
    ("es", &["spa"], &["spanish", "español", "espanol"]),
    ("it", &["ita"], &["italian", "italiano"]),
    ("pt", &["por"], &["portuguese", "português", "portugues"]),
    ("nl", &["nld", "dut"], &["dutch", "nederlands"]),
    ("sv", &["swe"], &["swedish", "svenska"]),
    ("da", &["dan"], &["danish", "dansk"]),
    ("no", &["nor"], &["norwegian", "norsk"]),
    ("nb", &["nob"], &["norwegian bokmål", "bokmål"]),
    ("fi", &["fin"], &["finnish", "suomi"]),
    ("pl", &["pol"], &["polish", "polski"]),
    ("cs", &["ces", "cze"], &["czech"]),
    ("ru", &["rus"], &["russian"]),
    ("uk", &["ukr"], &["ukrainian"]),
    ("tr", &["tur"], &["turkish"]),
    ("el", &["ell", "gre"], &["greek"]),
    ("hu", &["hun"], &["hungarian"]),
    ("ro", &["ron", "rum"], &["romanian"]),
    ("ja", &["jpn"], &["japanese"]),
    ("zh", &["zho", "chi", "cmn"], &["chinese", "mandarin"]),
    ("ko", &["kor"], &["korean"]),
    ("ar", &["ara"], &["arabic"]),
    ("hi", &["hin"], &["hindi"]),
    ("he", &["heb"], &["hebrew"]),
    ("id", &["ind"], &["indonesian"]),
    ("vi", &["vie"], &["vietnamese"]),
    ("th", &["tha"], &["thai"]),
];

/// Normalizes a language as a provider gives it (`english`, `eng`, `en_us`,
/// `en-US`) to a BCP-47 tag, keeping the raw value. Unrecognised values are
/// kept as their own tag only when they already look like BCP-47; otherwise
/// `None`.
pub(crate) fn normalize(raw: &str) -> Option<Language> {
    let t = raw.trim();
    if t.is_empty() {
        return None;
    }
    let lower = t.to_lowercase().replace('_', "-");
    let (primary, region) = match lower.split_once('-') {
        Some((p, r)) => (p.to_owned(), Some(r.to_owned())),
        None => (lower.clone(), None),
    };
    let found = TABLE.iter().find(|(two, threes, names)| {
        *two == primary || threes.contains(&primary.as_str()) || names.contains(&lower.as_str())
    });
    let tag = match found {
        Some((two, _, names)) if names.contains(&lower.as_str()) => (*two).to_owned(),
        Some((two, _, _)) => match region {
            Some(r) if r.len() == 2 && r.bytes().all(|b| b.is_ascii_alphabetic()) => {
                format!("{two}-{}", r.to_ascii_uppercase())
            }
            Some(r) if r.len() == 3 && r.bytes().all(|b| b.is_ascii_digit()) => {
                format!("{two}-{r}")
            }
            _ => (*two).to_owned(),
        },
        None => {
            let looks_bcp47 = (2..=3).contains(&primary.len())
                && primary.bytes().all(|b| b.is_ascii_alphabetic());
            if !looks_bcp47 {
                return None;
            }
            primary
        }
    };
    Some(Language {
        tag,
        raw: (!t.is_empty()).then(|| t.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_iso3_and_regions() {
        let n = |s| normalize(s).map(|l| l.tag);
        assert_eq!(n("english").as_deref(), Some("en"));
        assert_eq!(n("English").as_deref(), Some("en"));
        assert_eq!(n("eng").as_deref(), Some("en"));
        assert_eq!(n("en").as_deref(), Some("en"));
        assert_eq!(n("en_us").as_deref(), Some("en-US"));
        assert_eq!(n("en-GB").as_deref(), Some("en-GB"));
        assert_eq!(n("ger").as_deref(), Some("de"));
        assert_eq!(n("es-419").as_deref(), Some("es-419"));
        assert_eq!(n("klingon"), None);
        assert_eq!(n(""), None);
        assert_eq!(normalize("eng").unwrap().raw.as_deref(), Some("eng"));
    }
}

//! Speaker labels as providers write them: integers (`0`), letters (`A`),
//! `spk_0`, `speaker_0`, `Speaker 1`, `S1`, `UU` (unknown), or names.

/// A speaker label, normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SpeakerLabel {
    /// As the source wrote it.
    pub raw: String,
    /// The 0-based speaker number the label encodes, if it encodes one:
    /// `0`/`spk_0`/`speaker_0`/`A` → 0, `S1`/`Speaker 1` → 0 (1-based forms).
    pub index: Option<u32>,
    /// The source marks the speaker as unknown (`UU`, empty, `-1`).
    pub unknown: bool,
}

impl SpeakerLabel {
    pub(crate) fn parse(raw: &str) -> Self {
        let t = raw.trim();
        let lower = t.to_ascii_lowercase();
        let unknown =
            t.is_empty() || t == "UU" || lower == "unknown" || t == "-1" || lower == "speaker_-1";
        let num = |s: &str| -> Option<u32> {
            (!s.is_empty() && s.len() <= 6 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        let index = if unknown {
            None
        } else if let Some(n) = num(t) {
            Some(n)
        } else if let Some(n) = lower.strip_prefix("spk_").and_then(num) {
            Some(n)
        } else if let Some(n) = lower.strip_prefix("speaker_").and_then(num) {
            Some(n)
        } else if let Some(n) = lower.strip_prefix("speaker ").and_then(num) {
            n.checked_sub(1)
        } else if let Some(n) = t.strip_prefix('S').and_then(num) {
            n.checked_sub(1)
        } else if t.len() == 1 && t.as_bytes()[0].is_ascii_uppercase() {
            Some(u32::from(t.as_bytes()[0] - b'A'))
        } else {
            None
        };
        Self {
            raw: t.to_owned(),
            index,
            unknown,
        }
    }

    /// Whether a user-given label (`--rep-speaker`) names this speaker: the
    /// same text (case-insensitive), or a bare number equal to the index.
    pub(crate) fn matches(&self, given: &str) -> bool {
        let g = given.trim();
        if g.eq_ignore_ascii_case(&self.raw) {
            return true;
        }
        match g.parse::<u32>() {
            Ok(n) => self.index == Some(n),
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_family() {
        let cases = [
            ("0", Some(0), false),
            ("3", Some(3), false),
            ("A", Some(0), false),
            ("C", Some(2), false),
            ("spk_0", Some(0), false),
            ("spk_1", Some(1), false),
            ("speaker_0", Some(0), false),
            ("Speaker 1", Some(0), false),
            ("S1", Some(0), false),
            ("S2", Some(1), false),
            ("UU", None, true),
            ("", None, true),
            ("Jane Doe", None, false),
        ];
        for (raw, index, unknown) in cases {
            let l = SpeakerLabel::parse(raw);
            assert_eq!((l.index, l.unknown), (index, unknown), "{raw}");
        }
        assert!(SpeakerLabel::parse("spk_1").matches("1"));
        assert!(SpeakerLabel::parse("spk_1").matches("SPK_1"));
        assert!(!SpeakerLabel::parse("spk_1").matches("0"));
        assert!(SpeakerLabel::parse("B").matches("b"));
    }
}

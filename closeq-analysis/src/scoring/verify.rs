//! The citation verifier: a quote counts only if it occurs (after
//! whitespace and case normalization) in the utterance it cites, and that
//! utterance is on the side the criterion requires.

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

/// Why a citation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    NoSuchUtterance,
    QuoteNotFound,
    WrongSide,
    EmptyQuote,
}

impl Refusal {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::NoSuchUtterance => "cites an utterance that does not exist",
            Self::QuoteNotFound => "quote not found in the cited utterance",
            Self::WrongSide => "quote is from the wrong side for this criterion",
            Self::EmptyQuote => "empty quote",
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
    if q.is_empty() {
        return Err(Refusal::EmptyQuote);
    }
    let (hay, map) = normalize(&u.text);
    let at = hay.find(&q).ok_or(Refusal::QuoteNotFound)?;
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
    fn normalization_keeps_offsets() {
        let (n, map) = normalize("  What  IS\tyour Budget? ");
        assert_eq!(n, "what is your budget?");
        assert_eq!(map[0], 2);
        assert_eq!(map.len(), n.len() + 1);
    }
}

//! Redaction before remote processing: a remote scorer gets a copy of the
//! transcript with e-mail addresses, phone numbers (written or spoken),
//! card numbers, IBANs and the names known from the call replaced by keyed
//! pseudonyms; its scorecard is then mapped back, so the stored evidence
//! quotes are the transcript's own words and verify against the stored
//! transcript.

use std::collections::HashMap;
use std::ops::Range;

use closeq_core::{Scorecard, Transcript, UtteranceId};
use closeq_privacy::redaction::Redactor;

/// One replaced span: where it is in the redacted text and where the
/// original was (byte ranges).
#[derive(Debug, Clone)]
struct Piece {
    redacted: Range<usize>,
    original: Range<usize>,
}

/// A redacted copy of a transcript and what it takes to map back.
pub(crate) struct Redaction {
    /// What the remote scorer sees.
    pub transcript: Transcript,
    pieces: HashMap<UtteranceId, Vec<Piece>>,
    /// Pseudonym → original value, for free text.
    values: Vec<(String, String)>,
}

impl Redaction {
    /// Redacts every utterance (and speaker label) of `t`. Word timings
    /// are left out of the copy: they repeat the text word by word.
    pub(crate) fn new(t: &Transcript, redactor: &Redactor) -> Self {
        let mut copy = t.clone();
        let mut pieces = HashMap::new();
        let mut values: Vec<(String, String)> = Vec::new();
        for u in &mut copy.utterances {
            let original: String = u.text.as_str().to_owned();
            let mut out = String::with_capacity(original.len());
            let mut at = 0;
            let mut ps = Vec::new();
            for f in redactor.find(&original) {
                out.push_str(&original[at..f.start]);
                let value = &original[f.start..f.end];
                let pseudonym = redactor.pseudonym(f.kind, value);
                ps.push(Piece {
                    redacted: out.len()..out.len() + pseudonym.len(),
                    original: f.start..f.end,
                });
                out.push_str(&pseudonym);
                if !values.iter().any(|(p, _)| *p == pseudonym) {
                    values.push((pseudonym, value.to_owned()));
                }
                at = f.end;
            }
            out.push_str(&original[at..]);
            u.text = out.into();
            u.words.clear();
            if !ps.is_empty() {
                pieces.insert(u.id, ps);
            }
        }
        for s in &mut copy.speakers {
            s.label = redactor.redact(s.label.as_str()).into();
            if let Some(name) = &s.name {
                s.name = Some(redactor.redact(name.as_str()).into());
            }
        }
        Self {
            transcript: copy,
            pieces,
            values,
        }
    }

    /// Whether anything was replaced.
    pub(crate) fn changed(&self) -> bool {
        !self.values.is_empty()
    }

    /// Maps a scorecard made on the redacted copy back onto `original`:
    /// each evidence span covers the same words in the original utterance
    /// (a span that starts or ends inside a pseudonym covers the whole
    /// original value), its quote is the original text, and pseudonyms in
    /// free text (notes, rationales, issues) become the values again.
    pub(crate) fn restore(&self, card: &mut Scorecard, original: &Transcript) {
        for c in &mut card.criteria {
            for e in &mut c.evidence {
                let (Some(ru), Some(ou)) = (
                    self.transcript.utterance(e.utterance_id),
                    original.utterance(e.utterance_id),
                ) else {
                    continue;
                };
                let pieces = self
                    .pieces
                    .get(&e.utterance_id)
                    .map_or(&[][..], Vec::as_slice);
                let rs = byte_at(&ru.text, e.char_start as usize);
                let re = byte_at(&ru.text, e.char_end as usize);
                let os = map_back(pieces, rs, false).min(ou.text.len());
                let oe = map_back(pieces, re, true).clamp(os, ou.text.len());
                let (Some(quote), true) = (ou.text.get(os..oe), ou.text.is_char_boundary(os))
                else {
                    continue;
                };
                e.char_start = char_index(&ou.text, os) as u32;
                e.char_end = e.char_start + quote.chars().count() as u32;
                e.quote = quote.to_owned().into();
            }
        }
        if self.changed() {
            card.rewrite_text(|s| {
                let mut out = s.to_owned();
                let mut hit = false;
                for (p, v) in &self.values {
                    if out.contains(p.as_str()) {
                        out = out.replace(p.as_str(), v);
                        hit = true;
                    }
                }
                hit.then_some(out)
            });
        }
    }
}

/// The byte offset of char index `c` in `s` (its length past the end).
fn byte_at(s: &str, c: usize) -> usize {
    s.char_indices().nth(c).map_or(s.len(), |(b, _)| b)
}

fn char_index(s: &str, byte: usize) -> usize {
    s.get(..byte).map_or(0, |p| p.chars().count())
}

/// The original byte offset of redacted offset `p`. Inside a pseudonym it
/// snaps outward: to the value's start for a span start, its end for a
/// span end.
fn map_back(pieces: &[Piece], p: usize, is_end: bool) -> usize {
    let mut delta: isize = 0;
    for piece in pieces {
        if p < piece.redacted.start || (is_end && p == piece.redacted.start) {
            break;
        }
        if p < piece.redacted.end || (is_end && p == piece.redacted.end) {
            return if is_end {
                piece.original.end
            } else {
                piece.original.start
            };
        }
        delta += piece.original.len() as isize - piece.redacted.len() as isize;
    }
    (p as isize + delta).max(0) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_back_around_and_inside_pseudonyms() {
        // "mail a@b.co now": original 5..11 became redacted 5..20.
        let pieces = [Piece {
            redacted: 5..20,
            original: 5..11,
        }];
        assert_eq!(map_back(&pieces, 0, false), 0);
        assert_eq!(map_back(&pieces, 5, false), 5);
        assert_eq!(map_back(&pieces, 9, false), 5);
        assert_eq!(map_back(&pieces, 9, true), 11);
        assert_eq!(map_back(&pieces, 20, true), 11);
        assert_eq!(map_back(&pieces, 21, false), 12);
        assert_eq!(map_back(&pieces, 24, true), 15);
    }
}

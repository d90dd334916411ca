//! Turning byte spans into cited evidence: the sentence around a hit,
//! quoted verbatim from the utterance, with char offsets and times.

use closeq_core::{EvidenceSpan, Transcript, UtteranceId};

use super::facts::SpanRef;
use crate::text::{char_offset, sentence_bounds};

/// The longest quote kept, in chars.
const MAX_QUOTE_CHARS: usize = 240;

fn floor_char(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The sentence around `span` (capped at 240 characters around the hit),
/// as an evidence span of utterance `span.utt`.
pub(crate) fn cite(
    t: &Transcript,
    roles: &[closeq_core::SpeakerRole],
    span: SpanRef,
) -> Option<EvidenceSpan> {
    let u = t.utterances.get(span.utt as usize)?;
    let text = u.text.as_str();
    let (mut s, mut e) = sentence_bounds(text, span.start as usize);
    if text[s..e].chars().count() > MAX_QUOTE_CHARS {
        let half = MAX_QUOTE_CHARS * 2;
        s = floor_char(text, (span.start as usize).saturating_sub(half / 2).max(s));
        e = floor_char(text, (s + half).min(e));
    }
    let quote = text[s..e].trim();
    if quote.is_empty() {
        return None;
    }
    let lead = text[s..e].len() - text[s..e].trim_start().len();
    let s = s + lead;
    let cs = char_offset(text, s);
    Some(EvidenceSpan {
        utterance_id: UtteranceId(u.id.0),
        char_start: cs as u32,
        char_end: (cs + quote.chars().count()) as u32,
        start_ms: u.start_ms,
        end_ms: u.end_ms,
        quote: quote.to_owned().into(),
        speaker_role: roles
            .get(span.utt as usize)
            .copied()
            .unwrap_or(closeq_core::SpeakerRole::Unknown),
    })
}

/// A whole utterance (capped) as evidence.
pub(crate) fn cite_utterance(
    t: &Transcript,
    roles: &[closeq_core::SpeakerRole],
    utt: u32,
) -> Option<EvidenceSpan> {
    let u = t.utterances.get(utt as usize)?;
    let text = u.text.as_str();
    let e = floor_char(
        text,
        text.char_indices()
            .nth(MAX_QUOTE_CHARS)
            .map_or(text.len(), |(i, _)| i),
    );
    cite(
        t,
        roles,
        SpanRef {
            utt,
            start: 0,
            end: e as u32,
        },
    )
    .map(|mut ev| {
        // A whole-utterance citation starts at the beginning of the text.
        let quote = text[..e].trim();
        if !quote.is_empty() {
            let lead = text[..e].len() - text[..e].trim_start().len();
            ev.char_start = char_offset(text, lead) as u32;
            ev.char_end = ev.char_start + quote.chars().count() as u32;
            ev.quote = quote.to_owned().into();
        }
        ev
    })
}

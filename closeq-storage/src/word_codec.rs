//! The stored form of a transcript's word timings.
//!
//! Speech-to-text gives every word a start, an end and a confidence; as
//! JSON that is about 70 bytes a word (`{"text":"…","start_ms":…,
//! "end_ms":…,"confidence":…}`), seven times the transcript's text, and
//! encoding it dominated the store write of a 60-minute call. The SQL
//! stores keep the words in a column of their own instead (`transcripts.
//! words`), in this compact binary form, and the JSON document without
//! them. The word texts stay plain UTF-8, so what an erasure scan looks
//! for is as visible as in the JSON.
//!
//! Format (version 1): the byte `1`; the number of utterances; then per
//! utterance its number of words and per word: `len << 1 | has_confidence`,
//! the text's bytes, the start as the difference from the previous word's
//! start (wrapping, so any `u64` round-trips), the duration (`end - start`,
//! wrapping), and the confidence as a little-endian `f32` when present.
//! Integers are LEB128 varints. An empty blob means "no words" (as does
//! `NULL`, in rows written before the column existed: their words are
//! inside the JSON).

use closeq_core::{Error, Result, Sensitive, Transcript, Utterance, Word};

const VERSION: u8 = 1;

/// `t` without its words (for the JSON document) and its words encoded
/// (empty when it has none).
pub(crate) fn split(t: &Transcript) -> (Transcript, Vec<u8>) {
    let bare = Transcript {
        id: t.id,
        language: t.language.clone(),
        duration_ms: t.duration_ms,
        speakers: t.speakers.clone(),
        utterances: t
            .utterances
            .iter()
            .map(|u| Utterance {
                id: u.id,
                speaker: u.speaker,
                start_ms: u.start_ms,
                end_ms: u.end_ms,
                text: u.text.clone(),
                words: Vec::new(),
                channel: u.channel,
            })
            .collect(),
        provider: t.provider.clone(),
        warnings: t.warnings.clone(),
    };
    (bare, encode(t))
}

/// The words of `t`'s utterances in the stored form (empty: none).
pub(crate) fn encode(t: &Transcript) -> Vec<u8> {
    let words: usize = t.utterances.iter().map(|u| u.words.len()).sum();
    if words == 0 {
        return Vec::new();
    }
    let text: usize = t
        .utterances
        .iter()
        .flat_map(|u| &u.words)
        .map(|w| w.text.expose().len())
        .sum();
    let mut out = Vec::with_capacity(text + words * 10 + t.utterances.len() + 8);
    out.push(VERSION);
    varint(&mut out, t.utterances.len() as u64);
    let mut prev = 0u64;
    for u in &t.utterances {
        varint(&mut out, u.words.len() as u64);
        for w in &u.words {
            let bytes = w.text.expose().as_bytes();
            varint(
                &mut out,
                ((bytes.len() as u64) << 1) | u64::from(w.confidence.is_some()),
            );
            out.extend_from_slice(bytes);
            varint(&mut out, w.start_ms.wrapping_sub(prev));
            varint(&mut out, w.end_ms.wrapping_sub(w.start_ms));
            if let Some(c) = w.confidence {
                out.extend_from_slice(&c.to_le_bytes());
            }
            prev = w.start_ms;
        }
    }
    out
}

/// Puts the words stored in `blob` back into `t` (a document stored
/// without them). An empty blob leaves `t` as it is.
///
/// Errors: `Storage` (not retryable) for a blob that does not decode or
/// does not fit the document — never a panic, and never more memory than
/// the blob's size allows.
pub(crate) fn attach(t: &mut Transcript, blob: &[u8], backend: &'static str) -> Result<()> {
    if blob.is_empty() {
        return Ok(());
    }
    let corrupt = || {
        Error::storage(
            backend,
            "decode",
            "stored word timings do not decode",
            false,
        )
    };
    let mut r = Reader { blob, at: 0 };
    if r.byte().ok_or_else(corrupt)? != VERSION {
        return Err(corrupt());
    }
    let n = r.varint().ok_or_else(corrupt)?;
    if n != t.utterances.len() as u64 {
        return Err(corrupt());
    }
    let mut prev = 0u64;
    for u in &mut t.utterances {
        let count = r.varint().ok_or_else(corrupt)?;
        // Every word takes at least three bytes: a count beyond what is
        // left is a corrupt blob, not an allocation.
        if count > (r.left() / 3) as u64 {
            return Err(corrupt());
        }
        let mut words = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let head = r.varint().ok_or_else(corrupt)?;
            let len = usize::try_from(head >> 1).map_err(|_| corrupt())?;
            let text = r.take(len).ok_or_else(corrupt)?;
            let text = std::str::from_utf8(text).map_err(|_| corrupt())?;
            let start = prev.wrapping_add(r.varint().ok_or_else(corrupt)?);
            let end = start.wrapping_add(r.varint().ok_or_else(corrupt)?);
            let confidence = if head & 1 == 1 {
                let b = r.take(4).ok_or_else(corrupt)?;
                Some(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            } else {
                None
            };
            words.push(Word {
                text: Sensitive::new(text.to_owned()),
                start_ms: start,
                end_ms: end,
                confidence,
            });
            prev = start;
        }
        u.words = words;
    }
    if r.left() != 0 {
        return Err(corrupt());
    }
    Ok(())
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

struct Reader<'a> {
    blob: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn left(&self) -> usize {
        self.blob.len() - self.at
    }

    fn byte(&mut self) -> Option<u8> {
        let b = *self.blob.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.blob.get(self.at..end)?;
        self.at = end;
        Some(s)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return None;
            }
            v |= bits << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A word as (text, start, end, confidence).
    type RawWord = (String, u64, u64, Option<f32>);

    fn transcript(words: Vec<Vec<RawWord>>) -> Transcript {
        let mut t: Transcript = serde_json::from_value(serde_json::json!({
            "id": closeq_core::TranscriptId::new(),
            "duration_ms": 0,
            "speakers": [{"id": 0, "label": "A", "role": "rep", "decided_by": {"method": "provided"}}],
        }))
        .unwrap();
        for (i, ws) in words.into_iter().enumerate() {
            t.utterances.push(Utterance {
                id: closeq_core::UtteranceId(i as u32),
                speaker: t.speakers[0].id,
                start_ms: 0,
                end_ms: 0,
                text: Sensitive::new("x".into()),
                words: ws
                    .into_iter()
                    .map(|(text, start_ms, end_ms, confidence)| Word {
                        text: Sensitive::new(text),
                        start_ms,
                        end_ms,
                        confidence,
                    })
                    .collect(),
                channel: None,
            });
        }
        t
    }

    proptest! {
        /// Any words round-trip exactly (any u64 times, any f32 bits but
        /// NaN, any text).
        #[test]
        fn round_trips(words in proptest::collection::vec(
            proptest::collection::vec(
                (".{0,12}", any::<u64>(), any::<u64>(), proptest::option::of(any::<f32>().prop_filter("not NaN", |c| !c.is_nan()))),
                0..6),
            0..6)) {
            let t = transcript(words);
            let (mut bare, blob) = split(&t);
            prop_assert!(bare.utterances.iter().all(|u| u.words.is_empty()));
            attach(&mut bare, &blob, "test").unwrap();
            prop_assert_eq!(bare, t);
        }

        /// Arbitrary bytes never panic and never allocate beyond the blob.
        #[test]
        fn garbage_is_an_error_not_a_panic(blob in proptest::collection::vec(any::<u8>(), 0..64), n in 0usize..4) {
            let mut t = transcript(vec![Vec::new(); n]);
            let _ = attach(&mut t, &blob, "test");
        }
    }

    #[test]
    fn a_huge_word_count_is_refused_before_allocating() {
        let mut t = transcript(vec![Vec::new()]);
        let mut blob = vec![VERSION, 1];
        varint(&mut blob, u64::MAX);
        let e = attach(&mut t, &blob, "test").unwrap_err();
        assert!(e.to_string().contains("word timings"), "{e}");
    }

    #[test]
    fn no_words_store_nothing() {
        let t = transcript(vec![Vec::new(), Vec::new()]);
        assert!(encode(&t).is_empty());
    }
}

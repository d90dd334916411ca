//! CloseQ's own JSON: a serialized [`closeq_core::Transcript`]. Roles the
//! file provides are kept; undecided speakers go through the role rules.

use closeq_core::Transcript;

use super::error::from_json;
use super::labels::SpeakerLabel;
use super::time::MAX_TIME_MS;
use super::{Format, ImportError, ImportOptions};

const F: Format = Format::CloseQ;

pub(crate) fn parse(bytes: &[u8], opts: &ImportOptions) -> Result<Transcript, ImportError> {
    let mut t: Transcript = from_json(F, bytes)?;
    // Bounds the later stages rely on: per-minute tables sized by the
    // duration, per-speaker tables indexed by id. Every utterance and word
    // ends within the duration (checked by `validate` below).
    if t.duration_ms > MAX_TIME_MS {
        return Err(ImportError::at_path(
            F,
            "duration_ms",
            "must be at most 48 hours (172800000 ms), the longest time accepted",
        ));
    }
    for (i, s) in t.speakers.iter().enumerate() {
        if usize::try_from(s.id.0).map_or(true, |id| id >= t.speakers.len()) {
            return Err(ImportError::at_path(
                F,
                format!("speakers[{i}].id"),
                "speaker ids must be 0, 1, 2, ... (each below the number of speakers)",
            ));
        }
    }
    t.validate().map_err(|e| match e {
        closeq_core::Error::InvalidInput { field, reason } => {
            ImportError::at_path(F, field.into_owned(), reason.into_owned())
        }
        other => ImportError::input(F, other.to_string()),
    })?;
    let labels: Vec<SpeakerLabel> = t
        .speakers
        .iter()
        .map(|s| SpeakerLabel::parse(&s.label))
        .collect();
    let channels: Vec<Option<u8>> = t
        .speakers
        .iter()
        .map(|s| {
            t.utterances
                .iter()
                .find(|u| u.speaker == s.id)
                .and_then(|u| u.channel)
        })
        .collect();
    super::roles::assign(&mut t, &labels, &channels, opts);
    Ok(t)
}

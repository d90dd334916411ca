//! CloseQ's own JSON: a serialized [`closeq_core::Transcript`]. Roles the
//! file provides are kept; undecided speakers go through the role rules.

use closeq_core::Transcript;

use super::error::from_json;
use super::labels::SpeakerLabel;
use super::{Format, ImportError, ImportOptions};

const F: Format = Format::CloseQ;

pub(crate) fn parse(bytes: &[u8], opts: &ImportOptions) -> Result<Transcript, ImportError> {
    let mut t: Transcript = from_json(F, bytes)?;
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

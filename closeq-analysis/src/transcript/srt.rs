//! SubRip (SRT): numbered cues, `hh:mm:ss,mmm --> hh:mm:ss,mmm`, optional
//! `Name:` speaker prefixes.

use super::assemble::{RawSegment, RawTranscript, Units};
use super::text::{parse_timing, split_speaker_prefix, strip_tags};
use super::{Format, ImportError};

const F: Format = Format::Srt;

pub(crate) fn parse(text: &str) -> Result<RawTranscript, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate().peekable();
    let mut segments = Vec::new();
    while let Some((idx, line)) = lines.next() {
        let line_no = idx + 1;
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        if !l.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ImportError::at_line(F, line_no, "expected a cue number"));
        }
        let (t_idx, timing) = lines.next().ok_or_else(|| {
            ImportError::at_line(F, line_no + 1, "expected a cue timing line, found the end")
        })?;
        let (start, end) =
            parse_timing(timing).map_err(|reason| ImportError::at_line(F, t_idx + 1, reason))?;
        let mut speaker: Option<String> = None;
        let mut body = String::new();
        while let Some((_, l)) = lines.peek() {
            if l.trim().is_empty() {
                break;
            }
            let plain = strip_tags(l.trim());
            let piece = match split_speaker_prefix(&plain) {
                Some((name, rest)) if speaker.is_none() && body.is_empty() => {
                    speaker = Some(name.to_owned());
                    rest.to_owned()
                }
                _ => plain.trim_start_matches("- ").to_owned(),
            };
            if !body.is_empty() {
                body.push(' ');
            }
            body.push_str(piece.trim());
            lines.next();
        }
        segments.push(RawSegment {
            text: body,
            start_ms: start,
            end_ms: end,
            speaker,
            channel: None,
            words: Vec::new(),
        });
    }
    let mut raw = RawTranscript::new(F, Units::Segments(segments));
    raw.labels_are_names = true;
    Ok(raw)
}

//! WebVTT (W3C): cues with voice tags `<v Name>`, cue settings, NOTE, STYLE
//! and REGION blocks, multi-line cues.

use super::assemble::{RawSegment, RawTranscript, Units};
use super::text::{parse_timing, split_speaker_prefix, strip_tags};
use super::{Format, ImportError};

const F: Format = Format::WebVtt;

/// Extracts the voice of a `<v Name>` or `<v.class Name>` tag at the start
/// of `line`, returning the name and the rest of the line.
fn voice(line: &str) -> Option<(String, &str)> {
    let rest = line.strip_prefix("<v")?;
    if !(rest.starts_with(' ') || rest.starts_with('.') || rest.starts_with('\t')) {
        return None;
    }
    let end = rest.find('>')?;
    let inner = &rest[..end];
    let name = match inner.split_once([' ', '\t']) {
        Some((_classes, name)) => name.trim(),
        None => "",
    };
    Some((name.to_owned(), &rest[end + 1..]))
}

pub(crate) fn parse(text: &str) -> Result<RawTranscript, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate().peekable();
    match lines.next() {
        Some((_, l)) if l == "WEBVTT" || l.starts_with("WEBVTT ") || l.starts_with("WEBVTT\t") => {}
        _ => {
            return Err(ImportError::at_line(
                F,
                1,
                "the file must start with WEBVTT",
            ));
        }
    }
    // Skip the rest of the header block.
    while let Some((_, l)) = lines.peek() {
        if l.trim().is_empty() {
            break;
        }
        lines.next();
    }
    let mut segments = Vec::new();
    let mut any_cue = false;
    while let Some((idx, line)) = lines.next() {
        let line_no = idx + 1;
        if line.trim().is_empty() {
            continue;
        }
        let word = line.split_whitespace().next().unwrap_or("");
        if matches!(word, "NOTE" | "STYLE" | "REGION") {
            while let Some((_, l)) = lines.peek() {
                if l.trim().is_empty() {
                    break;
                }
                lines.next();
            }
            continue;
        }
        // Optional cue identifier, then the timing line.
        let (timing_no, timing) = if line.contains("-->") {
            (line_no, line)
        } else {
            match lines.next() {
                Some((i, l)) if l.contains("-->") => (i + 1, l),
                _ => {
                    return Err(ImportError::at_line(
                        F,
                        line_no + 1,
                        "expected a cue timing line (START --> END)",
                    ));
                }
            }
        };
        let (start, end) =
            parse_timing(timing).map_err(|reason| ImportError::at_line(F, timing_no, reason))?;
        any_cue = true;
        // Payload lines: each may open a new voice.
        let mut parts: Vec<(Option<String>, String)> = Vec::new();
        while let Some((_, l)) = lines.peek() {
            if l.trim().is_empty() {
                break;
            }
            let l = l.trim();
            let (speaker, body) = match voice(l) {
                Some((name, rest)) => (Some(name), strip_tags(rest)),
                None => {
                    let plain = strip_tags(l);
                    match split_speaker_prefix(&plain) {
                        Some((n, t)) if parts.is_empty() || l.contains(':') => {
                            (Some(n.to_owned()), t.to_owned())
                        }
                        _ => (None, plain),
                    }
                }
            };
            match (speaker, parts.last_mut()) {
                (None, Some(last)) => {
                    last.1.push(' ');
                    last.1.push_str(body.trim());
                }
                (s, _) => parts.push((s, body.trim().to_owned())),
            }
            lines.next();
        }
        // Several voices in one cue share its time in proportion to their
        // text. Widened to u128: span × length cannot overflow, and each
        // share is at most `span`, so `at` stays within [start, end].
        let total: u128 = parts
            .iter()
            .map(|p| p.1.chars().count().max(1) as u128)
            .sum();
        let mut at = start;
        let span = u128::from(end.saturating_sub(start));
        let n = parts.len();
        for (k, (speaker, body)) in parts.into_iter().enumerate() {
            let len = body.chars().count().max(1) as u128;
            let seg_end = if k + 1 == n {
                end
            } else {
                let share = u64::try_from(span * len / total.max(1)).unwrap_or(u64::MAX);
                at.saturating_add(share).min(end)
            };
            segments.push(RawSegment {
                text: body,
                start_ms: at,
                end_ms: seg_end,
                speaker,
                channel: None,
                words: Vec::new(),
            });
            at = seg_end;
        }
    }
    let _ = any_cue;
    let mut raw = RawTranscript::new(F, Units::Segments(segments));
    raw.labels_are_names = true;
    Ok(raw)
}

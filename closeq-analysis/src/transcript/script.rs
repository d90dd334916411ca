//! Plain scripts: `Speaker: text` lines, optionally stamped `[hh:mm:ss]` (or
//! `[mm:ss]`). Unstamped scripts get estimated timings (150 words per
//! minute, back to back) and a warning saying so; a line without a speaker
//! prefix continues the previous speaker's turn.

use closeq_core::TranscriptWarning;

use super::assemble::{RawSegment, RawTranscript, Units};
use super::text::split_speaker_prefix;
use super::time::{MAX_TIME_MS, TimeError, parse_clock};
use super::{Format, ImportError};

const F: Format = Format::Script;
/// Estimated speaking time per word for unstamped scripts (150 wpm).
const MS_PER_WORD: u64 = 400;

/// The line's `[hh:mm:ss]` stamp, if it has one, and the rest of the line.
fn stamp(line: &str) -> Result<(Option<u64>, &str), TimeError> {
    let l = line.trim_start();
    if let Some(rest) = l.strip_prefix('[') {
        let (inside, after) = rest.split_once(']').ok_or(TimeError::Malformed)?;
        return Ok((Some(parse_clock(inside)?), after.trim_start()));
    }
    Ok((None, l))
}

/// `words` spoken from `at` at the estimated pace, or `None` past 48 hours.
fn estimated_end(at: u64, words: usize) -> Option<u64> {
    let words = u64::try_from(words.max(1)).ok()?;
    words
        .checked_mul(MS_PER_WORD)
        .and_then(|d| d.checked_add(at))
        .filter(|end| *end <= MAX_TIME_MS)
}

/// Whether `text` looks like a script: most non-blank lines start with
/// an optional stamp and a speaker prefix.
pub(crate) fn looks_like_script(text: &str) -> bool {
    let mut total = 0;
    let mut hits = 0;
    for l in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(50)
    {
        total += 1;
        // A well-formed stamp past 48 hours still marks a script line, so
        // the parser (not detection) reports it, with its line.
        let hit = match stamp(l) {
            Ok((_, rest)) => split_speaker_prefix(rest).is_some(),
            Err(e) => e == TimeError::TooLate,
        };
        if hit {
            hits += 1;
        }
    }
    total > 0 && hits * 2 >= total
}

pub(crate) fn parse(text: &str) -> Result<RawTranscript, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    struct Line {
        at: Option<u64>,
        speaker: String,
        text: String,
        line_no: usize,
    }
    let mut out: Vec<Line> = Vec::new();
    for (idx, raw) in text.lines().enumerate() {
        let line_no = idx + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let (at, rest) = stamp(raw).map_err(|e| {
            ImportError::at_line(F, line_no, e.reason("the timestamp", "[hh:mm:ss]"))
        })?;
        match split_speaker_prefix(rest) {
            Some((speaker, body)) => out.push(Line {
                at,
                speaker: speaker.to_owned(),
                text: body.to_owned(),
                line_no,
            }),
            None => match out.last_mut() {
                Some(prev) if at.is_none() => {
                    prev.text.push(' ');
                    prev.text.push_str(rest.trim());
                }
                _ => {
                    return Err(ImportError::at_line(
                        F,
                        line_no,
                        "expected `Speaker: text` (a speaker name, a colon, the words)",
                    ));
                }
            },
        }
    }
    let stamped = out.iter().filter(|l| l.at.is_some()).count();
    if stamped != 0 && stamped != out.len() {
        let first_bad = out.iter().find(|l| l.at.is_none()).map_or(1, |l| l.line_no);
        return Err(ImportError::at_line(
            F,
            first_bad,
            "either every line or no line may carry a [hh:mm:ss] timestamp",
        ));
    }
    let mut segments = Vec::with_capacity(out.len());
    let mut warnings = Vec::new();
    if stamped == 0 {
        let mut at = 0;
        for l in out {
            let end = estimated_end(at, l.text.split_whitespace().count()).ok_or_else(|| {
                ImportError::at_line(
                    F,
                    l.line_no,
                    "the script's estimated timings (150 words a minute) pass 48 hours, the longest time accepted",
                )
            })?;
            segments.push(RawSegment {
                text: l.text,
                start_ms: at,
                end_ms: end,
                speaker: Some(l.speaker),
                ..RawSegment::default()
            });
            at = end;
        }
        if !segments.is_empty() {
            warnings.push(TranscriptWarning::new(
                "timings_estimated",
                "the script has no timestamps; timings are estimated at 150 words per minute",
            ));
        }
    } else {
        for i in 0..out.len() {
            let start = out[i].at.unwrap_or(0);
            if i > 0 && start < out[i - 1].at.unwrap_or(0) {
                return Err(ImportError::at_line(
                    F,
                    out[i].line_no,
                    "timestamps go backwards",
                ));
            }
            // Past 48 hours the estimate stops at the limit (the stamp
            // itself is at most 48 hours).
            let estimated =
                estimated_end(start, out[i].text.split_whitespace().count()).unwrap_or(MAX_TIME_MS);
            let end = match out.get(i + 1).and_then(|n| n.at) {
                Some(next) => next.min(estimated).max(start),
                None => estimated,
            };
            segments.push(RawSegment {
                text: std::mem::take(&mut out[i].text),
                start_ms: start,
                end_ms: end,
                speaker: Some(std::mem::take(&mut out[i].speaker)),
                ..RawSegment::default()
            });
        }
    }
    let mut raw = RawTranscript::new(F, Units::Segments(segments));
    raw.labels_are_names = true;
    raw.warnings = warnings;
    Ok(raw)
}

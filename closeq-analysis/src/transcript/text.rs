//! Shared helpers for the text formats (WebVTT, SRT, scripts).

use super::time::parse_clock;

/// Removes markup tags (`<i>`, `<c.loud>`, `<00:00:01.000>`, `</v>`) and
/// decodes the HTML entities subtitle files use.
pub(crate) fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    if out.contains('&') {
        out = out
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&nbsp;", " ")
            .replace("&lrm;", "")
            .replace("&rlm;", "")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&");
    }
    out
}

/// Splits a `Name: text` speaker prefix. The name is 1–40 characters,
/// starts with a letter, holds no sentence punctuation, and is followed by
/// `: ` (or `:` at the end of the line).
pub(crate) fn split_speaker_prefix(line: &str) -> Option<(&str, &str)> {
    let (name, rest) = line.split_once(':')?;
    let name_t = name.trim();
    let ok = (1..=40).contains(&name_t.chars().count())
        && name_t.chars().next().is_some_and(char::is_alphabetic)
        && !name_t.contains(['.', '?', '!', ',', '"', '[', ']', '<', '>'])
        && name_t.split_whitespace().count() <= 4
        && (rest.is_empty() || rest.starts_with(' ') || rest.starts_with('\t'));
    ok.then(|| (name_t, rest.trim()))
}

/// Parses a cue timing line `START --> END [settings]`; the error is the
/// reason, naming which time was wrong.
pub(crate) fn parse_timing(line: &str) -> Result<(u64, u64), String> {
    let malformed = || "malformed cue timing (expected START --> END)".to_owned();
    let (a, b) = line.split_once("-->").ok_or_else(malformed)?;
    let end_token = b.split_whitespace().next().ok_or_else(malformed)?;
    let start =
        parse_clock(a.trim()).map_err(|e| e.reason("the cue's start time", "hh:mm:ss.ttt"))?;
    let end = parse_clock(end_token).map_err(|e| e.reason("the cue's end time", "hh:mm:ss.ttt"))?;
    if end < start {
        return Err("the cue ends before it starts".to_owned());
    }
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_entities_and_prefixes() {
        assert_eq!(strip_tags("<v Bob>Hi &amp; <i>bye</i></v>"), "Hi & bye");
        assert_eq!(
            split_speaker_prefix("Jane Doe: hello"),
            Some(("Jane Doe", "hello"))
        );
        assert_eq!(
            split_speaker_prefix("Note that: x"),
            Some(("Note that", "x"))
        );
        assert_eq!(split_speaker_prefix("It costs 10:30 today"), None);
        assert_eq!(split_speaker_prefix("Well, so: yes"), None);
        assert_eq!(
            parse_timing("00:01.000 --> 00:02.500 align:start"),
            Ok((1000, 2500))
        );
        let late = parse_timing("00:01.000 --> 9999999999999:00:00.000").unwrap_err();
        assert!(late.contains("end time is past 48 hours"), "{late}");
        let bad = parse_timing("00:01.000 --> x").unwrap_err();
        assert!(bad.contains("end time is not a valid"), "{bad}");
        assert!(parse_timing("00:02.000 --> 00:01.000").is_err());
    }
}

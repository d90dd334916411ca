//! The labelled-call dataset: one JSON object per line.
//!
//! ```text
//! {"id": "spin-01", "call_type": "discovery",
//!  "transcript": {"format": "script", "text": "Rep: ...\nClient: ..."},
//!  "labels": [
//!    {"rater": "r1", "overall": 72, "criteria": {"pain": "met", "budget": "partial"}},
//!    {"rater": "r2", "overall": 65, "criteria": {"pain": "met", "budget": "missed"}}]}
//! ```
//!
//! `transcript` is inline (`text` with a `format`: any
//! [`Format`](crate::transcript::Format) name) or a file (`path`, relative
//! to the dataset file, with an optional `format`; detected when absent).
//! Criterion labels are `met`, `partial`, `missed` or `n/a`; `overall` is
//! 0–100. Several raters per call are allowed; a rater appears at most
//! once per call.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use closeq_core::{Sensitive, Verdict};
use serde::Deserialize;

use super::DatasetError;
use crate::transcript::Format;

/// Where a call's transcript is.
#[derive(Debug, Clone, PartialEq)]
pub enum TranscriptSource {
    /// Inline text in the given format.
    Inline {
        /// Its format.
        format: Format,
        /// The text (personal data).
        text: Sensitive<String>,
    },
    /// A file next to the dataset.
    File {
        /// Relative to the dataset file.
        path: PathBuf,
        /// Its format, or `None` to detect it.
        format: Option<Format>,
    },
}

/// One rater's labels for one call.
#[derive(Debug, Clone, PartialEq)]
pub struct RaterLabels {
    /// The rater's id.
    pub rater: String,
    /// The overall 0–100 score, when given.
    pub overall: Option<f64>,
    /// Verdict per criterion id.
    pub criteria: BTreeMap<String, Verdict>,
}

/// One labelled call.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledCall {
    /// Unique within the dataset.
    pub id: String,
    /// The call type (`discovery`, `demo`, ...), which picks rubrics.
    pub call_type: String,
    /// Its transcript.
    pub transcript: TranscriptSource,
    /// The raters' labels, at least one.
    pub labels: Vec<RaterLabels>,
}

/// A parsed, validated dataset.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dataset {
    /// The calls in file order.
    pub calls: Vec<LabelledCall>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCall {
    id: String,
    call_type: String,
    transcript: RawTranscript,
    labels: Vec<RawLabels>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTranscript {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    path: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLabels {
    rater: String,
    #[serde(default)]
    overall: Option<f64>,
    #[serde(default)]
    criteria: BTreeMap<String, String>,
}

fn verdict(label: &str) -> Option<Verdict> {
    Some(match label.trim().to_ascii_lowercase().as_str() {
        "met" => Verdict::Met,
        "partial" => Verdict::Partial,
        "missed" => Verdict::Missed,
        "n/a" | "na" | "not_applicable" => Verdict::NotApplicable,
        _ => return None,
    })
}

fn slug_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

impl Dataset {
    /// Parses and validates JSONL text. Blank lines and lines starting with
    /// `#` are skipped. The first error stops parsing and names its line
    /// and field.
    pub fn parse(text: &str) -> Result<Self, DatasetError> {
        let mut calls = Vec::new();
        let mut ids = BTreeSet::new();
        for (i, raw_line) in text.lines().enumerate() {
            let line = i + 1;
            let trimmed = raw_line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let mut de = serde_json::Deserializer::from_str(trimmed);
            let raw: RawCall = serde_path_to_error::deserialize(&mut de).map_err(|e| {
                let path = e.path().to_string();
                let field = if path == "." { "-".to_owned() } else { path };
                DatasetError::new(
                    line,
                    field,
                    crate::transcript::sanitize(&e.into_inner().to_string()),
                )
            })?;
            let call = validate(line, raw)?;
            if !ids.insert(call.id.clone()) {
                return Err(DatasetError::new(
                    line,
                    "id",
                    "repeats an earlier call's id",
                ));
            }
            calls.push(call);
        }
        if calls.is_empty() {
            return Err(DatasetError::new(0, "-", "the dataset has no calls"));
        }
        Ok(Self { calls })
    }

    /// Every rater id, sorted.
    pub fn raters(&self) -> Vec<String> {
        let set: BTreeSet<&str> = self
            .calls
            .iter()
            .flat_map(|c| c.labels.iter().map(|l| l.rater.as_str()))
            .collect();
        set.into_iter().map(str::to_owned).collect()
    }
}

fn validate(line: usize, raw: RawCall) -> Result<LabelledCall, DatasetError> {
    let err = |field: &str, reason: &str| DatasetError::new(line, field, reason);
    if !slug_ok(&raw.id) {
        return Err(err("id", "must be 1–64 letters, digits, '-', '_' or '.'"));
    }
    if !slug_ok(&raw.call_type) {
        return Err(err(
            "call_type",
            "must be 1–64 letters, digits, '-', '_' or '.'",
        ));
    }
    let format = match raw.transcript.format.as_deref() {
        Some(f) => Some(f.parse::<Format>().map_err(|_| {
            err(
                "transcript.format",
                "must be one of vtt, srt, script, closeq, deepgram, assemblyai, openai, aws, speechmatics, revai",
            )
        })?),
        None => None,
    };
    let transcript = match (raw.transcript.text, raw.transcript.path) {
        (Some(_), Some(_)) => return Err(err("transcript", "give either text or path, not both")),
        (None, None) => return Err(err("transcript", "needs text or path")),
        (Some(text), None) => {
            if text.trim().is_empty() {
                return Err(err("transcript.text", "is empty"));
            }
            TranscriptSource::Inline {
                format: format
                    .ok_or_else(|| err("transcript.format", "is required with inline text"))?,
                text: Sensitive::new(text),
            }
        }
        (None, Some(path)) => {
            let p = PathBuf::from(&path);
            if path.trim().is_empty()
                || p.is_absolute()
                || p.components()
                    .any(|c| matches!(c, std::path::Component::ParentDir))
            {
                return Err(err(
                    "transcript.path",
                    "must be a relative path inside the dataset's folder",
                ));
            }
            TranscriptSource::File { path: p, format }
        }
    };
    if raw.labels.is_empty() {
        return Err(err("labels", "needs at least one rater's labels"));
    }
    let mut raters = BTreeSet::new();
    let mut labels = Vec::with_capacity(raw.labels.len());
    for (i, l) in raw.labels.into_iter().enumerate() {
        let f = |name: &str| format!("labels[{i}].{name}");
        if !slug_ok(&l.rater) {
            return Err(DatasetError::new(
                line,
                f("rater"),
                "must be 1–64 letters, digits, '-', '_' or '.'",
            ));
        }
        if !raters.insert(l.rater.clone()) {
            return Err(DatasetError::new(
                line,
                f("rater"),
                "this rater already labelled this call",
            ));
        }
        if let Some(o) = l.overall
            && !(o.is_finite() && (0.0..=100.0).contains(&o))
        {
            return Err(DatasetError::new(
                line,
                f("overall"),
                "must be between 0 and 100",
            ));
        }
        if l.overall.is_none() && l.criteria.is_empty() {
            return Err(DatasetError::new(
                line,
                format!("labels[{i}]"),
                "has neither an overall score nor criterion labels",
            ));
        }
        let mut criteria = BTreeMap::new();
        for (k, v) in l.criteria {
            if !slug_ok(&k) {
                return Err(DatasetError::new(
                    line,
                    f("criteria"),
                    "criterion ids must be 1–64 letters, digits, '-', '_' or '.'",
                ));
            }
            let v = verdict(&v).ok_or_else(|| {
                DatasetError::new(
                    line,
                    format!("labels[{i}].criteria.{k}"),
                    "must be met, partial, missed or n/a",
                )
            })?;
            criteria.insert(k, v);
        }
        labels.push(RaterLabels {
            rater: l.rater,
            overall: l.overall,
            criteria,
        });
    }
    Ok(LabelledCall {
        id: raw.id,
        call_type: raw.call_type,
        transcript,
        labels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
# two calls, two raters
{"id": "c1", "call_type": "discovery", "transcript": {"format": "script", "text": "Rep: What is your budget?\nClient: Ten thousand."}, "labels": [{"rater": "r1", "overall": 70, "criteria": {"budget": "met"}}, {"rater": "r2", "overall": 64.5, "criteria": {"budget": "partial", "pain": "n/a"}}]}
{"id": "c2", "call_type": "demo", "transcript": {"path": "calls/c2.vtt"}, "labels": [{"rater": "r1", "criteria": {"agenda": "missed"}}]}
"#;

    #[test]
    fn parses_inline_and_file_transcripts_and_several_raters() {
        let d = Dataset::parse(GOOD).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.calls.len(), 2);
        assert_eq!(
            d.calls[0].labels[1].criteria.get("pain"),
            Some(&Verdict::NotApplicable)
        );
        assert_eq!(d.calls[0].labels[1].overall, Some(64.5));
        assert!(matches!(
            d.calls[1].transcript,
            TranscriptSource::File { format: None, .. }
        ));
        assert_eq!(d.raters(), vec!["r1".to_owned(), "r2".to_owned()]);
    }

    fn err_of(line: &str) -> DatasetError {
        Dataset::parse(line)
            .err()
            .unwrap_or_else(|| panic!("accepted: {line}"))
    }

    #[test]
    fn errors_name_the_line_and_field() {
        let base = r#"{"id": "c1", "call_type": "discovery", "transcript": {"format": "script", "text": "Rep: Hi."}, "labels": [{"rater": "r1", "overall": 70}]}"#;
        let cases: Vec<(String, &str)> = vec![
            (base.replace("70", "170"), "labels[0].overall"),
            (
                base.replace("\"overall\": 70", "\"criteria\": {\"budget\": \"great\"}"),
                "labels[0].criteria.budget",
            ),
            (
                base.replace("\"format\": \"script\", ", ""),
                "transcript.format",
            ),
            (base.replace("\"script\"", "\"docx\""), "transcript.format"),
            (base.replace("\"c1\"", "\"c 1\""), "id"),
            (
                base.replace("\"text\": \"Rep: Hi.\"", "\"path\": \"../secret.vtt\""),
                "transcript.path",
            ),
            (
                base.replace("\"rater\": \"r1\", ", "\"rater\": \"r1\", \"mood\": 3, "),
                "labels[0]",
            ),
            (
                base.replace("[{\"rater\": \"r1\", \"overall\": 70}]", "[]"),
                "labels",
            ),
            (
                base.replace(
                    "[{\"rater\": \"r1\", \"overall\": 70}]",
                    "[{\"rater\": \"r1\", \"overall\": 70}, {\"rater\": \"r1\", \"overall\": 60}]",
                ),
                "labels[1].rater",
            ),
        ];
        for (text, field) in cases {
            let e = err_of(&format!("\n{text}"));
            assert_eq!(e.line, 2, "{e}");
            assert!(e.field.starts_with(field), "{field}: got {e}");
        }
        let dup = format!("{base}\n{base}");
        assert_eq!(err_of(&dup).field, "id");
        assert_eq!(err_of("{not json").line, 1);
        assert_eq!(err_of("").line, 0);
    }

    #[test]
    fn errors_never_quote_the_transcript() {
        let e = err_of(
            r#"{"id": "c1", "call_type": "d", "transcript": {"format": "script", "text": "Rep: call me at +44 20 7946 0000"}, "labels": [{"rater": "r1", "overall": "high"}]}"#,
        );
        assert!(!e.to_string().contains("7946"), "{e}");
        assert!(!e.to_string().contains("high"), "{e}");
    }
}

//! Import errors: the format, where in the input, and why — never the
//! offending text itself (it may be personal data).

use std::fmt;

use super::Format;

/// Where in the input an error was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A 1-based line of a text format.
    Line(usize),
    /// A JSON path (`results.channels[0].alternatives[0].words[3].start`).
    JsonPath(String),
    /// The input as a whole.
    Input,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::JsonPath(p) if p.is_empty() || p == "." => f.write_str("the document root"),
            Location::JsonPath(p) => write!(f, "{p}"),
            Location::Input => f.write_str("the input"),
        }
    }
}

/// A transcript could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The input is malformed for its format.
    #[error("{format} input is malformed at {location}: {reason}")]
    Malformed {
        /// The format being parsed.
        format: Format,
        /// Where.
        location: Location,
        /// Why (no input text).
        reason: String,
    },
    /// Auto-detection found no format that matches.
    #[error("the input matches no known transcript format ({reason})")]
    UnknownFormat {
        /// What was looked for.
        reason: String,
    },
    /// Auto-detection found several formats that match.
    #[error("the input matches several formats ({}); name one explicitly", .candidates.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", "))]
    AmbiguousFormat {
        /// The candidates.
        candidates: Vec<Format>,
    },
}

impl ImportError {
    pub(crate) fn at_line(format: Format, line: usize, reason: impl Into<String>) -> Self {
        Self::Malformed {
            format,
            location: Location::Line(line),
            reason: reason.into(),
        }
    }

    pub(crate) fn at_path(
        format: Format,
        path: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self::Malformed {
            format,
            location: Location::JsonPath(path.into()),
            reason: reason.into(),
        }
    }

    pub(crate) fn input(format: Format, reason: impl Into<String>) -> Self {
        Self::Malformed {
            format,
            location: Location::Input,
            reason: reason.into(),
        }
    }

    /// The format, for `Malformed` errors.
    pub fn format(&self) -> Option<Format> {
        match self {
            Self::Malformed { format, .. } => Some(*format),
            _ => None,
        }
    }

    /// The location, for `Malformed` errors.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Self::Malformed { location, .. } => Some(location),
            _ => None,
        }
    }
}

impl From<ImportError> for closeq_core::Error {
    fn from(e: ImportError) -> Self {
        match &e {
            ImportError::Malformed {
                format, location, ..
            } => closeq_core::Error::invalid(format!("{format} {location}"), e.to_string()),
            _ => closeq_core::Error::invalid("transcript", e.to_string()),
        }
    }
}

/// A serde_json error's message without the offending value: serde quotes
/// the value it rejected ("invalid type: string \"Jane\", expected u32"),
/// which may be personal data, so only the expectation is kept.
pub(crate) fn sanitize_serde_message(msg: &str) -> String {
    let msg = msg.split(" at line ").next().unwrap_or(msg);
    if msg.starts_with("missing field") || msg.starts_with("duplicate field") {
        return msg.to_owned();
    }
    if let Some(i) = msg.rfind(", expected ") {
        let (head, expected) = msg.split_at(i);
        let kind = head
            .split([':', '`', '"'])
            .next()
            .unwrap_or("invalid value")
            .trim();
        return format!("{kind}{expected}");
    }
    if msg.starts_with("unknown field") {
        return "unknown field".to_owned();
    }
    if msg.starts_with("EOF") {
        return "unexpected end of input".to_owned();
    }
    // Syntax errors name only the problem ("expected value", "trailing characters").
    msg.to_owned()
}

/// Deserializes `bytes` as `T`; on failure, re-parses with path tracking so
/// the error names the JSON path.
pub(crate) fn from_json<'a, T: serde::Deserialize<'a>>(
    format: Format,
    bytes: &'a [u8],
) -> Result<T, ImportError> {
    match serde_json::from_slice::<T>(bytes) {
        Ok(v) => Ok(v),
        Err(first) => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            let err = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Ok(_) => {
                    return Err(ImportError::input(
                        format,
                        sanitize_serde_message(&first.to_string()),
                    ));
                }
                Err(e) => e,
            };
            let path = err.path().to_string();
            let inner = err.into_inner();
            let reason = sanitize_serde_message(&inner.to_string());
            if inner.is_syntax() || inner.is_eof() {
                Err(ImportError::Malformed {
                    format,
                    location: Location::Line(inner.line()),
                    reason: format!("{reason} (column {})", inner.column()),
                })
            } else {
                Err(ImportError::at_path(format, path, reason))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizer_drops_values() {
        let m = sanitize_serde_message(
            "invalid type: string \"Jane Doe\", expected f64 at line 1 column 9",
        );
        assert_eq!(m, "invalid type, expected f64");
        let m = sanitize_serde_message("unknown variant `Jane`, expected one of `a`, `b`");
        assert!(!m.contains("Jane"));
        assert_eq!(
            sanitize_serde_message("missing field `start` at line 3 column 1"),
            "missing field `start`"
        );
    }
}

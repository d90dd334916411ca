//! Loading rubric files (TOML or JSON) with precise error locations: file,
//! line and column for TOML; JSON pointer for JSON.

use std::fmt;
use std::path::Path;

use closeq_core::{Error, Rubric};

use crate::metrics::BenchmarkPack;
use crate::scoring::CompiledRubric;

/// Where in a rubric file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RubricLocation {
    /// A 1-based line and column in a TOML file.
    Toml {
        /// Line.
        line: usize,
        /// Column.
        column: usize,
    },
    /// A JSON pointer (RFC 6901) into a JSON file.
    JsonPointer(String),
    /// The file as a whole.
    File,
}

impl fmt::Display for RubricLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Toml { line, column } => write!(f, "{line}:{column}"),
            Self::JsonPointer(p) => write!(f, "{}", if p.is_empty() { "/" } else { p }),
            Self::File => Ok(()),
        }
    }
}

/// A rubric file could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}{}{location}: {error}", if matches!(.location, RubricLocation::File) { "" } else { ":" })]
pub struct RubricLoadError {
    /// The file (or source name).
    pub file: String,
    /// Where in it.
    pub location: RubricLocation,
    /// What was wrong: `InvalidInput`, or `Compliance` for the AI-Act guard.
    pub error: Error,
}

impl From<RubricLoadError> for Error {
    fn from(e: RubricLoadError) -> Self {
        match e.error {
            Error::Compliance { rule, reason } => Error::Compliance {
                rule,
                reason: format!("{}: {reason}", e.file).into(),
            },
            other => Error::invalid(format!("{}:{}", e.file, e.location), other.to_string()),
        }
    }
}

fn line_col(text: &str, byte: usize) -> (usize, usize) {
    let before = &text[..byte.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.chars().count(), |i| before[i + 1..].chars().count())
        + 1;
    (line, col)
}

/// Parses a field path (`criteria[1].met_when.cues[0]`) into segments.
fn segments(path: &str) -> Vec<(String, Option<usize>)> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (name, rest) = part.split_once('[').unwrap_or((part, ""));
        let mut first = true;
        let mut push_name = |n: &str, i: Option<usize>| out.push((n.to_owned(), i));
        if rest.is_empty() {
            push_name(name, None);
            continue;
        }
        for idx in rest.split('[') {
            let i = idx.trim_end_matches(']').parse().ok();
            if first {
                push_name(name, i);
                first = false;
            } else {
                push_name("", i);
            }
        }
    }
    out
}

/// A JSON pointer for a field path.
fn json_pointer(path: &str) -> String {
    let mut p = String::new();
    for (name, idx) in segments(path) {
        if !name.is_empty() {
            p.push('/');
            p.push_str(&name.replace('~', "~0").replace('/', "~1"));
        }
        if let Some(i) = idx {
            p.push('/');
            p.push_str(&i.to_string());
        }
    }
    p
}

/// Best-effort TOML position of a field path: the `[[criteria]]` block of
/// the indexed criterion, then each following key within it.
fn toml_position(text: &str, path: &str) -> RubricLocation {
    let segs = segments(path);
    let mut from = 0usize;
    let mut found: Option<usize> = None;
    let mut in_block_end = text.len();
    for (k, (name, idx)) in segs.iter().enumerate() {
        if name.is_empty() {
            continue;
        }
        if k == 0 && idx.is_some() {
            // An array of tables: find the idx-th `[[name]]` header.
            let header = format!("[[{name}]]");
            let mut starts = text.match_indices(&header).map(|(i, _)| i);
            match starts.nth(idx.unwrap_or(0)) {
                Some(i) => {
                    from = i;
                    found = Some(i);
                    in_block_end = text[i + header.len()..]
                        .find(&header)
                        .map_or(text.len(), |j| i + header.len() + j);
                }
                None => break,
            }
            continue;
        }
        let hay = &text[from..in_block_end];
        let hit = hay
            .match_indices(name.as_str())
            .find(|(i, _)| {
                let after = hay[i + name.len()..].trim_start();
                let before_ok = *i == 0
                    || !hay.as_bytes()[i - 1].is_ascii_alphanumeric()
                        && hay.as_bytes()[i - 1] != b'_';
                before_ok && (after.starts_with('=') || after.starts_with('"'))
            })
            .map(|(i, _)| from + i);
        match hit {
            Some(i) => {
                from = i;
                found = Some(i);
            }
            None => break,
        }
    }
    match found {
        Some(b) => {
            let (line, column) = line_col(text, b);
            RubricLocation::Toml { line, column }
        }
        None => RubricLocation::File,
    }
}

/// Everything beyond the data model's structural checks: benchmark keys
/// that exist in `pack`, cues that compile, and the AI-Act guard.
pub fn validate_rubric(rubric: &Rubric, pack: &BenchmarkPack) -> Result<(), Error> {
    rubric.validate()?;
    for (i, c) in rubric.all_criteria_with_paths() {
        let mut keys = Vec::new();
        for cue in [&c.met_when, &c.partial_when, &c.applies_when]
            .into_iter()
            .flatten()
        {
            cue.benchmark_keys(&mut keys);
        }
        for k in keys {
            if pack.get(k).is_none() {
                return Err(Error::invalid(
                    format!("{i}.benchmark"),
                    format!(
                        "unknown benchmark key (pack `{}` has: {})",
                        pack.name,
                        pack.benchmarks
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
    }
    super::guard::check_ai_act(rubric)?;
    CompiledRubric::compile(rubric, pack)?;
    Ok(())
}

trait CriteriaPaths {
    fn all_criteria_with_paths(&self) -> Vec<(String, &closeq_core::Criterion)>;
}

impl CriteriaPaths for Rubric {
    fn all_criteria_with_paths(&self) -> Vec<(String, &closeq_core::Criterion)> {
        fn walk<'a>(
            prefix: &str,
            cs: &'a [closeq_core::Criterion],
            out: &mut Vec<(String, &'a closeq_core::Criterion)>,
        ) {
            for (i, c) in cs.iter().enumerate() {
                let p = format!("{prefix}[{i}]");
                out.push((p.clone(), c));
                walk(&format!("{p}.sub_criteria"), &c.sub_criteria, out);
            }
        }
        let mut out = Vec::new();
        walk("criteria", &self.criteria, &mut out);
        out
    }
}

fn semantic_path(e: &Error) -> Option<String> {
    match e {
        Error::InvalidInput { field, .. } => Some(field.to_string()),
        Error::Compliance { .. } => super::guard::error_path(e),
        _ => None,
    }
}

/// Loads a rubric from TOML text; `file` names it in errors.
pub fn load_toml(file: &str, text: &str) -> Result<Rubric, RubricLoadError> {
    load_toml_with(file, text, &BenchmarkPack::default_pack())
}

/// Loads TOML against a given benchmark pack.
pub fn load_toml_with(
    file: &str,
    text: &str,
    pack: &BenchmarkPack,
) -> Result<Rubric, RubricLoadError> {
    let rubric: Rubric = toml::from_str(text).map_err(|e| {
        let location = e.span().map_or(RubricLocation::File, |s| {
            let (line, column) = line_col(text, s.start);
            RubricLocation::Toml { line, column }
        });
        RubricLoadError {
            file: file.to_owned(),
            location,
            error: Error::invalid("rubric", e.message().trim().to_owned()),
        }
    })?;
    validate_rubric(&rubric, pack).map_err(|error| RubricLoadError {
        file: file.to_owned(),
        location: semantic_path(&error).map_or(RubricLocation::File, |p| toml_position(text, &p)),
        error,
    })?;
    Ok(rubric)
}

/// Loads a rubric from JSON text; `file` names it in errors.
pub fn load_json(file: &str, text: &str) -> Result<Rubric, RubricLoadError> {
    load_json_with(file, text, &BenchmarkPack::default_pack())
}

/// Loads JSON against a given benchmark pack.
pub fn load_json_with(
    file: &str,
    text: &str,
    pack: &BenchmarkPack,
) -> Result<Rubric, RubricLoadError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let rubric: Rubric = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let pointer = json_pointer(&e.path().to_string().replace("?", ""));
        let inner = e.into_inner();
        RubricLoadError {
            file: file.to_owned(),
            location: RubricLocation::JsonPointer(if pointer == "/." {
                String::new()
            } else {
                pointer
            }),
            error: Error::invalid("rubric", inner.to_string()),
        }
    })?;
    validate_rubric(&rubric, pack).map_err(|error| RubricLoadError {
        file: file.to_owned(),
        location: semantic_path(&error).map_or(RubricLocation::File, |p| {
            RubricLocation::JsonPointer(json_pointer(&p))
        }),
        error,
    })?;
    Ok(rubric)
}

/// Loads a rubric file, choosing TOML or JSON by extension (`.json` is
/// JSON, anything else TOML).
pub fn load_file(path: &Path) -> Result<Rubric, RubricLoadError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| RubricLoadError {
        file: file.clone(),
        location: RubricLocation::File,
        error: Error::invalid("rubric", format!("cannot read the file: {}", e.kind())),
    })?;
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        load_json(&file, &text)
    } else {
        load_toml(&file, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_and_segments() {
        assert_eq!(
            json_pointer("criteria[1].met_when.cues[0].phrases"),
            "/criteria/1/met_when/cues/0/phrases"
        );
        assert_eq!(json_pointer("name"), "/name");
    }
}

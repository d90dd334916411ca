//! Errors reading a labelled dataset.

/// What is wrong with a dataset, and where: the line and the field.
/// Messages never quote transcript text or labels' free text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {field}: {reason}")]
#[non_exhaustive]
pub struct DatasetError {
    /// 1-based line of the JSONL file (0 for the file as a whole).
    pub line: usize,
    /// The field path (`labels[1].overall`), or `-` for the line itself.
    pub field: String,
    /// What was wrong.
    pub reason: String,
}

impl DatasetError {
    pub(crate) fn new(line: usize, field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            line,
            field: field.into(),
            reason: reason.into(),
        }
    }
}

//! Labelled-call datasets for benchmarking rubrics and scorers against
//! human raters (see [`Dataset`] for the JSONL format).

mod error;
mod labelled;

pub use error::DatasetError;
pub use labelled::{Dataset, LabelledCall, RaterLabels, TranscriptSource};

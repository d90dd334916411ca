//! A rubric's identity: the SHA-256 of its canonical JSON form.

use closeq_core::Rubric;
use sha2::{Digest, Sha256};

/// `sha256:<hex>` of the rubric's canonical form: its JSON serialization,
/// which has a fixed field order and no insignificant whitespace, so two
/// files that differ only in formatting, comments or TOML-vs-JSON have the
/// same identity, and any change to a criterion, weight or cue changes it.
pub fn rubric_hash(rubric: &Rubric) -> String {
    let canonical = serde_json::to_vec(rubric).unwrap_or_default();
    format!("sha256:{}", hex::encode(Sha256::digest(&canonical)))
}

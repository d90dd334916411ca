//! The built-in rubric packs, reviewed files shipped inside the crate.

use closeq_core::{Error, Result, Rubric};

use super::load::load_toml;

/// (file name, contents) of every built-in rubric.
const FILES: &[(&str, &str)] = &[
    ("spin.toml", include_str!("../../rubrics/spin.toml")),
    ("bant.toml", include_str!("../../rubrics/bant.toml")),
    ("meddpicc.toml", include_str!("../../rubrics/meddpicc.toml")),
    ("meddic.toml", include_str!("../../rubrics/meddic.toml")),
    (
        "challenger.toml",
        include_str!("../../rubrics/challenger.toml"),
    ),
    ("sandler.toml", include_str!("../../rubrics/sandler.toml")),
    (
        "gap_selling.toml",
        include_str!("../../rubrics/gap_selling.toml"),
    ),
    (
        "discovery.toml",
        include_str!("../../rubrics/discovery.toml"),
    ),
    ("demo.toml", include_str!("../../rubrics/demo.toml")),
];

/// Every built-in rubric, validated (a broken built-in file is an internal error).
pub fn builtin_rubrics() -> Result<Vec<Rubric>> {
    FILES
        .iter()
        .map(|(name, text)| {
            load_toml(name, text)
                .map_err(|e| Error::internal(format!("built-in rubric {name} is invalid: {e}")))
        })
        .collect()
}

/// The built-in rubric with key `id`.
pub fn builtin_rubric(id: &str) -> Result<Rubric> {
    builtin_rubrics()?
        .into_iter()
        .find(|r| r.id.as_str() == id)
        .ok_or_else(|| Error::not_found("rubric", id))
}

/// The keys of the built-in rubrics.
pub fn builtin_ids() -> Vec<&'static str> {
    FILES
        .iter()
        .map(|(n, _)| n.trim_end_matches(".toml"))
        .collect()
}

//! Rubrics as data: loading TOML/JSON with precise errors, the EU AI Act
//! guard, identity hashes, the built-in packs and the JSON Schema.

mod builtin;
mod guard;
mod hash;
mod load;

pub use builtin::{builtin_ids, builtin_rubric, builtin_rubrics};
pub use guard::check_ai_act;
pub use hash::rubric_hash;
pub use load::{
    RubricLoadError, RubricLocation, load_file, load_json, load_json_with, load_toml,
    load_toml_with, validate_rubric,
};

/// The JSON Schema of the rubric file format, generated from the Rust types.
pub fn rubric_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(closeq_core::Rubric)).unwrap_or_default()
}

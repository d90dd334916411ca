//! JSON documents in SQL columns, and the summary columns derived from them.

use closeq_core::{Error, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub(crate) fn to_json<T: Serialize>(backend: &'static str, v: &T) -> Result<String> {
    serde_json::to_string(v)
        .map_err(|_| Error::storage(backend, "encode", "cannot encode a record", false))
}

pub(crate) fn from_json<T: DeserializeOwned>(backend: &'static str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|_| {
        Error::storage(
            backend,
            "decode",
            "a stored record does not decode (schema drift?)",
            false,
        )
    })
}

/// The snake_case name of a serde enum value.
pub(crate) fn enum_name<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|x| x.as_str().map(str::to_owned))
        .unwrap_or_default()
}

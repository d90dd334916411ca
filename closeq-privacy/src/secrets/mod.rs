//! Secrets: API keys (stored as hashes) and sealed integration tokens.

mod api_key;
mod sealing;

pub use api_key::{
    ApiKeySecret, ApiKeys, AuthenticatedKey, KeyEnvironment, LAST_USED_RESOLUTION, check_format,
    generate, key_hash,
};
pub use sealing::TokenSealer;

//! The subject index: keyed hashes (HMAC-SHA256) of the identifiers a call
//! holds — client e-mail, client phone (E.164), rep — so a data-subject
//! request finds every record of a person without a plaintext scan, and the
//! index itself reveals nothing without the key.

use closeq_core::{Call, Result, Subject};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Computes subject-index entries.
#[derive(Clone)]
pub struct SubjectHasher {
    key: [u8; 32],
    default_country_code: String,
}

impl std::fmt::Debug for SubjectHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubjectHasher")
            .field("default_country_code", &self.default_country_code)
            .finish_non_exhaustive()
    }
}

impl SubjectHasher {
    /// A hasher with a 32-byte secret key; national phone numbers take
    /// `default_country_code` (digits, e.g. `"44"`).
    pub fn new(key: [u8; 32], default_country_code: impl Into<String>) -> Self {
        Self {
            key,
            default_country_code: default_country_code.into(),
        }
    }

    /// The index entry of `subject`.
    pub fn hash(&self, subject: &Subject) -> Result<[u8; 32]> {
        let k = subject.index_key(&self.default_country_code)?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .map_err(|_| closeq_core::Error::internal("HMAC key"))?;
        mac.update(k.as_bytes());
        Ok(mac.finalize().into_bytes().into())
    }

    /// Every index entry of a call: client e-mail, client phone, rep.
    pub fn entries(&self, call: &Call) -> Vec<[u8; 32]> {
        Subject::of_call(call)
            .iter()
            .filter_map(|s| self.hash(s).ok())
            .collect()
    }
}

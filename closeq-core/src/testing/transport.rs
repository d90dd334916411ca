//! Checks for the transport rule ([`crate::transport::check_remote_base_url`])
//! shared by the adapters' adversarial suites.

use crate::{Error, Result};

/// The field a cleartext base URL was refused for.
///
/// # Panics
/// When `r` is not an [`Error::InvalidInput`] whose reason asks for
/// `https://`: the adapter accepted the URL or failed for another reason.
#[allow(clippy::panic)]
pub fn refused_transport_field<T: std::fmt::Debug>(r: Result<T>) -> String {
    match r {
        Err(Error::InvalidInput { field, reason }) => {
            assert!(reason.contains("https://"), "{reason}");
            field.into_owned()
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

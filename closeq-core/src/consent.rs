//! Call-recording consent records: how and when the people on a call
//! agreed to its recording. When a workspace requires consent, no call is
//! analysed without one.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::id::CallId;

/// How recording consent was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentMethod {
    /// Said on the call and recorded.
    Verbal,
    /// An IVR announcement the client accepted.
    Ivr,
    /// In writing (e-mail, form).
    Written,
    /// Part of a signed contract.
    Contract,
}

impl ConsentMethod {
    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Verbal => "verbal",
            Self::Ivr => "ivr",
            Self::Written => "written",
            Self::Contract => "contract",
        }
    }
}

/// A call-recording consent record (no personal data beyond the call id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ConsentRecord {
    /// The call.
    pub call_id: CallId,
    /// How.
    pub method: ConsentMethod,
    /// When.
    pub obtained_at: DateTime<Utc>,
}

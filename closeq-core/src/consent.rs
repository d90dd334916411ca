//! Call-recording consent records: how and when the people on a call
//! agreed to its recording. When a workspace requires consent, no call is
//! analysed without one.
//!
//! Consent can be withdrawn (GDPR Art. 7(3)): the record keeps when it was
//! given and gains when it was withdrawn. From that moment the privacy
//! gates refuse further processing of the call: analysis (checked again
//! before results are stored), the score-export gate, and signed audio
//! URLs and reads through `closeq_privacy`'s gates (an audio store built
//! with its access gate);
//! what was done before stays lawful and is not deleted unless erasure is
//! also asked for. A withdrawn record is replaced only by a consent given
//! after the withdrawal, and the stores accept that renewal only from an
//! owner or admin.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
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
    /// When it was withdrawn (Art. 7(3)), if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn_at: Option<DateTime<Utc>>,
}

impl ConsentRecord {
    /// Consent for `call_id`, given by `method` at `obtained_at`.
    pub fn given(call_id: CallId, method: ConsentMethod, obtained_at: DateTime<Utc>) -> Self {
        Self {
            call_id,
            method,
            obtained_at,
            withdrawn_at: None,
        }
    }

    /// Whether the consent has been withdrawn.
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn_at.is_some()
    }

    /// Marks the consent withdrawn at `at`. Withdrawing twice keeps the
    /// first moment. A withdrawal is never refused: not even by a record
    /// whose `obtained_at` (supplied by whoever stored it) lies after `at`.
    pub fn withdraw(&mut self, at: DateTime<Utc>) {
        if self.withdrawn_at.is_none() {
            self.withdrawn_at = Some(at);
        }
    }

    /// May `next` replace this stored record? Not when this one was
    /// withdrawn and `next` is not a consent given after the withdrawal
    /// (re-sending the original record must not undo a withdrawal). The
    /// stores add: only an owner or admin records a renewed consent.
    pub fn may_be_replaced_by(&self, next: &ConsentRecord) -> Result<()> {
        match self.withdrawn_at {
            Some(w) if next.withdrawn_at.is_none() && next.obtained_at <= w => {
                Err(Error::Compliance {
                    rule: "GDPR Art. 7(3)".into(),
                    reason: "consent for this call was withdrawn; only a consent given after the withdrawal replaces it".into(),
                })
            }
            _ => Ok(()),
        }
    }
}

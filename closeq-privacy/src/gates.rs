//! Compliance gates run before a step that processes personal data:
//! recording consent, the workspace's AI switch, restriction (GDPR Art. 18)
//! and objection (Art. 21) of the data subject, the sub-processor transfer
//! rules, and human review before scores are used in employment decisions
//! (EU AI Act Art. 14 and 26). Every refusal is a `Compliance` error naming
//! the rule.

use chrono::{DateTime, Utc};
use closeq_core::ports::SubProcessor;
use closeq_core::{CallId, Error, Result, Scorecard, WorkspaceSettings};
use serde::{Deserialize, Serialize};

/// How recording consent was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// A call-recording consent record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    /// The call.
    pub call_id: CallId,
    /// How.
    pub method: ConsentMethod,
    /// When.
    pub obtained_at: DateTime<Utc>,
}

/// The data subject's standing requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubjectState {
    /// Processing is restricted (Art. 18): nothing may be done but storage.
    pub restricted: bool,
    /// The subject objected (Art. 21): no further AI analysis.
    pub objected: bool,
}

fn refuse(rule: &'static str, reason: &'static str) -> Error {
    Error::Compliance {
        rule: rule.into(),
        reason: reason.into(),
    }
}

/// May this call be analysed (transcribed, scored) at all?
pub fn check_analysis(
    settings: &WorkspaceSettings,
    call: CallId,
    consent: Option<&ConsentRecord>,
    subject: SubjectState,
) -> Result<()> {
    if subject.restricted {
        return Err(refuse(
            "GDPR Art. 18",
            "processing of this data subject's calls is restricted",
        ));
    }
    if !settings.ai_analysis_enabled {
        return Err(refuse(
            "workspace AI switch",
            "AI analysis is turned off for this workspace",
        ));
    }
    if subject.objected {
        return Err(refuse(
            "GDPR Art. 21",
            "the data subject objected to AI analysis",
        ));
    }
    if settings.consent_required && consent.is_none_or(|c| c.call_id != call) {
        return Err(refuse(
            "recording consent",
            "the workspace requires a consent record for this call and there is none",
        ));
    }
    Ok(())
}

/// May data go to `adapter` under the workspace's transfer policy?
pub fn check_transfer(settings: &WorkspaceSettings, adapter: &dyn SubProcessor) -> Result<()> {
    crate::subprocessors::Register::check(&settings.transfer_policy, adapter)
}

/// May these scores be exported for use in employment decisions? Only
/// scorecards a human has reviewed (and not rejected) may.
pub fn check_employment_export(cards: &[Scorecard]) -> Result<()> {
    let unreviewed = cards.iter().filter(|c| !c.review().is_reviewed()).count();
    if unreviewed > 0 {
        return Err(Error::Compliance {
            rule: "EU AI Act Art. 14".into(),
            reason: format!("{unreviewed} scorecard(s) are unreviewed AI suggestions; a human must review them before they inform employment decisions").into(),
        });
    }
    if cards.iter().any(|c| c.effective_score().is_none()) {
        return Err(refuse(
            "EU AI Act Art. 14",
            "a reviewer rejected one of the scorecards",
        ));
    }
    Ok(())
}

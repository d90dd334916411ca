//! Workspaces (tenants) and their settings.

use std::collections::BTreeSet;

use chrono::{DateTime, Months, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::WorkspaceId;
use crate::rubric::RubricKey;
use crate::subprocessor::{Region, SubProcessorInfo, TransferMechanism};

/// A workspace: one customer organisation, the unit of tenancy. All calls,
/// teams and members belong to exactly one workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Workspace {
    /// Its id.
    pub id: WorkspaceId,
    /// Display name (an organisation name, 1–200 characters).
    pub name: String,
    /// Settings.
    #[serde(default)]
    pub settings: WorkspaceSettings,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl Workspace {
    /// A new workspace with default settings.
    pub fn new(name: impl Into<String>, created_at: DateTime<Utc>) -> Result<Self> {
        let w = Self {
            id: WorkspaceId::new(),
            name: name.into(),
            settings: WorkspaceSettings::default(),
            created_at,
        };
        w.validate()?;
        Ok(w)
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        crate::validate::text("name", &self.name, 1, 200)?;
        self.settings.validate().map_err(|e| e.in_field("settings"))
    }
}

/// A workspace's settings. The defaults are the privacy policy's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct WorkspaceSettings {
    /// How long call audio is kept after the call (default 12 months).
    pub audio_retention: RetentionPeriod,
    /// Where the workspace's data is stored and processed by CloseQ.
    pub data_region: Region,
    /// Which sub-processors may receive the workspace's data.
    pub transfer_policy: TransferPolicy,
    /// The rubric calls are scored against when none is named.
    pub default_rubric: Option<RubricKey>,
    /// Master switch for AI analysis (scoring, coaching). Off: calls are
    /// stored and transcribed, never scored.
    pub ai_analysis_enabled: bool,
    /// Whether a recording-consent record is required before a call is processed.
    pub consent_required: bool,
    /// Whether text is redacted before it reaches a remote sub-processor.
    pub redact_before_remote_processing: bool,
    /// Subscription state; its end anchors several retention rules.
    pub subscription: SubscriptionState,
    /// Partial retention: keep only this seeded share of recordings (every
    /// call is still analysed). `None`: keep every recording.
    pub recording_sample: Option<crate::recording_sample::RecordingSample>,
    /// The country calling code (digits, `48`, `44`) that phone numbers
    /// written without one belong to, for finding data subjects by phone.
    pub phone_country_code: String,
}

impl Default for WorkspaceSettings {
    fn default() -> Self {
        Self {
            audio_retention: RetentionPeriod::Months(12),
            data_region: Region::eu(),
            transfer_policy: TransferPolicy::default(),
            default_rubric: None,
            ai_analysis_enabled: true,
            consent_required: false,
            redact_before_remote_processing: false,
            subscription: SubscriptionState::Active,
            recording_sample: None,
            phone_country_code: "44".to_owned(),
        }
    }
}

impl WorkspaceSettings {
    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        self.audio_retention
            .validate()
            .map_err(|e| e.in_field("audio_retention"))?;
        if let Some(r) = &self.recording_sample {
            r.validate().map_err(|e| e.in_field("recording_sample"))?;
        }
        let cc = &self.phone_country_code;
        if cc.is_empty()
            || cc.len() > 3
            || !cc.bytes().all(|b| b.is_ascii_digit())
            || cc.starts_with('0')
        {
            return Err(Error::invalid(
                "phone_country_code",
                "must be a country calling code of 1 to 3 digits, such as 48 or 44",
            ));
        }
        self.transfer_policy
            .validate()
            .map_err(|e| e.in_field("transfer_policy"))
    }
}

/// A retention period, counted from an anchor time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RetentionPeriod {
    /// A number of days (1 to 3,660).
    Days(u32),
    /// A number of calendar months (1 to 120).
    Months(u32),
}

impl RetentionPeriod {
    /// Checks the range.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Self::Days(d) if !(1..=3660).contains(&d) => {
                Err(Error::invalid("days", "must be between 1 and 3660"))
            }
            Self::Months(m) if !(1..=120).contains(&m) => {
                Err(Error::invalid("months", "must be between 1 and 120"))
            }
            _ => Ok(()),
        }
    }

    /// The instant this period ends when counted from `anchor`. Month
    /// arithmetic clamps to the end of shorter months (31 Jan + 1 month =
    /// 28/29 Feb). Returns `None` only if the date overflows chrono's range.
    pub fn after(&self, anchor: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match *self {
            Self::Days(d) => anchor.checked_add_signed(chrono::Duration::days(i64::from(d))),
            Self::Months(m) => anchor.checked_add_months(Months::new(m)),
        }
    }

    /// The latest moment whose period has ended at `now`: an item made at
    /// or before it is due (`None` when out of range).
    pub fn cutoff(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match *self {
            Self::Days(d) => now.checked_sub_signed(chrono::Duration::days(i64::from(d))),
            Self::Months(m) => now.checked_sub_months(Months::new(m)),
        }
    }
}

/// Whether the workspace's subscription is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum SubscriptionState {
    /// Running.
    Active,
    /// Ended (by either side) at `at`: purge deadlines count from here.
    Terminated {
        /// When the subscription ended.
        at: DateTime<Utc>,
    },
}

/// Which sub-processors may receive a workspace's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferPolicy {
    /// Transfer mechanisms accepted for processing outside the EEA.
    /// `within_eea` must always be present; `none` never may be.
    pub allowed_mechanisms: BTreeSet<TransferMechanism>,
    /// Require a data-processing agreement with every sub-processor.
    pub require_dpa: bool,
    /// Refuse sub-processors that train on customer data.
    pub forbid_training_on_customer_data: bool,
}

impl Default for TransferPolicy {
    /// EEA processing, adequacy decisions, SCCs and the DPF allowed; a DPA
    /// and no training on customer data required.
    fn default() -> Self {
        Self {
            allowed_mechanisms: [
                TransferMechanism::WithinEea,
                TransferMechanism::AdequacyDecision,
                TransferMechanism::StandardContractualClauses,
                TransferMechanism::EuUsDataPrivacyFramework,
            ]
            .into(),
            require_dpa: true,
            forbid_training_on_customer_data: true,
        }
    }
}

impl TransferPolicy {
    /// Only processing inside the EEA.
    pub fn eea_only() -> Self {
        Self {
            allowed_mechanisms: [TransferMechanism::WithinEea].into(),
            ..Self::default()
        }
    }

    /// Checks the policy itself.
    pub fn validate(&self) -> Result<()> {
        if !self
            .allowed_mechanisms
            .contains(&TransferMechanism::WithinEea)
        {
            return Err(Error::invalid(
                "allowed_mechanisms",
                "must include within_eea",
            ));
        }
        if self.allowed_mechanisms.contains(&TransferMechanism::None) {
            return Err(Error::invalid(
                "allowed_mechanisms",
                "cannot allow transfers without a mechanism (none)",
            ));
        }
        Ok(())
    }

    /// Whether `sp` may receive this workspace's data; the error names the
    /// rule that refused it.
    pub fn check(&self, sp: &SubProcessorInfo) -> Result<()> {
        let refuse = |reason: String| Error::Compliance {
            rule: "transfer-policy".into(),
            reason: reason.into(),
        };
        if self.require_dpa && !sp.dpa_in_place {
            return Err(refuse(format!(
                "sub-processor {} has no data-processing agreement",
                sp.vendor
            )));
        }
        if self.forbid_training_on_customer_data && sp.trains_on_customer_data {
            return Err(refuse(format!(
                "sub-processor {} trains on customer data",
                sp.vendor
            )));
        }
        let mechanism = if sp.region.is_eea() {
            TransferMechanism::WithinEea
        } else {
            sp.transfer_mechanism
        };
        if !self.allowed_mechanisms.contains(&mechanism) {
            return Err(refuse(format!(
                "sub-processor {} processes in {} under {:?}, which this workspace does not allow",
                sp.vendor,
                sp.region.as_str(),
                mechanism
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DataCategory;
    use chrono::TimeZone;

    #[test]
    fn defaults_follow_the_policy() {
        let s = WorkspaceSettings::default();
        assert_eq!(s.audio_retention, RetentionPeriod::Months(12));
        assert!(s.ai_analysis_enabled);
        s.validate().unwrap();
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<WorkspaceSettings>(&json).unwrap(), s);
        // Missing fields take defaults; unknown fields are refused.
        assert_eq!(serde_json::from_str::<WorkspaceSettings>("{}").unwrap(), s);
        assert!(serde_json::from_str::<WorkspaceSettings>(r#"{"nope":1}"#).is_err());
    }

    #[test]
    fn bad_values_name_their_field() {
        let mut s = WorkspaceSettings {
            audio_retention: RetentionPeriod::Months(0),
            ..Default::default()
        };
        assert_eq!(
            s.validate().unwrap_err().field(),
            Some("audio_retention.months")
        );
        s.audio_retention = RetentionPeriod::Days(4000);
        assert_eq!(
            s.validate().unwrap_err().field(),
            Some("audio_retention.days")
        );
        s.audio_retention = RetentionPeriod::Days(30);
        s.transfer_policy
            .allowed_mechanisms
            .insert(TransferMechanism::None);
        assert_eq!(
            s.validate().unwrap_err().field(),
            Some("transfer_policy.allowed_mechanisms")
        );
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let w = Workspace::new("", t).unwrap_err();
        assert_eq!(w.field(), Some("name"));
        let mut w = Workspace::new("Acme", t).unwrap();
        w.settings = s;
        assert_eq!(
            w.validate().unwrap_err().field(),
            Some("settings.transfer_policy.allowed_mechanisms")
        );
    }

    #[test]
    fn retention_month_arithmetic_clamps() {
        let t = Utc.with_ymd_and_hms(2026, 1, 31, 12, 0, 0).unwrap();
        assert_eq!(
            RetentionPeriod::Months(1).after(t).unwrap(),
            Utc.with_ymd_and_hms(2026, 2, 28, 12, 0, 0).unwrap()
        );
        assert_eq!(
            RetentionPeriod::Days(90).after(t).unwrap(),
            t + chrono::Duration::days(90)
        );
    }

    #[test]
    fn transfer_policy_checks() {
        let sp = SubProcessorInfo {
            vendor: "V".into(),
            legal_entity: "V Inc.".into(),
            purpose: "stt".into(),
            data_categories: [DataCategory::CallAudio].into(),
            region: Region::parse("US").unwrap(),
            transfer_mechanism: TransferMechanism::StandardContractualClauses,
            dpa_in_place: true,
            trains_on_customer_data: false,
        };
        TransferPolicy::default().check(&sp).unwrap();
        let err = TransferPolicy::eea_only().check(&sp).unwrap_err();
        assert!(matches!(err, Error::Compliance { .. }));
        let mut eu = sp.clone();
        eu.region = Region::parse("DE").unwrap();
        TransferPolicy::eea_only().check(&eu).unwrap();
        let mut no_dpa = eu.clone();
        no_dpa.dpa_in_place = false;
        assert!(TransferPolicy::eea_only().check(&no_dpa).is_err());
        let mut trains = eu;
        trains.trains_on_customer_data = true;
        assert!(TransferPolicy::eea_only().check(&trains).is_err());
    }
}

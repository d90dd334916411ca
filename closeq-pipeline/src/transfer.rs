//! The transfer check: every party that will receive call data —
//! speech-to-text and every scorer's models — is checked against the
//! workspace's transfer policy and data region before any byte leaves.

use closeq_core::{Error, Result, SubProcessorInfo, TransferMechanism, WorkspaceSettings};

/// What a recipient would receive, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    SpeechToText,
    Scoring,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Self::SpeechToText => "speech-to-text",
            Self::Scoring => "scoring",
        }
    }
}

/// Checks one recipient.
///
/// The workspace's transfer policy decides (DPA required, no training on
/// customer data, the transfer mechanisms allowed outside the EEA), read
/// from where the workspace's data lives: when its data region is outside
/// the EEA, a recipient in that same country is not a transfer at all;
/// otherwise the policy's rules apply as they are. A refusal is a
/// `Compliance` error naming the vendor, what it would have received, and
/// the rule.
pub(crate) fn check(settings: &WorkspaceSettings, role: Role, sp: &SubProcessorInfo) -> Result<()> {
    sp.validate()?;
    let region = &settings.data_region;
    let same_place = !region.is_eea() && sp.region == *region;
    let result = if same_place {
        // No international transfer; the DPA and training rules still hold.
        let mut local = sp.clone();
        local.transfer_mechanism = TransferMechanism::WithinEea;
        settings.transfer_policy.check(&local)
    } else {
        settings.transfer_policy.check(sp)
    };
    result.map_err(|e| match e {
        Error::Compliance { rule, reason } => Error::Compliance {
            rule,
            reason: format!(
                "{} ({} would receive the call for {})",
                reason,
                sp.vendor,
                role.as_str()
            )
            .into(),
        },
        other => other,
    })
}

/// Checks every recipient, speech-to-text first.
pub(crate) fn check_all(
    settings: &WorkspaceSettings,
    stt: Option<&SubProcessorInfo>,
    scorers: &[SubProcessorInfo],
) -> Result<()> {
    if let Some(sp) = stt {
        check(settings, Role::SpeechToText, sp)?;
    }
    for sp in scorers {
        check(settings, Role::Scoring, sp)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use closeq_core::{DataCategory, Region, TransferPolicy};

    fn vendor(region: &str, mechanism: TransferMechanism) -> SubProcessorInfo {
        SubProcessorInfo {
            vendor: "Example LLM".into(),
            legal_entity: "Example Inc.".into(),
            purpose: "scoring".into(),
            data_categories: [DataCategory::Transcript].into(),
            region: Region::parse(region).unwrap_or_else(|_| Region::eu()),
            transfer_mechanism: mechanism,
            dpa_in_place: true,
            trains_on_customer_data: false,
        }
    }

    #[test]
    fn eea_only_refuses_a_us_vendor_naming_it() {
        let settings = WorkspaceSettings {
            transfer_policy: TransferPolicy::eea_only(),
            ..WorkspaceSettings::default()
        };
        let sp = vendor("US", TransferMechanism::StandardContractualClauses);
        let e = check_all(&settings, None, &[sp]).unwrap_err().to_string();
        assert!(
            e.contains("transfer-policy") && e.contains("Example LLM") && e.contains("scoring"),
            "{e}"
        );
        assert!(
            check_all(
                &settings,
                Some(&vendor("DE", TransferMechanism::WithinEea)),
                &[]
            )
            .is_ok()
        );
    }

    #[test]
    fn a_recipient_in_the_workspaces_own_non_eea_country_is_no_transfer() {
        let settings = WorkspaceSettings {
            data_region: Region::parse("US").unwrap_or_else(|_| Region::eu()),
            transfer_policy: TransferPolicy::eea_only(),
            ..WorkspaceSettings::default()
        };
        assert!(check_all(&settings, None, &[vendor("US", TransferMechanism::None)]).is_ok());
        assert!(check_all(&settings, None, &[vendor("IN", TransferMechanism::None)]).is_err());
        let mut no_dpa = vendor("US", TransferMechanism::None);
        no_dpa.dpa_in_place = false;
        assert!(check_all(&settings, None, &[no_dpa]).is_err());
    }
}

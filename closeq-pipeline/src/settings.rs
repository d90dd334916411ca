//! Reading and changing the workspace settings the pipeline's gates read,
//! by name, with validation and an audit record of every change.

use closeq_core::ports::{CallFilter, CallStore, PageRequest, WorkspaceStore};
use closeq_core::{
    AuditRecord, Clock, Error, Result, RetentionPeriod, Scope, TransferPolicy, WorkspaceSettings,
};

/// The settings that can be changed by name, with the values each takes.
pub const SETTING_KEYS: &[(&str, &str)] = &[
    ("ai-analysis", "on | off"),
    ("consent-required", "on | off"),
    ("transfer-policy", "default | eea-only"),
    ("redact-before-remote-processing", "on | off"),
    ("audio-retention-months", "1-120"),
    (
        "phone-region",
        "a country calling code (48, +44) or a country (PL, GB, DE, ...)",
    ),
];

fn on_off(key: &str, v: &str) -> Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        _ => Err(Error::invalid(key.to_owned(), "must be on or off")),
    }
}

/// Country calling codes of the EEA, the UK, Switzerland and the US/Canada.
const CALLING_CODES: &[(&str, &str)] = &[
    ("AT", "43"),
    ("BE", "32"),
    ("BG", "359"),
    ("HR", "385"),
    ("CY", "357"),
    ("CZ", "420"),
    ("DK", "45"),
    ("EE", "372"),
    ("FI", "358"),
    ("FR", "33"),
    ("DE", "49"),
    ("GR", "30"),
    ("HU", "36"),
    ("IE", "353"),
    ("IT", "39"),
    ("LV", "371"),
    ("LT", "370"),
    ("LU", "352"),
    ("MT", "356"),
    ("NL", "31"),
    ("PL", "48"),
    ("PT", "351"),
    ("RO", "40"),
    ("SK", "421"),
    ("SI", "386"),
    ("ES", "34"),
    ("SE", "46"),
    ("IS", "354"),
    ("LI", "423"),
    ("NO", "47"),
    ("GB", "44"),
    ("CH", "41"),
    ("US", "1"),
    ("CA", "1"),
];

/// The calling code a `phone-region` value names.
pub fn calling_code(value: &str) -> Result<String> {
    let v = value.trim();
    let digits = v.strip_prefix('+').unwrap_or(v);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(digits.to_owned());
    }
    CALLING_CODES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(v))
        .map(|(_, code)| (*code).to_owned())
        .ok_or_else(|| {
            Error::invalid(
                "phone-region",
                "must be a country calling code (48, +44) or a country code CloseQ knows (EEA countries, GB, CH, US, CA)",
            )
        })
}

/// `settings` with `key` set to `value`; `InvalidInput` names the key and
/// what it takes.
pub fn with_setting(
    mut settings: WorkspaceSettings,
    key: &str,
    value: &str,
) -> Result<WorkspaceSettings> {
    match key {
        "ai-analysis" => settings.ai_analysis_enabled = on_off(key, value)?,
        "consent-required" => settings.consent_required = on_off(key, value)?,
        "redact-before-remote-processing" => {
            settings.redact_before_remote_processing = on_off(key, value)?;
        }
        "transfer-policy" => {
            settings.transfer_policy = match value {
                "default" => TransferPolicy::default(),
                "eea-only" => TransferPolicy::eea_only(),
                _ => {
                    return Err(Error::invalid(
                        key.to_owned(),
                        "must be default or eea-only",
                    ));
                }
            }
        }
        "audio-retention-months" => {
            let n: u32 = value.parse().map_err(|_| {
                Error::invalid(key.to_owned(), "must be a whole number of months, 1-120")
            })?;
            settings.audio_retention = RetentionPeriod::Months(n);
        }
        "phone-region" => settings.phone_country_code = calling_code(value)?,
        _ => {
            let keys: Vec<&str> = SETTING_KEYS.iter().map(|(k, _)| *k).collect();
            return Err(Error::invalid(
                "setting",
                format!("unknown setting; one of {}", keys.join(", ")),
            ));
        }
    }
    settings.validate().map_err(|e| e.in_field(key))?;
    Ok(settings)
}

/// Sets one setting of the scope's workspace (owners and admins), and
/// records the change in the audit log (the key and the new value; no
/// personal data). The phone region can be changed only while the
/// workspace holds no calls: the subject index of stored calls was built
/// with the old one.
pub async fn set_setting(
    workspaces: &dyn WorkspaceStore,
    calls: &dyn CallStore,
    clock: &dyn Clock,
    scope: &Scope,
    key: &str,
    value: &str,
) -> Result<WorkspaceSettings> {
    let current = workspaces.get_workspace(scope).await?.settings;
    let next = with_setting(current.clone(), key, value)?;
    if key == "phone-region" && next.phone_country_code != current.phone_country_code {
        let any = calls
            .list_calls(scope, &CallFilter::default(), &PageRequest::first(1))
            .await?;
        if !any.items.is_empty() {
            return Err(Error::Conflict {
                resource: "workspace",
                reason: "the phone region can only change before the first call is stored".into(),
            });
        }
    }
    workspaces.update_settings(scope, &next).await?;
    let shown = match key {
        "transfer-policy"
        | "ai-analysis"
        | "consent-required"
        | "redact-before-remote-processing" => value.to_ascii_lowercase(),
        "phone-region" => next.phone_country_code.clone(),
        _ => value.trim().to_owned(),
    };
    workspaces
        .append_audit(
            scope,
            &AuditRecord {
                seq: 0,
                workspace_id: scope.workspace_id,
                at: clock.now(),
                actor: Some(scope.user_id),
                action: "workspace.settings.set".into(),
                target: Some(key.to_owned()),
                details: serde_json::json!({ "value": shown }),
            },
        )
        .await?;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_parses_and_bad_values_name_the_key() {
        let s = WorkspaceSettings::default();
        let s = with_setting(s, "ai-analysis", "off").unwrap();
        assert!(!s.ai_analysis_enabled);
        let s = with_setting(s, "transfer-policy", "eea-only").unwrap();
        assert_eq!(s.transfer_policy, TransferPolicy::eea_only());
        let s = with_setting(s, "audio-retention-months", "6").unwrap();
        assert_eq!(s.audio_retention, RetentionPeriod::Months(6));
        assert_eq!(
            with_setting(s.clone(), "phone-region", "PL")
                .unwrap()
                .phone_country_code,
            "48"
        );
        assert_eq!(
            with_setting(s.clone(), "phone-region", "+353")
                .unwrap()
                .phone_country_code,
            "353"
        );
        for (k, v) in [
            ("ai-analysis", "maybe"),
            ("audio-retention-months", "500"),
            ("audio-retention-months", "-1"),
            ("phone-region", "XX"),
            ("phone-region", "12345"),
            ("transfer-policy", "anywhere"),
        ] {
            let e = with_setting(s.clone(), k, v).unwrap_err().to_string();
            assert!(e.contains(k), "{e}");
        }
        assert!(
            with_setting(s, "colour", "blue")
                .unwrap_err()
                .to_string()
                .contains("one of")
        );
    }
}

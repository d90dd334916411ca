//! `closeq workspace show|set`: the settings the pipeline's gates read.

use std::sync::Arc;

use clap::Subcommand;
use closeq_core::{Clock, RetentionPeriod, SystemClock, TransferMechanism, WorkspaceSettings};
use closeq_pipeline::LocalInstallation;
use closeq_pipeline::settings::{SETTING_KEYS, set_setting};

/// `closeq workspace ...`.
#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Print the default workspace's settings (JSON with --json).
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change one setting (recorded in the audit log). Keys:
    /// ai-analysis on|off, consent-required on|off,
    /// transfer-policy default|eea-only, redact-before-remote-processing on|off,
    /// audio-retention-months N, phone-region CC.
    Set {
        /// The setting.
        key: String,
        /// Its new value.
        value: String,
    },
}

fn on(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

fn print(s: &WorkspaceSettings) {
    let eea_only = s.transfer_policy.allowed_mechanisms.len() == 1
        && s.transfer_policy
            .allowed_mechanisms
            .contains(&TransferMechanism::WithinEea);
    println!(
        "ai-analysis                      {}",
        on(s.ai_analysis_enabled)
    );
    println!(
        "consent-required                 {}",
        on(s.consent_required)
    );
    println!(
        "transfer-policy                  {}",
        if eea_only {
            "eea-only"
        } else if s.transfer_policy == Default::default() {
            "default"
        } else {
            "custom"
        }
    );
    println!(
        "redact-before-remote-processing  {}",
        on(s.redact_before_remote_processing)
    );
    match s.audio_retention {
        RetentionPeriod::Months(m) => println!("audio-retention-months           {m}"),
        RetentionPeriod::Days(d) => println!("audio-retention                  {d} days"),
    }
    println!("phone-region                     +{}", s.phone_country_code);
    println!(
        "data-region                      {}",
        s.data_region.as_str()
    );
}

/// Runs it.
pub fn run(cmd: WorkspaceCommand) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let state = LocalInstallation::open().await?;
        match cmd {
            WorkspaceCommand::Show { json } => {
                let s = state
                    .workspaces()
                    .get_workspace(state.owner_scope())
                    .await?
                    .settings;
                if json {
                    println!("{}", serde_json::to_string_pretty(&s)?);
                } else {
                    print(&s);
                }
            }
            WorkspaceCommand::Set { key, value } => {
                if !SETTING_KEYS.iter().any(|(k, _)| *k == key) {
                    let list: Vec<String> = SETTING_KEYS
                        .iter()
                        .map(|(k, v)| format!("  {k} {v}"))
                        .collect();
                    anyhow::bail!(
                        "unknown setting `{key}`; the settings are:\n{}",
                        list.join("\n")
                    );
                }
                let clock: Arc<dyn Clock> = Arc::new(SystemClock);
                let s = set_setting(
                    state.workspaces().as_ref(),
                    state.calls().as_ref(),
                    clock.as_ref(),
                    state.owner_scope(),
                    &key,
                    &value,
                )
                .await?;
                println!("set {key}; the workspace's settings are now:");
                print(&s);
            }
        }
        Ok(())
    })
}

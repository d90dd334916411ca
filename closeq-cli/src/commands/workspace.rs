//! `closeq workspace show|set`: the settings the pipeline's gates read;
//! `closeq workspace delete`: the termination purge, scheduled per the
//! policy or at once.

use std::sync::Arc;

use clap::Subcommand;
use closeq_core::{Clock, RetentionPeriod, SystemClock, TransferMechanism, WorkspaceSettings};
use closeq_pipeline::LocalInstallation;
use closeq_pipeline::settings::{SETTING_KEYS, set_setting};
use closeq_privacy::termination::WorkspacePurge;

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
    /// Delete the workspace with everything in it (owners). Without
    /// `--now`: end the subscription now and purge 90 days later (the
    /// privacy policy's window; `closeq retention run` carries it out when
    /// due). With `--now`: purge at once. Either asks for `--yes`.
    Delete {
        /// Purge now instead of at the end of the policy's window.
        #[arg(long)]
        now: bool,
        /// Confirm: the purge cannot be undone.
        #[arg(long)]
        yes: bool,
    },
}

/// Prints what is left of a purged workspace: its receipt.
pub fn print_receipt(r: &closeq_core::PurgeReceipt) -> anyhow::Result<()> {
    println!(
        "deleted the workspace: {} calls with their transcripts, scorecards and records, {} audio objects, its members, teams, invitations, API keys, integrations, privacy records and audit log",
        r.calls, r.audio_objects
    );
    println!("receipt (kept; it names nothing of the workspace):");
    println!("{}", serde_json::to_string_pretty(r)?);
    Ok(())
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
                    state.calls_unlogged().as_ref(),
                    clock.as_ref(),
                    state.owner_scope(),
                    &key,
                    &value,
                )
                .await?;
                println!("set {key}; the workspace's settings are now:");
                print(&s);
            }
            WorkspaceCommand::Delete { now, yes } => {
                if !yes {
                    anyhow::bail!(
                        "deleting the workspace cannot be undone; pass --yes to confirm"
                    );
                }
                let clock: Arc<dyn Clock> = Arc::new(SystemClock);
                let purge = WorkspacePurge::new(
                    state.calls_unlogged().clone(),
                    state.workspaces().clone(),
                    state.privacy().clone(),
                    Arc::new(state.object_audio_store(clock.clone())?),
                    clock,
                );
                if now {
                    let receipt = purge.purge_now(state.owner_scope()).await?;
                    state.forget_workspace()?;
                    print_receipt(&receipt)?;
                } else {
                    let due = purge.schedule(state.owner_scope()).await?;
                    println!(
                        "the subscription has ended; the workspace and everything in it will be deleted on {} (run `closeq retention run` then, or `closeq workspace delete --now --yes` to delete it at once)",
                        due.format("%Y-%m-%d %H:%M UTC")
                    );
                }
            }
        }
        Ok(())
    })
}

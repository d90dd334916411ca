//! `closeq retention plan|run` against the local installation.

use std::sync::Arc;

use clap::Subcommand;
use closeq_core::{Clock, SystemClock};
use closeq_privacy::retention::SweepReport;
use closeq_privacy::termination::{PurgeStatus, WorkspacePurge};

use closeq_pipeline::LocalInstallation;

/// Retention commands.
#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Show what a sweep would remove now (changes nothing).
    Plan {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove what is due, in batches, until done.
    Run {
        /// Calls examined per batch.
        #[arg(long, default_value_t = 500)]
        batch: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn print(r: &SweepReport, json: bool, verb: &str) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(r)?);
    } else {
        println!("examined {} calls", r.examined);
        if r.counts.is_empty()
            && r.unreferenced_audio == 0
            && r.held == 0
            && r.audit_records == 0
            && r.access_records == 0
        {
            println!("nothing is due");
        }
        for (c, n) in &r.counts {
            println!("{verb} {n} × {c}");
        }
        if r.held > 0 {
            println!(
                "held back {} calls that were due: a subject's restriction for legal claims",
                r.held
            );
        }
        if r.audit_records > 0 {
            println!(
                "{verb} {} × audit record older than the technical-log rule (90 days)",
                r.audit_records
            );
        }
        if r.access_records > 0 {
            println!(
                "{verb} {} × access record older than the technical-log rule (90 days)",
                r.access_records
            );
        }
        if r.unreferenced_audio > 0 {
            println!(
                "{verb} {} × audio object no call holds (older than the 1-hour grace period)",
                r.unreferenced_audio
            );
        }
    }
    Ok(())
}

/// Runs a retention command.
pub fn run(cmd: RetentionCommand) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let state = LocalInstallation::open().await?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        // CloseQ's own processing: reads here act on calls, not show them.
        let audio: Arc<dyn closeq_core::ports::AudioStore> =
            Arc::new(state.object_audio_store(clock.clone())?);
        let sweeper = state.sweeper(clock.clone())?;
        let purge = WorkspacePurge::new(
            state.calls_unlogged().clone(),
            state.workspaces().clone(),
            state.privacy().clone(),
            audio,
            clock.clone(),
        );
        match cmd {
            RetentionCommand::Plan { json } => print(
                &sweeper.plan(state.owner_scope()).await?,
                json,
                "would remove",
            ),
            RetentionCommand::Run { batch, json } => {
                let total = sweeper.run_to_end(state.owner_scope(), batch).await?;
                // Finished jobs go with the technical-log rule, as in the
                // worker's scheduled sweep.
                let expired_jobs = state
                    .jobs()
                    .expire_jobs(
                        state.owner_scope(),
                        clock.now() - closeq_pipeline::worker::FINISHED_JOBS_KEPT,
                    )
                    .await?;
                // A terminated workspace whose window has passed goes whole;
                // held back for legal claims, it stays and says why.
                let (purged, due, held) = match purge.purge_if_due(state.owner_scope()).await {
                    Ok(PurgeStatus::Purged(receipt)) => (Some(receipt), None, None),
                    Ok(PurgeStatus::Due(at)) => (None, Some(at), None),
                    Ok(PurgeStatus::NotScheduled) => (None, None, None),
                    Err(closeq_core::Error::Compliance { reason, .. }) => {
                        (None, None, Some(reason.into_owned()))
                    }
                    Err(e) => return Err(e.into()),
                };
                if purged.is_some() {
                    state.forget_workspace()?;
                }
                if json {
                    let doc = serde_json::json!({
                        "sweep": total,
                        "expired_jobs": expired_jobs,
                        "workspace_purged": purged,
                        "workspace_purge_due": due,
                        "workspace_purge_held": held,
                    });
                    println!("{}", serde_json::to_string_pretty(&doc)?);
                    return Ok(());
                }
                print(&total, false, "removed")?;
                if expired_jobs > 0 {
                    println!("removed {expired_jobs} × finished job older than 90 days");
                }
                if let Some(receipt) = &purged {
                    super::workspace::print_receipt(receipt)?;
                }
                if let Some(at) = due {
                    println!(
                        "the workspace will be deleted on {} (its subscription has ended)",
                        at.format("%Y-%m-%d %H:%M UTC")
                    );
                }
                if let Some(reason) = held {
                    println!("the workspace's deletion is due but held back: {reason}");
                }
                Ok(())
            }
        }
    })
}

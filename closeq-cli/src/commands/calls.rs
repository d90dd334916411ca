//! `closeq calls list|show`: follow calls — queued ones included — without
//! SQL: status and stage, transcript summary, scorecards with review state.

use clap::Subcommand;
use closeq_core::ports::{CallFilter, Cursor, PageRequest};
use closeq_core::{CallId, CallStatus};
use closeq_pipeline::LocalInstallation;

/// `closeq calls`.
#[derive(Debug, Subcommand)]
pub enum CallsCommand {
    /// The workspace's calls, newest first.
    List {
        /// Only calls in this state (`uploaded`, `transcribing`,
        /// `transcribed`, `analyzing`, `analyzed`, `failed`).
        #[arg(long)]
        status: Option<String>,
        /// At most this many (1–1000).
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// The cursor printed after the previous page.
        #[arg(long)]
        after: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One call: status, transcript summary, scorecards and their review.
    Show {
        /// The call id.
        id: CallId,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn status_line(s: &CallStatus) -> String {
    match s {
        CallStatus::Failed {
            stage,
            reason,
            retryable,
        } => format!(
            "failed in {} ({}): {reason}",
            serde_json::to_value(stage)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            if *retryable { "retryable" } else { "final" }
        ),
        other => other.name().to_owned(),
    }
}

/// Runs `closeq calls`.
pub fn run(cmd: CallsCommand) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let state = LocalInstallation::open().await?;
        let scope = state.owner_scope();
        match cmd {
            CallsCommand::List {
                status,
                limit,
                after,
                json,
            } => {
                let filter = CallFilter {
                    status,
                    ..CallFilter::default()
                };
                let page = PageRequest {
                    limit,
                    after: after.map(Cursor),
                };
                let page = state.calls().list_calls(scope, &filter, &page).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&page.items)?);
                    return Ok(());
                }
                if page.items.is_empty() {
                    println!("no calls");
                }
                for c in &page.items {
                    println!(
                        "{}  {}  {}",
                        c.id,
                        c.started_at.format("%Y-%m-%d %H:%M"),
                        status_line(c.status())
                    );
                }
                if let Some(next) = page.next {
                    println!("(more: --after {})", next.0);
                }
            }
            CallsCommand::Show { id, json } => {
                let call = state.calls().get_call(scope, id).await?;
                let transcript = match state.calls().get_transcript(scope, id).await {
                    Ok(t) => Some(t),
                    Err(closeq_core::Error::NotFound { .. }) => None,
                    Err(e) => return Err(e.into()),
                };
                let cards = state.calls().list_scorecards(scope, id).await?;
                if json {
                    let doc = serde_json::json!({
                        "call": call,
                        "transcript": transcript.as_ref().map(|t| serde_json::json!({
                            "utterances": t.utterances.len(),
                            "duration_ms": t.utterances.last().map(|u| u.end_ms),
                        })),
                        "scorecards": cards,
                    });
                    println!("{}", serde_json::to_string_pretty(&doc)?);
                    return Ok(());
                }
                println!("call {}", call.id);
                println!("  status: {}", status_line(call.status()));
                println!("  started: {}", call.started_at.to_rfc3339());
                match &transcript {
                    Some(t) => println!(
                        "  transcript: {} utterances, {:.0} s",
                        t.utterances.len(),
                        t.utterances.last().map_or(0, |u| u.end_ms) as f64 / 1000.0
                    ),
                    None => println!("  transcript: none yet"),
                }
                if cards.is_empty() {
                    println!("  scorecards: none yet");
                }
                for c in &cards {
                    println!(
                        "  scorecard {}: {} {:.0}/100 by {} — {}",
                        c.id,
                        c.provenance.rubric_id.as_str(),
                        c.score.value(),
                        c.provenance.scorer,
                        closeq_pipeline::review_line(c)
                    );
                }
            }
        }
        Ok(())
    })
}

//! `closeq calls list|show`: follow calls — queued ones included — without
//! SQL: status and stage, transcript summary, scorecards with review state.

use clap::Subcommand;
use closeq_core::Clock as _;
use closeq_core::ports::{CallFilter, Cursor, PageRequest};
use closeq_core::{CallId, CallStatus, ReviewChange, Score, ScorecardId, SystemClock, Verdict};
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
    /// Review a scorecard as the workspace's owner: accept it, override
    /// verdicts or the score (with a reason), or reject it (with a reason).
    /// Only reviewed scorecards count in `closeq report`.
    Review {
        /// The scorecard id (`closeq calls show ID` lists them).
        id: ScorecardId,
        /// The suggestion stands.
        #[arg(long, conflicts_with_all = ["reject", "set", "score"])]
        accept: bool,
        /// Reject it, with this reason.
        #[arg(long, conflicts_with_all = ["set", "score", "reason"])]
        reject: Option<String>,
        /// Override a criterion's verdict: CRITERION=VERDICT (`met`,
        /// `partial`, `missed`, `not_applicable`, `insufficient_evidence`);
        /// repeatable; needs --reason.
        #[arg(long = "set", value_name = "CRITERION=VERDICT")]
        set: Vec<String>,
        /// Override the overall score (0–100); needs --reason.
        #[arg(long)]
        score: Option<f64>,
        /// Why the override.
        #[arg(long)]
        reason: Option<String>,
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

/// A `CRITERION=VERDICT` override.
fn verdict_change(spec: &str) -> anyhow::Result<ReviewChange> {
    let Some((criterion, verdict)) = spec.split_once('=') else {
        anyhow::bail!("--set takes CRITERION=VERDICT, got `{spec}`");
    };
    let verdict: Verdict = serde_json::from_value(serde_json::Value::String(verdict.trim().to_owned()))
        .map_err(|_| anyhow::anyhow!("unknown verdict `{verdict}` (met, partial, missed, not_applicable, insufficient_evidence)"))?;
    Ok(ReviewChange {
        criterion_id: Some(criterion.trim().to_owned()),
        verdict: Some(verdict),
        score: None,
    })
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
            CallsCommand::Review {
                id,
                accept,
                reject,
                set,
                score,
                reason,
            } => {
                let mut card = state.calls().get_scorecard(scope, id).await?;
                let (by, now) = (scope.user_id, SystemClock.now());
                if accept {
                    card.accept(by, now)?;
                } else if let Some(why) = reject {
                    card.reject(by, now, why)?;
                } else if !set.is_empty() || score.is_some() {
                    let Some(why) = reason else {
                        anyhow::bail!("an override needs --reason");
                    };
                    let mut changes = set
                        .iter()
                        .map(|s| verdict_change(s))
                        .collect::<anyhow::Result<Vec<_>>>()?;
                    if let Some(v) = score {
                        changes.push(ReviewChange {
                            criterion_id: None,
                            verdict: None,
                            score: Some(Score::new(v)?),
                        });
                    }
                    card.override_with(by, now, changes, why)?;
                } else {
                    anyhow::bail!("say --accept, --reject REASON, or --set CRITERION=VERDICT / --score N with --reason");
                }
                state.calls().save_review(scope, &card).await?;
                println!("scorecard {id}: {}", closeq_pipeline::review_line(&card));
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

//! `closeq access-log`: who read which calls, transcripts, scorecards and
//! recordings (the workspace's access log; owners and admins).

use clap::Args;
use closeq_core::{AccessQuery, CallId, UserId};
use closeq_pipeline::LocalInstallation;

/// Which records to print.
#[derive(Debug, Args)]
pub struct AccessLogArgs {
    /// Only this member's reads (user id).
    #[arg(long)]
    user: Option<UserId>,
    /// Only records naming this call or scorecard id (both are UUIDv7s;
    /// parsed as one).
    #[arg(long)]
    resource: Option<CallId>,
    /// Only records at or after this time (RFC 3339, e.g. 2026-12-01T00:00:00Z).
    #[arg(long)]
    since: Option<chrono::DateTime<chrono::Utc>>,
    /// Only records after this sequence number (the `seq` of the last
    /// record of the previous page), oldest first.
    #[arg(long, default_value_t = 0)]
    after: u64,
    /// At most this many records (1–1000).
    #[arg(long, default_value_t = 100)]
    limit: u32,
    /// Print JSON (one document).
    #[arg(long)]
    json: bool,
}

/// Prints the access log of the local installation's workspace.
pub fn run(args: AccessLogArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let state = LocalInstallation::open().await?;
        let query = AccessQuery {
            limit: args.limit,
            actor: args.user,
            resource: args.resource.map(|id| id.as_uuid()),
            since: args.since,
            after_seq: args.after,
        };
        let records = state
            .workspaces()
            .list_access(state.owner_scope(), &query)
            .await?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&records)?);
            return Ok(());
        }
        if records.is_empty() {
            println!("no access records");
        } else if records.len() == query.limit as usize {
            let last = records.last().map_or(0, |r| r.seq);
            println!("(more may follow: --after {last})");
        }
        for r in &records {
            let ids: Vec<String> = r.resources.iter().map(ToString::to_string).collect();
            println!(
                "{:>8}  {}  {}  {:<16}  {}",
                r.seq,
                r.at.format("%Y-%m-%d %H:%M:%S UTC"),
                r.actor,
                r.action.code(),
                ids.join(" ")
            );
        }
        Ok(())
    })
}

//! `closeq report rep USER|team TEAM [--from --to] [--rubric] [--out DIR]`:
//! a coaching report in three renderings (report.json, report.md,
//! report.html).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand};
use closeq_analysis::coaching;
use closeq_core::ports::CallFilter;
use closeq_core::{Clock, SystemClock, TeamId, UserId};
use closeq_pipeline::local::write_private;
use closeq_pipeline::{CoachingReports, LocalInstallation, ReportFor, ReportRequest};

/// `closeq report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    subject: ReportSubjectArg,
    /// First day of the period (YYYY-MM-DD; default: eight weeks before --to).
    #[arg(long, global = true)]
    from: Option<NaiveDate>,
    /// Day after the period (YYYY-MM-DD; default: tomorrow).
    #[arg(long, global = true)]
    to: Option<NaiveDate>,
    /// A built-in rubric id or a rubric file (default: the rubric most of
    /// the period's calls were scored with).
    #[arg(long, global = true)]
    rubric: Option<String>,
    /// Where to write report.json, report.md and report.html.
    #[arg(long, global = true, default_value = "report")]
    out: PathBuf,
    /// Link each moment to its recording through a signed URL valid this
    /// many minutes (0: no links; at most 60).
    #[arg(long, global = true, default_value_t = 0)]
    link_minutes: u64,
}

#[derive(Debug, Subcommand)]
enum ReportSubjectArg {
    /// One rep: their user id, e-mail or display name.
    Rep {
        /// The rep.
        user: String,
    },
    /// One team: its id or name.
    Team {
        /// The team.
        team: String,
    },
}

fn day(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// Runs `closeq report`.
pub fn run(args: ReportArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let state = LocalInstallation::open().await?;
        let scope = state.owner_scope();
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        if args.link_minutes > 60 {
            bail!("--link-minutes is at most 60 (signed audio links last at most an hour)");
        }
        let to = match args.to {
            Some(d) => day(d),
            None => day(clock.now().date_naive())
                .checked_add_signed(chrono::Duration::days(1))
                .context("today is at the end of the calendar")?,
        };
        let from = match args.from {
            Some(d) => day(d),
            None => to
                .checked_sub_signed(chrono::Duration::weeks(8))
                .context("--to is too early for an eight-week default; give --from")?,
        };
        let subject = match &args.subject {
            ReportSubjectArg::Rep { user } => {
                let members = state.workspaces().list_members(scope).await?;
                // An id first, then an e-mail, then a display name held by
                // exactly one member: a name cannot stand in for another
                // member's id or e-mail.
                let by_id = user
                    .parse::<UserId>()
                    .ok()
                    .and_then(|u| members.iter().find(|m| m.user_id == u));
                let by_email = || {
                    members.iter().find(|m| {
                        m.email
                            .as_ref()
                            .is_some_and(|e| e.as_str().eq_ignore_ascii_case(user))
                    })
                };
                let by_name = || {
                    let named: Vec<_> = members
                        .iter()
                        .filter(|m| m.display_name.as_ref().is_some_and(|n| n.as_str() == user))
                        .collect();
                    match named.as_slice() {
                        [one] => Ok(Some(*one)),
                        [] => Ok(None),
                        _ => Err(anyhow::anyhow!(
                            "several members are called `{user}`; give the user id"
                        )),
                    }
                };
                let found = match by_id.or_else(by_email) {
                    Some(m) => Some(m),
                    None => by_name()?,
                };
                match found {
                    Some(m) => ReportFor::Rep(m.user_id),
                    None => bail!("no member `{user}` (give a user id, e-mail or display name)"),
                }
            }
            ReportSubjectArg::Team { team } => {
                let teams = state.workspaces().list_teams(scope).await?;
                match teams
                    .iter()
                    .find(|t| team.parse::<TeamId>().is_ok_and(|id| id == t.id) || t.name == *team)
                {
                    Some(t) => ReportFor::Team(t.id),
                    None => bail!("no team `{team}` (give its id or name)"),
                }
            }
        };
        let rubric = match &args.rubric {
            Some(spec) => super::rubric::resolve(spec)?,
            None => most_used_rubric(&state, subject, from, to).await?,
        };
        let mut reports = CoachingReports::new(
            state.calls().clone(),
            state.workspaces().clone(),
            state.privacy().clone(),
            clock.clone(),
        );
        if args.link_minutes > 0 {
            reports = reports.with_audio_links(
                state.audio_store(clock.clone())?,
                Duration::from_secs(args.link_minutes.saturating_mul(60)),
            );
        }
        let report = reports
            .report(
                scope,
                &ReportRequest {
                    subject,
                    from,
                    to,
                    rubric,
                    audio_links: args.link_minutes > 0,
                },
            )
            .await?;
        std::fs::create_dir_all(&args.out)
            .with_context(|| format!("creating {}", args.out.display()))?;
        // The renderings hold personal data (names, quotes): owner-only files.
        for (name, body) in [
            ("report.json", serde_json::to_string_pretty(&report)?),
            ("report.md", coaching::markdown(&report)),
            ("report.html", coaching::html(&report)),
        ] {
            write_private(&args.out.join(name), body.as_bytes())?;
        }
        println!(
            "{}: {} calls, {} reviewed ({} unreviewed, {} rejected) → {}/report.{{json,md,html}}",
            coaching_title(&report),
            report.oversight.calls,
            report.oversight.reviewed,
            report.oversight.unreviewed,
            report.oversight.rejected,
            args.out.display()
        );
        Ok(())
    })
}

fn coaching_title(r: &coaching::CoachingReport) -> String {
    match &r.subject {
        coaching::ReportSubject::Rep { .. } => format!(
            "rep report {} to {}",
            r.from.date_naive(),
            r.to.date_naive()
        ),
        coaching::ReportSubject::Team { name, .. } => format!(
            "team {name} report {} to {}",
            r.from.date_naive(),
            r.to.date_naive()
        ),
    }
}

/// The rubric most of the subject's calls in the period were scored with.
async fn most_used_rubric(
    state: &LocalInstallation,
    subject: ReportFor,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<closeq_core::Rubric> {
    let mut filter = CallFilter {
        started_from: Some(from),
        started_before: Some(to),
        ..Default::default()
    };
    match subject {
        ReportFor::Rep(u) => filter.rep_id = Some(u),
        ReportFor::Team(t) => filter.team_id = Some(t),
    }
    let calls = state
        .calls()
        .scored_calls(
            state.owner_scope(),
            &filter,
            closeq_core::ports::MAX_SCORED_CALLS,
        )
        .await?;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for c in calls.iter().filter_map(|c| c.scorecards.last()) {
        *counts
            .entry(c.provenance.rubric_id.as_str().to_owned())
            .or_default() += 1;
    }
    let Some((id, _)) = counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
    else {
        bail!("no scored calls in the period; pass --rubric to report anyway");
    };
    super::rubric::resolve(&id)
        .with_context(|| format!("the calls' rubric `{id}` is not built in; pass --rubric FILE"))
}

//! `closeq worker`: runs queued jobs — transcription, then scoring, and the
//! daily retention sweep and request reminders — until SIGTERM or SIGINT; `closeq jobs`: shows, lists dead and retries jobs.

use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use closeq_core::ports::JobKind;
use closeq_core::{JobId, SystemClock};
use closeq_pipeline::worker::builtin_rubrics;
use closeq_pipeline::{LocalInstallation, RateLimit, Schedule, Worker, WorkerConfig};
use closeq_server::webhooks::{WebhookEndpoint, WebhookSecret, Webhooks};

/// A kind of job a worker runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// Speech-to-text of queued recordings.
    Transcribe,
    /// Metrics and scoring of transcribed calls.
    Analyze,
    /// The workspace's retention sweep (a daily recurring job).
    RetentionSweep,
    /// Reminders of data-subject requests due within 7 days or overdue (a
    /// daily recurring job).
    RequestReminders,
    /// Webhook deliveries (needs `--webhook-url`).
    Webhook,
}

impl From<KindArg> for JobKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Transcribe => JobKind::Transcribe,
            KindArg::Analyze => JobKind::Analyze,
            KindArg::RetentionSweep => JobKind::RetentionSweep,
            KindArg::RequestReminders => JobKind::DataSubjectRequest,
            KindArg::Webhook => JobKind::Webhook,
        }
    }
}

/// `closeq worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    options: WorkerOptions,
    /// Run the jobs runnable now, then exit (instead of waiting for more).
    #[arg(long)]
    once: bool,
}

/// How a worker runs (`closeq worker`, and `closeq serve`'s in-process
/// worker). `Debug` leaves out the webhook secrets and URL.
#[derive(Args)]
pub struct WorkerOptions {
    /// Jobs run at once.
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Only these kinds (comma-separated); all four by default, and
    /// `webhook` too with `--webhook-url`. A worker
    /// running the scheduled kinds first schedules them for the workspace
    /// (once: later workers find the schedule in place).
    #[arg(long, value_enum, value_delimiter = ',')]
    kinds: Vec<KindArg>,
    #[command(flatten)]
    stt: super::audio::SttArgs,
    /// The scorer (as for `closeq analyze`).
    #[arg(long, default_value = "heuristic")]
    scorer: String,
    /// Speech-to-text requests a minute (a provider's quota); unlimited
    /// when unset.
    #[arg(long)]
    stt_per_minute: Option<u32>,
    /// Scoring requests a minute (a language model's quota); unlimited
    /// when unset.
    #[arg(long)]
    scoring_per_minute: Option<u32>,
    /// Lease length in seconds (heartbeats renew it every third).
    #[arg(long, default_value_t = 60)]
    lease_secs: u64,
    /// Seconds a shutdown waits for jobs in flight before handing them back.
    #[arg(long, default_value_t = 30)]
    grace_secs: u64,
    /// Deliver webhooks to this endpoint (`https://`, or `http://` on
    /// loopback): `call.analyzed` and `call.failed` raised by this worker,
    /// and the deliveries the API queued.
    #[arg(long, env = "CLOSEQ_WEBHOOK_URL")]
    webhook_url: Option<String>,
    /// The endpoint's signing secret(s), `whsec_...`: one, or two
    /// (comma-separated) while rotating.
    #[arg(
        long,
        env = "CLOSEQ_WEBHOOK_SECRETS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    webhook_secret: Vec<String>,
}

/// Runs `closeq worker`. Logs go to standard error: warnings and errors
/// (a failed attempt, a lost lease), or what `RUST_LOG` asks for.
pub fn run(args: WorkerArgs) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    withhold_panic_messages();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let state = LocalInstallation::open().await?;
        let worker = build(&state, &args.options).await?;
        if args.once {
            let mut n = 0u64;
            while worker.run_one().await?.is_some() {
                n += 1;
            }
            println!("ran {n} jobs");
            return Ok(());
        }
        eprintln!(
            "worker on {}: {:?}, {} at once; SIGTERM or Ctrl-C to stop",
            state.db_label(),
            worker.kinds(),
            args.options.concurrency
        );
        let report = worker.run(shutdown_signal()).await?;
        println!(
            "stopped: {} completed, {} failed ({} panicked), {} lost, {} handed back",
            report.completed, report.failed, report.panicked, report.lost, report.released
        );
        Ok(())
    })
}

impl std::fmt::Debug for WorkerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerOptions")
            .field("concurrency", &self.concurrency)
            .field("kinds", &self.kinds)
            .field("scorer", &self.scorer)
            .field("webhook", &self.webhook_url.is_some())
            .finish_non_exhaustive()
    }
}

impl WorkerOptions {
    /// The scorer named.
    pub(crate) fn scorer(&self) -> String {
        self.scorer.clone()
    }

    /// The webhooks configured, over `state`'s queue.
    pub(crate) fn webhooks(&self, state: &LocalInstallation) -> anyhow::Result<Option<Webhooks>> {
        let Some(url) = &self.webhook_url else {
            if !self.webhook_secret.is_empty() {
                anyhow::bail!("--webhook-secret needs --webhook-url");
            }
            return Ok(None);
        };
        let secrets = self
            .webhook_secret
            .iter()
            .map(|s| WebhookSecret::parse(s))
            .collect::<Result<Vec<_>, _>>()?;
        let endpoint = WebhookEndpoint::new("default", url, secrets, Vec::new())?;
        Ok(Some(Webhooks::new(
            vec![endpoint],
            state.jobs().clone(),
            Arc::new(SystemClock),
        )?))
    }
}

/// A worker on `state` as `opts` say; with the scheduled kinds, their
/// schedule applied to the installation's workspace first.
pub(crate) async fn build(
    state: &LocalInstallation,
    opts: &WorkerOptions,
) -> anyhow::Result<Worker> {
    let scorer = super::analyze::scorer(&opts.scorer, Arc::new(SystemClock))?;
    let webhooks = opts.webhooks(state)?;
    let kinds: Vec<JobKind> = if opts.kinds.is_empty() {
        let mut all = vec![
            JobKind::Transcribe,
            JobKind::Analyze,
            JobKind::RetentionSweep,
            JobKind::DataSubjectRequest,
        ];
        if webhooks.is_some() {
            all.push(JobKind::Webhook);
        }
        all
    } else {
        opts.kinds.iter().map(|k| (*k).into()).collect()
    };
    if kinds.contains(&JobKind::Webhook) && webhooks.is_none() {
        anyhow::bail!("--kinds webhook needs --webhook-url and --webhook-secret");
    }
    let mut analyzer = state.analyzer()?.scorer(scorer);
    if kinds.contains(&JobKind::Transcribe) {
        analyzer = analyzer.speech_to_text(super::audio::engine(&opts.stt)?);
    }
    let config = WorkerConfig::default()
        .concurrency(opts.concurrency)
        .lease_for(Duration::from_secs(opts.lease_secs))
        .shutdown_grace(Duration::from_secs(opts.grace_secs));
    let clock: Arc<dyn closeq_core::Clock> = Arc::new(SystemClock);
    let mut builder = Worker::builder(state.jobs().clone(), state.workspaces().clone())
        .pipeline(Arc::new(analyzer.build()?), builtin_rubrics())
        .scheduled(state.scheduled_work(clock)?)
        .only(&kinds)
        .config(config);
    if kinds.contains(&JobKind::RetentionSweep) || kinds.contains(&JobKind::DataSubjectRequest) {
        // Recurring jobs, one per workspace and kind: idempotent.
        Schedule::default()
            .apply(state.jobs().as_ref(), state.owner_scope())
            .await?;
    }
    if let Some(wake) = state.job_wake_ups().await? {
        builder = builder.wake_on(wake);
    }
    if let Some(w) = webhooks {
        builder = builder
            .handler(JobKind::Webhook, w.delivery()?)
            .events(w.job_events());
    }
    if let Some(n) = opts.stt_per_minute {
        builder = builder.rate_limit(JobKind::Transcribe, RateLimit::new(n, n.min(10))?);
    }
    if let Some(n) = opts.scoring_per_minute {
        builder = builder.rate_limit(JobKind::Analyze, RateLimit::new(n, n.min(10))?);
    }
    Ok(builder.build()?)
}

/// A job's (or request's) panic is caught and recorded; its message may
/// quote the data it was working on, so only where it happened is printed.
pub(crate) fn withhold_panic_messages() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map_or_else(|| "unknown".to_owned(), ToString::to_string);
        eprintln!("a task panicked at {at} (message withheld: it may quote call data)");
    }));
}

/// SIGTERM or SIGINT.
pub(crate) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// `closeq jobs`.
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// One job: kind, call, state, attempts, last error.
    Show {
        /// The job id.
        id: JobId,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Dead jobs (out of attempts, or failed for good), oldest first.
    Dead {
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The workspace's jobs, newest first: queued, running, completed and
    /// dead, with the recurring schedule (retention sweep, reminders).
    List {
        /// Only jobs in this state.
        #[arg(long, value_enum)]
        state: Option<StateArg>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Queue a dead job again, now, with its attempts reset.
    Retry {
        /// The job id.
        id: JobId,
    },
}

/// A job's state, for `closeq jobs list --state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateArg {
    /// Waiting to run.
    Queued,
    /// Leased to a worker.
    Running,
    /// Done.
    Completed,
    /// Out of attempts, or failed for good.
    Dead,
}

impl From<StateArg> for closeq_core::JobState {
    fn from(s: StateArg) -> Self {
        match s {
            StateArg::Queued => Self::Queued,
            StateArg::Running => Self::Running,
            StateArg::Completed => Self::Completed,
            StateArg::Dead => Self::Dead,
        }
    }
}

/// Runs `closeq jobs`.
pub fn run_jobs(cmd: JobsCommand) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let state = LocalInstallation::open().await?;
        let scope = state.owner_scope();
        let jobs = state.jobs();
        let print = |j: &closeq_core::JobRecord| {
            let about = match (j.spec.call_id, j.spec.every) {
                (Some(c), _) => format!("call {c}"),
                (None, Some(every)) => format!("every {}h", every.as_secs() / 3600),
                (None, None) => "-".to_owned(),
            };
            println!(
                "{}  {:?}  {about}  {:?}  attempt {}/{}  runs after {}  {}",
                j.id,
                j.spec.kind,
                j.state,
                j.attempts,
                j.spec.max_attempts,
                j.run_after.format("%Y-%m-%d %H:%M:%S UTC"),
                j.last_error.as_deref().unwrap_or("")
            );
        };
        match cmd {
            JobsCommand::Show { id, json } => {
                let j = jobs.get_job(scope, id).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&j)?);
                } else {
                    print(&j);
                }
            }
            JobsCommand::Dead { limit, json } => {
                let dead = jobs.dead_jobs(scope, limit).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&dead)?);
                } else if dead.is_empty() {
                    println!("no dead jobs");
                } else {
                    dead.iter().for_each(print);
                }
            }
            JobsCommand::List { state, limit, json } => {
                let listed = jobs.list_jobs(scope, state.map(Into::into), limit).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&listed)?);
                } else if listed.is_empty() {
                    println!("no jobs");
                } else {
                    listed.iter().for_each(print);
                }
            }
            JobsCommand::Retry { id } => {
                jobs.retry_dead(scope, id).await?;
                println!("job {id} queued again");
            }
        }
        Ok(())
    })
}

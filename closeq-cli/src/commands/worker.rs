//! `closeq worker`: runs queued jobs — transcription, then scoring — until
//! SIGTERM or SIGINT; `closeq jobs`: shows, lists dead and retries jobs.

use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use closeq_core::ports::JobKind;
use closeq_core::{JobId, SystemClock};
use closeq_pipeline::worker::builtin_rubrics;
use closeq_pipeline::{LocalInstallation, RateLimit, Worker, WorkerConfig};

/// A kind of job a worker runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// Speech-to-text of queued recordings.
    Transcribe,
    /// Metrics and scoring of transcribed calls.
    Analyze,
}

impl From<KindArg> for JobKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Transcribe => JobKind::Transcribe,
            KindArg::Analyze => JobKind::Analyze,
        }
    }
}

/// `closeq worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Jobs run at once.
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Only these kinds (comma-separated); both by default.
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
    /// Run the jobs runnable now, then exit (instead of waiting for more).
    #[arg(long)]
    once: bool,
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
    // A job's panic is caught and recorded; its message may quote the data
    // it was working on, so only where it happened is printed.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map_or_else(|| "unknown".to_owned(), ToString::to_string);
        eprintln!("a job panicked at {at} (message withheld: it may quote call data)");
    }));
    let scorer = super::analyze::scorer(&args.scorer, Arc::new(SystemClock))?;
    let kinds: Vec<JobKind> = if args.kinds.is_empty() {
        vec![JobKind::Transcribe, JobKind::Analyze]
    } else {
        args.kinds.iter().map(|k| (*k).into()).collect()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let state = LocalInstallation::open().await?;
        let mut analyzer = state.analyzer()?.scorer(scorer);
        if kinds.contains(&JobKind::Transcribe) {
            analyzer = analyzer.speech_to_text(super::audio::engine(&args.stt)?);
        }
        let config = WorkerConfig::default()
            .concurrency(args.concurrency)
            .lease_for(Duration::from_secs(args.lease_secs))
            .shutdown_grace(Duration::from_secs(args.grace_secs));
        let mut builder = Worker::builder(state.jobs().clone(), state.workspaces().clone())
            .pipeline(Arc::new(analyzer.build()?), builtin_rubrics())
            .only(&kinds)
            .config(config);
        if let Some(wake) = state.job_wake_ups().await? {
            builder = builder.wake_on(wake);
        }
        if let Some(n) = args.stt_per_minute {
            builder = builder.rate_limit(JobKind::Transcribe, RateLimit::new(n, n.min(10))?);
        }
        if let Some(n) = args.scoring_per_minute {
            builder = builder.rate_limit(JobKind::Analyze, RateLimit::new(n, n.min(10))?);
        }
        let worker = builder.build()?;
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
            args.concurrency
        );
        let report = worker.run(shutdown_signal()).await?;
        println!(
            "stopped: {} completed, {} failed ({} panicked), {} lost, {} handed back",
            report.completed, report.failed, report.panicked, report.lost, report.released
        );
        Ok(())
    })
}

/// SIGTERM or SIGINT.
async fn shutdown_signal() {
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
    /// Queue a dead job again, now, with its attempts reset.
    Retry {
        /// The job id.
        id: JobId,
    },
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
            println!(
                "{}  {:?}  call {}  {:?}  attempt {}/{}  {}",
                j.id,
                j.spec.kind,
                j.spec
                    .call_id
                    .map_or_else(|| "-".to_owned(), |c| c.to_string()),
                j.state,
                j.attempts,
                j.spec.max_attempts,
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
            JobsCommand::Retry { id } => {
                jobs.retry_dead(scope, id).await?;
                println!("job {id} queued again");
            }
        }
        Ok(())
    })
}

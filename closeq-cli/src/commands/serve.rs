//! `closeq serve`: the HTTP API (`closeq-server`) on the local
//! installation — SQLite and the audio folder by default, PostgreSQL and
//! S3 with `CLOSEQ_DATABASE_URL` / `CLOSEQ_AUDIO_URL` — with a worker in
//! the same process unless `--no-worker` (then run `closeq worker`
//! processes beside it).

use std::net::SocketAddr;
use std::sync::Arc;

use clap::Args;
use closeq_core::{Clock, SystemClock};
use closeq_pipeline::LocalInstallation;
use closeq_privacy::secrets::{ApiKeys, KeyEnvironment};
use closeq_server::Api;

use super::worker::{WorkerOptions, shutdown_signal};

/// `closeq serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The address clients reach this server at (signed audio URLs point
    /// there); default `http://<listen>`.
    #[arg(long)]
    public_url: Option<String>,
    /// Accept test keys (`cq_test_`) instead of live ones.
    #[arg(long)]
    test_keys: bool,
    /// Run no worker in this process (run `closeq worker` beside it).
    #[arg(long)]
    no_worker: bool,
    #[command(flatten)]
    worker: WorkerOptions,
}

/// Runs `closeq serve` until SIGTERM or Ctrl-C. Logs go to standard
/// error: one line per request at `RUST_LOG=info` (route pattern, status,
/// request id — never paths, bodies or keys).
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    super::worker::withhold_panic_messages();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let state = Arc::new(LocalInstallation::open().await?);
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let public = args
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", args.listen));
        let audio_base = format!("{}/v1/audio", public.trim_end_matches('/'));
        let served = state.served_audio_store(&audio_base, clock.clone())?;
        let env = if args.test_keys {
            KeyEnvironment::Test
        } else {
            KeyEnvironment::Live
        };
        let analyzer = state
            .analyzer()?
            .scorer(super::analyze::scorer(
                &args.worker.scorer(),
                clock.clone(),
            )?)
            .build()?;
        let logged_audio = Arc::new(closeq_storage::AccessLoggedAudioStore::new(
            Arc::new(served.clone()),
            state.access_recorder().clone(),
        ));
        let requests = state.subject_requests(clock.clone())?;
        let ready = state.clone();
        let mut api = Api::builder()
            .call_store(state.calls().clone())
            .analyzer(Arc::new(analyzer))
            .job_queue(state.jobs().clone())
            .api_keys(ApiKeys::new(state.workspaces().clone(), clock.clone(), env))
            .audio_store(logged_audio)
            .sub_processors(super::subprocessors::register()?)
            .subject_requests(requests)
            .clock(clock)
            .readiness(move || {
                let s = ready.clone();
                async move {
                    s.workspaces().get_workspace(s.owner_scope()).await?;
                    Ok(())
                }
            });
        if let Some(w) = args.worker.webhooks(&state)? {
            if args.no_worker {
                eprintln!(
                    "note: webhooks are queued here and delivered by workers started with the same --webhook-url and secret"
                );
            }
            api = api.webhooks(w);
        }
        if !state.audio_in_bucket() {
            api = api.signed_audio(served, audio_base);
        }
        let api = api.build()?;
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop_tx.send(true);
        });
        let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let worker = if args.no_worker {
            None
        } else {
            let w = super::worker::build(&state, &args.worker).await?;
            let rx = stop_rx.clone();
            Some(tokio::spawn(async move { w.run(stopped(rx)).await }))
        };
        eprintln!(
            "closeq API on http://{} ({}; {} keys){}; SIGTERM or Ctrl-C to stop",
            listener.local_addr()?,
            state.db_label(),
            env.name(),
            if worker.is_some() {
                ", with a worker"
            } else {
                ""
            }
        );
        axum::serve(listener, api.router())
            .with_graceful_shutdown(stopped(stop_rx))
            .await?;
        if let Some(w) = worker {
            let report = w.await??;
            eprintln!(
                "worker stopped: {} completed, {} failed, {} handed back",
                report.completed, report.failed, report.released
            );
        }
        Ok(())
    })
}

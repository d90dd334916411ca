//! Mounting CloseQ's HTTP API inside your own axum service: the router
//! from `closeq-server`, built from the local installation's stores,
//! merged next to your own routes. Uploads are checked by the analyzer's
//! gates and queued; run `closeq worker` (or a `Worker`) to analyse them.
//!
//! Run: `cargo run -p closeq-examples --example mount_api` (serves on
//! 127.0.0.1:8080 until Ctrl-C), or with `--demo` to serve on a free port,
//! create a key, upload the bundled sample transcript to itself and exit.

use std::sync::Arc;

use axum::routing::get;
use closeq_analysis::scoring::HeuristicScorer;
use closeq_core::{Clock, SystemClock};
use closeq_pipeline::LocalInstallation;
use closeq_privacy::secrets::{ApiKeys, KeyEnvironment};
use closeq_server::{Api, SCOPES};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let demo = std::env::args().any(|a| a == "--demo");
    let local = LocalInstallation::open().await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);

    // The ten lines: CloseQ's router next to your own routes.
    let keys = ApiKeys::new(
        local.workspaces().clone(),
        clock.clone(),
        KeyEnvironment::Live,
    );
    let scorer = Arc::new(HeuristicScorer::new(clock.clone()));
    let api = Api::builder()
        .call_store(local.calls().clone())
        .analyzer(Arc::new(local.analyzer()?.scorer(scorer).build()?))
        .job_queue(local.jobs().clone())
        .api_keys(keys.clone())
        .build()?;
    let app = axum::Router::new()
        .route("/", get(|| async { "my product" }))
        .merge(api.router());

    let listener = tokio::net::TcpListener::bind(if demo {
        "127.0.0.1:0"
    } else {
        "127.0.0.1:8080"
    })
    .await?;
    let base = format!("http://{}", listener.local_addr()?);
    println!("serving on {base}");
    if !demo {
        axum::serve(listener, app).await?;
        return Ok(());
    }
    tokio::spawn(async move { axum::serve(listener, app).await });
    let scopes = SCOPES.iter().map(|s| (*s).to_owned()).collect();
    let (key, _) = keys.create(local.owner_scope(), "example", scopes).await?;
    let transcript = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../closeq-cli/samples/01_discovery_won.txt"
    ))?;
    let form = reqwest::multipart::Form::new()
        .part(
            "metadata",
            reqwest::multipart::Part::text(r#"{"consent":"verbal"}"#)
                .mime_str("application/json")?,
        )
        .part(
            "file",
            reqwest::multipart::Part::bytes(transcript)
                .file_name("call.txt")
                .mime_str("text/plain")?,
        );
    let res = reqwest::Client::new()
        .post(format!("{base}/v1/calls"))
        .bearer_auth(key.expose())
        .multipart(form)
        .send()
        .await?;
    println!(
        "POST /v1/calls -> {} {}",
        res.status().as_u16(),
        res.text().await?
    );
    Ok(())
}

//! A transcript file in, a stored and printed scorecard out, on the
//! embedded defaults (SQLite and a data folder, created on first use;
//! `CLOSEQ_DATA_DIR` chooses where). The Analyzer runs the compliance gates,
//! transfer checks, metrics and the heuristic scorer, and stores the call,
//! its transcript and the scorecard (an AI suggestion until a person
//! reviews it).
//!
//! Run: `cargo run -p closeq-examples --example quickstart [TRANSCRIPT] [RUBRIC]`
//! (default: the bundled sample call and the `discovery` rubric).

use std::sync::Arc;

use closeq_analysis::rubric::builtin_rubric;
use closeq_analysis::scoring::HeuristicScorer;
use closeq_analysis::transcript::{ImportOptions, import};
use closeq_core::SystemClock;
use closeq_pipeline::{AnalyzeRequest, LocalInstallation, render_scorecard};

const SAMPLE: &str = "closeq-cli/samples/01_discovery_won.txt";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or(SAMPLE.into());
    let rubric = builtin_rubric(&args.next().unwrap_or("discovery".into()))?;
    let transcript = import(&std::fs::read(&path)?, None, &ImportOptions::default())?;
    let local = LocalInstallation::open().await?;
    let scorer = Arc::new(HeuristicScorer::new(Arc::new(SystemClock)));
    let analyzer = local.analyzer()?.scorer(scorer).build()?;
    let request = AnalyzeRequest::transcript(transcript, rubric.clone());
    let done = analyzer.analyze(local.owner_scope(), request).await?;
    print!("{}", render_scorecard(&done.scorecards[0], &rubric));
    println!("stored as call {} in {}", done.call.id, local.db_label());
    Ok(())
}

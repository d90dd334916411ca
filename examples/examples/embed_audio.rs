//! A recording in, a scorecard out: local Whisper (in-process, no network,
//! no sub-processor) transcribes the two-channel call, then the Analyzer
//! scores and stores it on the embedded defaults, keeping the recording
//! in the data folder.
//!
//! Run: `cargo run -p closeq-examples --example embed_audio [AUDIO]`
//! (default: a bundled sample call; the model comes from
//! `scripts/fetch-whisper-model`, or `CLOSEQ_WHISPER_MODEL`).

use std::sync::Arc;

use anyhow::Context;
use closeq_analysis::{rubric::builtin_rubric, scoring::HeuristicScorer};
use closeq_core::{ChannelLayout, SystemClock};
use closeq_pipeline::{AnalyzeRequest, LocalInstallation, Stage, render_scorecard};
use closeq_stt::whisper::{WhisperConfig, WhisperLocalStt};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or("closeq-stt/samples/01_discovery_won.ogg".into());
    let audio = std::fs::read(&path).with_context(|| format!("cannot read {path}"))?;
    let model = WhisperConfig::from_env()
        .context("set CLOSEQ_WHISPER_MODEL to a Whisper model directory (scripts/fetch-whisper-model prints one)")?;
    let whisper = Arc::new(WhisperLocalStt::new(model)?);
    let local = LocalInstallation::open().await?;
    let analyzer = local
        .analyzer()?
        .speech_to_text(whisper)
        .scorer(Arc::new(HeuristicScorer::new(Arc::new(SystemClock))))
        .on_progress(|p| {
            if p.stage == Stage::Transcribing {
                eprint!("\rtranscribing {:>3.0} %", p.fraction * 100.0);
            }
        })
        .build()?;
    let rubric = builtin_rubric("discovery")?;
    // Two channels, the rep on channel 0: speakers and roles are exact.
    let req = AnalyzeRequest::audio(
        audio,
        ChannelLayout::Stereo { rep_channel: 0 },
        rubric.clone(),
    );
    let done = analyzer.analyze(local.owner_scope(), req).await?;
    eprintln!();
    for u in done.transcript.utterances.iter().take(4) {
        println!(
            "[{:>6} ms] ch{}: {}",
            u.start_ms,
            u.channel.unwrap_or(0),
            u.text.as_str()
        );
    }
    print!("{}", render_scorecard(&done.scorecards[0], &rubric));
    println!(
        "recording kept: {}; stored as call {}",
        done.audio_kept, done.call.id
    );
    Ok(())
}

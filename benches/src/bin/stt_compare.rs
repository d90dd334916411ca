//! CloseQ's local Whisper on a sample call, for the side-by-side comparison
//! with faster-whisper in `scripts/compare-whisper` (which runs both and
//! prints the table). Prints one JSON object.
//!
//! ```text
//! stt_compare MODEL_DIR AUDIO REFERENCE_JSON [--threads N] [--compute-type T] [--beam-size N] [--repeats N] [--sequential] [--pcm16]
//! ```
//!
//! `--sequential` decodes the two channels one after the other on one
//! model (as faster-whisper does); `--pcm16` rounds the decoded samples to
//! 16 bits (as faster-whisper's decoder hands them out), so both engines
//! see the same input.

use std::time::Instant;

use anyhow::{Context, bail};
use closeq_core::ports::TranscribeOptions;
use closeq_core::{ChannelLayout, word_error_rate};
use closeq_stt::audio::{DecodeLimits, load_16k};
use closeq_stt::samples::Reference;
use closeq_stt::whisper::{ComputeType, WhisperConfig, WhisperLocalStt};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        bail!(
            "usage: stt_compare MODEL_DIR AUDIO REFERENCE_JSON [--threads N] [--compute-type T] [--beam-size N] [--repeats N]"
        );
    }
    let flag = |name: &str, default: &str| -> String {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    };
    let threads: usize = flag("--threads", "2").parse()?;
    let beam: usize = flag("--beam-size", "1").parse()?;
    let repeats: usize = flag("--repeats", "3").parse()?;
    let compute: ComputeType = flag("--compute-type", "int8")
        .parse()
        .map_err(|e: String| anyhow::anyhow!(e))?;
    let reference: Reference =
        serde_json::from_slice(&std::fs::read(&args[2]).context("reading the reference")?)?;
    let audio = std::fs::read(&args[1]).context("reading the audio")?;
    let pcm16 = args.iter().any(|a| a == "--pcm16");

    let load = Instant::now();
    let stt = WhisperLocalStt::new(
        WhisperConfig::new(&args[0])
            .with_threads(threads)
            .with_beam_size(beam)
            .with_compute_type(compute)
            .with_parallel_channels(!args.iter().any(|a| a == "--sequential")),
    )?;
    let load_s = load.elapsed().as_secs_f64();

    let mut walls = Vec::new();
    let mut last = None;
    for _ in 0..repeats.max(1) {
        let started = Instant::now();
        let mut pcm = load_16k(&audio, &DecodeLimits::default())?;
        if pcm16 {
            // As faster-whisper's decoder hands them out: 16-bit samples.
            for ch in &mut pcm.channels {
                for x in ch.iter_mut() {
                    *x = (*x * 32768.0).round().clamp(-32768.0, 32767.0) / 32768.0;
                }
            }
        }
        let t = stt.transcribe_pcm(
            &pcm,
            ChannelLayout::Stereo {
                rep_channel: reference.rep_channel,
            },
            &TranscribeOptions::default(),
        )?;
        walls.push(started.elapsed().as_secs_f64());
        last = Some(t);
    }
    walls.sort_by(f64::total_cmp);
    let wall = walls[walls.len() / 2];
    let Some(t) = last else { bail!("no run") };
    let audio_s = reference.duration_ms as f64 / 1000.0;
    let text_of = |ch: u8| -> String {
        t.utterances
            .iter()
            .filter(|u| u.channel == Some(ch))
            .map(|u| u.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    // Floor order: backchannels (spoken over the other side) left out on
    // both sides.
    let is_backchannel = |u: &closeq_core::Utterance| {
        reference.turns.iter().any(|x| {
            x.backchannel && Some(x.channel) == u.channel && u.start_ms.abs_diff(x.start_ms) <= 700
        })
    };
    let mut got_order: Vec<u8> = t
        .utterances
        .iter()
        .filter(|u| !is_backchannel(u))
        .filter_map(|u| u.channel)
        .collect();
    got_order.dedup();
    let want_order = reference.floor_order();
    let out = serde_json::json!({
        "engine": "closeq",
        "audio_s": audio_s,
        "load_s": load_s,
        "wall_s": wall,
        "rtf": audio_s / wall,
        "wer_rep": word_error_rate(&reference.text_of_channel(0), &text_of(0)),
        "wer_client": word_error_rate(&reference.text_of_channel(1), &text_of(1)),
        "turn_order_ok": got_order == want_order,
        "turns": got_order.len(),
        "reference_turns": want_order.len(),
        "hypothesis": { "rep": text_of(0), "client": text_of(1) },
        "utterances": t.utterances.iter().map(|u| serde_json::json!({
            "channel": u.channel, "start_ms": u.start_ms, "end_ms": u.end_ms, "text": u.text,
        })).collect::<Vec<_>>(),
    });
    println!("{out}");
    Ok(())
}

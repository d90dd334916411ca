//! Silero VAD v6 in Rust against faster-whisper 1.2.1 (onnxruntime): the
//! same probabilities on identical input, and the same speech regions on
//! every sample call. The reference comes from `scripts/silero_reference.py`.
#![cfg(feature = "samples")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use closeq_stt::audio::{DecodeLimits, SileroOptions, SileroVad, load_16k};
use closeq_stt::samples::SAMPLE_CALLS;
use serde::Deserialize;

#[derive(Deserialize)]
struct Channel {
    len: usize,
    probs: Vec<f32>,
    regions: Vec<[usize; 2]>,
}

#[derive(Deserialize)]
struct Synthetic {
    len: usize,
    probs: Vec<f32>,
}

#[derive(Deserialize)]
struct Reference {
    synthetic: Synthetic,
    calls: std::collections::BTreeMap<String, Vec<Channel>>,
}

fn reference() -> Reference {
    serde_json::from_str(include_str!("fixtures/silero_reference.json")).expect("fixture")
}

/// Bursts of noise from a 31-bit LCG, in multiples of 1/4096: the same
/// floats bit for bit as `scripts/silero_reference.py` makes.
fn synthetic(n: usize) -> Vec<f32> {
    let mut state: u64 = 1;
    (0..n)
        .map(|i| {
            state = (state * 1_103_515_245 + 12_345) % (1 << 31);
            if (i / 8000) % 2 == 0 {
                (((state >> 16) % 2001) as f32 - 1000.0) / 4096.0
            } else {
                0.0
            }
        })
        .collect()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "frame counts differ");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn bundled_model_is_faster_whispers_file() {
    use sha2::Digest;
    let got = hex::encode(sha2::Sha256::digest(
        closeq_stt::audio::silero::SILERO_V6_ONNX,
    ));
    assert_eq!(
        got,
        "4cbf549b8326f60f80f2536d9eefeb450a9abe83365a098031c89719f1be17d2"
    );
}

#[test]
fn same_probabilities_as_onnxruntime_on_identical_input() {
    let r = reference();
    let vad = SileroVad::bundled().expect("bundled model loads");
    let got = vad.probabilities(&synthetic(r.synthetic.len));
    let d = max_diff(&got, &r.synthetic.probs);
    println!("synthetic: {} frames, max |difference| {d:.2e}", got.len());
    assert!(d < 1e-4, "max difference {d}");
}

#[test]
fn same_speech_regions_as_faster_whisper_on_every_sample_call() {
    let r = reference();
    let vad = SileroVad::bundled().expect("bundled model loads");
    for call in SAMPLE_CALLS {
        let want = &r.calls[call.name];
        let pcm = load_16k(call.audio, &DecodeLimits::default()).expect("decodes");
        for (ch, (samples, want)) in pcm.channels.iter().zip(want).enumerate() {
            assert_eq!(
                samples.len(),
                want.len,
                "{} channel {ch}: length",
                call.name
            );
            // faster-whisper's decoder hands out 16-bit samples.
            let samples: Vec<f32> = samples
                .iter()
                .map(|x| (x * 32768.0).round().clamp(-32768.0, 32767.0) / 32768.0)
                .collect();
            let samples = samples.as_slice();
            let probs = vad.probabilities(samples);
            let d = max_diff(&probs, &want.probs);
            let regions = vad.speech_regions(samples, &SileroOptions::default());
            let got: Vec<[usize; 2]> = regions.iter().map(|x| [x.start, x.end]).collect();
            println!(
                "{} channel {ch}: {} regions, max |probability difference| {d:.2e}",
                call.name,
                got.len()
            );
            // Vorbis decoders (symphonia here, ffmpeg there) still differ in
            // the last bit now and then; regions stay within one frame.
            assert!(d < 5e-3, "{} channel {ch}: max difference {d}", call.name);
            assert_eq!(
                got.len(),
                want.regions.len(),
                "{} channel {ch}: {got:?} vs {:?}",
                call.name,
                want.regions
            );
            for (g, w) in got.iter().zip(&want.regions) {
                assert!(
                    g[0].abs_diff(w[0]) <= 512 && g[1].abs_diff(w[1]) <= 512,
                    "{} channel {ch}: region {g:?} vs {w:?}",
                    call.name
                );
            }
        }
    }
}

#[test]
fn speed_on_a_90_second_channel() {
    let vad = SileroVad::bundled().expect("bundled model loads");
    let pcm = load_16k(SAMPLE_CALLS[0].audio, &DecodeLimits::default()).expect("decodes");
    let started = std::time::Instant::now();
    let probs = vad.probabilities(&pcm.channels[1]);
    let s = started.elapsed().as_secs_f64();
    let audio_s = pcm.channels[1].len() as f64 / 16_000.0;
    println!(
        "{} frames ({audio_s:.1} s of audio) in {s:.3} s: {:.0}x real time",
        probs.len(),
        audio_s / s
    );
}

#[test]
fn silence_has_no_speech_and_hostile_models_are_refused() {
    let vad = SileroVad::bundled().expect("bundled model loads");
    assert!(
        vad.speech_regions(&vec![0.0; 16_000 * 3], &SileroOptions::default())
            .is_empty()
    );
    assert!(
        vad.speech_regions(&[], &SileroOptions::default())
            .is_empty()
    );
    assert!(SileroVad::from_onnx(b"not a model").is_err());
    assert!(SileroVad::from_onnx(&[]).is_err());
    let truncated = &closeq_stt::audio::silero::SILERO_V6_ONNX[..100_000];
    assert!(SileroVad::from_onnx(truncated).is_err());
}

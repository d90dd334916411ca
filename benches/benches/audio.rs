//! Audio in: decoding and resampling a 90-second two-channel call, speech
//! detection (energy and Silero VAD v6), and Whisper's log-mel features (the CPU work around the
//! model; the model itself is measured by `scripts/compare-whisper`).
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use closeq_stt::audio::{
    DecodeLimits, SileroOptions, SileroVad, VadOptions, decode, load_16k, resample, speech_regions,
};
use closeq_stt::samples::SAMPLE_CALLS;
use closeq_stt::whisper::MelExtractor;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn audio(c: &mut Criterion) {
    let call = SAMPLE_CALLS[0];
    let limits = DecodeLimits::default();
    let pcm = decode(call.audio, &limits).unwrap();
    let seconds = pcm.duration_ms() as f64 / 1000.0;
    eprintln!(
        "{}: {seconds:.1} s, {} Hz, {} channels",
        call.name,
        pcm.sample_rate,
        pcm.channels.len()
    );
    let mut g = c.benchmark_group("audio");
    g.throughput(Throughput::Bytes(call.audio.len() as u64));
    g.bench_function("decode_ogg_90s_stereo", |b| {
        b.iter(|| decode(black_box(call.audio), &limits).unwrap())
    });
    g.bench_function("decode_and_16k_90s_stereo", |b| {
        b.iter(|| load_16k(black_box(call.audio), &limits).unwrap())
    });
    let pcm48 = resample(pcm.clone(), 48_000).unwrap();
    g.bench_function("resample_48k_to_16k_90s_stereo", |b| {
        b.iter(|| resample(black_box(pcm48.clone()), 16_000).unwrap())
    });
    let pcm16 = load_16k(call.audio, &limits).unwrap();
    let vad = VadOptions::default();
    g.bench_function("vad_90s_channel", |b| {
        b.iter(|| speech_regions(black_box(&pcm16.channels[0]), 16_000, &vad))
    });
    // The learned detector (the default): Silero VAD v6 over the channel.
    let silero = SileroVad::bundled().unwrap();
    let opts = SileroOptions::default();
    g.bench_function("silero_vad_90s_channel", |b| {
        b.iter(|| silero.speech_regions(black_box(&pcm16.channels[0]), &opts))
    });
    let mel = MelExtractor::new(80);
    let thirty = &pcm16.channels[0][..16_000 * 30];
    g.bench_function("log_mel_30s", |b| b.iter(|| mel.compute(black_box(thirty))));
    g.finish();
}

criterion_group!(benches, audio);
criterion_main!(benches);

//! Transcript import and conversation metrics.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use closeq_analysis::metrics::{MetricsConfig, compute};
use closeq_analysis::transcript::{Format, ImportOptions, import};
use closeq_benches::synthetic;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn metrics(c: &mut Criterion) {
    let cfg = MetricsConfig::default();
    let mut g = c.benchmark_group("metrics");
    for minutes in [15u64, 60, 240] {
        let t = synthetic::call(minutes, 42);
        let words: usize = t.utterances.iter().map(|u| u.words.len()).sum();
        eprintln!("{minutes} min: {} turns, {words} words", t.utterances.len());
        g.bench_function(format!("all_metrics_{minutes}min"), |b| {
            b.iter(|| compute(black_box(&t), &cfg))
        });
    }
    g.finish();
}

fn import_deepgram(c: &mut Criterion) {
    let t = synthetic::call(60, 42);
    let json = synthetic::deepgram_json(&t);
    eprintln!("deepgram 60 min: {} bytes", json.len());
    let opts = ImportOptions::default().with_rep_speaker("0");
    let mut g = c.benchmark_group("import");
    g.throughput(Throughput::Bytes(json.len() as u64));
    g.bench_function("deepgram_60min", |b| {
        b.iter(|| import(black_box(json.as_bytes()), Some(Format::Deepgram), &opts).unwrap())
    });
    g.bench_function("deepgram_60min_autodetect", |b| {
        b.iter(|| import(black_box(json.as_bytes()), None, &opts).unwrap())
    });
    g.finish();
}

criterion_group!(benches, metrics, import_deepgram);
criterion_main!(benches);

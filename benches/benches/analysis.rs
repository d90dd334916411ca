//! Transcript import, conversation metrics, and the rubric benchmark
//! (run + report over the bundled synthetic dataset).
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

/// `closeq bench` without the CLI: the heuristic scorer over the 36
/// synthetic calls with their own rubrics (run), then every statistic with
/// 1,000 bootstrap resamples and the three renderings (report).
fn rubric_bench(c: &mut Criterion) {
    use closeq_analysis::bench::{
        BenchConfig, BenchReport, BenchScorer, HeuristicBench, ReportOptions, SYNTHETIC_DATASET,
        render_html, render_markdown, run,
    };
    use std::sync::Arc;
    let d = closeq_analysis::dataset::Dataset::parse(SYNTHETIC_DATASET).unwrap();
    let rubrics: Vec<_> = ["spin", "bant", "meddpicc"]
        .iter()
        .map(|r| closeq_analysis::rubric::builtin_rubric(r).unwrap())
        .collect();
    let clock: Arc<dyn closeq_core::Clock> = Arc::new(closeq_core::SystemClock);
    let scorers: Vec<Arc<dyn BenchScorer>> = vec![Arc::new(HeuristicBench::new(clock))];
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let config = BenchConfig::default();
    let here = std::path::Path::new(".");
    let mut g = c.benchmark_group("rubric_bench");
    g.sample_size(20);
    g.bench_function("run_heuristic_36_calls", |b| {
        b.iter(|| {
            rt.block_on(run(&d, here, &rubrics, &scorers, &config, None))
                .unwrap()
        })
    });
    let ms = rt
        .block_on(run(&d, here, &rubrics, &scorers, &config, None))
        .unwrap();
    g.bench_function("report_36_calls_1000_resamples", |b| {
        b.iter(|| {
            let r = BenchReport::build(black_box(&d), &rubrics, &ms, &ReportOptions::default());
            (render_markdown(&r).len(), render_html(&r).len())
        })
    });
    g.finish();
}

criterion_group!(benches, metrics, import_deepgram, rubric_bench);
criterion_main!(benches);

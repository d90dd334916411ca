//! Linear-scaling check for the conversation metrics: times 15-, 60- and
//! 240-minute calls interleaved in one process and reports the minimum of
//! many runs of each (robust against a noisy neighbour), and the ratios.
//!
//! Run: `cargo run --release -p closeq-benches --bin metrics_scaling`
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use closeq_analysis::metrics::{MetricsConfig, compute};
use closeq_benches::synthetic;

fn main() {
    let cfg = MetricsConfig::default();
    let calls: Vec<_> = [15u64, 60, 240]
        .iter()
        .map(|m| (*m, synthetic::call(*m, 42)))
        .collect();
    let mut best = [Duration::MAX; 3];
    for round in 0..200 {
        for (i, (_, t)) in calls.iter().enumerate() {
            let reps = if i == 2 { 1 } else { 4 / (i as u32 + 1) + 1 };
            let start = Instant::now();
            for _ in 0..reps {
                black_box(compute(black_box(t), &cfg));
            }
            let per = start.elapsed() / reps;
            if round > 5 {
                best[i] = best[i].min(per);
            }
        }
    }
    for ((m, t), b) in calls.iter().zip(best) {
        let words: usize = t
            .utterances
            .iter()
            .map(|u| u.text.split_whitespace().count())
            .sum();
        println!(
            "{m:>4} min  {:>5} turns  {words:>6} words  min {:>8.1} µs",
            t.utterances.len(),
            b.as_secs_f64() * 1e6
        );
    }
    let r = best[2].as_secs_f64() / best[1].as_secs_f64();
    println!("240 min / 60 min = {r:.2} (budget 4.5)");
    println!(
        "60 min / 15 min = {:.2}",
        best[1].as_secs_f64() / best[0].as_secs_f64()
    );
}

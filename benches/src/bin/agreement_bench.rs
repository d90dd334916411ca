//! Agreement statistics at scale: 10,000 calls × 20 criteria with 1,000
//! bootstrap resamples (overall-score Pearson and MAE, and Cohen's kappa per
//! criterion, each with a 95 % interval), on one core.
//!
//! Run: `cargo run --release -p closeq-benches --bin agreement_bench`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use closeq_analysis::agreement::{Weights, cohen_kappa_indexed, interval, mae, pearson_indexed};
use closeq_benches::synthetic::Rng;

fn main() {
    const CALLS: usize = 10_000;
    const CRITERIA: usize = 20;
    let mut rng = Rng::new(11);
    let human: Vec<f64> = (0..CALLS).map(|_| rng.range(0, 101) as f64).collect();
    let scorer: Vec<f64> = human
        .iter()
        .map(|h| (h + rng.range(0, 21) as f64 - 10.0).clamp(0.0, 100.0))
        .collect();
    let labels: Vec<(Vec<usize>, Vec<usize>)> = (0..CRITERIA)
        .map(|_| {
            let a: Vec<usize> = (0..CALLS).map(|_| rng.range(0, 3) as usize).collect();
            let b: Vec<usize> = a
                .iter()
                .map(|&x| {
                    if rng.range(0, 10) < 7 {
                        x
                    } else {
                        rng.range(0, 3) as usize
                    }
                })
                .collect();
            (a, b)
        })
        .collect();
    let started = Instant::now();
    let r = interval(CALLS, 1000, 0.95, 1, |idx| {
        pearson_indexed(&human, &scorer, idx)
    })
    .unwrap();
    let m = interval(CALLS, 1000, 0.95, 2, |idx| {
        closeq_analysis::agreement::Stat::Value(
            idx.iter()
                .map(|&i| (human[i] - scorer[i]).abs())
                .sum::<f64>()
                / idx.len() as f64,
        )
    })
    .unwrap();
    let mut kappas = Vec::new();
    for (c, (a, b)) in labels.iter().enumerate() {
        kappas.push(
            interval(CALLS, 1000, 0.95, 100 + c as u64, |idx| {
                cohen_kappa_indexed(a, b, idx, 3, Weights::Unweighted)
            })
            .unwrap(),
        );
    }
    let el = started.elapsed();
    println!(
        "pearson 95% CI [{:.4}, {:.4}], MAE {:.3} CI [{:.3}, {:.3}]",
        r.low,
        r.high,
        mae(&human, &scorer).value().unwrap(),
        m.low,
        m.high
    );
    println!(
        "criterion 0 kappa 95% CI [{:.4}, {:.4}]",
        kappas[0].low, kappas[0].high
    );
    println!(
        "{CALLS} calls × {CRITERIA} criteria, 1000 resamples (Pearson, MAE, {CRITERIA} kappas, each with a CI): {el:?} on one thread (budget 2 s)"
    );
}

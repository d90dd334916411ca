//! Deterministic conversation metrics: see [`compute`] for every formula.

mod benchmarks;
mod compute;
mod config;
mod intervals;
mod lexicon;

pub use benchmarks::{Benchmark, BenchmarkPack};
pub use compute::{Stretch, compute, longest_stretches};
pub use config::MetricsConfig;

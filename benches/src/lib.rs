//! Criterion benchmarks for CloseQ's hot paths; run with
//! `cargo bench -p closeq-benches`. Figures are recorded in
//! `docs/PERFORMANCE.md`. This library holds the deterministic generators
//! the benches share.
#![forbid(unsafe_code)]

pub mod synthetic;

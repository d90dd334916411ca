//! Criterion benchmarks for CloseQ's hot paths; run with
//! `cargo bench -p closeq-benches`. Figures are recorded in
//! `docs/PERFORMANCE.md`.
#![forbid(unsafe_code)]

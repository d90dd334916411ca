//! Rubric benchmarking: run scorers × rubrics over a labelled dataset
//! ([`run`]), compare them with the human raters ([`BenchReport`]), and
//! render the result as versioned JSON, Markdown and a self-contained HTML
//! page with SVG charts ([`render_markdown`], [`render_html`]).
//!
//! A call takes part in a rubric's benchmark when its labels name at least
//! one of the rubric's criteria. Criterion verdicts compare on the ordinal
//! scale missed < partial < met; a scorer's `insufficient_evidence` counts
//! as missed (it gave no credit) and `n/a` on either side leaves the pair
//! out. The overall reference is the mean of the raters' overall scores;
//! criterion statistics compare with the call's first rater, and the
//! agreement among the raters is reported beside each scorer as the
//! ceiling.
//!
//! [`SYNTHETIC_DATASET`] is a bundled set of 36 SYNTHETIC calls (SPIN,
//! BANT, MEDDPICC) with an author's labels and a simulated second rater;
//! see `scripts/make-bench-dataset` for exactly how it was made.

mod gate;
mod meter;
mod render;
mod report;
mod runner;

pub use gate::GATE_STATISTICS;
pub use gate::{Gate, GateOutcome};
pub use meter::{MeteredModel, UsageMeter};
pub use render::{render_html, render_markdown};
pub use report::{
    BenchReport, CriterionReport, HumanCeiling, LatencyStats, OverallReport, PairReport,
    REPORT_VERSION, ReportOptions, RetestReport, StatWithCi,
};
pub use runner::{BenchConfig, BenchScorer, HeuristicBench, LlmBench, Measurement, Progress, run};

/// The bundled synthetic dataset (JSONL; see the module docs).
pub const SYNTHETIC_DATASET: &str = include_str!("../../datasets/synthetic_calls.jsonl");

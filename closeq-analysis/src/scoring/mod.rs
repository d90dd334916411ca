//! Scoring: compiled rubrics, the deterministic [`HeuristicScorer`], and
//! (with an LLM) the citation-verified judge.

mod compile;
mod evidence;
mod facts;
mod heuristic;
mod report;

pub use compile::CompiledRubric;
pub use facts::transcript_fingerprint;
pub use heuristic::HeuristicScorer;

//! Scoring: compiled rubrics, the deterministic [`HeuristicScorer`], and
//! (with an LLM) the citation-verified judge.

mod compile;
mod evidence;
mod facts;
mod heuristic;
mod judge;
mod report;
mod summary;
mod utterance_label;
mod verify;

pub use compile::{CompiledRubric, CompiledSet};
pub use facts::transcript_fingerprint;
pub use heuristic::HeuristicScorer;
pub use judge::{
    JudgeAnswer, JudgeCitation, JudgeCriterion, JudgeVerdict, LlmJudge, PROMPT_VERSION,
    answer_schema, build_request, render_transcript,
};
pub use summary::summarize;
pub use utterance_label::{side_letter, utterance_id_rule, utterance_label};
pub use verify::MIN_QUOTE_WORDS;

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;

use crate::call::Call;
use crate::error::Result;
use crate::metrics::ConversationMetrics;
use crate::rubric::Rubric;
use crate::scorecard::Scorecard;
use crate::subprocessor::SubProcessorInfo;
use crate::transcript::Transcript;

/// Everything a scorer looks at.
#[derive(Debug, Clone, Copy)]
pub struct ScoringInput<'a> {
    /// The call.
    pub call: &'a Call,
    /// Its transcript.
    pub transcript: &'a Transcript,
    /// Its metrics.
    pub metrics: &'a ConversationMetrics,
}

/// Scores a call against a rubric.
///
/// Contract: the result is [`ReviewState::Suggested`](crate::ReviewState);
/// every `Met` or `Partial` verdict carries at least one evidence span that
/// occurs in the cited utterance on the side the criterion requires;
/// unverifiable claims become `InsufficientEvidence`; the provenance names
/// the rubric version and hash and the transcript hash.
#[async_trait]
pub trait Scorer: Debug + Send + Sync {
    /// A short name (`heuristic`, `llm-judge`).
    fn name(&self) -> &str;
    /// Everyone this scorer sends call data to (the transcript, metadata):
    /// one entry per remote model or service, empty when scoring never
    /// leaves the process (the heuristic scorer, an in-process model). The
    /// pipeline checks every entry against the workspace's transfer policy
    /// before any data leaves, and redacts the transcript for remote
    /// scorers when the workspace asks for it. There is deliberately no
    /// default: a scorer must say where data goes.
    fn sub_processors(&self) -> Vec<SubProcessorInfo>;
    /// Scores one call.
    async fn score(&self, input: &ScoringInput<'_>, rubric: &Rubric) -> Result<Scorecard>;
}

fn _object_safe(_: Arc<dyn Scorer>) {}

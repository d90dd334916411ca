//! Call summaries: what a call was about, each line citing the utterance
//! it comes from. Stored with the scorecard (exported with it in access
//! requests, erased with the call).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::scorecard::EvidenceSpan;
use crate::sensitive::Sensitive;

/// What a summary line is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SummaryKind {
    /// Who spoke, and how much.
    Speakers,
    /// A key question the rep asked.
    Question,
    /// A need the client stated.
    Need,
    /// An objection the client raised.
    Objection,
    /// A mention of budget, price or cost.
    Budget,
    /// A mention of a timeline or deadline.
    Timeline,
    /// An agreed next step with a date or time.
    NextStep,
}

/// One line of a summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SummaryLine {
    /// What it is about.
    pub kind: SummaryKind,
    /// The line (personal data: it quotes or describes the call).
    pub text: Sensitive<String>,
    /// The utterance it comes from, quoted verbatim; `None` only for the
    /// [`SummaryKind::Speakers`] line, which is drawn from the speaker list
    /// and the talk times.
    pub cite: Option<EvidenceSpan>,
}

/// A call's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallSummary {
    /// How it was made (`extractive`: deterministic, sentences quoted from
    /// the transcript).
    pub method: String,
    /// Its lines, in the order of [`SummaryKind`], then of the call.
    pub lines: Vec<SummaryLine>,
}

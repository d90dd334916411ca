//! Progress reports: which stage a call is in, and how far speech-to-text
//! has got.

use std::sync::Arc;

use closeq_core::CallId;

/// A stage of [`Analyzer::analyze`](crate::Analyzer::analyze), in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// Input checked (size, format, duration).
    Validated,
    /// Consent, AI switch, restriction and objection passed.
    GatesPassed,
    /// Every receiving party passed the transfer policy.
    TransfersAllowed,
    /// The recording is stored.
    AudioStored,
    /// The call row is stored with status `transcribing`, before
    /// speech-to-text (audio input; a new call from a transcript is stored
    /// once, at [`Stage::Stored`]).
    CallStored,
    /// Speech-to-text is running; `Progress::fraction` moves from 0 to 1.
    Transcribing,
    /// The transcript is stored.
    Transcribed,
    /// Text was redacted for a remote scorer.
    Redacted,
    /// Metrics and scores are computed.
    Scored,
    /// Scorecards stored; the call is `analyzed`.
    Stored,
}

/// One progress report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// The call.
    pub call: CallId,
    /// The stage reached.
    pub stage: Stage,
    /// Within [`Stage::Transcribing`], the share done (0–1); otherwise 1.
    pub fraction: f32,
}

/// Receives progress reports (from any thread).
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

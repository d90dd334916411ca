//! [`Analyzer`]: one call end to end — input checks, compliance gates,
//! transfer checks, audio storage, speech-to-text, redaction, metrics,
//! scoring and atomic storage — with every stage's status persisted.

mod builder;
mod queued;
mod stages;
mod transcript_input;

use std::sync::Arc;

use closeq_analysis::metrics::MetricsConfig;
use closeq_core::ports::{
    AudioStore, CallStore, PrivacyStore, Scorer, SpeechToText, WorkspaceStore,
};
use closeq_core::{
    CallId, CallStatus, Clock, ConsentRecord, Error, Result, Rubric, Scope, SubProcessorInfo,
};

pub use builder::AnalyzerBuilder;
pub use queued::{QUEUED_ATTEMPTS, QueuedWork, Submitted};

use crate::limits::InputLimits;
use crate::progress::{Progress, ProgressFn, Stage};
use crate::request::{Analysed, AnalyzeRequest};

/// The analysis pipeline. Compliance is built in: every call goes through
/// the same checks in the same order, and there is no way around them.
///
/// For each call, [`analyze`](Self::analyze):
/// 1. checks the input (size, format, declared duration, rubrics) before
///    anything is stored;
/// 2. reads the workspace's settings once and runs the gates: the AI
///    switch, recording consent (supplied or stored), and restriction
///    (GDPR Art. 18) and objection (Art. 21) of every subject on the call;
/// 3. checks every party that would receive call data — the
///    speech-to-text engine and every scorer's models — against the
///    transfer policy and data region; a refusal names the vendor and the
///    rule, and nothing has left the process;
/// 4. stores the recording first (so a retry needs no re-upload), unless
///    partial retention samples it out;
/// 5. stores the call (status `transcribing`, or `analyzing` for a
///    transcript) with its consent record, transcribes, and stores the
///    transcript;
/// 6. redacts the transcript for every remote scorer when the workspace
///    asks for it (and maps the evidence back onto the stored transcript);
/// 7. computes metrics, scores against every rubric with every scorer,
///    and stores the scorecards (AI suggestions) with status `analyzed`.
///
/// A failure after the call is stored leaves it `failed` with the stage,
/// a reason without personal data and whether a retry may help; a failure
/// before leaves nothing (a stored recording is removed again). Analysing
/// the same call id again resumes it and never stores a second scorecard
/// for the same rubric version and scorer.
pub struct Analyzer {
    calls: Arc<dyn CallStore>,
    workspaces: Arc<dyn WorkspaceStore>,
    privacy: Arc<dyn PrivacyStore>,
    audio: Option<Arc<dyn AudioStore>>,
    stt: Option<Arc<dyn SpeechToText>>,
    scorers: Vec<Arc<dyn Scorer>>,
    metrics: MetricsConfig,
    redaction_key: [u8; 32],
    clock: Arc<dyn Clock>,
    progress: Option<ProgressFn>,
    limits: InputLimits,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field(
                "scorers",
                &self
                    .scorers
                    .iter()
                    .map(|s| s.name().to_owned())
                    .collect::<Vec<_>>(),
            )
            .field("stt", &self.stt.as_ref().map(|s| s.name().to_owned()))
            .field("audio_store", &self.audio.is_some())
            .finish_non_exhaustive()
    }
}

impl Analyzer {
    /// A builder.
    pub fn builder() -> AnalyzerBuilder {
        AnalyzerBuilder::default()
    }

    /// The input limits every call is checked against (an HTTP front end
    /// sizes its upload limit from them).
    pub fn limits(&self) -> InputLimits {
        self.limits
    }

    /// Analyses one call (see the type's docs for the stages).
    pub async fn analyze(&self, scope: &Scope, req: AnalyzeRequest) -> Result<Analysed> {
        let declared_ms = self.limits.check(&req.input, &req.rubrics)?;
        let settings = self.workspaces.get_workspace(scope).await?.settings;
        if let Some(id) = req.call.id {
            match self.calls.get_call(scope, id).await {
                Ok(existing) => {
                    let consent = req.consent.map(|method| ConsentRecord {
                        call_id: existing.id,
                        method,
                        obtained_at: self.clock.now(),
                        withdrawn_at: None,
                    });
                    return self
                        .resume(
                            scope,
                            &settings,
                            existing,
                            consent,
                            Some(req.input),
                            &req.rubrics,
                        )
                        .await;
                }
                Err(Error::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        self.start(scope, &settings, req, declared_ms).await
    }

    /// Scores a stored call against `rubric` (another rubric, or a new
    /// version of one), keeping its earlier scorecards; a card that already
    /// exists for this rubric version and scorer is not made again. The
    /// gates and transfer checks run again with today's settings.
    pub async fn rescore(&self, scope: &Scope, call: CallId, rubric: &Rubric) -> Result<Analysed> {
        rubric.validate().map_err(|e| e.in_field("rubric"))?;
        let settings = self.workspaces.get_workspace(scope).await?.settings;
        let existing = self.calls.get_call(scope, call).await?;
        self.resume(
            scope,
            &settings,
            existing,
            None,
            None,
            std::slice::from_ref(rubric),
        )
        .await
    }

    /// Everyone the scorers send data to.
    fn scorer_recipients(&self) -> Vec<SubProcessorInfo> {
        self.scorers
            .iter()
            .flat_map(|s| s.sub_processors())
            .collect()
    }

    fn report(&self, call: CallId, stage: Stage, fraction: f32) {
        if let Some(f) = &self.progress {
            f(Progress {
                call,
                stage,
                fraction,
            });
        }
    }

    fn stt(&self) -> Result<&Arc<dyn SpeechToText>> {
        self.stt.as_ref().ok_or_else(|| {
            Error::invalid(
                "audio",
                "this analyzer has no speech-to-text engine; add one with AnalyzerBuilder::speech_to_text or send a transcript",
            )
        })
    }
}

/// A failure's reason as stored with the call: the error's message (which
/// never holds personal data), cut to the 500 characters a status allows.
fn failure_reason(context: &str, e: &Error) -> String {
    let text = format!("{context}: {e}");
    match text.char_indices().nth(500) {
        Some((cut, _)) => text[..cut].to_owned(),
        None => text,
    }
}

/// Whether `status` is a failure in `stage` that may be retried.
fn failed_in(status: &CallStatus, stage: closeq_core::ProcessingStage) -> bool {
    matches!(status, CallStatus::Failed { stage: s, .. } if *s == stage)
}

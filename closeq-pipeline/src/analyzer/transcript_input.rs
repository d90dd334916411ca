//! A new call from a transcript: scored before anything is stored, then
//! the call, its transcript, its scorecards and its consent in one write.
//!
//! Nothing about such a call exists in the store while it is scored, so
//! there is nothing to leave half-done: a scorer that fails leaves the call
//! stored as `failed` in analysis with its transcript (a retry with the
//! call's id scores it from there); a store that fails leaves nothing.

use closeq_analysis::metrics::compute;
use closeq_core::ports::CallBundle;
use closeq_core::{
    Call, CallStatus, ConsentRecord, Error, ProcessingStage, Result, Rubric, Scope, Transcript,
    WorkspaceSettings,
};

use super::{Analyzer, failure_reason};
use crate::progress::Stage;
use crate::request::Analysed;

impl Analyzer {
    pub(super) async fn analyze_new_transcript(
        &self,
        scope: &Scope,
        settings: &WorkspaceSettings,
        mut call: Call,
        transcript: Transcript,
        consent: Option<ConsentRecord>,
        rubrics: &[Rubric],
    ) -> Result<Analysed> {
        for next in [
            CallStatus::Transcribing,
            CallStatus::Transcribed,
            CallStatus::Analyzing,
        ] {
            call.transition(next)?;
        }
        let metrics = compute(&transcript, &self.metrics);
        let scored = self
            .score(scope, settings, &call, &transcript, &metrics, rubrics, &[])
            .await;
        let cards = match scored {
            Ok(cards) => cards,
            Err(e) => {
                call.transition(CallStatus::Failed {
                    stage: ProcessingStage::Analysis,
                    reason: failure_reason("analysis failed", &e),
                    retryable: e.is_retryable(),
                })?;
                let kept = CallBundle {
                    call,
                    transcript: Some(transcript),
                    scorecards: Vec::new(),
                    consent,
                };
                if let Err(store_error) = self.write(scope, kept).await {
                    tracing::warn!(error = %store_error, "could not record the failure of a call");
                }
                return Err(e);
            }
        };
        self.report(call.id, Stage::Scored, 1.0);
        call.transition(CallStatus::Analyzed)?;
        let stored = self
            .write(
                scope,
                CallBundle {
                    call,
                    transcript: Some(transcript),
                    scorecards: cards,
                    consent,
                },
            )
            .await?;
        self.report(stored.call.id, Stage::Stored, 1.0);
        let transcript = stored
            .transcript
            .ok_or_else(|| Error::invalid("transcript", "the stored bundle lost its transcript"))?;
        Ok(Analysed {
            call: stored.call,
            transcript,
            metrics,
            scorecards: stored.scorecards,
            audio_kept: false,
        })
    }

    /// One atomic write of `bundle`, handed back. A store that cannot write
    /// consent with the call (its `ingest` answers `Unsupported`) gets the
    /// call first, then the consent through the privacy store.
    pub(super) async fn write(&self, scope: &Scope, bundle: CallBundle) -> Result<CallBundle> {
        match self
            .calls
            .ingest(scope, std::slice::from_ref(&bundle))
            .await
        {
            Ok(()) => Ok(bundle),
            Err(Error::Unsupported { .. }) if bundle.consent.is_some() => {
                let CallBundle {
                    call,
                    transcript,
                    scorecards,
                    consent,
                } = bundle;
                let without = CallBundle {
                    call,
                    transcript,
                    scorecards,
                    consent: None,
                };
                self.calls
                    .ingest(scope, std::slice::from_ref(&without))
                    .await?;
                if let Some(c) = &consent {
                    self.privacy.put_consent(scope, c).await?;
                }
                Ok(CallBundle { consent, ..without })
            }
            Err(e) => Err(e),
        }
    }
}

//! Calls processed by workers: [`Analyzer::submit`] stores a call with its
//! first job, and the job kinds run the stages apart — transcription
//! ([`Analyzer::transcribe_queued`]) and scoring
//! ([`Analyzer::analyze_queued`]) — so a speech-to-text outage does not
//! hold up the scoring of imported transcripts.

use closeq_core::ports::{CallBundle, JobKind, JobQueue, JobSpec};
use closeq_core::{
    Call, CallId, CallStatus, ConsentRecord, Error, JobId, ProcessingStage, Result, Rubric, Scope,
};
use serde::{Deserialize, Serialize};

use super::{Analyzer, failed_in};
use crate::request::{Analysed, AnalyzeRequest, CallInput};
use crate::transfer;

/// The attempts a queued stage gets before its job is dead.
pub const QUEUED_ATTEMPTS: u32 = 5;

/// What a queued call's jobs carry: the keys of the rubrics to score it
/// against (no personal data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedWork {
    /// Rubric keys (`discovery`, `spin`, ...).
    pub rubrics: Vec<String>,
}

impl QueuedWork {
    /// The job of `kind` for `call`.
    pub fn job(&self, kind: JobKind, call: CallId) -> JobSpec {
        JobSpec {
            kind,
            call_id: Some(call),
            payload: serde_json::to_value(self).unwrap_or_default(),
            max_attempts: QUEUED_ATTEMPTS,
            run_after: None,
            every: None,
        }
    }

    /// Reads a job's payload.
    pub fn of(spec: &JobSpec) -> Result<Self> {
        serde_json::from_value(spec.payload.clone())
            .map_err(|_| Error::invalid("payload", "not a queued call's work (rubric keys)"))
    }
}

/// What [`Analyzer::submit`] stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Submitted {
    /// The call.
    pub call_id: CallId,
    /// Its first job.
    pub job_id: JobId,
    /// The job's kind: `transcribe` for a recording, `analyze` for a
    /// transcript.
    pub kind: JobKind,
}

impl Analyzer {
    /// Takes a call in for workers. Runs the same input checks, gates and
    /// transfer checks as [`analyze`](Self::analyze) (for the engines this
    /// analyzer has; a worker checks its own again), stores the recording,
    /// then stores the call — `uploaded`, or `transcribed` with its
    /// transcript — and queues its next stage on `queue` in the same write
    /// where the queue shares the store's database. A recording must be
    /// kept for a worker to transcribe it: an analyzer without an audio
    /// store, or a workspace whose partial retention samples this
    /// recording out, is `InvalidInput` (analyse such calls directly).
    ///
    /// Every rubric must be one the workers can resolve by its key (the
    /// built-in ones unless a worker is given others).
    pub async fn submit(
        &self,
        scope: &Scope,
        req: AnalyzeRequest,
        queue: &dyn JobQueue,
    ) -> Result<Submitted> {
        let declared_ms = self.limits.check(&req.input, &req.rubrics)?;
        let settings = self.workspaces.get_workspace(scope).await?.settings;
        let now = self.clock.now();
        let mut call = self.new_call(scope, &req, declared_ms, now).await?;
        let consent = req.consent.map(|method| ConsentRecord {
            call_id: call.id,
            method,
            obtained_at: now,
            withdrawn_at: None,
        });
        self.gates(scope, &settings, &call, consent.as_ref(), false)
            .await?;
        let audio = matches!(req.input, CallInput::Audio { .. });
        let stt = match (&self.stt, audio) {
            (Some(stt), true) => stt.sub_processor(),
            _ => None,
        };
        transfer::check_all(&settings, stt.as_ref(), &self.scorer_recipients())?;
        let work = QueuedWork {
            rubrics: req
                .rubrics
                .iter()
                .map(|r| r.id.as_str().to_owned())
                .collect(),
        };
        let (bundle, kind, stored) = match req.input {
            CallInput::Audio { bytes, layout } => {
                call.channels = layout;
                let stored = self.store_audio(scope, &settings, &call, &bytes).await?;
                if stored.is_none() {
                    return Err(Error::invalid(
                        "audio",
                        "the recording would not be kept (no audio store, or partial retention \
                         samples it out), so no worker could transcribe it; analyse it directly",
                    ));
                }
                call.audio = stored.clone();
                let bundle = CallBundle {
                    call: call.clone(),
                    transcript: None,
                    scorecards: Vec::new(),
                    consent,
                };
                (bundle, JobKind::Transcribe, stored)
            }
            CallInput::Transcript(t) => {
                call.transition(CallStatus::Transcribing)?;
                call.transition(CallStatus::Transcribed)?;
                let bundle = CallBundle {
                    call: call.clone(),
                    transcript: Some(*t),
                    scorecards: Vec::new(),
                    consent,
                };
                (bundle, JobKind::Analyze, None)
            }
        };
        let spec = work.job(kind, call.id);
        match self.submit_bundle(scope, queue, bundle, spec).await {
            Ok(job_id) => Ok(Submitted {
                call_id: call.id,
                job_id,
                kind,
            }),
            Err(e) => {
                self.remove_audio(scope, call.id, stored.as_ref()).await;
                Err(e)
            }
        }
    }

    /// The call and its job, in one write where the queue can; else (a
    /// store that writes consent records through the privacy store) the
    /// call, its consent, then the job, the call removed again on failure.
    async fn submit_bundle(
        &self,
        scope: &Scope,
        queue: &dyn JobQueue,
        bundle: CallBundle,
        spec: JobSpec,
    ) -> Result<JobId> {
        match queue
            .submit(scope, self.calls.as_ref(), &bundle, spec.clone())
            .await
        {
            Err(Error::Unsupported { .. }) if bundle.consent.is_some() => {}
            other => return other,
        }
        let CallBundle {
            call,
            transcript,
            scorecards,
            consent,
        } = bundle;
        let id = call.id;
        let without = CallBundle {
            call,
            transcript,
            scorecards,
            consent: None,
        };
        self.calls
            .ingest(scope, std::slice::from_ref(&without))
            .await?;
        let queued = async {
            if let Some(c) = &consent {
                self.privacy.put_consent(scope, c).await?;
            }
            queue.enqueue(scope, spec).await
        }
        .await;
        if queued.is_err()
            && let Err(e) = self.calls.delete_call(scope, id).await
        {
            tracing::warn!(error = %e, "could not remove a call whose job was not queued");
        }
        queued
    }

    /// A queued call's transcription (the `transcribe` job): the gates and
    /// the speech-to-text transfer check again, then speech-to-text from
    /// the stored recording; the call ends `transcribed`. A call already
    /// past transcription is left as it is (a job run twice does the work
    /// once).
    pub async fn transcribe_queued(&self, scope: &Scope, call: CallId) -> Result<Call> {
        let settings = self.workspaces.get_workspace(scope).await?.settings;
        let mut call = self.calls.get_call(scope, call).await?;
        let pending = matches!(
            call.status(),
            CallStatus::Uploaded | CallStatus::Transcribing
        ) || failed_in(call.status(), ProcessingStage::Transcription);
        if !pending {
            return Ok(call);
        }
        self.gates(scope, &settings, &call, None, true).await?;
        let stt = self.stt()?.sub_processor();
        transfer::check_all(&settings, stt.as_ref(), &[])?;
        let bytes = self.stored_audio(scope, &call).await?;
        if !matches!(call.status(), CallStatus::Transcribing) {
            call = self
                .calls
                .advance_call(scope, call.id, &[CallStatus::Transcribing], None, &[])
                .await?;
        }
        let layout = call.channels;
        self.transcribe_and_store(scope, &mut call, bytes, layout, &[CallStatus::Transcribed])
            .await?;
        Ok(call)
    }

    /// A queued call's scoring (the `analyze` job): as a retry of
    /// [`analyze`](Self::analyze) from the stored transcript, gates and
    /// transfer checks included; a card already stored for a rubric
    /// version and scorer is not made again.
    pub async fn analyze_queued(
        &self,
        scope: &Scope,
        call: CallId,
        rubrics: &[Rubric],
    ) -> Result<Analysed> {
        let settings = self.workspaces.get_workspace(scope).await?.settings;
        let existing = self.calls.get_call(scope, call).await?;
        self.resume(scope, &settings, existing, None, None, rubrics)
            .await
    }
}

//! The stages of one call, in order.

use std::sync::Arc;

use bytes::Bytes;
use closeq_analysis::metrics::compute;
use closeq_core::ports::{AudioInput, CallBundle, ScoringInput, TranscribeOptions};
use closeq_core::{
    AudioRef, Call, CallDirection, CallSource, CallStatus, ChannelLayout, ConsentRecord,
    ConversationMetrics, Error, ProcessingStage, Result, Rubric, Scope, Scorecard, Subject,
    Transcript, WorkspaceSettings,
};
use closeq_privacy::gates;
use closeq_privacy::redaction::Redactor;

use super::{Analyzer, failed_in, failure_reason};
use crate::progress::Stage;
use crate::redact::Redaction;
use crate::request::{Analysed, AnalyzeRequest, CallInput};
use crate::transfer;

/// After speech-to-text in one run: transcribed, then analysing.
const TO_ANALYSIS: &[CallStatus] = &[CallStatus::Transcribed, CallStatus::Analyzing];

impl Analyzer {
    /// A new call, from the checks to the stored scorecards.
    pub(super) async fn start(
        &self,
        scope: &Scope,
        settings: &WorkspaceSettings,
        req: AnalyzeRequest,
        declared_ms: Option<u64>,
    ) -> Result<Analysed> {
        let now = self.clock.now();
        let mut call = self.new_call(scope, &req, declared_ms, now).await?;
        self.report(call.id, Stage::Validated, 1.0);
        let consent = req.consent.map(|method| ConsentRecord {
            call_id: call.id,
            method,
            obtained_at: now,
            withdrawn_at: None,
        });
        // A new call: no stored consent or record to look up yet.
        self.gates(scope, settings, &call, consent.as_ref(), false)
            .await?;
        self.report(call.id, Stage::GatesPassed, 1.0);
        let audio_input = matches!(req.input, CallInput::Audio { .. });
        let stt_recipient = if audio_input {
            self.stt()?.sub_processor()
        } else {
            None
        };
        transfer::check_all(settings, stt_recipient.as_ref(), &self.scorer_recipients())?;
        self.report(call.id, Stage::TransfersAllowed, 1.0);

        let (transcript, audio_kept) = match req.input {
            CallInput::Audio { bytes, layout } => {
                call.channels = layout;
                let stored = self.store_audio(scope, settings, &call, &bytes).await?;
                call.audio = stored.clone();
                if stored.is_some() {
                    self.report(call.id, Stage::AudioStored, 1.0);
                }
                call.transition(CallStatus::Transcribing)?;
                let first = CallBundle {
                    call: call.clone(),
                    transcript: None,
                    scorecards: Vec::new(),
                    consent,
                };
                if let Err(e) = self.write(scope, first).await {
                    self.remove_audio(scope, call.id, stored.as_ref()).await;
                    return Err(e);
                }
                self.report(call.id, Stage::CallStored, 1.0);
                let t = self
                    .transcribe_and_store(scope, &mut call, bytes, layout, TO_ANALYSIS)
                    .await?;
                (t, call.audio.is_some())
            }
            CallInput::Transcript(t) => {
                return self
                    .analyze_new_transcript(scope, settings, call, *t, consent, &req.rubrics)
                    .await;
            }
        };
        self.score_and_store(
            scope,
            settings,
            call,
            transcript,
            &req.rubrics,
            Vec::new(),
            audio_kept,
        )
        .await
    }

    /// A call stored before: carried on from where it stands.
    pub(super) async fn resume(
        &self,
        scope: &Scope,
        settings: &WorkspaceSettings,
        mut call: Call,
        consent: Option<ConsentRecord>,
        input: Option<CallInput>,
        rubrics: &[Rubric],
    ) -> Result<Analysed> {
        self.gates(scope, settings, &call, consent.as_ref(), true)
            .await?;
        if let Some(c) = &consent {
            self.privacy.put_consent(scope, c).await?;
        }
        let needs_stt = matches!(
            call.status(),
            CallStatus::Uploaded | CallStatus::Transcribing
        ) || failed_in(call.status(), ProcessingStage::Transcription);
        let stt_recipient = if needs_stt {
            self.stt()?.sub_processor()
        } else {
            None
        };
        transfer::check_all(settings, stt_recipient.as_ref(), &self.scorer_recipients())?;
        let existing = self.calls.list_scorecards(scope, call.id).await?;
        let transcript = if needs_stt {
            let bytes = match input {
                Some(CallInput::Audio { bytes, .. }) => bytes,
                _ => self.stored_audio(scope, &call).await?,
            };
            if !matches!(call.status(), CallStatus::Transcribing) {
                call = self
                    .calls
                    .advance_call(scope, call.id, &[CallStatus::Transcribing], None, &[])
                    .await?;
            }
            let layout = call.channels;
            self.transcribe_and_store(scope, &mut call, bytes, layout, TO_ANALYSIS)
                .await?
        } else {
            let t = self.calls.get_transcript(scope, call.id).await?;
            let steps: &[CallStatus] = match call.status() {
                CallStatus::Transcribed | CallStatus::Analyzed => &[CallStatus::Analyzing],
                CallStatus::Analyzing => &[],
                _ if failed_in(call.status(), ProcessingStage::Analysis) => {
                    &[CallStatus::Analyzing]
                }
                _ => {
                    return Err(Error::InvalidTransition {
                        resource: "call",
                        from: call.status().name().into(),
                        to: "analyzing".into(),
                    });
                }
            };
            let wanted: Vec<&Rubric> = rubrics
                .iter()
                .filter(|r| self.missing_cards(r, &existing))
                .collect();
            if wanted.is_empty() && matches!(call.status(), CallStatus::Analyzed) {
                // Nothing new to score: the stored result stands.
                let metrics = compute(&t, &self.metrics);
                return Ok(Analysed {
                    audio_kept: call.audio.is_some(),
                    call,
                    transcript: t,
                    metrics,
                    scorecards: existing,
                });
            }
            if !steps.is_empty() {
                call = self
                    .calls
                    .advance_call(scope, call.id, steps, None, &[])
                    .await?;
            }
            t
        };
        let kept = call.audio.is_some();
        self.score_and_store(scope, settings, call, transcript, rubrics, existing, kept)
            .await
    }

    pub(super) async fn new_call(
        &self,
        scope: &Scope,
        req: &AnalyzeRequest,
        declared_ms: Option<u64>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Call> {
        let d = &req.call;
        let mut call = Call::new(
            scope.workspace_id,
            d.rep_id.unwrap_or(scope.user_id),
            d.started_at.unwrap_or(now),
            d.direction.unwrap_or(CallDirection::Outbound),
            d.source.unwrap_or(CallSource::Upload),
            now,
        );
        if let Some(id) = d.id {
            call.id = id;
        }
        call.team_id = d.team_id;
        call.client = d.client.clone();
        call.outcome = d.outcome;
        call.call_type = d.call_type.clone().or_else(|| {
            req.rubrics
                .first()
                .and_then(|r| r.call_types.first().cloned())
        });
        call.duration_ms = declared_ms.map(|ms| ms.max(1));
        call.validate()?;
        self.check_filing(scope, &call).await?;
        Ok(call)
    }

    /// A new call is filed under a current member of the workspace as its
    /// rep, and under one of that rep's teams: nobody files a call — and
    /// then reviews it — in the name of someone who is not a member, or
    /// under a team the rep is not in (a manager could otherwise put a
    /// fabricated, self-reviewed call on another team's rep by filing it
    /// under their own team). The stores then check the scope may upload
    /// for that rep and team.
    async fn check_filing(&self, scope: &Scope, call: &Call) -> Result<()> {
        let rep = match self.workspaces.get_member(scope, call.rep_id).await {
            Ok(m) => m,
            Err(Error::NotFound { .. }) => {
                return Err(Error::invalid("rep_id", "not a member of the workspace"));
            }
            Err(e) => return Err(e),
        };
        if let Some(team) = call.team_id
            && !rep.team_ids.contains(&team)
        {
            return Err(Error::invalid("team_id", "the rep is not in this team"));
        }
        Ok(())
    }

    /// The gates, with the settings read once: restriction, AI switch,
    /// objection, consent (a withdrawn stored record, else the supplied
    /// record, else the stored one).
    pub(super) async fn gates(
        &self,
        scope: &Scope,
        settings: &WorkspaceSettings,
        call: &Call,
        consent: Option<&ConsentRecord>,
        call_is_stored: bool,
    ) -> Result<()> {
        let stored = if call_is_stored {
            gates::stored_consent(self.privacy.as_ref(), scope, call.id).await?
        } else {
            None
        };
        let flags = self
            .privacy
            .subject_flags(scope, &Subject::of_call(call))
            .await?;
        let consent = gates::effective_consent(consent, stored.as_ref());
        gates::check_analysis(settings, call.id, consent, flags)
    }

    /// Stores the recording unless partial retention samples it out, or
    /// there is no audio store. `None`: not kept.
    pub(super) async fn store_audio(
        &self,
        scope: &Scope,
        settings: &WorkspaceSettings,
        call: &Call,
        bytes: &Bytes,
    ) -> Result<Option<AudioRef>> {
        let Some(store) = &self.audio else {
            return Ok(None);
        };
        if settings
            .recording_sample
            .is_some_and(|sample| !sample.keeps(call.id))
        {
            return Ok(None);
        }
        let (ext, mime) = audio_kind(bytes);
        let key = format!("calls/{}.{ext}", call.id);
        let body = bytes.clone();
        let stream: closeq_core::ports::ByteStream =
            Box::pin(futures::stream::once(async move { Ok(body) }));
        Ok(Some(store.put(scope, call, &key, mime, stream).await?))
    }

    /// Removes the recording of a call whose first write failed. The
    /// audio store deletes it for a scope that sees every call; for anyone
    /// else it cannot tell a missing call from an invisible one and leaves
    /// the object.
    pub(super) async fn remove_audio(
        &self,
        scope: &Scope,
        call: closeq_core::CallId,
        audio: Option<&AudioRef>,
    ) {
        if let (Some(store), Some(a)) = (&self.audio, audio)
            && let Err(e) = store.delete(scope, call, &a.key).await
        {
            tracing::warn!(error = %e, "could not remove the recording of a call that was not stored");
        }
    }

    /// The stored recording of a call to transcribe again.
    pub(super) async fn stored_audio(&self, scope: &Scope, call: &Call) -> Result<Bytes> {
        use futures::TryStreamExt;
        let (Some(store), Some(a)) = (&self.audio, &call.audio) else {
            return Err(Error::invalid(
                "audio",
                "the call's recording was not kept; send it again to retry transcription",
            ));
        };
        let chunks: Vec<Bytes> = store
            .get(scope, call.id, &a.key)
            .await?
            .try_collect()
            .await?;
        Ok(chunks.concat().into())
    }

    /// Speech-to-text, then the transcript stored with the call moved
    /// through `steps` ([`TO_ANALYSIS`] in one run; `transcribed` only when
    /// a worker queues the scoring as a job of its own).
    pub(super) async fn transcribe_and_store(
        &self,
        scope: &Scope,
        call: &mut Call,
        bytes: Bytes,
        layout: ChannelLayout,
        steps: &[CallStatus],
    ) -> Result<Transcript> {
        let stt = self.stt()?.clone();
        let id = call.id;
        let mut opts = TranscribeOptions::default();
        if let Some(progress) = self.progress.clone() {
            opts.progress = Some(Arc::new(move |fraction| {
                progress(crate::progress::Progress {
                    call: id,
                    stage: Stage::Transcribing,
                    fraction,
                })
            }));
        }
        let (_, mime) = audio_kind(&bytes);
        let input = AudioInput {
            data: Arc::from(bytes.as_ref()),
            content_type: Some(mime.to_owned()),
            channels: layout,
        };
        let transcript = match stt.transcribe(input, &opts).await {
            Ok(t) => t,
            Err(e) => {
                return Err(self
                    .fail(scope, call, ProcessingStage::Transcription, e)
                    .await);
            }
        };
        match self
            .calls
            .advance_call(scope, id, steps, Some(&transcript), &[])
            .await
        {
            Ok(stored) => *call = stored,
            Err(e) => {
                return Err(self
                    .fail(scope, call, ProcessingStage::Transcription, e)
                    .await);
            }
        }
        self.report(id, Stage::Transcribed, 1.0);
        Ok(transcript)
    }

    /// Marks the call failed in `stage` (when the store lets us) and
    /// returns the error that caused it.
    async fn fail(&self, scope: &Scope, call: &Call, stage: ProcessingStage, e: Error) -> Error {
        let context = match stage {
            ProcessingStage::Transcription => "speech-to-text failed",
            ProcessingStage::Analysis => "analysis failed",
        };
        let status = CallStatus::Failed {
            stage,
            reason: failure_reason(context, &e),
            retryable: e.is_retryable(),
        };
        if let Err(store_error) = self.calls.transition_call(scope, call.id, status).await {
            tracing::warn!(error = %store_error, "could not record the failure of a call");
        }
        e
    }

    /// Whether `rubric` still lacks a card from some scorer.
    fn missing_cards(&self, rubric: &Rubric, existing: &[Scorecard]) -> bool {
        self.scorers
            .iter()
            .any(|s| !has_card(existing, rubric, s.name()))
    }

    /// Metrics, every missing (rubric, scorer) card, and the final write.
    #[allow(clippy::too_many_arguments)]
    async fn score_and_store(
        &self,
        scope: &Scope,
        settings: &WorkspaceSettings,
        call: Call,
        transcript: Transcript,
        rubrics: &[Rubric],
        existing: Vec<Scorecard>,
        audio_kept: bool,
    ) -> Result<Analysed> {
        let metrics = compute(&transcript, &self.metrics);
        let new_cards = match self
            .score(
                scope,
                settings,
                &call,
                &transcript,
                &metrics,
                rubrics,
                &existing,
            )
            .await
        {
            Ok(c) => c,
            Err(e) => return Err(self.fail(scope, &call, ProcessingStage::Analysis, e).await),
        };
        self.report(call.id, Stage::Scored, 1.0);
        // The gates again, on the stored state, right before the results
        // are kept: a consent withdrawn, or a restriction or objection
        // recorded, while the call was being transcribed or scored stops
        // it here (Art. 7(3): no processing after the withdrawal).
        if let Err(e) = self.gates(scope, settings, &call, None, true).await {
            return Err(self.fail(scope, &call, ProcessingStage::Analysis, e).await);
        }
        let stored = match self
            .calls
            .advance_call(scope, call.id, &[CallStatus::Analyzed], None, &new_cards)
            .await
        {
            Ok(c) => c,
            Err(e) => return Err(self.fail(scope, &call, ProcessingStage::Analysis, e).await),
        };
        self.report(call.id, Stage::Stored, 1.0);
        let mut scorecards = existing;
        scorecards.extend(new_cards);
        Ok(Analysed {
            call: stored,
            transcript,
            metrics,
            scorecards,
            audio_kept,
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn score(
        &self,
        scope: &Scope,
        settings: &WorkspaceSettings,
        call: &Call,
        transcript: &Transcript,
        metrics: &ConversationMetrics,
        rubrics: &[Rubric],
        existing: &[Scorecard],
    ) -> Result<Vec<Scorecard>> {
        let mut redaction: Option<(Redaction, Call)> = None;
        let mut cards = Vec::new();
        for scorer in &self.scorers {
            let remote = !scorer.sub_processors().is_empty();
            let redact = remote && settings.redact_before_remote_processing;
            if redact && redaction.is_none() {
                redaction = Some(self.redaction(scope, call, transcript).await?);
                self.report(call.id, Stage::Redacted, 1.0);
            }
            for rubric in rubrics {
                if has_card(existing, rubric, scorer.name()) {
                    continue;
                }
                let card = match (&redaction, redact) {
                    (Some((r, redacted_call)), true) => {
                        let input = ScoringInput {
                            call: redacted_call,
                            transcript: &r.transcript,
                            metrics,
                        };
                        let mut card = scorer.score(&input, rubric).await?;
                        r.restore(&mut card, transcript);
                        card
                    }
                    _ => {
                        let input = ScoringInput {
                            call,
                            transcript,
                            metrics,
                        };
                        scorer.score(&input, rubric).await?
                    }
                };
                cards.push(card);
            }
        }
        Ok(cards)
    }

    /// The redacted copy for remote scorers, and the call without its
    /// client contact and rep comments.
    async fn redaction(
        &self,
        scope: &Scope,
        call: &Call,
        t: &Transcript,
    ) -> Result<(Redaction, Call)> {
        let mut names: Vec<String> = Vec::new();
        if let Some(n) = &call.client.name {
            names.push(n.as_str().to_owned());
        }
        match self.workspaces.get_member(scope, call.rep_id).await {
            Ok(m) => names.extend(m.display_name.map(|n| n.as_str().to_owned())),
            Err(Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let redactor = Redactor::new(self.redaction_key, &refs);
        let mut bare = call.clone();
        bare.client = Default::default();
        bare.rep_comments = None;
        Ok((Redaction::new(t, &redactor), bare))
    }
}

/// Whether `existing` holds a card for this rubric version from `scorer`.
fn has_card(existing: &[Scorecard], rubric: &Rubric, scorer: &str) -> bool {
    existing.iter().any(|c| {
        c.provenance.rubric_id == rubric.id
            && c.provenance.rubric_version == rubric.version
            && c.provenance.scorer == scorer
    })
}

/// File extension and MIME type of a recording.
#[cfg(feature = "audio")]
fn audio_kind(bytes: &[u8]) -> (&'static str, &'static str) {
    closeq_stt::audio::AudioKind::sniff(bytes)
        .map_or(("bin", "audio/octet-stream"), |k| (k.extension(), k.mime()))
}

#[cfg(not(feature = "audio"))]
fn audio_kind(_bytes: &[u8]) -> (&'static str, &'static str) {
    ("bin", "audio/octet-stream")
}

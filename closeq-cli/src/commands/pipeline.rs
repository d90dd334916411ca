//! One analysed call, end to end on the local installation: privacy gates,
//! metrics, scoring, and storage of audio, call, transcript and scorecard.

use std::sync::Arc;

use bytes::Bytes;
use closeq_analysis::metrics::{MetricsConfig, compute};
use closeq_core::ports::{AudioStore, Scorer, ScoringInput};
use closeq_core::{
    Call, CallDirection, CallOutcome, CallSource, CallStatus, ClientContact, Clock, ConsentMethod,
    ConsentRecord, ConversationMetrics, Rubric, Scorecard, Transcript,
};
use closeq_privacy::gates::ProcessingGate;
use closeq_stt::audio::AudioKind;

use super::local::LocalState;

/// What was analysed and stored.
pub struct Analysed {
    /// The stored call.
    pub call: Call,
    /// Its transcript.
    pub transcript: Transcript,
    /// Its metrics.
    pub metrics: ConversationMetrics,
    /// Its scorecard (an AI suggestion until a person reviews it).
    pub card: Scorecard,
}

/// A new call of the local workspace's owner, started now, with the client
/// contact given (or none), and its consent record when one was obtained.
pub fn new_call(
    state: &LocalState,
    clock: &dyn Clock,
    client: ClientContact,
    consent: Option<ConsentMethod>,
) -> (Call, Option<ConsentRecord>) {
    let now = clock.now();
    let mut call = Call::new(
        state.scope.workspace_id,
        state.scope.user_id,
        now,
        CallDirection::Outbound,
        CallSource::Upload,
        now,
    );
    call.client = client;
    let consent = consent.map(|method| ConsentRecord {
        call_id: call.id,
        method,
        obtained_at: now,
    });
    (call, consent)
}

/// The gates with the stored state: the AI switch, consent, and the
/// restriction and objection flags of the call's subjects. Run before any
/// transcription, and again before scoring.
pub async fn check_gates(
    state: &LocalState,
    call: &Call,
    consent: Option<&ConsentRecord>,
) -> anyhow::Result<()> {
    ProcessingGate::new(state.workspaces.clone(), state.privacy.clone())
        .check_analysis(&state.scope, call, consent)
        .await?;
    Ok(())
}

/// A call to analyse.
pub struct CallToAnalyse<'a> {
    /// The call (from [`new_call`]).
    pub call: Call,
    /// Its consent record, stored with it.
    pub consent: Option<ConsentRecord>,
    /// The transcript.
    pub transcript: Transcript,
    /// The recording, when the call came as audio.
    pub audio: Option<Vec<u8>>,
    /// The rubric.
    pub rubric: &'a Rubric,
    /// The call type.
    pub call_type: Option<String>,
    /// The outcome, when known.
    pub outcome: CallOutcome,
}

/// Runs the gates, scores, and stores everything: the rows in one
/// transaction, and a failed database write removes the audio it stored,
/// so nothing is left half-written.
pub async fn analyse_and_store(
    state: &LocalState,
    clock: Arc<dyn Clock>,
    scorer: &dyn Scorer,
    input: CallToAnalyse<'_>,
) -> anyhow::Result<Analysed> {
    let mut call = input.call;
    call.outcome = input.outcome;
    call.call_type = input
        .call_type
        .or_else(|| input.rubric.call_types.first().cloned());
    call.duration_ms = Some(input.transcript.duration_ms.max(1));
    call.status = CallStatus::Transcribed;
    // The workspace's AI switch, consent, restriction and objection.
    check_gates(state, &call, input.consent.as_ref()).await?;
    let metrics = compute(&input.transcript, &MetricsConfig::default());
    let card = scorer
        .score(
            &ScoringInput {
                call: &call,
                transcript: &input.transcript,
                metrics: &metrics,
            },
            input.rubric,
        )
        .await?;

    let audio_store = state.audio_store(clock.clone())?;
    // Partial retention: the call is analysed either way; its recording is
    // kept only when it falls in the workspace's seeded share.
    let settings = state.workspaces.get_workspace(&state.scope).await?.settings;
    let keep_audio = settings
        .recording_sample
        .is_none_or(|sample| sample.keeps(call.id));
    if let Some(bytes) = input.audio.filter(|_| keep_audio) {
        let kind = AudioKind::sniff(&bytes).unwrap_or(AudioKind::Mp3);
        let (ext, mime) = (kind.extension(), kind.mime());
        let key = format!("calls/{}.{ext}", call.id);
        let body: closeq_core::ports::ByteStream =
            Box::pin(futures::stream::once(async move { Ok(Bytes::from(bytes)) }));
        call.audio = Some(audio_store.put(&state.scope, &key, mime, body).await?);
    }
    let stored = store_rows(state, &call, &input.transcript, &card, input.consent).await;
    if let Err(e) = stored {
        if let Some(a) = &call.audio {
            let _ = audio_store.delete(&state.scope, &a.key).await;
        }
        return Err(e);
    }
    Ok(Analysed {
        call,
        transcript: input.transcript,
        metrics,
        card,
    })
}

/// One transaction: the call, its transcript and its scorecard are all
/// written or none is (`SqliteStore::ingest`).
async fn store_rows(
    state: &LocalState,
    call: &Call,
    t: &Transcript,
    card: &Scorecard,
    consent: Option<ConsentRecord>,
) -> anyhow::Result<()> {
    let mut call = call.clone();
    call.status = CallStatus::Analyzed;
    let bundle = closeq_storage::CallBundle {
        call,
        transcript: Some(t.clone()),
        scorecards: vec![card.clone()],
        consent,
    };
    state.ingest(&[bundle]).await?;
    Ok(())
}

//! What [`Analyzer::analyze`](crate::Analyzer::analyze) takes and returns.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use closeq_core::{
    Call, CallDirection, CallId, CallOutcome, CallSource, ChannelLayout, ClientContact,
    ConsentMethod, ConversationMetrics, Rubric, Scorecard, TeamId, Transcript, UserId,
};

/// The call's content: a recording, or a transcript made elsewhere.
#[derive(Clone)]
#[non_exhaustive]
pub enum CallInput {
    /// A recording (WAV, MP3, FLAC, Ogg Vorbis, M4A), transcribed by the
    /// analyzer's speech-to-text.
    Audio {
        /// The file's bytes.
        bytes: Bytes,
        /// How its channels map to speakers.
        layout: ChannelLayout,
    },
    /// A transcript (from `closeq_analysis::transcript::import`, or built
    /// by hand): no speech-to-text runs.
    Transcript(Box<Transcript>),
}

impl std::fmt::Debug for CallInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Audio { bytes, layout } => f
                .debug_struct("Audio")
                .field("bytes", &bytes.len())
                .field("layout", layout)
                .finish(),
            Self::Transcript(t) => f
                .debug_struct("Transcript")
                .field("utterances", &t.utterances.len())
                .finish(),
        }
    }
}

/// Who took the call, with whom, when and how. Every field has a default:
/// the acting user's call, started now, outbound, uploaded, no client
/// details.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CallDetails {
    /// Reuse this id: a retry of a call analysed (or started) before
    /// resumes it instead of storing a second call.
    pub id: Option<CallId>,
    /// The rep (default: the acting user).
    pub rep_id: Option<UserId>,
    /// The rep's team.
    pub team_id: Option<TeamId>,
    /// The client contact (personal data; used to find and redact the
    /// client).
    pub client: ClientContact,
    /// When the call started (default: now).
    pub started_at: Option<DateTime<Utc>>,
    /// Who called whom (default outbound).
    pub direction: Option<CallDirection>,
    /// How it ended, commercially.
    pub outcome: CallOutcome,
    /// The kind of call (`discovery`, `demo`); default: the first rubric's
    /// first call type.
    pub call_type: Option<String>,
    /// How it reached CloseQ (default: uploaded).
    pub source: Option<CallSource>,
}

/// One call to analyse.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AnalyzeRequest {
    /// The recording or transcript.
    pub input: CallInput,
    /// The call's details.
    pub call: CallDetails,
    /// The rubrics to score against (at least one).
    pub rubrics: Vec<Rubric>,
    /// How recording consent was obtained, when it was; stored with the
    /// call. Without it, a consent record stored before is looked up.
    pub consent: Option<ConsentMethod>,
}

impl AnalyzeRequest {
    /// A transcript, scored against `rubric`.
    pub fn transcript(transcript: Transcript, rubric: Rubric) -> Self {
        Self::new(CallInput::Transcript(Box::new(transcript)), rubric)
    }

    /// A recording, scored against `rubric`.
    pub fn audio(bytes: impl Into<Bytes>, layout: ChannelLayout, rubric: Rubric) -> Self {
        Self::new(
            CallInput::Audio {
                bytes: bytes.into(),
                layout,
            },
            rubric,
        )
    }

    fn new(input: CallInput, rubric: Rubric) -> Self {
        Self {
            input,
            call: CallDetails::default(),
            rubrics: vec![rubric],
            consent: None,
        }
    }

    /// Builder: the call's details.
    #[must_use]
    pub fn with_call(mut self, call: CallDetails) -> Self {
        self.call = call;
        self
    }

    /// Builder: the client contact.
    #[must_use]
    pub fn with_client(mut self, client: ClientContact) -> Self {
        self.call.client = client;
        self
    }

    /// Builder: one more rubric.
    #[must_use]
    pub fn with_rubric(mut self, rubric: Rubric) -> Self {
        self.rubrics.push(rubric);
        self
    }

    /// Builder: consent obtained this way.
    #[must_use]
    pub fn with_consent(mut self, method: ConsentMethod) -> Self {
        self.consent = Some(method);
        self
    }

    /// Builder: the call's id (for retries).
    #[must_use]
    pub fn with_call_id(mut self, id: CallId) -> Self {
        self.call.id = Some(id);
        self
    }
}

/// What was analysed and stored.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Analysed {
    /// The stored call (status `analyzed`).
    pub call: Call,
    /// Its transcript, as stored.
    pub transcript: Transcript,
    /// Its conversation metrics.
    pub metrics: ConversationMetrics,
    /// One scorecard per rubric (AI suggestions until a person reviews
    /// them), including cards stored by an earlier run of the same call.
    pub scorecards: Vec<Scorecard>,
    /// Whether the recording was kept (partial retention may drop it).
    pub audio_kept: bool,
}

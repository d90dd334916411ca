//! [`AnalyzerBuilder`]: the stores, engines and settings of an
//! [`Analyzer`].

use std::sync::Arc;

use closeq_analysis::metrics::MetricsConfig;
use closeq_core::ports::{
    AudioStore, CallStore, PrivacyStore, Scorer, SpeechToText, WorkspaceStore,
};
use closeq_core::{Clock, Error, Result, SystemClock};
use rand::RngCore;

use super::Analyzer;
use crate::limits::InputLimits;
use crate::progress::{Progress, ProgressFn};

/// Builds an [`Analyzer`]. The call, workspace and privacy stores and at
/// least one scorer are required; everything else has a default.
#[derive(Default)]
pub struct AnalyzerBuilder {
    calls: Option<Arc<dyn CallStore>>,
    workspaces: Option<Arc<dyn WorkspaceStore>>,
    privacy: Option<Arc<dyn PrivacyStore>>,
    audio: Option<Arc<dyn AudioStore>>,
    stt: Option<Arc<dyn SpeechToText>>,
    scorers: Vec<Arc<dyn Scorer>>,
    metrics: Option<MetricsConfig>,
    redaction_key: Option<[u8; 32]>,
    clock: Option<Arc<dyn Clock>>,
    progress: Option<ProgressFn>,
    limits: Option<InputLimits>,
}

impl std::fmt::Debug for AnalyzerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnalyzerBuilder")
            .field("scorers", &self.scorers.len())
            .field("stt", &self.stt.is_some())
            .field("audio", &self.audio.is_some())
            .finish_non_exhaustive()
    }
}

impl AnalyzerBuilder {
    /// One object serving as call, workspace and privacy store (what
    /// `SqliteStore`, `PostgresStore` and `InMemoryStore` are); its writes
    /// of a call, transcript, scorecards and consent are one transaction.
    #[must_use]
    pub fn store<S>(mut self, store: Arc<S>) -> Self
    where
        S: CallStore + WorkspaceStore + PrivacyStore + 'static,
    {
        self.calls = Some(store.clone());
        self.workspaces = Some(store.clone());
        self.privacy = Some(store);
        self
    }

    /// The call store.
    #[must_use]
    pub fn call_store(mut self, s: Arc<dyn CallStore>) -> Self {
        self.calls = Some(s);
        self
    }

    /// The workspace store (settings, members).
    #[must_use]
    pub fn workspace_store(mut self, s: Arc<dyn WorkspaceStore>) -> Self {
        self.workspaces = Some(s);
        self
    }

    /// The privacy store (subject flags, consent).
    #[must_use]
    pub fn privacy_store(mut self, s: Arc<dyn PrivacyStore>) -> Self {
        self.privacy = Some(s);
        self
    }

    /// Where recordings are kept (without one, recordings are transcribed
    /// and not kept).
    #[must_use]
    pub fn audio_store(mut self, s: Arc<dyn AudioStore>) -> Self {
        self.audio = Some(s);
        self
    }

    /// Speech-to-text for recordings (not needed for transcripts).
    #[must_use]
    pub fn speech_to_text(mut self, stt: Arc<dyn SpeechToText>) -> Self {
        self.stt = Some(stt);
        self
    }

    /// A scorer; add several to score with each.
    #[must_use]
    pub fn scorer(mut self, scorer: Arc<dyn Scorer>) -> Self {
        self.scorers.push(scorer);
        self
    }

    /// Conversation-metrics settings (default: `MetricsConfig::default()`).
    #[must_use]
    pub fn metrics(mut self, cfg: MetricsConfig) -> Self {
        self.metrics = Some(cfg);
        self
    }

    /// The workspace's pseudonym key for redaction before remote
    /// processing (default: a random key per analyzer, so pseudonyms are
    /// stable only within it).
    #[must_use]
    pub fn redaction_key(mut self, key: [u8; 32]) -> Self {
        self.redaction_key = Some(key);
        self
    }

    /// The clock (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Receives a report at every stage, from any thread.
    #[must_use]
    pub fn on_progress(mut self, f: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Input limits (default: [`InputLimits::default`]).
    #[must_use]
    pub fn limits(mut self, limits: InputLimits) -> Self {
        self.limits = Some(limits);
        self
    }

    /// The analyzer; `InvalidInput` names what is missing.
    pub fn build(self) -> Result<Analyzer> {
        let missing =
            |what: &'static str| Error::invalid(what, "is required: set it on the builder");
        if self.scorers.is_empty() {
            return Err(Error::invalid("scorer", "add at least one scorer"));
        }
        let key = self.redaction_key.unwrap_or_else(|| {
            let mut k = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut k);
            k
        });
        Ok(Analyzer {
            calls: self.calls.ok_or_else(|| missing("call_store"))?,
            workspaces: self.workspaces.ok_or_else(|| missing("workspace_store"))?,
            privacy: self.privacy.ok_or_else(|| missing("privacy_store"))?,
            audio: self.audio,
            stt: self.stt,
            scorers: self.scorers,
            metrics: self.metrics.unwrap_or_default(),
            redaction_key: key,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            progress: self.progress,
            limits: self.limits.unwrap_or_default(),
        })
    }
}

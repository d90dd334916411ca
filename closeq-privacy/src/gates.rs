//! Compliance gates run before a step that processes personal data:
//! recording consent (and its withdrawal, GDPR Art. 7(3)), the
//! workspace's AI switch, restriction (GDPR Art. 18)
//! and objection (Art. 21) of the data subject, the sub-processor transfer
//! rules, and human review before scores are used in employment decisions
//! (EU AI Act Art. 14 and 26). Every refusal is a `Compliance` error naming
//! the rule.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use closeq_core::ports::{
    AudioAccessGate, AudioStore, CallStore, PrivacyStore, SignedMethod, SignedUrl, SubProcessor,
    WorkspaceStore,
};
use closeq_core::{
    Call, CallId, Error, Result, Scope, Scorecard, Subject, WorkspaceId, WorkspaceSettings,
};

pub use closeq_core::{ConsentMethod, ConsentRecord, SubjectFlags};

fn refuse(rule: &'static str, reason: &'static str) -> Error {
    Error::Compliance {
        rule: rule.into(),
        reason: reason.into(),
    }
}

/// May this call be analysed (transcribed, scored) at all?
pub fn check_analysis(
    settings: &WorkspaceSettings,
    call: CallId,
    consent: Option<&ConsentRecord>,
    subject: SubjectFlags,
) -> Result<()> {
    check_processing(subject)?;
    if !settings.ai_analysis_enabled {
        return Err(refuse(
            "workspace AI switch",
            "AI analysis is turned off for this workspace",
        ));
    }
    if subject.objected {
        return Err(refuse(
            "GDPR Art. 21",
            "the data subject objected to AI analysis",
        ));
    }
    let consent = consent.filter(|c| c.call_id == call);
    check_consent_in_force(consent)?;
    if settings.consent_required && consent.is_none() {
        return Err(refuse(
            "recording consent",
            "the workspace requires a consent record for this call and there is none",
        ));
    }
    Ok(())
}

/// Has the call's consent been withdrawn? From the moment of withdrawal
/// the call is processed no further: no analysis, no score export, no
/// signed audio URL (what was done before stays, Art. 7(3)).
pub fn check_consent_in_force(consent: Option<&ConsentRecord>) -> Result<()> {
    if consent.is_some_and(ConsentRecord::is_withdrawn) {
        return Err(refuse(
            "GDPR Art. 7(3)",
            "the recording consent for this call was withdrawn",
        ));
    }
    Ok(())
}

/// The stored consent of `call`, `None` when there is none or the call is
/// not stored yet.
pub async fn stored_consent(
    privacy: &dyn PrivacyStore,
    scope: &Scope,
    call: CallId,
) -> Result<Option<ConsentRecord>> {
    match privacy.get_consent(scope, call).await {
        Ok(c) => Ok(c),
        Err(Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The consent the analysis gate judges: a withdrawn stored record always
/// (a supplied one does not undo a withdrawal: a renewed consent is
/// stored explicitly with [`PrivacyStore::put_consent`]), else the
/// supplied one, else the stored one.
pub fn effective_consent<'a>(
    supplied: Option<&'a ConsentRecord>,
    stored: Option<&'a ConsentRecord>,
) -> Option<&'a ConsentRecord> {
    match stored {
        Some(s) if s.is_withdrawn() => Some(s),
        _ => supplied.or(stored),
    }
}

/// May a call be processed at all beyond storage (exports, signed URLs,
/// analysis)? Not while one of its subjects has restricted processing.
pub fn check_processing(subject: SubjectFlags) -> Result<()> {
    if subject.restricted {
        return Err(refuse(
            "GDPR Art. 18",
            "processing of this data subject's calls is restricted",
        ));
    }
    Ok(())
}

/// May data go to `adapter` under the workspace's transfer policy?
pub fn check_transfer(settings: &WorkspaceSettings, adapter: &dyn SubProcessor) -> Result<()> {
    crate::subprocessors::Register::check(&settings.transfer_policy, adapter)
}

/// May these scores be exported for use in employment decisions? Only
/// scorecards a human has reviewed (and not rejected) may.
pub fn check_employment_export(cards: &[Scorecard]) -> Result<()> {
    reviewed_for_employment(cards.iter())
}

fn reviewed_for_employment<'a>(cards: impl Iterator<Item = &'a Scorecard> + Clone) -> Result<()> {
    let unreviewed = cards.clone().filter(|c| !c.review().is_reviewed()).count();
    if unreviewed > 0 {
        return Err(Error::Compliance {
            rule: "EU AI Act Art. 14".into(),
            reason: format!("{unreviewed} scorecard(s) are unreviewed AI suggestions; a human must review them before they inform employment decisions").into(),
        });
    }
    if cards.into_iter().any(|c| c.effective_score().is_none()) {
        return Err(refuse(
            "EU AI Act Art. 14",
            "a reviewer rejected one of the scorecards",
        ));
    }
    Ok(())
}

/// The gates with the stored state looked up: the workspace's settings,
/// the standing restriction and objection flags of every subject on a
/// call (client e-mail, client phone, rep), and the call's consent record.
/// Every step that processes a call asks here first.
#[derive(Clone)]
pub struct ProcessingGate {
    workspaces: Arc<dyn WorkspaceStore>,
    privacy: Arc<dyn PrivacyStore>,
}

impl std::fmt::Debug for ProcessingGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessingGate").finish_non_exhaustive()
    }
}

impl ProcessingGate {
    /// A gate over these stores.
    pub fn new(workspaces: Arc<dyn WorkspaceStore>, privacy: Arc<dyn PrivacyStore>) -> Self {
        Self {
            workspaces,
            privacy,
        }
    }

    /// The union of the flags of the call's subjects.
    pub async fn flags(&self, scope: &Scope, call: &Call) -> Result<SubjectFlags> {
        self.privacy
            .subject_flags(scope, &Subject::of_call(call))
            .await
    }

    /// May `call` be transcribed and scored? `consent` is the record about
    /// to be stored with a new call; the stored record is looked up too,
    /// and a withdrawn one refuses whatever is supplied.
    pub async fn check_analysis(
        &self,
        scope: &Scope,
        call: &Call,
        consent: Option<&ConsentRecord>,
    ) -> Result<()> {
        let settings = self.workspaces.get_workspace(scope).await?.settings;
        let stored = stored_consent(self.privacy.as_ref(), scope, call.id).await?;
        let flags = self.flags(scope, call).await?;
        check_analysis(
            &settings,
            call.id,
            effective_consent(consent, stored.as_ref()),
            flags,
        )
    }

    /// May `call` be processed beyond storage (exported, its audio handed
    /// out)? Not while a subject's processing is restricted, nor once its
    /// consent was withdrawn.
    pub async fn check_processing(&self, scope: &Scope, call: &Call) -> Result<()> {
        check_processing(self.flags(scope, call).await?)?;
        let stored = stored_consent(self.privacy.as_ref(), scope, call.id).await?;
        check_consent_in_force(stored.as_ref())
    }

    /// A signed URL for the call's audio, refused while one of its
    /// subjects has restricted processing or after its consent was
    /// withdrawn, and `NotFound` when the call has
    /// no audio.
    pub async fn signed_audio_url(
        &self,
        scope: &Scope,
        audio: &dyn AudioStore,
        call: &Call,
        method: SignedMethod,
        ttl: Duration,
    ) -> Result<SignedUrl> {
        self.check_processing(scope, call).await?;
        let key = call
            .audio
            .as_ref()
            .map(|a| a.key.clone())
            .ok_or_else(|| Error::not_found("call audio", call.id))?;
        audio.signed_url(scope, call.id, &key, method, ttl).await
    }

    /// May these scores be exported for employment decisions? Every one
    /// must be human-reviewed, and no call's subject may have restricted
    /// processing.
    pub async fn check_score_export(
        &self,
        scope: &Scope,
        scored: &[(Call, Scorecard)],
    ) -> Result<()> {
        for (call, _) in scored {
            self.check_processing(scope, call).await?;
        }
        reviewed_for_employment(scored.iter().map(|(_, s)| s))
    }
}

/// Which scope the [`PrivacyAudioGate`] reads a workspace's records with
/// (`None`: the gate refuses every recording of that workspace).
pub type GateScopes = Arc<dyn Fn(WorkspaceId) -> Option<Scope> + Send + Sync>;

/// The privacy engine's answer to [`AudioAccessGate`]: a recording may be
/// served while its call exists and still holds it (an erased call is
/// deleted or anonymized, and retention drops the reference), no subject
/// of the call has restricted processing (GDPR Art. 18), and its consent
/// has not been withdrawn (Art. 7(3)). The
/// audio store asks it before every read and signed download URL, and
/// again when a signed URL is used.
///
/// A signed URL is used without a user, so the gate reads the call and
/// its subjects' flags with a scope of its own per workspace: `scopes`
/// gives one (e.g. the installation owner's), and reads nothing else.
#[derive(Clone)]
pub struct PrivacyAudioGate {
    calls: Arc<dyn CallStore>,
    privacy: Arc<dyn PrivacyStore>,
    scopes: GateScopes,
}

impl std::fmt::Debug for PrivacyAudioGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivacyAudioGate").finish_non_exhaustive()
    }
}

impl PrivacyAudioGate {
    /// A gate over these stores, reading with the scopes `scopes` gives.
    pub fn new(
        calls: Arc<dyn CallStore>,
        privacy: Arc<dyn PrivacyStore>,
        scopes: impl Fn(WorkspaceId) -> Option<Scope> + Send + Sync + 'static,
    ) -> Self {
        Self {
            calls,
            privacy,
            scopes: Arc::new(scopes),
        }
    }

    /// A gate for one workspace, reading with `scope` (one that sees every
    /// call: an owner's or admin's).
    pub fn for_workspace(
        calls: Arc<dyn CallStore>,
        privacy: Arc<dyn PrivacyStore>,
        scope: Scope,
    ) -> Self {
        Self::new(calls, privacy, move |ws| {
            (ws == scope.workspace_id).then(|| scope.clone())
        })
    }
}

#[async_trait]
impl AudioAccessGate for PrivacyAudioGate {
    async fn check_serve(&self, workspace: WorkspaceId, call: CallId, key: &str) -> Result<()> {
        let gone = || Error::not_found("call audio", call);
        let scope = (self.scopes)(workspace).ok_or_else(gone)?;
        let c = match self.calls.get_call(&scope, call).await {
            Ok(c) => c,
            Err(Error::NotFound { .. }) => return Err(gone()),
            Err(e) => return Err(e),
        };
        if c.audio.as_ref().is_none_or(|a| a.key != key) {
            return Err(gone());
        }
        let flags = self
            .privacy
            .subject_flags(&scope, &Subject::of_call(&c))
            .await?;
        check_processing(flags)?;
        let consent = stored_consent(self.privacy.as_ref(), &scope, call).await?;
        check_consent_in_force(consent.as_ref())
    }
}

//! [`RequestFulfilment`]: a data-subject request fulfilled end to end —
//! recorded, started, carried out, completed — in one call, so every front
//! end (the CLI, the HTTP API, an embedder's own) fulfils requests the same
//! way. A refusal by a rule (an erasure under legal hold) closes the
//! request as rejected with the reason; a failure leaves it `in_progress`
//! for a retry.

use std::sync::Arc;

use closeq_core::ports::{AudioStore, CallStore, PrivacyStore, WorkspaceStore};
use closeq_core::{
    Clock, ConsentRecord, DataSubjectRequestId, Error, RequestKind, Result, Scope, Subject,
    SubjectRequest,
};

use crate::erasure::{Eraser, ErasureMode, ErasureReport};
use crate::export::{ExportSources, SubjectExport, export_subject};
use crate::rectification::{ContactCorrection, rectify_contact};
use crate::request::SubjectRequests;

/// How an erasure request ended.
#[derive(Debug)]
pub enum ErasureOutcome {
    /// Carried out: the completed request and what was erased.
    Erased(SubjectRequest, ErasureReport),
    /// Refused by a rule (`Forbidden`, `Compliance`: a legal hold, the only
    /// owner): the request closed as rejected with the reason — tell the
    /// subject its `complaint_notice` — and nothing changed.
    Refused(SubjectRequest, Error),
}

/// Fulfils data-subject requests over one installation's stores.
#[derive(Debug, Clone)]
pub struct RequestFulfilment {
    requests: SubjectRequests,
    calls: Arc<dyn CallStore>,
    reads: Arc<dyn CallStore>,
    workspaces: Arc<dyn WorkspaceStore>,
    privacy: Arc<dyn PrivacyStore>,
    audio: Arc<dyn AudioStore>,
    clock: Arc<dyn Clock>,
}

impl RequestFulfilment {
    /// Over these stores: `calls` is CloseQ's own processing (erasure,
    /// rectification; not access-logged), `audio` the recordings erasure
    /// deletes. Exports read through `calls` too unless
    /// [`with_export_reads`](Self::with_export_reads) names an
    /// access-logged store.
    pub fn new(
        requests: SubjectRequests,
        calls: Arc<dyn CallStore>,
        workspaces: Arc<dyn WorkspaceStore>,
        privacy: Arc<dyn PrivacyStore>,
        audio: Arc<dyn AudioStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            requests,
            reads: calls.clone(),
            calls,
            workspaces,
            privacy,
            audio,
            clock,
        }
    }

    /// Builder: the store exports read through (an access-logged one, so
    /// the export is in the access log).
    #[must_use]
    pub fn with_export_reads(mut self, reads: Arc<dyn CallStore>) -> Self {
        self.reads = reads;
        self
    }

    /// The request records.
    pub fn requests(&self) -> &SubjectRequests {
        &self.requests
    }

    async fn begin(
        &self,
        scope: &Scope,
        subject: &Subject,
        kind: RequestKind,
    ) -> Result<DataSubjectRequestId> {
        let r = self.requests.receive(scope, subject.clone(), kind).await?;
        self.requests.start(scope, r.id).await?;
        Ok(r.id)
    }

    /// Access (Art. 15, and portability, Art. 20): everything held about
    /// `subject`. The request stays `in_progress` until the caller has
    /// handed the export over and calls [`answered`](Self::answered): an
    /// export that could not be delivered is not recorded as answered.
    pub async fn export(
        &self,
        scope: &Scope,
        subject: &Subject,
    ) -> Result<(DataSubjectRequestId, SubjectExport)> {
        let id = self.begin(scope, subject, RequestKind::Access).await?;
        let export = export_subject(
            ExportSources {
                calls: self.reads.as_ref(),
                workspaces: self.workspaces.as_ref(),
                privacy: self.privacy.as_ref(),
            },
            scope,
            subject,
        )
        .await?;
        Ok((id, export))
    }

    /// Records request `id` as answered (completed).
    pub async fn answered(
        &self,
        scope: &Scope,
        id: DataSubjectRequestId,
    ) -> Result<SubjectRequest> {
        self.requests.complete(scope, id).await
    }

    /// Erasure (Art. 17); see [`ErasureOutcome`] for a refusal. After an
    /// erasure earlier requests about the subject keep only the kind of
    /// identifier.
    pub async fn erase(
        &self,
        scope: &Scope,
        subject: &Subject,
        mode: ErasureMode,
    ) -> Result<ErasureOutcome> {
        let id = self.begin(scope, subject, RequestKind::Erasure).await?;
        let eraser = Eraser::new(
            self.calls.clone(),
            self.workspaces.clone(),
            self.privacy.clone(),
            self.audio.clone(),
            self.clock.clone(),
        );
        let report = match eraser.erase(scope, subject, mode).await {
            Ok(r) => r,
            Err(e @ (Error::Forbidden { .. } | Error::Compliance { .. })) => {
                let rejected = self.requests.reject(scope, id, &e.to_string()).await?;
                return Ok(ErasureOutcome::Refused(rejected, e));
            }
            Err(e) => return Err(e),
        };
        let done = self.requests.complete(scope, id).await?;
        self.requests.forget_subject(scope, subject).await?;
        self.calls.checkpoint_erasure().await?;
        Ok(ErasureOutcome::Erased(done, report))
    }

    /// Rectification (Art. 16) of a client contact's details on every call
    /// they were on: the request and how many calls changed.
    pub async fn rectify_contact(
        &self,
        scope: &Scope,
        subject: &Subject,
        correction: &ContactCorrection,
    ) -> Result<(SubjectRequest, u32)> {
        let id = self
            .begin(scope, subject, RequestKind::Rectification)
            .await?;
        let n = rectify_contact(
            self.calls.as_ref(),
            self.workspaces.as_ref(),
            self.clock.as_ref(),
            scope,
            subject,
            correction,
        )
        .await?;
        let done = self.requests.complete(scope, id).await?;
        Ok((done, n))
    }

    /// Restriction (Art. 18), in force at once; `legal_claims` also holds
    /// the subject's calls back from retention.
    pub async fn restrict(
        &self,
        scope: &Scope,
        subject: Subject,
        legal_claims: bool,
    ) -> Result<SubjectRequest> {
        if legal_claims {
            self.requests
                .restrict_for_legal_claims(scope, subject)
                .await
        } else {
            self.requests
                .apply_standing(scope, subject, RequestKind::Restriction)
                .await
        }
    }

    /// Objection (Art. 21) to AI analysis, in force at once.
    pub async fn object(&self, scope: &Scope, subject: Subject) -> Result<SubjectRequest> {
        self.requests
            .apply_standing(scope, subject, RequestKind::Objection)
            .await
    }

    /// Withdrawal of a call's recording consent (Art. 7(3)) by `subject`,
    /// who must be on the call.
    pub async fn withdraw_consent(
        &self,
        scope: &Scope,
        subject: Subject,
        call: closeq_core::CallId,
    ) -> Result<(SubjectRequest, ConsentRecord)> {
        let call = self.calls.get_call(scope, call).await?;
        self.requests.withdraw_consent(scope, subject, &call).await
    }
}

//! Data-subject requests, stored: the lifecycle (received → in progress →
//! completed or rejected, due one month after receipt, extensions with
//! reasons; the types live in `closeq_core`) driven against a
//! [`PrivacyStore`], and the standing requests — restriction (Art. 18) and
//! objection (Art. 21) — recorded as subject flags that every
//! [`ProcessingGate`](crate::gates::ProcessingGate) consults.
//!
//! Every step leaves an audit record naming the request and its kind,
//! never the subject.

use std::sync::Arc;

use closeq_core::ports::{PrivacyStore, WorkspaceStore};
use closeq_core::{AuditRecord, Clock, DataSubjectRequestId, Result, Scope, Subject, SubjectFlags};

pub use closeq_core::{Extension, MAX_EXTENSION_DAYS, RequestKind, RequestState, SubjectRequest};

/// Stored data-subject requests of the scope's workspace.
#[derive(Clone)]
pub struct SubjectRequests {
    privacy: Arc<dyn PrivacyStore>,
    workspaces: Arc<dyn WorkspaceStore>,
    clock: Arc<dyn Clock>,
    answer_days: u32,
}

impl std::fmt::Debug for SubjectRequests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubjectRequests")
            .field("answer_days", &self.answer_days)
            .finish_non_exhaustive()
    }
}

impl SubjectRequests {
    /// Requests over these stores, due 30 days after receipt.
    pub fn new(
        privacy: Arc<dyn PrivacyStore>,
        workspaces: Arc<dyn WorkspaceStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            privacy,
            workspaces,
            clock,
            answer_days: 30,
        }
    }

    /// Answers are due `days` after receipt (1 to 31).
    pub fn with_answer_days(mut self, days: u32) -> Self {
        self.answer_days = days;
        self
    }

    /// Appends an audit record: an action, an opaque target, codes only.
    async fn audit(
        &self,
        scope: &Scope,
        action: &str,
        target: Option<String>,
        details: serde_json::Value,
    ) -> Result<()> {
        self.workspaces
            .append_audit(
                scope,
                &AuditRecord {
                    seq: 0,
                    workspace_id: scope.workspace_id,
                    at: self.clock.now(),
                    actor: Some(scope.user_id),
                    action: action.into(),
                    target,
                    details,
                },
            )
            .await
            .map(|_| ())
    }

    async fn audit_request(
        &self,
        scope: &Scope,
        action: &str,
        request: &SubjectRequest,
    ) -> Result<()> {
        let details = serde_json::json!({
            "kind": request.kind.name(),
            "state": request.state.name(),
        });
        self.audit(scope, action, Some(request.id.to_string()), details)
            .await
    }

    /// Logs a request received now.
    pub async fn receive(
        &self,
        scope: &Scope,
        subject: Subject,
        kind: RequestKind,
    ) -> Result<SubjectRequest> {
        let request = SubjectRequest::received(
            scope.workspace_id,
            subject,
            kind,
            self.clock.now(),
            self.answer_days,
        )?;
        self.privacy.insert_request(scope, &request).await?;
        self.audit_request(scope, "dsr.received", &request).await?;
        Ok(request)
    }

    async fn change(
        &self,
        scope: &Scope,
        id: DataSubjectRequestId,
        action: &str,
        f: impl FnOnce(&mut SubjectRequest) -> Result<()>,
    ) -> Result<SubjectRequest> {
        let mut request = self.privacy.get_request(scope, id).await?;
        f(&mut request)?;
        self.privacy.update_request(scope, &request).await?;
        self.audit_request(scope, action, &request).await?;
        Ok(request)
    }

    /// Someone starts working on it.
    pub async fn start(&self, scope: &Scope, id: DataSubjectRequestId) -> Result<SubjectRequest> {
        self.change(scope, id, "dsr.started", SubjectRequest::start)
            .await
    }

    /// Answered now (a completed erasure request forgets its subject).
    pub async fn complete(
        &self,
        scope: &Scope,
        id: DataSubjectRequestId,
    ) -> Result<SubjectRequest> {
        let now = self.clock.now();
        self.change(scope, id, "dsr.completed", |r| r.complete(now))
            .await
    }

    /// Refused now, with the reason told to the subject.
    pub async fn reject(
        &self,
        scope: &Scope,
        id: DataSubjectRequestId,
        reason: &str,
    ) -> Result<SubjectRequest> {
        let now = self.clock.now();
        self.change(scope, id, "dsr.rejected", |r| r.reject(now, reason))
            .await
    }

    /// Extends the deadline by `days`, with a reason.
    pub async fn extend(
        &self,
        scope: &Scope,
        id: DataSubjectRequestId,
        days: u32,
        reason: &str,
    ) -> Result<SubjectRequest> {
        let now = self.clock.now();
        self.change(scope, id, "dsr.extended", |r| r.extend(days, reason, now))
            .await
    }

    /// The workspace's requests, newest first.
    pub async fn list(&self, scope: &Scope, limit: u32) -> Result<Vec<SubjectRequest>> {
        self.privacy.list_requests(scope, limit).await
    }

    /// Records and carries out a standing request: restriction sets the
    /// subject's `restricted` flag, objection the `objected` one. The
    /// request is logged, applied and completed; other flags are kept.
    pub async fn apply_standing(
        &self,
        scope: &Scope,
        subject: Subject,
        kind: RequestKind,
    ) -> Result<SubjectRequest> {
        let mut flags = self
            .privacy
            .subject_flags(scope, std::slice::from_ref(&subject))
            .await?;
        match kind {
            RequestKind::Restriction => flags.restricted = true,
            RequestKind::Objection => flags.objected = true,
            _ => {
                return Err(closeq_core::Error::invalid(
                    "kind",
                    "only restriction and objection are standing requests",
                ));
            }
        }
        let request = self.receive(scope, subject.clone(), kind).await?;
        self.start(scope, request.id).await?;
        self.privacy
            .set_subject_flags(scope, &subject, flags)
            .await?;
        self.complete(scope, request.id).await
    }

    /// After an erasure: drops `subject` from every stored request about
    /// them (same e-mail address, user, or phone number — the same last
    /// nine digits), keeping the requests, with the kind of identifier, as
    /// proof they were answered. Returns how many requests changed.
    pub async fn forget_subject(&self, scope: &Scope, subject: &Subject) -> Result<u32> {
        let mut changed = 0;
        for mut r in self.privacy.list_requests(scope, 1000).await? {
            if r.subject.as_ref().is_some_and(|s| same_subject(s, subject)) {
                r.subject = None;
                self.privacy.update_request(scope, &r).await?;
                changed += 1;
            }
        }
        Ok(changed)
    }

    /// Lifts a restriction (Art. 18(3): the subject must be told before).
    /// Returns the flags now in force.
    pub async fn lift_restriction(&self, scope: &Scope, subject: &Subject) -> Result<SubjectFlags> {
        let mut flags = self
            .privacy
            .subject_flags(scope, std::slice::from_ref(subject))
            .await?;
        flags.restricted = false;
        self.privacy
            .set_subject_flags(scope, subject, flags)
            .await?;
        self.audit(
            scope,
            "dsr.restriction_lifted",
            None,
            serde_json::json!({ "subject_kind": subject.kind().name() }),
        )
        .await?;
        Ok(flags)
    }
}

/// Whether two identifiers name the same person.
fn same_subject(a: &Subject, b: &Subject) -> bool {
    match (a, b) {
        (Subject::Email(x), Subject::Email(y)) => x.normalized() == y.normalized(),
        (Subject::User(x), Subject::User(y)) => x == y,
        (Subject::Phone(x), Subject::Phone(y)) => {
            use crate::redaction::{phone_digits, same_phone_digits};
            same_phone_digits(&phone_digits(x.as_str()), &phone_digits(y.as_str()))
        }
        _ => false,
    }
}

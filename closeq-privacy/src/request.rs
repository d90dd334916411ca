//! Data-subject requests, stored: the lifecycle (received → in progress →
//! completed or rejected, due one month after receipt, extensions with
//! reasons; the types live in `closeq_core`) driven against a
//! [`PrivacyStore`], and the standing requests — restriction (Art. 18) and
//! objection (Art. 21) — recorded as subject flags that every
//! [`ProcessingGate`](crate::gates::ProcessingGate) consults.
//!
//! Consent withdrawal (Art. 7(3)) and the lifting of an objection are
//! requests of the subject too: recorded, carried out and completed at
//! once, so the record says who asked and when.
//!
//! Every rejection and extension carries the reason and the configured
//! supervisory authority ([`SubjectRequests::with_supervisory_authority`];
//! PUODO by default).
//!
//! Every step leaves an audit record naming the request and its kind,
//! never the subject.

use std::sync::Arc;

use closeq_core::ports::{PrivacyStore, WorkspaceStore};
use closeq_core::{
    AuditRecord, CallId, Clock, ConsentRecord, DataSubjectRequestId, Error, Result, Scope, Subject,
    SubjectFlags,
};

pub use closeq_core::{
    Extension, MAX_EXTENSION_DAYS, RequestKind, RequestState, SubjectRequest, SupervisoryAuthority,
};

/// Stored data-subject requests of the scope's workspace.
#[derive(Clone)]
pub struct SubjectRequests {
    pub(crate) privacy: Arc<dyn PrivacyStore>,
    workspaces: Arc<dyn WorkspaceStore>,
    pub(crate) clock: Arc<dyn Clock>,
    answer_days: u32,
    authority: SupervisoryAuthority,
}

impl std::fmt::Debug for SubjectRequests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubjectRequests")
            .field("answer_days", &self.answer_days)
            .field("authority", &self.authority.name)
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
            authority: SupervisoryAuthority::default(),
        }
    }

    /// Rejections and extensions name `authority` as where the subject may
    /// complain (PUODO by default).
    pub fn with_supervisory_authority(mut self, authority: SupervisoryAuthority) -> Self {
        self.authority = authority;
        self
    }

    /// The authority rejections and extensions name.
    pub fn supervisory_authority(&self) -> &SupervisoryAuthority {
        &self.authority
    }

    /// Answers are due `days` after receipt (1 to 31).
    pub fn with_answer_days(mut self, days: u32) -> Self {
        self.answer_days = days;
        self
    }

    /// Appends an audit record: an action, an opaque target, codes only.
    pub(crate) async fn audit(
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

    /// Refused now, with the reason told to the subject and the authority
    /// they may complain to.
    pub async fn reject(
        &self,
        scope: &Scope,
        id: DataSubjectRequestId,
        reason: &str,
    ) -> Result<SubjectRequest> {
        let now = self.clock.now();
        self.change(scope, id, "dsr.rejected", |r| {
            r.reject(now, reason, &self.authority)
        })
        .await
    }

    /// Extends the deadline by `days`, with a reason and the authority the
    /// subject may complain to.
    pub async fn extend(
        &self,
        scope: &Scope,
        id: DataSubjectRequestId,
        days: u32,
        reason: &str,
    ) -> Result<SubjectRequest> {
        let now = self.clock.now();
        self.change(scope, id, "dsr.extended", |r| {
            r.extend(days, reason, now, &self.authority)
        })
        .await
    }

    /// One request of the workspace (`NotFound` for another's).
    pub async fn get(&self, scope: &Scope, id: DataSubjectRequestId) -> Result<SubjectRequest> {
        self.privacy.get_request(scope, id).await
    }

    /// Every request of the workspace, newest first (keyset pages: none is
    /// missed however many were filed).
    pub async fn all(&self, scope: &Scope) -> Result<Vec<SubjectRequest>> {
        all_requests(self.privacy.as_ref(), scope).await
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
        self.set_standing(scope, subject, kind, |flags| match kind {
            RequestKind::Restriction => {
                flags.restricted = true;
                Ok(())
            }
            RequestKind::Objection => {
                flags.objected = true;
                Ok(())
            }
            _ => Err(Error::invalid(
                "kind",
                "only restriction and objection are standing requests",
            )),
        })
        .await
    }

    /// A restriction for the establishment, exercise or defence of legal
    /// claims (Art. 18(1)(c)): as [`apply_standing`](Self::apply_standing)
    /// with a restriction, and the retention sweep also keeps the
    /// subject's calls and audio until the restriction is lifted.
    pub async fn restrict_for_legal_claims(
        &self,
        scope: &Scope,
        subject: Subject,
    ) -> Result<SubjectRequest> {
        self.set_standing(scope, subject, RequestKind::Restriction, |flags| {
            flags.restricted = true;
            flags.legal_hold = true;
            Ok(())
        })
        .await
    }

    /// The subject lifts their own objection (Art. 21): recorded as a
    /// request of kind `objection_lift` (who asked, when), carried out and
    /// completed. A restriction stays in force. `NotFound` when the
    /// subject has no objection standing.
    pub async fn lift_objection(&self, scope: &Scope, subject: Subject) -> Result<SubjectRequest> {
        may_run_requests(scope)?;
        let flags = self
            .privacy
            .subject_flags(scope, std::slice::from_ref(&subject))
            .await?;
        if !flags.objected {
            return Err(Error::not_found("objection", subject.kind().name()));
        }
        self.set_standing(scope, subject, RequestKind::ObjectionLift, |flags| {
            flags.objected = false;
            Ok(())
        })
        .await
    }

    /// Withdrawal of a call's recording consent (Art. 7(3)), by the subject
    /// who gave it: recorded as a request of kind `consent_withdrawal`,
    /// the consent record marked withdrawn now, the request completed.
    /// From then on the call is not analysed, its scores are not exported
    /// and no signed URL is issued for its audio; what was done before is
    /// kept (ask for erasure to delete it). `subject` must be one of the
    /// call's subjects; a call without a consent record is `NotFound`
    /// (there is no consent to withdraw: an objection is the right then).
    pub async fn withdraw_consent(
        &self,
        scope: &Scope,
        subject: Subject,
        call: &closeq_core::Call,
    ) -> Result<(SubjectRequest, ConsentRecord)> {
        if !Subject::of_call(call)
            .iter()
            .any(|s| same_subject(s, &subject))
        {
            return Err(Error::invalid(
                "subject",
                "is not a person on this call (its rep or client)",
            ));
        }
        may_run_requests(scope)?;
        let mut consent = self.consent_of(scope, call.id).await?;
        let now = self.clock.now();
        let request = self
            .receive(scope, subject, RequestKind::ConsentWithdrawal)
            .await?;
        self.start(scope, request.id).await?;
        consent.withdraw(now);
        self.privacy.put_consent(scope, &consent).await?;
        self.audit(
            scope,
            "consent.withdrawn",
            Some(call.id.to_string()),
            serde_json::json!({ "request": request.id.to_string() }),
        )
        .await?;
        let request = self.complete(scope, request.id).await?;
        Ok((request, consent))
    }

    async fn consent_of(&self, scope: &Scope, call: CallId) -> Result<ConsentRecord> {
        self.privacy
            .get_consent(scope, call)
            .await?
            .ok_or_else(|| Error::not_found("consent record", call))
    }

    /// Logs a standing request, changes the subject's flags with `f`,
    /// completes the request.
    async fn set_standing(
        &self,
        scope: &Scope,
        subject: Subject,
        kind: RequestKind,
        f: impl FnOnce(&mut SubjectFlags) -> Result<()>,
    ) -> Result<SubjectRequest> {
        let mut flags = self
            .privacy
            .subject_flags(scope, std::slice::from_ref(&subject))
            .await?;
        f(&mut flags)?;
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
        for mut r in all_requests(self.privacy.as_ref(), scope).await? {
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
        flags.legal_hold = false;
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

/// Only owners and admins record requests; asked before anything is read,
/// so nobody else learns whether a record exists.
fn may_run_requests(scope: &Scope) -> Result<()> {
    closeq_core::access::check(
        scope,
        closeq_core::Action::RunDataSubjectRequests,
        scope.relation_to_workspace(scope.workspace_id),
    )
}

/// Whether two identifiers name the same person.
pub(crate) fn same_subject(a: &Subject, b: &Subject) -> bool {
    match (a, b) {
        (Subject::Email(x), Subject::Email(y)) => x.normalized() == y.normalized(),
        (Subject::User(x), Subject::User(y)) => x == y,
        (Subject::Phone(x), Subject::Phone(y)) => {
            use crate::redaction::{phone_digits, same_phone_digits};
            // Two numbers written with a country code are the same only
            // when every digit matches (+48 600 100 200 is not
            // +44 7600 100200); a national form matches on the last nine.
            let international =
                |p: &closeq_core::PhoneNumber| p.as_str().trim_start().starts_with('+');
            let (dx, dy) = (phone_digits(x.as_str()), phone_digits(y.as_str()));
            if international(x) && international(y) {
                dx == dy
            } else {
                same_phone_digits(&dx, &dy)
            }
        }
        _ => false,
    }
}

/// Every request of the workspace, newest id first, read in keyset pages
/// of 1,000 ([`PrivacyStore::list_requests_before`]).
pub async fn all_requests(
    privacy: &dyn PrivacyStore,
    scope: &Scope,
) -> Result<Vec<SubjectRequest>> {
    let mut out: Vec<SubjectRequest> = Vec::new();
    loop {
        let before = out.last().map(|r| r.id);
        let page = privacy.list_requests_before(scope, before, 1_000).await?;
        let done = page.len() < 1_000;
        out.extend(page);
        if done {
            return Ok(out);
        }
    }
}

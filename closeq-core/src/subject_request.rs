//! The data-subject request lifecycle (GDPR Art. 12(3)): received →
//! in progress → completed or rejected, due one month after receipt
//! (30 days by default, configurable), extendable by at most two further
//! months in total, each extension recorded with its reason.
//!
//! A request names its subject while it is open. Once an erasure request
//! completes, the identifier is dropped from the request
//! ([`SubjectRequest::subject`] becomes `None`; the kind stays), so the
//! record proving the request was answered holds nothing that re-identifies
//! the person.
//!
//! Every answer that refuses or delays — a rejection, an extension —
//! carries the reason and the supervisory authority the subject may
//! complain to (Art. 12(4)); [`SupervisoryAuthority::default`] is the
//! Polish one the privacy policy names (PUODO).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::{DataSubjectRequestId, WorkspaceId};
use crate::subject::{Subject, SubjectKind};

/// What the subject asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Art. 15.
    Access,
    /// Art. 20.
    Portability,
    /// Art. 16.
    Rectification,
    /// Art. 17.
    Erasure,
    /// Art. 18.
    Restriction,
    /// Art. 21.
    Objection,
    /// Art. 7(3): the recording consent of a call is withdrawn.
    ConsentWithdrawal,
    /// The subject lifts their own objection (Art. 21).
    ObjectionLift,
}

impl RequestKind {
    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Portability => "portability",
            Self::Rectification => "rectification",
            Self::Erasure => "erasure",
            Self::Restriction => "restriction",
            Self::Objection => "objection",
            Self::ConsentWithdrawal => "consent_withdrawal",
            Self::ObjectionLift => "objection_lift",
        }
    }
}

/// Where a request stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RequestState {
    /// Logged, nobody working on it yet.
    Received,
    /// Being handled.
    InProgress,
    /// Done.
    Completed {
        /// When.
        at: DateTime<Utc>,
    },
    /// Refused (for example: identity not verified, manifestly unfounded).
    Rejected {
        /// When.
        at: DateTime<Utc>,
        /// Why, as told to the subject (no personal data).
        reason: String,
        /// Where the subject may complain (Art. 12(4)); `None` only in
        /// records written before it was kept.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        complaint: Option<SupervisoryAuthority>,
    },
}

impl RequestState {
    /// The snake_case name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::InProgress => "in_progress",
            Self::Completed { .. } => "completed",
            Self::Rejected { .. } => "rejected",
        }
    }
}

/// One recorded extension of the deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Extension {
    /// By how many days.
    pub days: u32,
    /// Why (Art. 12(3): complexity and number of requests).
    pub reason: String,
    /// When it was decided.
    pub at: DateTime<Utc>,
    /// Where the subject may complain (Art. 12(4)); `None` only in records
    /// written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complaint: Option<SupervisoryAuthority>,
}

/// A data-protection supervisory authority a subject may lodge a
/// complaint with (GDPR Art. 77), as told in every refusal or extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SupervisoryAuthority {
    /// Its name.
    pub name: String,
    /// Its postal address.
    pub address: String,
    /// Its website.
    pub website: String,
}

impl SupervisoryAuthority {
    /// The Polish authority (Prezes Urzędu Ochrony Danych Osobowych).
    pub fn puodo() -> Self {
        Self {
            name: "Prezes Urzędu Ochrony Danych Osobowych (PUODO)".into(),
            address: "ul. Stawki 2, 00-193 Warszawa, Poland".into(),
            website: "https://uodo.gov.pl".into(),
        }
    }

    /// An authority; every field must be non-blank.
    pub fn new(name: &str, address: &str, website: &str) -> Result<Self> {
        for (field, v) in [("name", name), ("address", address), ("website", website)] {
            if v.trim().is_empty() {
                return Err(Error::invalid(field, "the supervisory authority needs it"));
            }
        }
        Ok(Self {
            name: name.trim().into(),
            address: address.trim().into(),
            website: website.trim().into(),
        })
    }

    /// The notice in words, as told to the subject.
    pub fn notice(&self) -> String {
        format!(
            "You have the right to lodge a complaint with the supervisory authority: {}, {}, {}.",
            self.name, self.address, self.website
        )
    }
}

impl Default for SupervisoryAuthority {
    /// [`SupervisoryAuthority::puodo`], the authority the policy names.
    fn default() -> Self {
        Self::puodo()
    }
}

/// The most an answer may be extended, in days (two further months).
pub const MAX_EXTENSION_DAYS: u32 = 61;

/// A data-subject request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SubjectRequest {
    /// Its id.
    pub id: DataSubjectRequestId,
    /// The workspace (the controller) it was made to.
    pub workspace_id: WorkspaceId,
    /// Who it is about; `None` once a completed erasure dropped it.
    pub subject: Option<Subject>,
    /// How the subject was identified (kept after the identifier is dropped).
    pub subject_kind: SubjectKind,
    /// What is asked.
    pub kind: RequestKind,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// Days to answer before extensions.
    pub answer_days: u32,
    /// Extensions, oldest first.
    pub extensions: Vec<Extension>,
    /// Where it stands.
    pub state: RequestState,
}

impl SubjectRequest {
    /// A request received at `at`, due `answer_days` later (30 by default;
    /// 1 to 31 allowed, since the law's limit is one month).
    pub fn received(
        workspace_id: WorkspaceId,
        subject: Subject,
        kind: RequestKind,
        at: DateTime<Utc>,
        answer_days: u32,
    ) -> Result<Self> {
        if !(1..=31).contains(&answer_days) {
            return Err(Error::invalid(
                "answer_days",
                "must be 1 to 31 (GDPR Art. 12(3): one month)",
            ));
        }
        Ok(Self {
            id: DataSubjectRequestId::new(),
            workspace_id,
            subject_kind: subject.kind(),
            subject: Some(subject),
            kind,
            received_at: at,
            answer_days,
            extensions: Vec::new(),
            state: RequestState::Received,
        })
    }

    /// The current deadline, extensions included.
    pub fn due_at(&self) -> DateTime<Utc> {
        let days: i64 = i64::from(self.answer_days)
            + self
                .extensions
                .iter()
                .map(|e| i64::from(e.days))
                .sum::<i64>();
        self.received_at + Duration::days(days)
    }

    /// Whether the request is still open after its deadline.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.is_open() && now > self.due_at()
    }

    /// Received or in progress.
    pub fn is_open(&self) -> bool {
        matches!(
            self.state,
            RequestState::Received | RequestState::InProgress
        )
    }

    fn transition(&mut self, to: RequestState) -> Result<()> {
        let ok = matches!(
            (&self.state, &to),
            (RequestState::Received, RequestState::InProgress)
                | (
                    RequestState::Received | RequestState::InProgress,
                    RequestState::Completed { .. } | RequestState::Rejected { .. }
                )
        );
        if !ok {
            return Err(Error::InvalidTransition {
                resource: "subject request",
                from: self.state.name().into(),
                to: to.name().into(),
            });
        }
        self.state = to;
        Ok(())
    }

    /// Someone starts working on it.
    pub fn start(&mut self) -> Result<()> {
        self.transition(RequestState::InProgress)
    }

    /// Answered. A completed erasure request forgets its subject.
    pub fn complete(&mut self, at: DateTime<Utc>) -> Result<()> {
        self.transition(RequestState::Completed { at })?;
        if self.kind == RequestKind::Erasure {
            self.subject = None;
        }
        Ok(())
    }

    /// Refused, with the reason and the authority the subject may
    /// complain to.
    pub fn reject(
        &mut self,
        at: DateTime<Utc>,
        reason: &str,
        authority: &SupervisoryAuthority,
    ) -> Result<()> {
        if reason.trim().is_empty() {
            return Err(Error::invalid("reason", "a rejection needs a reason"));
        }
        self.transition(RequestState::Rejected {
            at,
            reason: reason.trim().to_owned(),
            complaint: Some(authority.clone()),
        })
    }

    /// What the subject is told with the latest refusal or extension: the
    /// reason and where to complain. `None` while the request was neither
    /// rejected nor extended.
    pub fn complaint_notice(&self) -> Option<String> {
        let (reason, authority) = match &self.state {
            RequestState::Rejected {
                reason, complaint, ..
            } => (reason, complaint.as_ref()),
            _ => {
                let e = self.extensions.last()?;
                (&e.reason, e.complaint.as_ref())
            }
        };
        let authority = authority.cloned().unwrap_or_default();
        Some(format!("Reason: {reason}. {}", authority.notice()))
    }

    /// Extends the deadline, telling the subject where they may complain.
    /// Only open requests, only before the current
    /// deadline has passed, with a reason, and at most
    /// [`MAX_EXTENSION_DAYS`] in total.
    pub fn extend(
        &mut self,
        days: u32,
        reason: &str,
        at: DateTime<Utc>,
        authority: &SupervisoryAuthority,
    ) -> Result<()> {
        if !self.is_open() {
            return Err(Error::InvalidTransition {
                resource: "subject request",
                from: self.state.name().into(),
                to: "extended".into(),
            });
        }
        if reason.trim().is_empty() {
            return Err(Error::invalid("reason", "an extension needs a reason"));
        }
        if days == 0 {
            return Err(Error::invalid("days", "must be at least 1"));
        }
        if at > self.due_at() {
            return Err(Error::Compliance {
                rule: "GDPR Art. 12(3)".into(),
                reason: "the deadline has passed; it can no longer be extended".into(),
            });
        }
        let used: u32 = self.extensions.iter().map(|e| e.days).sum();
        if used.saturating_add(days) > MAX_EXTENSION_DAYS {
            return Err(Error::Compliance {
                rule: "GDPR Art. 12(3)".into(),
                reason: "extensions may total at most two further months".into(),
            });
        }
        self.extensions.push(Extension {
            days,
            reason: reason.trim().to_owned(),
            at,
            complaint: Some(authority.clone()),
        });
        Ok(())
    }
}

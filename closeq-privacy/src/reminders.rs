//! Reminders of data-subject requests coming due: answers are owed within
//! a month (GDPR Art. 12(3)), and a request nobody looks at is the way
//! that promise is broken. [`SubjectRequests::remind`] finds the open
//! requests due within a window or already overdue and records a
//! reminder for each in the audit log (the request's id, kind and due
//! date; never the subject). The worker runs it as a recurring job
//! (`closeq_pipeline::ScheduledWork`), so nobody has to remember to look.

use chrono::{DateTime, Duration, Utc};
use closeq_core::{DataSubjectRequestId, Error, Result, Scope};
use serde::{Deserialize, Serialize};

use crate::request::{RequestKind, SubjectRequests, all_requests};

/// The audit action of a reminder.
pub const REMINDER_ACTION: &str = "dsr.reminder";

/// One request that needs an answer soon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    /// The request.
    pub request: DataSubjectRequestId,
    /// What it asks.
    pub kind: RequestKind,
    /// When the answer is due (extensions included).
    pub due_at: DateTime<Utc>,
    /// Whether the deadline has passed.
    pub overdue: bool,
}

/// What a reminder run found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderReport {
    /// Open requests (received or in progress).
    pub open: u32,
    /// The open requests due within the window or overdue, soonest due
    /// first: each got an audit record.
    pub reminders: Vec<Reminder>,
}

impl ReminderReport {
    /// How many reminders are for overdue requests.
    pub fn overdue(&self) -> usize {
        self.reminders.iter().filter(|r| r.overdue).count()
    }
}

impl SubjectRequests {
    /// Records a reminder (audit action [`REMINDER_ACTION`]) for every open
    /// request of the scope's workspace due within `within` from now, or
    /// overdue. Needs `run_data_subject_requests`. Errors: `InvalidInput`
    /// naming `within` when it is negative or over 31 days.
    pub async fn remind(&self, scope: &Scope, within: Duration) -> Result<ReminderReport> {
        if within < Duration::zero() || within > Duration::days(31) {
            return Err(Error::invalid("within", "must be 0 to 31 days"));
        }
        // The store checks `run_data_subject_requests`.
        let now = self.clock.now();
        let all = all_requests(self.privacy.as_ref(), scope).await?;
        let open: Vec<_> = all.into_iter().filter(|r| r.is_open()).collect();
        let mut reminders: Vec<Reminder> = open
            .iter()
            .filter(|r| r.due_at() <= now + within)
            .map(|r| Reminder {
                request: r.id,
                kind: r.kind,
                due_at: r.due_at(),
                overdue: r.is_overdue(now),
            })
            .collect();
        reminders.sort_by_key(|r| (r.due_at, r.request));
        for r in &reminders {
            let details = serde_json::json!({
                "kind": r.kind.name(),
                "due_at": r.due_at.to_rfc3339(),
                "overdue": r.overdue,
            });
            self.audit(scope, REMINDER_ACTION, Some(r.request.to_string()), details)
                .await?;
        }
        Ok(ReminderReport {
            open: u32::try_from(open.len()).unwrap_or(u32::MAX),
            reminders,
        })
    }
}

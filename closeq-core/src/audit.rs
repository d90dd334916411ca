//! Audit records: who did what, when — without personal data.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::{UserId, WorkspaceId};
use crate::scope::Scope;

/// One audited event. `action` and `target` are codes and opaque ids;
/// `details` holds counts and ids only (validated: no `@`, no long digit
/// runs), never names, e-mail addresses, phone numbers or text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditRecord {
    /// Monotonic id within the store (assigned on append; 0 before).
    #[serde(default)]
    pub seq: u64,
    /// The workspace.
    pub workspace_id: WorkspaceId,
    /// When.
    pub at: DateTime<Utc>,
    /// Who: the acting user; for work CloseQ does on its own (sweeps,
    /// jobs), the member whose scope ran it. Always set on append
    /// ([`check_author`](Self::check_author)); `None` only in records
    /// written before that rule.
    pub actor: Option<UserId>,
    /// What (`retention.sweep`, `dsr.erase`, `scorecard.review`, ...).
    pub action: String,
    /// On what (an opaque id), if anything.
    #[serde(default)]
    pub target: Option<String>,
    /// Counts and ids.
    #[serde(default)]
    pub details: serde_json::Value,
}

impl AuditRecord {
    /// Checks that `scope` may append this record: the record is of the
    /// scope's workspace, and its actor is the scope's user. Work CloseQ
    /// does on its own (a retention sweep, a job) is recorded in the name
    /// of the member whose scope ran it: nobody writes into another
    /// workspace's log, in another person's name, or in nobody's.
    ///
    /// Errors: [`Error::Forbidden`] (action `append_audit`).
    pub fn check_author(&self, scope: &Scope) -> Result<()> {
        let refuse = |reason: &'static str| Error::Forbidden {
            action: "append_audit".into(),
            reason: reason.into(),
        };
        if self.workspace_id != scope.workspace_id {
            return Err(refuse("the record belongs to another workspace"));
        }
        match self.actor {
            Some(actor) if actor == scope.user_id => Ok(()),
            Some(_) => Err(refuse("the actor must be the acting user")),
            None => Err(refuse(
                "the actor must be the acting user (work CloseQ does on its own is recorded in the name of the member whose scope ran it)",
            )),
        }
    }

    /// Checks the record holds no obvious personal data.
    pub fn validate(&self) -> Result<()> {
        let ok_code = |s: &str| {
            !s.is_empty()
                && s.len() <= 64
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        };
        if !ok_code(&self.action) {
            return Err(Error::invalid(
                "action",
                "must be a code like retention.sweep",
            ));
        }
        let text = format!("{} {}", self.target.as_deref().unwrap_or(""), self.details);
        let mut run = 0;
        for c in text.chars() {
            run = if c.is_ascii_digit() { run + 1 } else { 0 };
            if c == '@' || run > 12 {
                return Err(Error::invalid(
                    "details",
                    "must not hold e-mail addresses or phone numbers",
                ));
            }
        }
        Ok(())
    }
}

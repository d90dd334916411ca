//! Erasure (GDPR Art. 17) of one data subject: the audio objects of every
//! call they were on are deleted, and each call is either deleted outright
//! or irreversibly anonymized (client contact, rep comments and transcript
//! removed; scorecards keep verdicts and points but lose every quote and
//! free text). One audit record without personal data is left behind.
//!
//! Not covered yet: redacting the subject's identifiers where they are
//! *mentioned* inside other subjects' calls (transcripts, notes, comments).

use std::sync::Arc;

use closeq_core::ports::{AudioStore, CallStore, WorkspaceStore};
use closeq_core::{AuditRecord, Clock, Error, Result, Scope, Subject};
use serde::Serialize;

/// What happens to the rows of the subject's calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErasureMode {
    /// Delete the calls with everything attached.
    Delete,
    /// Keep the call statistics and scorecard points for coaching and
    /// reporting, without any of the subject's personal data.
    #[default]
    Anonymize,
}

/// What an erasure did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ErasureReport {
    /// Calls deleted or anonymized.
    pub calls: u32,
    /// Audio objects deleted.
    pub audio_objects: u32,
}

/// Runs erasure requests against the stores.
pub struct Eraser {
    calls: Arc<dyn CallStore>,
    workspaces: Arc<dyn WorkspaceStore>,
    audio: Arc<dyn AudioStore>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Eraser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Eraser").finish_non_exhaustive()
    }
}

impl Eraser {
    /// An eraser over these stores.
    pub fn new(
        calls: Arc<dyn CallStore>,
        workspaces: Arc<dyn WorkspaceStore>,
        audio: Arc<dyn AudioStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            calls,
            workspaces,
            audio,
            clock,
        }
    }

    /// Erases `subject`. Idempotent: a second run finds nothing (the subject
    /// index entries go with the first) and reports zero. Safe to re-run
    /// after a failure part-way; audio is deleted before the row that
    /// points at it, so no object is ever orphaned without a retry path.
    pub async fn erase(
        &self,
        scope: &Scope,
        subject: &Subject,
        mode: ErasureMode,
    ) -> Result<ErasureReport> {
        let ids = self.calls.find_calls_by_subject(scope, subject).await?;
        let mut report = ErasureReport::default();
        for id in ids {
            let call = match self.calls.get_call(scope, id).await {
                Ok(c) => c,
                Err(Error::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            if let Some(a) = &call.audio {
                match self.audio.delete(scope, &a.key).await {
                    Ok(()) | Err(Error::NotFound { .. }) => report.audio_objects += 1,
                    Err(e) => return Err(e),
                }
                if mode == ErasureMode::Anonymize {
                    let mut updated = call.clone();
                    updated.audio = None;
                    self.calls.update_call(scope, &updated).await?;
                }
            }
            match mode {
                ErasureMode::Delete => self.calls.delete_call(scope, id).await?,
                ErasureMode::Anonymize => self.calls.anonymize_call(scope, id).await?,
            }
            report.calls += 1;
        }
        self.workspaces
            .append_audit(&AuditRecord {
                seq: 0,
                workspace_id: scope.workspace_id,
                at: self.clock.now(),
                actor: Some(scope.user_id),
                action: "dsr.erase".into(),
                target: None,
                details: serde_json::to_value(&report).unwrap_or_default(),
            })
            .await?;
        Ok(report)
    }
}

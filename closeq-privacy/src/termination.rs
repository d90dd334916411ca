//! The termination purge: a workspace and everything in it deleted — by
//! schedule, the privacy policy's window (90 days) after its subscription
//! ends, or at once at its owner's explicit request.
//!
//! Order: every call's recording, every other audio object of the
//! workspace, then [`WorkspaceStore::delete_workspace`] (one transaction:
//! calls, transcripts, scorecards, reviews, rollups, members, teams,
//! invitations, keys, integrations, privacy records, audit log), then the
//! database's log checkpoint so no deleted page survives in the SQLite WAL.
//! What stays is a [`PurgeReceipt`] with a fresh id (no identifier of the
//! workspace). CloseQ keeps no billing records; an embedder that does
//! keeps them in its own store, outside this purge.
//!
//! A restriction for legal claims (GDPR Art. 18(1)(c)) on any subject of
//! the workspace holds the purge back, scheduled or immediate, until it is
//! lifted: checked here before any audio goes, and again by every store
//! inside the deleting transaction.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use closeq_core::ports::{AudioStore, CallStore, PrivacyStore, StartKey, WorkspaceStore};
use closeq_core::{
    Action, AuditRecord, Clock, Error, PurgeReason, PurgeReceipt, Result, Scope, Subject,
    SubscriptionState, access,
};

use crate::retention::RetentionRules;

/// Calls read per page while purging.
const PAGE: u32 = 500;

/// Runs the termination purge of the scope's workspace (owners only).
#[derive(Debug, Clone)]
pub struct WorkspacePurge {
    calls: Arc<dyn CallStore>,
    workspaces: Arc<dyn WorkspaceStore>,
    privacy: Arc<dyn PrivacyStore>,
    audio: Arc<dyn AudioStore>,
    clock: Arc<dyn Clock>,
}

/// Where a scheduled purge stands ([`WorkspacePurge::purge_if_due`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PurgeStatus {
    /// The subscription runs: nothing is scheduled.
    NotScheduled,
    /// Scheduled for this moment, not reached yet.
    Due(DateTime<Utc>),
    /// Purged now.
    Purged(PurgeReceipt),
}

impl WorkspacePurge {
    /// A purge over the stores.
    pub fn new(
        calls: Arc<dyn CallStore>,
        workspaces: Arc<dyn WorkspaceStore>,
        privacy: Arc<dyn PrivacyStore>,
        audio: Arc<dyn AudioStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            calls,
            workspaces,
            privacy,
            audio,
            clock,
        }
    }

    /// Ends the subscription now and schedules the purge per the policy
    /// (the termination window after now); returns when it is due. Until
    /// then retention removes the calls on its own schedule (a day after
    /// the subscription ends by default), and the owner may still export.
    /// Recorded in the audit log. Ending an already-ended subscription
    /// keeps its first end.
    pub async fn schedule(&self, scope: &Scope) -> Result<DateTime<Utc>> {
        owner_only(scope)?;
        let now = self.clock.now();
        let mut settings = self.workspaces.get_workspace(scope).await?.settings;
        let ended = match settings.subscription {
            SubscriptionState::Terminated { at } => at,
            SubscriptionState::Active => {
                settings.subscription = SubscriptionState::Terminated { at: now };
                self.workspaces.update_settings(scope, &settings).await?;
                now
            }
        };
        let due = purge_due(ended, &settings)?;
        let record = AuditRecord {
            seq: 0,
            workspace_id: scope.workspace_id,
            at: now,
            actor: Some(scope.user_id),
            action: "workspace.termination_scheduled".into(),
            target: None,
            details: serde_json::json!({ "purge_due": due.to_rfc3339() }),
        };
        self.workspaces.append_audit(scope, &record).await?;
        Ok(due)
    }

    /// Purges the workspace if its scheduled moment has come.
    pub async fn purge_if_due(&self, scope: &Scope) -> Result<PurgeStatus> {
        owner_only(scope)?;
        let settings = self.workspaces.get_workspace(scope).await?.settings;
        let SubscriptionState::Terminated { at } = settings.subscription else {
            return Ok(PurgeStatus::NotScheduled);
        };
        let due = purge_due(at, &settings)?;
        if self.clock.now() < due {
            return Ok(PurgeStatus::Due(due));
        }
        self.purge(scope, PurgeReason::Termination)
            .await
            .map(PurgeStatus::Purged)
    }

    /// Purges the workspace now, at its owner's explicit request.
    pub async fn purge_now(&self, scope: &Scope) -> Result<PurgeReceipt> {
        owner_only(scope)?;
        self.purge(scope, PurgeReason::OwnerRequest).await
    }

    async fn purge(&self, scope: &Scope, reason: PurgeReason) -> Result<PurgeReceipt> {
        // Every call once: refuse while one is held for legal claims,
        // else delete its recording.
        let mut keys: Vec<StartKey> = Vec::new();
        let mut after: Option<StartKey> = None;
        loop {
            let page = self
                .calls
                .calls_started_before(scope, DateTime::<Utc>::MAX_UTC, after.as_ref(), PAGE)
                .await?;
            let Some(last) = page.last().copied() else {
                break;
            };
            keys.extend(page);
            after = Some(last);
        }
        let mut with_audio = Vec::new();
        for key in &keys {
            let call = match self.calls.get_call(scope, key.id).await {
                Ok(c) => c,
                Err(Error::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            let flags = self
                .privacy
                .subject_flags(scope, &Subject::of_call(&call))
                .await?;
            if flags.holds_retention() {
                return Err(Error::Compliance {
                    rule: "GDPR Art. 18(1)(c)".into(),
                    reason: "a call of this workspace is held for legal claims; lift the restriction before the workspace can be deleted".into(),
                });
            }
            if let Some(a) = call.audio {
                with_audio.push((call.id, a.key));
            }
        }
        let mut audio_objects = 0u64;
        for (call, key) in &with_audio {
            self.audio.delete(scope, *call, key).await?;
            audio_objects += 1;
        }
        // Objects no call holds (staging copies, failed first writes).
        audio_objects += self.delete_unreferenced(scope).await?;
        let receipt = PurgeReceipt::new(
            reason,
            self.clock.now(),
            u64::try_from(keys.len()).unwrap_or(u64::MAX),
            audio_objects,
        );
        self.workspaces.delete_workspace(scope, &receipt).await?;
        // An upload that raced the purge left an object no call will ever
        // hold: gone now too (best effort; the workspace is gone).
        let _ = self.delete_unreferenced(scope).await;
        // Flush the deleted pages out of the SQLite WAL. The purge has
        // committed, so a busy log does not fail it: SQLite checkpoints on
        // its own soon after.
        for _ in 0..3 {
            match self.calls.checkpoint_erasure().await {
                Err(e) if e.is_retryable() => continue,
                _ => break,
            }
        }
        Ok(receipt)
    }

    /// Deletes every audio object of the workspace no call holds, of any
    /// age (the backend compares its own modification times); how many.
    async fn delete_unreferenced(&self, scope: &Scope) -> Result<u64> {
        let mut deleted = 0u64;
        loop {
            let left = self
                .audio
                .unreferenced(scope, DateTime::<Utc>::MAX_UTC, 1_000)
                .await?;
            let mut deleted_any = false;
            for o in &left {
                if self.audio.delete_unreferenced(scope, o).await? {
                    deleted += 1;
                    deleted_any = true;
                }
            }
            if !deleted_any {
                return Ok(deleted);
            }
        }
    }
}

/// When the purge of a subscription that ended at `ended` is due.
fn purge_due(
    ended: DateTime<Utc>,
    settings: &closeq_core::WorkspaceSettings,
) -> Result<DateTime<Utc>> {
    ended
        .checked_add_signed(RetentionRules::defaults(settings).termination_purge)
        .ok_or_else(|| Error::invalid("subscription", "ends too far in the future"))
}

fn owner_only(scope: &Scope) -> Result<()> {
    access::check(
        scope,
        Action::DeleteWorkspace,
        scope.relation_to_workspace(scope.workspace_id),
    )
}

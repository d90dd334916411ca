//! Retention: typed rules (data category → period from an anchor, and an
//! action), the policy's defaults, and a sweeper that plans (dry run) and
//! executes in batches with a checkpoint — idempotent, safe with two
//! sweepers at once, resumable after a crash, never early. With partial
//! retention ([`WorkspaceSettings::recording_sample`]) the sweep also
//! removes the recordings of analysed calls outside the seeded share kept.
//! A call one of whose subjects is restricted for legal claims (GDPR
//! Art. 18(1)(c), [`SubjectFlags::holds_retention`](closeq_core::SubjectFlags::holds_retention))
//! is held back, call and audio, until the restriction is lifted; an
//! ordinary restriction holds nothing back.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use closeq_core::ports::{
    AudioStore, CallStore, PrivacyStore, RetentionDecision, RetentionItem, RetentionPolicy,
    StartKey, WorkspaceStore,
};
use closeq_core::{
    Action, AuditRecord, CallStatus, Clock, DataCategory, Error, Relation, Result, RetentionPeriod,
    Scope, Subject, SubscriptionState, WorkspaceSettings, access,
};
use serde::{Deserialize, Serialize};

/// What a period counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// The call's start (audio).
    CallTime,
    /// The end of the subscription (transcripts, AI analysis, accounts).
    SubscriptionEnd,
}

/// What happens when a period ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionAction {
    /// Delete the item.
    Delete,
    /// Irreversibly anonymize it.
    Anonymize,
}

/// One rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionRule {
    /// The period (none: kept while the anchor has not happened).
    pub period: Option<RetentionPeriod>,
    /// What it counts from.
    pub anchor: Anchor,
    /// What happens at the end.
    pub action: RetentionAction,
}

/// The rules for every category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionRules {
    /// Rules by category.
    pub rules: BTreeMap<DataCategory, RetentionRule>,
    /// After termination, everything but billing goes within this long.
    pub termination_purge: Duration,
}

impl std::fmt::Display for RetentionRule {
    /// The rule in words, for people (auditors, DPOs): "deleted 90 days
    /// after the subscription ends".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let done = match self.action {
            RetentionAction::Delete => "deleted",
            RetentionAction::Anonymize => "anonymized",
        };
        let from = match self.anchor {
            Anchor::CallTime => "it was recorded",
            Anchor::SubscriptionEnd => "the subscription ends",
        };
        match self.period {
            Some(p) => write!(f, "{done} {} after {from}", period_in_words(p)),
            None => write!(f, "kept while the subscription runs"),
        }
    }
}

fn period_in_words(p: RetentionPeriod) -> String {
    let (n, unit) = match p {
        RetentionPeriod::Days(n) => (n, "day"),
        RetentionPeriod::Months(n) if n % 12 == 0 => (n / 12, "year"),
        RetentionPeriod::Months(n) => (n, "month"),
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

impl RetentionRules {
    /// The rule for `category` in words, with the termination purge that
    /// bounds it: "deleted 12 months after it was recorded; in any case
    /// within 90 days after the subscription ends".
    pub fn describe(&self, category: DataCategory) -> String {
        let rule = self
            .rules
            .get(&category)
            .map_or_else(|| "no rule".to_owned(), ToString::to_string);
        if category == DataCategory::Billing {
            return rule;
        }
        let days = self.termination_purge.num_days();
        format!("{rule}; in any case within {days} days after the subscription ends")
    }

    /// The privacy policy's defaults for a workspace: call audio per the
    /// workspace setting (12 months by default) from the call; transcripts
    /// and AI analysis until the subscription ends; account data 90 days
    /// after it; technical logs 90 days; billing 10 years; after
    /// termination, everything but billing purged within 90 days.
    pub fn defaults(settings: &WorkspaceSettings) -> Self {
        use DataCategory::*;
        let rule = |period, anchor, action| RetentionRule {
            period,
            anchor,
            action,
        };
        let rules = BTreeMap::from([
            (
                CallAudio,
                rule(
                    Some(settings.audio_retention),
                    Anchor::CallTime,
                    RetentionAction::Delete,
                ),
            ),
            (
                CallMetadata,
                rule(
                    Some(RetentionPeriod::Days(1)),
                    Anchor::SubscriptionEnd,
                    RetentionAction::Delete,
                ),
            ),
            (
                ClientContact,
                rule(
                    Some(RetentionPeriod::Days(1)),
                    Anchor::SubscriptionEnd,
                    RetentionAction::Delete,
                ),
            ),
            (
                Transcript,
                rule(
                    Some(RetentionPeriod::Days(1)),
                    Anchor::SubscriptionEnd,
                    RetentionAction::Delete,
                ),
            ),
            (
                AiAnalysis,
                rule(
                    Some(RetentionPeriod::Days(1)),
                    Anchor::SubscriptionEnd,
                    RetentionAction::Delete,
                ),
            ),
            (
                Account,
                rule(
                    Some(RetentionPeriod::Days(90)),
                    Anchor::SubscriptionEnd,
                    RetentionAction::Delete,
                ),
            ),
            (
                TechnicalLogs,
                rule(
                    Some(RetentionPeriod::Days(90)),
                    Anchor::CallTime,
                    RetentionAction::Delete,
                ),
            ),
            (
                Billing,
                rule(
                    Some(RetentionPeriod::Months(120)),
                    Anchor::CallTime,
                    RetentionAction::Delete,
                ),
            ),
        ]);
        Self {
            rules,
            termination_purge: Duration::days(90),
        }
    }

    /// Sets the billing retention (5 to 10 years).
    pub fn with_billing_years(mut self, years: u32) -> Result<Self> {
        if !(5..=10).contains(&years) {
            return Err(Error::invalid("billing_years", "must be between 5 and 10"));
        }
        if let Some(r) = self.rules.get_mut(&DataCategory::Billing) {
            r.period = Some(RetentionPeriod::Months(years * 12));
        }
        Ok(self)
    }

    /// The first instant an item may go, or `None` while it must be kept
    /// indefinitely (its anchor has not happened).
    pub fn deadline(&self, item: &RetentionItem) -> Option<DateTime<Utc>> {
        let rule = self.rules.get(&item.category)?;
        let by_rule = match rule.anchor {
            Anchor::CallTime => rule.period.and_then(|p| p.after(item.created_at)),
            Anchor::SubscriptionEnd => match item.subscription {
                SubscriptionState::Active => None,
                SubscriptionState::Terminated { at } => rule.period.and_then(|p| p.after(at)),
            },
        };
        let by_termination = match (item.category, item.subscription) {
            (DataCategory::Billing, _) | (_, SubscriptionState::Active) => None,
            (_, SubscriptionState::Terminated { at }) => Some(at + self.termination_purge),
        };
        match (by_rule, by_termination) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

impl RetentionPolicy for RetentionRules {
    fn decide(&self, item: &RetentionItem, now: DateTime<Utc>) -> RetentionDecision {
        match self.deadline(item) {
            Some(d) if now >= d => match self.rules.get(&item.category).map(|r| r.action) {
                Some(RetentionAction::Anonymize) => RetentionDecision::Anonymize,
                _ => RetentionDecision::Delete,
            },
            until => RetentionDecision::Keep { until },
        }
    }
}

/// What a sweep would do (or did): counts per category.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepReport {
    /// Items removed (or that would be) per category.
    pub counts: BTreeMap<DataCategory, u64>,
    /// Calls examined.
    pub examined: u64,
    /// Where the next run continues (the start-order key of the last call
    /// examined; valid after that call is deleted).
    pub checkpoint: Option<StartKey>,
    /// Whether the sweep reached the end.
    pub complete: bool,
    /// Audio objects no stored call held, removed (or that would be) once
    /// the sweep reached the end ([`AudioStore::unreferenced`]).
    #[serde(default)]
    pub unreferenced_audio: u64,
    /// Calls that were due (whole or their audio) but held back by a
    /// restriction for legal claims.
    #[serde(default)]
    pub held: u64,
    /// Audit records past the technical-log rule (90 days), removed (or
    /// that would be) once the sweep reached the end, by owners and admins.
    #[serde(default)]
    pub audit_records: u64,
    /// Access-log records past the technical-log rule (90 days), removed
    /// (or that would be) once the sweep reached the end, by owners and
    /// admins.
    #[serde(default)]
    pub access_records: u64,
}

/// Calls read per keyset page of a sweep.
const SWEEP_PAGE: u32 = 1_000;

/// How long an audio object no stored call holds is left alone: the
/// pipeline stores a recording before its call, so a young one may be a
/// call in flight. Compared with the audio backend's own modification
/// times.
pub const UNREFERENCED_AUDIO_GRACE: chrono::Duration = chrono::Duration::hours(1);

/// The technical-log rule's cutoff at `now` (records made then or earlier
/// are due), if the rule has a period.
fn technical_log_cutoff(rules: &RetentionRules, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    rules
        .rules
        .get(&DataCategory::TechnicalLogs)
        .and_then(|r| r.period)
        .and_then(|p| p.cutoff(now))
}

/// Runs retention for one workspace.
#[derive(Debug, Clone)]
pub struct Sweeper {
    calls: Arc<dyn CallStore>,
    workspaces: Arc<dyn WorkspaceStore>,
    privacy: Arc<dyn PrivacyStore>,
    audio: Arc<dyn AudioStore>,
    clock: Arc<dyn Clock>,
}

impl Sweeper {
    /// A sweeper over the stores (the privacy store for legal holds).
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

    /// Whether a restriction for legal claims holds `call` back.
    async fn held(&self, scope: &Scope, call: &closeq_core::Call) -> Result<bool> {
        let flags = self
            .privacy
            .subject_flags(scope, &Subject::of_call(call))
            .await?;
        Ok(flags.holds_retention())
    }

    /// What a sweep would remove now, changing nothing.
    pub async fn plan(&self, scope: &Scope) -> Result<SweepReport> {
        self.sweep(scope, None, u32::MAX, false).await
    }

    /// Removes what is due, examining at most `batch` calls after
    /// `checkpoint`; call again with the returned checkpoint until
    /// `complete`. Safe to repeat and to run twice at once: every removal
    /// is idempotent. Leaves an audit record (counts only).
    pub async fn run(
        &self,
        scope: &Scope,
        checkpoint: Option<StartKey>,
        batch: u32,
    ) -> Result<SweepReport> {
        self.sweep(scope, checkpoint, batch, true).await
    }

    /// [`run`](Self::run) in batches of `batch` calls until the sweep is
    /// complete; the batches' counts added up.
    pub async fn run_to_end(&self, scope: &Scope, batch: u32) -> Result<SweepReport> {
        let mut total = SweepReport::default();
        let mut checkpoint = None;
        loop {
            let r = self.run(scope, checkpoint, batch.max(1)).await?;
            total.examined = total.examined.saturating_add(r.examined);
            for (c, n) in r.counts {
                let sum = total.counts.entry(c).or_default();
                *sum = sum.saturating_add(n);
            }
            total.unreferenced_audio = total
                .unreferenced_audio
                .saturating_add(r.unreferenced_audio);
            total.held = total.held.saturating_add(r.held);
            total.audit_records = total.audit_records.saturating_add(r.audit_records);
            total.access_records = total.access_records.saturating_add(r.access_records);
            checkpoint = r.checkpoint;
            if r.complete {
                total.complete = true;
                total.checkpoint = checkpoint;
                return Ok(total);
            }
        }
    }

    /// Appends a record of a sweep's work (counts only) in the name of
    /// the scope that ran it.
    async fn audit(
        &self,
        scope: &Scope,
        at: DateTime<Utc>,
        action: &str,
        details: serde_json::Value,
    ) -> Result<()> {
        let record = AuditRecord {
            seq: 0,
            workspace_id: scope.workspace_id,
            at,
            actor: Some(scope.user_id),
            action: action.into(),
            target: None,
            details,
        };
        self.workspaces.append_audit(scope, &record).await?;
        Ok(())
    }

    /// The technical-log rule over the audit log: records made at the
    /// rule's cutoff or earlier go (or, planning, are counted, over the
    /// oldest 10,000 records).
    async fn expire_logs(
        &self,
        scope: &Scope,
        rules: &RetentionRules,
        now: DateTime<Utc>,
        execute: bool,
    ) -> Result<u64> {
        let Some(cutoff) = technical_log_cutoff(rules, now) else {
            return Ok(0);
        };
        if !execute {
            let mut due = 0u64;
            let mut after = 0u64;
            for _ in 0..10 {
                let page = self.workspaces.list_audit(scope, after, 1_000).await?;
                let Some(last) = page.last() else { break };
                after = last.seq;
                due += page.iter().filter(|r| r.at <= cutoff).count() as u64;
            }
            return Ok(due);
        }
        // The store records the expiry itself, in the same transaction.
        self.workspaces.expire_audit(scope, cutoff).await
    }

    /// The technical-log rule over the access log: records made at the
    /// rule's cutoff or earlier go (or, planning, are counted, over the
    /// oldest 100,000 records).
    async fn expire_access(
        &self,
        scope: &Scope,
        rules: &RetentionRules,
        now: DateTime<Utc>,
        execute: bool,
    ) -> Result<u64> {
        let Some(cutoff) = technical_log_cutoff(rules, now) else {
            return Ok(0);
        };
        if execute {
            // The store records the expiry itself, in the same transaction.
            return self.workspaces.expire_access(scope, cutoff).await;
        }
        // The same floor the store applies.
        let cutoff = cutoff.min(now - closeq_core::ports::AUDIT_MINIMUM_AGE);
        let mut query = closeq_core::AccessQuery::first(1_000);
        let mut due = 0u64;
        for _ in 0..100 {
            let page = self.workspaces.list_access(scope, &query).await?;
            let Some(last) = page.last() else { break };
            query.after_seq = last.seq;
            // Batched writers append slightly out of time order: every
            // page is counted, not only up to the first young record.
            due += page.iter().filter(|r| r.at <= cutoff).count() as u64;
        }
        Ok(due)
    }

    /// Deletes a call's recording, then the call's reference to it.
    async fn drop_audio(&self, scope: &Scope, mut call: closeq_core::Call) -> Result<()> {
        if let Some(a) = call.audio.take() {
            self.audio.delete(scope, call.id, &a.key).await?;
            match self.calls.update_call(scope, &call).await {
                Ok(()) | Err(Error::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn sweep(
        &self,
        scope: &Scope,
        checkpoint: Option<StartKey>,
        batch: u32,
        execute: bool,
    ) -> Result<SweepReport> {
        let now = self.clock.now();
        let ws = self.workspaces.get_workspace(scope).await?;
        let rules = RetentionRules::defaults(&ws.settings);
        let mut report = SweepReport::default();
        let item = |category, created_at| RetentionItem {
            workspace_id: ws.id,
            category,
            call_id: None,
            created_at,
            subscription: ws.settings.subscription,
        };
        // Calls started before now, in (start, id) order, read in keyset
        // pages after the checkpoint: each page costs its own size, never
        // the whole workspace's.
        let mut remaining = batch;
        let mut page: Vec<StartKey> = Vec::new();
        loop {
            let after = report.checkpoint.or(checkpoint);
            if remaining == 0 {
                // The batch is done: complete only if nothing follows.
                let next = self
                    .calls
                    .calls_started_before(scope, now, after.as_ref(), 1)
                    .await?;
                report.complete = next.is_empty();
                break;
            }
            if page.is_empty() {
                page = self
                    .calls
                    .calls_started_before(scope, now, after.as_ref(), remaining.min(SWEEP_PAGE))
                    .await?;
                if page.is_empty() {
                    report.complete = true;
                    break;
                }
                page.reverse();
            }
            let Some(key) = page.pop() else { break };
            remaining -= 1;
            report.examined += 1;
            report.checkpoint = Some(key);
            let id = &key.id;
            let call = match self.calls.get_call(scope, *id).await {
                Ok(c) => c,
                Err(Error::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            let whole_call = matches!(
                rules.decide(&item(DataCategory::CallMetadata, call.started_at), now),
                RetentionDecision::Delete | RetentionDecision::Anonymize
            );
            if whole_call {
                if self.held(scope, &call).await? {
                    report.held += 1;
                    continue;
                }
                *report.counts.entry(DataCategory::CallMetadata).or_default() += 1;
                if call.audio.is_some() {
                    *report.counts.entry(DataCategory::CallAudio).or_default() += 1;
                }
                if execute {
                    if let Some(a) = &call.audio {
                        self.audio.delete(scope, call.id, &a.key).await?;
                    }
                    self.calls.delete_call(scope, call.id).await?;
                }
                continue;
            }
            if call.audio.is_none() {
                continue;
            }
            // Due by age, or (partial retention) an analysed call whose
            // recording is not among the seeded share kept.
            let due = matches!(
                rules.decide(&item(DataCategory::CallAudio, call.started_at), now),
                RetentionDecision::Delete
            );
            let sampled_out = *call.status() == CallStatus::Analyzed
                && ws
                    .settings
                    .recording_sample
                    .is_some_and(|sample| !sample.keeps(call.id));
            if due || sampled_out {
                if self.held(scope, &call).await? {
                    report.held += 1;
                    continue;
                }
                *report.counts.entry(DataCategory::CallAudio).or_default() += 1;
                if execute {
                    self.drop_audio(scope, call).await?;
                }
            }
        }
        if execute {
            let mut counts = serde_json::to_value(&report.counts).unwrap_or_default();
            if report.held > 0
                && let Some(o) = counts.as_object_mut()
            {
                o.insert("held_for_legal_claims".into(), report.held.into());
            }
            self.audit(scope, now, "retention.sweep", counts).await?;
        }
        // Objects no call holds (a failed first write, an upload for a call
        // id that was never stored, an object beside a recording, a staging
        // copy an interrupted upload left): one batch per completed sweep,
        // by owners and admins (who see every call), after the calls' own
        // audit record, with one of its own.
        let sees_all = access::permits(scope.role, Action::DeleteCall, Relation::OtherInWorkspace);
        if report.complete && sees_all {
            report.audit_records = self.expire_logs(scope, &rules, now, execute).await?;
            report.access_records = self.expire_access(scope, &rules, now, execute).await?;
            let before = now - UNREFERENCED_AUDIO_GRACE;
            for o in self
                .audio
                .unreferenced(scope, before, batch.min(10_000))
                .await?
            {
                // Counted when planned, or when still unreferenced at the
                // moment of deletion.
                if !execute || self.audio.delete_unreferenced(scope, &o).await? {
                    report.unreferenced_audio += 1;
                }
            }
            if execute && report.unreferenced_audio > 0 {
                let deleted = serde_json::json!({"deleted": report.unreferenced_audio});
                self.audit(scope, now, "retention.unreferenced_audio", deleted)
                    .await?;
            }
        }
        Ok(report)
    }
}

//! Erasure (GDPR Art. 17) of one data subject: the audio objects of every
//! call they were on are deleted, and each call is either deleted outright
//! or irreversibly anonymized (client contact, rep comments and transcript
//! removed; scorecards keep verdicts and points but lose every quote and
//! free text). Where the subject is *mentioned* in other calls — in the
//! transcript (utterances, speaker names and labels), the rep comments and
//! the scorecards' free text — the mention is replaced with `[ERASED]` (not
//! a pseudonym: nothing linkable stays behind), and the word timings of a
//! changed utterance are dropped. One audit record without personal data
//! is left behind.
//!
//! Mentions are every e-mail address and phone number (written or spoken)
//! of the subject's calls, and their full names, in any call; a call
//! holding one of these is linked to the subject, and only there do single
//! name parts count, and only where they are not part of another person's
//! name. So "Anna" in a call about another Anna stays; see the `mentions`
//! module and the precision measured in the crate README.
//!
//! A user (member) subject is erased as a person, not through their calls:
//! see the `member` module. Their calls stay, with the clients' data
//! byte-for-byte, moved to a tombstone rep id; the member's name and
//! e-mail address are erased wherever they are mentioned, their
//! invitations deleted and their member record removed.
//!
//! Erasure does not apply where the data is needed for legal claims
//! (Art. 17(3)(e)): while one of the subject's calls has a subject
//! restricted for legal claims, the erasure is refused before anything
//! changes (`Compliance`, naming the rule).

use std::sync::Arc;

use closeq_core::ports::{
    AudioStore, CallFilter, CallStore, PageRequest, PrivacyStore, WorkspaceStore,
};
use closeq_core::{AuditRecord, Call, Clock, Error, Result, Scope, Subject};
use serde::Serialize;

mod member;
mod mentions;

use mentions::{Identifiers, Mentions};

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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ErasureReport {
    /// Calls deleted or anonymized.
    pub calls: u32,
    /// Audio objects deleted.
    pub audio_objects: u32,
    /// Other calls whose transcripts mentioned the subject and were redacted.
    pub mentions_redacted_in: u32,
    /// API keys deleted (a member's erasure: the keys they created).
    pub api_keys_deleted: u32,
}

/// Runs erasure requests against the stores.
pub struct Eraser {
    calls: Arc<dyn CallStore>,
    workspaces: Arc<dyn WorkspaceStore>,
    privacy: Arc<dyn PrivacyStore>,
    audio: Arc<dyn AudioStore>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Eraser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Eraser").finish_non_exhaustive()
    }
}

impl Eraser {
    /// An eraser over these stores (the privacy store for legal holds).
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
        if let Subject::User(user) = subject {
            let report = self.erase_member(scope, *user).await?;
            self.audit(scope, &report).await?;
            return Ok(report);
        }
        let ids = self.calls.find_calls_by_subject(scope, subject).await?;
        let mut report = ErasureReport::default();
        let mut subject_calls = Vec::new();
        for id in &ids {
            match self.calls.get_call(scope, *id).await {
                Ok(c) => subject_calls.push(c),
                Err(Error::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        for call in &subject_calls {
            let flags = self
                .privacy
                .subject_flags(scope, &Subject::of_call(call))
                .await?;
            if flags.holds_retention() {
                return Err(Error::Compliance {
                    rule: "GDPR Art. 17(3)(e)".into(),
                    reason: "a call of this subject is restricted for legal claims; it cannot be erased until the restriction is lifted".into(),
                });
            }
        }
        // Mentions in other calls go first: while the subject's calls exist
        // their contact details are known; a failure here leaves everything
        // for a retry.
        let identifiers = Identifiers::of(subject, &subject_calls);
        if !identifiers.is_empty() {
            let mentions = Mentions::new(identifiers);
            report.mentions_redacted_in = self.redact_mentions(scope, &ids, &[], &mentions).await?;
        }
        for call in subject_calls {
            let id = call.id;
            if let Some(a) = &call.audio {
                match self.audio.delete(scope, id, &a.key).await {
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
        self.audit(scope, &report).await?;
        Ok(report)
    }

    /// Appends the erasure's audit record (counts only, no personal data).
    async fn audit(&self, scope: &Scope, report: &ErasureReport) -> Result<()> {
        self.workspaces
            .append_audit(
                scope,
                &AuditRecord {
                    seq: 0,
                    workspace_id: scope.workspace_id,
                    at: self.clock.now(),
                    actor: Some(scope.user_id),
                    action: "dsr.erase".into(),
                    target: None,
                    details: serde_json::to_value(report).unwrap_or_default(),
                },
            )
            .await?;
        Ok(())
    }

    /// Replaces the subject's identifiers in every other visible call's
    /// transcript, comments and scorecards; returns how many calls changed.
    /// Calls in `linked` are linked to the subject whatever their text says.
    async fn redact_mentions(
        &self,
        scope: &Scope,
        skip: &[closeq_core::CallId],
        linked: &[closeq_core::CallId],
        mentions: &Mentions,
    ) -> Result<u32> {
        let mut changed_calls = 0;
        let mut page = PageRequest::first(500);
        loop {
            let listed = self
                .calls
                .list_calls(scope, &CallFilter::default(), &page)
                .await?;
            for call in listed.items {
                if skip.contains(&call.id) {
                    continue;
                }
                let link = linked.contains(&call.id);
                if self.redact_call(scope, call, link, mentions).await? {
                    changed_calls += 1;
                }
            }
            match listed.next {
                Some(cursor) => {
                    page = PageRequest {
                        limit: 500,
                        after: Some(cursor),
                    }
                }
                None => break,
            }
        }
        Ok(changed_calls)
    }

    /// Redacts one call's transcript, comments and scorecards; whether
    /// anything changed. The call is linked to the subject (name parts
    /// count) when `linked` or when any of its texts holds a strong
    /// identifier.
    async fn redact_call(
        &self,
        scope: &Scope,
        mut call: Call,
        linked: bool,
        m: &Mentions,
    ) -> Result<bool> {
        let transcript = match self.calls.get_transcript(scope, call.id).await {
            Ok(t) => Some(t),
            Err(Error::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        let mut cards = self.calls.list_scorecards(scope, call.id).await?;
        let mut linked = linked || call.rep_comments.as_deref().is_some_and(|c| m.links(c));
        if let Some(t) = &transcript {
            linked = linked
                || t.utterances.iter().any(|u| m.links(u.text.as_str()))
                || t.speakers.iter().any(|s| {
                    m.links(s.label.as_str()) || s.name.as_deref().is_some_and(|n| m.links(n))
                });
        }
        for card in &cards {
            if !linked {
                // Read-only pass: the closure never returns a replacement.
                card.clone().rewrite_text(|t| {
                    linked = linked || m.links(t);
                    None
                });
            }
        }

        let mut changed = false;
        if let Some(mut t) = transcript {
            let mut any = false;
            for u in &mut t.utterances {
                if let Some(text) = m.redact(u.text.as_str(), linked) {
                    u.text = text.into();
                    u.words.clear();
                    any = true;
                }
            }
            for s in &mut t.speakers {
                if let Some(label) = m.redact(s.label.as_str(), linked) {
                    s.label = label.into();
                    any = true;
                }
                if let Some(name) = s.name.as_deref().and_then(|n| m.redact(n, linked)) {
                    s.name = Some(name.into());
                    any = true;
                }
            }
            if any {
                self.calls.put_transcript(scope, call.id, &t).await?;
                changed = true;
            }
        }
        if let Some(text) = call
            .rep_comments
            .as_deref()
            .and_then(|c| m.redact(c, linked))
        {
            call.rep_comments = Some(text.into());
            self.calls.update_call(scope, &call).await?;
            changed = true;
        }
        for card in &mut cards {
            if card.rewrite_text(|t| m.redact(t, linked)) {
                self.calls.update_scorecard_text(scope, card).await?;
                changed = true;
            }
        }
        Ok(changed)
    }
}

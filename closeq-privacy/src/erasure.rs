//! Erasure (GDPR Art. 17) of one data subject: the audio objects of every
//! call they were on are deleted, and each call is either deleted outright
//! or irreversibly anonymized (client contact, rep comments and transcript
//! removed; scorecards keep verdicts and points but lose every quote and
//! free text). Where the subject is *mentioned* in other calls'
//! transcripts — their e-mail address, their phone number written or
//! spoken as digit words, their name — the mention is replaced with
//! `[ERASED]` (not a pseudonym: nothing linkable stays behind), and the
//! word timings of a changed utterance are dropped. One audit record
//! without personal data is left behind.
//!
//! Not covered yet: mentions inside other calls' coaching notes and rep
//! comments (the stores have no update path for scorecard free text).

use std::sync::Arc;

use closeq_core::ports::{AudioStore, CallFilter, CallStore, PageRequest, WorkspaceStore};
use closeq_core::{AuditRecord, Call, Clock, Error, Result, Scope, Subject};

use crate::redaction::{Kind, Redactor, phone_digits, same_phone_digits};
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
    /// Other calls whose transcripts mentioned the subject and were redacted.
    pub mentions_redacted_in: u32,
}

/// The subject's identifiers, as found in text.
struct Identifiers {
    email: Option<String>,
    phone: Option<String>,
    names: Vec<String>,
}

impl Identifiers {
    fn of(subject: &Subject, calls: &[Call]) -> Self {
        let mut ids = Self {
            email: None,
            phone: None,
            names: Vec::new(),
        };
        match subject {
            Subject::Email(e) => ids.email = Some(e.as_str().to_lowercase()),
            Subject::Phone(p) => ids.phone = Some(phone_digits(p.as_str())),
            _ => {}
        }
        for c in calls {
            if let Some(e) = &c.client.email {
                ids.email.get_or_insert_with(|| e.as_str().to_lowercase());
            }
            if let Some(p) = &c.client.phone {
                ids.phone.get_or_insert_with(|| phone_digits(p.as_str()));
            }
            if let Some(n) = &c.client.name
                && !ids.names.iter().any(|x| x == n.as_str())
            {
                ids.names.push(n.as_str().to_owned());
            }
        }
        ids
    }

    fn is_empty(&self) -> bool {
        self.email.is_none() && self.phone.is_none() && self.names.is_empty()
    }

    /// Whether a phone number in text is the subject's: the same digits,
    /// or the same last nine (a national form of an international number).
    fn same_phone(&self, digits: &str) -> bool {
        self.phone
            .as_deref()
            .is_some_and(|p| same_phone_digits(digits, p))
    }
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
        let mut subject_calls = Vec::new();
        for id in &ids {
            match self.calls.get_call(scope, *id).await {
                Ok(c) => subject_calls.push(c),
                Err(Error::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        // Mentions in other calls go first: while the subject's calls exist
        // their contact details are known; a failure here leaves everything
        // for a retry.
        let identifiers = Identifiers::of(subject, &subject_calls);
        if !identifiers.is_empty() {
            report.mentions_redacted_in = self.redact_mentions(scope, &ids, &identifiers).await?;
        }
        for call in subject_calls {
            let id = call.id;
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

    /// Replaces the subject's identifiers in every other visible call's
    /// transcript, comments and scorecards; returns how many calls changed.
    async fn redact_mentions(
        &self,
        scope: &Scope,
        skip: &[closeq_core::CallId],
        ids: &Identifiers,
    ) -> Result<u32> {
        let names: Vec<&str> = ids.names.iter().map(String::as_str).collect();
        // The key is irrelevant: findings are replaced, never pseudonymised.
        let mentions = Mentions {
            redactor: Redactor::new([0; 32], &names),
            ids,
        };
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
                if self.redact_call(scope, call, &mentions).await? {
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
    /// anything changed.
    async fn redact_call(&self, scope: &Scope, mut call: Call, m: &Mentions<'_>) -> Result<bool> {
        let mut changed = false;
        match self.calls.get_transcript(scope, call.id).await {
            Ok(mut t) => {
                let mut any = false;
                for u in &mut t.utterances {
                    if let Some(text) = m.redact(u.text.as_str()) {
                        u.text = text.into();
                        u.words.clear();
                        any = true;
                    }
                }
                if any {
                    self.calls.put_transcript(scope, call.id, &t).await?;
                    changed = true;
                }
            }
            Err(Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        if let Some(text) = call.rep_comments.as_deref().and_then(|c| m.redact(c)) {
            call.rep_comments = Some(text.into());
            self.calls.update_call(scope, &call).await?;
            changed = true;
        }
        for mut card in self.calls.list_scorecards(scope, call.id).await? {
            if card.rewrite_text(|t| m.redact(t)) {
                self.calls.update_scorecard_text(scope, &card).await?;
                changed = true;
            }
        }
        Ok(changed)
    }
}

/// Finds the subject's identifiers in text.
struct Mentions<'a> {
    redactor: Redactor,
    ids: &'a Identifiers,
}

impl Mentions<'_> {
    /// `text` with each of the subject's identifiers replaced by
    /// `[ERASED]`, or `None` when it holds none.
    fn redact(&self, text: &str) -> Option<String> {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        let mut changed = false;
        for f in self.redactor.find(text) {
            let span = &text[f.start..f.end];
            let hit = match f.kind {
                Kind::Email => self.ids.email.as_deref() == Some(span.to_lowercase().as_str()),
                Kind::Phone => self.ids.same_phone(&phone_digits(span)),
                Kind::Name => true,
                _ => false,
            };
            if hit && f.start >= at {
                out.push_str(&text[at..f.start]);
                out.push_str("[ERASED]");
                at = f.end;
                changed = true;
            }
        }
        changed.then(|| {
            out.push_str(&text[at..]);
            out
        })
    }
}

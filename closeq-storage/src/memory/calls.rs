use async_trait::async_trait;
use chrono::{DateTime, Utc};
use closeq_core::ports::{
    AggregateQuery, AggregateRow, CallBundle, CallFilter, CallStore, Page, PageRequest,
    ReviewRecord, StartKey,
};
use closeq_core::{
    Action, Call, CallId, CallStatus, Error, Result, Scope, Scorecard, ScorecardId, Subject,
    Transcript, UserId,
};

use super::{InMemoryStore, State};
use crate::{aggregate, anonymize, bundle, cursor, filter, policy, review};

impl State {
    pub(super) fn call_for(&self, scope: &Scope, id: CallId, action: Action) -> Result<&Call> {
        let c = self
            .calls
            .get(&id)
            .filter(|c| c.workspace_id == scope.workspace_id)
            .ok_or_else(|| Error::not_found("call", id))?;
        policy::check_call(scope, c, action)?;
        Ok(c)
    }

    fn latest(&self, id: CallId) -> Option<&Scorecard> {
        self.card_order
            .get(&id)
            .and_then(|v| v.last())
            .and_then(|s| self.scorecards.get(s))
    }

    pub(super) fn index(&mut self, hasher: &crate::subject_index::SubjectHasher, call: &Call) {
        for h in hasher.entries(call) {
            self.subjects
                .entry((call.workspace_id, h))
                .or_default()
                .insert(call.id);
        }
    }

    fn unindex(&mut self, call: &Call) {
        for set in self.subjects.values_mut() {
            set.remove(&call.id);
        }
    }

    /// Refuses cards whose id is taken or whose key their call already
    /// holds (see [`bundle::same_key`]).
    pub(super) fn check_new_cards(&self, cards: &[Scorecard]) -> Result<()> {
        for card in cards {
            if self.scorecards.contains_key(&card.id) {
                return Err(Error::already_exists("scorecard", card.id));
            }
            let held = self.card_order.get(&card.call_id).into_iter().flatten();
            if held
                .filter_map(|id| self.scorecards.get(id))
                .any(|c| bundle::same_key(c, card))
            {
                return Err(bundle::duplicate(card));
            }
        }
        Ok(())
    }

    /// Stores a checked card as its call's latest.
    pub(super) fn add_card(&mut self, card: &Scorecard) {
        self.scorecards.insert(card.id, card.clone());
        self.card_order
            .entry(card.call_id)
            .or_default()
            .push(card.id);
    }
}

#[async_trait]
impl CallStore for InMemoryStore {
    async fn insert_call(&self, scope: &Scope, call: &Call) -> Result<()> {
        policy::check_new_call(scope, call)?;
        let mut s = self.write();
        if !s.workspaces.contains_key(&call.workspace_id) {
            return Err(Error::not_found("workspace", call.workspace_id));
        }
        if s.calls.contains_key(&call.id) {
            return Err(Error::already_exists("call", call.id));
        }
        s.index(&self.hasher, call);
        s.calls.insert(call.id, call.clone());
        Ok(())
    }

    async fn get_call(&self, scope: &Scope, id: CallId) -> Result<Call> {
        self.read().call_for(scope, id, Action::ViewCall).cloned()
    }

    async fn transition_call(&self, scope: &Scope, id: CallId, next: CallStatus) -> Result<Call> {
        let mut s = self.write();
        let mut c = s.call_for(scope, id, Action::UploadCall)?.clone();
        c.transition(next)?;
        s.calls.insert(id, c.clone());
        Ok(c)
    }

    async fn list_calls(
        &self,
        scope: &Scope,
        f: &CallFilter,
        page: &PageRequest,
    ) -> Result<Page<Call>> {
        page.validate()?;
        let after = page.after.as_ref().map(cursor::decode).transpose()?;
        let s = self.read();
        let mut items: Vec<&Call> = s
            .calls
            .values()
            .filter(|c| c.workspace_id == scope.workspace_id && policy::visible(scope, c))
            .filter(|c| filter::matches(c, s.latest(c.id), f))
            .filter(|c| after.is_none_or(|a| (c.started_at, c.id) < a))
            .collect();
        items.sort_by_key(|c| std::cmp::Reverse((c.started_at, c.id)));
        let more = items.len() > page.limit as usize;
        items.truncate(page.limit as usize);
        let next = if more {
            items.last().map(|c| cursor::encode(c.started_at, c.id))
        } else {
            None
        };
        Ok(Page {
            items: items.into_iter().cloned().collect(),
            next,
        })
    }

    async fn delete_call(&self, scope: &Scope, id: CallId) -> Result<()> {
        let mut s = self.write();
        match s.call_for(scope, id, Action::DeleteCall) {
            Ok(c) => {
                let c = c.clone();
                s.unindex(&c);
                s.calls.remove(&id);
                s.transcripts.remove(&id);
                s.consents.remove(&id);
                for sid in s.card_order.remove(&id).unwrap_or_default() {
                    s.scorecards.remove(&sid);
                    s.reviews.retain(|r| r.scorecard_id != sid);
                }
                Ok(())
            }
            Err(Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn put_transcript(&self, scope: &Scope, call: CallId, t: &Transcript) -> Result<()> {
        t.validate()?;
        let mut s = self.write();
        s.call_for(scope, call, Action::UploadCall)?;
        s.transcripts.insert(call, t.clone());
        Ok(())
    }

    async fn get_transcript(&self, scope: &Scope, call: CallId) -> Result<Transcript> {
        let s = self.read();
        s.call_for(scope, call, Action::ViewCall)?;
        s.transcripts
            .get(&call)
            .cloned()
            .ok_or_else(|| Error::not_found("transcript", call))
    }

    async fn insert_scorecard(&self, scope: &Scope, card: &Scorecard) -> Result<()> {
        let mut s = self.write();
        s.call_for(scope, card.call_id, Action::UploadCall)?;
        card.check_suggested()?;
        if card.workspace_id != scope.workspace_id {
            return Err(Error::invalid(
                "workspace_id",
                "does not match the call's workspace",
            ));
        }
        s.check_new_cards(std::slice::from_ref(card))?;
        s.add_card(card);
        Ok(())
    }

    async fn get_scorecard(&self, scope: &Scope, id: ScorecardId) -> Result<Scorecard> {
        let s = self.read();
        let card = s
            .scorecards
            .get(&id)
            .ok_or_else(|| Error::not_found("scorecard", id))?;
        s.call_for(scope, card.call_id, Action::ViewScorecard)
            .map_err(|_| Error::not_found("scorecard", id))?;
        Ok(card.clone())
    }

    async fn list_scorecards(&self, scope: &Scope, call: CallId) -> Result<Vec<Scorecard>> {
        let s = self.read();
        s.call_for(scope, call, Action::ViewScorecard)?;
        Ok(s.card_order
            .get(&call)
            .map(|v| {
                v.iter()
                    .filter_map(|id| s.scorecards.get(id).cloned())
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn save_review(&self, scope: &Scope, card: &Scorecard) -> Result<()> {
        let mut s = self.write();
        let stored = s
            .scorecards
            .get(&card.id)
            .ok_or_else(|| Error::not_found("scorecard", card.id))?
            .clone();
        s.call_for(scope, stored.call_id, Action::ReviewScorecard)?;
        let updated = review::reviewed(scope, &stored, card)?;
        s.reviews.push(ReviewRecord {
            scorecard_id: card.id,
            state: updated.review().clone(),
        });
        s.scorecards.insert(card.id, updated);
        Ok(())
    }

    async fn review_history(&self, scope: &Scope, id: ScorecardId) -> Result<Vec<ReviewRecord>> {
        let s = self.read();
        let card = s
            .scorecards
            .get(&id)
            .ok_or_else(|| Error::not_found("scorecard", id))?;
        s.call_for(scope, card.call_id, Action::ViewScorecard)?;
        Ok(s.reviews
            .iter()
            .filter(|r| r.scorecard_id == id)
            .cloned()
            .collect())
    }

    async fn update_call(&self, scope: &Scope, call: &Call) -> Result<()> {
        call.validate()?;
        let mut s = self.write();
        let old = s.call_for(scope, call.id, Action::UploadCall)?.clone();
        check_editable(&old, call)?;
        policy::check_new_call(scope, call)?;
        s.unindex(&old);
        s.index(&self.hasher, call);
        s.calls.insert(call.id, call.clone());
        Ok(())
    }

    async fn aggregate(&self, scope: &Scope, q: &AggregateQuery) -> Result<Vec<AggregateRow>> {
        let s = self.read();
        let rows = s
            .calls
            .values()
            .filter(|c| c.workspace_id == scope.workspace_id && policy::visible(scope, c))
            .filter(|c| c.started_at >= q.from && c.started_at < q.to)
            .map(|c| (c, s.latest(c.id)));
        Ok(aggregate::aggregate(q.group_by, rows))
    }

    async fn find_calls_by_subject(&self, scope: &Scope, subject: &Subject) -> Result<Vec<CallId>> {
        policy::check_workspace(scope, Action::RunDataSubjectRequests)?;
        let h = self.hasher.hash(subject)?;
        let s = self.read();
        let mut ids: Vec<CallId> = s
            .subjects
            .get(&(scope.workspace_id, h))
            .map(|v| v.iter().copied().collect())
            .unwrap_or_default();
        ids.retain(|id| s.calls.get(id).is_some_and(|c| policy::visible(scope, c)));
        Ok(ids)
    }

    async fn calls_started_before(
        &self,
        scope: &Scope,
        before: DateTime<Utc>,
        after: Option<&StartKey>,
        limit: u32,
    ) -> Result<Vec<StartKey>> {
        let s = self.read();
        let mut v: Vec<StartKey> = s
            .calls
            .values()
            .filter(|c| {
                c.workspace_id == scope.workspace_id
                    && policy::visible(scope, c)
                    && c.started_at < before
            })
            .map(|c| StartKey {
                started_at: c.started_at,
                id: c.id,
            })
            .filter(|k| after.is_none_or(|a| k > a))
            .collect();
        v.sort();
        v.truncate(limit as usize);
        Ok(v)
    }

    async fn anonymize_call(&self, scope: &Scope, id: CallId) -> Result<()> {
        let mut s = self.write();
        let mut c = s.call_for(scope, id, Action::DeleteCall)?.clone();
        s.unindex(&c);
        anonymize::call(&mut c);
        s.calls.insert(id, c);
        s.transcripts.remove(&id);
        for sid in s.card_order.get(&id).cloned().unwrap_or_default() {
            if let Some(stored) = s.scorecards.get(&sid).cloned() {
                let mut card = stored.clone();
                anonymize::scorecard(&mut card);
                for r in s.reviews.iter_mut().filter(|r| r.scorecard_id == sid) {
                    anonymize::redact_record(r, &stored, &card);
                }
                s.scorecards.insert(sid, card);
            }
        }
        Ok(())
    }

    async fn reassign_rep(&self, scope: &Scope, from: UserId, to: UserId) -> Result<u32> {
        policy::check_workspace(scope, Action::RunDataSubjectRequests)?;
        let mut s = self.write();
        policy::check_tombstone(from, to, s.members.contains_key(&(scope.workspace_id, to)))?;
        let ids: Vec<CallId> = s
            .calls
            .values()
            .filter(|c| c.workspace_id == scope.workspace_id && c.rep_id == from)
            .filter(|c| policy::visible(scope, c))
            .map(|c| c.id)
            .collect();
        for id in &ids {
            if let Some(mut c) = s.calls.get(id).cloned() {
                s.unindex(&c);
                c.rep_id = to;
                s.index(&self.hasher, &c);
                s.calls.insert(*id, c);
            }
        }
        u32::try_from(ids.len()).map_err(|_| Error::internal("more calls than u32"))
    }

    async fn update_scorecard_text(&self, scope: &Scope, card: &Scorecard) -> Result<()> {
        let mut s = self.write();
        let stored = s
            .scorecards
            .get(&card.id)
            .ok_or_else(|| Error::not_found("scorecard", card.id))?
            .clone();
        s.call_for(scope, stored.call_id, Action::ViewCall)
            .map_err(|e| match e {
                Error::NotFound { .. } => Error::not_found("scorecard", card.id),
                other => other,
            })?;
        policy::check_workspace(scope, Action::RunDataSubjectRequests)?;
        anonymize::check_text_only(&stored, card)?;
        for r in s.reviews.iter_mut().filter(|r| r.scorecard_id == card.id) {
            anonymize::redact_record(r, &stored, card);
        }
        s.scorecards.insert(card.id, card.clone());
        Ok(())
    }

    async fn ingest(&self, scope: &Scope, batch: &[CallBundle]) -> Result<()> {
        self.ingest_batch(scope, batch)
    }

    async fn advance_call(
        &self,
        scope: &Scope,
        id: CallId,
        steps: &[CallStatus],
        transcript: Option<&Transcript>,
        scorecards: &[Scorecard],
    ) -> Result<Call> {
        self.advance(scope, id, steps, transcript, scorecards)
    }
}

/// Identity, workspace, rep, times and status may not change in `update_call`.
pub(crate) fn check_editable(old: &Call, new: &Call) -> Result<()> {
    if old.workspace_id != new.workspace_id || old.rep_id != new.rep_id {
        return Err(Error::invalid(
            "rep_id",
            "a call's workspace and rep cannot change",
        ));
    }
    if old.status() != new.status() {
        return Err(Error::invalid(
            "status",
            "change the status with transition_call",
        ));
    }
    if old.created_at != new.created_at || old.started_at != new.started_at {
        return Err(Error::invalid("started_at", "a call's times cannot change"));
    }
    Ok(())
}

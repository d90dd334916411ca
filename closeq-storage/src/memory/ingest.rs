//! The processing writes of the in-memory store, each all or nothing under
//! the store's lock: everything is checked before the first change.

use std::collections::BTreeSet;

use closeq_core::ports::CallBundle;
use closeq_core::{Action, Call, CallId, CallStatus, Error, Result, Scope, Scorecard, Transcript};

use super::InMemoryStore;
use crate::bundle;

impl InMemoryStore {
    /// [`CallStore::ingest`](closeq_core::ports::CallStore::ingest): calls,
    /// transcripts, scorecards and consent, all or none.
    pub(super) fn ingest_batch(&self, scope: &Scope, batch: &[CallBundle]) -> Result<()> {
        for b in batch {
            bundle::check(scope, b)?;
        }
        let mut s = self.write();
        let mut calls = BTreeSet::new();
        let mut cards = BTreeSet::new();
        for b in batch {
            let c = &b.call;
            if !s.workspaces.contains_key(&c.workspace_id) {
                return Err(Error::not_found("workspace", c.workspace_id));
            }
            if s.calls.contains_key(&c.id) || !calls.insert(c.id) {
                return Err(Error::already_exists("call", c.id));
            }
            // The call is new: its cards can only clash by id.
            for card in &b.scorecards {
                if s.scorecards.contains_key(&card.id) || !cards.insert(card.id) {
                    return Err(Error::already_exists("scorecard", card.id));
                }
            }
        }
        for b in batch {
            let c = &b.call;
            s.index(&self.hasher, c);
            s.calls.insert(c.id, c.clone());
            if let Some(t) = &b.transcript {
                s.transcripts.insert(c.id, t.clone());
            }
            for card in &b.scorecards {
                s.add_card(card);
            }
            if let Some(consent) = &b.consent {
                s.consents.insert(c.id, consent.clone());
            }
        }
        Ok(())
    }

    /// [`CallStore::advance_call`](closeq_core::ports::CallStore::advance_call):
    /// every step checked, then the transcript, the scorecards and the
    /// final status written together.
    pub(super) fn advance(
        &self,
        scope: &Scope,
        id: CallId,
        steps: &[CallStatus],
        transcript: Option<&Transcript>,
        cards: &[Scorecard],
    ) -> Result<Call> {
        if let Some(t) = transcript {
            t.validate()?;
        }
        let mut s = self.write();
        let mut call = s.call_for(scope, id, Action::UploadCall)?.clone();
        for next in steps {
            call.transition(next.clone())?;
        }
        bundle::check_cards(&call, cards)?;
        s.check_new_cards(cards)?;
        if let Some(t) = transcript {
            s.transcripts.insert(id, t.clone());
        }
        for card in cards {
            s.add_card(card);
        }
        s.calls.insert(id, call.clone());
        Ok(call)
    }
}

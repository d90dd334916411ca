//! [`AccessLoggedCallStore`]: a call store whose reads leave access records.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use closeq_core::ports::{
    AggregateQuery, AggregateRow, CallBundle, CallFilter, CallStore, Page, PageRequest,
    ReviewRecord, ScoredCall, StartKey,
};
use closeq_core::{
    AccessAction, Call, CallId, CallStatus, Result, Scope, Scorecard, ScorecardId, Subject,
    Transcript, UserId,
};

use super::AccessRecorder;

/// A [`CallStore`] that records every read of a call, a page of calls, a
/// transcript or scorecards (`get_call`, `list_calls`, `get_transcript`,
/// `get_scorecard`, `list_scorecards`, `review_history`) in the access log
/// ([`AccessRecorder`]), after the read succeeded; everything else passes
/// through unrecorded — writes, and the reads CloseQ makes to act on calls
/// (`transition_call` and `advance_call` return the call they changed,
/// `find_calls_by_subject` serves data-subject requests, `aggregate`
/// dashboards). Wrap the store that serves people (an API, the CLI); give
/// the pipeline's own machinery the inner store.
#[derive(Debug, Clone)]
pub struct AccessLoggedCallStore {
    inner: Arc<dyn CallStore>,
    recorder: Arc<AccessRecorder>,
}

impl AccessLoggedCallStore {
    /// `inner`, its reads recorded by `recorder`.
    pub fn new(inner: Arc<dyn CallStore>, recorder: Arc<AccessRecorder>) -> Self {
        Self { inner, recorder }
    }

    /// The recorder (to [`flush`](AccessRecorder::flush) it).
    pub fn recorder(&self) -> &Arc<AccessRecorder> {
        &self.recorder
    }
}

#[async_trait]
impl CallStore for AccessLoggedCallStore {
    async fn insert_call(&self, scope: &Scope, call: &Call) -> Result<()> {
        self.inner.insert_call(scope, call).await
    }

    async fn get_call(&self, scope: &Scope, id: CallId) -> Result<Call> {
        let call = self.inner.get_call(scope, id).await?;
        let ids = vec![id.as_uuid()];
        self.recorder
            .record(scope, AccessAction::CallRead, ids)
            .await?;
        Ok(call)
    }

    async fn transition_call(&self, scope: &Scope, id: CallId, next: CallStatus) -> Result<Call> {
        self.inner.transition_call(scope, id, next).await
    }

    async fn list_calls(
        &self,
        scope: &Scope,
        filter: &CallFilter,
        page: &PageRequest,
    ) -> Result<Page<Call>> {
        let listed = self.inner.list_calls(scope, filter, page).await?;
        if !listed.items.is_empty() {
            let ids = listed.items.iter().map(|c| c.id.as_uuid()).collect();
            self.recorder
                .record(scope, AccessAction::CallList, ids)
                .await?;
        }
        Ok(listed)
    }

    async fn scored_calls(
        &self,
        scope: &Scope,
        filter: &CallFilter,
        limit: u32,
    ) -> Result<Vec<ScoredCall>> {
        let read = self.inner.scored_calls(scope, filter, limit).await?;
        if !read.is_empty() {
            let ids = read.iter().map(|c| c.call.id.as_uuid()).collect();
            self.recorder
                .record(scope, AccessAction::CallList, ids)
                .await?;
        }
        Ok(read)
    }

    async fn delete_call(&self, scope: &Scope, id: CallId) -> Result<()> {
        self.inner.delete_call(scope, id).await
    }

    async fn put_transcript(
        &self,
        scope: &Scope,
        call: CallId,
        transcript: &Transcript,
    ) -> Result<()> {
        self.inner.put_transcript(scope, call, transcript).await
    }

    async fn get_transcript(&self, scope: &Scope, call: CallId) -> Result<Transcript> {
        let t = self.inner.get_transcript(scope, call).await?;
        let ids = vec![call.as_uuid()];
        self.recorder
            .record(scope, AccessAction::TranscriptRead, ids)
            .await?;
        Ok(t)
    }

    async fn insert_scorecard(&self, scope: &Scope, scorecard: &Scorecard) -> Result<()> {
        self.inner.insert_scorecard(scope, scorecard).await
    }

    async fn get_scorecard(&self, scope: &Scope, id: ScorecardId) -> Result<Scorecard> {
        let card = self.inner.get_scorecard(scope, id).await?;
        let ids = vec![id.as_uuid()];
        self.recorder
            .record(scope, AccessAction::ScorecardRead, ids)
            .await?;
        Ok(card)
    }

    async fn list_scorecards(&self, scope: &Scope, call: CallId) -> Result<Vec<Scorecard>> {
        let cards = self.inner.list_scorecards(scope, call).await?;
        if !cards.is_empty() {
            let ids = cards.iter().map(|c| c.id.as_uuid()).collect();
            self.recorder
                .record(scope, AccessAction::ScorecardRead, ids)
                .await?;
        }
        Ok(cards)
    }

    async fn save_review(&self, scope: &Scope, scorecard: &Scorecard) -> Result<()> {
        self.inner.save_review(scope, scorecard).await
    }

    async fn update_scorecard_text(&self, scope: &Scope, scorecard: &Scorecard) -> Result<()> {
        self.inner.update_scorecard_text(scope, scorecard).await
    }

    async fn review_history(&self, scope: &Scope, id: ScorecardId) -> Result<Vec<ReviewRecord>> {
        let history = self.inner.review_history(scope, id).await?;
        let ids = vec![id.as_uuid()];
        self.recorder
            .record(scope, AccessAction::ScorecardRead, ids)
            .await?;
        Ok(history)
    }

    async fn update_call(&self, scope: &Scope, call: &Call) -> Result<()> {
        self.inner.update_call(scope, call).await
    }

    async fn aggregate(&self, scope: &Scope, query: &AggregateQuery) -> Result<Vec<AggregateRow>> {
        // Not recorded: aggregates name no call (a narrow window can still
        // single one out; dashboards are read through here).
        self.inner.aggregate(scope, query).await
    }

    async fn find_calls_by_subject(&self, scope: &Scope, subject: &Subject) -> Result<Vec<CallId>> {
        self.inner.find_calls_by_subject(scope, subject).await
    }

    async fn calls_started_before(
        &self,
        scope: &Scope,
        before: DateTime<Utc>,
        after: Option<&StartKey>,
        limit: u32,
    ) -> Result<Vec<StartKey>> {
        self.inner
            .calls_started_before(scope, before, after, limit)
            .await
    }

    async fn anonymize_call(&self, scope: &Scope, id: CallId) -> Result<()> {
        self.inner.anonymize_call(scope, id).await
    }

    async fn reassign_rep(&self, scope: &Scope, from: UserId, to: UserId) -> Result<u32> {
        self.inner.reassign_rep(scope, from, to).await
    }

    async fn ingest(&self, scope: &Scope, batch: &[CallBundle]) -> Result<()> {
        self.inner.ingest(scope, batch).await
    }

    async fn advance_call(
        &self,
        scope: &Scope,
        id: CallId,
        steps: &[CallStatus],
        transcript: Option<&Transcript>,
        scorecards: &[Scorecard],
    ) -> Result<Call> {
        self.inner
            .advance_call(scope, id, steps, transcript, scorecards)
            .await
    }

    async fn checkpoint_erasure(&self) -> Result<()> {
        self.inner.checkpoint_erasure().await
    }
}

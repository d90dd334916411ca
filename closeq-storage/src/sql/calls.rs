//! [`CallStore`] on SQL: calls, transcripts, scorecards and reviews.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use closeq_core::ports::{
    AggregateQuery, AggregateRow, CallBundle, CallFilter, CallStore, Page, PageRequest,
    ReviewRecord, ScoredCall, StartKey, check_scored_limit,
};
use closeq_core::{
    Action, Call, CallId, CallStatus, Error, Result, Scope, Scorecard, ScorecardId, Subject,
    Transcript, UserId,
};

use super::{Arg, Dialect, Sql, SqlRow, SqlStore, Tx, dup_card, rollup, visibility};
use crate::codec::{enum_name, from_json, to_json};
use crate::memory::check_editable;
use crate::review::{self, Contribution};
use crate::{anonymize, cursor, policy, word_codec};

/// The call `id` if `scope` sees it (else `NotFound`) and may take `action`
/// on it (else `Forbidden`).
pub(super) async fn call_for<D: Dialect>(
    tx: &mut Tx<'_, D>,
    scope: &Scope,
    id: CallId,
    action: Action,
) -> Result<Call> {
    visible_call(tx, scope, id, action, "").await
}

/// As [`call_for`], with the call's row locked until the transaction ends
/// (where the database locks rows), for a status change.
pub(super) async fn call_for_update<D: Dialect>(
    tx: &mut Tx<'_, D>,
    scope: &Scope,
    id: CallId,
    action: Action,
) -> Result<Call> {
    visible_call(tx, scope, id, action, D::FOR_UPDATE).await
}

async fn visible_call<D: Dialect>(
    tx: &mut Tx<'_, D>,
    scope: &Scope,
    id: CallId,
    action: Action,
    lock: &str,
) -> Result<Call> {
    let mut q = Sql::new("SELECT c.data FROM calls c WHERE c.id = $1 AND ").bind(id);
    visibility::push(&mut q, "c", scope);
    q.push(lock);
    let c: Call = tx
        .doc(q)
        .await?
        .ok_or_else(|| Error::not_found("call", id))?;
    policy::check_call(scope, &c, action)?;
    Ok(c)
}

/// Rewrites the call's subject-index entries.
pub(super) async fn index<D: Dialect>(
    tx: &mut Tx<'_, D>,
    hasher: &crate::SubjectHasher,
    call: &Call,
) -> Result<()> {
    tx.exec(Sql::new("DELETE FROM subject_index WHERE call_id = $1").bind(call.id))
        .await?;
    for h in hasher.entries(call) {
        tx.exec(
            Sql::new(
                "INSERT INTO subject_index (workspace_id, rep_id, team_id, subject_hash, call_id) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(call.workspace_id)
            .bind(call.rep_id)
            .bind(call.team_id)
            .bind(&h[..])
            .bind(call.id),
        )
        .await?;
    }
    Ok(())
}

/// Inserts or rewrites a call's row (not its summary columns).
pub(super) async fn write_call<D: Dialect>(
    tx: &mut Tx<'_, D>,
    call: &Call,
    insert: bool,
) -> Result<()> {
    let sql = if insert {
        "INSERT INTO calls (id, workspace_id, rep_id, team_id, started_at, status, outcome, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    } else {
        "UPDATE calls SET workspace_id = $2, rep_id = $3, team_id = $4, started_at = $5, status = $6, outcome = $7, data = $8 WHERE id = $1"
    };
    tx.exec(
        Sql::new(sql)
            .bind(call.id)
            .bind(call.workspace_id)
            .bind(call.rep_id)
            .bind(call.team_id)
            .bind(call.started_at)
            .bind(call.status().name())
            .bind(enum_name(&call.outcome))
            .bind(to_json(D::NAME, call)?),
    )
    .await
    .map_err(|e| match e {
        Error::AlreadyExists { .. } => Error::already_exists("call", call.id),
        Error::NotFound { .. } => Error::not_found("workspace", call.workspace_id),
        other => other,
    })?;
    if insert {
        rollup::around(tx, call.id, false).await?;
    }
    Ok(())
}

/// Stores or replaces a call's transcript.
pub(super) async fn write_transcript<D: Dialect>(
    tx: &mut Tx<'_, D>,
    call: CallId,
    t: &Transcript,
) -> Result<()> {
    let (bare, words) = word_codec::split(t);
    tx.exec(
        Sql::new(
            "INSERT INTO transcripts (call_id, workspace_id, rep_id, team_id, data, words) \
             SELECT c.id, c.workspace_id, c.rep_id, c.team_id, $2, $3 FROM calls c WHERE c.id = $1 \
             ON CONFLICT (call_id) DO UPDATE SET data = excluded.data, words = excluded.words",
        )
        .bind(call)
        .bind(to_json(D::NAME, &bare)?)
        .bind(words),
    )
    .await?;
    Ok(())
}

/// Inserts a scorecard and refreshes the call's summary columns, verdicts
/// and rollups.
pub(super) async fn write_scorecard<D: Dialect>(
    tx: &mut Tx<'_, D>,
    card: &Scorecard,
) -> Result<()> {
    tx.exec(
        Sql::new(
            "INSERT INTO scorecards (id, call_id, workspace_id, rep_id, team_id, seq, reviewed, data) \
             SELECT $1, c.id, $3, c.rep_id, c.team_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM scorecards WHERE call_id = $2), $4, $5 \
             FROM calls c WHERE c.id = $2",
        )
        .bind(card.id)
        .bind(card.call_id)
        .bind(card.workspace_id)
        .bind(card.review().is_reviewed())
        .bind(to_json(D::NAME, card)?),
    )
    .await
    .map_err(dup_card(card))?;
    write_summary(tx, card).await
}

/// Makes `card` (the call's latest) what the call's summary columns,
/// verdict rows and rollups say, as reviewed ([`Contribution`]).
async fn write_summary<D: Dialect>(tx: &mut Tx<'_, D>, card: &Scorecard) -> Result<()> {
    let c = Contribution::of(card);
    rollup::around(tx, card.call_id, true).await?;
    tx.exec(
        Sql::new("UPDATE calls SET latest_score = $1, latest_rubric = $2, latest_talk_ratio = $3, latest_review = $4 WHERE id = $5")
            .bind(c.score)
            .bind(card.provenance.rubric_id.as_str())
            .bind(c.talk)
            .bind(c.review)
            .bind(card.call_id),
    )
    .await?;
    tx.exec(Sql::new("DELETE FROM call_verdicts WHERE call_id = $1").bind(card.call_id))
        .await?;
    for (criterion, value) in c.verdicts {
        tx.exec(
            Sql::new(
                "INSERT INTO call_verdicts (call_id, workspace_id, rep_id, team_id, criterion_id, value) \
                 SELECT c.id, c.workspace_id, c.rep_id, c.team_id, $2, $3 FROM calls c WHERE c.id = $1 \
                 ON CONFLICT (call_id, criterion_id) DO UPDATE SET value = excluded.value",
            )
            .bind(card.call_id)
            .bind(criterion)
            .bind(value),
        )
        .await?;
    }
    rollup::around(tx, card.call_id, false).await
}

/// The stored scorecard `id` of the scope's workspace (`for_update`: locked).
async fn stored_card<D: Dialect>(
    tx: &mut Tx<'_, D>,
    scope: &Scope,
    id: ScorecardId,
    for_update: bool,
) -> Result<Scorecard> {
    let lock = if for_update { D::FOR_UPDATE } else { "" };
    tx.doc(
        Sql::new(format!(
            "SELECT data FROM scorecards WHERE id = $1 AND workspace_id = $2{lock}"
        ))
        .bind(id)
        .bind(scope.workspace_id),
    )
    .await?
    .ok_or_else(|| Error::not_found("scorecard", id))
}

/// Writes a scorecard whose free text changed (`stored` before, `card`
/// after), and redacts its review events the same way
/// ([`anonymize::redact_record`]: no event added, removed or otherwise
/// changed).
async fn write_card_text<D: Dialect>(
    tx: &mut Tx<'_, D>,
    stored: &Scorecard,
    card: &Scorecard,
) -> Result<()> {
    tx.exec(
        Sql::new("UPDATE scorecards SET data = $1 WHERE id = $2")
            .bind(to_json(D::NAME, card)?)
            .bind(card.id),
    )
    .await?;
    let events = tx
        .rows(Sql::new("SELECT id, data FROM review_events WHERE scorecard_id = $1").bind(card.id))
        .await?;
    for row in events {
        let mut record: ReviewRecord = from_json(D::NAME, row.text(1)?)?;
        let before = record.clone();
        anonymize::redact_record(&mut record, stored, card);
        if record != before {
            tx.exec(
                Sql::new("UPDATE review_events SET data = $1 WHERE id = $2")
                    .bind(to_json(D::NAME, &record)?)
                    .bind(row.int(0)?),
            )
            .await?;
        }
    }
    Ok(())
}

/// Call ids from the first column of each row.
fn call_ids<R: SqlRow>(rows: &[R]) -> Result<Vec<CallId>> {
    rows.iter().map(|r| CallId::from_uuid(r.id(0)?)).collect()
}

#[async_trait]
impl<D: Dialect> CallStore for SqlStore<D> {
    async fn insert_call(&self, scope: &Scope, call: &Call) -> Result<()> {
        policy::check_new_call(scope, call)?;
        let mut tx = self.begin("insert_call", scope).await?;
        write_call(&mut tx, call, true).await?;
        index(&mut tx, self.hasher(), call).await?;
        tx.commit().await
    }

    async fn get_call(&self, scope: &Scope, id: CallId) -> Result<Call> {
        let mut tx = self.read("get_call", scope).await?;
        call_for(&mut tx, scope, id, Action::ViewCall).await
    }

    async fn transition_call(&self, scope: &Scope, id: CallId, next: CallStatus) -> Result<Call> {
        let mut tx = self.begin("transition_call", scope).await?;
        let mut c = call_for_update(&mut tx, scope, id, Action::UploadCall).await?;
        c.transition(next)?;
        write_call(&mut tx, &c, false).await?;
        tx.commit().await?;
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
        let mut q = Sql::new("SELECT c.data FROM calls c WHERE ");
        visibility::push(&mut q, "c", scope);
        push_filters(&mut q, f);
        if let Some((t, id)) = after {
            q.push(" AND (c.started_at, c.id) < (")
                .push_bind(t)
                .push(", ")
                .push_bind(id)
                .push(")");
        }
        // The limit is a literal (a number we computed), not a parameter:
        // PostgreSQL then keeps one generic plan per statement instead of
        // planning every call, which under Row-Level Security costs more
        // than running the query.
        let limit = u64::from(page.limit) + 1;
        q.push(&format!(
            " ORDER BY c.started_at DESC, c.id DESC LIMIT {limit}"
        ));
        let mut tx = self.read("list_calls", scope).await?;
        let mut items: Vec<Call> = tx.docs(q).await?;
        let more = items.len() > page.limit as usize;
        items.truncate(page.limit as usize);
        let next = if more {
            items.last().map(|c| cursor::encode(c.started_at, c.id))
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn scored_calls(
        &self,
        scope: &Scope,
        f: &CallFilter,
        limit: u32,
    ) -> Result<Vec<ScoredCall>> {
        check_scored_limit(limit)?;
        let mut calls_q = Sql::new("SELECT c.data FROM calls c WHERE ");
        visibility::push(&mut calls_q, "c", scope);
        push_filters(&mut calls_q, f);
        calls_q.push(&format!(" ORDER BY c.started_at, c.id LIMIT {limit}"));
        let mut tx = self.read("scored_calls", scope).await?;
        let rows = tx.rows(calls_q).await?;
        // Thousands of calls and scorecards of a few kilobytes each:
        // decoding them is most of the read, so it is spread over the cores.
        let calls: Vec<Call> = super::decode_parallel(&rows, |r| from_json(D::NAME, r.text(0)?))?;
        let Some(last) = calls.last() else {
            return Ok(Vec::new());
        };
        // The same calls' scorecards: the same conditions, up to the last
        // call read, in the same order.
        let mut cards_q =
            Sql::new("SELECT s.data FROM scorecards s JOIN calls c ON c.id = s.call_id WHERE ");
        visibility::push(&mut cards_q, "c", scope);
        push_filters(&mut cards_q, f);
        cards_q
            .push(" AND (c.started_at, c.id) <= (")
            .push_bind(last.started_at)
            .push(", ")
            .push_bind(last.id)
            .push(") ORDER BY c.started_at, c.id, s.seq");
        let rows = tx.rows(cards_q).await?;
        let cards: Vec<Scorecard> =
            super::decode_parallel(&rows, |r| from_json(D::NAME, r.text(0)?))?;
        let mut out: Vec<ScoredCall> = calls
            .into_iter()
            .map(|call| ScoredCall {
                call,
                scorecards: Vec::new(),
            })
            .collect();
        let at: std::collections::HashMap<CallId, usize> = out
            .iter()
            .enumerate()
            .map(|(i, c)| (c.call.id, i))
            .collect();
        for card in cards {
            if let Some(&i) = at.get(&card.call_id) {
                out[i].scorecards.push(card);
            }
        }
        Ok(out)
    }

    async fn delete_call(&self, scope: &Scope, id: CallId) -> Result<()> {
        let mut tx = self.begin("delete_call", scope).await?;
        match call_for(&mut tx, scope, id, Action::DeleteCall).await {
            Ok(_) => {}
            Err(Error::NotFound { .. }) => return Ok(()),
            Err(e) => return Err(e),
        }
        rollup::around(&mut tx, id, true).await?;
        tx.exec(Sql::new("DELETE FROM calls WHERE id = $1").bind(id))
            .await?;
        tx.commit().await
    }

    async fn put_transcript(&self, scope: &Scope, call: CallId, t: &Transcript) -> Result<()> {
        t.validate()?;
        let mut tx = self.begin("put_transcript", scope).await?;
        call_for(&mut tx, scope, call, Action::UploadCall).await?;
        write_transcript(&mut tx, call, t).await?;
        tx.commit().await
    }

    async fn get_transcript(&self, scope: &Scope, call: CallId) -> Result<Transcript> {
        let mut tx = self.read("get_transcript", scope).await?;
        call_for(&mut tx, scope, call, Action::ViewCall).await?;
        let row = tx
            .row(Sql::new("SELECT data, words FROM transcripts WHERE call_id = $1").bind(call))
            .await?
            .ok_or_else(|| Error::not_found("transcript", call))?;
        let mut t: Transcript = from_json(D::NAME, row.text(0)?)?;
        if let Some(words) = row.opt_bytes(1)? {
            word_codec::attach(&mut t, words, D::NAME)?;
        }
        Ok(t)
    }

    async fn insert_scorecard(&self, scope: &Scope, card: &Scorecard) -> Result<()> {
        let mut tx = self.begin("insert_scorecard", scope).await?;
        call_for(&mut tx, scope, card.call_id, Action::UploadCall).await?;
        card.check_suggested()?;
        if card.workspace_id != scope.workspace_id {
            return Err(Error::invalid(
                "workspace_id",
                "does not match the call's workspace",
            ));
        }
        write_scorecard(&mut tx, card).await?;
        tx.commit().await
    }

    async fn get_scorecard(&self, scope: &Scope, id: ScorecardId) -> Result<Scorecard> {
        let mut tx = self.read("get_scorecard", scope).await?;
        let card = stored_card(&mut tx, scope, id, false).await?;
        call_for(&mut tx, scope, card.call_id, Action::ViewScorecard)
            .await
            .map_err(|_| Error::not_found("scorecard", id))?;
        Ok(card)
    }

    async fn list_scorecards(&self, scope: &Scope, call: CallId) -> Result<Vec<Scorecard>> {
        let mut tx = self.read("list_scorecards", scope).await?;
        call_for(&mut tx, scope, call, Action::ViewScorecard).await?;
        tx.docs(Sql::new("SELECT data FROM scorecards WHERE call_id = $1 ORDER BY seq").bind(call))
            .await
    }

    async fn save_review(&self, scope: &Scope, card: &Scorecard) -> Result<()> {
        let mut tx = self.begin("save_review", scope).await?;
        let stored = stored_card(&mut tx, scope, card.id, true).await?;
        call_for(&mut tx, scope, stored.call_id, Action::ReviewScorecard).await?;
        let updated = review::reviewed(scope, &stored, card)?;
        let done = tx
            .exec(
                Sql::new("UPDATE scorecards SET reviewed = TRUE, data = $1 WHERE id = $2 AND NOT reviewed")
                    .bind(to_json(D::NAME, &updated)?)
                    .bind(card.id),
            )
            .await?;
        if done == 0 {
            return Err(Error::Conflict {
                resource: "scorecard",
                reason: "already reviewed".into(),
            });
        }
        let record = ReviewRecord {
            scorecard_id: card.id,
            state: updated.review().clone(),
        };
        tx.exec(
            Sql::new(
                "INSERT INTO review_events (scorecard_id, workspace_id, data) VALUES ($1, $2, $3)",
            )
            .bind(card.id)
            .bind(scope.workspace_id)
            .bind(to_json(D::NAME, &record)?),
        )
        .await?;
        // The dashboards count the call's latest card as reviewed.
        let latest = tx
            .row(
                Sql::new("SELECT id FROM scorecards WHERE call_id = $1 ORDER BY seq DESC LIMIT 1")
                    .bind(updated.call_id),
            )
            .await?;
        if let Some(row) = latest
            && row.id(0)? == updated.id.as_uuid()
        {
            write_summary(&mut tx, &updated).await?;
        }
        tx.commit().await
    }

    async fn review_history(&self, scope: &Scope, id: ScorecardId) -> Result<Vec<ReviewRecord>> {
        self.get_scorecard(scope, id).await?;
        let sql = Sql::new("SELECT data FROM review_events WHERE scorecard_id = $1 ORDER BY id");
        self.docs("review_history", scope, sql.bind(id)).await
    }

    async fn update_call(&self, scope: &Scope, call: &Call) -> Result<()> {
        call.validate()?;
        let mut tx = self.begin("update_call", scope).await?;
        let old = call_for(&mut tx, scope, call.id, Action::UploadCall).await?;
        check_editable(&old, call)?;
        policy::check_new_call(scope, call)?;
        rollup::around(&mut tx, call.id, true).await?;
        // The call's records carry its team (for their visibility rule):
        // the database carries a change over (trigger calls_scope_to_records,
        // migration 0005).
        write_call(&mut tx, call, false).await?;
        rollup::around(&mut tx, call.id, false).await?;
        index(&mut tx, self.hasher(), call).await?;
        tx.commit().await
    }

    async fn aggregate(&self, scope: &Scope, query: &AggregateQuery) -> Result<Vec<AggregateRow>> {
        let mut tx = self.read("aggregate", scope).await?;
        super::aggregate::aggregate(&mut tx, scope, query).await
    }

    async fn find_calls_by_subject(&self, scope: &Scope, subject: &Subject) -> Result<Vec<CallId>> {
        policy::check_workspace(scope, Action::RunDataSubjectRequests)?;
        let h = self.hasher().hash(subject)?;
        let mut q = Sql::new(
            "SELECT c.id FROM subject_index s JOIN calls c ON c.id = s.call_id \
             WHERE s.subject_hash = $1 AND s.workspace_id = $2 AND ",
        )
        .bind(&h[..])
        .bind(scope.workspace_id);
        visibility::push(&mut q, "c", scope);
        q.push(" ORDER BY c.id");
        let mut tx = self.read("find_calls_by_subject", scope).await?;
        call_ids(&tx.rows(q).await?)
    }

    async fn calls_started_before(
        &self,
        scope: &Scope,
        before: DateTime<Utc>,
        after: Option<&StartKey>,
        limit: u32,
    ) -> Result<Vec<StartKey>> {
        let mut q = Sql::new("SELECT c.id, c.started_at FROM calls c WHERE ");
        visibility::push(&mut q, "c", scope);
        q.push(" AND c.started_at < ").push_bind(before);
        if let Some(k) = after {
            // A row value: the (started_at, id) index seeks to it.
            q.push(" AND (c.started_at, c.id) > (")
                .push_bind(k.started_at)
                .push(", ")
                .push_bind(k.id)
                .push(")");
        }
        q.push(" ORDER BY c.started_at, c.id LIMIT ")
            .push_bind(i64::from(limit));
        let mut tx = self.read("calls_started_before", scope).await?;
        tx.rows(q)
            .await?
            .iter()
            .map(|r| {
                Ok(StartKey {
                    id: CallId::from_uuid(r.id(0)?)?,
                    started_at: r.time(1)?,
                })
            })
            .collect()
    }

    async fn anonymize_call(&self, scope: &Scope, id: CallId) -> Result<()> {
        let mut tx = self.begin("anonymize_call", scope).await?;
        let mut c = call_for(&mut tx, scope, id, Action::DeleteCall).await?;
        anonymize::call(&mut c);
        write_call(&mut tx, &c, false).await?;
        for sql in [
            "DELETE FROM subject_index WHERE call_id = $1",
            "DELETE FROM transcripts WHERE call_id = $1",
        ] {
            tx.exec(Sql::new(sql).bind(id)).await?;
        }
        let cards: Vec<Scorecard> = tx
            .docs(Sql::new("SELECT data FROM scorecards WHERE call_id = $1").bind(id))
            .await?;
        for stored in cards {
            let mut card = stored.clone();
            anonymize::scorecard(&mut card);
            write_card_text(&mut tx, &stored, &card).await?;
        }
        tx.commit().await
    }

    async fn reassign_rep(&self, scope: &Scope, from: UserId, to: UserId) -> Result<u32> {
        policy::check_workspace(scope, Action::RunDataSubjectRequests)?;
        let mut tx = self.begin("reassign_rep", scope).await?;
        let member = tx
            .rows(
                Sql::new("SELECT user_id FROM members WHERE workspace_id = $1 AND user_id = $2")
                    .bind(scope.workspace_id)
                    .bind(to),
            )
            .await?;
        policy::check_tombstone(from, to, !member.is_empty())?;
        let mut q =
            Sql::new("SELECT c.data FROM calls c WHERE c.workspace_id = $1 AND c.rep_id = $2 AND ")
                .bind(scope.workspace_id)
                .bind(from);
        visibility::push(&mut q, "c", scope);
        q.push(" ORDER BY c.id");
        q.push(D::FOR_UPDATE);
        let calls: Vec<Call> = tx.docs(q).await?;
        let calls_len =
            u32::try_from(calls.len()).map_err(|_| Error::internal("more calls than u32"))?;
        for mut c in calls {
            // The dashboards move the call's figures from the old rep's
            // rows to the new one's; the records of the call follow its
            // rep (trigger calls_scope_to_records, migration 0005).
            rollup::around(&mut tx, c.id, true).await?;
            c.rep_id = to;
            write_call(&mut tx, &c, false).await?;
            rollup::around(&mut tx, c.id, false).await?;
            index(&mut tx, self.hasher(), &c).await?;
        }
        // The rollup rows the moves emptied would still name the old rep.
        for sql in [
            "DELETE FROM daily_stats WHERE workspace_id = $1 AND rep_id = $2 AND calls = 0",
            "DELETE FROM daily_verdicts WHERE workspace_id = $1 AND rep_id = $2 AND n = 0",
        ] {
            tx.exec(Sql::new(sql).bind(scope.workspace_id).bind(from))
                .await?;
        }
        tx.commit().await?;
        Ok(calls_len)
    }

    async fn update_scorecard_text(&self, scope: &Scope, card: &Scorecard) -> Result<()> {
        let mut tx = self.begin("update_scorecard_text", scope).await?;
        let stored = stored_card(&mut tx, scope, card.id, false).await?;
        call_for(&mut tx, scope, stored.call_id, Action::ViewCall)
            .await
            .map_err(|e| match e {
                Error::NotFound { .. } => Error::not_found("scorecard", card.id),
                other => other,
            })?;
        policy::check_workspace(scope, Action::RunDataSubjectRequests)?;
        anonymize::check_text_only(&stored, card)?;
        write_card_text(&mut tx, &stored, card).await?;
        tx.commit().await
    }

    async fn ingest(&self, scope: &Scope, batch: &[CallBundle]) -> Result<()> {
        self.ingest_batch(scope, batch).await
    }

    async fn advance_call(
        &self,
        scope: &Scope,
        id: CallId,
        steps: &[CallStatus],
        transcript: Option<&Transcript>,
        scorecards: &[Scorecard],
    ) -> Result<Call> {
        self.advance(scope, id, steps, transcript, scorecards).await
    }

    async fn checkpoint_erasure(&self) -> Result<()> {
        D::checkpoint_erasure(self.pool()).await
    }
}

/// Appends `f`'s conditions on the calls aliased `c`.
fn push_filters(q: &mut Sql, f: &CallFilter) {
    let filters: [(&str, Option<Arg>); 9] = [
        (" AND c.rep_id = ", f.rep_id.map(Into::into)),
        (" AND c.team_id = ", f.team_id.map(Into::into)),
        (" AND c.started_at >= ", f.started_from.map(Into::into)),
        (" AND c.started_at < ", f.started_before.map(Into::into)),
        (" AND c.status = ", f.status.as_deref().map(Into::into)),
        (" AND c.outcome = ", f.outcome.map(|o| enum_name(&o).into())),
        (" AND c.latest_score >= ", f.min_score.map(Into::into)),
        (" AND c.latest_score <= ", f.max_score.map(Into::into)),
        (
            " AND c.latest_rubric = ",
            f.rubric.as_ref().map(|r| r.as_str().into()),
        ),
    ];
    for (condition, arg) in filters {
        if let Some(arg) = arg {
            q.push(condition).push_bind(arg);
        }
    }
}

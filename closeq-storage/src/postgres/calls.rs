use async_trait::async_trait;
use chrono::{DateTime, Utc};
use closeq_core::ports::{
    AggregateQuery, AggregateRow, CallFilter, CallStore, GroupBy, Page, PageRequest, ReviewRecord,
};
use closeq_core::{
    Action, Call, CallId, CallStatus, Error, Result, Scope, Scorecard, ScorecardId, Subject,
    Transcript,
};
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use uuid::Uuid;

use super::{BACKEND, PostgresStore, map_err};
use crate::codec::{enum_name, from_json, to_json, verdict_rows};
use crate::memory::{check_editable, with_review};
use crate::{anonymize, cursor, policy};

async fn load_call(conn: &mut PgConnection, id: CallId) -> Result<Call> {
    let row = sqlx::query("SELECT data FROM calls WHERE id = $1")
        .bind(id.as_uuid())
        .fetch_optional(&mut *conn)
        .await
        .map_err(map_err)?
        .ok_or_else(|| Error::not_found("call", id))?;
    from_json(BACKEND, row.get::<&str, _>(0))
}

pub(super) async fn call_for(
    conn: &mut PgConnection,
    scope: &Scope,
    id: CallId,
    action: Action,
) -> Result<Call> {
    let c = load_call(conn, id).await?;
    if c.workspace_id != scope.workspace_id {
        return Err(Error::not_found("call", id));
    }
    policy::check_call(scope, &c, action)?;
    Ok(c)
}

pub(crate) async fn index(
    conn: &mut PgConnection,
    hasher: &crate::SubjectHasher,
    call: &Call,
) -> Result<()> {
    sqlx::query("DELETE FROM subject_index WHERE call_id = $1")
        .bind(call.id.as_uuid())
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    for h in hasher.entries(call) {
        sqlx::query("INSERT INTO subject_index (workspace_id, rep_id, team_id, subject_hash, call_id) VALUES ($1, $4, $5, $2, $3) ON CONFLICT DO NOTHING")
            .bind(call.workspace_id.as_uuid())
            .bind(&h[..])
            .bind(call.id.as_uuid())
            .bind(call.rep_id.as_uuid())
            .bind(call.team_id.map(|t| t.as_uuid()))
            .execute(&mut *conn)
            .await
            .map_err(map_err)?;
    }
    Ok(())
}

pub(crate) async fn write_call(conn: &mut PgConnection, call: &Call, insert: bool) -> Result<()> {
    let sql = if insert {
        "INSERT INTO calls (id, workspace_id, rep_id, team_id, started_at, status, outcome, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    } else {
        "UPDATE calls SET workspace_id = $2, rep_id = $3, team_id = $4, started_at = $5, status = $6, outcome = $7, data = $8 WHERE id = $1"
    };
    sqlx::query(sql)
        .bind(call.id.as_uuid())
        .bind(call.workspace_id.as_uuid())
        .bind(call.rep_id.as_uuid())
        .bind(call.team_id.map(|t| t.as_uuid()))
        .bind(call.started_at)
        .bind(call.status.name())
        .bind(enum_name(&call.outcome))
        .bind(to_json(BACKEND, call)?)
        .execute(&mut *conn)
        .await
        .map_err(|e| match map_err(e) {
            Error::AlreadyExists { .. } => Error::already_exists("call", call.id),
            Error::NotFound { .. } => Error::not_found("workspace", call.workspace_id),
            other => other,
        })?;
    if insert {
        super::rollup::around(conn, call.id, false).await?;
    }
    Ok(())
}

fn parse_ids(rows: &[sqlx::postgres::PgRow]) -> Result<Vec<CallId>> {
    rows.iter()
        .map(|r| CallId::from_uuid(r.get::<Uuid, _>(0)))
        .collect()
}

/// Inserts a scorecard and refreshes the call's summary columns.
pub(crate) async fn write_scorecard(conn: &mut PgConnection, card: &Scorecard) -> Result<()> {
    super::rollup::around(conn, card.call_id, true).await?;
    sqlx::query("INSERT INTO scorecards (id, call_id, workspace_id, rep_id, team_id, seq, reviewed, data) SELECT $1, c.id, $3, c.rep_id, c.team_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM scorecards WHERE call_id = $2), $4, $5 FROM calls c WHERE c.id = $2")
            .bind(card.id.as_uuid())
            .bind(card.call_id.as_uuid())
            .bind(card.workspace_id.as_uuid())
            .bind(card.review().is_reviewed())
            .bind(to_json(BACKEND, card)?)
            .execute(&mut *conn)
            .await
            .map_err(|e| match map_err(e) {
                Error::AlreadyExists { .. } => Error::already_exists("scorecard", card.id),
                other => other,
            })?;
    sqlx::query("UPDATE calls SET latest_score = $1, latest_rubric = $2, latest_talk_ratio = $3 WHERE id = $4")
            .bind(card.score.value())
            .bind(card.provenance.rubric_id.as_str())
            .bind(card.metrics.as_ref().map(|m| m.talk_ratio.rep))
            .bind(card.call_id.as_uuid())
            .execute(&mut *conn)
            .await
            .map_err(map_err)?;
    sqlx::query("DELETE FROM call_verdicts WHERE call_id = $1")
        .bind(card.call_id.as_uuid())
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    for (criterion, value) in verdict_rows(card) {
        sqlx::query("INSERT INTO call_verdicts (call_id, workspace_id, rep_id, team_id, criterion_id, value) SELECT c.id, $2, c.rep_id, c.team_id, $3, $4 FROM calls c WHERE c.id = $1 ON CONFLICT (call_id, criterion_id) DO UPDATE SET value = excluded.value")
                .bind(card.call_id.as_uuid())
                .bind(card.workspace_id.as_uuid())
                .bind(criterion)
                .bind(value)
                .execute(&mut *conn)
                .await
                .map_err(map_err)?;
    }
    super::rollup::around(conn, card.call_id, false).await?;
    Ok(())
}

#[async_trait]
impl CallStore for PostgresStore {
    async fn insert_call(&self, scope: &Scope, call: &Call) -> Result<()> {
        policy::check_new_call(scope, call)?;
        let mut tx = self.begin_scope(scope).await?;
        write_call(&mut tx, call, true).await?;
        index(&mut tx, &self.hasher, call).await?;
        tx.commit().await.map_err(map_err)
    }

    async fn get_call(&self, scope: &Scope, id: CallId) -> Result<Call> {
        let mut tx = self.begin_scope(scope).await?;
        call_for(&mut tx, scope, id, Action::ViewCall).await
    }

    async fn transition_call(&self, scope: &Scope, id: CallId, next: CallStatus) -> Result<Call> {
        let mut tx = self.begin_scope(scope).await?;
        let mut c = call_for(&mut tx, scope, id, Action::UploadCall).await?;
        c.transition(next)?;
        write_call(&mut tx, &c, false).await?;
        tx.commit().await.map_err(map_err)?;
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
        // Row-level security applies the workspace and role rules.
        let mut q = QueryBuilder::<Postgres>::new("SELECT c.data FROM calls c WHERE true");
        if let Some(r) = f.rep_id {
            q.push(" AND c.rep_id = ").push_bind(r.as_uuid());
        }
        if let Some(t) = f.team_id {
            q.push(" AND c.team_id = ").push_bind(t.as_uuid());
        }
        if let Some(t) = f.started_from {
            q.push(" AND c.started_at >= ").push_bind(t);
        }
        if let Some(t) = f.started_before {
            q.push(" AND c.started_at < ").push_bind(t);
        }
        if let Some(s) = &f.status {
            q.push(" AND c.status = ").push_bind(s.clone());
        }
        if let Some(o) = f.outcome {
            q.push(" AND c.outcome = ").push_bind(enum_name(&o));
        }
        if let Some(m) = f.min_score {
            q.push(" AND c.latest_score >= ").push_bind(m);
        }
        if let Some(m) = f.max_score {
            q.push(" AND c.latest_score <= ").push_bind(m);
        }
        if let Some(r) = &f.rubric {
            q.push(" AND c.latest_rubric = ")
                .push_bind(r.as_str().to_owned());
        }
        if let Some((t, id)) = after {
            q.push(" AND (c.started_at, c.id) < (")
                .push_bind(t)
                .push(", ")
                .push_bind(id.as_uuid())
                .push(")");
        }
        q.push(" ORDER BY c.started_at DESC, c.id DESC LIMIT ")
            .push_bind(i64::from(page.limit) + 1);
        let mut tx = self.begin_scope(scope).await?;
        let rows = q.build().fetch_all(&mut *tx).await.map_err(map_err)?;
        let mut items = rows
            .iter()
            .map(|r| from_json::<Call>(BACKEND, r.get::<&str, _>(0)))
            .collect::<Result<Vec<_>>>()?;
        let more = items.len() > page.limit as usize;
        items.truncate(page.limit as usize);
        let next = if more {
            items.last().map(|c| cursor::encode(c.started_at, c.id))
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn delete_call(&self, scope: &Scope, id: CallId) -> Result<()> {
        let mut tx = self.begin_scope(scope).await?;
        match call_for(&mut tx, scope, id, Action::DeleteCall).await {
            Ok(_) => {}
            Err(Error::NotFound { .. }) => return Ok(()),
            Err(e) => return Err(e),
        }
        super::rollup::around(&mut tx, id, true).await?;
        sqlx::query("DELETE FROM calls WHERE id = $1")
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn put_transcript(&self, scope: &Scope, call: CallId, t: &Transcript) -> Result<()> {
        t.validate()?;
        let mut tx = self.begin_scope(scope).await?;
        call_for(&mut tx, scope, call, Action::UploadCall).await?;
        sqlx::query("INSERT INTO transcripts (call_id, workspace_id, rep_id, team_id, data) SELECT c.id, $2, c.rep_id, c.team_id, $3 FROM calls c WHERE c.id = $1 ON CONFLICT (call_id) DO UPDATE SET data = excluded.data")
            .bind(call.as_uuid())
            .bind(scope.workspace_id.as_uuid())
            .bind(to_json(BACKEND, t)?)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn get_transcript(&self, scope: &Scope, call: CallId) -> Result<Transcript> {
        let mut tx = self.begin_scope(scope).await?;
        call_for(&mut tx, scope, call, Action::ViewCall).await?;
        let row = sqlx::query("SELECT data FROM transcripts WHERE call_id = $1")
            .bind(call.as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::not_found("transcript", call))?;
        from_json(BACKEND, row.get::<&str, _>(0))
    }

    async fn insert_scorecard(&self, scope: &Scope, card: &Scorecard) -> Result<()> {
        if card.workspace_id != scope.workspace_id {
            return Err(Error::invalid(
                "workspace_id",
                "does not match the call's workspace",
            ));
        }
        let mut tx = self.begin_scope(scope).await?;
        call_for(&mut tx, scope, card.call_id, Action::ViewScorecard).await?;
        write_scorecard(&mut tx, card).await?;
        tx.commit().await.map_err(map_err)
    }

    async fn get_scorecard(&self, scope: &Scope, id: ScorecardId) -> Result<Scorecard> {
        let mut tx = self.begin_scope(scope).await?;
        let row = sqlx::query("SELECT data FROM scorecards WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::not_found("scorecard", id))?;
        let card: Scorecard = from_json(BACKEND, row.get::<&str, _>(0))?;
        call_for(&mut tx, scope, card.call_id, Action::ViewScorecard)
            .await
            .map_err(|_| Error::not_found("scorecard", id))?;
        Ok(card)
    }

    async fn list_scorecards(&self, scope: &Scope, call: CallId) -> Result<Vec<Scorecard>> {
        let mut tx = self.begin_scope(scope).await?;
        call_for(&mut tx, scope, call, Action::ViewScorecard).await?;
        let rows = sqlx::query("SELECT data FROM scorecards WHERE call_id = $1 ORDER BY seq")
            .bind(call.as_uuid())
            .fetch_all(&mut *tx)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| from_json(BACKEND, r.get::<&str, _>(0)))
            .collect()
    }

    async fn save_review(&self, scope: &Scope, card: &Scorecard) -> Result<()> {
        if !card.review().is_reviewed() {
            return Err(Error::invalid("review", "the scorecard carries no review"));
        }
        let mut tx = self.begin_scope(scope).await?;
        let row = sqlx::query("SELECT data FROM scorecards WHERE id = $1 FOR UPDATE")
            .bind(card.id.as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::not_found("scorecard", card.id))?;
        let stored: Scorecard = from_json(BACKEND, row.get::<&str, _>(0))?;
        call_for(&mut tx, scope, stored.call_id, Action::ReviewScorecard).await?;
        let updated = with_review(stored, card);
        let done = sqlx::query(
            "UPDATE scorecards SET reviewed = true, data = $1 WHERE id = $2 AND NOT reviewed",
        )
        .bind(to_json(BACKEND, &updated)?)
        .bind(card.id.as_uuid())
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(Error::Conflict {
                resource: "scorecard",
                reason: "already reviewed".into(),
            });
        }
        let record = ReviewRecord {
            scorecard_id: card.id,
            state: card.review().clone(),
        };
        sqlx::query(
            "INSERT INTO review_events (scorecard_id, workspace_id, data) VALUES ($1, $2, $3)",
        )
        .bind(card.id.as_uuid())
        .bind(scope.workspace_id.as_uuid())
        .bind(to_json(BACKEND, &record)?)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn review_history(&self, scope: &Scope, id: ScorecardId) -> Result<Vec<ReviewRecord>> {
        self.get_scorecard(scope, id).await?;
        let mut tx = self.begin_scope(scope).await?;
        let rows =
            sqlx::query("SELECT data FROM review_events WHERE scorecard_id = $1 ORDER BY id")
                .bind(id.as_uuid())
                .fetch_all(&mut *tx)
                .await
                .map_err(map_err)?;
        rows.iter()
            .map(|r| from_json(BACKEND, r.get::<&str, _>(0)))
            .collect()
    }

    async fn update_call(&self, scope: &Scope, call: &Call) -> Result<()> {
        call.validate()?;
        let mut tx = self.begin_scope(scope).await?;
        let old = call_for(&mut tx, scope, call.id, Action::UploadCall).await?;
        check_editable(&old, call)?;
        policy::check_new_call(scope, call)?;
        super::rollup::around(&mut tx, call.id, true).await?;
        write_call(&mut tx, call, false).await?;
        if old.team_id != call.team_id {
            for table in [
                "transcripts",
                "scorecards",
                "call_verdicts",
                "subject_index",
            ] {
                sqlx::query(&format!(
                    "UPDATE {table} SET team_id = $1 WHERE call_id = $2"
                ))
                .bind(call.team_id.map(|t| t.as_uuid()))
                .bind(call.id.as_uuid())
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            }
        }
        super::rollup::around(&mut tx, call.id, false).await?;
        index(&mut tx, &self.hasher, call).await?;
        tx.commit().await.map_err(map_err)
    }

    async fn aggregate(&self, scope: &Scope, query: &AggregateQuery) -> Result<Vec<AggregateRow>> {
        use std::collections::BTreeMap;

        use crate::rollup::{Sums, split};
        let key = match query.group_by {
            GroupBy::Rep => "c.rep_id",
            GroupBy::Team => "NULLIF(c.team_id, '00000000-0000-0000-0000-000000000000'::uuid)",
        };
        let raw_key = match query.group_by {
            GroupBy::Rep => "c.rep_id",
            GroupBy::Team => "c.team_id",
        };
        let mut groups: BTreeMap<Option<String>, Sums> = BTreeMap::new();
        let parts = split(query.from, query.to);
        // Row-level security applies the workspace and role rules.
        let mut tx = self.begin_scope(scope).await?;
        if parts.days.0 < parts.days.1 {
            let rows = sqlx::query(&format!(
                "SELECT {key}::text, SUM(c.calls)::bigint, SUM(c.scored)::bigint, SUM(c.score_sum), SUM(c.talk_sum), SUM(c.talk_n)::bigint \
                 FROM daily_stats c WHERE c.day >= $1 AND c.day < $2 GROUP BY 1"
            ))
            .bind(parts.days.0 as i32)
            .bind(parts.days.1 as i32)
            .fetch_all(&mut *tx)
            .await
            .map_err(map_err)?;
            for r in rows {
                groups.entry(r.get(0)).or_default().add(&Sums {
                    calls: r.get(1),
                    scored: r.get(2),
                    score_sum: r.get(3),
                    talk_sum: r.get(4),
                    talk_n: r.get(5),
                    ..Sums::default()
                });
            }
            let rows = sqlx::query(&format!(
                "SELECT {key}::text, c.criterion_id, SUM(c.value_sum), SUM(c.n)::bigint FROM daily_verdicts c \
                 WHERE c.day >= $1 AND c.day < $2 GROUP BY 1, 2"
            ))
            .bind(parts.days.0 as i32)
            .bind(parts.days.1 as i32)
            .fetch_all(&mut *tx)
            .await
            .map_err(map_err)?;
            for r in rows {
                let e = groups
                    .entry(r.get(0))
                    .or_default()
                    .verdicts
                    .entry(r.get(1))
                    .or_default();
                e.0 += r.get::<f64, _>(2);
                e.1 += r.get::<i64, _>(3);
            }
        }
        for (from, to) in [parts.head, parts.tail].into_iter().flatten() {
            let rows = sqlx::query(&format!(
                "SELECT {raw_key}::text, COUNT(*), COUNT(c.latest_score), COALESCE(SUM(c.latest_score), 0), \
                 COALESCE(SUM(c.latest_talk_ratio), 0), COUNT(c.latest_talk_ratio) FROM calls c \
                 WHERE c.started_at >= $1 AND c.started_at < $2 GROUP BY 1"
            ))
            .bind(from)
            .bind(to)
            .fetch_all(&mut *tx)
            .await
            .map_err(map_err)?;
            for r in rows {
                groups.entry(r.get(0)).or_default().add(&Sums {
                    calls: r.get(1),
                    scored: r.get(2),
                    score_sum: r.get(3),
                    talk_sum: r.get(4),
                    talk_n: r.get(5),
                    ..Sums::default()
                });
            }
            let rows = sqlx::query(&format!(
                "SELECT {raw_key}::text, v.criterion_id, SUM(v.value), COUNT(*) FROM calls c JOIN call_verdicts v ON v.call_id = c.id \
                 WHERE c.started_at >= $1 AND c.started_at < $2 GROUP BY 1, 2"
            ))
            .bind(from)
            .bind(to)
            .fetch_all(&mut *tx)
            .await
            .map_err(map_err)?;
            for r in rows {
                let e = groups
                    .entry(r.get(0))
                    .or_default()
                    .verdicts
                    .entry(r.get(1))
                    .or_default();
                e.0 += r.get::<f64, _>(2);
                e.1 += r.get::<i64, _>(3);
            }
        }
        Ok(crate::rollup::rows(groups))
    }

    async fn find_calls_by_subject(&self, scope: &Scope, subject: &Subject) -> Result<Vec<CallId>> {
        policy::check_workspace(scope, Action::RunDataSubjectRequests)?;
        let h = self.hasher.hash(subject)?;
        let mut tx = self.begin_scope(scope).await?;
        let rows = sqlx::query("SELECT c.id FROM subject_index s JOIN calls c ON c.id = s.call_id WHERE s.subject_hash = $1 ORDER BY c.id")
            .bind(&h[..])
            .fetch_all(&mut *tx)
            .await
            .map_err(map_err)?;
        parse_ids(&rows)
    }

    async fn calls_started_before(
        &self,
        scope: &Scope,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<CallId>> {
        let mut tx = self.begin_scope(scope).await?;
        let rows = sqlx::query(
            "SELECT id FROM calls WHERE started_at < $1 ORDER BY started_at, id LIMIT $2",
        )
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err)?;
        parse_ids(&rows)
    }

    async fn anonymize_call(&self, scope: &Scope, id: CallId) -> Result<()> {
        let mut tx = self.begin_scope(scope).await?;
        let mut c = call_for(&mut tx, scope, id, Action::DeleteCall).await?;
        anonymize::call(&mut c);
        write_call(&mut tx, &c, false).await?;
        sqlx::query("DELETE FROM subject_index WHERE call_id = $1")
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query("DELETE FROM transcripts WHERE call_id = $1")
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let rows = sqlx::query("SELECT id, data FROM scorecards WHERE call_id = $1")
            .bind(id.as_uuid())
            .fetch_all(&mut *tx)
            .await
            .map_err(map_err)?;
        for r in rows {
            let mut card: Scorecard = from_json(BACKEND, r.get::<&str, _>(1))?;
            anonymize::scorecard(&mut card);
            write_card_text(&mut tx, &card).await?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn update_scorecard_text(&self, scope: &Scope, card: &Scorecard) -> Result<()> {
        let mut tx = self.begin_scope(scope).await?;
        let row = sqlx::query("SELECT data FROM scorecards WHERE id = $1")
            .bind(card.id.as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::not_found("scorecard", card.id))?;
        let stored: Scorecard = from_json(BACKEND, row.get::<&str, _>(0))?;
        if stored.workspace_id != scope.workspace_id {
            return Err(Error::not_found("scorecard", card.id));
        }
        call_for(&mut tx, scope, stored.call_id, Action::UploadCall)
            .await
            .map_err(|e| match e {
                Error::NotFound { .. } => Error::not_found("scorecard", card.id),
                other => other,
            })?;
        anonymize::check_text_only(&stored, card)?;
        write_card_text(&mut tx, card).await?;
        tx.commit().await.map_err(map_err)
    }
}

/// Writes a scorecard whose free text changed, and its review events.
async fn write_card_text(conn: &mut PgConnection, card: &Scorecard) -> Result<()> {
    sqlx::query("UPDATE scorecards SET data = $1 WHERE id = $2")
        .bind(to_json(BACKEND, card)?)
        .bind(card.id.as_uuid())
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    sqlx::query("UPDATE review_events SET data = $1 WHERE scorecard_id = $2")
        .bind(to_json(BACKEND, &anonymize::review_record(card))?)
        .bind(card.id.as_uuid())
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    Ok(())
}

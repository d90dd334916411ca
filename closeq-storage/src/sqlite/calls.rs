use async_trait::async_trait;
use chrono::{DateTime, Utc};
use closeq_core::ports::{
    AggregateQuery, AggregateRow, CallFilter, CallStore, GroupBy, Page, PageRequest, ReviewRecord,
};
use closeq_core::{
    Action, Call, CallId, CallStatus, Error, Result, Role, Scope, Scorecard, ScorecardId, Subject,
    Transcript,
};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use super::{BACKEND, SqliteStore, map_err};
use crate::codec::{enum_name, from_json, to_json, verdict_rows};
use crate::memory::{check_editable, with_review};
use crate::{anonymize, cursor, policy};

/// Appends the scope's visibility rule for `calls` (aliased `c`).
fn push_visibility(q: &mut QueryBuilder<'_, Sqlite>, scope: &Scope) {
    q.push("c.workspace_id = ")
        .push_bind(scope.workspace_id.to_string());
    match scope.role {
        Role::Owner | Role::Admin => {}
        Role::Manager => {
            q.push(" AND (c.rep_id = ")
                .push_bind(scope.user_id.to_string());
            if !scope.team_ids.is_empty() {
                q.push(" OR c.team_id IN (");
                let mut sep = q.separated(", ");
                for t in &scope.team_ids {
                    sep.push_bind(t.to_string());
                }
                q.push(")");
            }
            q.push(")");
        }
        Role::Member => {
            q.push(" AND c.rep_id = ")
                .push_bind(scope.user_id.to_string());
        }
    }
}

fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

async fn load_call(conn: &mut SqliteConnection, scope: &Scope, id: CallId) -> Result<Call> {
    let row = sqlx::query("SELECT data FROM calls WHERE id = ? AND workspace_id = ?")
        .bind(id.to_string())
        .bind(scope.workspace_id.to_string())
        .fetch_optional(&mut *conn)
        .await
        .map_err(map_err)?
        .ok_or_else(|| Error::not_found("call", id))?;
    from_json(BACKEND, row.get::<&str, _>(0))
}

pub(super) async fn call_for(
    conn: &mut SqliteConnection,
    scope: &Scope,
    id: CallId,
    action: Action,
) -> Result<Call> {
    let c = load_call(conn, scope, id).await?;
    policy::check_call(scope, &c, action)?;
    Ok(c)
}

pub(crate) async fn index(
    conn: &mut SqliteConnection,
    hasher: &crate::SubjectHasher,
    call: &Call,
) -> Result<()> {
    sqlx::query("DELETE FROM subject_index WHERE call_id = ?")
        .bind(call.id.to_string())
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    for h in hasher.entries(call) {
        sqlx::query("INSERT OR IGNORE INTO subject_index (workspace_id, subject_hash, call_id) VALUES (?, ?, ?)")
            .bind(call.workspace_id.to_string())
            .bind(&h[..])
            .bind(call.id.to_string())
            .execute(&mut *conn)
            .await
            .map_err(map_err)?;
    }
    Ok(())
}

pub(crate) async fn write_call(
    conn: &mut SqliteConnection,
    call: &Call,
    insert: bool,
) -> Result<()> {
    let sql = if insert {
        "INSERT INTO calls (id, workspace_id, rep_id, team_id, started_at, status, outcome, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    } else {
        "UPDATE calls SET workspace_id = ?2, rep_id = ?3, team_id = ?4, started_at = ?5, status = ?6, outcome = ?7, data = ?8 WHERE id = ?1"
    };
    sqlx::query(sql)
        .bind(call.id.to_string())
        .bind(call.workspace_id.to_string())
        .bind(call.rep_id.to_string())
        .bind(call.team_id.map(|t| t.to_string()))
        .bind(micros(call.started_at))
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

impl SqliteStore {
    async fn begin(&self) -> Result<sqlx::Transaction<'_, Sqlite>> {
        self.pool.begin().await.map_err(map_err)
    }
}

/// Inserts a scorecard and refreshes the call's summary columns.
pub(crate) async fn write_scorecard(conn: &mut SqliteConnection, card: &Scorecard) -> Result<()> {
    super::rollup::around(conn, card.call_id, true).await?;
    sqlx::query("INSERT INTO scorecards (id, call_id, workspace_id, seq, reviewed, data) VALUES (?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM scorecards WHERE call_id = ?), ?, ?)")
            .bind(card.id.to_string())
            .bind(card.call_id.to_string())
            .bind(card.workspace_id.to_string())
            .bind(card.call_id.to_string())
            .bind(card.review().is_reviewed())
            .bind(to_json(BACKEND, card)?)
            .execute(&mut *conn)
            .await
            .map_err(|e| match map_err(e) {
                Error::AlreadyExists { .. } => Error::already_exists("scorecard", card.id),
                other => other,
            })?;
    sqlx::query(
        "UPDATE calls SET latest_score = ?, latest_rubric = ?, latest_talk_ratio = ? WHERE id = ?",
    )
    .bind(card.score.value())
    .bind(card.provenance.rubric_id.as_str())
    .bind(card.metrics.as_ref().map(|m| m.talk_ratio.rep))
    .bind(card.call_id.to_string())
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    sqlx::query("DELETE FROM call_verdicts WHERE call_id = ?")
        .bind(card.call_id.to_string())
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    for (criterion, value) in verdict_rows(card) {
        sqlx::query(
            "INSERT OR REPLACE INTO call_verdicts (call_id, criterion_id, value) VALUES (?, ?, ?)",
        )
        .bind(card.call_id.to_string())
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
impl CallStore for SqliteStore {
    async fn insert_call(&self, scope: &Scope, call: &Call) -> Result<()> {
        policy::check_new_call(scope, call)?;
        let mut tx = self.begin().await?;
        write_call(&mut tx, call, true).await?;
        index(&mut tx, &self.hasher, call).await?;
        tx.commit().await.map_err(map_err)
    }

    async fn get_call(&self, scope: &Scope, id: CallId) -> Result<Call> {
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        call_for(&mut conn, scope, id, Action::ViewCall).await
    }

    async fn transition_call(&self, scope: &Scope, id: CallId, next: CallStatus) -> Result<Call> {
        let mut tx = self.begin().await?;
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
        let mut q = QueryBuilder::<Sqlite>::new("SELECT c.data FROM calls c WHERE ");
        push_visibility(&mut q, scope);
        if let Some(r) = f.rep_id {
            q.push(" AND c.rep_id = ").push_bind(r.to_string());
        }
        if let Some(t) = f.team_id {
            q.push(" AND c.team_id = ").push_bind(t.to_string());
        }
        if let Some(t) = f.started_from {
            q.push(" AND c.started_at >= ").push_bind(micros(t));
        }
        if let Some(t) = f.started_before {
            q.push(" AND c.started_at < ").push_bind(micros(t));
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
            q.push(" AND (c.started_at < ").push_bind(micros(t));
            q.push(" OR (c.started_at = ").push_bind(micros(t));
            q.push(" AND c.id < ").push_bind(id.to_string()).push("))");
        }
        q.push(" ORDER BY c.started_at DESC, c.id DESC LIMIT ")
            .push_bind(i64::from(page.limit) + 1);
        let rows = q.build().fetch_all(&self.pool).await.map_err(map_err)?;
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
        let mut tx = self.begin().await?;
        match call_for(&mut tx, scope, id, Action::DeleteCall).await {
            Ok(_) => {}
            Err(Error::NotFound { .. }) => return Ok(()),
            Err(e) => return Err(e),
        }
        super::rollup::around(&mut tx, id, true).await?;
        sqlx::query("DELETE FROM calls WHERE id = ?")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn put_transcript(&self, scope: &Scope, call: CallId, t: &Transcript) -> Result<()> {
        t.validate()?;
        let mut tx = self.begin().await?;
        call_for(&mut tx, scope, call, Action::UploadCall).await?;
        sqlx::query("INSERT INTO transcripts (call_id, workspace_id, data) VALUES (?, ?, ?) ON CONFLICT (call_id) DO UPDATE SET data = excluded.data")
            .bind(call.to_string())
            .bind(scope.workspace_id.to_string())
            .bind(to_json(BACKEND, t)?)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn get_transcript(&self, scope: &Scope, call: CallId) -> Result<Transcript> {
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        call_for(&mut conn, scope, call, Action::ViewCall).await?;
        let row = sqlx::query("SELECT data FROM transcripts WHERE call_id = ?")
            .bind(call.to_string())
            .fetch_optional(&mut *conn)
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
        let mut tx = self.begin().await?;
        call_for(&mut tx, scope, card.call_id, Action::ViewScorecard).await?;
        write_scorecard(&mut tx, card).await?;
        tx.commit().await.map_err(map_err)
    }

    async fn get_scorecard(&self, scope: &Scope, id: ScorecardId) -> Result<Scorecard> {
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        let row = sqlx::query("SELECT data FROM scorecards WHERE id = ? AND workspace_id = ?")
            .bind(id.to_string())
            .bind(scope.workspace_id.to_string())
            .fetch_optional(&mut *conn)
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::not_found("scorecard", id))?;
        let card: Scorecard = from_json(BACKEND, row.get::<&str, _>(0))?;
        call_for(&mut conn, scope, card.call_id, Action::ViewScorecard)
            .await
            .map_err(|_| Error::not_found("scorecard", id))?;
        Ok(card)
    }

    async fn list_scorecards(&self, scope: &Scope, call: CallId) -> Result<Vec<Scorecard>> {
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        call_for(&mut conn, scope, call, Action::ViewScorecard).await?;
        let rows = sqlx::query("SELECT data FROM scorecards WHERE call_id = ? ORDER BY seq")
            .bind(call.to_string())
            .fetch_all(&mut *conn)
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
        let mut tx = self.begin().await?;
        let row = sqlx::query("SELECT data FROM scorecards WHERE id = ? AND workspace_id = ?")
            .bind(card.id.to_string())
            .bind(scope.workspace_id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::not_found("scorecard", card.id))?;
        let stored: Scorecard = from_json(BACKEND, row.get::<&str, _>(0))?;
        call_for(&mut tx, scope, stored.call_id, Action::ReviewScorecard).await?;
        let updated = with_review(stored, card);
        let done = sqlx::query(
            "UPDATE scorecards SET reviewed = 1, data = ? WHERE id = ? AND reviewed = 0",
        )
        .bind(to_json(BACKEND, &updated)?)
        .bind(card.id.to_string())
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
            "INSERT INTO review_events (scorecard_id, workspace_id, data) VALUES (?, ?, ?)",
        )
        .bind(card.id.to_string())
        .bind(scope.workspace_id.to_string())
        .bind(to_json(BACKEND, &record)?)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn review_history(&self, scope: &Scope, id: ScorecardId) -> Result<Vec<ReviewRecord>> {
        self.get_scorecard(scope, id).await?;
        let rows = sqlx::query("SELECT data FROM review_events WHERE scorecard_id = ? ORDER BY id")
            .bind(id.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| from_json(BACKEND, r.get::<&str, _>(0)))
            .collect()
    }

    async fn update_call(&self, scope: &Scope, call: &Call) -> Result<()> {
        call.validate()?;
        let mut tx = self.begin().await?;
        let old = call_for(&mut tx, scope, call.id, Action::UploadCall).await?;
        check_editable(&old, call)?;
        policy::check_new_call(scope, call)?;
        super::rollup::around(&mut tx, call.id, true).await?;
        write_call(&mut tx, call, false).await?;
        super::rollup::around(&mut tx, call.id, false).await?;
        index(&mut tx, &self.hasher, call).await?;
        tx.commit().await.map_err(map_err)
    }

    async fn aggregate(&self, scope: &Scope, query: &AggregateQuery) -> Result<Vec<AggregateRow>> {
        use std::collections::BTreeMap;

        use crate::rollup::{Sums, split};
        let team_key = |t: Option<String>| t.filter(|s| !s.is_empty());
        let (key, rkey) = match query.group_by {
            GroupBy::Rep => ("c.rep_id", "c.rep_id"),
            GroupBy::Team => ("c.team_id", "c.team_id"),
        };
        let mut groups: BTreeMap<Option<String>, Sums> = BTreeMap::new();
        let parts = split(query.from, query.to);
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        // Whole days from the rollups (aliased `c` so the visibility rule applies).
        if parts.days.0 < parts.days.1 {
            let mut q = QueryBuilder::<Sqlite>::new(format!(
                "SELECT {rkey}, SUM(c.calls), SUM(c.scored), SUM(c.score_sum), SUM(c.talk_sum), SUM(c.talk_n) FROM daily_stats c WHERE "
            ));
            push_visibility(&mut q, scope);
            q.push(" AND c.day >= ")
                .push_bind(parts.days.0)
                .push(" AND c.day < ")
                .push_bind(parts.days.1);
            q.push(format!(" GROUP BY {rkey}"));
            for r in q.build().fetch_all(&mut *conn).await.map_err(map_err)? {
                let g = groups.entry(team_key(r.get(0))).or_default();
                g.add(&Sums {
                    calls: r.get(1),
                    scored: r.get(2),
                    score_sum: r.get(3),
                    talk_sum: r.get(4),
                    talk_n: r.get(5),
                    ..Sums::default()
                });
            }
            let mut q = QueryBuilder::<Sqlite>::new(format!(
                "SELECT {rkey}, c.criterion_id, SUM(c.value_sum), SUM(c.n) FROM daily_verdicts c WHERE "
            ));
            push_visibility(&mut q, scope);
            q.push(" AND c.day >= ")
                .push_bind(parts.days.0)
                .push(" AND c.day < ")
                .push_bind(parts.days.1);
            q.push(format!(" GROUP BY {rkey}, c.criterion_id"));
            for r in q.build().fetch_all(&mut *conn).await.map_err(map_err)? {
                let g = groups.entry(team_key(r.get(0))).or_default();
                let e = g.verdicts.entry(r.get(1)).or_default();
                e.0 += r.get::<f64, _>(2);
                e.1 += r.get::<i64, _>(3);
            }
        }
        // Partial days from the calls themselves.
        for (from, to) in [parts.head, parts.tail].into_iter().flatten() {
            let mut q = QueryBuilder::<Sqlite>::new(format!(
                "SELECT {key}, COUNT(*), COUNT(c.latest_score), TOTAL(c.latest_score), TOTAL(c.latest_talk_ratio), COUNT(c.latest_talk_ratio) FROM calls c WHERE "
            ));
            push_visibility(&mut q, scope);
            q.push(" AND c.started_at >= ").push_bind(micros(from));
            q.push(" AND c.started_at < ").push_bind(micros(to));
            q.push(format!(" GROUP BY {key}"));
            for r in q.build().fetch_all(&mut *conn).await.map_err(map_err)? {
                let g = groups.entry(team_key(r.get(0))).or_default();
                g.add(&Sums {
                    calls: r.get(1),
                    scored: r.get(2),
                    score_sum: r.get(3),
                    talk_sum: r.get(4),
                    talk_n: r.get(5),
                    ..Sums::default()
                });
            }
            let mut q = QueryBuilder::<Sqlite>::new(format!(
                "SELECT {key}, v.criterion_id, TOTAL(v.value), COUNT(*) FROM calls c JOIN call_verdicts v ON v.call_id = c.id WHERE "
            ));
            push_visibility(&mut q, scope);
            q.push(" AND c.started_at >= ").push_bind(micros(from));
            q.push(" AND c.started_at < ").push_bind(micros(to));
            q.push(format!(" GROUP BY {key}, v.criterion_id"));
            for r in q.build().fetch_all(&mut *conn).await.map_err(map_err)? {
                let g = groups.entry(team_key(r.get(0))).or_default();
                let e = g.verdicts.entry(r.get(1)).or_default();
                e.0 += r.get::<f64, _>(2);
                e.1 += r.get::<i64, _>(3);
            }
        }
        Ok(crate::rollup::rows(groups))
    }

    async fn find_calls_by_subject(&self, scope: &Scope, subject: &Subject) -> Result<Vec<CallId>> {
        policy::check_workspace(scope, Action::RunDataSubjectRequests)?;
        let h = self.hasher.hash(subject)?;
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT c.id FROM subject_index s JOIN calls c ON c.id = s.call_id WHERE s.subject_hash = ",
        );
        q.push_bind(h.to_vec())
            .push(" AND s.workspace_id = ")
            .push_bind(scope.workspace_id.to_string())
            .push(" AND ");
        push_visibility(&mut q, scope);
        q.push(" ORDER BY c.id");
        let rows = q.build().fetch_all(&self.pool).await.map_err(map_err)?;
        rows.iter().map(|r| r.get::<&str, _>(0).parse()).collect()
    }

    async fn calls_started_before(
        &self,
        scope: &Scope,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<CallId>> {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT c.id FROM calls c WHERE ");
        push_visibility(&mut q, scope);
        q.push(" AND c.started_at < ").push_bind(micros(before));
        q.push(" ORDER BY c.started_at, c.id LIMIT ")
            .push_bind(i64::from(limit));
        let rows = q.build().fetch_all(&self.pool).await.map_err(map_err)?;
        rows.iter().map(|r| r.get::<&str, _>(0).parse()).collect()
    }

    async fn anonymize_call(&self, scope: &Scope, id: CallId) -> Result<()> {
        let mut tx = self.begin().await?;
        let mut c = call_for(&mut tx, scope, id, Action::DeleteCall).await?;
        anonymize::call(&mut c);
        write_call(&mut tx, &c, false).await?;
        sqlx::query("DELETE FROM subject_index WHERE call_id = ?")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query("DELETE FROM transcripts WHERE call_id = ?")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let rows = sqlx::query("SELECT id, data FROM scorecards WHERE call_id = ?")
            .bind(id.to_string())
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
        let mut tx = self.begin().await?;
        let row = sqlx::query("SELECT data FROM scorecards WHERE id = ?")
            .bind(card.id.to_string())
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
async fn write_card_text(conn: &mut SqliteConnection, card: &Scorecard) -> Result<()> {
    sqlx::query("UPDATE scorecards SET data = ? WHERE id = ?")
        .bind(to_json(BACKEND, card)?)
        .bind(card.id.to_string())
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    sqlx::query("UPDATE review_events SET data = ? WHERE scorecard_id = ?")
        .bind(to_json(BACKEND, &anonymize::review_record(card))?)
        .bind(card.id.to_string())
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    Ok(())
}

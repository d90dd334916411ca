//! Batch ingest: many calls with their transcripts and scorecards in one
//! transaction (all or nothing), with the rollups updated once per
//! (day, rep, team) group instead of once per call.

use std::collections::BTreeMap;

use closeq_core::{Call, ConsentRecord, Error, Result, Scope, Scorecard, Transcript};

use crate::rollup::{Sums, day};

/// A call with what was produced for it.
#[derive(Debug, Clone)]
pub struct CallBundle {
    /// The call.
    pub call: Call,
    /// Its transcript.
    pub transcript: Option<Transcript>,
    /// Its scorecard.
    pub scorecard: Option<Scorecard>,
    /// Its recording-consent record.
    pub consent: Option<ConsentRecord>,
}

/// Checks a bundle before anything is written.
pub(crate) fn check(scope: &Scope, b: &CallBundle) -> Result<()> {
    crate::policy::check_new_call(scope, &b.call)?;
    if let Some(t) = &b.transcript {
        t.validate()?;
    }
    if let Some(s) = &b.scorecard
        && (s.call_id != b.call.id || s.workspace_id != b.call.workspace_id)
    {
        return Err(Error::invalid(
            "scorecard.call_id",
            "does not belong to the bundle's call",
        ));
    }
    if b.consent.as_ref().is_some_and(|c| c.call_id != b.call.id) {
        return Err(Error::invalid(
            "consent.call_id",
            "does not belong to the bundle's call",
        ));
    }
    Ok(())
}

/// Rollup key: (workspace, day, rep, team).
type Key = (String, i64, String, Option<String>);

/// The batch's rollup contributions, grouped.
fn contributions(batch: &[CallBundle]) -> BTreeMap<Key, Sums> {
    let mut out: BTreeMap<Key, Sums> = BTreeMap::new();
    for b in batch {
        let c = &b.call;
        let s = out
            .entry((
                c.workspace_id.to_string(),
                day(c.started_at),
                c.rep_id.to_string(),
                c.team_id.map(|t| t.to_string()),
            ))
            .or_default();
        let mut one = Sums {
            calls: 1,
            ..Sums::default()
        };
        if let Some(card) = &b.scorecard {
            one.scored = 1;
            one.score_sum = card.score.value();
            if let Some(m) = &card.metrics {
                one.talk_sum = m.talk_ratio.rep;
                one.talk_n = 1;
            }
            for (k, v) in crate::codec::verdict_rows(card) {
                one.verdicts.insert(k, (v, 1));
            }
        }
        s.add(&one);
    }
    out
}

#[cfg(feature = "store-sqlite")]
impl crate::SqliteStore {
    /// Ingests a batch in one transaction: every bundle is checked first,
    /// then all are written, or none.
    pub async fn ingest(&self, scope: &Scope, batch: &[CallBundle]) -> Result<()> {
        use crate::codec::{enum_name, to_json, verdict_rows};
        use crate::sqlite::{BACKEND, map_err};
        for b in batch {
            check(scope, b)?;
        }
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        for b in batch {
            let c = &b.call;
            let card = b.scorecard.as_ref();
            sqlx::query("INSERT INTO calls (id, workspace_id, rep_id, team_id, started_at, status, outcome, latest_score, latest_rubric, latest_talk_ratio, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .bind(c.id.to_string())
                .bind(c.workspace_id.to_string())
                .bind(c.rep_id.to_string())
                .bind(c.team_id.map(|t| t.to_string()))
                .bind(c.started_at.timestamp_micros())
                .bind(c.status.name())
                .bind(enum_name(&c.outcome))
                .bind(card.map(|s| s.score.value()))
                .bind(card.map(|s| s.provenance.rubric_id.as_str().to_owned()))
                .bind(card.and_then(|s| s.metrics.as_ref()).map(|m| m.talk_ratio.rep))
                .bind(to_json(BACKEND, c)?)
                .execute(&mut *tx)
                .await
                .map_err(|e| match map_err(e) {
                    Error::AlreadyExists { .. } => Error::already_exists("call", c.id),
                    other => other,
                })?;
            for h in self.hasher().entries(c) {
                sqlx::query("INSERT OR IGNORE INTO subject_index (workspace_id, subject_hash, call_id) VALUES (?, ?, ?)")
                    .bind(c.workspace_id.to_string())
                    .bind(&h[..])
                    .bind(c.id.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
            }
            if let Some(t) = &b.transcript {
                sqlx::query(
                    "INSERT INTO transcripts (call_id, workspace_id, data) VALUES (?, ?, ?)",
                )
                .bind(c.id.to_string())
                .bind(c.workspace_id.to_string())
                .bind(to_json(BACKEND, t)?)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            }
            if let Some(consent) = &b.consent {
                sqlx::query(
                    "INSERT INTO call_consents (call_id, workspace_id, data) VALUES (?, ?, ?)",
                )
                .bind(c.id.to_string())
                .bind(c.workspace_id.to_string())
                .bind(to_json(BACKEND, consent)?)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            }
            if let Some(s) = card {
                sqlx::query("INSERT INTO scorecards (id, call_id, workspace_id, seq, reviewed, data) VALUES (?, ?, ?, 1, ?, ?)")
                    .bind(s.id.to_string())
                    .bind(c.id.to_string())
                    .bind(c.workspace_id.to_string())
                    .bind(s.review().is_reviewed())
                    .bind(to_json(BACKEND, s)?)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                for (criterion, value) in verdict_rows(s) {
                    sqlx::query(
                        "INSERT INTO call_verdicts (call_id, criterion_id, value) VALUES (?, ?, ?)",
                    )
                    .bind(c.id.to_string())
                    .bind(criterion)
                    .bind(value)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                }
            }
        }
        for ((ws, d, rep, team), sums) in contributions(batch) {
            crate::sqlite::rollup::apply_sums(
                &mut tx,
                &ws,
                d,
                &rep,
                &team.unwrap_or_default(),
                &sums,
                1,
            )
            .await?;
        }
        tx.commit().await.map_err(map_err)
    }
}

#[cfg(feature = "store-postgres")]
impl crate::PostgresStore {
    /// Ingests a batch in one transaction, under the scope's RLS.
    pub async fn ingest(&self, scope: &Scope, batch: &[CallBundle]) -> Result<()> {
        use crate::codec::{enum_name, to_json, verdict_rows};
        use crate::postgres::{BACKEND, map_err};
        for b in batch {
            check(scope, b)?;
        }
        let mut tx = self.begin_scope(scope).await?;
        for b in batch {
            let c = &b.call;
            let card = b.scorecard.as_ref();
            let team = c.team_id.map(|t| t.as_uuid());
            sqlx::query("INSERT INTO calls (id, workspace_id, rep_id, team_id, started_at, status, outcome, latest_score, latest_rubric, latest_talk_ratio, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
                .bind(c.id.as_uuid())
                .bind(c.workspace_id.as_uuid())
                .bind(c.rep_id.as_uuid())
                .bind(team)
                .bind(c.started_at)
                .bind(c.status.name())
                .bind(enum_name(&c.outcome))
                .bind(card.map(|s| s.score.value()))
                .bind(card.map(|s| s.provenance.rubric_id.as_str().to_owned()))
                .bind(card.and_then(|s| s.metrics.as_ref()).map(|m| m.talk_ratio.rep))
                .bind(to_json(BACKEND, c)?)
                .execute(&mut *tx)
                .await
                .map_err(|e| match map_err(e) {
                    Error::AlreadyExists { .. } => Error::already_exists("call", c.id),
                    other => other,
                })?;
            for h in self.hasher().entries(c) {
                sqlx::query("INSERT INTO subject_index (workspace_id, rep_id, team_id, subject_hash, call_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
                    .bind(c.workspace_id.as_uuid())
                    .bind(c.rep_id.as_uuid())
                    .bind(team)
                    .bind(&h[..])
                    .bind(c.id.as_uuid())
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
            }
            if let Some(t) = &b.transcript {
                sqlx::query("INSERT INTO transcripts (call_id, workspace_id, rep_id, team_id, data) VALUES ($1, $2, $3, $4, $5)")
                    .bind(c.id.as_uuid())
                    .bind(c.workspace_id.as_uuid())
                    .bind(c.rep_id.as_uuid())
                    .bind(team)
                    .bind(to_json(BACKEND, t)?)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
            }
            if let Some(consent) = &b.consent {
                sqlx::query(
                    "INSERT INTO call_consents (call_id, workspace_id, data) VALUES ($1, $2, $3)",
                )
                .bind(c.id.as_uuid())
                .bind(c.workspace_id.as_uuid())
                .bind(to_json(BACKEND, consent)?)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            }
            if let Some(s) = card {
                sqlx::query("INSERT INTO scorecards (id, call_id, workspace_id, rep_id, team_id, seq, reviewed, data) VALUES ($1, $2, $3, $4, $5, 1, $6, $7)")
                    .bind(s.id.as_uuid())
                    .bind(c.id.as_uuid())
                    .bind(c.workspace_id.as_uuid())
                    .bind(c.rep_id.as_uuid())
                    .bind(team)
                    .bind(s.review().is_reviewed())
                    .bind(to_json(BACKEND, s)?)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                for (criterion, value) in verdict_rows(s) {
                    sqlx::query("INSERT INTO call_verdicts (call_id, workspace_id, rep_id, team_id, criterion_id, value) VALUES ($1, $2, $3, $4, $5, $6)")
                        .bind(c.id.as_uuid())
                        .bind(c.workspace_id.as_uuid())
                        .bind(c.rep_id.as_uuid())
                        .bind(team)
                        .bind(criterion)
                        .bind(value)
                        .execute(&mut *tx)
                        .await
                        .map_err(map_err)?;
                }
            }
        }
        for ((ws, d, rep, team), sums) in contributions(batch) {
            crate::postgres::rollup::apply_sums(&mut tx, &ws, d, &rep, team.as_deref(), &sums, 1)
                .await?;
        }
        tx.commit().await.map_err(map_err)
    }
}

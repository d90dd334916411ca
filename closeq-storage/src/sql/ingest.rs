//! Batch ingest: many calls with their transcripts, consents and scorecards
//! in one transaction (all or nothing), with the rollups updated once per
//! (day, rep, team) group instead of once per call.

use std::collections::BTreeMap;

use closeq_core::ports::CallBundle;
use closeq_core::{Result, Scope};
use uuid::Uuid;

use super::rollup::{self, Key};
use super::{Dialect, ROWS_PER_INSERT, Sql, SqlStore, Tx, dup, dup_card, value_rows};
use crate::bundle;
use crate::codec::{enum_name, to_json};
use crate::review::Contribution;
use crate::rollup::{Sums, day};

impl<D: Dialect> SqlStore<D> {
    /// [`CallStore::ingest`](closeq_core::ports::CallStore::ingest) in one
    /// transaction: every bundle is checked first, then all are written, or
    /// none (on PostgreSQL under the scope's Row-Level Security). A call's
    /// last scorecard is its latest.
    pub(super) async fn ingest_batch(&self, scope: &Scope, batch: &[CallBundle]) -> Result<()> {
        for b in batch {
            bundle::check(scope, b)?;
        }
        let mut tx = self.begin("ingest", scope).await?;
        ingest_in(&mut tx, self.hasher(), batch).await?;
        tx.commit().await
    }
}

/// Writes a checked batch in an open transaction (see
/// [`SqlStore::ingest_batch`]); the caller commits.
pub(super) async fn ingest_in<D: Dialect>(
    tx: &mut Tx<'_, D>,
    hasher: &crate::SubjectHasher,
    batch: &[CallBundle],
) -> Result<()> {
    for b in batch {
        let c = &b.call;
        let latest = b.scorecards.last();
        let summary = latest.map(Contribution::of);
        tx.exec(
                Sql::new(
                    "INSERT INTO calls (id, workspace_id, rep_id, team_id, started_at, status, outcome, \
                     latest_score, latest_rubric, latest_talk_ratio, latest_review, data) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(c.id)
                .bind(c.workspace_id)
                .bind(c.rep_id)
                .bind(c.team_id)
                .bind(c.started_at)
                .bind(c.status().name())
                .bind(enum_name(&c.outcome))
                .bind(summary.as_ref().and_then(|s| s.score))
                .bind(latest.map(|s| s.provenance.rubric_id.as_str().to_owned()))
                .bind(summary.as_ref().and_then(|s| s.talk))
                .bind(summary.as_ref().map(|s| s.review))
                .bind(to_json(D::NAME, c)?),
            )
            .await
            .map_err(dup("call", c.id))?;
        // The call's records carry its workspace, rep and team.
        let of_call = |sql: &str| {
            Sql::new(sql)
                .bind(c.id)
                .bind(c.workspace_id)
                .bind(c.rep_id)
                .bind(c.team_id)
        };
        let hashes = hasher.entries(c);
        for chunk in hashes.chunks(ROWS_PER_INSERT) {
            let mut sql = Sql::new(format!(
                "INSERT INTO subject_index (call_id, workspace_id, rep_id, team_id, subject_hash) \
                     VALUES {} ON CONFLICT DO NOTHING",
                value_rows(chunk.len(), 5)
            ));
            for h in chunk {
                sql = sql
                    .bind(c.id)
                    .bind(c.workspace_id)
                    .bind(c.rep_id)
                    .bind(c.team_id)
                    .bind(&h[..]);
            }
            tx.exec(sql).await?;
        }
        if let Some(t) = &b.transcript {
            let (bare, words) = crate::word_codec::split(t);
            tx.exec(
                    of_call(
                        "INSERT INTO transcripts (call_id, workspace_id, rep_id, team_id, data, words) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(to_json(D::NAME, &bare)?)
                    .bind(words),
                )
                .await?;
        }
        if let Some(consent) = &b.consent {
            tx.exec(
                Sql::new(
                    "INSERT INTO call_consents (call_id, workspace_id, data) VALUES ($1, $2, $3)",
                )
                .bind(c.id)
                .bind(c.workspace_id)
                .bind(to_json(D::NAME, consent)?),
            )
            .await?;
        }
        for (seq, s) in (1_i64..).zip(&b.scorecards) {
            tx.exec(
                    of_call(
                        "INSERT INTO scorecards (call_id, workspace_id, rep_id, team_id, id, seq, reviewed, data) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(s.id)
                    .bind(seq)
                    .bind(s.review().is_reviewed())
                    .bind(to_json(D::NAME, s)?),
                )
                .await
                .map_err(dup_card(s))?;
        }
        // The verdicts the dashboard counts are the latest card's.
        let verdicts = summary.map(|s| s.verdicts).unwrap_or_default();
        for chunk in verdicts.chunks(ROWS_PER_INSERT) {
            let mut sql = Sql::new(format!(
                "INSERT INTO call_verdicts (call_id, workspace_id, rep_id, team_id, criterion_id, value) VALUES {}",
                value_rows(chunk.len(), 6)
            ));
            for (criterion, value) in chunk {
                sql = sql
                    .bind(c.id)
                    .bind(c.workspace_id)
                    .bind(c.rep_id)
                    .bind(c.team_id)
                    .bind(criterion.as_str())
                    .bind(*value);
            }
            tx.exec(sql).await?;
        }
    }
    for (key, sums) in contributions(batch) {
        rollup::apply(tx, key, &sums, 1).await?;
    }
    Ok(())
}

/// The batch's rollup contributions, grouped.
fn contributions(batch: &[CallBundle]) -> BTreeMap<Key, Sums> {
    let mut out: BTreeMap<Key, Sums> = BTreeMap::new();
    for b in batch {
        let c = &b.call;
        let one = Sums::of_card(b.scorecards.last().map(Contribution::of).as_ref());
        let team = c.team_id.map_or(Uuid::nil(), |t| t.as_uuid());
        out.entry((
            c.workspace_id.as_uuid(),
            day(c.started_at),
            c.rep_id.as_uuid(),
            team,
        ))
        .or_default()
        .add(&one);
    }
    out
}

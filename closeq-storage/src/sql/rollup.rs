//! Keeping the dashboard rollups (`daily_stats`, `daily_verdicts`) in step
//! with every write, inside the writer's transaction (and, on PostgreSQL,
//! its Row-Level-Security scope). A call without a team counts under the
//! nil UUID.

use closeq_core::{CallId, Result};
use uuid::Uuid;

use super::{Dialect, ROWS_PER_INSERT, Sql, SqlRow, Tx, value_rows};
use crate::rollup::{Sums, day};

/// Where sums go: (workspace, day, rep, team or nil).
pub(crate) type Key = (Uuid, i64, Uuid, Uuid);

/// A stored call's current contribution (`None` if the call is gone).
async fn contribution<D: Dialect>(tx: &mut Tx<'_, D>, id: CallId) -> Result<Option<(Key, Sums)>> {
    let sql = Sql::new(
        "SELECT workspace_id, started_at, rep_id, team_id, latest_score, latest_talk_ratio, latest_review \
         FROM calls WHERE id = $1",
    );
    let Some(r) = tx.row(sql.bind(id)).await? else {
        return Ok(None);
    };
    let score = r.opt_float(4)?;
    let mut verdicts = Vec::new();
    if score.is_some() {
        let sql = Sql::new("SELECT criterion_id, value FROM call_verdicts WHERE call_id = $1");
        for v in tx.rows(sql.bind(id)).await? {
            verdicts.push((v.text(0)?.to_owned(), v.float(1)?));
        }
    }
    let review = r.opt_text(6)?;
    let sums = Sums::of_call(score, r.opt_float(5)?, verdicts, review);
    let key = (
        r.id(0)?,
        day(r.time(1)?),
        r.id(2)?,
        r.opt_id(3)?.unwrap_or(Uuid::nil()),
    );
    Ok(Some((key, sums)))
}

/// Adds (`sign` = 1) or removes (`sign` = -1) sums under one key.
pub(crate) async fn apply<D: Dialect>(
    tx: &mut Tx<'_, D>,
    (ws, day, rep, team): Key,
    sums: &Sums,
    sign: i64,
) -> Result<()> {
    let f = sign as f64;
    tx.exec(
        Sql::new(
            "INSERT INTO daily_stats (workspace_id, day, rep_id, team_id, calls, scored, score_sum, talk_sum, talk_n, unreviewed, rejected) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (workspace_id, day, rep_id, team_id) DO UPDATE SET calls = daily_stats.calls + excluded.calls, \
             scored = daily_stats.scored + excluded.scored, score_sum = daily_stats.score_sum + excluded.score_sum, \
             talk_sum = daily_stats.talk_sum + excluded.talk_sum, talk_n = daily_stats.talk_n + excluded.talk_n, \
             unreviewed = daily_stats.unreviewed + excluded.unreviewed, rejected = daily_stats.rejected + excluded.rejected",
        )
        .bind(ws)
        .bind(day)
        .bind(rep)
        .bind(team)
        .bind(sign * sums.calls)
        .bind(sign * sums.scored)
        .bind(f * sums.score_sum)
        .bind(f * sums.talk_sum)
        .bind(sign * sums.talk_n)
        .bind(sign * sums.unreviewed)
        .bind(sign * sums.rejected),
    )
    .await?;
    // One statement per chunk; the criteria of one key are distinct, as
    // PostgreSQL's ON CONFLICT DO UPDATE requires within a statement.
    let verdicts: Vec<_> = sums.verdicts.iter().collect();
    for chunk in verdicts.chunks(ROWS_PER_INSERT) {
        let mut sql = Sql::new(format!(
            "INSERT INTO daily_verdicts (workspace_id, day, rep_id, team_id, criterion_id, value_sum, n) \
             VALUES {} \
             ON CONFLICT (workspace_id, day, rep_id, team_id, criterion_id) DO UPDATE SET \
             value_sum = daily_verdicts.value_sum + excluded.value_sum, n = daily_verdicts.n + excluded.n",
            value_rows(chunk.len(), 7)
        ));
        for (criterion, (v, n)) in chunk {
            sql = sql
                .bind(ws)
                .bind(day)
                .bind(rep)
                .bind(team)
                .bind(criterion.as_str())
                .bind(f * v)
                .bind(sign * n);
        }
        tx.exec(sql).await?;
    }
    Ok(())
}

/// Removes (`before` a change) or re-adds (after it) a call's contribution.
pub(crate) async fn around<D: Dialect>(tx: &mut Tx<'_, D>, id: CallId, before: bool) -> Result<()> {
    if let Some((key, sums)) = contribution(tx, id).await? {
        apply(tx, key, &sums, if before { -1 } else { 1 }).await?;
    }
    Ok(())
}

//! Keeping the PostgreSQL dashboard rollups in step with every write
//! (within the writer's transaction and RLS scope).

use closeq_core::{CallId, Result};
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::map_err;
use crate::rollup::{DAY, Sums};

pub(crate) struct Contribution {
    ws: Uuid,
    day: i32,
    rep: Uuid,
    team: Uuid,
    sums: Sums,
}

pub(crate) async fn contribution(
    conn: &mut PgConnection,
    id: CallId,
) -> Result<Option<Contribution>> {
    let Some(r) = sqlx::query("SELECT workspace_id, extract(epoch FROM started_at)::bigint, rep_id, team_id, latest_score, latest_talk_ratio FROM calls WHERE id = $1")
        .bind(id.as_uuid())
        .fetch_optional(&mut *conn)
        .await
        .map_err(map_err)?
    else {
        return Ok(None);
    };
    let score: Option<f64> = r.get(4);
    let talk: Option<f64> = r.get(5);
    let mut sums = Sums {
        calls: 1,
        ..Sums::default()
    };
    if let Some(s) = score {
        sums.scored = 1;
        sums.score_sum = s;
        for v in sqlx::query("SELECT criterion_id, value FROM call_verdicts WHERE call_id = $1")
            .bind(id.as_uuid())
            .fetch_all(&mut *conn)
            .await
            .map_err(map_err)?
        {
            sums.verdicts.insert(v.get(0), (v.get(1), 1));
        }
    }
    if let Some(t) = talk {
        sums.talk_sum = t;
        sums.talk_n = 1;
    }
    Ok(Some(Contribution {
        ws: r.get(0),
        day: r.get::<i64, _>(1).div_euclid(DAY) as i32,
        rep: r.get(2),
        team: r.get::<Option<Uuid>, _>(3).unwrap_or(Uuid::nil()),
        sums,
    }))
}

pub(crate) async fn apply(conn: &mut PgConnection, c: &Contribution, sign: i64) -> Result<()> {
    let f = sign as f64;
    apply_inner(conn, c, f, sign).await
}

/// Adds sums for one rollup key given as strings (batch ingest).
pub(crate) async fn apply_sums(
    conn: &mut PgConnection,
    ws: &str,
    day: i64,
    rep: &str,
    team: Option<&str>,
    sums: &Sums,
    sign: i64,
) -> Result<()> {
    let parse = |s: &str| {
        Uuid::try_parse(s).map_err(|_| closeq_core::Error::internal("rollup key is not a UUID"))
    };
    let c = Contribution {
        ws: parse(ws)?,
        day: day as i32,
        rep: parse(rep)?,
        team: team.map(parse).transpose()?.unwrap_or(Uuid::nil()),
        sums: sums.clone(),
    };
    apply_inner(conn, &c, sign as f64, sign).await
}

async fn apply_inner(conn: &mut PgConnection, c: &Contribution, f: f64, sign: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO daily_stats (workspace_id, day, rep_id, team_id, calls, scored, score_sum, talk_sum, talk_n) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (workspace_id, day, rep_id, team_id) DO UPDATE SET calls = daily_stats.calls + excluded.calls, scored = daily_stats.scored + excluded.scored, \
         score_sum = daily_stats.score_sum + excluded.score_sum, talk_sum = daily_stats.talk_sum + excluded.talk_sum, talk_n = daily_stats.talk_n + excluded.talk_n",
    )
    .bind(c.ws)
    .bind(c.day)
    .bind(c.rep)
    .bind(c.team)
    .bind(sign * c.sums.calls)
    .bind(sign * c.sums.scored)
    .bind(f * c.sums.score_sum)
    .bind(f * c.sums.talk_sum)
    .bind(sign * c.sums.talk_n)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    for (criterion, (v, n)) in &c.sums.verdicts {
        sqlx::query(
            "INSERT INTO daily_verdicts (workspace_id, day, rep_id, team_id, criterion_id, value_sum, n) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (workspace_id, day, rep_id, team_id, criterion_id) DO UPDATE SET value_sum = daily_verdicts.value_sum + excluded.value_sum, n = daily_verdicts.n + excluded.n",
        )
        .bind(c.ws)
        .bind(c.day)
        .bind(c.rep)
        .bind(c.team)
        .bind(criterion)
        .bind(f * v)
        .bind(sign * n)
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    }
    Ok(())
}

/// Removes (`before`) or re-adds a call's contribution.
pub(crate) async fn around(conn: &mut PgConnection, id: CallId, before: bool) -> Result<()> {
    if let Some(c) = contribution(conn, id).await? {
        apply(conn, &c, if before { -1 } else { 1 }).await?;
    }
    Ok(())
}

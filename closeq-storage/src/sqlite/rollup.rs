//! Keeping the SQLite dashboard rollups in step with every write.

use closeq_core::{CallId, Result};
use sqlx::{Row, SqliteConnection};

use super::map_err;
use crate::rollup::{DAY, Sums};

/// Where a call's contribution goes, and what it is.
pub(crate) struct Contribution {
    ws: String,
    day: i64,
    rep: String,
    team: String,
    sums: Sums,
}

/// A stored call's current contribution (`None` if the call is gone).
pub(crate) async fn contribution(
    conn: &mut SqliteConnection,
    id: CallId,
) -> Result<Option<Contribution>> {
    let Some(r) = sqlx::query("SELECT workspace_id, started_at, rep_id, team_id, latest_score, latest_talk_ratio FROM calls WHERE id = ?")
        .bind(id.to_string())
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
        for v in sqlx::query("SELECT criterion_id, value FROM call_verdicts WHERE call_id = ?")
            .bind(id.to_string())
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
        day: r.get::<i64, _>(1).div_euclid(1_000_000 * DAY),
        rep: r.get(2),
        team: r.get::<Option<String>, _>(3).unwrap_or_default(),
        sums,
    }))
}

/// Adds (`sign` = 1) or removes (`sign` = -1) a contribution.
pub(crate) async fn apply(conn: &mut SqliteConnection, c: &Contribution, sign: i64) -> Result<()> {
    apply_sums(conn, &c.ws, c.day, &c.rep, &c.team, &c.sums, sign).await
}

/// Adds (`sign` = 1) or removes (`sign` = -1) sums for one rollup key.
pub(crate) async fn apply_sums(
    conn: &mut SqliteConnection,
    ws: &str,
    day: i64,
    rep: &str,
    team: &str,
    sums: &Sums,
    sign: i64,
) -> Result<()> {
    let c = Contribution {
        ws: ws.to_owned(),
        day,
        rep: rep.to_owned(),
        team: team.to_owned(),
        sums: sums.clone(),
    };
    let f = sign as f64;
    sqlx::query(
        "INSERT INTO daily_stats (workspace_id, day, rep_id, team_id, calls, scored, score_sum, talk_sum, talk_n) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (workspace_id, day, rep_id, team_id) DO UPDATE SET calls = calls + excluded.calls, scored = scored + excluded.scored, \
         score_sum = score_sum + excluded.score_sum, talk_sum = talk_sum + excluded.talk_sum, talk_n = talk_n + excluded.talk_n",
    )
    .bind(&c.ws)
    .bind(c.day)
    .bind(&c.rep)
    .bind(&c.team)
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
            "INSERT INTO daily_verdicts (workspace_id, day, rep_id, team_id, criterion_id, value_sum, n) VALUES (?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (workspace_id, day, rep_id, team_id, criterion_id) DO UPDATE SET value_sum = value_sum + excluded.value_sum, n = n + excluded.n",
        )
        .bind(&c.ws)
        .bind(c.day)
        .bind(&c.rep)
        .bind(&c.team)
        .bind(criterion)
        .bind(f * v)
        .bind(sign * n)
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    }
    Ok(())
}

/// Runs `f` between removing and re-adding a call's contribution.
pub(crate) async fn around(conn: &mut SqliteConnection, id: CallId, before: bool) -> Result<()> {
    if let Some(c) = contribution(conn, id).await? {
        apply(conn, &c, if before { -1 } else { 1 }).await?;
    }
    Ok(())
}

//! Dashboards: whole days from the daily rollups, the partial first and
//! last day from the calls themselves, under the scope's visibility rule.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use closeq_core::ports::{AggregateQuery, AggregateRow, GroupBy};
use closeq_core::{Result, Scope};
use uuid::Uuid;

use super::{Dialect, Sql, SqlRow, Tx, visibility};
use crate::rollup::{Sums, rows, split};

/// The aggregate rows of `query` in `scope`.
pub(super) async fn aggregate<D: Dialect>(
    tx: &mut Tx<'_, D>,
    scope: &Scope,
    query: &AggregateQuery,
) -> Result<Vec<AggregateRow>> {
    let key = match query.group_by {
        GroupBy::Rep => "c.rep_id",
        GroupBy::Team => "c.team_id",
    };
    // No team is NULL on calls and the nil UUID in the rollups.
    let group = |id: Option<Uuid>| id.filter(|u| !u.is_nil()).map(|u| u.to_string());
    let mut groups: BTreeMap<Option<String>, Sums> = BTreeMap::new();
    let parts = split(query.from, query.to);
    // Whole days from the rollups, partial days from the calls.
    let mut scans = Vec::new();
    if parts.days.0 < parts.days.1 {
        scans.push((DAYS, Range::Days(parts.days.0, parts.days.1)));
    }
    for (from, to) in [parts.head, parts.tail].into_iter().flatten() {
        scans.push((CALLS, Range::Calls(from, to)));
    }
    for ((sums, criterion, verdicts), range) in scans {
        let select = |columns: String, group: String| {
            let mut q = Sql::new(format!("SELECT {key}, {columns} WHERE "));
            visibility::push(&mut q, "c", scope);
            match range {
                // Day numbers are literals (integers we computed): as
                // parameters, PostgreSQL's generic plan guesses a range of
                // a few rows and groups by sorting; with the real range it
                // hashes, in half the time, and a dashboard's statement
                // repeats all day.
                Range::Days(d0, d1) => q.push(&format!(" AND c.day >= {d0} AND c.day < {d1}")),
                Range::Calls(from, to) => {
                    q.push(" AND c.started_at >= ").push_bind(from);
                    q.push(" AND c.started_at < ").push_bind(to)
                }
            };
            q.push(&format!(" GROUP BY {group}"));
            q
        };
        for r in tx.rows(select(sums.to_owned(), key.to_owned())).await? {
            groups.entry(group(r.opt_id(0)?)).or_default().add(&Sums {
                calls: r.int(1)?,
                scored: r.int(2)?,
                score_sum: r.float(3)?,
                talk_sum: r.float(4)?,
                talk_n: r.int(5)?,
                unreviewed: r.int(6)?,
                rejected: r.int(7)?,
                ..Sums::default()
            });
        }
        let q = select(
            format!("{criterion}, {verdicts}"),
            format!("{key}, {criterion}"),
        );
        for r in tx.rows(q).await? {
            let e = groups
                .entry(group(r.opt_id(0)?))
                .or_default()
                .verdicts
                .entry(r.text(1)?.to_owned())
                .or_default();
            e.0 += r.float(2)?;
            e.1 += r.int(3)?;
        }
    }
    Ok(rows(groups))
}

/// Whole days `[d0, d1)`, or a partial day.
#[derive(Clone, Copy)]
enum Range {
    Days(i64, i64),
    Calls(DateTime<Utc>, DateTime<Utc>),
}

/// What the rollups sum per group, and their per-criterion sums.
const DAYS: (&str, &str, &str) = (
    "CAST(SUM(c.calls) AS BIGINT), CAST(SUM(c.scored) AS BIGINT), SUM(c.score_sum), SUM(c.talk_sum), \
     CAST(SUM(c.talk_n) AS BIGINT), CAST(SUM(c.unreviewed) AS BIGINT), CAST(SUM(c.rejected) AS BIGINT) \
     FROM daily_stats c",
    "c.criterion_id",
    "SUM(c.value_sum), CAST(SUM(c.n) AS BIGINT) FROM daily_verdicts c",
);

/// The same sums, from the calls of a partial day.
const CALLS: (&str, &str, &str) = (
    "COUNT(*), COUNT(c.latest_score), COALESCE(SUM(c.latest_score), 0.0), \
     COALESCE(SUM(c.latest_talk_ratio), 0.0), COUNT(c.latest_talk_ratio), \
     COUNT(CASE WHEN c.latest_review = 'suggested' AND c.latest_score IS NOT NULL THEN 1 END), \
     COUNT(CASE WHEN c.latest_review = 'rejected' THEN 1 END) FROM calls c",
    "v.criterion_id",
    "SUM(v.value), COUNT(*) FROM calls c JOIN call_verdicts v ON v.call_id = c.id",
);

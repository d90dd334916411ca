//! Dashboard aggregation over (call, latest scorecard) pairs, shared by the
//! backends that aggregate in code. Scores and verdicts are the reviewed
//! ones ([`Contribution`]).

use std::collections::BTreeMap;

use closeq_core::ports::{AggregateRow, GroupBy};
use closeq_core::{Call, Scorecard};

use crate::review::Contribution;

#[derive(Default)]
struct Acc {
    calls: u64,
    scored: u64,
    unreviewed: u64,
    rejected: u64,
    score_sum: f64,
    talk_sum: f64,
    talk_n: u64,
    hits: BTreeMap<String, (f64, u64)>,
}

/// Aggregates `rows` (visible calls in range with their latest scorecard).
pub(crate) fn aggregate<'a>(
    group_by: GroupBy,
    rows: impl Iterator<Item = (&'a Call, Option<&'a Scorecard>)>,
) -> Vec<AggregateRow> {
    let mut groups: BTreeMap<Option<String>, Acc> = BTreeMap::new();
    for (call, card) in rows {
        let key = match group_by {
            GroupBy::Rep => Some(call.rep_id.to_string()),
            GroupBy::Team => call.team_id.map(|t| t.to_string()),
        };
        let acc = groups.entry(key).or_default();
        acc.calls += 1;
        let Some(c) = card.map(Contribution::of) else {
            continue;
        };
        acc.rejected += u64::from(c.rejected());
        let Some(score) = c.score else {
            continue;
        };
        acc.scored += 1;
        acc.unreviewed += u64::from(c.unreviewed());
        acc.score_sum += score;
        if let Some(t) = c.talk {
            acc.talk_sum += t;
            acc.talk_n += 1;
        }
        for (criterion, v) in c.verdicts {
            let e = acc.hits.entry(criterion).or_default();
            e.0 += v;
            e.1 += 1;
        }
    }
    groups
        .into_iter()
        .map(|(key, a)| AggregateRow {
            key,
            calls: a.calls,
            scored_calls: a.scored,
            unreviewed_calls: a.unreviewed,
            rejected_calls: a.rejected,
            avg_score: (a.scored > 0).then(|| a.score_sum / a.scored as f64),
            avg_rep_talk_ratio: (a.talk_n > 0).then(|| a.talk_sum / a.talk_n as f64),
            criterion_hit_rate: a
                .hits
                .into_iter()
                .map(|(k, (h, n))| (k, h / n as f64))
                .collect(),
        })
        .collect()
}

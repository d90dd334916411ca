//! Dashboard aggregation over (call, latest scorecard) pairs, shared by the
//! backends that aggregate in code.

use std::collections::BTreeMap;

use closeq_core::ports::{AggregateRow, GroupBy};
use closeq_core::{Call, Scorecard, Verdict};

#[derive(Default)]
struct Acc {
    calls: u64,
    scored: u64,
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
        if let Some(s) = card {
            acc.scored += 1;
            acc.score_sum += s.score.value();
            if let Some(m) = &s.metrics {
                acc.talk_sum += m.talk_ratio.rep;
                acc.talk_n += 1;
            }
            for r in &s.criteria {
                let v = match r.verdict {
                    Verdict::Met => 1.0,
                    Verdict::Partial => 0.5,
                    Verdict::NotApplicable => continue,
                    Verdict::Missed | Verdict::InsufficientEvidence => 0.0,
                };
                let e = acc.hits.entry(r.criterion_id.clone()).or_default();
                e.0 += v;
                e.1 += 1;
            }
        }
    }
    groups
        .into_iter()
        .map(|(key, a)| AggregateRow {
            key,
            calls: a.calls,
            scored_calls: a.scored,
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

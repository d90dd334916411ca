//! Dashboard rollups: what one call contributes to its day's per-rep,
//! per-team sums, and merging rollup sums with a raw scan of partial days.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use closeq_core::ports::AggregateRow;

/// Seconds per day.
pub(crate) const DAY: i64 = 86_400;

/// The UTC day number of a time.
pub(crate) fn day(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(DAY)
}

/// The first instant of day `d`.
pub(crate) fn day_start(d: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(d * DAY, 0).unwrap_or_default()
}

/// Splits `[from, to)` into a partial head, whole days `[d0, d1)`, and a
/// partial tail.
pub(crate) struct Split {
    pub head: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub days: (i64, i64),
    pub tail: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

pub(crate) fn split(from: DateTime<Utc>, to: DateTime<Utc>) -> Split {
    if to <= from {
        return Split {
            head: None,
            days: (0, 0),
            tail: None,
        };
    }
    let d0 = if day_start(day(from)) == from {
        day(from)
    } else {
        day(from) + 1
    };
    let d1 = day(to);
    if d0 >= d1 {
        return Split {
            head: Some((from, to)),
            days: (0, 0),
            tail: None,
        };
    }
    Split {
        head: (day_start(d0) > from).then(|| (from, day_start(d0))),
        days: (d0, d1),
        tail: (to > day_start(d1)).then(|| (day_start(d1), to)),
    }
}

/// Sums for one group.
#[derive(Debug, Default, Clone)]
pub(crate) struct Sums {
    pub calls: i64,
    pub scored: i64,
    pub unreviewed: i64,
    pub rejected: i64,
    pub score_sum: f64,
    pub talk_sum: f64,
    pub talk_n: i64,
    pub verdicts: BTreeMap<String, (f64, i64)>,
}

impl Sums {
    /// One call's contribution: its latest card's score after review
    /// (`None`: unscored or rejected), talk ratio, verdict values after
    /// review (verdicts count only on a scored call) and review state name.
    pub(crate) fn of_call(
        score: Option<f64>,
        talk: Option<f64>,
        verdicts: impl IntoIterator<Item = (String, f64)>,
        review: Option<&str>,
    ) -> Self {
        let mut s = Sums {
            calls: 1,
            rejected: i64::from(review == Some("rejected")),
            ..Sums::default()
        };
        if let Some(score) = score {
            s.scored = 1;
            s.unreviewed = i64::from(review == Some("suggested"));
            s.score_sum = score;
            s.verdicts = verdicts.into_iter().map(|(k, v)| (k, (v, 1))).collect();
        }
        if let Some(t) = talk {
            s.talk_sum = t;
            s.talk_n = 1;
        }
        s
    }

    /// The contribution of a call whose latest card is `card`.
    pub(crate) fn of_card(card: Option<&crate::review::Contribution>) -> Self {
        match card {
            Some(c) => Self::of_call(c.score, c.talk, c.verdicts.clone(), Some(c.review)),
            None => Self::of_call(None, None, Vec::new(), None),
        }
    }

    pub(crate) fn add(&mut self, o: &Sums) {
        self.calls += o.calls;
        self.scored += o.scored;
        self.unreviewed += o.unreviewed;
        self.rejected += o.rejected;
        self.score_sum += o.score_sum;
        self.talk_sum += o.talk_sum;
        self.talk_n += o.talk_n;
        for (k, (v, n)) in &o.verdicts {
            let e = self.verdicts.entry(k.clone()).or_default();
            e.0 += v;
            e.1 += n;
        }
    }
}

/// Groups (key `None` = no team) into aggregate rows, dropping empty groups.
pub(crate) fn rows(groups: BTreeMap<Option<String>, Sums>) -> Vec<AggregateRow> {
    groups
        .into_iter()
        .filter(|(_, s)| s.calls > 0)
        .map(|(key, s)| AggregateRow {
            key,
            calls: s.calls as u64,
            scored_calls: s.scored as u64,
            unreviewed_calls: s.unreviewed as u64,
            rejected_calls: s.rejected as u64,
            avg_score: (s.scored > 0).then(|| s.score_sum / s.scored as f64),
            avg_rep_talk_ratio: (s.talk_n > 0).then(|| s.talk_sum / s.talk_n as f64),
            criterion_hit_rate: s
                .verdicts
                .into_iter()
                .filter(|(_, (_, n))| *n > 0)
                .map(|(k, (v, n))| (k, v / n as f64))
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn splits_ranges() {
        let t = |d, h| Utc.with_ymd_and_hms(2026, 1, d, h, 0, 0).unwrap();
        let s = split(t(1, 0), t(3, 0));
        assert!(s.head.is_none() && s.tail.is_none());
        assert_eq!(s.days.1 - s.days.0, 2);
        let s = split(t(1, 6), t(3, 6));
        assert_eq!(s.head, Some((t(1, 6), t(2, 0))));
        assert_eq!(s.tail, Some((t(3, 0), t(3, 6))));
        assert_eq!(s.days.1 - s.days.0, 1);
        let s = split(t(1, 6), t(1, 9));
        assert_eq!(s.head, Some((t(1, 6), t(1, 9))));
        assert_eq!(s.days, (0, 0));
    }
}

//! The few statistics a coaching report needs.

use crate::agreement::{Stat, interval};

use super::report::Change;

/// Resamples of the change's bootstrap interval.
pub(super) const RESAMPLES: u32 = 1000;

/// The mean, `None` for no values.
pub(super) fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// The median (the mean of the middle two for an even count), `None` for
/// no values. Sorts `v`.
pub(super) fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    })
}

/// The later half's mean against the earlier half's, over `(late, score)`
/// items, with a seeded percentile bootstrap over the items; `None` when
/// either half is empty.
pub(super) fn change(items: &[(bool, f64)], seed: u64) -> Option<Change> {
    // Sums and counts per half; the score of a late item is stored with
    // its half's index so the resampling loop has no branch.
    let half: Vec<usize> = items.iter().map(|x| usize::from(x.0)).collect();
    let value: Vec<f64> = items.iter().map(|x| x.1).collect();
    let sums = |idx: &mut dyn Iterator<Item = usize>| {
        let (mut s, mut n) = ([0.0f64; 2], [0u32; 2]);
        for i in idx {
            s[half[i]] += value[i];
            n[half[i]] += 1;
        }
        (s, n)
    };
    let (s, n) = sums(&mut (0..items.len()));
    if n[0] == 0 || n[1] == 0 {
        return None;
    }
    let early_mean = s[0] / f64::from(n[0]);
    let late_mean = s[1] / f64::from(n[1]);
    let ci = interval(items.len(), RESAMPLES, 0.95, seed, |idx| {
        let (mut s, mut n) = ([0.0f64; 2], [0u32; 2]);
        for &i in idx {
            let h = half[i];
            s[h] += value[i];
            n[h] += 1;
        }
        if n[0] == 0 || n[1] == 0 {
            Stat::undefined("a half without calls")
        } else {
            Stat::Value(s[1] / f64::from(n[1]) - s[0] / f64::from(n[0]))
        }
    })
    .ok();
    Some(Change {
        early_mean,
        late_mean,
        delta: late_mean - early_mean,
        interval: ci.map(|i| (i.low, i.high)),
        calls: (n[0], n[1]),
    })
}

/// [`change`] of each item list, the `i`-th seeded from `seed` and `i`,
/// spread over the machine's cores (the resampling is most of a report's
/// work on many calls); the same seed gives the same result on any number
/// of cores.
pub(super) fn changes(items: &[Vec<(bool, f64)>], seed: u64) -> Vec<Option<Change>> {
    let seed_of = |i: usize| seed ^ (i as u64).wrapping_mul(0x9e37_79b9);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    let mut out = vec![None; items.len()];
    if threads <= 1 {
        for (i, (o, v)) in out.iter_mut().zip(items).enumerate() {
            *o = change(v, seed_of(i));
        }
        return out;
    }
    let per = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        for (t, (outs, ins)) in out.chunks_mut(per).zip(items.chunks(per)).enumerate() {
            s.spawn(move || {
                for (k, (o, v)) in outs.iter_mut().zip(ins).enumerate() {
                    *o = change(v, seed_of(t * per + k));
                }
            });
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_means() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(mean(&[1.0, 2.0]), Some(1.5));
        assert_eq!(mean(&[]), None);
    }

    #[test]
    fn change_brackets_the_delta_and_is_seeded() {
        let items: Vec<(bool, f64)> = (0..40)
            .map(|i| {
                (
                    i >= 20,
                    if i >= 20 { 70.0 } else { 50.0 } + f64::from(i % 5),
                )
            })
            .collect();
        let c = change(&items, 7).expect("both halves");
        assert_eq!(c.delta, 20.0);
        assert_eq!(c.calls, (20, 20));
        let (lo, hi) = c.interval.expect("interval");
        assert!(lo <= 20.0 && 20.0 <= hi && hi - lo < 5.0, "{lo} {hi}");
        assert_eq!(change(&items, 7), Some(c), "same seed, same interval");
        assert_eq!(change(&items[..20], 7), None, "no later half");
    }
}

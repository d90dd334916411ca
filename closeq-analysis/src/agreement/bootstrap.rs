//! Seeded percentile bootstrap over calls.

use super::Stat;
use serde::{Deserialize, Serialize};

/// A bootstrap confidence interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower bound (2.5th percentile for 95 %).
    pub low: f64,
    /// Upper bound.
    pub high: f64,
    /// Resamples used.
    pub resamples: u32,
    /// Resamples dropped because the statistic was undefined on them.
    pub dropped: u32,
}

/// xorshift64*: small, fast, seeded.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// A `level` (e.g. 0.95) percentile interval of `stat` over `resamples`
/// resamples of `n` items with replacement; `stat` receives the sampled
/// indices. Undefined resamples are dropped and counted; if fewer than half
/// remain the interval is undefined.
pub fn interval(
    n: usize,
    resamples: u32,
    level: f64,
    seed: u64,
    mut stat: impl FnMut(&[usize]) -> Stat,
) -> Result<Interval, Stat> {
    if n == 0 || resamples == 0 || !(0.0..1.0).contains(&level) {
        return Err(Stat::undefined("nothing to resample"));
    }
    let mut rng = Rng(seed | 1);
    let mut idx = vec![0usize; n];
    let mut vals = Vec::with_capacity(resamples as usize);
    let mut dropped = 0;
    for _ in 0..resamples {
        for i in idx.iter_mut() {
            *i = (rng.next() % n as u64) as usize;
        }
        match stat(&idx) {
            Stat::Value(v) => vals.push(v),
            Stat::Undefined(_) => dropped += 1,
        }
    }
    if vals.len() * 2 < resamples as usize {
        return Err(Stat::undefined(format!(
            "{dropped} of {resamples} resamples undefined"
        )));
    }
    vals.sort_by(f64::total_cmp);
    let q = |p: f64| quantile(&vals, p);
    let a = (1.0 - level) / 2.0;
    Ok(Interval {
        low: q(a),
        high: q(1.0 - a),
        resamples: vals.len() as u32,
        dropped,
    })
}

/// The `p` quantile (0–1) of sorted values, linearly interpolated; 0 for
/// no values.
pub(crate) fn quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = p * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

//! Krippendorff's alpha for any number of coders with missing values.

use super::Stat;

/// The level of measurement, which sets the difference function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Categories without order.
    Nominal,
    /// Ordered categories.
    Ordinal,
    /// Numbers with meaningful differences.
    Interval,
}

/// Alpha for `data[coder][unit]` (`None` = missing). Units with fewer than
/// two values are not pairable and are skipped.
pub fn alpha(data: &[Vec<Option<f64>>], level: Level) -> Stat {
    let units = data.first().map_or(0, Vec::len);
    if data.len() < 2 || data.iter().any(|c| c.len() != units) {
        return Stat::undefined("need at least two coders with the same units");
    }
    // Distinct values, sorted.
    let mut values: Vec<f64> = data
        .iter()
        .flatten()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    values.sort_by(f64::total_cmp);
    values.dedup();
    let idx = |v: f64| values.iter().position(|x| *x == v);
    let m = values.len();
    let mut o = vec![vec![0.0; m]; m];
    for u in 0..units {
        let vals: Vec<usize> = data
            .iter()
            .filter_map(|c| c[u])
            .filter(|v| v.is_finite())
            .filter_map(idx)
            .collect();
        let mu = vals.len();
        if mu < 2 {
            continue;
        }
        for (a, &i) in vals.iter().enumerate() {
            for (b, &j) in vals.iter().enumerate() {
                if a != b {
                    o[i][j] += 1.0 / (mu - 1) as f64;
                }
            }
        }
    }
    let nc: Vec<f64> = o.iter().map(|r| r.iter().sum()).collect();
    let n: f64 = nc.iter().sum();
    if n <= 1.0 {
        return Stat::undefined("no unit has two or more values");
    }
    let delta = |c: usize, k: usize| -> f64 {
        match level {
            Level::Nominal => f64::from(u8::from(c != k)),
            Level::Interval => (values[c] - values[k]).powi(2),
            Level::Ordinal => {
                let (lo, hi) = if c <= k { (c, k) } else { (k, c) };
                let s: f64 = nc[lo..=hi].iter().sum::<f64>() - (nc[c] + nc[k]) / 2.0;
                s * s
            }
        }
    };
    let (mut d_o, mut d_e) = (0.0, 0.0);
    for c in 0..m {
        for k in 0..m {
            let d = delta(c, k);
            d_o += o[c][k] * d;
            d_e += nc[c] * nc[k] * d;
        }
    }
    d_o /= n;
    d_e /= n * (n - 1.0);
    if d_e == 0.0 {
        return Stat::undefined("no variation: every value is the same");
    }
    Stat::of(1.0 - d_o / d_e, "numeric overflow")
}

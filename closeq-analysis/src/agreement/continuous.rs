//! Agreement of two numeric ratings of the same calls.

use super::Stat;

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn check(x: &[f64], y: &[f64]) -> Option<Stat> {
    if x.len() != y.len() {
        return Some(Stat::undefined("the two ratings have different lengths"));
    }
    if x.is_empty() {
        return Some(Stat::undefined("no paired ratings"));
    }
    if x.iter().chain(y).any(|v| !v.is_finite()) {
        return Some(Stat::undefined("a rating is not a finite number"));
    }
    None
}

/// Mean absolute error `Σ|y − x| / n`.
pub fn mae(x: &[f64], y: &[f64]) -> Stat {
    check(x, y).unwrap_or_else(|| {
        Stat::Value(x.iter().zip(y).map(|(a, b)| (b - a).abs()).sum::<f64>() / x.len() as f64)
    })
}

/// Root mean squared error.
pub fn rmse(x: &[f64], y: &[f64]) -> Stat {
    check(x, y).unwrap_or_else(|| {
        Stat::Value(
            (x.iter().zip(y).map(|(a, b)| (b - a).powi(2)).sum::<f64>() / x.len() as f64).sqrt(),
        )
    })
}

/// Mean bias `Σ(y − x) / n` (positive: `y` rates higher).
pub fn bias(x: &[f64], y: &[f64]) -> Stat {
    check(x, y).unwrap_or_else(|| {
        Stat::Value(x.iter().zip(y).map(|(a, b)| b - a).sum::<f64>() / x.len() as f64)
    })
}

/// Share of pairs within `k` points of each other.
pub fn within(x: &[f64], y: &[f64], k: f64) -> Stat {
    check(x, y).unwrap_or_else(|| {
        Stat::Value(
            x.iter()
                .zip(y)
                .filter(|(a, b)| (*b - *a).abs() <= k + 1e-12)
                .count() as f64
                / x.len() as f64,
        )
    })
}

/// Pearson's correlation; undefined for fewer than two pairs or a constant rating.
pub fn pearson(x: &[f64], y: &[f64]) -> Stat {
    if let Some(s) = check(x, y) {
        return s;
    }
    if x.len() < 2 {
        return Stat::undefined("fewer than two paired ratings");
    }
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    if sxx == 0.0 || syy == 0.0 {
        return Stat::undefined("a rater gave the same rating to every call");
    }
    Stat::of(sxy / (sxx * syy).sqrt(), "numeric overflow")
}

/// Ranks (1-based), ties get their average rank.
pub(crate) fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|a, b| v[*a].total_cmp(&v[*b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for k in i..=j {
            r[idx[k]] = avg;
        }
        i = j + 1;
    }
    r
}

/// Spearman's rank correlation (Pearson on average ranks).
pub fn spearman(x: &[f64], y: &[f64]) -> Stat {
    if let Some(s) = check(x, y) {
        return s;
    }
    pearson(&ranks(x), &ranks(y))
}

/// Counts pairs out of order by merge sort, returning the swap count.
fn merge_count(v: &mut [f64], buf: &mut [f64]) -> u64 {
    let n = v.len();
    if n < 2 {
        return 0;
    }
    let mid = n / 2;
    let mut swaps =
        merge_count(&mut v[..mid], &mut buf[..mid]) + merge_count(&mut v[mid..], &mut buf[mid..]);
    let (mut i, mut j, mut k) = (0, mid, 0);
    while i < mid && j < n {
        if v[j] < v[i] {
            buf[k] = v[j];
            swaps += (mid - i) as u64;
            j += 1;
        } else {
            buf[k] = v[i];
            i += 1;
        }
        k += 1;
    }
    while i < mid {
        buf[k] = v[i];
        i += 1;
        k += 1;
    }
    while j < n {
        buf[k] = v[j];
        j += 1;
        k += 1;
    }
    v.copy_from_slice(&buf[..n]);
    swaps
}

fn tied_pairs(sorted: &[f64]) -> u64 {
    let mut t = 0u64;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] == sorted[i] {
            j += 1;
        }
        let c = (j - i + 1) as u64;
        t += c * (c - 1) / 2;
        i = j + 1;
    }
    t
}

/// Kendall's tau-b (ties corrected), in O(n log n) (Knight's algorithm).
pub fn kendall_tau_b(x: &[f64], y: &[f64]) -> Stat {
    if let Some(s) = check(x, y) {
        return s;
    }
    let n = x.len() as u64;
    if n < 2 {
        return Stat::undefined("fewer than two paired ratings");
    }
    let mut pairs: Vec<(f64, f64)> = x.iter().copied().zip(y.iter().copied()).collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let n0 = n * (n - 1) / 2;
    let xs: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let n1 = tied_pairs(&xs);
    // Pairs tied in both.
    let mut n3 = 0u64;
    let mut i = 0;
    while i < pairs.len() {
        let mut j = i;
        while j + 1 < pairs.len() && pairs[j + 1] == pairs[i] {
            j += 1;
        }
        let c = (j - i + 1) as u64;
        n3 += c * (c - 1) / 2;
        i = j + 1;
    }
    let mut ys: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let mut buf = vec![0.0; ys.len()];
    let swaps = merge_count(&mut ys, &mut buf);
    let n2 = tied_pairs(&ys);
    let denom = ((n0 - n1) as f64 * (n0 - n2) as f64).sqrt();
    if denom == 0.0 {
        return Stat::undefined("a rater gave the same rating to every call");
    }
    let num = n0 as f64 - n1 as f64 - n2 as f64 + n3 as f64 - 2.0 * swaps as f64;
    Stat::of(num / denom, "numeric overflow")
}

/// [`pearson`] over the items `idx` of `x` and `y` (a bootstrap resample),
/// in one pass without copying.
pub fn pearson_indexed(x: &[f64], y: &[f64], idx: &[usize]) -> Stat {
    if idx.len() < 2 || x.len() != y.len() {
        return Stat::undefined("fewer than two paired ratings");
    }
    let n = idx.len() as f64;
    let (mut sx, mut sy, mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &i in idx {
        let (a, b) = match (x.get(i), y.get(i)) {
            (Some(a), Some(b)) => (*a, *b),
            _ => return Stat::undefined("index outside the ratings"),
        };
        sx += a;
        sy += b;
        sxx += a * a;
        syy += b * b;
        sxy += a * b;
    }
    let vx = sxx - sx * sx / n;
    let vy = syy - sy * sy / n;
    if vx <= 1e-12 * sxx.abs().max(1.0) || vy <= 1e-12 * syy.abs().max(1.0) {
        return Stat::undefined("a rater gave the same rating to every call");
    }
    Stat::of((sxy - sx * sy / n) / (vx * vy).sqrt(), "numeric overflow")
}

//! Intraclass correlation (Shrout & Fleiss): `ratings[subject][rater]`,
//! complete (no missing ratings).

use super::Stat;

fn mean_squares(r: &[Vec<f64>]) -> Result<(f64, f64, f64, f64, f64), Stat> {
    let n = r.len();
    if n < 2 {
        return Err(Stat::undefined("fewer than two rated calls"));
    }
    let k = r[0].len();
    if k < 2 || r.iter().any(|row| row.len() != k) {
        return Err(Stat::undefined(
            "every call needs the same number (at least two) of ratings",
        ));
    }
    if r.iter().flatten().any(|v| !v.is_finite()) {
        return Err(Stat::undefined("a rating is not a finite number"));
    }
    let grand = r.iter().flatten().sum::<f64>() / (n * k) as f64;
    let row_means: Vec<f64> = r
        .iter()
        .map(|row| row.iter().sum::<f64>() / k as f64)
        .collect();
    let col_means: Vec<f64> = (0..k)
        .map(|j| r.iter().map(|row| row[j]).sum::<f64>() / n as f64)
        .collect();
    let ssr = k as f64 * row_means.iter().map(|m| (m - grand).powi(2)).sum::<f64>();
    let ssc = n as f64 * col_means.iter().map(|m| (m - grand).powi(2)).sum::<f64>();
    let sst: f64 = r.iter().flatten().map(|v| (v - grand).powi(2)).sum();
    let sse = sst - ssr - ssc;
    let msr = ssr / (n - 1) as f64;
    let msc = ssc / (k - 1) as f64;
    let mse = sse / ((n - 1) * (k - 1)) as f64;
    Ok((msr, msc, mse, n as f64, k as f64))
}

/// ICC(2,1): two-way random effects, absolute agreement, single rater.
pub fn icc2_1(r: &[Vec<f64>]) -> Stat {
    match mean_squares(r) {
        Err(s) => s,
        Ok((msr, msc, mse, n, k)) => {
            let d = msr + (k - 1.0) * mse + k * (msc - mse) / n;
            if d == 0.0 {
                Stat::undefined("no variance at all")
            } else {
                Stat::of((msr - mse) / d, "numeric overflow")
            }
        }
    }
}

/// ICC(3,1): two-way mixed effects, consistency, single rater.
pub fn icc3_1(r: &[Vec<f64>]) -> Stat {
    match mean_squares(r) {
        Err(s) => s,
        Ok((msr, _, mse, _, k)) => {
            let d = msr + (k - 1.0) * mse;
            if d == 0.0 {
                Stat::undefined("no variance at all")
            } else {
                Stat::of((msr - mse) / d, "numeric overflow")
            }
        }
    }
}

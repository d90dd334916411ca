//! Chance-corrected agreement on categorical (and ordinal) labels.

use super::Stat;

/// Weights of disagreement for Cohen's kappa.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weights {
    /// All disagreements count the same.
    Unweighted,
    /// By distance on the scale.
    Linear,
    /// By squared distance.
    Quadratic,
}

/// [`cohen_kappa`] over the items `idx` of `a` and `b` (a bootstrap
/// resample), without copying the labels.
pub fn cohen_kappa_indexed(
    a: &[usize],
    b: &[usize],
    idx: &[usize],
    levels: usize,
    w: Weights,
) -> Stat {
    if !(2..=64).contains(&levels) || idx.is_empty() || a.len() != b.len() {
        return Stat::undefined("need labels from both raters on a scale of 2 to 64 levels");
    }
    let mut counts = [0u32; 64 * 64];
    for &i in idx {
        let (x, y) = match (a.get(i), b.get(i)) {
            (Some(&x), Some(&y)) if x < levels && y < levels => (x, y),
            _ => return Stat::undefined("a label is outside the scale"),
        };
        counts[x * 64 + y] += 1;
    }
    let n = idx.len() as f64;
    let mut row = [0.0f64; 64];
    let mut col = [0.0f64; 64];
    for x in 0..levels {
        for y in 0..levels {
            let c = f64::from(counts[x * 64 + y]) / n;
            row[x] += c;
            col[y] += c;
        }
    }
    let m = (levels - 1) as f64;
    let (mut wo, mut we) = (0.0, 0.0);
    for x in 0..levels {
        for y in 0..levels {
            let d = x.abs_diff(y) as f64;
            let wt = match w {
                Weights::Unweighted => f64::from(u8::from(x != y)),
                Weights::Linear => d / m,
                Weights::Quadratic => (d / m).powi(2),
            };
            wo += wt * f64::from(counts[x * 64 + y]) / n;
            we += wt * row[x] * col[y];
        }
    }
    if we == 0.0 {
        return Stat::undefined("chance disagreement is zero: both raters used one category");
    }
    Stat::of(1.0 - wo / we, "numeric overflow")
}

/// Cohen's kappa of two raters' labels `a`, `b` (indices into a scale of
/// `levels` ordered categories — pass the full scale so unused levels still
/// count). Undefined when chance disagreement is zero (both raters used a
/// single category).
pub fn cohen_kappa(a: &[usize], b: &[usize], levels: usize, w: Weights) -> Stat {
    if a.len() != b.len() || a.is_empty() {
        return Stat::undefined("need the same, non-zero number of labels from both raters");
    }
    if levels < 2 || a.iter().chain(b).any(|&x| x >= levels) {
        return Stat::undefined(
            "a label is outside the scale (or the scale has fewer than two levels)",
        );
    }
    let n = a.len() as f64;
    let mut o = vec![vec![0.0; levels]; levels];
    for (&i, &j) in a.iter().zip(b) {
        o[i][j] += 1.0 / n;
    }
    let row: Vec<f64> = (0..levels).map(|i| o[i].iter().sum()).collect();
    let col: Vec<f64> = (0..levels)
        .map(|j| (0..levels).map(|i| o[i][j]).sum())
        .collect();
    let m = (levels - 1) as f64;
    let weight = |i: usize, j: usize| -> f64 {
        let d = i.abs_diff(j) as f64;
        match w {
            Weights::Unweighted => f64::from(u8::from(i != j)),
            Weights::Linear => d / m,
            Weights::Quadratic => (d / m).powi(2),
        }
    };
    let (mut wo, mut we) = (0.0, 0.0);
    for i in 0..levels {
        for j in 0..levels {
            wo += weight(i, j) * o[i][j];
            we += weight(i, j) * row[i] * col[j];
        }
    }
    if we == 0.0 {
        return Stat::undefined("chance disagreement is zero: both raters used one category");
    }
    Stat::of(1.0 - wo / we, "numeric overflow")
}

/// Exact agreement: the share of identical labels.
pub fn exact_agreement(a: &[usize], b: &[usize]) -> Stat {
    if a.len() != b.len() || a.is_empty() {
        return Stat::undefined("need the same, non-zero number of labels from both raters");
    }
    Stat::Value(a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / a.len() as f64)
}

/// Fleiss' kappa from `counts[subject][category]` (every subject rated by
/// the same number of raters, at least two).
pub fn fleiss_kappa(counts: &[Vec<u32>]) -> Stat {
    let n_sub = counts.len();
    if n_sub == 0 {
        return Stat::undefined("no subjects");
    }
    let raters: u32 = counts[0].iter().sum();
    if raters < 2
        || counts
            .iter()
            .any(|c| c.iter().sum::<u32>() != raters || c.len() != counts[0].len())
    {
        return Stat::undefined("every subject needs the same number (at least two) of ratings");
    }
    let n = f64::from(raters);
    let k = counts[0].len();
    let mut p_bar = 0.0;
    let mut p_j = vec![0.0; k];
    for c in counts {
        let s: f64 = c.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
        p_bar += (s - n) / (n * (n - 1.0));
        for (j, &x) in c.iter().enumerate() {
            p_j[j] += f64::from(x);
        }
    }
    p_bar /= n_sub as f64;
    let pe: f64 = p_j.iter().map(|x| (x / (n_sub as f64 * n)).powi(2)).sum();
    if (1.0 - pe).abs() < 1e-15 {
        return Stat::undefined("every rating is in one category");
    }
    Stat::of((p_bar - pe) / (1.0 - pe), "numeric overflow")
}

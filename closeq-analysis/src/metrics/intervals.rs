//! Interval arithmetic on sorted, half-open `[start, end)` millisecond spans.

/// Merges intervals (sorted by start) into disjoint ones.
pub(crate) fn merge(sorted: impl IntoIterator<Item = (u64, u64)>) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    for (s, e) in sorted {
        if e <= s {
            continue;
        }
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// Total length of disjoint intervals.
pub(crate) fn total(v: &[(u64, u64)]) -> u64 {
    v.iter().map(|(s, e)| e - s).sum()
}

/// Intersection of two disjoint, sorted interval lists.
pub(crate) fn intersect(a: &[(u64, u64)], b: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        let s = a[i].0.max(b[j].0);
        let e = a[i].1.min(b[j].1);
        if s < e {
            out.push((s, e));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// Union of disjoint, sorted interval lists, by a linear k-way merge.
pub(crate) fn union(lists: &[&[(u64, u64)]]) -> Vec<(u64, u64)> {
    let mut idx = vec![0usize; lists.len()];
    let total_len = lists.iter().map(|l| l.len()).sum();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(total_len);
    loop {
        let mut best: Option<(usize, (u64, u64))> = None;
        for (k, l) in lists.iter().enumerate() {
            if let Some(&iv) = l.get(idx[k])
                && best.is_none_or(|(_, b)| iv.0 < b.0)
            {
                best = Some((k, iv));
            }
        }
        let Some((k, (s, e))) = best else {
            break;
        };
        idx[k] += 1;
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// Adds each interval's length to per-minute buckets.
pub(crate) fn add_to_minutes(v: &[(u64, u64)], buckets: &mut [u64]) {
    for &(s, e) in v {
        let mut t = s;
        while t < e {
            let m = (t / 60_000) as usize;
            let boundary = (m as u64 + 1) * 60_000;
            let stop = boundary.min(e);
            if let Some(b) = buckets.get_mut(m) {
                *b += stop - t;
            }
            t = stop;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        let m = merge([(0, 10), (5, 20), (30, 40), (40, 45)]);
        assert_eq!(m, vec![(0, 20), (30, 45)]);
        assert_eq!(total(&m), 35);
        assert_eq!(
            intersect(&[(0, 20), (30, 45)], &[(10, 35)]),
            vec![(10, 20), (30, 35)]
        );
        assert_eq!(
            union(&[&[(0, 5)], &[(3, 8), (10, 12)]]),
            vec![(0, 8), (10, 12)]
        );
        let mut b = vec![0; 3];
        add_to_minutes(&[(59_000, 121_000)], &mut b);
        assert_eq!(b, vec![1_000, 60_000, 1_000]);
    }
}

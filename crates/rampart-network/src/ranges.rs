//! Sorted, disjoint, merged lists of inclusive ranges: the one representation behind
//! port sets (`u16`) and address sets (`u128`, IPv4 addresses widened).

/// An integer type whose values have a successor and a predecessor.
pub(crate) trait Bound: Copy + Ord {
    /// The next value, `None` at the maximum.
    fn next(self) -> Option<Self>;
    /// The previous value, `None` at the minimum.
    fn prev(self) -> Option<Self>;
}

impl Bound for u16 {
    fn next(self) -> Option<Self> {
        self.checked_add(1)
    }
    fn prev(self) -> Option<Self> {
        self.checked_sub(1)
    }
}

impl Bound for u128 {
    fn next(self) -> Option<Self> {
        self.checked_add(1)
    }
    fn prev(self) -> Option<Self> {
        self.checked_sub(1)
    }
}

/// An inclusive range `(first, last)`, `first <= last`.
pub(crate) type Range<T> = (T, T);

/// Sorts `ranges` and merges overlapping and adjacent ones, in place.
pub(crate) fn normalize<T: Bound>(ranges: &mut Vec<Range<T>>) {
    ranges.retain(|(a, b)| a <= b);
    ranges.sort_unstable();
    let mut kept = 0;
    for i in 0..ranges.len() {
        let (first, last) = ranges[i];
        if kept > 0 {
            let prev = &mut ranges[kept - 1];
            if prev.1.next().is_none_or(|n| first <= n) {
                prev.1 = prev.1.max(last);
                continue;
            }
        }
        ranges[kept] = (first, last);
        kept += 1;
    }
    ranges.truncate(kept);
}

/// The union of two normalized lists.
pub(crate) fn union<T: Bound>(a: &[Range<T>], b: &[Range<T>]) -> Vec<Range<T>> {
    let mut all: Vec<Range<T>> = a.iter().chain(b).copied().collect();
    normalize(&mut all);
    all
}

/// The intersection of two normalized lists.
pub(crate) fn intersect<T: Bound>(a: &[Range<T>], b: &[Range<T>]) -> Vec<Range<T>> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        let first = a[i].0.max(b[j].0);
        let last = a[i].1.min(b[j].1);
        if first <= last {
            out.push((first, last));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// The ranges of `a` without those of `b` (both normalized).
pub(crate) fn minus<T: Bound>(a: &[Range<T>], b: &[Range<T>]) -> Vec<Range<T>> {
    let mut out = Vec::new();
    let mut j = 0;
    for &(first, last) in a {
        // `cursor` is the first value of the current range not yet known to be removed.
        let mut cursor = Some(first);
        while j < b.len() && b[j].1 < first {
            j += 1;
        }
        let mut k = j;
        while let Some(c) = cursor {
            if k >= b.len() || b[k].0 > last {
                out.push((c, last));
                break;
            }
            if b[k].0 > c {
                // `b[k].0 > c >= 0`, so it has a predecessor.
                if let Some(p) = b[k].0.prev() {
                    out.push((c, p));
                }
            }
            cursor = if b[k].1 >= last { None } else { b[k].1.next() };
            k += 1;
        }
    }
    out
}

/// Whether `value` lies in one of the normalized `ranges`.
pub(crate) fn contains<T: Bound>(ranges: &[Range<T>], value: T) -> bool {
    let idx = ranges.partition_point(|&(_, last)| last < value);
    ranges.get(idx).is_some_and(|&(first, _)| first <= value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations() {
        let mut a: Vec<Range<u16>> = vec![(10, 20), (5, 9), (30, 40), (41, 41)];
        normalize(&mut a);
        assert_eq!(a, vec![(5, 20), (30, 41)]);
        let b = vec![(0, 5), (15, 32), (41, u16::MAX)];
        assert_eq!(
            intersect(&a, &b),
            vec![(5, 5), (15, 20), (30, 32), (41, 41)]
        );
        assert_eq!(minus(&a, &b), vec![(6, 14), (33, 40)]);
        assert_eq!(minus(&b, &a), vec![(0, 4), (21, 29), (42, u16::MAX)]);
        assert_eq!(union(&a, &b), vec![(0, u16::MAX)]);
        assert!(contains(&a, 30) && contains(&a, 5) && !contains(&a, 21) && !contains(&a, 0));
        assert_eq!(minus(&[(0u128, u128::MAX)], &[(0, u128::MAX)]), vec![]);
        assert_eq!(
            minus(&[(0u128, u128::MAX)], &[(1, 1)]),
            vec![(0, 0), (2, u128::MAX)]
        );
    }
}

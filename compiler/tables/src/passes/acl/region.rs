//! Boxes (one interval per field) and the set operations ACL compression needs: intersection,
//! difference and "is this box covered by the union of those".
//!
//! Every entry the lowering produces is such a box (a prefix or a range in each field), so a single
//! geometry serves both native-range and ternary targets.

use super::Interval;

/// One interval per key field.
pub type Region = Vec<Interval>;

pub fn intersects(a: &[Interval], b: &[Interval]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.lo <= y.hi && y.lo <= x.hi)
}

/// Number of fields in which `a` and `b` do not overlap (0 means the boxes intersect).
pub fn disjoint_fields(a: &[Interval], b: &[Interval]) -> usize {
    a.iter()
        .zip(b)
        .filter(|(x, y)| x.hi < y.lo || y.hi < x.lo)
        .count()
}

/// Pushes `a \ b` as disjoint boxes onto `out`.
fn subtract(a: &[Interval], b: &[Interval], out: &mut Vec<Region>) {
    if !intersects(a, b) {
        out.push(a.to_vec());
        return;
    }
    let mut rest = a.to_vec();
    for f in 0..a.len() {
        let (r, s) = (rest[f], b[f]);
        if r.lo < s.lo {
            let mut piece = rest.clone();
            piece[f] = Interval::new(r.lo, s.lo - 1);
            out.push(piece);
        }
        if r.hi > s.hi {
            let mut piece = rest.clone();
            piece[f] = Interval::new(s.hi + 1, r.hi);
            out.push(piece);
        }
        rest[f] = Interval::new(r.lo.max(s.lo), r.hi.min(s.hi));
    }
}

/// Upper bound on the pieces a coverage check may track. Past it the answer is "not covered",
/// which is always safe for the callers (they then keep an entry or do not widen one).
const PIECE_LIMIT: usize = 256;

/// Whether `target` lies inside the union of `others`. Conservative: may answer `false` for a
/// covered target when the residue fragments into more than [`PIECE_LIMIT`] pieces.
pub fn covered<'a>(target: &[Interval], others: impl IntoIterator<Item = &'a Region>) -> bool {
    let relevant: Vec<&Region> = others
        .into_iter()
        .filter(|o| intersects(o, target))
        .collect();
    if relevant.is_empty() {
        return false;
    }
    let mut pieces = vec![target.to_vec()];
    let mut next = Vec::new();
    for other in relevant {
        if pieces.is_empty() {
            break;
        }
        for p in &pieces {
            subtract(p, other, &mut next);
        }
        if next.len() > PIECE_LIMIT {
            return false;
        }
        std::mem::swap(&mut pieces, &mut next);
        next.clear();
    }
    pieces.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(v: &[(u128, u128)]) -> Region {
        v.iter().map(|&(l, h)| Interval::new(l, h)).collect()
    }

    #[test]
    fn union_covers_what_no_single_box_does() {
        let target = b(&[(0, 9), (0, 9)]);
        let left = b(&[(0, 4), (0, 9)]);
        let right = b(&[(5, 9), (0, 9)]);
        assert!(!covered(&target, [&left]));
        assert!(covered(&target, [&left, &right]));
        let hole = b(&[(5, 9), (0, 8)]);
        assert!(!covered(&target, [&left, &hole]));
    }

    #[test]
    fn difference_counts_every_point_once() {
        let a = b(&[(0, 7), (0, 7)]);
        let s = b(&[(2, 3), (4, 9)]);
        let mut out = Vec::new();
        subtract(&a, &s, &mut out);
        let area: u128 = out
            .iter()
            .map(|r| r.iter().map(|i| i.hi - i.lo + 1).product::<u128>())
            .sum();
        assert_eq!(area, 64 - 2 * 4);
        assert!(out.iter().all(|p| !intersects(p, &s)));
    }
}

//! Range to prefix expansion: the minimal set of aligned blocks whose union is `[lo, hi]`.
//!
//! The greedy walk takes, from `lo` upward, the largest block that starts at `lo` (so is aligned
//! to it) and does not pass `hi`. It is minimal (at most `2w - 2` prefixes for a `w`-bit field)
//! because any prefix cover must split the range at the same alignment boundaries.

use super::Interval;

/// The prefixes covering `range` in a `width`-bit field, lowest first.
pub fn cover(range: Interval, width: u32) -> Vec<Interval> {
    let mut out = Vec::new();
    let mut lo = range.lo;
    loop {
        // Largest k such that lo is 2^k-aligned and lo + 2^k - 1 <= hi.
        let mut k = if lo == 0 {
            width
        } else {
            lo.trailing_zeros().min(width)
        };
        while k > 0 && block_end(lo, k) > range.hi {
            k -= 1;
        }
        let end = block_end(lo, k);
        out.push(Interval::new(lo, end));
        if end >= range.hi {
            return out;
        }
        lo = end + 1;
    }
}

/// Last value of the `2^k` block starting at `lo`, saturating for the full 128-bit block.
fn block_end(lo: u128, k: u32) -> u128 {
    if k >= 128 {
        u128::MAX
    } else {
        lo.saturating_add((1u128 << k) - 1)
    }
}

/// Number of prefixes [`cover`] would return, without building them.
pub fn count(range: Interval, width: u32) -> usize {
    cover(range, width).len()
}

/// Prefix length of an aligned block, or `None` if `range` is not one.
pub fn as_prefix(range: Interval, width: u32) -> Option<u32> {
    let span = range.hi.wrapping_sub(range.lo).wrapping_add(1);
    if range.lo == 0 && range.hi == max_value(width) {
        return Some(0);
    }
    if span.is_power_of_two() && range.lo & (span - 1) == 0 {
        Some(width - span.trailing_zeros())
    } else {
        None
    }
}

/// Largest value of a `width`-bit field.
pub fn max_value(width: u32) -> u128 {
    if width >= 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(lo: u128, hi: u128) -> Interval {
        Interval::new(lo, hi)
    }

    #[test]
    fn classic_port_ranges() {
        assert_eq!(cover(iv(0, 65535), 16), vec![iv(0, 65535)]);
        assert_eq!(cover(iv(0, 1023), 16), vec![iv(0, 1023)]);
        // [1024, 65535]: 000001*, 00001*, 0001*, 001*, 01*, 1*.
        assert_eq!(
            cover(iv(1024, 65535), 16),
            vec![
                iv(1024, 2047),
                iv(2048, 4095),
                iv(4096, 8191),
                iv(8192, 16383),
                iv(16384, 32767),
                iv(32768, 65535)
            ]
        );
        // The worst case for 16 bits is 2w - 2 = 30.
        assert_eq!(count(iv(1, 65534), 16), 30);
        assert_eq!(cover(iv(80, 80), 16), vec![iv(80, 80)]);
    }

    #[test]
    fn full_128_bit_field() {
        assert_eq!(cover(iv(0, u128::MAX), 128), vec![iv(0, u128::MAX)]);
        assert_eq!(as_prefix(iv(0, u128::MAX), 128), Some(0));
        assert_eq!(count(iv(1, u128::MAX), 128), 128);
    }

    #[test]
    fn prefix_lengths() {
        assert_eq!(as_prefix(iv(0x0a00_0000, 0x0aff_ffff), 32), Some(8));
        assert_eq!(as_prefix(iv(7, 7), 16), Some(16));
        assert_eq!(as_prefix(iv(1, 2), 16), None);
    }

    #[test]
    fn cover_is_exact_and_disjoint_for_every_small_range() {
        for lo in 0u128..64 {
            for hi in lo..64 {
                let blocks = cover(iv(lo, hi), 6);
                let mut next = lo;
                for b in &blocks {
                    assert_eq!(b.lo, next);
                    assert!(as_prefix(*b, 6).is_some());
                    next = b.hi + 1;
                }
                assert_eq!(next, hi + 1);
            }
        }
    }
}

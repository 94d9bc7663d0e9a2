//! Maglev consistent hashing (Eisenbud et al., NSDI'16, section 3.4) with weights, plus a
//! minimal-disruption update from a previous table.
//!
//! A [`Table`] maps each of `size` buckets to one backend of a pool. The ingress data plane hashes a
//! packet's 5-tuple to a bucket and reads the backend from the `(pool, bucket) -> backend` exact
//! table, so every bucket here becomes exactly one table entry.
//!
//! Invariants of a [`Table`]: its backends are sorted by name and unique, every bucket names one of
//! them, and only backends with a positive weight own buckets. Because backends are sorted before
//! anything else happens, the result does not depend on the order the policy lists them in.
//!
//! Sizes: the paper requires a prime size so that every skip in `1..size` yields a full
//! permutation. A power of two works as well when the skip is odd (odd numbers are coprime to a
//! power of two); targets that cannot compute `hash % size` (Tofino) need that, since they take
//! the bucket from the low bits of the hash.

use std::collections::BTreeMap;

use thiserror::Error;

/// One member of a pool as the pass sees it: a stable name (hashed to derive its permutation) and
/// a relative weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    pub name: String,
    pub weight: u32,
}

impl Backend {
    pub fn new(name: impl Into<String>, weight: u32) -> Self {
        Backend {
            name: name.into(),
            weight,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    #[error("pool has no backends")]
    NoBackends,
    #[error("every backend of the pool has weight 0")]
    NoWeight,
    #[error("backend `{name}` is listed twice")]
    DuplicateBackend { name: String },
    #[error("expected a table size that is a prime or a power of two (at least 2), found {size}")]
    BadSize { size: u32 },
    #[error("table size {size} is smaller than the {backends} weighted backends of the pool")]
    TooSmall { size: u32, backends: usize },
    #[error("bucket {bucket} names backend {slot}, but there are {backends} backends")]
    BadSlot {
        bucket: usize,
        slot: u32,
        backends: usize,
    },
}

/// A populated lookup table: bucket -> index into [`Table::backends`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    backends: Vec<Backend>,
    slots: Vec<u32>,
}

impl Table {
    /// A table as a previous revision stored it: `slots[b]` indexes `backends`. The same
    /// checks as for a populated table (size, names unique) and every slot in range, so
    /// [`update`] can rely on the invariants.
    pub fn from_parts(backends: Vec<Backend>, slots: Vec<u32>) -> Result<Table, Error> {
        let size = u32::try_from(slots.len()).map_err(|_| Error::BadSize { size: u32::MAX })?;
        let sorted = normalise(size, &backends)?;
        let remap: Vec<u32> = backends
            .iter()
            .map(|b| sorted.iter().position(|x| x.name == b.name).unwrap_or(0) as u32)
            .collect();
        let slots = slots
            .iter()
            .enumerate()
            .map(|(bucket, &slot)| {
                remap.get(slot as usize).copied().ok_or(Error::BadSlot {
                    bucket,
                    slot,
                    backends: backends.len(),
                })
            })
            .collect::<Result<Vec<u32>, Error>>()?;
        Ok(Table {
            backends: sorted,
            slots,
        })
    }

    /// Number of buckets.
    pub fn size(&self) -> u32 {
        self.slots.len() as u32
    }

    /// The pool's backends, sorted by name.
    pub fn backends(&self) -> &[Backend] {
        &self.backends
    }

    /// Bucket -> index into [`Table::backends`].
    pub fn slots(&self) -> &[u32] {
        &self.slots
    }

    /// The backend that owns `bucket`; `None` if the bucket is out of range.
    pub fn backend_of(&self, bucket: u32) -> Option<&Backend> {
        let slot = *self.slots.get(bucket as usize)?;
        self.backends.get(slot as usize)
    }

    /// Buckets owned by each backend, in the order of [`Table::backends`].
    pub fn counts(&self) -> Vec<u32> {
        let mut counts = vec![0u32; self.backends.len()];
        for &slot in &self.slots {
            counts[slot as usize] += 1;
        }
        counts
    }
}

/// The `(offset, skip)` pair that defines one backend's preference list over the buckets:
/// `permutation[j] = (offset + j * skip) % size`.
#[derive(Debug, Clone, Copy)]
struct Permutation {
    offset: u64,
    skip: u64,
    size: u64,
}

impl Permutation {
    fn new(name: &str, size: u32) -> Self {
        let size = u64::from(size);
        let offset = hash(name, OFFSET_SEED) % size;
        let h = hash(name, SKIP_SEED);
        let skip = if size.is_power_of_two() {
            (h % (size / 2).max(1)) * 2 + 1
        } else {
            h % (size - 1) + 1
        };
        Permutation { offset, skip, size }
    }

    fn at(self, j: u64) -> u64 {
        (self.offset + j * self.skip) % self.size
    }

    /// Position of `bucket` in this preference list: the inverse of [`Permutation::at`]. Buckets
    /// late in the list are the ones a backend gives up first when it has too many.
    fn rank(self, bucket: u64) -> u64 {
        let delta = (bucket + self.size - self.offset) % self.size;
        delta * inverse(self.skip, self.size) % self.size
    }
}

const OFFSET_SEED: u64 = 0x6d61_676c_6576_3031;
const SKIP_SEED: u64 = 0x6d61_676c_6576_3032;

/// FNV-1a over the name, then the splitmix64 finalizer so that names differing in one character
/// still give unrelated offsets. Written here (not `std`'s hasher) because the result must never
/// change between Rust releases: table entries are diffed across compiler runs.
pub(crate) fn hash(name: &str, seed: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Multiplicative inverse of `a` modulo `m` (they are coprime by construction of the skip).
fn inverse(a: u64, m: u64) -> u64 {
    let (mut old_r, mut r) = (i128::from(a), i128::from(m));
    let (mut old_s, mut s) = (1i128, 0i128);
    while r != 0 {
        let q = old_r / r;
        (old_r, r) = (r, old_r - q * r);
        (old_s, s) = (s, old_s - q * s);
    }
    old_s.rem_euclid(i128::from(m)) as u64
}

fn is_prime(n: u32) -> bool {
    if n < 2 {
        return false;
    }
    let n = u64::from(n);
    let mut d = 2u64;
    while d * d <= n {
        if n % d == 0 {
            return false;
        }
        d += 1;
    }
    true
}

fn check_size(size: u32) -> Result<(), Error> {
    if size >= 2 && (size.is_power_of_two() || is_prime(size)) {
        Ok(())
    } else {
        Err(Error::BadSize { size })
    }
}

/// Sorts by name and rejects what no table can be built for.
fn normalise(size: u32, backends: &[Backend]) -> Result<Vec<Backend>, Error> {
    check_size(size)?;
    if backends.is_empty() {
        return Err(Error::NoBackends);
    }
    let mut sorted = backends.to_vec();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(w) = sorted.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(Error::DuplicateBackend {
            name: w[0].name.clone(),
        });
    }
    let weighted = sorted.iter().filter(|b| b.weight > 0).count();
    if weighted == 0 {
        return Err(Error::NoWeight);
    }
    if weighted > size as usize {
        return Err(Error::TooSmall {
            size,
            backends: weighted,
        });
    }
    Ok(sorted)
}

/// Weighted turn order: in round `r` (from 1) backend `i` takes a turn when
/// `floor(r * w_i / w_max)` grows, so over many rounds turns are proportional to weights and with
/// equal weights every backend takes one turn per round, as in the paper.
struct Turns {
    weights: Vec<u64>,
    max: u64,
    round: u64,
    next: usize,
}

impl Turns {
    fn new(backends: &[Backend]) -> Self {
        let weights: Vec<u64> = backends.iter().map(|b| u64::from(b.weight)).collect();
        let max = weights.iter().copied().max().unwrap_or(0);
        Turns {
            weights,
            max,
            round: 1,
            next: 0,
        }
    }
}

impl Iterator for Turns {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.max == 0 {
            return None;
        }
        loop {
            if self.next == self.weights.len() {
                self.next = 0;
                self.round += 1;
            }
            let i = self.next;
            self.next += 1;
            let w = self.weights[i];
            if (self.round * w) / self.max > ((self.round - 1) * w) / self.max {
                return Some(i);
            }
        }
    }
}

/// Plain Maglev population (the paper's Pseudocode 1 with weighted turns).
pub fn populate(size: u32, backends: &[Backend]) -> Result<Table, Error> {
    let backends = normalise(size, backends)?;
    let perms: Vec<Permutation> = backends
        .iter()
        .map(|b| Permutation::new(&b.name, size))
        .collect();
    let mut next = vec![0u64; backends.len()];
    let mut slots = vec![u32::MAX; size as usize];
    let mut filled = 0usize;
    for i in Turns::new(&backends) {
        let mut c = perms[i].at(next[i]);
        while slots[c as usize] != u32::MAX {
            next[i] += 1;
            c = perms[i].at(next[i]);
        }
        slots[c as usize] = i as u32;
        next[i] += 1;
        filled += 1;
        if filled == slots.len() {
            break;
        }
    }
    Ok(Table { backends, slots })
}

/// Buckets each backend should own: `size * w_i / sum(w)` rounded by largest remainder, ties to
/// the earlier name, so the quotas always add up to `size`.
fn quotas(size: u32, backends: &[Backend]) -> Vec<u32> {
    let total: u128 = backends.iter().map(|b| u128::from(b.weight)).sum();
    let size128 = u128::from(size);
    let mut quota: Vec<u32> = backends
        .iter()
        .map(|b| (size128 * u128::from(b.weight) / total) as u32)
        .collect();
    let assigned: u32 = quota.iter().sum();
    let mut by_remainder: Vec<usize> = (0..backends.len()).collect();
    by_remainder.sort_by_key(|&i| {
        let rem = size128 * u128::from(backends[i].weight) % total;
        (std::cmp::Reverse(rem), i)
    });
    for &i in by_remainder.iter().take((size - assigned) as usize) {
        quota[i] += 1;
    }
    quota
}

/// Minimal-disruption update: keeps every bucket whose backend survives and is not above its new
/// quota; gives the freed buckets (those of removed backends, and the excess of backends whose
/// share shrank because others were added or reweighted) to the backends below quota, each taking
/// free buckets in its own Maglev preference order.
///
/// Consequences: removing a backend moves only that backend's buckets as long as no survivor is
/// above its new share (always true with equal weights when `size >= n * (n - 1)`); adding one
/// moves exactly the new backend's quota; afterwards every backend owns exactly its quota. The
/// table size cannot change (that changes every bucket's meaning, so it is a fresh [`populate`]).
pub fn update(previous: &Table, backends: &[Backend]) -> Result<Table, Error> {
    let size = previous.size();
    let backends = normalise(size, backends)?;
    let index: BTreeMap<&str, u32> = backends
        .iter()
        .enumerate()
        .filter(|(_, b)| b.weight > 0)
        .map(|(i, b)| (b.name.as_str(), i as u32))
        .collect();
    let quota = quotas(size, &backends);
    let perms: Vec<Permutation> = backends
        .iter()
        .map(|b| Permutation::new(&b.name, size))
        .collect();

    const FREE: u32 = u32::MAX;
    let mut slots: Vec<u32> = previous
        .slots
        .iter()
        .map(|&s| {
            let name = previous.backends[s as usize].name.as_str();
            index.get(name).copied().unwrap_or(FREE)
        })
        .collect();

    let mut owned: Vec<Vec<u64>> = vec![Vec::new(); backends.len()];
    for (bucket, &s) in slots.iter().enumerate() {
        if s != FREE {
            owned[s as usize].push(bucket as u64);
        }
    }
    let mut count = vec![0u32; backends.len()];
    for (i, buckets) in owned.iter_mut().enumerate() {
        let excess = buckets.len().saturating_sub(quota[i] as usize);
        if excess > 0 {
            buckets.sort_by_key(|&b| std::cmp::Reverse(perms[i].rank(b)));
            for &b in &buckets[..excess] {
                slots[b as usize] = FREE;
            }
        }
        count[i] = (buckets.len() - excess) as u32;
    }

    let mut next = vec![0u64; backends.len()];
    let mut missing: u64 = quota
        .iter()
        .zip(&count)
        .map(|(&q, &c)| u64::from(q.saturating_sub(c)))
        .sum();
    while missing > 0 {
        for i in 0..backends.len() {
            if count[i] >= quota[i] {
                continue;
            }
            let mut c = perms[i].at(next[i]);
            while slots[c as usize] != FREE {
                next[i] += 1;
                c = perms[i].at(next[i]);
            }
            slots[c as usize] = i as u32;
            next[i] += 1;
            count[i] += 1;
            missing -= 1;
        }
    }
    Ok(Table { backends, slots })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_fnv1a_then_splitmix() {
        // FNV-1a 64 published test vectors, seed 0.
        assert_eq!(mix(0xcbf2_9ce4_8422_2325), hash("", 0));
        assert_eq!(mix(0xaf63_dc4c_8601_ec8c), hash("a", 0));
        assert_eq!(mix(0x85944171f73967e8), hash("foobar", 0));
    }

    #[test]
    fn rank_inverts_the_permutation() {
        for size in [7u32, 251, 256, 65537] {
            for name in ["a", "backend-17", "10.0.0.1"] {
                let p = Permutation::new(name, size);
                for j in [0u64, 1, 2, u64::from(size) / 2, u64::from(size) - 1] {
                    assert_eq!(p.rank(p.at(j)), j, "{name} size {size} j {j}");
                }
            }
        }
    }

    #[test]
    fn power_of_two_skip_is_odd() {
        for name in ["a", "b", "c", "d", "e"] {
            assert_eq!(Permutation::new(name, 1024).skip % 2, 1);
        }
    }

    #[test]
    fn quotas_sum_to_size_and_follow_weights() {
        let b = [
            Backend::new("a", 1),
            Backend::new("b", 1),
            Backend::new("c", 1),
        ];
        assert_eq!(quotas(7, &b), vec![3, 2, 2]);
        let b = [Backend::new("a", 1), Backend::new("b", 3)];
        assert_eq!(quotas(251, &b), vec![63, 188]);
    }
}

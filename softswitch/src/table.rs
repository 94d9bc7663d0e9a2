//! Match-action table state: entries with their direct counters and meters, and the indexes
//! that find the winning entry for a key.
//!
//! One trait-like enum, [`Index`], with four implementations: [`Index::Linear`], the naive
//! scan kept as the oracle (it applies the same rule as `ddsr_pipeline::lookup`);
//! [`Index::Exact`], all-exact keys of at most 128 bits packed into one integer hash key;
//! [`Index::Sorted`], entries in rank order with an early exit (range keys); and
//! [`Index::TupleSpace`], one hash map per distinct mask vector, visited in order of their best
//! rank (wider exact keys are one tuple, LPM one tuple per prefix length, ternary one per mask).
//! Proptests check the fast ones against the oracle. Each table's index sits in a [`Counted`]
//! that counts the packet path's lookups, hits and misses, for the switch's statistics.

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use ddsr_pipeline::entry::{ActionCall, EntryAction, FieldMatch, prefix_mask};
use ddsr_pipeline::table::{MatchKind, Table};
use ddsr_pipeline::value::{from_bytes, mask};
use ddsr_pipeline::{Action, Handle, TableEntry};

use crate::externs::Count;
use crate::externs::meter::Meter;

/// An action with its argument values decoded once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    pub action: Handle<Action>,
    pub args: Box<[u128]>,
}

impl Bound {
    pub fn from_call(call: &ActionCall) -> Bound {
        Bound {
            action: call.action,
            args: call.args.iter().map(|a| from_bytes(a)).collect(),
        }
    }
}

/// One key field's condition, decoded from a [`FieldMatch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matcher {
    /// `key & mask == value` (exact, LPM, ternary, optional).
    Masked {
        value: u128,
        mask: u128,
    },
    Range {
        lo: u128,
        hi: u128,
    },
}

impl Matcher {
    pub fn new(m: &FieldMatch, width: u16) -> Matcher {
        match m {
            FieldMatch::Exact { value } => Matcher::Masked {
                value: from_bytes(value),
                mask: mask(width),
            },
            FieldMatch::Lpm { value, prefix_len } => Matcher::Masked {
                value: from_bytes(value),
                mask: prefix_mask(*prefix_len, width),
            },
            FieldMatch::Ternary { value, mask } => Matcher::Masked {
                value: from_bytes(value),
                mask: from_bytes(mask),
            },
            FieldMatch::Optional { value: Some(v) } => Matcher::Masked {
                value: from_bytes(v),
                mask: mask(width),
            },
            FieldMatch::Optional { value: None } => Matcher::Masked { value: 0, mask: 0 },
            FieldMatch::Range { low, high } => Matcher::Range {
                lo: from_bytes(low),
                hi: from_bytes(high),
            },
        }
    }

    #[inline]
    pub fn matches(self, k: u128) -> bool {
        match self {
            Matcher::Masked { value, mask } => k & mask == value,
            Matcher::Range { lo, hi } => lo <= k && k <= hi,
        }
    }
}

/// Order among matching entries: higher wins; ties go to the earlier insertion.
pub type Rank = i128;

/// The rank of an entry: its priority in priority tables, else its summed prefix lengths.
pub fn rank(table: &Table, e: &TableEntry, seq: u64) -> Rank {
    let r = if table.needs_priority() {
        i64::from(e.priority)
    } else {
        e.matches
            .iter()
            .map(|m| match m {
                FieldMatch::Lpm { prefix_len, .. } => i64::from(*prefix_len),
                _ => 0,
            })
            .sum()
    };
    (i128::from(r) << 64) | i128::from(u64::MAX - seq)
}

/// FxHash-style hashing for key tuples: keys are switch-internal, so no DoS-resistant hash is
/// needed, and SipHash would cost more than the rest of a lookup.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits depending only on the input's low bits, and
        // hashbrown picks buckets by the low bits: byte-string keys (big-endian, so their
        // varying bytes land high) collided in a few buckets. The rotation brings the
        // well-mixed high bits down.
        self.0.rotate_left(26)
    }
    fn write(&mut self, bytes: &[u8]) {
        // Slices of integers arrive here as raw bytes: mix them 8 at a time.
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(w));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u128(&mut self, v: u128) {
        self.write_u64(v as u64);
        self.write_u64((v >> 64) as u64);
    }
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
}

type KeyMap<V> = HashMap<Box<[u128]>, V, BuildHasherDefault<KeyHasher>>;

/// Keys longer than this use the sorted scan (the tuple index masks into a stack buffer).
pub const MAX_TUPLE_KEYS: usize = 16;

#[derive(Debug, Clone)]
/// One mask vector of a tuple-space index and the entries that share it.
pub struct Tuple {
    mask: Box<[u128]>,
    best: Rank,
    map: KeyMap<Vec<(Rank, u32)>>,
}

/// Largest sum of key widths the packed exact index serves (one `u128` per key).
pub const MAX_PACKED_BITS: u32 = 128;

#[derive(Debug, Clone)]
pub enum Index {
    /// Exact keys packed MSB first into one `u128` (widths summing to at most
    /// [`MAX_PACKED_BITS`]): one hash probe on an integer, no masking and no slice compare.
    /// Exact tables have no priorities and refuse duplicate keys, so a key has one slot.
    Exact {
        widths: Box<[u16]>,
        map: HashMap<u128, u32, BuildHasherDefault<KeyHasher>>,
    },
    /// Every entry, scanned fully: the oracle.
    Linear(Vec<(u32, Box<[Matcher]>, Rank)>),
    /// Entries in descending rank; the first match wins.
    Sorted(Vec<(u32, Box<[Matcher]>, Rank)>),
    /// Hash maps per mask vector, in descending order of their best rank.
    TupleSpace(Vec<Tuple>),
}

impl Index {
    /// The fast index suited to a table's keys.
    pub fn for_table(t: &Table) -> Index {
        let has_range = t.keys.iter().any(|k| k.match_kind == MatchKind::Range);
        let packed_bits: u32 = t.keys.iter().map(|k| u32::from(k.width)).sum();
        if !t.keys.is_empty()
            && packed_bits <= MAX_PACKED_BITS
            && t.keys.iter().all(|k| k.match_kind == MatchKind::Exact)
        {
            Index::Exact {
                widths: t.keys.iter().map(|k| k.width).collect(),
                map: HashMap::default(),
            }
        } else if has_range || t.keys.len() > MAX_TUPLE_KEYS || t.keys.is_empty() {
            Index::Sorted(Vec::new())
        } else {
            Index::TupleSpace(Vec::new())
        }
    }

    pub fn insert(&mut self, slot: u32, m: &[Matcher], rank: Rank) {
        match self {
            Index::Exact { widths, map } => {
                let values = m.iter().map(|m| match m {
                    Matcher::Masked { value, .. } => *value,
                    Matcher::Range { lo, .. } => *lo,
                });
                map.insert(pack(widths, values), slot);
            }
            Index::Linear(v) => v.push((slot, m.into(), rank)),
            Index::Sorted(v) => {
                let at = v.partition_point(|(_, _, r)| *r > rank);
                v.insert(at, (slot, m.into(), rank));
            }
            Index::TupleSpace(tuples) => {
                let (mask, value) = split(m);
                let t = match tuples.iter_mut().position(|t| t.mask == mask) {
                    Some(i) => &mut tuples[i],
                    None => {
                        tuples.push(Tuple {
                            mask,
                            best: rank,
                            map: KeyMap::default(),
                        });
                        tuples.last_mut().expect("just pushed")
                    }
                };
                let list = t.map.entry(value).or_default();
                let at = list.partition_point(|(r, _)| *r > rank);
                list.insert(at, (rank, slot));
                t.best = t.best.max(rank);
                tuples.sort_by_key(|t| std::cmp::Reverse(t.best));
            }
        }
    }

    pub fn remove(&mut self, slot: u32, m: &[Matcher]) {
        match self {
            Index::Exact { widths, map } => {
                let values = m.iter().map(|m| match m {
                    Matcher::Masked { value, .. } => *value,
                    Matcher::Range { lo, .. } => *lo,
                });
                map.remove(&pack(widths, values));
            }
            Index::Linear(v) | Index::Sorted(v) => v.retain(|(s, _, _)| *s != slot),
            Index::TupleSpace(tuples) => {
                let (mask, value) = split(m);
                if let Some(i) = tuples.iter().position(|t| t.mask == mask) {
                    let t = &mut tuples[i];
                    if let Some(list) = t.map.get_mut(&value) {
                        list.retain(|(_, s)| *s != slot);
                        if list.is_empty() {
                            t.map.remove(&value);
                        }
                    }
                    if t.map.is_empty() {
                        tuples.remove(i);
                    } else {
                        t.best = t.map.values().map(|l| l[0].0).max().unwrap_or(Rank::MIN);
                        tuples.sort_by_key(|t| std::cmp::Reverse(t.best));
                    }
                }
            }
        }
    }

    /// The slot of the winning entry for `key`.
    #[inline]
    pub fn lookup(&self, key: &[u128]) -> Option<u32> {
        match self {
            Index::Exact { widths, map } => map.get(&pack(widths, key.iter().copied())).copied(),
            Index::Linear(v) => {
                let mut best: Option<(Rank, u32)> = None;
                for (slot, m, r) in v {
                    if m.iter().zip(key).all(|(m, k)| m.matches(*k))
                        && best.is_none_or(|(b, _)| *r > b)
                    {
                        best = Some((*r, *slot));
                    }
                }
                best.map(|(_, s)| s)
            }
            Index::Sorted(v) => v
                .iter()
                .find(|(_, m, _)| m.iter().zip(key).all(|(m, k)| m.matches(*k)))
                .map(|(s, _, _)| *s),
            Index::TupleSpace(tuples) => {
                let mut buf = [0u128; MAX_TUPLE_KEYS];
                let masked = &mut buf[..key.len()];
                let mut best: Option<(Rank, u32)> = None;
                for t in tuples {
                    if best.is_some_and(|(b, _)| t.best < b) {
                        break;
                    }
                    for ((o, k), m) in masked.iter_mut().zip(key).zip(t.mask.iter()) {
                        *o = k & m;
                    }
                    if let Some(list) = t.map.get(&*masked) {
                        let (r, s) = list[0];
                        if best.is_none_or(|(b, _)| r > b) {
                            best = Some((r, s));
                        }
                    }
                }
                best.map(|(_, s)| s)
            }
        }
    }

    pub fn clear(&mut self) {
        match self {
            Index::Exact { map, .. } => map.clear(),
            Index::Linear(v) | Index::Sorted(v) => v.clear(),
            Index::TupleSpace(t) => t.clear(),
        }
    }
}

/// Concatenates values MSB first, each reduced to its width (the widths sum to at most 128).
#[inline]
fn pack(widths: &[u16], values: impl Iterator<Item = u128>) -> u128 {
    widths.iter().zip(values).fold(0u128, |acc, (w, v)| {
        let w = u32::from(*w);
        if w >= 128 {
            v
        } else {
            (acc << w) | (v & mask(w as u16))
        }
    })
}

/// Lookup counts of one table: `hits` found an entry, `misses` ran the default action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lookups {
    pub hits: u64,
    pub misses: u64,
}

/// A table's index with its lookup counters.
///
/// The counters are cells because the packet path looks tables up through a shared borrow;
/// counting is two plain increments, so lookups stay allocation-free.
#[derive(Debug, Clone)]
pub struct Counted {
    pub inner: Index,
    hits: Cell<u64>,
    misses: Cell<u64>,
}

impl Counted {
    pub fn new(inner: Index) -> Counted {
        Counted {
            inner,
            hits: Cell::new(0),
            misses: Cell::new(0),
        }
    }

    /// The slot of the winning entry for `key`, counted as a hit or a miss.
    #[inline]
    pub fn lookup(&self, key: &[u128]) -> Option<u32> {
        let slot = self.inner.lookup(key);
        let c = if slot.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        c.set(c.get() + 1);
        slot
    }

    pub fn lookups(&self) -> Lookups {
        Lookups {
            hits: self.hits.get(),
            misses: self.misses.get(),
        }
    }
}

fn split(m: &[Matcher]) -> (Box<[u128]>, Box<[u128]>) {
    let (mask, value): (Vec<u128>, Vec<u128>) = m
        .iter()
        .map(|m| match m {
            Matcher::Masked { value, mask } => (*mask, *value),
            Matcher::Range { .. } => (0, 0),
        })
        .unzip();
    (mask.into(), value.into())
}

/// What a matched entry runs.
#[derive(Debug, Clone)]
pub enum Target {
    Action(Bound),
    Member(u32),
    Group(u32),
}

/// An installed entry with its direct resources.
#[derive(Debug, Clone)]
pub struct Stored {
    pub entry: TableEntry,
    pub matchers: Box<[Matcher]>,
    pub target: Target,
    pub counter: Count,
    pub meter: Meter,
}

/// Why a table write was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("table `{0}` already has an entry with this key")]
    Exists(String),
    #[error("table `{0}` has no entry with this key")]
    NotFound(String),
    #[error("table `{table}` is full ({size} entries)")]
    Full { table: String, size: u32 },
    #[error("table `{0}` has const entries")]
    Const(String),
    #[error("table `{0}` has a const default action")]
    ConstDefault(String),
    #[error(transparent)]
    Entry(#[from] ddsr_pipeline::EntryError),
    #[error("{0}")]
    Profile(String),
}

/// The run-time state of one table.
#[derive(Debug, Clone)]
pub struct TableState {
    pub slots: Vec<Option<Stored>>,
    free: Vec<u32>,
    /// Slot of each entry by its P4Runtime identity (matches and priority). Hashed like the
    /// index: only the primary controller writes keys, so flooding is not a concern, and
    /// SipHash dominated bulk inserts.
    by_key: HashMap<(Vec<FieldMatch>, i32), u32, BuildHasherDefault<KeyHasher>>,
    pub index: Counted,
    pub default: Bound,
    pub default_call: ActionCall,
    seq: u64,
}

impl TableState {
    pub fn new(t: &Table, index: Index) -> TableState {
        TableState {
            slots: Vec::new(),
            free: Vec::new(),
            by_key: HashMap::default(),
            index: Counted::new(index),
            default: Bound::from_call(&t.default_action),
            default_call: t.default_action.clone(),
            seq: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Inserts a checked entry.
    pub fn insert(&mut self, t: &Table, e: TableEntry) -> Result<u32, TableError> {
        if self.by_key.len() >= t.size as usize {
            return if self.by_key.contains_key(&(e.matches.clone(), e.priority)) {
                Err(TableError::Exists(t.name.clone()))
            } else {
                Err(TableError::Full {
                    table: t.name.clone(),
                    size: t.size,
                })
            };
        }
        let std::collections::hash_map::Entry::Vacant(at) =
            self.by_key.entry((e.matches.clone(), e.priority))
        else {
            return Err(TableError::Exists(t.name.clone()));
        };
        let matchers: Box<[Matcher]> = t
            .keys
            .iter()
            .zip(&e.matches)
            .map(|(k, m)| Matcher::new(m, k.width))
            .collect();
        self.seq += 1;
        let r = rank(t, &e, self.seq);
        let stored = Stored {
            target: target(&e.action),
            entry: e,
            matchers,
            counter: Count::default(),
            meter: Meter::default(),
        };
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(stored);
                s
            }
            None => {
                self.slots.push(Some(stored));
                (self.slots.len() - 1) as u32
            }
        };
        let st = self.slots[slot as usize].as_ref().expect("just stored");
        self.index.inner.insert(slot, &st.matchers, r);
        at.insert(slot);
        Ok(slot)
    }

    /// Replaces the action of the entry with the same key, keeping its counters.
    pub fn modify(&mut self, t: &Table, e: TableEntry) -> Result<(), TableError> {
        let slot = *self
            .by_key
            .get(&(e.matches.clone(), e.priority))
            .ok_or_else(|| TableError::NotFound(t.name.clone()))?;
        let st = self.slots[slot as usize]
            .as_mut()
            .expect("indexed slots are full");
        st.target = target(&e.action);
        st.entry = e;
        Ok(())
    }

    pub fn delete(&mut self, t: &Table, e: &TableEntry) -> Result<Stored, TableError> {
        let slot = self
            .by_key
            .remove(&(e.matches.clone(), e.priority))
            .ok_or_else(|| TableError::NotFound(t.name.clone()))?;
        let st = self.slots[slot as usize]
            .take()
            .expect("indexed slots are full");
        self.index.inner.remove(slot, &st.matchers);
        self.free.push(slot);
        Ok(st)
    }

    pub fn find(&self, e: &TableEntry) -> Option<&Stored> {
        let slot = self.by_key.get(&(e.matches.clone(), e.priority))?;
        self.slots[*slot as usize].as_ref()
    }

    pub fn find_mut(&mut self, e: &TableEntry) -> Option<&mut Stored> {
        let slot = *self.by_key.get(&(e.matches.clone(), e.priority))?;
        self.slots[slot as usize].as_mut()
    }

    pub fn entries(&self) -> impl Iterator<Item = &Stored> {
        self.slots.iter().flatten()
    }

    pub fn clear(&mut self) {
        self.slots.clear();
        self.free.clear();
        self.by_key.clear();
        self.index.inner.clear();
    }
}

fn target(a: &EntryAction) -> Target {
    match a {
        EntryAction::Action(c) => Target::Action(Bound::from_call(c)),
        EntryAction::Member { member } => Target::Member(*member),
        EntryAction::Group { group } => Target::Group(*group),
    }
}

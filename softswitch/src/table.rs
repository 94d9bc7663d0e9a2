//! Match-action table state: entries with their direct counters and meters, and the indexes
//! that find the winning entry for a key.
//!
//! A table's entries live in one of two stores. [`Compact`] serves tables whose keys are all
//! exact and at most 128 bits wide together (VIP, service and Maglev bucket tables, which hold
//! almost all entries of a DSR host): the key packed MSB first into two words is the index map's
//! key, the map's value is the whole entry (its slot and an interned action id), direct counters
//! and meters sit in per-slot vectors only when the table has them, and full [`TableEntry`]s are
//! rebuilt from the packed key and the interned action when the control plane reads them.
//! Every other table uses [`Full`]: the entry as written, its decoded matchers and an [`Index`].
//!
//! [`Index`] has three implementations: [`Index::Linear`], the naive scan kept as the oracle (it
//! applies the same rule as `ddsr_pipeline::lookup`); [`Index::Sorted`], entries in rank order
//! with an early exit (range keys); and [`Index::TupleSpace`], one hash map per distinct mask
//! vector, visited in order of their best rank (wide exact keys are one tuple, LPM one tuple per
//! prefix length, ternary one per mask). Proptests check the compact store and the fast indexes
//! against a [`Full`] store on the oracle ([`TableState::reference`]). Each table counts the
//! packet path's lookups, hits and misses, for the switch's statistics.

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use ddsr_pipeline::entry::{ActionCall, EntryAction, FieldMatch, prefix_mask};
use ddsr_pipeline::table::{MatchKind, Table};
use ddsr_pipeline::value::{from_bytes, is_canonical, mask, to_bytes};
use ddsr_pipeline::{Action, Handle, TableEntry};

use crate::externs::Count;
use crate::externs::meter::{Meter, MeterConfig};

/// An action with its argument values decoded once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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

type Hashed = BuildHasherDefault<KeyHasher>;
type KeyMap<V> = HashMap<Box<[u128]>, V, Hashed>;

/// Keys longer than this use the sorted scan (the tuple index masks into a stack buffer).
pub const MAX_TUPLE_KEYS: usize = 16;

#[derive(Debug, Clone)]
/// One mask vector of a tuple-space index and the entries that share it.
pub struct Tuple {
    mask: Box<[u128]>,
    best: Rank,
    map: KeyMap<Vec<(Rank, u32)>>,
}

/// Largest sum of key widths the compact store serves (one packed `u128` per key).
pub const MAX_PACKED_BITS: u32 = 128;

/// Whether a table's entries go to the [`Compact`] store: all keys exact, at most
/// [`MAX_PACKED_BITS`] wide together. Such tables have no priorities and refuse duplicate
/// keys, so the packed key alone identifies an entry.
pub fn is_compact(t: &Table) -> bool {
    !t.keys.is_empty()
        && t.keys.iter().map(|k| u32::from(k.width)).sum::<u32>() <= MAX_PACKED_BITS
        && t.keys.iter().all(|k| k.match_kind == MatchKind::Exact)
}

/// The index of a [`Full`] store.
#[derive(Debug, Clone)]
pub enum Index {
    /// Every entry, scanned fully: the oracle.
    Linear(Vec<(u32, Box<[Matcher]>, Rank)>),
    /// Entries in descending rank; the first match wins.
    Sorted(Vec<(u32, Box<[Matcher]>, Rank)>),
    /// Hash maps per mask vector, in descending order of their best rank.
    TupleSpace(Vec<Tuple>),
}

impl Index {
    /// The fast index suited to a table's keys (tables [`is_compact`] accepts use the compact
    /// store instead).
    pub fn for_table(t: &Table) -> Index {
        let has_range = t.keys.iter().any(|k| k.match_kind == MatchKind::Range);
        if has_range || t.keys.len() > MAX_TUPLE_KEYS || t.keys.is_empty() {
            Index::Sorted(Vec::new())
        } else {
            Index::TupleSpace(Vec::new())
        }
    }

    pub fn insert(&mut self, slot: u32, m: &[Matcher], rank: Rank) {
        match self {
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

/// Lookup counts of one table: `hits` found an entry, `misses` ran the default action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lookups {
    pub hits: u64,
    pub misses: u64,
}

/// What a matched entry runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    Action(Bound),
    Member(u32),
    Group(u32),
}

fn target(a: &EntryAction) -> Target {
    match a {
        EntryAction::Action(c) => Target::Action(Bound::from_call(c)),
        EntryAction::Member { member } => Target::Member(*member),
        EntryAction::Group { group } => Target::Group(*group),
    }
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

/// An entry of a [`Full`] store with its direct resources.
#[derive(Debug, Clone)]
pub struct Stored {
    pub entry: TableEntry,
    pub matchers: Box<[Matcher]>,
    pub target: Target,
    pub counter: Count,
    pub meter: Meter,
}

/// Entries kept as written, found through an [`Index`]: any match kinds.
#[derive(Debug, Clone)]
pub struct Full {
    slots: Vec<Option<Stored>>,
    free: Vec<u32>,
    /// Slot of each entry by its P4Runtime identity (matches and priority). Hashed like the
    /// index: only the primary controller writes keys, so flooding is not a concern, and
    /// SipHash dominated bulk inserts.
    by_key: HashMap<(Vec<FieldMatch>, i32), u32, Hashed>,
    index: Index,
    seq: u64,
}

impl Full {
    fn new(index: Index) -> Full {
        Full {
            slots: Vec::new(),
            free: Vec::new(),
            by_key: HashMap::default(),
            index,
            seq: 0,
        }
    }

    fn slot_of(&self, e: &TableEntry) -> Option<u32> {
        // The key tuple owns its matches; a borrowed probe would need a second map type.
        self.by_key.get(&(e.matches.clone(), e.priority)).copied()
    }

    fn insert(&mut self, t: &Table, e: TableEntry) -> Result<(), TableError> {
        if self.by_key.len() >= t.size as usize {
            return Err(if self.slot_of(&e).is_some() {
                TableError::Exists(t.name.clone())
            } else {
                TableError::Full {
                    table: t.name.clone(),
                    size: t.size,
                }
            });
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
        let slot = take_slot(&mut self.free, self.slots.len());
        if slot as usize == self.slots.len() {
            self.slots.push(None);
        }
        let st = self.slots[slot as usize].insert(stored);
        self.index.insert(slot, &st.matchers, r);
        at.insert(slot);
        Ok(())
    }

    fn stored_mut(&mut self, e: &TableEntry) -> Option<&mut Stored> {
        let slot = self.slot_of(e)?;
        self.slots[slot as usize].as_mut()
    }

    fn stored(&self, e: &TableEntry) -> Option<&Stored> {
        self.slots[self.slot_of(e)? as usize].as_ref()
    }

    fn delete(&mut self, e: &TableEntry) -> bool {
        let Some(slot) = self.by_key.remove(&(e.matches.clone(), e.priority)) else {
            return false;
        };
        let st = self.slots[slot as usize]
            .take()
            .expect("indexed slots are full");
        self.index.remove(slot, &st.matchers);
        self.free.push(slot);
        true
    }
}

/// The next slot: the most recently freed one, else a new one at the end (`len`). Both stores
/// use this rule, so they read entries back in the same order.
fn take_slot(free: &mut Vec<u32>, len: usize) -> u32 {
    free.pop().unwrap_or(len as u32)
}

/// A packed key in two words: the map entry then needs 8-byte alignment, not 16.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Packed(u64, u64);

impl Hash for Packed {
    #[inline]
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_u64(self.0);
        h.write_u64(self.1);
    }
}

impl Packed {
    #[inline]
    fn new(v: u128) -> Packed {
        Packed(v as u64, (v >> 64) as u64)
    }

    fn get(self) -> u128 {
        u128::from(self.0) | (u128::from(self.1) << 64)
    }
}

/// A compact entry: its slot (for direct counters and meters, and the read order) and the id
/// of its interned action.
#[derive(Debug, Clone, Copy)]
struct Rec {
    slot: u32,
    call: u32,
}

/// Actions of a compact store, each distinct one kept once with a reference count (a Maglev
/// bucket table has one per backend, not one per bucket).
#[derive(Debug, Clone, Default)]
struct Calls {
    targets: Vec<Target>,
    written: Vec<EntryAction>,
    refs: Vec<u32>,
    ids: HashMap<EntryAction, u32, Hashed>,
    free: Vec<u32>,
}

impl Calls {
    fn intern(&mut self, a: EntryAction) -> u32 {
        if let Some(&id) = self.ids.get(&a) {
            self.refs[id as usize] += 1;
            return id;
        }
        let t = target(&a);
        let id = match self.free.pop() {
            Some(id) => {
                self.targets[id as usize] = t;
                self.written[id as usize] = a.clone();
                self.refs[id as usize] = 1;
                id
            }
            None => {
                self.targets.push(t);
                self.written.push(a.clone());
                self.refs.push(1);
                (self.targets.len() - 1) as u32
            }
        };
        self.ids.insert(a, id);
        id
    }

    fn release(&mut self, id: u32) {
        let i = id as usize;
        self.refs[i] -= 1;
        if self.refs[i] == 0 {
            // The freed id keeps cheap placeholders until it is reused.
            let a = std::mem::replace(&mut self.written[i], EntryAction::Member { member: 0 });
            self.targets[i] = Target::Member(0);
            self.ids.remove(&a);
            self.free.push(id);
        }
    }
}

/// Entries of an all-exact table of at most 128 key bits: packed key -> ([`Rec`]), actions
/// interned, direct counters and meters only where the table has them. See the module doc.
#[derive(Debug, Clone)]
pub struct Compact {
    table: Handle<Table>,
    widths: Box<[u16]>,
    map: HashMap<Packed, Rec, Hashed>,
    /// Slots handed out so far (the read order); freed ones are reused first.
    slots: u32,
    free: Vec<u32>,
    calls: Calls,
    /// Per slot, empty unless the table has a direct counter.
    counters: Vec<Count>,
    /// Per slot, empty unless the table has a direct meter.
    meters: Vec<Meter>,
    has_counter: bool,
    has_meter: bool,
}

impl Compact {
    fn new(h: Handle<Table>, t: &Table) -> Compact {
        Compact {
            table: h,
            widths: t.keys.iter().map(|k| k.width).collect(),
            map: HashMap::default(),
            slots: 0,
            free: Vec::new(),
            calls: Calls::default(),
            counters: Vec::new(),
            meters: Vec::new(),
            has_counter: t.direct_counter.is_some(),
            has_meter: t.direct_meter.is_some(),
        }
    }

    /// The packed key of an entry's matches, or `None` if they cannot name an entry of this
    /// table (not all exact, not canonical, a priority): such keys are never installed, so
    /// reads and deletes with them find nothing, as in the full store.
    fn key_of(&self, e: &TableEntry) -> Option<Packed> {
        if e.priority != 0 || e.matches.len() != self.widths.len() {
            return None;
        }
        let mut values = [0u128; MAX_PACKED_BITS as usize];
        for ((m, w), v) in e.matches.iter().zip(self.widths.iter()).zip(&mut values) {
            let FieldMatch::Exact { value } = m else {
                return None;
            };
            if !is_canonical(value, *w) {
                return None;
            }
            *v = from_bytes(value);
        }
        Some(Packed::new(pack(&self.widths, values.iter().copied())))
    }

    /// The entry at `key` with action `call`, as it was written.
    fn entry(&self, key: Packed, call: u32) -> TableEntry {
        let mut k = key.get();
        let mut matches = Vec::with_capacity(self.widths.len());
        for w in self.widths.iter().rev() {
            let w32 = u32::from(*w);
            matches.push(FieldMatch::Exact {
                value: to_bytes(k, *w),
            });
            k = k.checked_shr(w32).unwrap_or(0);
        }
        matches.reverse();
        TableEntry {
            table: self.table,
            matches,
            priority: 0,
            action: self.calls.written[call as usize].clone(),
        }
    }

    fn insert(&mut self, t: &Table, e: TableEntry) -> Result<(), TableError> {
        let key = self.key_of(&e).ok_or_else(|| {
            // `check` refuses such entries before they get here.
            TableError::NotFound(t.name.clone())
        })?;
        if self.map.contains_key(&key) {
            return Err(TableError::Exists(t.name.clone()));
        }
        if self.map.len() >= t.size as usize {
            return Err(TableError::Full {
                table: t.name.clone(),
                size: t.size,
            });
        }
        let slot = take_slot(&mut self.free, self.slots as usize);
        if slot == self.slots {
            self.slots += 1;
            if self.has_counter {
                self.counters.push(Count::default());
            }
            if self.has_meter {
                self.meters.push(Meter::default());
            }
        } else {
            if self.has_counter {
                self.counters[slot as usize] = Count::default();
            }
            if self.has_meter {
                self.meters[slot as usize] = Meter::default();
            }
        }
        let call = self.calls.intern(e.action);
        self.map.insert(key, Rec { slot, call });
        Ok(())
    }

    fn modify(&mut self, e: TableEntry) -> bool {
        let Some(key) = self.key_of(&e) else {
            return false;
        };
        let Some(rec) = self.map.get(&key).copied() else {
            return false;
        };
        let call = self.calls.intern(e.action);
        self.calls.release(rec.call);
        self.map.insert(key, Rec { call, ..rec });
        true
    }

    fn delete(&mut self, e: &TableEntry) -> bool {
        let Some(rec) = self.key_of(e).and_then(|k| self.map.remove(&k)) else {
            return false;
        };
        self.calls.release(rec.call);
        self.free.push(rec.slot);
        true
    }

    fn rec(&self, e: &TableEntry) -> Option<Rec> {
        self.map.get(&self.key_of(e)?).copied()
    }

    /// Entries in slot order.
    fn entries(&self) -> Vec<TableEntry> {
        let mut recs: Vec<(u32, Packed, u32)> =
            self.map.iter().map(|(k, r)| (r.slot, *k, r.call)).collect();
        recs.sort_unstable_by_key(|(s, _, _)| *s);
        recs.into_iter().map(|(_, k, c)| self.entry(k, c)).collect()
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

#[derive(Debug, Clone)]
enum Store {
    Full(Full),
    Compact(Compact),
}

/// Where the packet path found an entry: its slot and, in a compact store, its action id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    slot: u32,
    call: u32,
}

/// The hit entry's direct resources (`None`: the table has none) and what it runs.
pub struct Hit<'a> {
    pub counter: Option<&'a mut Count>,
    pub meter: Option<&'a mut Meter>,
    pub target: &'a Target,
}

/// The run-time state of one table.
#[derive(Debug, Clone)]
pub struct TableState {
    store: Store,
    hits: Cell<u64>,
    misses: Cell<u64>,
    pub default: Bound,
    pub default_call: ActionCall,
}

impl TableState {
    /// The state of table `h` with its fast store: compact for the tables [`is_compact`]
    /// accepts, else a full store with the index [`Index::for_table`] picks.
    pub fn new(h: Handle<Table>, t: &Table) -> TableState {
        let store = if is_compact(t) {
            Store::Compact(Compact::new(h, t))
        } else {
            Store::Full(Full::new(Index::for_table(t)))
        };
        TableState::with(t, store)
    }

    /// The oracle: a full store on the linear scan, whatever the keys.
    pub fn reference(t: &Table) -> TableState {
        TableState::with(t, Store::Full(Full::new(Index::Linear(Vec::new()))))
    }

    fn with(t: &Table, store: Store) -> TableState {
        TableState {
            store,
            hits: Cell::new(0),
            misses: Cell::new(0),
            default: Bound::from_call(&t.default_action),
            default_call: t.default_action.clone(),
        }
    }

    /// Whether the entries live in the compact store.
    pub fn is_compact(&self) -> bool {
        matches!(self.store, Store::Compact(_))
    }

    pub fn len(&self) -> usize {
        match &self.store {
            Store::Full(f) => f.by_key.len(),
            Store::Compact(c) => c.map.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Inserts a checked entry.
    pub fn insert(&mut self, t: &Table, e: TableEntry) -> Result<(), TableError> {
        match &mut self.store {
            Store::Full(f) => f.insert(t, e),
            Store::Compact(c) => c.insert(t, e),
        }
    }

    /// Replaces the action of the entry with the same key, keeping its counters and meter.
    pub fn modify(&mut self, t: &Table, e: TableEntry) -> Result<(), TableError> {
        let found = match &mut self.store {
            Store::Full(f) => f.stored_mut(&e).map(|st| {
                st.target = target(&e.action);
                st.entry = e;
            }),
            Store::Compact(c) => c.modify(e).then_some(()),
        };
        found.ok_or_else(|| TableError::NotFound(t.name.clone()))
    }

    pub fn delete(&mut self, t: &Table, e: &TableEntry) -> Result<(), TableError> {
        let found = match &mut self.store {
            Store::Full(f) => f.delete(e),
            Store::Compact(c) => c.delete(e),
        };
        found
            .then_some(())
            .ok_or_else(|| TableError::NotFound(t.name.clone()))
    }

    /// The installed entry with the key (matches and priority) of `e`, as written.
    pub fn entry(&self, e: &TableEntry) -> Option<TableEntry> {
        match &self.store {
            Store::Full(f) => f.stored(e).map(|st| st.entry.clone()),
            Store::Compact(c) => {
                let key = c.key_of(e)?;
                let rec = c.map.get(&key)?;
                Some(c.entry(key, rec.call))
            }
        }
    }

    /// Whether an entry with the key of `e` is installed.
    pub fn contains(&self, e: &TableEntry) -> bool {
        match &self.store {
            Store::Full(f) => f.slot_of(e).is_some(),
            Store::Compact(c) => c.rec(e).is_some(),
        }
    }

    /// The direct counter of an entry (zero in a compact table without one).
    pub fn counter(&self, e: &TableEntry) -> Option<Count> {
        match &self.store {
            Store::Full(f) => f.stored(e).map(|st| st.counter),
            Store::Compact(c) => c
                .rec(e)
                .map(|r| c.counters.get(r.slot as usize).copied().unwrap_or_default()),
        }
    }

    /// The direct meter of an entry, for changing it (`Some(None)`: the entry exists, the
    /// table has no direct meter).
    pub fn meter_mut(&mut self, e: &TableEntry) -> Option<Option<&mut Meter>> {
        match &mut self.store {
            Store::Full(f) => f.stored_mut(e).map(|st| Some(&mut st.meter)),
            Store::Compact(c) => {
                let r = c.rec(e)?;
                Some(c.meters.get_mut(r.slot as usize))
            }
        }
    }

    /// The direct counter of an entry, for changing it (`Some(None)`: the entry exists, the
    /// table has no direct counter).
    pub fn counter_mut(&mut self, e: &TableEntry) -> Option<Option<&mut Count>> {
        match &mut self.store {
            Store::Full(f) => f.stored_mut(e).map(|st| Some(&mut st.counter)),
            Store::Compact(c) => {
                let r = c.rec(e)?;
                Some(c.counters.get_mut(r.slot as usize))
            }
        }
    }

    /// The configuration of an entry's direct meter (`None` inside: unconfigured or no meter).
    pub fn meter_config(&self, e: &TableEntry) -> Option<Option<MeterConfig>> {
        match &self.store {
            Store::Full(f) => f.stored(e).map(|st| st.meter.config()),
            Store::Compact(c) => c
                .rec(e)
                .map(|r| c.meters.get(r.slot as usize).and_then(Meter::config)),
        }
    }

    /// Every entry as written, in slot order (insertion order, freed slots reused first).
    pub fn entries(&self) -> Vec<TableEntry> {
        match &self.store {
            Store::Full(f) => f.slots.iter().flatten().map(|s| s.entry.clone()).collect(),
            Store::Compact(c) => c.entries(),
        }
    }

    /// The winning entry for `key`, counted as a hit or a miss.
    #[inline]
    pub fn lookup(&self, key: &[u128]) -> Option<Found> {
        let found = match &self.store {
            Store::Full(f) => f.index.lookup(key).map(|slot| Found { slot, call: 0 }),
            Store::Compact(c) => c
                .map
                .get(&Packed::new(pack(&c.widths, key.iter().copied())))
                .map(|r| Found {
                    slot: r.slot,
                    call: r.call,
                }),
        };
        let n = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        n.set(n.get() + 1);
        found
    }

    /// The direct resources and the action of an entry [`TableState::lookup`] found.
    #[inline]
    pub fn hit(&mut self, f: Found) -> Hit<'_> {
        match &mut self.store {
            Store::Full(full) => {
                let Stored {
                    counter,
                    meter,
                    target,
                    ..
                } = full.slots[f.slot as usize]
                    .as_mut()
                    .expect("indexed slots are full");
                Hit {
                    counter: Some(counter),
                    meter: Some(meter),
                    target,
                }
            }
            Store::Compact(c) => Hit {
                counter: c.counters.get_mut(f.slot as usize),
                meter: c.meters.get_mut(f.slot as usize),
                target: &c.calls.targets[f.call as usize],
            },
        }
    }

    /// The entry [`TableState::lookup`] found for `key`, as written (for traces and tests).
    pub fn found_entry(&self, f: Found, key: &[u128]) -> TableEntry {
        match &self.store {
            Store::Full(full) => full.slots[f.slot as usize]
                .as_ref()
                .expect("indexed slots are full")
                .entry
                .clone(),
            Store::Compact(c) => c.entry(Packed::new(pack(&c.widths, key.iter().copied())), f.call),
        }
    }

    pub fn lookups(&self) -> Lookups {
        Lookups {
            hits: self.hits.get(),
            misses: self.misses.get(),
        }
    }
}

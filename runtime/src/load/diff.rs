//! The changes that take a device from what it holds to the desired entries, by entry key.

use std::collections::{HashMap, HashSet};

use ddsr_proto::p4::v1;

use super::key::{Key, key, key_only, same_contents};
use super::order::{Phase, Tier, tier};
use crate::p4rt::schema::Schema;

/// What a change does to an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Insert,
    Modify,
    Delete,
}

/// One entry to insert, modify or delete.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub op: Op,
    /// The table's P4Info name.
    pub table: String,
    pub tier: Tier,
    /// The canonical entry as it will be (insert, modify) or as it is (delete).
    pub entry: v1::TableEntry,
    /// For a modify, the entry as the device holds it.
    pub previous: Option<v1::TableEntry>,
    /// A delete made before every write because its table has no room for the new entries
    /// next to the old ones (see [`super::order`]).
    pub early: bool,
}

impl Change {
    /// When the change is applied relative to the others.
    pub fn phase(&self) -> Phase {
        match self.op {
            Op::Insert | Op::Modify => Phase::write(self.tier),
            Op::Delete if self.early => Phase::room(self.tier),
            Op::Delete => Phase::delete(self.tier),
        }
    }

    /// The P4Runtime update that makes the change.
    pub fn update(&self) -> v1::Update {
        let (ty, entry) = match self.op {
            Op::Insert => (v1::update::Type::Insert, self.entry.clone()),
            Op::Modify => (v1::update::Type::Modify, self.entry.clone()),
            Op::Delete => (v1::update::Type::Delete, key_only(&self.entry)),
        };
        v1::Update {
            r#type: ty as i32,
            entity: Some(v1::Entity {
                entity: Some(v1::entity::Entity::TableEntry(entry)),
            }),
        }
    }
}

/// The result of comparing desired and current entries.
#[derive(Debug, Default)]
pub struct Diff {
    /// In the order they are to be applied (see [`super::order`]).
    pub changes: Vec<Change>,
    pub unchanged: usize,
}

/// Compares canonical `desired` entries (distinct keys) with the canonical entries a device
/// holds. Default entries are only ever modified: every table always has one. The device's
/// default entries that `desired` does not mention are left alone.
pub fn diff(schema: &Schema, desired: &[v1::TableEntry], current: &[v1::TableEntry]) -> Diff {
    let mut held: HashMap<Key, (usize, bool)> = HashMap::with_capacity(current.len());
    for (i, e) in current.iter().enumerate() {
        held.insert(key(e), (i, false));
    }
    let tier_of = |id: u32| tier(&schema.table_name(id));
    let mut out = Diff::default();
    for e in desired {
        let change = |op, previous| Change {
            op,
            table: schema.table_name(e.table_id),
            tier: tier_of(e.table_id),
            entry: e.clone(),
            previous,
            early: false,
        };
        match held.get_mut(&key(e)) {
            Some((i, seen)) => {
                *seen = true;
                if same_contents(&current[*i], e) {
                    out.unchanged += 1;
                } else {
                    out.changes
                        .push(change(Op::Modify, Some(current[*i].clone())));
                }
            }
            None if e.is_default_action => out.changes.push(change(Op::Modify, None)),
            None => out.changes.push(change(Op::Insert, None)),
        }
    }
    let mut gone: Vec<usize> = held
        .into_iter()
        .filter(|(k, (_, seen))| !seen && !k.default)
        .map(|(_, (i, _))| i)
        .collect();
    gone.sort_unstable();
    for i in gone {
        let e = &current[i];
        out.changes.push(Change {
            op: Op::Delete,
            table: schema.table_name(e.table_id),
            tier: tier_of(e.table_id),
            entry: e.clone(),
            previous: None,
            early: false,
        });
    }
    make_room(schema, current, &mut out.changes);
    // Stable: within a phase, desired order for writes and device order for deletes.
    out.changes.sort_by_key(Change::phase);
    out
}

/// Marks the deletes of every table that cannot hold its held entries plus its inserts as
/// early, so they run before the inserts.
fn make_room(schema: &Schema, current: &[v1::TableEntry], changes: &mut [Change]) {
    let mut held: HashMap<u32, u64> = HashMap::new();
    for e in current.iter().filter(|e| !e.is_default_action) {
        *held.entry(e.table_id).or_default() += 1;
    }
    let mut inserts: HashMap<u32, u64> = HashMap::new();
    for c in changes.iter().filter(|c| c.op == Op::Insert) {
        *inserts.entry(c.entry.table_id).or_default() += 1;
    }
    let full: HashSet<u32> = inserts
        .iter()
        .filter(|(id, n)| {
            let size = schema.tables.get(id).map_or(0, |t| t.size);
            size > 0 && held.get(id).copied().unwrap_or(0) + **n > size
        })
        .map(|(id, _)| *id)
        .collect();
    for c in changes.iter_mut() {
        if c.op == Op::Delete && full.contains(&c.entry.table_id) {
            c.early = true;
        }
    }
}

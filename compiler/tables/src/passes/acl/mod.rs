//! ACL lowering: an ordered list of first-match rules becomes prioritised table entries.
//!
//! Input: a key layout ([`Field`]: width and whether the target matches it as `range` or as
//! `ternary`) and [`Rule`]s whose conditions are one [`Interval`] per field (an address prefix is
//! the interval it spans, "any" is the full interval). Output: [`Entry`]s whose keys are
//! [`Key::Range`] or [`Key::Ternary`], each carrying the index of the rule it came from, so the
//! per-rule counters stay exact and `explain` can name the rule.
//!
//! Central invariant (checked by the tests against a first-match lookup): for every packet, the
//! highest-priority matching entry belongs to the first rule that matches it, and no entry matches
//! when no rule does. Compression never merges entries of different rules, since that would make
//! the per-rule counters lie.
//!
//! For ternary fields a range expands into its minimal prefix cover ([`prefix::cover`]), and a rule
//! into the cross product of its fields' covers (the "naive" count). With compression on:
//! - an entry is dropped when higher-priority entries already cover it (shadowing), which also
//!   drops rules that can never match;
//! - a prefix is widened one bit at a time when the added half is covered by higher-priority
//!   entries or by the rule's own other entries: packets there are decided above anyway, and the
//!   wider block usually absorbs siblings (`[1024, 65535]` below a rule for `[0, 1023]` becomes one
//!   wildcard entry instead of six);
//! - the rule's entries that the widened ones now cover are dropped.
//!
//! Priorities follow rule order with a gap between consecutive rules (higher wins, as in
//! P4Runtime), so that a rule can later be inserted without renumbering its neighbours.

pub mod prefix;
pub mod region;

use thiserror::Error;

use region::Region;

/// A closed interval `[lo, hi]` of field values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    pub lo: u128,
    pub hi: u128,
}

impl Interval {
    pub const fn new(lo: u128, hi: u128) -> Self {
        Interval { lo, hi }
    }

    /// Every value of a `width`-bit field.
    pub fn any(width: u32) -> Self {
        Interval::new(0, prefix::max_value(width))
    }

    pub const fn exact(value: u128) -> Self {
        Interval::new(value, value)
    }

    /// The values sharing the top `len` bits of `value` in a `width`-bit field.
    pub fn prefix(value: u128, len: u32, width: u32) -> Self {
        let host = if len >= width {
            0
        } else {
            prefix::max_value(width - len)
        };
        Interval::new(
            value & !host & prefix::max_value(width),
            (value | host) & prefix::max_value(width),
        )
    }

    pub fn contains(self, value: u128) -> bool {
        self.lo <= value && value <= self.hi
    }
}

/// How the target's table matches a key field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    /// P4 `range` (softswitch, BMv2): one entry per rule for this field.
    Range,
    /// P4 `ternary` (TCAM targets such as Tofino): non-prefix intervals expand to prefixes.
    Ternary,
}

/// One key field of the ACL table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub width: u32,
    pub matching: Matching,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    Allow,
    Deny,
}

/// A first-match rule: one interval per field of the layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub conditions: Vec<Interval>,
    pub verdict: Verdict,
}

/// A lowered key field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    Range { lo: u128, hi: u128 },
    Ternary { value: u128, mask: u128 },
}

impl Key {
    pub fn matches(self, value: u128) -> bool {
        match self {
            Key::Range { lo, hi } => lo <= value && value <= hi,
            Key::Ternary { value: v, mask } => value & mask == v,
        }
    }
}

/// One table entry. `priority` is higher-wins (P4Runtime); `rule` indexes the input rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub rule: u32,
    pub priority: u32,
    pub verdict: Verdict,
    pub keys: Vec<Key>,
}

impl Entry {
    pub fn matches(&self, packet: &[u128]) -> bool {
        self.keys.iter().zip(packet).all(|(k, &v)| k.matches(v))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Priority distance between consecutive rules.
    pub priority_gap: u32,
    /// Shadowing removal and prefix widening (off gives the naive expansion).
    pub compress: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            priority_gap: 16,
            compress: true,
        }
    }
}

/// The result of lowering one ACL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lowered {
    /// Entries in decreasing priority order.
    pub entries: Vec<Entry>,
    /// Rules that no packet can reach (every point is decided by earlier rules); they get no
    /// entry, and the caller can warn about them.
    pub unreachable: Vec<u32>,
    /// Entries the plain cross product of prefix covers would need (for the compression figure).
    pub naive: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    #[error("expected key fields of 1 to 128 bits, found a field of {width} bits")]
    BadWidth { width: u32 },
    #[error("rule {rule}: expected {expected} conditions, found {found}")]
    Arity {
        rule: usize,
        expected: usize,
        found: usize,
    },
    #[error("rule {rule}, field {field}: range {lo}..={hi} is empty or exceeds {width} bits")]
    BadInterval {
        rule: usize,
        field: usize,
        lo: u128,
        hi: u128,
        width: u32,
    },
    #[error("{rules} rules with a priority gap of {gap} exceed the largest P4Runtime priority")]
    PriorityOverflow { rules: usize, gap: u32 },
}

fn validate(fields: &[Field], rules: &[Rule], options: &Options) -> Result<u32, Error> {
    if let Some(f) = fields.iter().find(|f| f.width == 0 || f.width > 128) {
        return Err(Error::BadWidth { width: f.width });
    }
    for (r, rule) in rules.iter().enumerate() {
        if rule.conditions.len() != fields.len() {
            return Err(Error::Arity {
                rule: r,
                expected: fields.len(),
                found: rule.conditions.len(),
            });
        }
        for (f, (c, field)) in rule.conditions.iter().zip(fields).enumerate() {
            if c.lo > c.hi || c.hi > prefix::max_value(field.width) {
                return Err(Error::BadInterval {
                    rule: r,
                    field: f,
                    lo: c.lo,
                    hi: c.hi,
                    width: field.width,
                });
            }
        }
    }
    let top = (rules.len() as u64) * u64::from(options.priority_gap.max(1));
    if top > i32::MAX as u64 {
        return Err(Error::PriorityOverflow {
            rules: rules.len(),
            gap: options.priority_gap,
        });
    }
    Ok(top as u32)
}

/// Lowers `rules` (first match wins) to entries for a table keyed by `fields`.
pub fn lower(fields: &[Field], rules: &[Rule], options: &Options) -> Result<Lowered, Error> {
    let top = validate(fields, rules, options)?;
    let gap = options.priority_gap.max(1);
    let mut entries = Vec::new();
    let mut unreachable = Vec::new();
    let mut naive = 0usize;
    // Boxes of every entry placed so far; all have higher priority than the current rule.
    let mut placed: Vec<Region> = Vec::new();

    for (r, rule) in rules.iter().enumerate() {
        naive += fields
            .iter()
            .zip(&rule.conditions)
            .map(|(f, &c)| match f.matching {
                Matching::Range => 1,
                Matching::Ternary => prefix::count(c, f.width),
            })
            .product::<usize>();
        let mut boxes = expand(fields, &rule.conditions);
        if options.compress {
            // Widening grows a box into neighbouring space, so the higher-priority boxes that can
            // matter are those meeting the rule in every field but at most one.
            let near: Vec<&Region> = placed
                .iter()
                .filter(|p| region::disjoint_fields(p, &rule.conditions) <= 1)
                .collect();
            boxes.retain(|b| !region::covered(b, near.iter().copied()));
            widen(fields, &mut boxes, &near);
            drop_covered(&mut boxes, &near);
        }
        if boxes.is_empty() {
            unreachable.push(r as u32);
            continue;
        }
        let priority = top - (r as u32) * gap;
        for b in boxes {
            entries.push(Entry {
                rule: r as u32,
                priority,
                verdict: rule.verdict,
                keys: keys(fields, &b),
            });
            if options.compress {
                placed.push(b);
            }
        }
    }
    Ok(Lowered {
        entries,
        unreachable,
        naive,
    })
}

/// Cross product of the per-field covers (ranges stay whole on `range` fields).
fn expand(fields: &[Field], conditions: &[Interval]) -> Vec<Region> {
    let mut boxes: Vec<Region> = vec![Vec::with_capacity(fields.len())];
    for (f, &c) in fields.iter().zip(conditions) {
        let parts = match f.matching {
            Matching::Range => vec![c],
            Matching::Ternary => prefix::cover(c, f.width),
        };
        boxes = boxes
            .into_iter()
            .flat_map(|b| {
                parts.iter().map(move |&p| {
                    let mut b = b.clone();
                    b.push(p);
                    b
                })
            })
            .collect();
    }
    boxes
}

/// Widens ternary prefixes of each box by one bit while the added half (the buddy block) is
/// decided by higher-priority entries or by this rule's other boxes.
fn widen(fields: &[Field], boxes: &mut [Region], near: &[&Region]) {
    let mut changed = true;
    while changed {
        changed = false;
        for i in 0..boxes.len() {
            for (f, field) in fields.iter().enumerate() {
                if field.matching != Matching::Ternary {
                    continue;
                }
                loop {
                    let cur = boxes[i][f];
                    let Some(len) = prefix::as_prefix(cur, field.width) else {
                        break;
                    };
                    if len == 0 {
                        break;
                    }
                    let size = cur.hi - cur.lo + 1;
                    let mut buddy = boxes[i].clone();
                    buddy[f] = Interval::new(cur.lo ^ size, (cur.lo ^ size) + (size - 1));
                    let own = boxes
                        .iter()
                        .enumerate()
                        .filter(|&(j, _)| j != i)
                        .map(|(_, b)| b);
                    if !region::covered(&buddy, near.iter().copied().chain(own)) {
                        break;
                    }
                    let lo = cur.lo.min(buddy[f].lo);
                    boxes[i][f] = Interval::new(lo, lo + 2 * size - 1);
                    changed = true;
                }
            }
        }
    }
}

/// Drops, one at a time, boxes that the higher-priority entries and the rule's remaining boxes
/// cover (after widening, siblings end up inside their widened neighbour).
fn drop_covered(boxes: &mut Vec<Region>, near: &[&Region]) {
    let mut i = 0;
    while i < boxes.len() {
        let others = boxes
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(_, b)| b);
        if region::covered(&boxes[i], near.iter().copied().chain(others)) {
            boxes.remove(i);
        } else {
            i += 1;
        }
    }
}

fn keys(fields: &[Field], b: &[Interval]) -> Vec<Key> {
    fields
        .iter()
        .zip(b)
        .map(|(f, &iv)| match f.matching {
            Matching::Range => Key::Range {
                lo: iv.lo,
                hi: iv.hi,
            },
            Matching::Ternary => {
                let len = prefix::as_prefix(iv, f.width)
                    .expect("ternary boxes are built from prefix covers and buddy widening");
                let mask = prefix::max_value(f.width)
                    & !(if len >= f.width {
                        0
                    } else {
                        prefix::max_value(f.width - len)
                    });
                Key::Ternary { value: iv.lo, mask }
            }
        })
        .collect()
}

/// First-match reference over the rules: the index of the first rule matching `packet`.
pub fn first_match(rules: &[Rule], packet: &[u128]) -> Option<u32> {
    rules
        .iter()
        .position(|r| r.conditions.iter().zip(packet).all(|(c, &v)| c.contains(v)))
        .map(|i| i as u32)
}

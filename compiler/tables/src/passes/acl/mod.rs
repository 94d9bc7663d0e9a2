//! ACL lowering: an ordered list of first-match rules becomes prioritised table entries.
//!
//! Input: a key layout ([`Field`]: width and whether the target matches it as `range` or as
//! `ternary`) and [`Rule`]s whose conditions are one [`Interval`] per field (an address prefix is
//! the interval it spans, "any" is the full interval). Output: [`Entry`]s whose keys are
//! [`Key::Range`] or [`Key::Ternary`], each carrying the index of the rule it came from, so the
//! per-rule counters stay exact and `explain` can name the rule.
//!
//! Central invariant (checked by the tests against a first-match lookup): with
//! [`Preserve::Rule`] (the default), for every packet the highest-priority matching entry belongs
//! to the first rule that matches it, and no entry matches when no rule does; compression never
//! merges entries of different rules, since that would make the per-rule counters lie. With
//! [`Preserve::Verdict`], every packet gets the verdict of its first matching rule (or the miss
//! verdict).
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
//! [`Preserve::Verdict`] trades exact per-rule attribution for size, as the TCAM compressors in
//! the literature do: runs of same-verdict rules are lowered as one block at one priority (so
//! their entries merge across rules), a range whose complement needs fewer prefixes is replaced by
//! a wildcard below exception entries for the complement (when the packets there fall through to
//! the opposite verdict anyway), and entries whose packets would fall through to the same verdict
//! are removed.
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

/// What the lowered table must keep of the rules' meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preserve {
    /// The first matching rule of every packet: per-rule counters and `explain` stay exact.
    Rule,
    /// Only the verdict of every packet, as TCAM compressors (ACL Compressor, Bit Weaving) do:
    /// runs of rules with one verdict share a priority and merge, and entries whose packets would
    /// fall through to the same verdict are removed. `miss` is the verdict of the table's
    /// default action. A hit is counted on the entry's own rule, which may then differ from the
    /// first rule the packet matches.
    Verdict { miss: Verdict },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Priority distance between consecutive rules.
    pub priority_gap: u32,
    /// Shadowing removal and prefix widening (off gives the naive expansion).
    pub compress: bool,
    pub preserve: Preserve,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            priority_gap: 16,
            compress: true,
            preserve: Preserve::Rule,
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
    // Boxes of every entry placed so far, parallel to `entries`; all have higher priority than
    // the block being lowered.
    let mut placed: Vec<Region> = Vec::new();

    for block in blocks(rules, options.preserve) {
        let mut pieces = Vec::new();
        let mut exceptions = Vec::new();
        for r in block.clone() {
            let rule = &rules[r];
            naive += fields
                .iter()
                .zip(&rule.conditions)
                .map(|(f, &c)| match f.matching {
                    Matching::Range => 1,
                    Matching::Ternary => prefix::count(c, f.width),
                })
                .product::<usize>();
            let mut own = expand(fields, &rule.conditions);
            if options.compress {
                // Widening grows a box into neighbouring space, so the higher-priority boxes that
                // can matter are those meeting the rule in every field but at most one.
                let near: Vec<&Region> = placed
                    .iter()
                    .filter(|p| region::disjoint_fields(p, &rule.conditions) <= 1)
                    .collect();
                own.retain(|b| !region::covered(b, near.iter().copied()));
                if own.is_empty() {
                    unreachable.push(r as u32);
                    continue;
                }
                if let Preserve::Verdict { miss } = options.preserve
                    && gap >= 2
                    && let Some((wider, extra)) = complement(fields, rules, block.clone(), r, miss)
                {
                    own = expand(fields, &wider);
                    let extra = extra
                        .into_iter()
                        .filter(|q| !region::covered(q, near.iter().copied()));
                    exceptions.extend(extra.map(|region| Piece {
                        rule: r as u32,
                        region,
                    }));
                }
            }
            pieces.extend(own.into_iter().map(|region| Piece {
                rule: r as u32,
                region,
            }));
        }
        let priority = top - (block.start as u32) * gap;
        for piece in exceptions {
            let verdict = opposite(rules[piece.rule as usize].verdict);
            entries.push(Entry {
                rule: piece.rule,
                priority: priority + 1,
                verdict,
                keys: keys(fields, &piece.region),
            });
            placed.push(piece.region);
        }
        if options.compress {
            let near: Vec<&Region> = placed
                .iter()
                .filter(|p| {
                    block
                        .clone()
                        .any(|r| region::disjoint_fields(p, &rules[r].conditions) <= 1)
                })
                .collect();
            widen(fields, &mut pieces, &near);
            drop_covered(&mut pieces, &near);
        }
        for piece in pieces {
            entries.push(Entry {
                rule: piece.rule,
                priority,
                verdict: rules[piece.rule as usize].verdict,
                keys: keys(fields, &piece.region),
            });
            placed.push(piece.region);
        }
    }
    if let (true, Preserve::Verdict { miss }) = (options.compress, options.preserve) {
        let keep = falls_through(&entries, &placed, miss);
        let mut k = keep.iter();
        entries.retain(|_| k.next().copied().unwrap_or(true));
    }
    Ok(Lowered {
        entries,
        unreachable,
        naive,
    })
}

fn opposite(v: Verdict) -> Verdict {
    match v {
        Verdict::Allow => Verdict::Deny,
        Verdict::Deny => Verdict::Allow,
    }
}

/// Range complement (verdict mode only): a rule `X x R -> v` becomes `X x W -> v` for a wider
/// range `W` below exception entries `X x (W minus R) -> not v`, when that needs fewer prefixes, the
/// packets of `X x (W minus R)` get `not v` anyway from the rules below the rule's block (or the
/// table miss), and no other rule of the block meets them. `[1024, 65535]` widened to the whole
/// field costs two entries instead of six; for an arbitrary range, cutting either side at its
/// aligned block lets each side pay `min(popcount(x), popcount(2^m - x))` prefixes. Returns the
/// widened conditions and the exception boxes.
fn complement(
    fields: &[Field],
    rules: &[Rule],
    block: std::ops::Range<usize>,
    r: usize,
    miss: Verdict,
) -> Option<(Region, Vec<Region>)> {
    let other = opposite(rules[r].verdict);
    let mut conditions = rules[r].conditions.clone();
    let mut extra = Vec::new();
    for (f, field) in fields.iter().enumerate() {
        if field.matching != Matching::Ternary {
            continue;
        }
        let c = conditions[f];
        let direct = prefix::count(c, field.width);
        if direct <= 1 {
            continue;
        }
        let falls = |q: &Region| {
            if block
                .clone()
                .any(|j| j != r && region::intersects(q, &rules[j].conditions))
            {
                return false;
            }
            let below: Vec<&Rule> = rules[block.end..]
                .iter()
                .filter(|o| region::intersects(q, &o.conditions))
                .collect();
            below.iter().all(|o| o.verdict == other)
                && (miss == other || region::covered(q, below.iter().map(|o| &o.conditions)))
        };
        let mut options: Vec<(usize, Interval, Vec<Interval>)> = supersets(c, field.width)
            .into_iter()
            .map(|wide| {
                let mut gaps = Vec::new();
                if wide.lo < c.lo {
                    gaps.push(Interval::new(wide.lo, c.lo - 1));
                }
                if c.hi < wide.hi {
                    gaps.push(Interval::new(c.hi + 1, wide.hi));
                }
                let cost = prefix::count(wide, field.width)
                    + gaps
                        .iter()
                        .map(|&g| prefix::count(g, field.width))
                        .sum::<usize>();
                (cost, wide, gaps)
            })
            .filter(|(cost, _, _)| *cost < direct)
            .collect();
        options.sort_by_key(|(cost, wide, _)| (*cost, *wide));
        let chosen = options.into_iter().find_map(|(_, wide, gaps)| {
            let regions: Vec<Region> = gaps
                .iter()
                .map(|&g| {
                    let mut q = conditions.clone();
                    q[f] = g;
                    q
                })
                .collect();
            regions.iter().all(falls).then_some((wide, regions))
        });
        if let Some((wide, regions)) = chosen {
            for q in &regions {
                extra.extend(expand(fields, q));
            }
            conditions[f] = wide;
        }
    }
    (!extra.is_empty()).then_some((conditions, extra))
}

/// Wider ranges a rule may take in complement: the whole field, the smallest aligned block that
/// holds `c`, and that block cut at either end of `c` (so only one side needs exceptions).
fn supersets(c: Interval, width: u32) -> Vec<Interval> {
    let k = 128 - (c.lo ^ c.hi).leading_zeros();
    let host = if k >= 128 {
        u128::MAX
    } else {
        (1u128 << k) - 1
    };
    let block = Interval::new(c.lo & !host, (c.lo & !host) | host);
    let mut out = vec![
        Interval::any(width),
        block,
        Interval::new(block.lo, c.hi),
        Interval::new(c.lo, block.hi),
    ];
    out.sort();
    out.dedup();
    out.retain(|&w| w != c);
    out
}

/// A box of the lowering together with the rule it came from.
struct Piece {
    rule: u32,
    region: Region,
}

/// Groups of consecutive rules lowered together at one priority: single rules when each rule's
/// identity matters; maximal runs of one verdict otherwise, since the order inside such a run
/// cannot change any decision.
fn blocks(rules: &[Rule], preserve: Preserve) -> Vec<std::ops::Range<usize>> {
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    for (r, rule) in rules.iter().enumerate() {
        match (preserve, out.last_mut()) {
            (Preserve::Verdict { .. }, Some(last)) if rules[last.start].verdict == rule.verdict => {
                last.end = r + 1;
            }
            _ => out.push(r..r + 1),
        }
    }
    out
}

/// Which entries to keep when only verdicts matter: scanning from the lowest priority up, an
/// entry goes when every lower entry it overlaps has its verdict and the packets it would
/// release land on those entries or on the table miss with that same verdict.
fn falls_through(entries: &[Entry], regions: &[Region], miss: Verdict) -> Vec<bool> {
    let mut keep = vec![true; entries.len()];
    for i in (0..entries.len()).rev() {
        let v = entries[i].verdict;
        let mut below = Vec::new();
        let mut same = true;
        for j in i + 1..entries.len() {
            if keep[j] && region::intersects(&regions[i], &regions[j]) {
                if entries[j].verdict != v {
                    same = false;
                    break;
                }
                below.push(&regions[j]);
            }
        }
        if same && (miss == v || region::covered(&regions[i], below)) {
            keep[i] = false;
        }
    }
    keep
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
fn widen(fields: &[Field], boxes: &mut [Piece], near: &[&Region]) {
    let mut changed = true;
    while changed {
        changed = false;
        for i in 0..boxes.len() {
            for (f, field) in fields.iter().enumerate() {
                if field.matching != Matching::Ternary {
                    continue;
                }
                loop {
                    let cur = boxes[i].region[f];
                    let Some(len) = prefix::as_prefix(cur, field.width) else {
                        break;
                    };
                    if len == 0 {
                        break;
                    }
                    let size = cur.hi - cur.lo + 1;
                    let mut buddy = boxes[i].region.clone();
                    buddy[f] = Interval::new(cur.lo ^ size, (cur.lo ^ size) + (size - 1));
                    let own = boxes
                        .iter()
                        .enumerate()
                        .filter(|&(j, _)| j != i)
                        .map(|(_, b)| &b.region);
                    if !region::covered(&buddy, near.iter().copied().chain(own)) {
                        break;
                    }
                    let lo = cur.lo.min(buddy[f].lo);
                    boxes[i].region[f] = Interval::new(lo, lo + 2 * size - 1);
                    changed = true;
                }
            }
        }
    }
}

/// Drops, one at a time, boxes that the higher-priority entries and the rule's remaining boxes
/// cover (after widening, siblings end up inside their widened neighbour).
fn drop_covered(boxes: &mut Vec<Piece>, near: &[&Region]) {
    let mut i = 0;
    while i < boxes.len() {
        let others = boxes
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(_, b)| &b.region);
        if region::covered(&boxes[i].region, near.iter().copied().chain(others)) {
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

//! Shadowed ACL rules: rules that can never match because earlier rules of the same ACL
//! together match every packet they would.
//!
//! A rule is split into *cells*: one per (source prefix, source port range, destination port
//! range) combination, with its protocol. A rule is reported when each of its cells is wholly
//! covered by a single earlier rule (different cells may be covered by different rules). This
//! never reports a rule that can match, but does not see a cell covered only by the union of
//! several earlier rules.
//!
//! Instead of comparing all pairs of rules (quadratic, 1.25 billion pairs for 50,000 rules),
//! earlier cells are indexed in one binary trie per address family. A cell with prefix `p` is
//! stored at the trie node of `p`; the rules whose prefix contains a query prefix are exactly
//! those on the path from the root to the query's node, at most 33 (IPv4) or 129 (IPv6) nodes.
//! At a node, cells are grouped by (protocol, action, destination range), and each group keeps
//! its source-port ranges as an antichain (no range inside another) sorted by start, where
//! "is [lo, hi] inside some stored range" is one ordered-map lookup. A query thus costs
//! O(depth x groups on the path x log n); `groups` is the number of distinct destination
//! ranges and protocols among rules with the same prefix, small in practice.

use std::collections::{BTreeMap, HashMap};

use crate::error::Error;
use crate::ir::{Acl, Action, Family, PortRange, Prefix, Protocol, Rule};

/// Rules with more cells than this (long lists of prefixes times port ranges) are left out of
/// the analysis, in both directions, to bound its time and memory.
pub const MAX_CELLS_PER_RULE: usize = 4096;

/// Reports shadowed rules of one ACL into `errors`.
pub fn check(acl: &Acl, errors: &mut Vec<Error>) {
    let mut index = Index::default();
    let mut cells = Vec::new();
    for (i, rule) in acl.rules.iter().enumerate() {
        cells.clear();
        if !cells_of(rule, &mut cells) {
            continue;
        }
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        if let Some(finding) = covered(&index, rule.action, &cells) {
            let by = &acl.rules[finding.by as usize];
            errors.push(if finding.conflict {
                Error::ShadowedRule {
                    span: rule.name_span,
                    by_span: by.name_span,
                    rule: rule.name.clone(),
                    by: by.name.clone(),
                    by_action: by.action.as_str(),
                }
            } else {
                Error::RedundantRule {
                    span: rule.name_span,
                    by_span: by.name_span,
                    rule: rule.name.clone(),
                    by: by.name.clone(),
                }
            });
        }
        for c in &cells {
            index.insert(c, rule.action, i);
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Cell {
    prefix: Prefix,
    protocol: Protocol,
    src: PortRange,
    dst: PortRange,
}

/// Fills `out` with the rule's cells; false when there are too many.
fn cells_of(rule: &Rule, out: &mut Vec<Cell>) -> bool {
    let any = [PortRange::ANY];
    let srcs: &[PortRange] = if rule.src_ports.is_empty() {
        &any
    } else {
        &rule.src_ports
    };
    let dsts: &[PortRange] = if rule.dst_ports.is_empty() {
        &any
    } else {
        &rule.dst_ports
    };
    let all = [Prefix::any(Family::V4), Prefix::any(Family::V6)];
    let prefixes: &[Prefix] = if rule.src.is_empty() { &all } else { &rule.src };
    if prefixes.len() * srcs.len() * dsts.len() > MAX_CELLS_PER_RULE {
        return false;
    }
    for &prefix in prefixes {
        for &src in srcs {
            for &dst in dsts {
                out.push(Cell {
                    prefix,
                    protocol: rule.protocol,
                    src,
                    dst,
                });
            }
        }
    }
    true
}

struct Finding {
    by: u32,
    /// Some cell is covered by a rule whose action differs from the shadowed rule's.
    conflict: bool,
}

/// Whether every cell is covered; prefers reporting a covering rule with a different action,
/// since that is the case where the operator's intent is contradicted.
fn covered(index: &Index, action: Action, cells: &[Cell]) -> Option<Finding> {
    let (mut same, mut diff) = (None, None);
    for c in cells {
        let (s, d) = index.cover(c, action);
        if s.is_none() && d.is_none() {
            return None;
        }
        diff = diff.or(d);
        same = same.or(s);
    }
    match (diff, same) {
        (Some(by), _) => Some(Finding { by, conflict: true }),
        (None, Some(by)) => Some(Finding {
            by,
            conflict: false,
        }),
        (None, None) => None,
    }
}

/// Source-port ranges, none inside another, keyed by start; ends then increase with starts.
#[derive(Default)]
struct Antichain {
    by_lo: BTreeMap<u16, (u16, u32)>,
}

impl Antichain {
    /// The rule of a stored range containing `r`: only the last range starting at or before
    /// `r.lo` can, since it has the greatest end among those.
    fn cover(&self, r: PortRange) -> Option<u32> {
        let (_, &(hi, rule)) = self.by_lo.range(..=r.lo).next_back()?;
        (hi >= r.hi).then_some(rule)
    }

    fn insert(&mut self, r: PortRange, rule: u32) {
        if self.cover(r).is_some() {
            return;
        }
        // Ranges inside the new one start at or after it and end no later; they are
        // consecutive because ends increase with starts.
        let inside: Vec<u16> = self
            .by_lo
            .range(r.lo..)
            .take_while(|(_, (hi, _))| *hi <= r.hi)
            .map(|(lo, _)| *lo)
            .collect();
        for lo in inside {
            self.by_lo.remove(&lo);
        }
        self.by_lo.insert(r.lo, (r.hi, rule));
    }
}

struct Group {
    protocol: Protocol,
    action: Action,
    dst: PortRange,
    src: Antichain,
}

/// One binary trie per family; node 0 is the root, and child index 0 means "no child".
#[derive(Default)]
struct Trie {
    children: Vec<[u32; 2]>,
    groups: HashMap<u32, Vec<Group>>,
}

impl Trie {
    fn node_for(&mut self, p: Prefix) -> u32 {
        if self.children.is_empty() {
            self.children.push([0, 0]);
        }
        let bits = p.bits();
        let mut node = 0u32;
        for depth in 0..p.len {
            let bit = ((bits >> (127 - depth)) & 1) as usize;
            let next = self.children[node as usize][bit];
            node = if next == 0 {
                let id = u32::try_from(self.children.len()).unwrap_or(u32::MAX);
                self.children.push([0, 0]);
                self.children[node as usize][bit] = id;
                id
            } else {
                next
            };
        }
        node
    }

    /// Nodes whose prefix contains `p`, root first.
    fn path(&self, p: Prefix) -> impl Iterator<Item = u32> + '_ {
        let bits = p.bits();
        let mut node = (!self.children.is_empty()).then_some(0u32);
        let mut depth = 0u8;
        std::iter::from_fn(move || {
            let here = node?;
            node = if depth < p.len {
                let bit = ((bits >> (127 - depth)) & 1) as usize;
                let next = self.children[here as usize][bit];
                depth += 1;
                (next != 0).then_some(next)
            } else {
                None
            };
            Some(here)
        })
    }
}

#[derive(Default)]
struct Index {
    v4: Trie,
    v6: Trie,
}

impl Index {
    fn trie(&self, f: Family) -> &Trie {
        match f {
            Family::V4 => &self.v4,
            Family::V6 => &self.v6,
        }
    }

    fn insert(&mut self, c: &Cell, action: Action, rule: u32) {
        let trie = match c.prefix.family() {
            Family::V4 => &mut self.v4,
            Family::V6 => &mut self.v6,
        };
        let node = trie.node_for(c.prefix);
        let groups = trie.groups.entry(node).or_default();
        let found = groups
            .iter()
            .position(|g| g.protocol == c.protocol && g.action == action && g.dst == c.dst);
        let i = found.unwrap_or_else(|| {
            groups.push(Group {
                protocol: c.protocol,
                action,
                dst: c.dst,
                src: Antichain::default(),
            });
            groups.len() - 1
        });
        groups[i].src.insert(c.src, rule);
    }

    /// Earliest-found covering rules with the same and with a different action.
    fn cover(&self, c: &Cell, action: Action) -> (Option<u32>, Option<u32>) {
        let trie = self.trie(c.prefix.family());
        let (mut same, mut diff) = (None, None);
        for node in trie.path(c.prefix) {
            let Some(groups) = trie.groups.get(&node) else {
                continue;
            };
            for g in groups {
                let proto_ok = g.protocol == Protocol::Any || g.protocol == c.protocol;
                if !proto_ok || !g.dst.contains(c.dst) {
                    continue;
                }
                let slot = if g.action == action {
                    &mut same
                } else {
                    &mut diff
                };
                if slot.is_none() {
                    *slot = g.src.cover(c.src);
                }
            }
            if diff.is_some() {
                break;
            }
        }
        (same, diff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn antichain_keeps_outer_ranges() {
        let mut a = Antichain::default();
        a.insert(PortRange { lo: 10, hi: 20 }, 0);
        a.insert(PortRange { lo: 30, hi: 40 }, 1);
        assert_eq!(a.cover(PortRange { lo: 12, hi: 18 }), Some(0));
        assert_eq!(a.cover(PortRange { lo: 18, hi: 32 }), None);
        a.insert(PortRange { lo: 5, hi: 50 }, 2);
        assert_eq!(a.by_lo.len(), 1);
        assert_eq!(a.cover(PortRange { lo: 30, hi: 40 }), Some(2));
        a.insert(PortRange { lo: 6, hi: 7 }, 3);
        assert_eq!(a.by_lo.len(), 1);
    }
}

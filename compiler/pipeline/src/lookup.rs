//! The reference table lookup: a linear scan kept forever as the oracle that every fast table
//! implementation is tested against.
//!
//! Selection rules: in a table that needs priorities the matching entry with the highest priority
//! wins; otherwise, if the table has an LPM key, the longest prefix wins; otherwise (exact keys)
//! at most one entry matches. Among equals the entry listed first wins.

use crate::entry::{FieldMatch, TableEntry};
use crate::table::Table;
use crate::value;

/// Looks up `key` (one canonical byte string per table key) in `entries`.
pub fn lookup<'e>(
    table: &Table,
    entries: &'e [TableEntry],
    key: &[&[u8]],
) -> Option<&'e TableEntry> {
    let values: Vec<u128> = key.iter().map(|b| value::from_bytes(b)).collect();
    lookup_values(table, entries, &values)
}

/// As [`lookup`] with key values as integers.
pub fn lookup_values<'e>(
    table: &Table,
    entries: &'e [TableEntry],
    key: &[u128],
) -> Option<&'e TableEntry> {
    let by_priority = table.needs_priority();
    let mut best: Option<(&TableEntry, i64)> = None;
    for e in entries {
        let hit = e.matches.len() == key.len()
            && table
                .keys
                .iter()
                .zip(&e.matches)
                .zip(key)
                .all(|((k, m), v)| m.matches(*v, k.width));
        if !hit {
            continue;
        }
        let rank = if by_priority {
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
        if best.is_none_or(|(_, r)| rank > r) {
            best = Some((e, rank));
        }
    }
    best.map(|(e, _)| e)
}

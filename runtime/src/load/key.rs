//! Canonical entries and entry keys: the same entry written by the compiler (fixed-width,
//! zero-padded values) and read back from a device (shortest values, wildcards left out) must
//! compare equal.
//!
//! Canonical form: match fields sorted by field id, every value the shortest big-endian string
//! (one `0x00` byte for zero), don't-care fields removed (ternary with an all-zero mask, LPM of
//! prefix length 0, a range covering the whole field), action parameters sorted by id with
//! shortest values, and the read-only fields a device may fill in (counter and meter data,
//! `is_const`, time since last hit) cleared.

use ddsr_proto::bytestring::{canonical, significant_bits};
use ddsr_proto::p4::v1;
use v1::field_match::FieldMatchType as Fm;

use crate::p4rt::schema::Table;

/// What identifies an entry in a table: P4Runtime allows one entry per (match, priority), and
/// one default entry per table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub table_id: u32,
    pub default: bool,
    pub priority: i32,
    /// Canonical match fields, as encoded protobuf (field order fixed by sorting): `FieldMatch`
    /// has no ordering of its own, and bytes make keys cheap to hash and compare.
    pub fields: Vec<u8>,
}

/// `entry` in canonical form; `table` (from the P4Info) gives field widths.
pub fn canonical_entry(entry: &v1::TableEntry, table: Option<&Table>) -> v1::TableEntry {
    let mut fields: Vec<v1::FieldMatch> = entry
        .r#match
        .iter()
        .filter_map(|m| {
            let width = table
                .and_then(|t| t.fields.get(&m.field_id))
                .map(|f| f.bitwidth);
            canonical_match(m, width)
        })
        .collect();
    fields.sort_by_key(|m| m.field_id);
    v1::TableEntry {
        table_id: entry.table_id,
        r#match: fields,
        action: entry.action.as_ref().map(canonical_action),
        priority: entry.priority,
        is_default_action: entry.is_default_action,
        idle_timeout_ns: entry.idle_timeout_ns,
        metadata: entry.metadata.clone(),
        ..Default::default()
    }
}

/// The key of a canonical entry.
pub fn key(entry: &v1::TableEntry) -> Key {
    use prost::Message;
    let mut fields = Vec::new();
    for m in &entry.r#match {
        // Encoding into a Vec cannot fail.
        let _ = m.encode_length_delimited(&mut fields);
    }
    Key {
        table_id: entry.table_id,
        default: entry.is_default_action,
        priority: entry.priority,
        fields,
    }
}

/// The entry with only its key: what a DELETE needs.
pub fn key_only(entry: &v1::TableEntry) -> v1::TableEntry {
    v1::TableEntry {
        table_id: entry.table_id,
        r#match: entry.r#match.clone(),
        priority: entry.priority,
        is_default_action: entry.is_default_action,
        ..Default::default()
    }
}

/// Whether two canonical entries have the same contents (action, metadata, idle timeout).
pub fn same_contents(a: &v1::TableEntry, b: &v1::TableEntry) -> bool {
    a.action == b.action && a.metadata == b.metadata && a.idle_timeout_ns == b.idle_timeout_ns
}

fn short(bytes: &[u8]) -> Vec<u8> {
    canonical(bytes).to_vec()
}

/// Whether `bytes` is the largest value of a `bit<width>` field.
fn all_ones(bytes: &[u8], width: u32) -> bool {
    let ones: u32 = bytes.iter().map(|b| b.count_ones()).sum();
    width > 0 && significant_bits(bytes) == width && ones == width
}

fn canonical_match(m: &v1::FieldMatch, width: Option<u32>) -> Option<v1::FieldMatch> {
    use v1::field_match::{Exact, Lpm, Optional, Range, Ternary};
    let kind = match m.field_match_type.as_ref()? {
        Fm::Exact(x) => Fm::Exact(Exact {
            value: short(&x.value),
        }),
        Fm::Ternary(x) => {
            if x.mask.iter().all(|b| *b == 0) {
                return None;
            }
            Fm::Ternary(Ternary {
                value: short(&x.value),
                mask: short(&x.mask),
            })
        }
        Fm::Lpm(x) => {
            if x.prefix_len == 0 {
                return None;
            }
            Fm::Lpm(Lpm {
                value: short(&x.value),
                prefix_len: x.prefix_len,
            })
        }
        Fm::Range(x) => {
            let full = significant_bits(&x.low) == 0 && width.is_some_and(|w| all_ones(&x.high, w));
            if full {
                return None;
            }
            Fm::Range(Range {
                low: short(&x.low),
                high: short(&x.high),
            })
        }
        Fm::Optional(x) => Fm::Optional(Optional {
            value: short(&x.value),
        }),
        Fm::Other(any) => Fm::Other(any.clone()),
    };
    Some(v1::FieldMatch {
        field_id: m.field_id,
        field_match_type: Some(kind),
    })
}

fn canonical_action(a: &v1::TableAction) -> v1::TableAction {
    use v1::table_action::Type;
    let canonical_call = |a: &v1::Action| {
        let mut params: Vec<v1::action::Param> = a
            .params
            .iter()
            .map(|p| v1::action::Param {
                param_id: p.param_id,
                value: short(&p.value),
            })
            .collect();
        params.sort_by_key(|p| p.param_id);
        v1::Action {
            action_id: a.action_id,
            params,
        }
    };
    let r#type = a.r#type.as_ref().map(|t| match t {
        Type::Action(a) => Type::Action(canonical_call(a)),
        Type::ActionProfileActionSet(set) => {
            Type::ActionProfileActionSet(v1::ActionProfileActionSet {
                action_profile_actions: set
                    .action_profile_actions
                    .iter()
                    .map(|x| v1::ActionProfileAction {
                        action: x.action.as_ref().map(canonical_call),
                        ..x.clone()
                    })
                    .collect(),
                ..set.clone()
            })
        }
        other => other.clone(),
    });
    v1::TableAction { r#type }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::p4rt::schema::Field;
    use std::collections::HashMap;
    use v1::field_match::{Exact, Lpm, Range, Ternary};

    fn table() -> Table {
        let f = |name: &str, bitwidth| Field {
            name: name.into(),
            bitwidth,
        };
        Table {
            name: "t".into(),
            fields: HashMap::from([
                (1, f("a", 32)),
                (2, f("b", 16)),
                (3, f("c", 12)),
                (4, f("d", 8)),
            ]),
            size: 0,
        }
    }

    fn fm(field_id: u32, m: Fm) -> v1::FieldMatch {
        v1::FieldMatch {
            field_id,
            field_match_type: Some(m),
        }
    }

    fn action(params: &[(u32, &[u8])]) -> Option<v1::TableAction> {
        Some(v1::TableAction {
            r#type: Some(v1::table_action::Type::Action(v1::Action {
                action_id: 5,
                params: params
                    .iter()
                    .map(|(id, v)| v1::action::Param {
                        param_id: *id,
                        value: v.to_vec(),
                    })
                    .collect(),
            })),
        })
    }

    /// The compiler's padded form and a device's canonical form give one key and equal
    /// contents; don't-care fields vanish.
    #[test]
    fn padded_and_canonical_entries_agree() {
        let t = table();
        let padded = v1::TableEntry {
            table_id: 9,
            r#match: vec![
                fm(
                    3,
                    Fm::Range(Range {
                        low: vec![0, 0],
                        high: vec![0x0f, 0xff],
                    }),
                ),
                fm(
                    2,
                    Fm::Ternary(Ternary {
                        value: vec![0, 0],
                        mask: vec![0, 0],
                    }),
                ),
                fm(
                    1,
                    Fm::Exact(Exact {
                        value: vec![0, 0, 1, 2],
                    }),
                ),
                fm(
                    4,
                    Fm::Lpm(Lpm {
                        value: vec![0],
                        prefix_len: 0,
                    }),
                ),
            ],
            action: action(&[(2, &[0, 0]), (1, &[0, 7])]),
            priority: 3,
            is_const: true,
            ..Default::default()
        };
        let read_back = v1::TableEntry {
            table_id: 9,
            r#match: vec![fm(1, Fm::Exact(Exact { value: vec![1, 2] }))],
            action: action(&[(1, &[7]), (2, &[0])]),
            priority: 3,
            ..Default::default()
        };
        let a = canonical_entry(&padded, Some(&t));
        let b = canonical_entry(&read_back, Some(&t));
        assert_eq!(a, b);
        assert_eq!(key(&a), key(&b));
        assert!(same_contents(&a, &b));
    }

    /// A range that is not the whole field, a non-zero mask and a prefix stay; the priority
    /// and every value are part of the key.
    #[test]
    fn real_matches_stay_in_the_key() {
        let t = table();
        let entry = |high: u8, priority| {
            canonical_entry(
                &v1::TableEntry {
                    table_id: 9,
                    r#match: vec![
                        fm(
                            3,
                            Fm::Range(Range {
                                low: vec![0],
                                high: vec![0x0f, high],
                            }),
                        ),
                        fm(
                            2,
                            Fm::Ternary(Ternary {
                                value: vec![0, 1],
                                mask: vec![0, 1],
                            }),
                        ),
                        fm(
                            4,
                            Fm::Lpm(Lpm {
                                value: vec![0x80],
                                prefix_len: 1,
                            }),
                        ),
                    ],
                    priority,
                    ..Default::default()
                },
                Some(&t),
            )
        };
        assert_eq!(entry(0xfe, 1).r#match.len(), 3);
        assert_eq!(
            entry(0xfe, 1)
                .r#match
                .iter()
                .map(|m| m.field_id)
                .collect::<Vec<_>>(),
            [2, 3, 4]
        );
        assert_ne!(key(&entry(0xfe, 1)), key(&entry(0xfd, 1)));
        assert_ne!(key(&entry(0xfe, 1)), key(&entry(0xfe, 2)));
        assert_eq!(
            entry(0xff, 1).r#match.len(),
            2,
            "a full 12-bit range is a wildcard"
        );
    }

    #[test]
    fn different_parameters_are_different_contents() {
        let e = |v: &[u8]| v1::TableEntry {
            table_id: 1,
            action: action(&[(1, v)]),
            ..Default::default()
        };
        let (a, b) = (
            canonical_entry(&e(&[1]), None),
            canonical_entry(&e(&[2]), None),
        );
        assert_eq!(key(&a), key(&b));
        assert!(!same_contents(&a, &b));
        assert_eq!(key_only(&a).action, None);
    }
}

//! The fast table indexes agree with the reference lookup of `ddsr_pipeline::lookup` (the
//! oracle) on random entries and keys, for exact, LPM, ternary, range and optional keys,
//! including deletions.

use ddsr_pipeline::builder::Builder;
use ddsr_pipeline::entry::{ActionCall, EntryAction, FieldMatch, TableEntry, prefix_mask};
use ddsr_pipeline::lookup::lookup_values;
use ddsr_pipeline::value::{mask, to_bytes};
use ddsr_pipeline::{MatchKind, Pipeline};
use ddsr_softswitch::table::{Index, TableState};
use proptest::prelude::*;

fn pipeline(kinds: &[MatchKind]) -> Pipeline {
    let mut b = Builder::new("t");
    let fields: Vec<(String, u16)> = kinds
        .iter()
        .enumerate()
        .map(|(i, _)| (format!("k{i}"), 8 + 4 * i as u16))
        .collect();
    let f: Vec<(&str, u16)> = fields.iter().map(|(n, w)| (n.as_str(), *w)).collect();
    let t = b.header_type("k_t", &f);
    b.metadata("m", t);
    let a = b.action("NoAction", &[], vec![]);
    let keys: Vec<(String, MatchKind)> = kinds
        .iter()
        .enumerate()
        .map(|(i, k)| (format!("m.k{i}"), *k))
        .collect();
    let keys: Vec<(&str, MatchKind)> = keys.iter().map(|(n, k)| (n.as_str(), *k)).collect();
    b.table("t", &keys, &[a], a, 100_000);
    b.build().unwrap()
}

fn random_match(kind: MatchKind, width: u16, r: &[u128; 3]) -> FieldMatch {
    let m = mask(width);
    let v = r[0] & m;
    match kind {
        MatchKind::Exact => FieldMatch::Exact {
            value: to_bytes(v & 0x7, width),
        },
        MatchKind::Lpm => {
            let len = (r[1] % (u128::from(width) + 1)) as u16;
            FieldMatch::Lpm {
                value: to_bytes(v & prefix_mask(len, width), width),
                prefix_len: len,
            }
        }
        MatchKind::Ternary => {
            let mk = r[1] & m & !(r[2] & 0xf0);
            FieldMatch::Ternary {
                value: to_bytes(v & mk, width),
                mask: to_bytes(mk, width),
            }
        }
        MatchKind::Range => {
            let (a, b) = (v, r[1] & m);
            FieldMatch::Range {
                low: to_bytes(a.min(b), width),
                high: to_bytes(a.max(b), width),
            }
        }
        MatchKind::Optional => FieldMatch::Optional {
            value: r[1].is_multiple_of(2).then(|| to_bytes(v & 0x7, width)),
        },
    }
}

fn kinds() -> impl Strategy<Value = Vec<MatchKind>> {
    prop::collection::vec(
        prop_oneof![
            Just(MatchKind::Exact),
            Just(MatchKind::Lpm),
            Just(MatchKind::Ternary),
            Just(MatchKind::Range),
            Just(MatchKind::Optional)
        ],
        1..4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn fast_indexes_agree_with_the_oracle(
        kinds in kinds(),
        raw in prop::collection::vec((any::<[u128; 3]>(), any::<[u128; 3]>(), any::<[u128; 3]>(), 1i32..5), 1..60),
        keys in prop::collection::vec(any::<[u128; 3]>(), 1..40),
        deletions in prop::collection::vec(any::<usize>(), 0..10),
    ) {
        // At most one LPM key when the table has no priority (P4Runtime's rule for LPM tables).
        let lpm_count = kinds.iter().filter(|k| **k == MatchKind::Lpm).count();
        prop_assume!(lpm_count <= 1);
        let p = pipeline(&kinds);
        let th = p.table_by_name("t").unwrap();
        let t = &p.tables[th];
        let na = p.action_by_name("NoAction").unwrap();
        let mut fast = TableState::new(t, Index::for_table(t));
        let mut slow = TableState::new(t, Index::Linear(Vec::new()));
        let mut entries: Vec<TableEntry> = Vec::new();
        for (r0, r1, r2, prio) in raw {
            let rs = [r0, r1, r2];
            let matches = t.keys.iter().enumerate().map(|(i, k)| {
                let r = [rs[0][i % 3], rs[1][i % 3], rs[2][i % 3]];
                random_match(k.match_kind, k.width, &r)
            }).collect();
            let e = TableEntry {
                table: th,
                matches,
                priority: if t.needs_priority() { prio } else { 0 },
                action: EntryAction::Action(ActionCall { action: na, args: vec![] }),
            };
            e.check(&p).unwrap();
            let a = fast.insert(t, e.clone());
            let b = slow.insert(t, e.clone());
            prop_assert_eq!(a.is_ok(), b.is_ok());
            if a.is_ok() {
                entries.push(e);
            }
        }
        for d in deletions {
            if entries.is_empty() { break; }
            let e = entries.remove(d % entries.len());
            fast.delete(t, &e).unwrap();
            slow.delete(t, &e).unwrap();
        }
        // The oracle sees entries in insertion order; its ties go to the first, as ours do.
        for k in keys {
            let key: Vec<u128> = t.keys.iter().enumerate().map(|(i, kk)| {
                let v = k[i % 3];
                // Bias keys towards installed values so lookups hit.
                let pick = entries.get((v % 7) as usize).map(|e| match &e.matches[i] {
                    FieldMatch::Exact { value } | FieldMatch::Lpm { value, .. } | FieldMatch::Ternary { value, .. } => ddsr_pipeline::value::from_bytes(value),
                    FieldMatch::Range { low, .. } => ddsr_pipeline::value::from_bytes(low),
                    FieldMatch::Optional { value } => value.as_ref().map_or(0, |v| ddsr_pipeline::value::from_bytes(v)),
                });
                let v = if v.is_multiple_of(3) { v } else { pick.unwrap_or(v) | (v >> 120) };
                v & mask(kk.width)
            }).collect();
            let want = lookup_values(t, &entries, &key);
            let got = fast.index.lookup(&key).and_then(|s| fast.slots[s as usize].as_ref()).map(|s| &s.entry);
            let lin = slow.index.lookup(&key).and_then(|s| slow.slots[s as usize].as_ref()).map(|s| &s.entry);
            prop_assert_eq!(got, want, "fast index, key {:x?}", key);
            prop_assert_eq!(lin, want, "linear index, key {:x?}", key);
        }
    }
}

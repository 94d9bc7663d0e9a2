//! The fast table indexes agree with the reference lookup of `ddsr_pipeline::lookup` (the
//! oracle) on random entries and keys, for exact, LPM, ternary, range and optional keys,
//! including deletions; and the compact store of all-exact tables agrees with the full store
//! on the oracle through random write, lookup and read-back sequences.

use ddsr_pipeline::builder::Builder;
use ddsr_pipeline::entry::{ActionCall, EntryAction, FieldMatch, TableEntry, prefix_mask};
use ddsr_pipeline::externs::{CounterUnit, ExternKind, MeterUnit};
use ddsr_pipeline::lookup::lookup_values;
use ddsr_pipeline::value::{mask, to_bytes};
use ddsr_pipeline::{MatchKind, Pipeline};
use ddsr_softswitch::externs::meter::MeterConfig;
use ddsr_softswitch::table::TableState;
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
        let mut fast = TableState::new(th, t);
        let mut slow = TableState::reference(t);
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
            let got = fast.lookup(&key).map(|f| fast.found_entry(f, &key));
            let lin = slow.lookup(&key).map(|f| slow.found_entry(f, &key));
            prop_assert_eq!(got.as_ref(), want, "fast index, key {:x?}", key);
            prop_assert_eq!(lin.as_ref(), want, "linear index, key {:x?}", key);
        }
    }
}

/// Key widths of the all-exact tables the compact store serves: one bit, byte-aligned and
/// not, several keys, exactly 128 bits in one or three keys.
const SHAPES: &[&[u16]] = &[
    &[8],
    &[1],
    &[16, 32],
    &[9, 3, 20],
    &[48, 16, 64],
    &[128],
    &[7, 121],
];

/// An all-exact table `t` with the given key widths, five entries at most, a direct counter
/// and a direct meter, actions `NoAction` and `set(bit<16>, bit<32>)`.
fn exact_pipeline(widths: &[u16]) -> Pipeline {
    let mut b = Builder::new("t");
    let fields: Vec<(String, u16)> = widths
        .iter()
        .enumerate()
        .map(|(i, w)| (format!("k{i}"), *w))
        .collect();
    let f: Vec<(&str, u16)> = fields.iter().map(|(n, w)| (n.as_str(), *w)).collect();
    let ty = b.header_type("k_t", &f);
    b.metadata("m", ty);
    let na = b.action("NoAction", &[], vec![]);
    let set = b.action("set", &[("a", 16), ("b", 32)], vec![]);
    let keys: Vec<String> = (0..widths.len()).map(|i| format!("m.k{i}")).collect();
    let keys: Vec<(&str, MatchKind)> = keys
        .iter()
        .map(|n| (n.as_str(), MatchKind::Exact))
        .collect();
    let th = b.table("t", &keys, &[na, set], na, 5);
    let dc = b.extern_instance(
        "t_counter",
        ExternKind::DirectCounter {
            unit: CounterUnit::PacketsAndBytes,
        },
    );
    let dm = b.extern_instance(
        "t_meter",
        ExternKind::DirectMeter {
            unit: MeterUnit::Packets,
        },
    );
    b.table_mut(th).direct_counter = Some(dc);
    b.table_mut(th).direct_meter = Some(dm);
    b.build().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The compact store of all-exact tables behaves like the full store on the linear scan
    /// through random insert, modify, delete, lookup, direct-counter and read-back sequences:
    /// same results and errors, same entries read back byte for byte and in the same order.
    #[test]
    fn compact_store_agrees_with_the_oracle(
        shape in 0..SHAPES.len(),
        pool in prop::collection::vec(any::<[u128; 3]>(), 1..9),
        ops in prop::collection::vec((0u8..8, any::<usize>(), any::<u16>()), 1..80),
    ) {
        let widths = SHAPES[shape];
        let p = exact_pipeline(widths);
        let th = p.table_by_name("t").unwrap();
        let t = &p.tables[th];
        let na = p.action_by_name("NoAction").unwrap();
        let set = p.action_by_name("set").unwrap();
        let mut fast = TableState::new(th, t);
        prop_assert!(fast.is_compact());
        let mut slow = TableState::reference(t);
        let key = |k: usize| -> Vec<u128> {
            widths.iter().enumerate().map(|(i, w)| pool[k % pool.len()][i % 3] & mask(*w)).collect()
        };
        let entry = |k: usize, a: u16| -> TableEntry {
            let action = if a.is_multiple_of(3) {
                ActionCall { action: na, args: vec![] }
            } else {
                // Few distinct argument sets, so interned actions are shared and released.
                let v = u128::from(a % 5);
                ActionCall { action: set, args: vec![to_bytes(v, 16), to_bytes(v << 28, 32)] }
            };
            TableEntry {
                table: th,
                matches: widths.iter().zip(key(k)).map(|(w, v)| FieldMatch::Exact { value: to_bytes(v, *w) }).collect(),
                priority: 0,
                action: EntryAction::Action(action),
            }
        };
        for (op, k, a) in ops {
            let e = entry(k, a);
            e.check(&p).unwrap();
            match op {
                0 | 1 => prop_assert_eq!(fast.insert(t, e.clone()), slow.insert(t, e)),
                2 => prop_assert_eq!(fast.modify(t, e.clone()), slow.modify(t, e)),
                3 => prop_assert_eq!(fast.delete(t, &e), slow.delete(t, &e)),
                4 => {
                    let mut kv = key(k);
                    if a % 4 == 0 {
                        kv[0] ^= 1 & mask(widths[0]);
                    }
                    let (f, s) = (fast.lookup(&kv), slow.lookup(&kv));
                    prop_assert_eq!(f.map(|f| fast.found_entry(f, &kv)), s.map(|s| slow.found_entry(s, &kv)));
                    if let (Some(f), Some(s)) = (f, s) {
                        let (hf, hs) = (fast.hit(f), slow.hit(s));
                        prop_assert_eq!(hf.target.clone(), hs.target.clone());
                        for c in [hf.counter.unwrap(), hs.counter.unwrap()] {
                            c.packets += 1;
                            c.bytes += 64;
                        }
                    }
                }
                5 => {
                    prop_assert_eq!(fast.entry(&e), slow.entry(&e));
                    prop_assert_eq!(fast.contains(&e), slow.contains(&e));
                    prop_assert_eq!(fast.counter(&e), slow.counter(&e));
                    prop_assert_eq!(fast.meter_config(&e), slow.meter_config(&e));
                }
                6 => {
                    let config = MeterConfig { cir: u64::from(a), cburst: 10, pir: 2 * u64::from(a), pburst: 20 };
                    let (mf, ms) = (fast.meter_mut(&e), slow.meter_mut(&e));
                    prop_assert_eq!(mf.is_some(), ms.is_some());
                    if let (Some(Some(mf)), Some(Some(ms))) = (mf, ms) {
                        mf.configure(Some(config), 1);
                        ms.configure(Some(config), 1);
                    }
                }
                _ => prop_assert_eq!(fast.entries(), slow.entries()),
            }
            prop_assert_eq!(fast.len(), slow.len());
        }
        let installed = slow.entries();
        prop_assert_eq!(fast.entries(), installed.clone());
        for e in &installed {
            prop_assert_eq!(fast.counter(e), slow.counter(e));
            prop_assert_eq!(fast.meter_config(e), slow.meter_config(e));
            // Keys that cannot name an entry find nothing in either store: a priority, a
            // value one byte too long.
            let mut prio = e.clone();
            prio.priority = 1;
            prop_assert_eq!(fast.entry(&prio), None);
            prop_assert_eq!(slow.entry(&prio), None);
            let mut long = e.clone();
            if let FieldMatch::Exact { value } = &mut long.matches[0] {
                value.insert(0, 0);
            }
            prop_assert_eq!(fast.entry(&long), None);
            prop_assert_eq!(slow.entry(&long), None);
            prop_assert_eq!(fast.delete(t, &long), slow.delete(t, &long));
        }
    }
}

//! Packets per second through the hand-built router and load-balancer programs (64-byte TCP
//! packets from 4096 flows, in batches), and the cost of one lookup per table kind at 1 and
//! 1,000 entries, of the selector, of a checksum and of a hash.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ddsr_pipeline::MatchKind;
use ddsr_pipeline::builder::Builder;
use ddsr_pipeline::entry::{
    ActionCall, EntryAction, FieldMatch, ProfileGroup, ProfileMember, TableEntry, prefix_mask,
};
use ddsr_pipeline::value::to_bytes;
use ddsr_softswitch::externs::hash;
use ddsr_softswitch::programs::{l4_lb, router};
use ddsr_softswitch::table::TableState;
use ddsr_softswitch::{Output, Switch};

const BATCH: usize = 1024;

fn csum(d: &[u8]) -> u16 {
    hash::csum16(d)
}

/// A 64-byte Ethernet/IPv4/TCP packet of flow `i` to `dst`, checksums valid.
fn tcp64(i: u32, dst: [u8; 4]) -> Vec<u8> {
    let mut p = vec![0u8; 64];
    p[0..6].copy_from_slice(&[0, 0, 0, 0, 0, 0xb]);
    p[6..12].copy_from_slice(&[0, 0, 0, 0, 0, 0xa]);
    p[12..14].copy_from_slice(&[8, 0]);
    p[14..26].copy_from_slice(&[0x45, 0, 0, 50, 0, 0, 0x40, 0, 64, 6, 0, 0]);
    p[26..30].copy_from_slice(&[172, 16, (i >> 8) as u8, i as u8]);
    p[30..34].copy_from_slice(&dst);
    let c = csum(&p[14..34]);
    p[24..26].copy_from_slice(&c.to_be_bytes());
    p[34..36].copy_from_slice(&(1024 + (i % 50000) as u16).to_be_bytes());
    p[36..38].copy_from_slice(&80u16.to_be_bytes());
    p[46] = 0x50;
    p[47] = 0x18;
    p
}

fn run_batch(sw: &mut Switch, pkts: &[Vec<u8>], out: &mut Output) -> usize {
    let mut n = 0;
    for (i, p) in pkts.iter().enumerate() {
        out.clear();
        sw.process(1, p, i as u64, out, None);
        n += out.packets().len();
    }
    n
}

fn pipelines(c: &mut Criterion) {
    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.measurement_time(Duration::from_secs(5));

    let mut sw = Switch::new(router()).unwrap();
    let p = sw.pipeline();
    let t = p.table_by_name("MyIngress.ipv4_lpm").unwrap();
    let a = p.action_by_name("MyIngress.set_nhop").unwrap();
    for i in 0..1000u32 {
        let prefix = [10, (i >> 8) as u8, i as u8, 0];
        sw.insert(TableEntry {
            table: t,
            matches: vec![FieldMatch::Lpm {
                value: prefix.to_vec(),
                prefix_len: 24,
            }],
            priority: 0,
            action: EntryAction::Action(ActionCall {
                action: a,
                args: vec![vec![0, 0, 0, 0, 0, 1], vec![0, 2]],
            }),
        })
        .unwrap();
    }
    let pkts: Vec<Vec<u8>> = (0..BATCH as u32)
        .map(|i| tcp64(i * 4, [10, 0, (i % 200) as u8, 9]))
        .collect();
    let mut out = Output::default();
    assert_eq!(run_batch(&mut sw, &pkts, &mut out), BATCH);
    g.bench_function("router_1000_routes", |b| {
        b.iter(|| run_batch(&mut sw, black_box(&pkts), &mut out))
    });

    let mut sw = Switch::new(l4_lb()).unwrap();
    let p = sw.pipeline();
    let sel = p.extern_by_name("MyIngress.backends").unwrap();
    let act = p.action_by_name("MyIngress.to_backend").unwrap();
    let vip = p.table_by_name("MyIngress.vip").unwrap();
    for m in 0..64u32 {
        sw.insert_member(ProfileMember {
            profile: sel,
            member: m,
            action: ActionCall {
                action: act,
                args: vec![
                    vec![10, 9, 0, m as u8],
                    vec![0x1f, 0x90],
                    vec![0, 0, 0, 0, 0, m as u8],
                    vec![0, 2],
                ],
            },
        })
        .unwrap();
    }
    for g_ in 0..100u32 {
        sw.write_group(
            ProfileGroup {
                profile: sel,
                group: g_,
                members: (0..16).map(|k| (g_ + k) % 64).collect(),
            },
            true,
        )
        .unwrap();
        sw.insert(TableEntry {
            table: vip,
            matches: vec![
                FieldMatch::Exact {
                    value: vec![10, 0, g_ as u8, 9],
                },
                FieldMatch::Exact { value: vec![6] },
                FieldMatch::Exact { value: vec![0, 80] },
            ],
            priority: 0,
            action: EntryAction::Group { group: g_ },
        })
        .unwrap();
    }
    let pkts: Vec<Vec<u8>> = (0..BATCH as u32)
        .map(|i| tcp64(i, [10, 0, (i % 100) as u8, 9]))
        .collect();
    assert_eq!(run_batch(&mut sw, &pkts, &mut out), BATCH);
    g.bench_function("l4_lb_100_vips_selector", |b| {
        b.iter(|| run_batch(&mut sw, black_box(&pkts), &mut out))
    });
    g.finish();
}

fn tables(c: &mut Criterion) {
    let mut g = c.benchmark_group("lookup");
    for kind in [
        MatchKind::Exact,
        MatchKind::Lpm,
        MatchKind::Ternary,
        MatchKind::Range,
    ] {
        for n in [1u32, 1000] {
            let mut b = Builder::new("t");
            let ty = b.header_type("k_t", &[("k", 32)]);
            b.metadata("m", ty);
            let a = b.action("NoAction", &[], vec![]);
            b.table("t", &[("m.k", kind)], &[a], a, 10_000);
            let p = b.build().unwrap();
            let th = p.table_by_name("t").unwrap();
            let t = &p.tables[th];
            let mut st = TableState::new(th, t);
            for i in 0..n {
                let v = i.wrapping_mul(2_654_435_761) as u128;
                let m = match kind {
                    MatchKind::Exact => FieldMatch::Exact {
                        value: to_bytes(v, 32),
                    },
                    MatchKind::Lpm => {
                        let len = 8 + (i % 25) as u16;
                        FieldMatch::Lpm {
                            value: to_bytes(v & prefix_mask(len, 32), 32),
                            prefix_len: len,
                        }
                    }
                    MatchKind::Ternary => {
                        let mask = 0xffff_0000u128 >> (i % 8);
                        FieldMatch::Ternary {
                            value: to_bytes(v & mask, 32),
                            mask: to_bytes(mask, 32),
                        }
                    }
                    _ => FieldMatch::Range {
                        low: to_bytes(u128::from(i) * 1000, 32),
                        high: to_bytes(u128::from(i) * 1000 + 999, 32),
                    },
                };
                st.insert(
                    t,
                    TableEntry {
                        table: th,
                        matches: vec![m],
                        priority: if t.needs_priority() { 1 + i as i32 } else { 0 },
                        action: EntryAction::Action(ActionCall {
                            action: a,
                            args: vec![],
                        }),
                    },
                )
                .unwrap();
            }
            let keys: Vec<[u128; 1]> = (0..256u32)
                .map(|i| {
                    [match kind {
                        MatchKind::Range => u128::from(i) * 3917 % (u128::from(n) * 1000),
                        _ => (i.wrapping_mul(2_654_435_761) as u128) ^ u128::from(i % 3),
                    }]
                })
                .collect();
            g.throughput(Throughput::Elements(keys.len() as u64));
            g.bench_function(format!("{kind:?}_{n}").to_lowercase(), |bch| {
                bch.iter(|| keys.iter().filter_map(|k| st.lookup(black_box(k))).count())
            });
        }
    }
    g.finish();
    let mut g = c.benchmark_group("extern");
    let data = [0x5au8; 20];
    let mut rng = hash::Rng::new(1);
    g.bench_function("csum16_20_bytes", |b| {
        b.iter(|| hash::csum16(black_box(&data)))
    });
    g.bench_function("crc16_13_bytes", |b| {
        b.iter(|| hash::crc16(black_box(&data[..13])))
    });
    g.bench_function("crc32_13_bytes", |b| {
        b.iter(|| hash::crc32(black_box(&data[..13])))
    });
    g.bench_function("random", |b| b.iter(|| rng.next_u64()));
    g.finish();
}

criterion_group!(benches, pipelines, tables);
criterion_main!(benches);

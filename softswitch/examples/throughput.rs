//! Packets per second of the hand-built router and load balancer on one core, for
//! `perf stat -e cycles:u,instructions:u` (cycles per packet are then independent of other load
//! on the machine): `cargo run --release -p ddsr-softswitch --example throughput -- router 2000000`.

use std::time::Instant;

use ddsr_pipeline::entry::{
    ActionCall, EntryAction, FieldMatch, ProfileGroup, ProfileMember, TableEntry,
};
use ddsr_softswitch::externs::hash::csum16;
use ddsr_softswitch::programs::{l4_lb, router};
use ddsr_softswitch::{Output, Switch};

/// A 64-byte Ethernet/IPv4/TCP packet of flow `i` to `dst`, IPv4 checksum valid.
fn tcp64(i: u32, dst: [u8; 4]) -> Vec<u8> {
    let mut p = vec![0u8; 64];
    p[0..6].copy_from_slice(&[0, 0, 0, 0, 0, 0xb]);
    p[6..12].copy_from_slice(&[0, 0, 0, 0, 0, 0xa]);
    p[12..14].copy_from_slice(&[8, 0]);
    p[14..26].copy_from_slice(&[0x45, 0, 0, 50, 0, 0, 0x40, 0, 64, 6, 0, 0]);
    p[26..30].copy_from_slice(&[172, 16, (i >> 8) as u8, i as u8]);
    p[30..34].copy_from_slice(&dst);
    let c = csum16(&p[14..34]);
    p[24..26].copy_from_slice(&c.to_be_bytes());
    p[34..36].copy_from_slice(&(1024 + (i % 50000) as u16).to_be_bytes());
    p[36..38].copy_from_slice(&80u16.to_be_bytes());
    p[46] = 0x50;
    p[47] = 0x18;
    p
}

fn router_switch() -> (Switch, Vec<Vec<u8>>) {
    let mut sw = Switch::new(router()).expect("router loads");
    let p = sw.pipeline();
    let t = p.table_by_name("MyIngress.ipv4_lpm").expect("table");
    let a = p.action_by_name("MyIngress.set_nhop").expect("action");
    for i in 0..1000u32 {
        sw.insert(TableEntry {
            table: t,
            matches: vec![FieldMatch::Lpm {
                value: vec![10, (i >> 8) as u8, i as u8, 0],
                prefix_len: 24,
            }],
            priority: 0,
            action: EntryAction::Action(ActionCall {
                action: a,
                args: vec![vec![0, 0, 0, 0, 0, 1], vec![0, 2]],
            }),
        })
        .expect("route");
    }
    let pkts = (0..4096u32)
        .map(|i| tcp64(i, [10, 0, (i % 200) as u8, 9]))
        .collect();
    (sw, pkts)
}

fn lb_switch() -> (Switch, Vec<Vec<u8>>) {
    let mut sw = Switch::new(l4_lb()).expect("l4_lb loads");
    let p = sw.pipeline();
    let sel = p.extern_by_name("MyIngress.backends").expect("selector");
    let act = p.action_by_name("MyIngress.to_backend").expect("action");
    let vip = p.table_by_name("MyIngress.vip").expect("table");
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
        .expect("member");
    }
    for g in 0..100u32 {
        sw.write_group(
            ProfileGroup {
                profile: sel,
                group: g,
                members: (0..16).map(|k| (g + k) % 64).collect(),
            },
            true,
        )
        .expect("group");
        sw.insert(TableEntry {
            table: vip,
            matches: vec![
                FieldMatch::Exact {
                    value: vec![10, 0, g as u8, 9],
                },
                FieldMatch::Exact { value: vec![6] },
                FieldMatch::Exact { value: vec![0, 80] },
            ],
            priority: 0,
            action: EntryAction::Group { group: g },
        })
        .expect("vip");
    }
    let pkts = (0..4096u32)
        .map(|i| tcp64(i, [10, 0, (i % 100) as u8, 9]))
        .collect();
    (sw, pkts)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map_or("router", String::as_str);
    let n: usize = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000_000);
    let (mut sw, pkts) = if which == "l4_lb" {
        lb_switch()
    } else {
        router_switch()
    };
    let mut out = Output::default();
    let start = Instant::now();
    let mut sent = 0usize;
    for (i, p) in pkts.iter().cycle().take(n).enumerate() {
        out.clear();
        sw.process(1, p, i as u64, &mut out, None);
        sent += out.packets().len();
    }
    let dt = start.elapsed();
    println!(
        "{which}: {n} packets, {sent} sent, {:.0} ns/packet, {:.2} Mpps (wall clock)",
        dt.as_nanos() as f64 / n as f64,
        n as f64 / dt.as_secs_f64() / 1e6
    );
}

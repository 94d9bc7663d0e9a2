//! Steady state does not allocate: after warm-up, routing and load-balancing packets through
//! the hand-built programs performs zero heap allocations, counted by a wrapping allocator.
#![allow(unsafe_code)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::*;
use ddsr_pipeline::entry::{
    ActionCall, EntryAction, FieldMatch, ProfileGroup, ProfileMember, TableEntry,
};
use ddsr_softswitch::programs::{l4_lb, router};
use ddsr_softswitch::{Output, Switch};

struct Counting;

thread_local! {
    // Per thread: the harness's own threads allocate at moments that depend on scheduling
    // (libtest's main thread sets up its channel wait the first time it blocks, which on a
    // loaded machine can fall inside the measured window); the claim is about the thread that
    // processes packets. Const-initialised, no destructor: safe to touch from the allocator.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count_one() {
    // `try_with`: a thread being torn down may still allocate.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: every call forwards to the system allocator with the caller's arguments unchanged;
// the wrapper only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: forwarded contract of `GlobalAlloc::alloc`.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract of `GlobalAlloc::dealloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: forwarded contract of `GlobalAlloc::realloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn count_during(sw: &mut Switch, packets: &[Vec<u8>]) -> (usize, usize) {
    let mut out = Output::default();
    for p in packets.iter().cycle().take(200) {
        out.clear();
        sw.process(1, p, 0, &mut out, None);
    }
    let before = allocations();
    let mut sent = 0;
    for (i, p) in packets.iter().cycle().take(10_000).enumerate() {
        out.clear();
        sw.process(1, p, i as u64, &mut out, None);
        sent += out.packets().len();
    }
    (allocations() - before, sent)
}

#[test]
fn steady_state_processing_does_not_allocate() {
    let flows: Vec<Vec<u8>> = (0..64u16)
        .map(|i| {
            packet(
                &Flow {
                    sport: 1000 + i,
                    dst: [10, (i % 4) as u8, 0, 1],
                    ..Flow::default()
                },
                &[0u8; 6],
            )
        })
        .collect();

    let mut sw = Switch::new(router()).unwrap();
    let p = sw.pipeline();
    let t = p.table_by_name("MyIngress.ipv4_lpm").unwrap();
    let a = p.action_by_name("MyIngress.set_nhop").unwrap();
    for i in 0..4u8 {
        sw.insert(TableEntry {
            table: t,
            matches: vec![FieldMatch::Lpm {
                value: vec![10, i, 0, 0],
                prefix_len: 16,
            }],
            priority: 0,
            action: EntryAction::Action(ActionCall {
                action: a,
                args: vec![vec![0, 0, 0, 0, 0, i], vec![0, i + 1]],
            }),
        })
        .unwrap();
    }
    let (allocs, sent) = count_during(&mut sw, &flows);
    assert_eq!(sent, 10_000);
    assert_eq!(allocs, 0, "router: allocations in steady state");

    let mut sw = Switch::new(l4_lb()).unwrap();
    let p = sw.pipeline();
    let sel = p.extern_by_name("MyIngress.backends").unwrap();
    let act = p.action_by_name("MyIngress.to_backend").unwrap();
    let vip = p.table_by_name("MyIngress.vip").unwrap();
    for m in 0..8u8 {
        sw.insert_member(ProfileMember {
            profile: sel,
            member: u32::from(m),
            action: ActionCall {
                action: act,
                args: vec![
                    vec![10, 9, 0, m],
                    vec![0x1f, 0x90],
                    vec![0, 0, 0, 0, 0, m],
                    vec![0, 2],
                ],
            },
        })
        .unwrap();
    }
    sw.write_group(
        ProfileGroup {
            profile: sel,
            group: 1,
            members: (0..8).collect(),
        },
        true,
    )
    .unwrap();
    for i in 0..4u8 {
        sw.insert(TableEntry {
            table: vip,
            matches: vec![
                FieldMatch::Exact {
                    value: vec![10, i, 0, 1],
                },
                FieldMatch::Exact { value: vec![6] },
                FieldMatch::Exact { value: vec![0, 80] },
            ],
            priority: 0,
            action: EntryAction::Group { group: 1 },
        })
        .unwrap();
    }
    let (allocs, sent) = count_during(&mut sw, &flows);
    assert_eq!(sent, 10_000);
    assert_eq!(allocs, 0, "load balancer: allocations in steady state");

    ingress_role_program_does_not_allocate();
}

/// The ingress role program of `policies/web.yaml` (the benchmark's program), compiled code
/// path: parse, checksum verify, VIP and bucket lookups, CRC-32, counters, L4 checksum patch,
/// route, checksum update, in-place deparse. Called from the test above: the counter is
/// process-wide, so a second test (or the harness printing its result) would be counted.
fn ingress_role_program_does_not_allocate() {
    use ddsr_policy::ir::Role;
    use std::net::IpAddr;

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/web.yaml");
    let mut sources = ddsr_diag::SourceMap::new();
    let (policy, diags) = ddsr_policy::check_file(&mut sources, &path);
    let policy = policy.unwrap_or_else(|| panic!("web.yaml: {diags:?}"));
    let out = ddsr_tables::compile::compile(&policy, &Default::default())
        .unwrap_or_else(|d| panic!("compile: {d:?}"));
    let host = out
        .hosts
        .iter()
        .find(|h| h.plan.role == Role::Ingress)
        .expect("an ingress host");
    let mut sw = Switch::new((*host.pipeline).clone()).expect("ingress program loads");
    for e in &host.entries {
        sw.insert(e.clone()).expect("entry");
    }
    let vips: Vec<([u8; 4], u16)> = policy
        .vips
        .iter()
        .filter_map(|(_, v)| match v.address {
            IpAddr::V4(a) if v.protocol.protocol().number() == Some(6) => {
                Some((a.octets(), v.port))
            }
            _ => None,
        })
        .collect();
    assert!(!vips.is_empty(), "web.yaml has IPv4 TCP VIPs");
    let flows: Vec<Vec<u8>> = (0..64u16)
        .map(|i| {
            let (dst, dport) = vips[usize::from(i) % vips.len()];
            packet(
                &Flow {
                    src: [198, 51, 100, i as u8],
                    sport: 1024 + i,
                    dst,
                    dport,
                    ..Flow::default()
                },
                &[0u8; 6],
            )
        })
        .collect();
    let (allocs, sent) = count_during(&mut sw, &flows);
    assert_eq!(sent, 10_000, "every request is forwarded to a backend");
    assert_eq!(allocs, 0, "ingress role: allocations in steady state");
}

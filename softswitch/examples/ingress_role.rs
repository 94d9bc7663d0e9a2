//! Packets per second of the ingress role program (`p4/v1model/ingress.p4`, lowered by the P4
//! front end) with a large generated policy's entries, 64-byte TCP packets from many flows to
//! the policy's IPv4 VIPs, one core:
//! `cargo run --release -p ddsr-softswitch --example ingress_role -- 1000 16 2000000`
//! (VIPs, backends per pool, packets); run under `perf stat -e task-clock` for CPU time.
//! It also prints the heap bytes the switch holds per loaded entry (live bytes counted by a
//! wrapping allocator, after loading minus before creating the switch).
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use ddsr_diag::SourceMap;
use ddsr_policy::ir::Role;
use ddsr_policy::synth::{Params, generate};
use ddsr_softswitch::externs::hash::csum16;
use ddsr_softswitch::{Output, Switch};

/// Live heap bytes of the process.
static LIVE: AtomicUsize = AtomicUsize::new(0);

struct Counting;

// SAFETY: every call forwards to the system allocator with the caller's arguments unchanged;
// the wrapper only adds and subtracts the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded contract of `GlobalAlloc::alloc`.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded contract of `GlobalAlloc::alloc_zeroed`.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded contract of `GlobalAlloc::dealloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded contract of `GlobalAlloc::realloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A 64-byte Ethernet/IPv4/TCP packet of flow `i` to `dst:port`, IPv4 checksum valid.
fn tcp64(i: u32, dst: [u8; 4], port: u16) -> Vec<u8> {
    let mut p = vec![0u8; 64];
    p[0..6].copy_from_slice(&[2, 0, 0, 0, 0, 2]);
    p[6..12].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
    p[12..14].copy_from_slice(&[8, 0]);
    p[14..26].copy_from_slice(&[0x45, 0, 0, 50, 0, 0, 0x40, 0, 64, 6, 0, 0]);
    p[26..30].copy_from_slice(&[198, 51, (i >> 8) as u8, i as u8]);
    p[30..34].copy_from_slice(&dst);
    let c = csum16(&p[14..34]);
    p[24..26].copy_from_slice(&c.to_be_bytes());
    p[34..36].copy_from_slice(&(1024 + (i % 50000) as u16).to_be_bytes());
    p[36..38].copy_from_slice(&port.to_be_bytes());
    p[46] = 0x50;
    p[47] = 0x18;
    p
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers: VIPS BACKENDS PACKETS"))
        .collect();
    let vips = args.first().copied().unwrap_or(1000) as u32;
    let backends = args.get(1).copied().unwrap_or(16) as u32;
    let n = args.get(2).copied().unwrap_or(2_000_000) as usize;
    let text = generate(&Params {
        vips,
        backends,
        rules: vips,
        acls: 10,
        seed: 1,
    });
    let mut sources = SourceMap::new();
    let (policy, diags) = ddsr_policy::check_source(&mut sources, "generated.yaml", &text);
    let policy = policy.unwrap_or_else(|| panic!("generated policy: {diags:?}"));
    let t = Instant::now();
    let out = ddsr_tables::compile::compile(&policy, &Default::default())
        .unwrap_or_else(|d| panic!("compile: {d:?}"));
    let ingress = out
        .hosts
        .iter()
        .find(|h| h.plan.role == Role::Ingress)
        .expect("an ingress host");
    let pipeline = (*ingress.pipeline).clone();
    let before = LIVE.load(Ordering::Relaxed);
    let mut sw = Switch::new(pipeline).expect("ingress program loads");
    for e in &ingress.entries {
        sw.insert(e.clone()).expect("entry");
    }
    let held = LIVE.load(Ordering::Relaxed).saturating_sub(before);
    eprintln!(
        "compiled and loaded {} entries in {:.1} s; the switch holds {:.1} MiB, {:.1} bytes per entry",
        ingress.entries.len(),
        t.elapsed().as_secs_f64(),
        held as f64 / (1 << 20) as f64,
        held as f64 / ingress.entries.len().max(1) as f64
    );
    let targets: Vec<([u8; 4], u16)> = policy
        .vips
        .iter()
        .filter_map(|(_, v)| match v.address {
            IpAddr::V4(a) if v.protocol.protocol().number() == Some(6) => {
                Some((a.octets(), v.port))
            }
            _ => None,
        })
        .collect();
    assert!(!targets.is_empty(), "the policy has IPv4 TCP VIPs");
    let pkts: Vec<Vec<u8>> = (0..4096u32)
        .map(|i| {
            let (a, p) = targets[i as usize * 7919 % targets.len()];
            tcp64(i, a, p)
        })
        .collect();
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
        "ingress role, {} VIPs x {backends} backends ({} entries): {n} packets, {sent} sent, \
         {:.0} ns/packet, {:.2} Mpps (wall clock)",
        targets.len(),
        ingress.entries.len(),
        dt.as_nanos() as f64 / n as f64,
        n as f64 / dt.as_secs_f64() / 1e6
    );
}

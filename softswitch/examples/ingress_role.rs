//! Packets per second of the ingress role program (`p4/v1model/ingress.p4`, lowered by the P4
//! front end) with a large generated policy's entries, 64-byte TCP packets from many flows to
//! the policy's IPv4 VIPs, one core:
//! `cargo run --release -p ddsr-softswitch --example ingress_role -- 1000 16 2000000`
//! (VIPs, backends per pool, packets); run under `perf stat -e task-clock` for CPU time.

use std::net::IpAddr;
use std::time::Instant;

use ddsr_diag::SourceMap;
use ddsr_policy::ir::Role;
use ddsr_policy::synth::{Params, generate};
use ddsr_softswitch::externs::hash::csum16;
use ddsr_softswitch::{Output, Switch};

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
    let mut sw = Switch::new((*ingress.pipeline).clone()).expect("ingress program loads");
    for e in &ingress.entries {
        sw.insert(e.clone()).expect("entry");
    }
    eprintln!(
        "compiled and loaded {} entries in {:.1} s",
        ingress.entries.len(),
        t.elapsed().as_secs_f64()
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

//! Writes the compile benchmark's policy: 10,000 VIPs over 1,000 pools of 16 backends (Maglev
//! tables of 1,601 buckets, the first prime above 100 per backend), and 50,000 ACL rules with
//! disjoint source prefixes and random port ranges in 10,000 ACLs of 5 (one per VIP).
//!
//! `cargo run --release -p ddsr-tables --example bench_policy -- OUT.yaml`, then time
//! `ddsr compile OUT.yaml -o DIR` (method and figures: docs/notes/compile.md).

use std::fmt::Write as _;

use ddsr_tables::synth::Rng;

const VIPS: u32 = 10_000;
const POOLS: u32 = 1_000;
const BACKENDS: u32 = 16;
const SERVERS: u32 = 1_024;
const RULES_PER_ACL: u32 = 5;

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: bench_policy OUT.yaml");
    let mut rng = Rng::new(2026);
    let mut s = String::from("version: 1\nhosts:\n");
    s.push_str("  in-1: { role: ingress, address: 10.255.0.1 }\n");
    s.push_str("  out-1: { role: egress, address: 10.255.0.2 }\n");
    for i in 0..SERVERS {
        let _ = writeln!(
            s,
            "  srv-{i}: {{ role: server, address: 10.{}.{}.{} }}",
            1 + i / 65536,
            (i / 256) % 256,
            i % 256
        );
    }
    s.push_str("pools:\n");
    for p in 0..POOLS {
        let _ = writeln!(
            s,
            "  pool-{p}:\n    hashing: {{ algorithm: maglev, table_size: 1601 }}\n    backends:"
        );
        let start = rng.below(u64::from(SERVERS)) as u32;
        for b in 0..BACKENDS {
            let _ = writeln!(
                s,
                "      - {{ host: srv-{}, weight: {} }}",
                (start + b * 61) % SERVERS,
                1 + rng.below(4)
            );
        }
    }
    s.push_str("acls:\n");
    for a in 0..VIPS {
        let _ = writeln!(s, "  acl-{a}:\n    default: deny\n    rules:");
        for r in 0..RULES_PER_ACL {
            // Disjoint /26s inside 100.64.0.0/10, so no rule shadows another.
            let len = 26;
            let net = 0x6440_0000u32 + ((a * RULES_PER_ACL + r) << 6);
            let lo = rng.below(60_000) as u32;
            let hi = lo + rng.below(5_000) as u32;
            let action = if r % 2 == 0 { "allow" } else { "deny" };
            let _ = writeln!(
                s,
                "      - {{ name: r{r}, action: {action}, src: [{}/{len}], protocol: tcp, src_ports: \"{lo}-{hi}\" }}",
                std::net::Ipv4Addr::from(net)
            );
        }
    }
    s.push_str("vips:\n");
    for v in 0..VIPS {
        let _ = writeln!(
            s,
            "  vip-{v}: {{ address: 198.18.{}.{}, protocol: tcp, port: 443, pool: pool-{}, acl: acl-{v}, service_port: {} }}",
            v / 256,
            v % 256,
            v % POOLS,
            20_000 + v
        );
    }
    std::fs::write(&path, s).expect("write the policy");
}

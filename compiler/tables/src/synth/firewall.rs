//! A ClassBench-style generator of firewall rule sets (IPv4 5-tuple, first match, default deny).
//!
//! ClassBench (Taylor and Turner, 2005) characterises real rule sets by the distribution of prefix
//! lengths, of protocols and of port-range classes: WC (any), HI (`1024-65535`), LO (`0-1023`), AR
//! (arbitrary range) and EM (exact). This generator follows that model with its own parameters,
//! chosen to resemble its firewall seeds: addresses come from a small tree of sites (/16), subnets
//! (/24) and hosts (/32) so that rules nest and overlap as in real ACLs; destination ports are
//! mostly exact or wildcard with a sizeable share of ranges; source ports are mostly wildcard. The
//! last rule denies everything.

use super::Rng;
use crate::passes::acl::{Field, Interval, Matching, Rule, Verdict};

/// Key layout of the generated rules: source address, destination address, protocol, source
/// port, destination port. Ports use `ports`; addresses and protocol are always ternary.
pub fn layout(ports: Matching) -> Vec<Field> {
    let t = |width| Field {
        width,
        matching: Matching::Ternary,
    };
    vec![
        t(32),
        t(32),
        t(8),
        Field {
            width: 16,
            matching: ports,
        },
        Field {
            width: 16,
            matching: ports,
        },
    ]
}

const TCP: u128 = 6;
const UDP: u128 = 17;
const ICMP: u128 = 1;

const WELL_KNOWN: [u128; 16] = [
    20, 21, 22, 23, 25, 53, 80, 110, 123, 143, 443, 993, 3306, 5432, 8080, 8443,
];

/// Ranges that recur in real firewalls (X11, NetBIOS, the IANA dynamic range, alternative HTTP).
const COMMON_RANGES: [(u128, u128); 6] = [
    (6000, 6063),
    (137, 139),
    (49152, 65535),
    (8000, 8999),
    (1024, 5000),
    (5060, 5061),
];

struct Sites {
    sites: Vec<u128>,
}

impl Sites {
    fn new(rng: &mut Rng) -> Self {
        let sites = (0..64)
            .map(|_| u128::from((rng.between(1, 223) << 24) | (rng.below(256) << 16)))
            .collect();
        Sites { sites }
    }

    /// A prefix drawn from the site tree: weights for any, /32, /24, /16 and other lengths.
    fn prefix(&self, rng: &mut Rng, weights: &[u32; 5]) -> Interval {
        let site = self.sites[rng.below(self.sites.len() as u64) as usize];
        let subnet = site | u128::from(rng.below(256) << 8);
        let host = subnet | u128::from(rng.below(256));
        match rng.pick(weights) {
            0 => Interval::any(32),
            1 => Interval::exact(host),
            2 => Interval::prefix(subnet, 24, 32),
            3 => Interval::prefix(site, 16, 32),
            _ => {
                let len = rng.between(8, 30) as u32;
                Interval::prefix(host, len, 32)
            }
        }
    }
}

fn port(rng: &mut Rng, weights: &[u32; 5]) -> Interval {
    match rng.pick(weights) {
        0 => Interval::any(16),
        1 => Interval::new(1024, 65535),
        2 => Interval::new(0, 1023),
        3 => {
            if rng.below(2) == 0 {
                let (lo, hi) = COMMON_RANGES[rng.below(COMMON_RANGES.len() as u64) as usize];
                Interval::new(lo, hi)
            } else {
                let lo = rng.between(1, 60_000);
                let len = 1u64 << rng.between(1, 12);
                Interval::new(u128::from(lo), u128::from((lo + rng.below(len)).min(65535)))
            }
        }
        _ => Interval::exact(WELL_KNOWN[rng.below(WELL_KNOWN.len() as u64) as usize]),
    }
}

/// `count` rules (the last one a default deny) from `seed`.
pub fn generate(seed: u64, count: usize) -> Vec<Rule> {
    let mut rng = Rng::new(seed);
    let sites = Sites::new(&mut rng);
    let mut rules = Vec::with_capacity(count);
    for _ in 0..count.saturating_sub(1) {
        let src = sites.prefix(&mut rng, &[30, 25, 20, 10, 15]);
        // A rule open on both addresses would shadow most of what follows; real rule sets keep
        // those for the end, so only the final default has both.
        let dst = loop {
            let dst = sites.prefix(&mut rng, &[10, 50, 20, 10, 10]);
            if dst != Interval::any(32) || src != Interval::any(32) {
                break dst;
            }
        };
        let (proto, sport, dport) = match rng.pick(&[55, 25, 5, 15]) {
            p @ (0 | 1) => (
                Interval::exact(if p == 0 { TCP } else { UDP }),
                port(&mut rng, &[80, 12, 0, 4, 4]),
                port(&mut rng, &[20, 12, 8, 15, 45]),
            ),
            2 => (Interval::exact(ICMP), Interval::any(16), Interval::any(16)),
            _ => (Interval::any(8), Interval::any(16), Interval::any(16)),
        };
        let verdict = if rng.pick(&[65, 35]) == 0 {
            Verdict::Allow
        } else {
            Verdict::Deny
        };
        rules.push(Rule {
            conditions: vec![src, dst, proto, sport, dport],
            verdict,
        });
    }
    if count > 0 {
        rules.push(Rule {
            conditions: layout(Matching::Ternary)
                .iter()
                .map(|f| Interval::any(f.width))
                .collect(),
            verdict: Verdict::Deny,
        });
    }
    rules
}

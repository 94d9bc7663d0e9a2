//! The compiled entries against the reference evaluator: random client packets, biased to the
//! edges of every prefix and port range of the policy, must get the same VIP, the same ACL
//! decision (same rule, or the default), the same backend, and a response path that restores
//! the VIP, from the tables (shared lookup) as from [`ddsr_tables::reference`].
//!
//! Count: `DDSR_EQUIVALENCE_PACKETS` packets, default 1,000,000 in release builds and 20,000 in
//! debug builds (the linear-scan lookup is the oracle, and unoptimised it takes minutes).
//!
//! The lab policy runs twice: as written (BMv2 and softswitch hosts: native range matching) and
//! with its BMv2 hosts turned into Tofino hosts ([`tofino_lab`]: a TNA ingress with a
//! power-of-two bucket count, a TNA server whose ACL matches client ports as ternary).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ddsr_diag::SourceMap;
use ddsr_policy::Policy;
use ddsr_policy::ir::Family;
use ddsr_tables::compile::{self, Options};
use ddsr_tables::plan::{self, RuleRef};
use ddsr_tables::reference::{self, Decider, Packet};
use ddsr_tables::synth::Rng;
use ddsr_tables::trace::{self, AclOutcome, Compiled, Walk};

/// The lab policy of the snapshot corpus: see its header.
const POLICY: &str = include_str!("../../tests/snapshots/compile/lab.yaml");

/// The lab policy with its BMv2 hosts (the ingress `in-1` and the server `s1`, which serves the
/// pools `big` and `six`) on Tofino.
fn tofino_lab() -> String {
    let text = POLICY.replace("target: bmv2", "target: tofino");
    assert_eq!(text.matches("target: tofino").count(), 2);
    text
}

fn policy(text: &str) -> Policy {
    let mut sources = SourceMap::new();
    let (p, diags) = ddsr_policy::check_source(&mut sources, "test.yaml", text);
    p.unwrap_or_else(|| panic!("policy rejected: {diags:?}"))
}

/// Interesting values of a field: the ends of every interval and their neighbours.
fn edges(intervals: &[(u128, u128)], max: u128) -> Vec<u128> {
    let mut v = vec![0, max];
    for &(lo, hi) in intervals {
        for x in [
            lo.wrapping_sub(1),
            lo,
            lo + 1,
            hi.wrapping_sub(1),
            hi,
            hi.wrapping_add(1),
        ] {
            if x <= max {
                v.push(x);
            }
        }
    }
    v.sort_unstable();
    v.dedup();
    v
}

struct Gen {
    rng: Rng,
    src4: Vec<u128>,
    src6: Vec<u128>,
    ports: Vec<u128>,
    vips: Vec<(IpAddr, u8, u16)>,
}

impl Gen {
    fn new(p: &Policy) -> Gen {
        let (mut i4, mut i6, mut ports) = (Vec::new(), Vec::new(), Vec::new());
        for (_, acl) in p.acls.iter() {
            for r in &acl.rules {
                for pre in &r.src {
                    let w = u32::from(pre.family().bits());
                    let v = plan::addr_value(pre.addr);
                    let host = if u32::from(pre.len) >= w {
                        0
                    } else {
                        (1u128 << (w - u32::from(pre.len))) - 1
                    };
                    match pre.family() {
                        Family::V4 => i4.push((v, v | host)),
                        Family::V6 => i6.push((v, v | host)),
                    }
                }
                for pr in r.src_ports.iter().chain(&r.dst_ports) {
                    ports.push((u128::from(pr.lo), u128::from(pr.hi)));
                }
            }
        }
        Gen {
            rng: Rng::new(0xdd5e),
            src4: edges(&i4, u128::from(u32::MAX)),
            src6: edges(&i6, u128::MAX),
            ports: edges(&ports, 65535),
            vips: p
                .vips
                .iter()
                .map(|(_, v)| (v.address, v.protocol.protocol().number().unwrap(), v.port))
                .collect(),
        }
    }

    fn pick(&mut self, edges: &[u128], max: u128) -> u128 {
        if self.rng.below(4) == 0 {
            let x = u128::from(self.rng.next_u64()) << 64 | u128::from(self.rng.next_u64());
            x & max
        } else {
            edges[self.rng.below(edges.len() as u64) as usize]
        }
    }

    fn packet(&mut self) -> Packet {
        let (dst, mut protocol, mut dst_port) =
            self.vips[self.rng.below(self.vips.len() as u64) as usize];
        match self.rng.below(10) {
            0 => protocol = [1u8, 6, 17, 58][self.rng.below(4) as usize],
            1 => dst_port = self.pick(&self.ports.clone(), 65535) as u16,
            _ => {}
        }
        let src = match dst {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(
                self.pick(&self.src4.clone(), u128::from(u32::MAX)) as u32,
            )),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(self.pick(&self.src6.clone(), u128::MAX))),
        };
        Packet {
            src,
            dst,
            protocol,
            src_port: self.pick(&self.ports.clone(), 65535) as u16,
            dst_port,
        }
    }
}

fn packets() -> usize {
    std::env::var("DDSR_EQUIVALENCE_PACKETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) {
            20_000
        } else {
            1_000_000
        })
}

/// Compares one packet; returns a description of the disagreement, if any.
fn compare(p: &Policy, pl: &plan::Plan, c: &Compiled, pkt: &Packet, bucket: u32) -> Option<String> {
    let want = reference::evaluate(p, &pl.maglev, pkt, bucket);
    let got = trace::walk(c, pkt, bucket);
    let (want, got) = match (want, got) {
        (None, Walk::NotVip) => return None,
        (Some(w), Walk::Vip(g)) => (w, g),
        (w, g) => return Some(format!("VIP: reference {w:?}, tables {g:?}")),
    };
    if got.vip_id as usize != want.vip.index() {
        return Some(format!("vip_id {} != {:?}", got.vip_id, want.vip));
    }
    let Some(b) = &got.backend else {
        return Some("no backend entry".into());
    };
    if b.host.as_deref() != Some(p.hosts[want.backend].name.as_str()) {
        return Some(format!(
            "backend {:?} != {}",
            b.host, p.hosts[want.backend].name
        ));
    }
    let vip = &p.vips[want.vip];
    if b.service != Some((got.vip_id, vip.address, vip.port)) {
        return Some(format!("service {:?}", b.service));
    }
    if b.restored != Some((vip.address, vip.port)) {
        return Some(format!(
            "response path {:?} -> {:?}",
            b.response, b.restored
        ));
    }
    let expected = match (want.decider, want.allowed) {
        (Decider::Rule { acl, rule }, allowed) => {
            Some((pl.ids.rule_id(RuleRef::Rule { acl, rule }), allowed))
        }
        (Decider::Default(acl), true) => Some((pl.ids.rule_id(RuleRef::Default(acl)), true)),
        (Decider::Default(_), false) => None,
        (Decider::Open, _) => Some((pl.ids.rule_id(RuleRef::Open), true)),
    };
    let actual = match b.acl {
        Some(AclOutcome::Allow { rule_id, .. }) => Some((rule_id, true)),
        Some(AclOutcome::Deny { rule_id, .. }) => Some((rule_id, false)),
        Some(AclOutcome::Miss) => None,
        None => return Some("ACL not applied".into()),
    };
    (expected != actual).then(|| {
        format!(
            "ACL: reference {expected:?} ({:?}), tables {actual:?}",
            want.decider
        )
    })
}

/// Runs `n` random packets of `text` through the compiled tables and the reference.
fn agree(text: &str) {
    let p = policy(text);
    let out = compile::compile(&p, &Options::default()).expect("compiles");
    let pl = &out.plan;
    let c = Compiled::new(&p, &out);
    let buckets = c.ingress().expect("an ingress host").buckets;
    let mut g = Gen::new(&p);
    let n = packets();
    let mut mismatches = Vec::new();
    let mut vip_hits = 0usize;
    let mut denied = 0usize;
    for _ in 0..n {
        let pkt = g.packet();
        let bucket = g.rng.below(u64::from(buckets)) as u32;
        if let Some(why) = compare(&p, pl, &c, &pkt, bucket)
            && mismatches.len() < 10
        {
            mismatches.push(format!("{pkt:?} bucket {bucket}: {why}"));
        }
        if let Some(a) = reference::evaluate(&p, &pl.maglev, &pkt, bucket) {
            vip_hits += 1;
            denied += usize::from(!a.allowed);
        }
    }
    assert!(
        mismatches.is_empty(),
        "mismatches:\n{}",
        mismatches.join("\n")
    );
    // The generator must exercise both outcomes, or the test proves little.
    assert!(vip_hits > n / 2, "{vip_hits} of {n} packets hit a VIP");
    assert!(
        denied > n / 20 && denied < vip_hits - n / 20,
        "{denied} denied of {vip_hits}"
    );
}

#[test]
fn compiled_entries_agree_with_the_reference() {
    agree(POLICY);
}

#[test]
fn tofino_hosts_agree_with_the_reference() {
    let text = tofino_lab();
    let p = policy(&text);
    let out = compile::compile(&p, &Options::default()).expect("compiles");
    // The variant really has ternary client ports and a power-of-two bucket count.
    let s1 = out.hosts.iter().find(|h| h.plan.name == "s1").unwrap();
    let ternary_ports = s1
        .plan
        .entries
        .iter()
        .filter(|e| e.table.starts_with("acl_"))
        .all(|e| matches!(e.matches[2], plan::Match::Ternary { .. }));
    assert!(ternary_ports, "s1's ACL ports are ternary");
    let in1 = out.hosts.iter().find(|h| h.plan.name == "in-1").unwrap();
    assert_eq!(in1.plan.buckets, 256);
    agree(&text);
}

/// Every bucket of every pool for every VIP of `text`.
fn every_bucket_agrees(text: &str) {
    let p = policy(text);
    let out = compile::compile(&p, &Options::default()).expect("compiles");
    let pl = &out.plan;
    let c = Compiled::new(&p, &out);
    let buckets = c.ingress().expect("an ingress host").buckets;
    for (_, vip) in p.vips.iter() {
        let pkt = Packet {
            src: match vip.address {
                IpAddr::V4(_) => "198.51.100.1".parse().unwrap(),
                IpAddr::V6(_) => "2001:db8:c::1".parse().unwrap(),
            },
            dst: vip.address,
            protocol: vip.protocol.protocol().number().unwrap(),
            src_port: 1500,
            dst_port: vip.port,
        };
        for bucket in 0..buckets {
            assert_eq!(compare(&p, pl, &c, &pkt, bucket), None, "bucket {bucket}");
        }
    }
}

#[test]
fn every_bucket_of_every_pool_agrees() {
    every_bucket_agrees(POLICY);
    every_bucket_agrees(&tofino_lab());
}

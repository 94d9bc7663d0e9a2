//! `ddsr explain`: what the compiled tables do with one client packet, step by step, and why
//! the ACL decided as it did, checked against the reference evaluator.
//!
//! The bucket is what the ingress program computes: CRC-32 (the IEEE polynomial, reflected, as
//! v1model's `HashAlgorithm.crc32`) over source address, destination address, protocol, source
//! port and destination port in network byte order, modulo the program's bucket count.

use std::fmt::Write;
use std::net::{IpAddr, SocketAddr};

use ddsr_policy::Policy;
use ddsr_policy::ir::{Protocol, Rule};

use crate::compile::Output;
use crate::plan::RuleRef;
use crate::reference::{self, Decider, Packet};
use crate::trace::{self, AclOutcome, Compiled, Walk};

/// Why a `--packet` text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PacketError {
    #[error("expected `PROTO SRC:PORT -> DST:PORT` (IPv6 as `[ADDR]:PORT`), found `{0}`")]
    Shape(String),
    #[error("expected a protocol `tcp` or `udp`, found `{0}`")]
    Protocol(String),
    #[error("expected an address and port such as `198.51.100.7:5555`, found `{0}`")]
    Endpoint(String),
    #[error("the source and destination are of different address families")]
    Families,
}

/// Parses `tcp 198.51.100.7:5555 -> 203.0.113.10:443`.
pub fn parse_packet(text: &str) -> Result<Packet, PacketError> {
    let shape = || PacketError::Shape(text.to_string());
    let (proto, rest) = text
        .trim()
        .split_once(char::is_whitespace)
        .ok_or_else(shape)?;
    let protocol = match proto {
        "tcp" => 6,
        "udp" => 17,
        other => return Err(PacketError::Protocol(other.to_string())),
    };
    let (src, dst) = rest.split_once("->").ok_or_else(shape)?;
    let ep = |s: &str| {
        s.trim()
            .parse::<SocketAddr>()
            .map_err(|_| PacketError::Endpoint(s.trim().to_string()))
    };
    let (src, dst) = (ep(src)?, ep(dst)?);
    if src.is_ipv4() != dst.is_ipv4() {
        return Err(PacketError::Families);
    }
    Ok(Packet {
        src: src.ip(),
        dst: dst.ip(),
        protocol,
        src_port: src.port(),
        dst_port: dst.port(),
    })
}

/// CRC-32 (IEEE 802.3, reflected, initial value and final XOR all ones).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The ingress program's bucket for `p`.
pub fn bucket(p: &Packet, buckets: u32) -> u32 {
    let mut b = Vec::with_capacity(37);
    for a in [p.src, p.dst] {
        match a {
            IpAddr::V4(a) => b.extend(a.octets()),
            IpAddr::V6(a) => b.extend(a.octets()),
        }
    }
    b.push(p.protocol);
    b.extend(p.src_port.to_be_bytes());
    b.extend(p.dst_port.to_be_bytes());
    crc32(&b) % buckets.max(1)
}

fn endpoint(a: IpAddr, port: u16) -> String {
    SocketAddr::new(a, port).to_string()
}

fn rule_text(r: &Rule) -> String {
    let mut parts = Vec::new();
    if !r.src.is_empty() {
        let s: Vec<String> = r.src.iter().map(ToString::to_string).collect();
        parts.push(format!("src in [{}]", s.join(", ")));
    }
    if r.protocol != Protocol::Any {
        parts.push(format!("protocol {}", r.protocol.as_str()));
    }
    if !r.src_ports.is_empty() {
        let s: Vec<String> = r.src_ports.iter().map(ToString::to_string).collect();
        parts.push(format!("src port in [{}]", s.join(", ")));
    }
    if !r.dst_ports.is_empty() {
        let s: Vec<String> = r.dst_ports.iter().map(ToString::to_string).collect();
        parts.push(format!("VIP port in [{}]", s.join(", ")));
    }
    if parts.is_empty() {
        "matches every packet".into()
    } else {
        format!("matches {}", parts.join(", "))
    }
}

fn rule_ref_text(policy: &Policy, r: Option<RuleRef>) -> String {
    match r {
        Some(RuleRef::Rule { acl, rule }) => {
            let a = &policy.acls[acl];
            format!(
                "rule `{}` of ACL `{}`: {}",
                a.rules[rule].name,
                a.name,
                rule_text(&a.rules[rule])
            )
        }
        Some(RuleRef::Default(acl)) => format!(
            "no rule of ACL `{}` matches: its default applies",
            policy.acls[acl].name
        ),
        Some(RuleRef::Open) => "the VIP has no ACL: every client is admitted".into(),
        None => "unknown rule id".into(),
    }
}

/// How many consistent-hash buckets the first ingress host's tables hold (what `--bucket` may
/// name: `0..count`); `None` when the policy has no ingress host.
pub fn bucket_count(policy: &Policy, out: &Output) -> Option<u32> {
    Compiled::new(policy, out).ingress().map(|h| h.buckets)
}

/// The explanation of `p`, with `bucket` overriding the hash when given.
pub fn explain(policy: &Policy, out: &Output, p: &Packet, bucket_override: Option<u32>) -> String {
    let mut s = String::new();
    let proto = if p.protocol == 6 { "tcp" } else { "udp" };
    let _ = writeln!(
        s,
        "packet: {proto} {} -> {}",
        endpoint(p.src, p.src_port),
        endpoint(p.dst, p.dst_port)
    );
    let compiled = Compiled::new(policy, out);
    let Some(ingress) = compiled.ingress() else {
        let _ = writeln!(s, "the policy has no ingress host");
        return s;
    };
    let b = bucket_override.unwrap_or_else(|| bucket(p, ingress.buckets));
    let reference = reference::evaluate(policy, &out.plan.maglev, p, b);
    let walk = trace::walk(&compiled, p, b);
    let family = if p.dst.is_ipv4() { "v4" } else { "v6" };
    let mut agrees = true;
    match &walk {
        Walk::NotVip => {
            let _ = writeln!(
                s,
                "ingress `{}`: vip_{family} misses: no VIP has this address, protocol and port; \
                 the packet is routed unchanged",
                ingress.name
            );
            agrees &= reference.is_none();
        }
        Walk::Vip(w) => {
            let vip = &policy.vips.iter().nth(w.vip_id as usize);
            let (vname, pname) = match vip {
                Some((_, v)) => (v.name.as_str(), policy.pools[v.pool].name.as_str()),
                None => ("?", "?"),
            };
            let _ = writeln!(
                s,
                "ingress `{}`: vip_{family} hit: VIP `{vname}` (vip_id {}), pool `{pname}` \
                 (pool_id {}), service port {}",
                ingress.name, w.vip_id, w.pool_id, w.service_port
            );
            let how = if bucket_override.is_some() {
                "given with --bucket".to_string()
            } else {
                format!("CRC-32 of the 5-tuple mod {}", ingress.buckets)
            };
            let _ = writeln!(s, "  bucket {} ({how})", w.bucket);
            match &w.backend {
                None => {
                    let _ = writeln!(s, "  backends_{family} misses: the packet is dropped");
                    agrees = false;
                }
                Some(bk) => {
                    let host = bk.host.as_deref().unwrap_or("?");
                    let _ = writeln!(
                        s,
                        "  backends_{family} hit: server `{host}` at {} (backend_id {}); \
                         the packet leaves as {proto} {} -> {}",
                        bk.addr,
                        bk.backend_id,
                        endpoint(p.src, p.src_port),
                        endpoint(bk.addr, w.service_port)
                    );
                    if let Some((_, a, port)) = bk.service {
                        let _ = writeln!(
                            s,
                            "server `{host}`: services_{family} hit: delivered to the app as \
                             {} -> {}",
                            endpoint(p.src, p.src_port),
                            endpoint(a, port)
                        );
                    }
                    let rule_of = |id: u32| out.plan.ids.rules.get(id as usize).copied();
                    let (verdict, why) = match bk.acl {
                        Some(AclOutcome::Allow { rule_id, priority }) => (
                            format!("allow (rule_id {rule_id}, priority {priority})"),
                            rule_ref_text(policy, rule_of(rule_id)),
                        ),
                        Some(AclOutcome::Deny { rule_id, priority }) => (
                            format!("deny, dropped (rule_id {rule_id}, priority {priority})"),
                            rule_ref_text(policy, rule_of(rule_id)),
                        ),
                        Some(AclOutcome::Miss) => (
                            "deny, dropped (no entry matches: acl_miss)".into(),
                            match reference.map(|r| r.decider) {
                                Some(Decider::Default(acl)) => format!(
                                    "no rule of ACL `{}` matches and its default is deny",
                                    policy.acls[acl].name
                                ),
                                _ => "no rule matches".into(),
                            },
                        ),
                        None => ("not reached".into(), String::new()),
                    };
                    let _ = writeln!(s, "  acl_{family}: {verdict}");
                    if !why.is_empty() {
                        let _ = writeln!(s, "  why: {why}");
                    }
                    if let (Some((ea, sp)), Some((va, vp))) = (bk.response, bk.restored) {
                        let _ = writeln!(
                            s,
                            "response: the server sends {} -> {}; the egress host sends {} -> {}",
                            endpoint(p.src, p.src_port),
                            endpoint(ea, sp),
                            endpoint(va, vp),
                            endpoint(p.src, p.src_port)
                        );
                    }
                    if let Some(r) = reference {
                        agrees &= bk.host.as_deref() == Some(policy.hosts[r.backend].name.as_str());
                        let allowed = matches!(bk.acl, Some(AclOutcome::Allow { .. }));
                        agrees &= allowed == r.allowed && w.vip_id as usize == r.vip.index();
                    } else {
                        agrees = false;
                    }
                }
            }
        }
    }
    let _ = writeln!(
        s,
        "reference evaluator: {}",
        if agrees { "agrees" } else { "DISAGREES" }
    );
    s
}

//! The reference evaluator: what a policy *means* for one client packet, computed from the policy
//! IR alone, with none of the compiler's tables, lowering or ids.
//!
//! Meaning: a packet addresses a VIP when its destination address, protocol and destination port
//! are the VIP's. The VIP's ACL is read top to bottom and the first rule whose every given field
//! matches decides (source prefixes, protocol, source ports, and destination ports against the
//! VIP's port); no match gives the ACL's default; a VIP without ACL admits everyone. The backend
//! is the owner of the packet's bucket in the pool's Maglev table, a bucket beyond the table's
//! size wrapping around (`bucket % size`), which is how a pool with a smaller table than the
//! program's bucket count is spread.
//!
//! The property tests compare this with the compiled entries looked up by the shared table
//! model's linear-scan lookup.

use std::net::IpAddr;

use ddsr_policy::Policy;
use ddsr_policy::arena::Handle;
use ddsr_policy::ir::{Acl, Action, Host, Protocol, Vip};

use crate::passes::maglev;

/// The fields of a client packet that the policy looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// IP protocol number.
    pub protocol: u8,
    pub src_port: u16,
    pub dst_port: u16,
}

/// Which part of the ACL decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decider {
    /// Rule index in the ACL.
    Rule { acl: Handle<Acl>, rule: usize },
    /// No rule matched: the ACL's default.
    Default(Handle<Acl>),
    /// The VIP has no ACL.
    Open,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub vip: Handle<Vip>,
    pub decider: Decider,
    pub allowed: bool,
    /// The server the packet goes to (chosen before the server's ACL check).
    pub backend: Handle<Host>,
}

/// The VIP `p` addresses, if any.
pub fn vip_of(policy: &Policy, p: &Packet) -> Option<Handle<Vip>> {
    policy
        .vips
        .iter()
        .find(|(_, v)| {
            v.address == p.dst
                && v.protocol.protocol().number() == Some(p.protocol)
                && v.port == p.dst_port
        })
        .map(|(h, _)| h)
}

fn prefix_contains(prefix: ddsr_policy::ir::Prefix, a: IpAddr) -> bool {
    let (net, addr, bits) = match (prefix.addr, a) {
        (IpAddr::V4(n), IpAddr::V4(a)) => (u128::from(u32::from(n)), u128::from(u32::from(a)), 32),
        (IpAddr::V6(n), IpAddr::V6(a)) => (u128::from(n), u128::from(a), 128),
        _ => return false,
    };
    let host_bits = bits - u32::from(prefix.len);
    if host_bits >= 128 {
        return true;
    }
    (net >> host_bits) == (addr >> host_bits)
}

/// First-match decision of `vip`'s ACL for `p`.
pub fn decide(policy: &Policy, vip: &Vip, p: &Packet) -> (Decider, bool) {
    let Some(a) = vip.acl else {
        return (Decider::Open, true);
    };
    let acl = &policy.acls[a];
    for (i, r) in acl.rules.iter().enumerate() {
        let src = r.src.is_empty() || r.src.iter().any(|x| prefix_contains(*x, p.src));
        let proto = r.protocol == Protocol::Any || r.protocol.number() == Some(p.protocol);
        let sport = r.src_ports.is_empty()
            || r.src_ports
                .iter()
                .any(|x| x.lo <= p.src_port && p.src_port <= x.hi);
        let dport = r.dst_ports.is_empty()
            || r.dst_ports
                .iter()
                .any(|x| x.lo <= p.dst_port && p.dst_port <= x.hi);
        if src && proto && sport && dport {
            return (Decider::Rule { acl: a, rule: i }, r.action == Action::Allow);
        }
    }
    (Decider::Default(a), acl.default == Action::Allow)
}

/// The reference answer for `p` whose 5-tuple hashes to `bucket`; `None` when `p` addresses no
/// VIP. `tables` holds each pool's Maglev table, by pool index.
pub fn evaluate(
    policy: &Policy,
    tables: &[maglev::Table],
    p: &Packet,
    bucket: u32,
) -> Option<Answer> {
    let v = vip_of(policy, p)?;
    let vip = &policy.vips[v];
    let (decider, allowed) = decide(policy, vip, p);
    let t = &tables[vip.pool.index()];
    let owner = &t.backend_of(bucket % t.size())?.name;
    let backend = policy.pools[vip.pool]
        .backends
        .iter()
        .map(|b| b.host)
        .find(|h| policy.hosts[*h].name == *owner)?;
    Some(Answer {
        vip: v,
        decider,
        allowed,
        backend,
    })
}

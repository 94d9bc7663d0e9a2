//! Checks across items, run on the items that lowered cleanly: uniqueness of addresses,
//! service ports and VIPs, the address family of every path a VIP's traffic takes, the roles a
//! VIP needs, and pools or ACLs no VIP uses.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::arena::Handle;
use crate::error::Error;
use crate::ir::{Family, Host, Policy, Role, Transport, Vip};
use crate::lower::Facts;

pub fn check(p: &Policy, facts: &Facts<'_>, errors: &mut Vec<Error>) {
    host_addresses(p, errors);
    vips(p, errors);
    families(p, errors);
    if let Some(span) = facts.vips_key
        && facts.hosts_complete
    {
        for role in [Role::Ingress, Role::Egress] {
            if !facts.roles.contains(&role) {
                errors.push(Error::MissingRole {
                    span,
                    role: role.as_str(),
                });
            }
        }
    }
    for (h, pool) in p.pools.iter() {
        if !facts.used_pools.contains(pool.name.as_str()) {
            errors.push(Error::Unreferenced {
                span: p.pools.span(h),
                kind: "pool",
                name: pool.name.clone(),
            });
        }
    }
    for (h, acl) in p.acls.iter() {
        if !facts.used_acls.contains(acl.name.as_str()) {
            errors.push(Error::Unreferenced {
                span: p.acls.span(h),
                kind: "ACL",
                name: acl.name.clone(),
            });
        }
    }
}

fn host_addresses(p: &Policy, errors: &mut Vec<Error>) {
    let mut seen: HashMap<IpAddr, Handle<Host>> = HashMap::with_capacity(p.hosts.len());
    for (h, host) in p.hosts.iter() {
        let addrs = [
            (host.ipv4.map(IpAddr::V4), host.spans.ipv4),
            (host.ipv6.map(IpAddr::V6), host.spans.ipv6),
        ];
        for (addr, span) in addrs {
            let (Some(addr), Some(span)) = (addr, span) else {
                continue;
            };
            match seen.get(&addr) {
                Some(&first) => {
                    let other = &p.hosts[first];
                    let first_span = match addr {
                        IpAddr::V4(_) => other.spans.ipv4,
                        IpAddr::V6(_) => other.spans.ipv6,
                    };
                    errors.push(Error::DuplicateHostAddress {
                        span,
                        first: first_span.unwrap_or(span),
                        addr,
                        other: other.name.clone(),
                    });
                }
                None => {
                    seen.insert(addr, h);
                }
            }
        }
    }
}

fn vips(p: &Policy, errors: &mut Vec<Error>) {
    let mut by_service: HashMap<u16, Handle<Vip>> = HashMap::with_capacity(p.vips.len());
    let mut by_triple: HashMap<(IpAddr, Transport, u16), Handle<Vip>> =
        HashMap::with_capacity(p.vips.len());
    for (h, vip) in p.vips.iter() {
        if let Some(&first) = by_triple.get(&(vip.address, vip.protocol, vip.port)) {
            let other = &p.vips[first];
            errors.push(Error::DuplicateVip {
                span: p.vips.span(h),
                first: p.vips.span(first),
                address: vip.address,
                protocol: vip.protocol.as_str(),
                port: vip.port,
                other: other.name.clone(),
            });
        } else {
            by_triple.insert((vip.address, vip.protocol, vip.port), h);
        }
        if let Some(&first) = by_service.get(&vip.service_port) {
            let other = &p.vips[first];
            errors.push(Error::DuplicateServicePort {
                span: vip.spans.service_port,
                first: other.spans.service_port,
                port: vip.service_port,
                other: other.name.clone(),
            });
        } else {
            by_service.insert(vip.service_port, h);
        }
    }
}

/// DSR keeps the client's address in the packet from ingress to server and from server to
/// egress, so every host on the path needs an address of the VIP's family.
fn families(p: &Policy, errors: &mut Vec<Error>) {
    let has = |role: Role, family: Family| {
        p.hosts_with_role(role)
            .any(|h| p.hosts[h].address(family).is_some())
    };
    for (_, vip) in p.vips.iter() {
        let family = Family::of(vip.address);
        let mut report = |other, other_label: String, why: String| {
            errors.push(Error::FamilyMismatch {
                span: vip.spans.address,
                other,
                other_label,
                family: family.name(),
                vip: vip.name.clone(),
                why,
            });
        };
        for b in &p.pools[vip.pool].backends {
            let host = &p.hosts[b.host];
            if host.address(family).is_none() {
                report(
                    Some(b.span),
                    format!("backend `{}` has no {} address", host.name, family.name()),
                    format!(
                        "backend host `{}` has no {} address",
                        host.name,
                        family.name()
                    ),
                );
            }
        }
        for role in [Role::Ingress, Role::Egress] {
            if p.hosts_with_role(role).next().is_some() && !has(role, family) {
                report(
                    None,
                    String::new(),
                    format!("no {} host has an {} address", role.as_str(), family.name()),
                );
            }
        }
    }
}

//! The compiled tables' answer for one client packet: the packet is walked through the resolved
//! entries of the ingress host, the chosen server and the egress host, each table looked up
//! with the shared table model's reference lookup ([`ddsr_pipeline::lookup`]), exactly as the
//! role programs apply them. `ddsr explain` prints this walk; the property tests compare it
//! with [`crate::reference`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use ddsr_pipeline::lookup::lookup_values;
use ddsr_pipeline::value::from_bytes;
use ddsr_pipeline::{EntryAction, Pipeline, TableEntry};
use ddsr_policy::Policy;
use ddsr_policy::ir::{Family, Role};

use crate::compile::Output;
use crate::plan::addr_value;
use crate::reference::Packet;

/// One host's program with its entries resolved and grouped by table.
#[derive(Debug, Clone)]
pub struct Host {
    pub name: String,
    pub role: Role,
    /// Buckets per pool of an ingress host's program (0 for other roles): the bucket a packet
    /// hashes to is below it.
    pub buckets: u32,
    pub pipeline: Arc<Pipeline>,
    /// Entries per table handle index, in plan order.
    pub tables: Vec<Vec<TableEntry>>,
}

impl Host {
    fn apply(&self, table: &str, key: &[u128]) -> Option<Hit<'_>> {
        let t = self.pipeline.table_by_name(table)?;
        let e = lookup_values(&self.pipeline.tables[t], &self.tables[t.index()], key)?;
        let EntryAction::Action(call) = &e.action else {
            return None;
        };
        Some(Hit {
            action: &self.pipeline.actions[call.action].name,
            args: call.args.iter().map(|a| from_bytes(a)).collect(),
            priority: e.priority,
        })
    }
}

/// A table hit: the action's name and its arguments as integers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit<'a> {
    pub action: &'a str,
    pub args: Vec<u128>,
    pub priority: i32,
}

/// Every host of a plan, resolved.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub hosts: Vec<Host>,
    /// (family, address) -> host index, for following a rewrite to the next host.
    by_addr: HashMap<IpAddr, usize>,
}

impl Compiled {
    /// Every host's resolved entries (against its lowered program), grouped by table.
    pub fn new(policy: &Policy, out: &Output) -> Compiled {
        let mut hosts = Vec::new();
        let mut by_addr = HashMap::new();
        for (i, host) in out.hosts.iter().enumerate() {
            let hp = &host.plan;
            let pipeline = host.pipeline.clone();
            let mut tables = vec![Vec::new(); pipeline.tables.len()];
            for e in &host.entries {
                tables[e.table.index()].push(e.clone());
            }
            let h = &policy.hosts[hp.host];
            for a in [h.ipv4.map(IpAddr::V4), h.ipv6.map(IpAddr::V6)]
                .into_iter()
                .flatten()
            {
                by_addr.insert(a, i);
            }
            hosts.push(Host {
                name: hp.name.clone(),
                role: hp.role,
                buckets: hp.buckets,
                pipeline,
                tables,
            });
        }
        Compiled { hosts, by_addr }
    }

    pub fn host_at(&self, addr: IpAddr) -> Option<&Host> {
        self.by_addr.get(&addr).map(|&i| &self.hosts[i])
    }

    /// The first ingress host.
    pub fn ingress(&self) -> Option<&Host> {
        self.hosts.iter().find(|h| h.role == Role::Ingress)
    }
}

/// How the ACL of the server decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclOutcome {
    Allow {
        rule_id: u32,
        priority: i32,
    },
    Deny {
        rule_id: u32,
        priority: i32,
    },
    /// No entry matched: the table's `acl_miss` default drops.
    Miss,
}

/// What the compiled tables do with a packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Walk {
    /// The ingress `vip` table missed: forwarded unchanged.
    NotVip,
    Vip(Box<VipWalk>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VipWalk {
    pub vip_id: u32,
    pub pool_id: u32,
    pub service_port: u16,
    pub bucket: u32,
    /// `None`: the pool's bucket entry is missing, the ingress drops.
    pub backend: Option<Backend>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    pub backend_id: u32,
    pub addr: IpAddr,
    /// Name of the host with that address, if the policy has one.
    pub host: Option<String>,
    /// The server's `services` hit: (vip_id, VIP address, VIP port) restored for the app.
    pub service: Option<(u32, IpAddr, u16)>,
    pub acl: Option<AclOutcome>,
    /// The response's way back: (egress address, service port) from the server's `responses`
    /// table, then what the egress host restores as source (VIP address, VIP port).
    pub response: Option<(IpAddr, u16)>,
    pub restored: Option<(IpAddr, u16)>,
}

fn family(a: IpAddr) -> Family {
    Family::of(a)
}

fn addr_from(v: u128, f: Family) -> IpAddr {
    match f {
        Family::V4 => IpAddr::V4((v as u32).into()),
        Family::V6 => IpAddr::V6(v.into()),
    }
}

fn sfx(f: Family) -> &'static str {
    match f {
        Family::V4 => "v4",
        Family::V6 => "v6",
    }
}

/// Walks `p` (whose 5-tuple hashes to `bucket`) through the compiled tables, starting at the
/// first ingress host.
pub fn walk(c: &Compiled, p: &Packet, bucket: u32) -> Walk {
    let Some(ingress) = c.ingress() else {
        return Walk::NotVip;
    };
    let f = family(p.dst);
    let s = sfx(f);
    let proto = u128::from(p.protocol);
    let Some(hit) = ingress.apply(
        &format!("vip_{s}"),
        &[addr_value(p.dst), proto, u128::from(p.dst_port)],
    ) else {
        return Walk::NotVip;
    };
    let (vip_id, pool_id, service_port) = (hit.args[0], hit.args[1], hit.args[2] as u16);
    let backend = ingress
        .apply(&format!("backends_{s}"), &[pool_id, u128::from(bucket)])
        .map(|b| {
            let addr = addr_from(b.args[1], f);
            let server = c.host_at(addr).filter(|h| h.role == Role::Server);
            let mut out = Backend {
                backend_id: b.args[0] as u32,
                addr,
                host: server.map(|h| h.name.clone()),
                service: None,
                acl: None,
                response: None,
                restored: None,
            };
            if let Some(server) = server {
                server_side(c, server, p, f, addr, service_port, &mut out);
            }
            out
        });
    Walk::Vip(Box::new(VipWalk {
        vip_id: vip_id as u32,
        pool_id: pool_id as u32,
        service_port,
        bucket,
        backend,
    }))
}

fn server_side(
    c: &Compiled,
    server: &Host,
    p: &Packet,
    f: Family,
    addr: IpAddr,
    service_port: u16,
    out: &mut Backend,
) {
    let s = sfx(f);
    let proto = u128::from(p.protocol);
    let Some(svc) = server.apply(
        &format!("services_{s}"),
        &[addr_value(addr), proto, u128::from(service_port)],
    ) else {
        return;
    };
    let vip_addr = addr_from(svc.args[1], f);
    let vip_port = svc.args[2] as u16;
    out.service = Some((svc.args[0] as u32, vip_addr, vip_port));
    out.acl = Some(
        match server.apply(
            &format!("acl_{s}"),
            &[svc.args[0], addr_value(p.src), u128::from(p.src_port)],
        ) {
            Some(h) if h.action == "acl_allow" => AclOutcome::Allow {
                rule_id: h.args[0] as u32,
                priority: h.priority,
            },
            Some(h) => AclOutcome::Deny {
                rule_id: h.args[0] as u32,
                priority: h.priority,
            },
            None => AclOutcome::Miss,
        },
    );
    // The application answers from the VIP; the server's response table sends it on.
    let Some(resp) = server.apply(
        &format!("responses_{s}"),
        &[addr_value(vip_addr), proto, u128::from(vip_port)],
    ) else {
        return;
    };
    let egress_addr = addr_from(resp.args[1], f);
    let sp = resp.args[2] as u16;
    out.response = Some((egress_addr, sp));
    let Some(egress) = c.host_at(egress_addr).filter(|h| h.role == Role::Egress) else {
        return;
    };
    if let Some(back) = egress.apply(
        &format!("services_{s}"),
        &[addr_value(egress_addr), proto, u128::from(sp)],
    ) {
        out.restored = Some((addr_from(back.args[1], f), back.args[2] as u16));
    }
}

//! Spanned YAML tree -> policy IR.
//!
//! Each section is read field by field; a problem is recorded and the item skipped, so one run
//! reports every problem. Items that failed keep their names in the name tables (marked as
//! unusable) so that references to them do not cause a second, misleading "unknown" error.
//! Cross-item checks run afterwards in [`crate::valid`] on the items that lowered cleanly.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use ddsr_diag::{FileId, Span, suggest};

use crate::arena::{Arena, Handle};
use crate::error::Error;
use crate::front::node::{Node, Value};
use crate::ir::{
    Acl, Action, Backend, Hashing, Host, HostSpans, Mac, Policy, Pool, PortRange, Prefix, Protocol,
    Role, Route, Rule, Target, Transport, Vip, VipSpans,
};
use crate::net::{self, AddrError};

/// Maglev table size when a pool gives none: prime, and 100 x the backends of pools up to 655.
pub const DEFAULT_TABLE_SIZE: u32 = 65537;
/// Largest Maglev table accepted: 2^24 entries is already beyond what switch SRAM holds.
pub const MAX_TABLE_SIZE: u32 = 1 << 24;
/// Largest switch port number; v1model ports are 9 bits and BMv2 reserves 511 for drop.
pub const MAX_SWITCH_PORT: u16 = 510;
/// Switch port used for destinations no route covers, when a host gives no `default_port`.
pub const DEFAULT_SWITCH_PORT: u16 = 1;

/// Keys allowed in each kind of mapping, mirrored by `policies/schema.json` (tests/schema.rs
/// keeps the two equal).
pub const ROOT_FIELDS: &[&str] = &["version", "hosts", "pools", "acls", "vips"];
pub const HOST_FIELDS: &[&str] = &[
    "role",
    "address",
    "address6",
    "target",
    "mac",
    "default_port",
    "routes",
];
pub const ROUTE_FIELDS: &[&str] = &["prefix", "port", "next_hop_mac"];
pub const POOL_FIELDS: &[&str] = &["hashing", "backends"];
pub const HASHING_FIELDS: &[&str] = &["algorithm", "table_size"];
pub const BACKEND_FIELDS: &[&str] = &["host", "weight"];
pub const ACL_FIELDS: &[&str] = &["default", "rules"];
pub const RULE_FIELDS: &[&str] = &[
    "name",
    "action",
    "src",
    "protocol",
    "src_ports",
    "dst_ports",
];
pub const VIP_FIELDS: &[&str] = &["address", "protocol", "port", "pool", "acl", "service_port"];

const ROLES: &[(&str, Role)] = &[
    ("ingress", Role::Ingress),
    ("egress", Role::Egress),
    ("server", Role::Server),
];
const TARGETS: &[(&str, Target)] = &[
    ("softswitch", Target::Softswitch),
    ("bmv2", Target::Bmv2),
    ("tofino", Target::Tofino),
];
const ACTIONS: &[(&str, Action)] = &[("allow", Action::Allow), ("deny", Action::Deny)];
const PROTOCOLS: &[(&str, Protocol)] = &[
    ("any", Protocol::Any),
    ("tcp", Protocol::Tcp),
    ("udp", Protocol::Udp),
    ("icmp", Protocol::Icmp),
    ("icmpv6", Protocol::Icmpv6),
];
const TRANSPORTS: &[(&str, Transport)] = &[("tcp", Transport::Tcp), ("udp", Transport::Udp)];
const ALGORITHMS: &[(&str, ())] = &[("maglev", ())];

/// What lowering learned beyond the IR, for the checks that follow it.
pub struct Facts<'n> {
    /// Span of the `vips` key when at least one VIP is defined (lowered or not).
    pub vips_key: Option<Span>,
    /// Roles of every host whose role could be read, whether or not the host lowered cleanly.
    pub roles: HashSet<Role>,
    /// Pools and ACLs named by some VIP, even by a VIP that failed to lower.
    pub used_pools: HashSet<&'n str>,
    pub used_acls: HashSet<&'n str>,
    /// Whether every item lowered; cross-item checks that need all items (such as the
    /// presence of roles) only speak when their inputs are known.
    pub hosts_complete: bool,
}

/// Lowers the tree, recording problems in `errors`. The returned policy holds only the items
/// that lowered cleanly; it is valid only when no error was recorded anywhere.
pub fn lower<'n>(root: &'n Node, file: FileId, errors: &mut Vec<Error>) -> (Policy, Facts<'n>) {
    let mut cx = Lower {
        errors,
        hosts: Names::default(),
        pools: Names::default(),
        acls: Names::default(),
    };
    let mut policy = Policy {
        file,
        version: 1,
        hosts: Arena::new(),
        pools: Arena::new(),
        acls: Arena::new(),
        vips: Arena::new(),
    };
    let mut facts = Facts {
        vips_key: None,
        roles: HashSet::new(),
        used_pools: HashSet::new(),
        used_acls: HashSet::new(),
        hosts_complete: true,
    };
    let Some(f) = cx.fields(root, "the policy", ROOT_FIELDS) else {
        return (policy, facts);
    };
    let top = Span::new(0, 0);
    if let Some(v) = cx.required(&f, "version", top, "the policy")
        && let Some(n) = cx.int(v, "an integer")
    {
        if n == 1 {
            policy.version = 1;
        } else {
            cx.errors.push(Error::Version {
                span: v.span,
                found: n.to_string(),
            });
        }
    }
    if let Some(section) = cx.required(&f, "hosts", top, "the policy") {
        for (name, key, node) in cx.section(section) {
            let before = cx.errors.len();
            let host = cx.host(name, node, key, &mut facts);
            let handle = host.map(|h| policy.hosts.append(h, key));
            facts.hosts_complete &= cx.errors.len() == before && handle.is_some();
            cx.hosts.define(name, handle);
        }
    }
    if let Some(section) = f.get("acls") {
        for (name, key, node) in cx.section(section) {
            let handle = cx.acl(name, node, key).map(|a| policy.acls.append(a, key));
            cx.acls.define(name, handle);
        }
    }
    if let Some(section) = f.get("pools") {
        for (name, key, node) in cx.section(section) {
            let handle = cx
                .pool(name, node, key, &policy.hosts)
                .map(|p| policy.pools.append(p, key));
            cx.pools.define(name, handle);
        }
    }
    if let Some(section) = f.get("vips") {
        let items = cx.section(section);
        if !items.is_empty() {
            facts.vips_key = f.key_span("vips");
        }
        for (name, key, node) in items {
            if let Some(v) = cx.vip(name, node, key, &mut facts) {
                policy.vips.append(v, key);
            }
        }
    }
    (policy, facts)
}

/// The names defined in one section; `None` marks an item that failed to lower.
struct Names<'n, T> {
    map: HashMap<&'n str, Option<Handle<T>>>,
    order: Vec<&'n str>,
}

impl<T> Default for Names<'_, T> {
    fn default() -> Self {
        Names {
            map: HashMap::new(),
            order: Vec::new(),
        }
    }
}

impl<'n, T> Names<'n, T> {
    fn define(&mut self, name: &'n str, handle: Option<Handle<T>>) {
        if self.map.insert(name, handle).is_none() {
            self.order.push(name);
        }
    }
}

/// A mapping whose keys were checked against the known fields.
struct Fields<'n> {
    entries: &'n [(Node, Node)],
}

impl<'n> Fields<'n> {
    /// The first entry of that name (later duplicates are reported by the front end).
    fn get(&self, name: &str) -> Option<&'n Node> {
        self.entry(name).map(|(_, v)| v)
    }

    fn key_span(&self, name: &str) -> Option<Span> {
        self.entry(name).map(|(k, _)| k.span)
    }

    fn entry(&self, name: &str) -> Option<&'n (Node, Node)> {
        self.entries.iter().find(|(k, _)| k.as_str() == Some(name))
    }
}

struct Lower<'e, 'n> {
    errors: &'e mut Vec<Error>,
    hosts: Names<'n, Host>,
    pools: Names<'n, Pool>,
    acls: Names<'n, Acl>,
}

impl<'n> Lower<'_, 'n> {
    fn wrong(&mut self, node: &Node, expected: &'static str) {
        self.errors.push(Error::WrongType {
            span: node.span,
            expected,
            found: node.value.kind(),
        });
    }

    /// Checks that `node` is a mapping with only known keys.
    fn fields(
        &mut self,
        node: &'n Node,
        context: &'static str,
        known: &'static [&'static str],
    ) -> Option<Fields<'n>> {
        let Value::Map(entries) = &node.value else {
            self.wrong(node, "a mapping");
            return None;
        };
        for (k, _) in entries {
            match k.as_str() {
                Some(s) if known.contains(&s) => {}
                Some(s) => self.errors.push(Error::UnknownField {
                    span: k.span,
                    field: s.to_owned(),
                    context,
                    suggestion: suggest(s, known.iter().copied()),
                    expected: known,
                }),
                None => self.wrong(k, "a field name"),
            }
        }
        Some(Fields { entries })
    }

    fn required(
        &mut self,
        f: &Fields<'n>,
        field: &'static str,
        at: Span,
        context: &'static str,
    ) -> Option<&'n Node> {
        let v = f.get(field);
        if v.is_none() {
            self.errors.push(Error::MissingField {
                span: at,
                field,
                context,
            });
        }
        v
    }

    /// `name: item` pairs of a section; a null section is empty.
    fn section(&mut self, node: &'n Node) -> Vec<(&'n str, Span, &'n Node)> {
        match &node.value {
            Value::Null => Vec::new(),
            Value::Map(entries) => {
                let mut seen = HashSet::with_capacity(entries.len());
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    match k.as_str() {
                        // Repeats were reported as duplicate keys; the first definition counts.
                        Some(s) if seen.insert(s) => out.push((s, k.span, v)),
                        Some(_) => {}
                        None => self.wrong(k, "a name"),
                    }
                }
                out
            }
            _ => {
                self.wrong(node, "a mapping of names to definitions");
                Vec::new()
            }
        }
    }

    fn string(&mut self, node: &'n Node, expected: &'static str) -> Option<&'n str> {
        let s = node.as_str();
        if s.is_none() {
            self.wrong(node, expected);
        }
        s
    }

    fn int(&mut self, node: &Node, expected: &'static str) -> Option<i128> {
        match node.value {
            Value::Int(i) => Some(i),
            _ => {
                self.wrong(node, expected);
                None
            }
        }
    }

    fn choice<T: Copy>(
        &mut self,
        node: &'n Node,
        what: &'static str,
        table: &'static [(&'static str, T)],
        names: &'static [&'static str],
    ) -> Option<T> {
        let s = self.string(node, "a string")?;
        match table.iter().find(|(n, _)| *n == s) {
            Some((_, t)) => Some(*t),
            None => {
                self.errors.push(Error::UnknownValue {
                    span: node.span,
                    what,
                    found: s.to_owned(),
                    expected: names,
                    suggestion: suggest(s, names.iter().copied()),
                });
                None
            }
        }
    }

    fn ranged(&mut self, node: &Node, what: &'static str, min: u32, max: u32) -> Option<u32> {
        let n = self.int(node, "an integer")?;
        if n < i128::from(min) || n > i128::from(max) {
            self.errors.push(Error::OutOfRange {
                span: node.span,
                what,
                min,
                max,
                found: n,
            });
            return None;
        }
        u32::try_from(n).ok()
    }

    fn l4_port(&mut self, node: &Node, what: &'static str) -> Option<u16> {
        self.ranged(node, what, 1, 65535)
            .and_then(|p| u16::try_from(p).ok())
    }

    fn switch_port(&mut self, node: &Node) -> Option<u16> {
        self.ranged(node, "a switch port", 0, u32::from(MAX_SWITCH_PORT))
            .and_then(|p| u16::try_from(p).ok())
    }

    fn address(&mut self, node: &'n Node) -> Option<IpAddr> {
        let text = self.string(node, "an IP address")?;
        match net::parse_ip(text) {
            Ok(a) => Some(a),
            Err(e) => {
                self.addr_error(node.span, e);
                None
            }
        }
    }

    fn addr_error(&mut self, span: Span, e: AddrError) {
        let err = match e {
            AddrError::LeadingZero(_) => Error::Address {
                span,
                reason: e.to_string(),
                help: Some(
                    "leading zeros are read as octal by some tools; write the octet without them"
                        .to_owned(),
                ),
            },
            AddrError::Invalid(_) => Error::Address {
                span,
                reason: e.to_string(),
                help: None,
            },
            AddrError::Length { .. } => Error::PrefixLength {
                span,
                reason: e.to_string(),
            },
            AddrError::HostBits { text, network } => Error::HostBits {
                span,
                text,
                network: network.to_string(),
            },
        };
        self.errors.push(err);
    }

    fn usable(&mut self, node: &Node, addr: IpAddr, what: &'static str) -> bool {
        match net::unusable(addr) {
            Some(why) => {
                self.errors.push(Error::UnusableAddress {
                    span: node.span,
                    what,
                    addr,
                    why,
                });
                false
            }
            None => true,
        }
    }

    fn prefix(&mut self, node: &'n Node) -> Option<Prefix> {
        let text = self.string(node, "an address prefix such as 192.0.2.0/24")?;
        match net::parse_prefix(text) {
            Ok(p) => Some(p),
            Err(e) => {
                self.addr_error(node.span, e);
                None
            }
        }
    }

    fn mac(&mut self, node: &'n Node) -> Option<Mac> {
        let text = self.string(node, "a MAC address")?;
        let mac = net::parse_mac(text);
        if mac.is_none() {
            self.errors.push(Error::Mac {
                span: node.span,
                text: text.to_owned(),
            });
        }
        mac
    }

    /// A port (`443`), a range (`"1024-65535"`), or a list of them.
    fn port_ranges(&mut self, node: &'n Node, field: &'static str) -> Option<Vec<PortRange>> {
        match &node.value {
            Value::Seq(items) => {
                if items.is_empty() {
                    self.errors.push(Error::EmptyList {
                        span: node.span,
                        field,
                    });
                    return None;
                }
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for item in items {
                    match self.port_range(item) {
                        Some(r) => out.push(r),
                        None => ok = false,
                    }
                }
                ok.then_some(out)
            }
            _ => self.port_range(node).map(|r| vec![r]),
        }
    }

    fn port_range(&mut self, node: &'n Node) -> Option<PortRange> {
        const EXPECTED: &str = "a port or a range such as \"1024-65535\"";
        let (lo, hi) = match &node.value {
            Value::Int(_) => {
                let p = self.acl_port(node, None)?;
                (p, p)
            }
            Value::Str(s) => {
                let (a, b) = s.split_once('-').unwrap_or((s, s));
                let lo = self.acl_port(node, Some(a.trim()));
                let hi = self.acl_port(node, Some(b.trim()));
                (lo?, hi?)
            }
            _ => {
                self.wrong(node, EXPECTED);
                return None;
            }
        };
        if lo > hi {
            self.errors.push(Error::InvertedRange {
                span: node.span,
                lo,
                hi,
            });
            return None;
        }
        Some(PortRange { lo, hi })
    }

    /// A port bound in an ACL; 0 is allowed so that `0-65535` can spell "any port".
    fn acl_port(&mut self, node: &Node, text: Option<&str>) -> Option<u16> {
        let n: i128 = match text {
            None => self.int(node, "a port")?,
            Some(t) => match t.parse::<u32>() {
                Ok(n) if t.len() == 1 || !t.starts_with('0') => n.into(),
                _ => {
                    self.wrong(node, "a port or a range such as \"1024-65535\"");
                    return None;
                }
            },
        };
        match u16::try_from(n) {
            Ok(p) => Some(p),
            Err(_) => {
                self.errors.push(Error::OutOfRange {
                    span: node.span,
                    what: "a port",
                    min: 0,
                    max: 65535,
                    found: n,
                });
                None
            }
        }
    }

    fn host(
        &mut self,
        name: &'n str,
        node: &'n Node,
        key: Span,
        facts: &mut Facts<'n>,
    ) -> Option<Host> {
        const CX: &str = "a host";
        let f = self.fields(node, CX, HOST_FIELDS)?;
        let role_node = self.required(&f, "role", key, CX);
        let role =
            role_node.and_then(|n| self.choice(n, "role", ROLES, &["ingress", "egress", "server"]));
        if let Some(r) = role {
            facts.roles.insert(r);
        }
        let mut spans = HostSpans::default();
        let mut ipv4 = None;
        let mut ipv6 = None;
        let mut ok = true;
        if let Some(n) = self.required(&f, "address", key, CX) {
            match self.address(n) {
                Some(a) if self.usable(n, a, "host address") => match a {
                    IpAddr::V4(a) => (ipv4, spans.ipv4) = (Some(a), Some(n.span)),
                    IpAddr::V6(a) => (ipv6, spans.ipv6) = (Some(a), Some(n.span)),
                },
                _ => ok = false,
            }
        }
        if let Some(n) = f.get("address6") {
            match self.address(n) {
                Some(IpAddr::V6(a)) if self.usable(n, IpAddr::V6(a), "host address") => {
                    if ipv6.is_some() {
                        self.errors.push(Error::Address {
                            span: n.span,
                            reason: "`address` is already IPv6, so `address6` has no place"
                                .to_owned(),
                            help: Some(
                                "put the IPv4 address in `address`, or remove `address6`"
                                    .to_owned(),
                            ),
                        });
                        ok = false;
                    } else {
                        (ipv6, spans.ipv6) = (Some(a), Some(n.span));
                    }
                }
                Some(IpAddr::V4(a)) => {
                    self.errors.push(Error::Address {
                        span: n.span,
                        reason: format!("expected an IPv6 address, found IPv4 address `{a}`"),
                        help: Some(
                            "`address6` holds the host's IPv6 address; IPv4 goes in `address`"
                                .to_owned(),
                        ),
                    });
                    ok = false;
                }
                _ => ok = false,
            }
        }
        let target = match f.get("target") {
            Some(n) => self.choice(n, "target", TARGETS, &["softswitch", "bmv2", "tofino"]),
            None => Some(Target::default()),
        };
        let mac = match f.get("mac") {
            Some(n) => self.mac(n).map(Some),
            None => Some(None),
        };
        let default_port = match f.get("default_port") {
            Some(n) => self.switch_port(n),
            None => Some(DEFAULT_SWITCH_PORT),
        };
        let routes = match f.get("routes") {
            Some(n) => self.routes(n),
            None => Some(Vec::new()),
        };
        if let Some(n) = role_node {
            spans.role = n.span;
        }
        Some(Host {
            name: name.to_owned(),
            role: role?,
            ipv4,
            ipv6,
            target: target?,
            mac: mac?,
            default_port: default_port?,
            routes: routes?,
            spans,
        })
        .filter(|h| ok && (h.ipv4.is_some() || h.ipv6.is_some()))
    }

    fn routes(&mut self, node: &'n Node) -> Option<Vec<Route>> {
        const CX: &str = "a route";
        let Value::Seq(items) = &node.value else {
            self.wrong(node, "a list of routes");
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            let Some(f) = self.fields(item, CX, ROUTE_FIELDS) else {
                ok = false;
                continue;
            };
            let prefix = self
                .required(&f, "prefix", item.span, CX)
                .and_then(|n| self.prefix(n));
            let port = self
                .required(&f, "port", item.span, CX)
                .and_then(|n| self.switch_port(n));
            let mac = self
                .required(&f, "next_hop_mac", item.span, CX)
                .and_then(|n| self.mac(n));
            match (prefix, port, mac) {
                (Some(prefix), Some(port), Some(next_hop_mac)) => out.push(Route {
                    prefix,
                    port,
                    next_hop_mac,
                    span: item.span,
                }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn acl(&mut self, name: &'n str, node: &'n Node, key: Span) -> Option<Acl> {
        const CX: &str = "an ACL";
        let f = self.fields(node, CX, ACL_FIELDS)?;
        let default = self
            .required(&f, "default", key, CX)
            .and_then(|n| self.choice(n, "action", ACTIONS, &["allow", "deny"]));
        let mut rules = Vec::new();
        let mut ok = true;
        match f.get("rules").map(|n| (n, &n.value)) {
            None | Some((_, Value::Null)) => {}
            Some((_, Value::Seq(items))) => {
                let mut names: HashMap<&str, Span> = HashMap::with_capacity(items.len());
                for item in items {
                    match self.rule(item) {
                        Some((rule, rule_name)) => {
                            if let Some(&first) = names.get(rule_name) {
                                self.errors.push(Error::DuplicateRule {
                                    span: rule.name_span,
                                    first,
                                    name: rule.name.clone(),
                                    acl: name.to_owned(),
                                });
                                ok = false;
                            } else {
                                names.insert(rule_name, rule.name_span);
                            }
                            rules.push(rule);
                        }
                        None => ok = false,
                    }
                }
            }
            Some((n, _)) => {
                self.wrong(n, "a list of rules");
                ok = false;
            }
        }
        let acl = Acl {
            name: name.to_owned(),
            default: default?,
            rules,
        };
        if ok {
            crate::shadow::check(&acl, self.errors);
        }
        ok.then_some(acl)
    }

    fn rule(&mut self, node: &'n Node) -> Option<(Rule, &'n str)> {
        const CX: &str = "an ACL rule";
        let f = self.fields(node, CX, RULE_FIELDS)?;
        let name_node = self.required(&f, "name", node.span, CX);
        let name = name_node.and_then(|n| self.string(n, "a rule name"));
        let action = self
            .required(&f, "action", node.span, CX)
            .and_then(|n| self.choice(n, "action", ACTIONS, &["allow", "deny"]));
        let src = match f.get("src") {
            None => Some(Vec::new()),
            Some(n) => match &n.value {
                Value::Seq(items) if items.is_empty() => {
                    self.errors.push(Error::EmptyList {
                        span: n.span,
                        field: "src",
                    });
                    None
                }
                Value::Seq(items) => {
                    let v: Vec<_> = items.iter().map(|i| self.prefix(i)).collect();
                    v.into_iter().collect::<Option<Vec<_>>>()
                }
                _ => self.prefix(n).map(|p| vec![p]),
            },
        };
        let protocol_node = f.get("protocol");
        let protocol = match protocol_node {
            None => Some(Protocol::Any),
            Some(n) => self.choice(
                n,
                "protocol",
                PROTOCOLS,
                &["any", "tcp", "udp", "icmp", "icmpv6"],
            ),
        };
        let mut ports = |field: &'static str| -> Option<Vec<PortRange>> {
            let Some(n) = f.get(field) else {
                return Some(Vec::new());
            };
            let ranges = self.port_ranges(n, field)?;
            if let Some(p) = protocol
                && !p.has_ports()
            {
                self.errors.push(Error::PortsWithoutPorts {
                    span: f.key_span(field).unwrap_or(n.span),
                    protocol_span: protocol_node.map(|n| n.span),
                    field,
                    protocol: p.as_str(),
                });
                return None;
            }
            Some(ranges)
        };
        let src_ports = ports("src_ports");
        let dst_ports = ports("dst_ports");
        let name = name?;
        Some((
            Rule {
                name: name.to_owned(),
                action: action?,
                src: src?,
                protocol: protocol?,
                src_ports: src_ports?,
                dst_ports: dst_ports?,
                span: node.span,
                name_span: name_node.map_or(node.span, |n| n.span),
            },
            name,
        ))
    }

    fn pool(
        &mut self,
        name: &'n str,
        node: &'n Node,
        key: Span,
        hosts: &Arena<Host>,
    ) -> Option<Pool> {
        const CX: &str = "a pool";
        let f = self.fields(node, CX, POOL_FIELDS)?;
        let mut table = Some((DEFAULT_TABLE_SIZE, None));
        if let Some(h) = f.get("hashing") {
            table = None;
            if let Some(hf) = self.fields(h, "hashing", HASHING_FIELDS) {
                let algo = self
                    .required(
                        &hf,
                        "algorithm",
                        f.key_span("hashing").unwrap_or(key),
                        "hashing",
                    )
                    .and_then(|n| self.choice(n, "hashing algorithm", ALGORITHMS, &["maglev"]));
                let size = match hf.get("table_size") {
                    None => Some((DEFAULT_TABLE_SIZE, None)),
                    Some(n) => self.table_size(n).map(|s| (s, Some(n.span))),
                };
                table = algo.and(size);
            }
        }
        let backends_node = self.required(&f, "backends", key, CX)?;
        let Value::Seq(items) = &backends_node.value else {
            self.wrong(backends_node, "a list of backends");
            return None;
        };
        let mut ok = true;
        let mut backends = Vec::with_capacity(items.len());
        let mut seen: HashMap<&str, Span> = HashMap::with_capacity(items.len());
        let mut any_weight = false;
        for item in items {
            let Some(bf) = self.fields(item, "a backend", BACKEND_FIELDS) else {
                ok = false;
                continue;
            };
            let host_node = self.required(&bf, "host", item.span, "a backend");
            let weight = match bf.get("weight") {
                None => Some(1),
                Some(n) => match self.int(n, "an integer") {
                    Some(w) if (0..=65535).contains(&w) => u16::try_from(w).ok(),
                    Some(w) => {
                        self.errors.push(Error::Weight {
                            span: n.span,
                            found: w,
                        });
                        None
                    }
                    None => None,
                },
            };
            // A weight that failed to read still counts, so no second error claims the pool
            // has no usable backend.
            any_weight |= weight != Some(0);
            let Some(host_node) = host_node else {
                ok = false;
                continue;
            };
            let Some(host_name) = self.string(host_node, "a host name") else {
                ok = false;
                continue;
            };
            if let Some(&first) = seen.get(host_name) {
                self.errors.push(Error::DuplicateBackend {
                    span: host_node.span,
                    first,
                    host: host_name.to_owned(),
                    pool: name.to_owned(),
                });
                ok = false;
                continue;
            }
            seen.insert(host_name, host_node.span);
            let host = match self.resolve_host(host_name, host_node.span) {
                Some(h) => h,
                None => {
                    ok = false;
                    continue;
                }
            };
            let h = &hosts[host];
            if h.role != Role::Server {
                self.errors.push(Error::NotServer {
                    span: host_node.span,
                    host: host_name.to_owned(),
                    role: h.role.as_str(),
                    role_span: h.spans.role,
                });
                ok = false;
                continue;
            }
            match weight {
                Some(weight) => backends.push(Backend {
                    host,
                    weight,
                    span: host_node.span,
                }),
                None => ok = false,
            }
        }
        if !any_weight {
            self.errors.push(Error::NoBackend {
                span: key,
                pool: name.to_owned(),
            });
            ok = false;
        }
        let (table_size, size_span) = table?;
        let listed = items.len();
        if let Some(span) = size_span
            && (table_size as usize) < listed
        {
            self.errors.push(Error::TableSize {
                span,
                size: table_size.into(),
                why: format!("smaller than the {listed} backends of the pool"),
                help: "Maglev gives every backend at least one slot; use a prime such as 65537"
                    .to_owned(),
            });
            ok = false;
        } else if let Some(span) = size_span
            && (table_size as usize) < 100 * listed
        {
            self.errors.push(Error::TableSizeSmall {
                span,
                size: table_size,
                backends: listed,
            });
        }
        ok.then(|| Pool {
            name: name.to_owned(),
            hashing: Hashing::Maglev { table_size },
            backends,
        })
    }

    fn table_size(&mut self, node: &Node) -> Option<u32> {
        let n = self.int(node, "an integer")?;
        let bad = |why: String, help: String| Error::TableSize {
            span: node.span,
            size: n,
            why,
            help,
        };
        if n < 2 || n > i128::from(MAX_TABLE_SIZE) {
            self.errors.push(bad(
                format!("outside 2..={MAX_TABLE_SIZE}"),
                "use a prime such as 65537".to_owned(),
            ));
            return None;
        }
        let n = u32::try_from(n).ok()?;
        if !is_prime(n) {
            let below = (2..n).rev().find(|&c| is_prime(c));
            let above = (n + 1..).find(|&c| is_prime(c));
            let help = match below {
                Some(b) => format!("the nearest primes are {b} and {}", above.unwrap_or(n)),
                None => format!("the nearest prime is {}", above.unwrap_or(n)),
            };
            self.errors.push(Error::TableSize {
                span: node.span,
                size: n.into(),
                why: "not prime".to_owned(),
                help: format!("Maglev needs a prime table size; {help}"),
            });
            return None;
        }
        Some(n)
    }

    fn resolve_host(&mut self, name: &str, span: Span) -> Option<Handle<Host>> {
        match self.hosts.map.get(name) {
            Some(h) => *h,
            None => {
                self.errors.push(Error::UnknownReference {
                    span,
                    kind: "host",
                    name: name.to_owned(),
                    suggestion: suggest(name, self.hosts.order.iter().copied()).map(str::to_owned),
                });
                None
            }
        }
    }

    fn vip(
        &mut self,
        name: &'n str,
        node: &'n Node,
        key: Span,
        facts: &mut Facts<'n>,
    ) -> Option<Vip> {
        const CX: &str = "a VIP";
        let f = self.fields(node, CX, VIP_FIELDS)?;
        let mut spans = VipSpans::default();
        let address_node = self.required(&f, "address", key, CX);
        let address = address_node.and_then(|n| {
            let a = self.address(n)?;
            self.usable(n, a, "VIP address").then_some(a)
        });
        let protocol = self
            .required(&f, "protocol", key, CX)
            .and_then(|n| self.choice(n, "VIP protocol", TRANSPORTS, &["tcp", "udp"]));
        let port = self.required(&f, "port", key, CX).and_then(|n| {
            spans.port = n.span;
            self.l4_port(n, "a port")
        });
        let service_port = self.required(&f, "service_port", key, CX).and_then(|n| {
            spans.service_port = n.span;
            self.l4_port(n, "a service_port")
        });
        let pool = self.required(&f, "pool", key, CX).and_then(|n| {
            spans.pool = n.span;
            let s = self.string(n, "a pool name")?;
            facts.used_pools.insert(s);
            match self.pools.map.get(s) {
                Some(h) => *h,
                None => {
                    self.errors.push(Error::UnknownReference {
                        span: n.span,
                        kind: "pool",
                        name: s.to_owned(),
                        suggestion: suggest(s, self.pools.order.iter().copied()).map(str::to_owned),
                    });
                    None
                }
            }
        });
        let acl = match f.get("acl") {
            None => Some(None),
            Some(n) => {
                spans.acl = Some(n.span);
                self.string(n, "an ACL name").and_then(|s| {
                    facts.used_acls.insert(s);
                    match self.acls.map.get(s) {
                        Some(h) => h.map(Some),
                        None => {
                            self.errors.push(Error::UnknownReference {
                                span: n.span,
                                kind: "ACL",
                                name: s.to_owned(),
                                suggestion: suggest(s, self.acls.order.iter().copied())
                                    .map(str::to_owned),
                            });
                            None
                        }
                    }
                })
            }
        };
        spans.address = address_node.map_or(key, |n| n.span);
        Some(Vip {
            name: name.to_owned(),
            address: address?,
            protocol: protocol?,
            port: port?,
            pool: pool?,
            acl: acl?,
            service_port: service_port?,
            spans,
        })
    }
}

/// Trial division; table sizes are at most 2^24, so at most 2^12 divisions.
pub fn is_prime(n: u32) -> bool {
    if n < 2 {
        return false;
    }
    if n.is_multiple_of(2) {
        return n == 2;
    }
    let mut d = 3u32;
    while d.saturating_mul(d) <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 2;
    }
    true
}

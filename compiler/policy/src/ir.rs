//! The validated policy: what the table compiler consumes.
//!
//! Every cross reference is a typed [`Handle`] into an arena of the same [`Policy`], resolved and
//! checked by the front end, so consumers index without checks. A `Policy` only exists when
//! lowering and validation reported no error; warnings may still have been reported.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ddsr_diag::{FileId, Span};

use crate::arena::{Arena, Handle};

#[derive(Debug)]
pub struct Policy {
    /// The file every span of this policy points into.
    pub file: FileId,
    pub version: u32,
    pub hosts: Arena<Host>,
    pub pools: Arena<Pool>,
    pub acls: Arena<Acl>,
    pub vips: Arena<Vip>,
}

impl Policy {
    pub fn host(&self, name: &str) -> Option<Handle<Host>> {
        self.hosts
            .iter()
            .find(|(_, h)| h.name == name)
            .map(|(h, _)| h)
    }

    pub fn pool(&self, name: &str) -> Option<Handle<Pool>> {
        self.pools
            .iter()
            .find(|(_, p)| p.name == name)
            .map(|(h, _)| h)
    }

    pub fn acl(&self, name: &str) -> Option<Handle<Acl>> {
        self.acls
            .iter()
            .find(|(_, a)| a.name == name)
            .map(|(h, _)| h)
    }

    pub fn vip(&self, name: &str) -> Option<Handle<Vip>> {
        self.vips
            .iter()
            .find(|(_, v)| v.name == name)
            .map(|(h, _)| h)
    }

    /// Hosts with the given role, in definition order.
    pub fn hosts_with_role(&self, role: Role) -> impl Iterator<Item = Handle<Host>> + '_ {
        self.hosts
            .iter()
            .filter(move |(_, h)| h.role == role)
            .map(|(h, _)| h)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Receives client packets for VIPs and sends them to a server chosen by consistent hashing.
    Ingress,
    /// Sends server responses to clients with the VIP as source.
    Egress,
    /// Runs the applications behind VIPs; its SmartNIC enforces the VIP's ACL.
    Server,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Ingress => "ingress",
            Role::Egress => "egress",
            Role::Server => "server",
        }
    }
}

/// The device a host's data plane runs on, which selects the back end that configures it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Target {
    #[default]
    Softswitch,
    Bmv2,
    Tofino,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mac(pub [u8; 6]);

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

#[derive(Debug, Clone)]
pub struct Host {
    pub name: String,
    pub role: Role,
    /// At least one of `ipv4` and `ipv6` is set.
    pub ipv4: Option<Ipv4Addr>,
    pub ipv6: Option<Ipv6Addr>,
    pub target: Target,
    pub mac: Option<Mac>,
    /// Switch port for destinations no route matches (1 unless given).
    pub default_port: u16,
    pub routes: Vec<Route>,
    pub spans: HostSpans,
}

impl Host {
    pub fn address(&self, family: Family) -> Option<IpAddr> {
        match family {
            Family::V4 => self.ipv4.map(IpAddr::V4),
            Family::V6 => self.ipv6.map(IpAddr::V6),
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct HostSpans {
    pub ipv4: Option<Span>,
    pub ipv6: Option<Span>,
    pub role: Span,
}

#[derive(Debug, Clone)]
pub struct Route {
    pub prefix: Prefix,
    pub port: u16,
    pub next_hop_mac: Mac,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn of(addr: IpAddr) -> Family {
        if addr.is_ipv4() {
            Family::V4
        } else {
            Family::V6
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }

    /// Address width in bits.
    pub fn bits(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }
}

/// An address prefix whose host bits are zero (checked when parsed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Prefix {
    pub addr: IpAddr,
    pub len: u8,
}

impl Prefix {
    pub fn family(self) -> Family {
        Family::of(self.addr)
    }

    /// The address as a left-aligned 128-bit number, so both families share one bit order.
    pub fn bits(self) -> u128 {
        match self.addr {
            IpAddr::V4(a) => u128::from(u32::from(a)) << 96,
            IpAddr::V6(a) => u128::from(a),
        }
    }

    /// The prefix covering every address of a family.
    pub fn any(family: Family) -> Prefix {
        match family {
            Family::V4 => Prefix {
                addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                len: 0,
            },
            Family::V6 => Prefix {
                addr: IpAddr::V6(Ipv6Addr::UNSPECIFIED),
                len: 0,
            },
        }
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hashing {
    /// Maglev consistent hashing (Eisenbud et al., NSDI 2016) with a prime lookup-table size.
    Maglev { table_size: u32 },
}

#[derive(Debug, Clone)]
pub struct Pool {
    pub name: String,
    pub hashing: Hashing,
    /// Distinct hosts, all of role server; at least one has a weight above zero.
    pub backends: Vec<Backend>,
}

#[derive(Debug, Clone, Copy)]
pub struct Backend {
    pub host: Handle<Host>,
    /// Relative share of new flows; 0 drains the backend (kept in the pool, given no flows).
    pub weight: u16,
    /// The backend's `host` value.
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Allow,
    Deny,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Deny => "deny",
        }
    }
}

/// IP protocol an ACL rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    Any,
    Tcp,
    Udp,
    Icmp,
    Icmpv6,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Any => "any",
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
            Protocol::Icmpv6 => "icmpv6",
        }
    }

    /// Whether packets of this protocol carry ports, so that port matches mean something.
    pub fn has_ports(self) -> bool {
        matches!(self, Protocol::Tcp | Protocol::Udp)
    }

    /// The IP protocol number, `None` for [`Protocol::Any`].
    pub fn number(self) -> Option<u8> {
        match self {
            Protocol::Any => None,
            Protocol::Tcp => Some(6),
            Protocol::Udp => Some(17),
            Protocol::Icmp => Some(1),
            Protocol::Icmpv6 => Some(58),
        }
    }
}

/// An inclusive range of L4 ports with `lo <= hi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortRange {
    pub lo: u16,
    pub hi: u16,
}

impl PortRange {
    pub const ANY: PortRange = PortRange { lo: 0, hi: 65535 };

    pub fn contains(self, other: PortRange) -> bool {
        self.lo <= other.lo && other.hi <= self.hi
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.lo == self.hi {
            write!(f, "{}", self.lo)
        } else {
            write!(f, "{}-{}", self.lo, self.hi)
        }
    }
}

#[derive(Debug, Clone)]
pub struct Acl {
    pub name: String,
    /// Applies when no rule matches.
    pub default: Action,
    /// Ordered; the first matching rule decides. Names are unique within the ACL.
    pub rules: Vec<Rule>,
}

/// One ACL rule. A packet matches when every given field matches; an empty list means "any".
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub action: Action,
    pub src: Vec<Prefix>,
    pub protocol: Protocol,
    /// Only non-empty when `protocol.has_ports()`.
    pub src_ports: Vec<PortRange>,
    /// Ports of the VIP the client addressed, for ACLs shared by several VIPs.
    pub dst_ports: Vec<PortRange>,
    /// The whole rule entry.
    pub span: Span,
    pub name_span: Span,
}

/// Transport protocol of a VIP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    Tcp,
    Udp,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
    }

    pub fn protocol(self) -> Protocol {
        match self {
            Transport::Tcp => Protocol::Tcp,
            Transport::Udp => Protocol::Udp,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Vip {
    pub name: String,
    /// Usable unicast address; `(address, protocol, port)` is unique across VIPs.
    pub address: IpAddr,
    pub protocol: Transport,
    pub port: u16,
    /// Every backend host of the pool has an address of the VIP's family.
    pub pool: Handle<Pool>,
    /// `None` allows every client.
    pub acl: Option<Handle<Acl>>,
    /// Unique across VIPs: server and egress hosts recognise the VIP by this port alone.
    pub service_port: u16,
    pub spans: VipSpans,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct VipSpans {
    pub address: Span,
    pub port: Span,
    pub service_port: Span,
    pub pool: Span,
    pub acl: Option<Span>,
}

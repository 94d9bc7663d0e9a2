//! The per-host plan: for every host of a policy, its role program and the logical table entries
//! that make it implement the policy, by table, action and key *names* of the role program.
//!
//! The central structure is [`Plan`]: one [`HostPlan`] per host in policy order, each a list of
//! [`Entry`]s in a fixed order (table order of the program, then policy order), plus the id
//! assignments every host shares ([`Ids`]): `vip_id` is the VIP's position in the policy,
//! `pool_id` the pool's, `backend_id` numbers (pool, backend) pairs by pool, then host name, and
//! `rule_id` numbers ACL rules, then each ACL's default, then one id for VIPs without ACL.
//! These ids index the programs' counters, so they are stable under reordering of nothing but
//! the policy itself.
//!
//! Names become P4 handles in one place, [`resolve`], against the host's role program as the
//! P4 front end lowers it ([`crate::program`]); [`schema`] is the plan's static view of those
//! programs. Every entry carries its [`Origin`] so capacity errors, `explain` and `diff` can name
//! the policy item behind it.

pub mod acl;
pub mod resolve;
pub mod schema;

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use ddsr_policy::Policy;
use ddsr_policy::arena::Handle;
use ddsr_policy::ir::{Acl, Family, Host, Pool, Role, Target, Vip};

use crate::buckets::{self, Buckets, Previous};
use crate::passes::acl::Matching;
use crate::passes::maglev;

pub use schema::Program;

/// Width of the ingress program's `meta.bucket`: at most `2^24` buckets.
pub const BUCKET_BITS: u32 = 24;
/// Width of `vip_id`, `pool_id` and `backend_id` in the programs.
pub const ID_BITS: u32 = 16;
/// Priority distance between consecutive ACL rules (P4Runtime, higher wins), leaving room to
/// insert rules later without renumbering; the ACL default entry has priority 1.
pub const PRIORITY_GAP: i32 = 16;
/// Rule `i` of an ACL has priority `1 + (PRIORITY_RULES - i) * PRIORITY_GAP`: counted down from
/// a fixed top, so removing or adding a rule leaves the priorities of the rules above it alone
/// (a `diff` then touches only what changed). The policy front end's input budget (a few million
/// YAML events) keeps every ACL far below this many rules.
pub const PRIORITY_RULES: i32 = 1 << 24;
/// Tofino hosts count down from a lower top: Stratum and BfRt take priorities below 2^24
/// (BfRt's `$MATCH_PRIORITY` is `2^24 - 1 - p`), so rule `i` of an ACL on a Tofino server has
/// `1 + (PRIORITY_RULES_TOFINO - i) * PRIORITY_GAP`, at most `2^24 - 15`. An ACL with more
/// rules than this cannot go to a Tofino server (E0448).
pub const PRIORITY_RULES_TOFINO: i32 = (1 << 20) - 1;

/// A key field of a logical entry (values are unsigned integers of the key's width).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Match {
    Exact(u128),
    Lpm { value: u128, len: u16 },
    Ternary { value: u128, mask: u128 },
    Range { lo: u128, hi: u128 },
}

/// The policy item an entry implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Vip(Handle<Vip>),
    /// A `(pool, bucket)` entry of the pool's consistent-hash table.
    Bucket(Handle<Pool>),
    /// An ACL rule (index into the ACL's rules) applied for a VIP.
    Rule {
        acl: Handle<Acl>,
        rule: usize,
        vip: Handle<Vip>,
    },
    /// The ACL's `default: allow`, for a VIP.
    AclDefault {
        acl: Handle<Acl>,
        vip: Handle<Vip>,
    },
    /// A VIP without ACL admits every client.
    Open(Handle<Vip>),
    /// A route of the host (index into its routes).
    Route(usize),
    /// The server role's fabric and host ports.
    Ports,
}

/// One logical table entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub table: &'static str,
    /// One per key of the table, in key order.
    pub matches: Vec<Match>,
    /// P4Runtime priority (higher wins), 0 for tables without ternary or range keys.
    pub priority: i32,
    pub action: &'static str,
    /// One per action parameter, in order.
    pub args: Vec<u128>,
    pub origin: Origin,
}

/// What a `rule_id` stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleRef {
    Rule {
        acl: Handle<Acl>,
        rule: usize,
    },
    Default(Handle<Acl>),
    /// VIPs without an ACL.
    Open,
}

/// Ids shared by all hosts.
#[derive(Debug, Clone, Default)]
pub struct Ids {
    /// `backend_id` -> (pool, host); `None` for an id no backend has (an id a previous revision
    /// gave to a backend that is gone stays free, so nobody else's counter changes meaning).
    pub backends: Vec<Option<(Handle<Pool>, Handle<Host>)>>,
    /// `rule_id` -> meaning.
    pub rules: Vec<RuleRef>,
    backend_ids: HashMap<(Handle<Pool>, Handle<Host>), u32>,
    /// First `rule_id` of each ACL's rules.
    rule_base: Vec<u32>,
    default_base: u32,
}

impl Ids {
    /// Backend ids: those a previous revision gave to a (pool, host) that still exists are kept;
    /// the others take the lowest free ids in pool order, then host name order (so listing order
    /// changes no id).
    fn new(policy: &Policy, previous: Option<&Previous>) -> Ids {
        let mut ids = Ids::default();
        let mut pairs = Vec::new();
        for (p, pool) in policy.pools.iter() {
            let mut hosts: Vec<Handle<Host>> = pool.backends.iter().map(|b| b.host).collect();
            hosts.sort_by(|a, b| policy.hosts[*a].name.cmp(&policy.hosts[*b].name));
            pairs.extend(hosts.into_iter().map(|h| (p, h)));
        }
        let kept = |(p, h): (Handle<Pool>, Handle<Host>)| {
            previous?.backend_id(&policy.pools[p].name, &policy.hosts[h].name)
        };
        for &pair in &pairs {
            if let Some(id) = kept(pair) {
                let id = id as usize;
                if ids.backends.len() <= id {
                    ids.backends.resize(id + 1, None);
                }
                ids.backends[id] = Some(pair);
            }
        }
        let mut free = 0usize;
        for &pair in &pairs {
            if kept(pair).is_some() {
                continue;
            }
            while ids.backends.get(free).is_some_and(Option::is_some) {
                free += 1;
            }
            if ids.backends.len() <= free {
                ids.backends.resize(free + 1, None);
            }
            ids.backends[free] = Some(pair);
        }
        for (a, acl) in policy.acls.iter() {
            ids.rules
                .extend((0..acl.rules.len()).map(|rule| RuleRef::Rule { acl: a, rule }));
        }
        ids.rules
            .extend(policy.acls.handles().map(RuleRef::Default));
        ids.rules.push(RuleRef::Open);
        ids.backend_ids = ids
            .backends
            .iter()
            .enumerate()
            .filter_map(|(i, k)| k.map(|k| (k, i as u32)))
            .collect();
        let mut base = 0u32;
        for (_, acl) in policy.acls.iter() {
            ids.rule_base.push(base);
            base += acl.rules.len() as u32;
        }
        ids.default_base = base;
        ids
    }

    pub fn backend_id(&self, pool: Handle<Pool>, host: Handle<Host>) -> Option<u32> {
        self.backend_ids.get(&(pool, host)).copied()
    }

    pub fn rule_id(&self, r: RuleRef) -> u32 {
        match r {
            RuleRef::Rule { acl, rule } => self.rule_base[acl.index()] + rule as u32,
            RuleRef::Default(acl) => self.default_base + acl.index() as u32,
            RuleRef::Open => (self.rules.len() - 1) as u32,
        }
    }
}

#[derive(Debug, Clone)]
pub struct HostPlan {
    pub host: Handle<Host>,
    pub name: String,
    pub role: Role,
    pub target: Target,
    pub program: &'static Program,
    /// Buckets per pool in the ingress program (`DDSR_BUCKETS`), 0 for other roles: the plan's
    /// [`Plan::buckets`] on v1model, the next power of two on Tofino ([`host_buckets`]).
    pub buckets: u32,
    pub entries: Vec<Entry>,
}

impl HostPlan {
    /// Entries per table name.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut c = BTreeMap::new();
        for e in &self.entries {
            *c.entry(e.table).or_insert(0) += 1;
        }
        c
    }
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub ids: Ids,
    pub hosts: Vec<HostPlan>,
    /// Each pool's Maglev table at its own size, by pool index.
    pub maglev: Vec<maglev::Table>,
    /// Buckets per pool in the v1model ingress programs; a Tofino ingress host has
    /// [`host_buckets`] of it.
    pub buckets: u32,
    /// Pools a previous revision had at another size: populated afresh.
    pub repopulated: Vec<Repopulated>,
}

/// A pool and the table size the previous revision had for it.
pub type Repopulated = (Handle<Pool>, u32);

impl Plan {
    /// `buckets.json` of this plan: every pool's table and backend ids, for the next revision.
    pub fn buckets(&self, policy: &Policy) -> Buckets {
        let pools = policy
            .pools
            .iter()
            .map(|(p, pool)| {
                let t = &self.maglev[p.index()];
                let backends = t
                    .backends()
                    .iter()
                    .map(|b| {
                        let host = pool
                            .backends
                            .iter()
                            .map(|x| x.host)
                            .find(|h| policy.hosts[*h].name == b.name)
                            .expect("Maglev backends are the pool's hosts");
                        buckets::Backend {
                            host: b.name.clone(),
                            weight: b.weight,
                            backend_id: self
                                .ids
                                .backend_id(p, host)
                                .expect("every backend of a pool has an id"),
                        }
                    })
                    .collect();
                buckets::Pool {
                    pool: pool.name.clone(),
                    size: t.size(),
                    backends,
                    buckets: t.slots().to_vec(),
                }
            })
            .collect();
        Buckets { format: 1, pools }
    }
}

/// Problems that make a valid policy impossible to plan: the table compiler reports them with
/// the capacity errors (`capacity::Problem`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("{what} needs {needed} ids, but the programs' ids are {bits} bits wide")]
    Ids {
        what: &'static str,
        needed: usize,
        bits: u32,
    },
    #[error("{needed} buckets per pool do not fit the ingress program's {bits}-bit bucket")]
    Buckets {
        pool: Handle<Pool>,
        needed: u32,
        bits: u32,
    },
    #[error(
        "ACL `{name}` has {rules} rules, but a Tofino server's ACL priorities number at most {limit}"
    )]
    TofinoRules {
        acl: Handle<Acl>,
        name: String,
        host: Handle<Host>,
        rules: usize,
        limit: i32,
    },
    #[error("pool `{pool}`: {message}")]
    Maglev { pool: String, message: String },
}

/// Buckets per pool of a host's ingress program when the policy's largest Maglev table has
/// `buckets` slots: v1model reduces the hash modulo any count; Tofino has no modulo and takes the
/// low bits of the hash, so it gets the next power of two (bucket `b` is slot `b % size`, as
/// for every pool smaller than the bucket count).
pub fn host_buckets(target: Target, buckets: u32) -> u32 {
    match target {
        Target::Softswitch | Target::Bmv2 => buckets,
        Target::Tofino => buckets.next_power_of_two().max(2),
    }
}

pub fn target_name(t: Target) -> &'static str {
    match t {
        Target::Softswitch => "softswitch",
        Target::Bmv2 => "bmv2",
        Target::Tofino => "tofino",
    }
}

/// Number of buckets every ingress program uses: the largest Maglev table size of the policy,
/// so no pool gets fewer buckets than it asked for.
pub fn bucket_count(policy: &Policy) -> u32 {
    policy
        .pools
        .iter()
        .map(|(_, p)| match p.hashing {
            ddsr_policy::ir::Hashing::Maglev { table_size } => table_size,
        })
        .max()
        .unwrap_or(1)
}

/// Maglev tables of all pools at the pool's own size: updated from the previous revision's
/// table where it has the same size (minimal disruption), populated afresh otherwise. Also the
/// pools whose previous table had another size, with that size.
pub fn maglev_tables(
    policy: &Policy,
    previous: Option<&Previous>,
) -> Result<(Vec<maglev::Table>, Vec<Repopulated>), Error> {
    let mut repopulated = Vec::new();
    let mut tables = Vec::new();
    for (p, pool) in policy.pools.iter() {
        let ddsr_policy::ir::Hashing::Maglev { table_size } = pool.hashing;
        let backends: Vec<maglev::Backend> = pool
            .backends
            .iter()
            .map(|b| maglev::Backend::new(&policy.hosts[b.host].name, u32::from(b.weight)))
            .collect();
        let before = previous.and_then(|x| x.table(&pool.name));
        let table = match before {
            Some(t) if t.size() == table_size => maglev::update(t, &backends),
            Some(t) => {
                repopulated.push((p, t.size()));
                maglev::populate(table_size, &backends)
            }
            None => maglev::populate(table_size, &backends),
        };
        tables.push(table.map_err(|e| Error::Maglev {
            pool: pool.name.clone(),
            message: e.to_string(),
        })?);
    }
    Ok((tables, repopulated))
}

/// The backend host owning `bucket` (of the program's `buckets`) in `pool`'s Maglev table.
///
/// A pool whose table is smaller than the program's bucket count repeats its table: bucket `b`
/// is the pool's slot `b % size`. This is the meaning both the compiler and the reference use.
pub fn backend_of(
    policy: &Policy,
    tables: &[maglev::Table],
    pool: Handle<Pool>,
    bucket: u32,
) -> Handle<Host> {
    let t = &tables[pool.index()];
    let name = &t
        .backend_of(bucket % t.size())
        .expect("bucket % size is in range")
        .name;
    let p = &policy.pools[pool];
    p.backends
        .iter()
        .map(|b| b.host)
        .find(|h| policy.hosts[*h].name == *name)
        .expect("Maglev backends are the pool's hosts")
}

fn ip_value(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// An address as the unsigned value of its table key.
pub fn addr_value(a: IpAddr) -> u128 {
    ip_value(a)
}

fn suffix(f: Family) -> &'static str {
    match f {
        Family::V4 => "v4",
        Family::V6 => "v6",
    }
}

fn table_of(prefix: &str, f: Family) -> &'static str {
    // Table names are static in the schema; look them up rather than leak formatted strings.
    let name = format!("{prefix}_{}", suffix(f));
    for p in [&schema::INGRESS, &schema::SERVER, &schema::EGRESS] {
        if let Some(t) = p.table(&name) {
            return t.name;
        }
    }
    panic!("schema has table `{name}`")
}

fn action_of(prefix: &str, f: Family) -> &'static str {
    let name = format!("{prefix}_{}", suffix(f));
    for p in [&schema::INGRESS, &schema::SERVER, &schema::EGRESS] {
        if let Some(a) = p.action(&name) {
            return a.name;
        }
    }
    panic!("schema has action `{name}`")
}

/// Builds the plan of every host, keeping what `previous` decided where it still holds. All
/// problems are returned, not only the first.
pub fn build(policy: &Policy, previous: Option<&Previous>) -> Result<Plan, Vec<Error>> {
    let mut errors = Vec::new();
    let ids = Ids::new(policy, previous);
    let id_limit = 1usize << ID_BITS;
    for (what, n) in [
        ("the VIPs", policy.vips.len()),
        ("the pools", policy.pools.len()),
        ("the backends of all pools", ids.backends.len()),
    ] {
        if n > id_limit {
            errors.push(Error::Ids {
                what,
                needed: n,
                bits: ID_BITS,
            });
        }
    }
    let buckets = bucket_count(policy);
    let most = policy
        .hosts
        .iter()
        .filter(|(_, h)| h.role == Role::Ingress)
        .map(|(_, h)| host_buckets(h.target, buckets))
        .max()
        .unwrap_or(buckets);
    if buckets.max(most) > 1 << BUCKET_BITS {
        let pool = policy
            .pools
            .iter()
            .find(|(_, p)| {
                let ddsr_policy::ir::Hashing::Maglev { table_size } = p.hashing;
                table_size == buckets
            })
            .map(|(h, _)| h)
            .expect("the largest size is some pool's");
        errors.push(Error::Buckets {
            pool,
            needed: buckets.max(most),
            bits: BUCKET_BITS,
        });
    }
    tofino_rules(policy, &mut errors);
    let (tables, repopulated) = match maglev_tables(policy, previous) {
        Ok(t) => t,
        Err(e) => {
            errors.push(e);
            (Vec::new(), Vec::new())
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut acls = acl::Cache::default();
    let hosts = policy
        .hosts
        .iter()
        .map(|(h, host)| {
            let program = Program::of(host.role, host.target);
            let host_buckets = host_buckets(host.target, buckets);
            let mut entries = Vec::new();
            match host.role {
                Role::Ingress => ingress(policy, &ids, &tables, host_buckets, &mut entries),
                Role::Server => server(policy, &ids, h, &mut acls, &mut entries),
                Role::Egress => egress(policy, h, &mut entries),
            }
            if host.role != Role::Server {
                routes(host, &mut entries);
            }
            order(program, &mut entries);
            HostPlan {
                host: h,
                name: host.name.clone(),
                role: host.role,
                target: host.target,
                program,
                buckets: if host.role == Role::Ingress {
                    host_buckets
                } else {
                    0
                },
                entries,
            }
        })
        .collect();
    Ok(Plan {
        ids,
        hosts,
        maglev: tables,
        buckets,
        repopulated,
    })
}

/// Every ACL some Tofino server applies must number its rules within Tofino's priorities.
fn tofino_rules(policy: &Policy, errors: &mut Vec<Error>) {
    let mut seen = Vec::new();
    for (h, host) in policy.hosts.iter() {
        if host.target != Target::Tofino || host.role != Role::Server {
            continue;
        }
        for (_, vip) in policy.vips.iter() {
            let serves = policy.pools[vip.pool].backends.iter().any(|b| b.host == h);
            let Some(a) = vip.acl.filter(|_| serves) else {
                continue;
            };
            let rules = policy.acls[a].rules.len();
            if rules > PRIORITY_RULES_TOFINO as usize && !seen.contains(&a) {
                seen.push(a);
                errors.push(Error::TofinoRules {
                    acl: a,
                    name: policy.acls[a].name.clone(),
                    host: h,
                    rules,
                    limit: PRIORITY_RULES_TOFINO,
                });
            }
        }
    }
}

/// Sorts entries by the table's position in the program, keeping insertion order within a
/// table (the policy order), so output order never depends on anything else.
fn order(program: &Program, entries: &mut [Entry]) {
    let pos = |t: &str| program.tables.iter().position(|x| x.name == t);
    entries.sort_by_key(|e| pos(e.table));
}

fn vip_family(v: &Vip) -> Family {
    Family::of(v.address)
}

fn ingress(
    policy: &Policy,
    ids: &Ids,
    tables: &[maglev::Table],
    buckets: u32,
    out: &mut Vec<Entry>,
) {
    let mut pools_used: Vec<(Handle<Pool>, Family)> = Vec::new();
    for (v, vip) in policy.vips.iter() {
        let f = vip_family(vip);
        out.push(Entry {
            table: table_of("vip", f),
            matches: vec![
                Match::Exact(ip_value(vip.address)),
                Match::Exact(u128::from(vip.protocol.protocol().number().unwrap_or(0))),
                Match::Exact(u128::from(vip.port)),
            ],
            priority: 0,
            action: "to_pool",
            args: vec![
                v.index() as u128,
                vip.pool.index() as u128,
                u128::from(vip.service_port),
            ],
            origin: Origin::Vip(v),
        });
        if !pools_used.contains(&(vip.pool, f)) {
            pools_used.push((vip.pool, f));
        }
    }
    pools_used.sort();
    for (pool, f) in pools_used {
        for bucket in 0..buckets {
            let host = backend_of(policy, tables, pool, bucket);
            let addr = policy.hosts[host]
                .address(f)
                .expect("validation: every backend has an address of the VIP's family");
            let id = ids
                .backend_id(pool, host)
                .expect("every backend of a pool has an id");
            out.push(Entry {
                table: table_of("backends", f),
                matches: vec![
                    Match::Exact(pool.index() as u128),
                    Match::Exact(u128::from(bucket)),
                ],
                priority: 0,
                action: action_of("to_backend", f),
                args: vec![u128::from(id), ip_value(addr)],
                origin: Origin::Bucket(pool),
            });
        }
    }
}

/// The egress host that server `vip`'s responses go to: the first egress host, in policy order,
/// with an address of the VIP's family.
pub fn egress_of(policy: &Policy, vip: &Vip) -> Option<(Handle<Host>, IpAddr)> {
    policy
        .hosts_with_role(Role::Egress)
        .find_map(|h| policy.hosts[h].address(vip_family(vip)).map(|a| (h, a)))
}

/// The server role's fabric port and host port: ports 0 and 1 of the SmartNIC, as
/// `docs/dataplane.md` specifies.
pub const SERVER_PORTS: (u16, u16) = (0, 1);

fn server(
    policy: &Policy,
    ids: &Ids,
    me: Handle<Host>,
    acls: &mut acl::Cache,
    out: &mut Vec<Entry>,
) {
    let host = &policy.hosts[me];
    let (fabric, host_port) = SERVER_PORTS;
    out.push(Entry {
        table: "port_roles",
        matches: vec![Match::Exact(u128::from(fabric))],
        priority: 0,
        action: "from_fabric",
        args: vec![u128::from(host_port)],
        origin: Origin::Ports,
    });
    out.push(Entry {
        table: "port_roles",
        matches: vec![Match::Exact(u128::from(host_port))],
        priority: 0,
        action: "from_host",
        args: vec![u128::from(fabric)],
        origin: Origin::Ports,
    });
    for (v, vip) in policy.vips.iter() {
        let serves = policy.pools[vip.pool].backends.iter().any(|b| b.host == me);
        if !serves {
            continue;
        }
        let f = vip_family(vip);
        let Some(my_addr) = host.address(f) else {
            continue;
        };
        let proto = u128::from(vip.protocol.protocol().number().unwrap_or(0));
        out.push(Entry {
            table: table_of("services", f),
            matches: vec![
                Match::Exact(ip_value(my_addr)),
                Match::Exact(proto),
                Match::Exact(u128::from(vip.service_port)),
            ],
            priority: 0,
            action: action_of("to_vip", f),
            args: vec![
                v.index() as u128,
                ip_value(vip.address),
                u128::from(vip.port),
            ],
            origin: Origin::Vip(v),
        });
        acl::entries(policy, ids, v, host.target, acls, out);
        if let Some((_, egress)) = egress_of(policy, vip) {
            out.push(Entry {
                table: table_of("responses", f),
                matches: vec![
                    Match::Exact(ip_value(vip.address)),
                    Match::Exact(proto),
                    Match::Exact(u128::from(vip.port)),
                ],
                priority: 0,
                action: action_of("to_egress", f),
                args: vec![
                    v.index() as u128,
                    ip_value(egress),
                    u128::from(vip.service_port),
                ],
                origin: Origin::Vip(v),
            });
        }
    }
}

fn egress(policy: &Policy, me: Handle<Host>, out: &mut Vec<Entry>) {
    let host = &policy.hosts[me];
    for (v, vip) in policy.vips.iter() {
        let f = vip_family(vip);
        let Some(my_addr) = host.address(f) else {
            continue;
        };
        out.push(Entry {
            table: table_of("services", f),
            matches: vec![
                Match::Exact(ip_value(my_addr)),
                Match::Exact(u128::from(vip.protocol.protocol().number().unwrap_or(0))),
                Match::Exact(u128::from(vip.service_port)),
            ],
            priority: 0,
            action: action_of("to_client", f),
            args: vec![
                v.index() as u128,
                ip_value(vip.address),
                u128::from(vip.port),
            ],
            origin: Origin::Vip(v),
        });
    }
}

fn routes(host: &Host, out: &mut Vec<Entry>) {
    for (i, r) in host.routes.iter().enumerate() {
        let f = r.prefix.family();
        let mac = r
            .next_hop_mac
            .0
            .iter()
            .fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
        out.push(Entry {
            table: table_of("routes", f),
            matches: vec![Match::Lpm {
                value: ip_value(r.prefix.addr),
                len: u16::from(r.prefix.len),
            }],
            priority: 0,
            action: "route",
            args: vec![u128::from(r.port), mac],
            origin: Origin::Route(i),
        });
    }
}

/// How the host's ACL table matches ports.
pub fn port_matching(target: Target) -> Matching {
    match target {
        Target::Softswitch | Target::Bmv2 => Matching::Range,
        Target::Tofino => Matching::Ternary,
    }
}

//! Capacity: every table of every host against the `size` its P4 program declares and the
//! limit of the host's target, and the plan's own limits (id and bucket widths), as diagnostics
//! that name the table, the entries needed, the limit and the policy items contributing most.
//!
//! Codes (stable, each with a page in `docs/errors/`):
//! - E0440 a table needs more entries than the target allows;
//! - E0441 a table with a fixed `size` in the program needs more entries than that size;
//! - E0442 more VIPs, pools or backends than the programs' 16-bit ids can number;
//! - E0443 a Maglev table larger than the ingress program's bucket field can index;
//! - E0444 (retired: Tofino hosts compile now; the code is not reused);
//! - E0445 a pool's Maglev table cannot be built;
//! - E0446 (in [`crate::compile`]) an internal error: an entry does not fit its own program;
//! - E0448 an ACL on a Tofino server has more rules than Tofino's priorities can order.
//!
//! A table's limit depends on the target and, on Tofino, on the kind of memory the table
//! needs ([`Limits::of_table`]): exact tables live in SRAM, tables with a ternary, range or
//! LPM key in TCAM, whose entries get rarer as the key gets wider.
//!
//! Nothing is ever truncated: a policy that does not fit is an error, not a smaller table.

use std::collections::BTreeMap;

use ddsr_diag::{Code, Diagnostic, Span};
use ddsr_policy::Policy;
use ddsr_policy::ir::Target;

use ddsr_pipeline::MatchKind;

use crate::plan::schema::TableSpec;
use crate::plan::{self, HostPlan, Origin, Plan, target_name};

/// Largest number of entries one table may hold on each target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub softswitch: u64,
    pub bmv2: u64,
    /// Tofino, exact-match tables (SRAM).
    pub tofino: u64,
    /// Tofino, tables with a ternary, range or LPM key (TCAM): TCAM rows of the whole pipe,
    /// each [`TCAM_WORD_BITS`] bits of key wide; an entry of a `k`-bit key takes
    /// `ceil(k / TCAM_WORD_BITS)` rows side by side.
    pub tofino_tcam_rows: u64,
}

/// Key bits one Tofino TCAM row matches.
pub const TCAM_WORD_BITS: u64 = 44;

impl Default for Limits {
    /// The softswitch and BMv2 keep entries in host memory; ddsr caps a table at 2^24 entries
    /// (16,777,216), which keeps one host's entries within a few GiB. Tofino's figures are
    /// conservative bounds from the first Tofino's published resources (12 match-action stages
    /// per pipe, each with 24 TCAM blocks of 512 rows x 44 bits): 2^20 entries for an exact
    /// table, and the pipe's 147,456 TCAM rows for ternary tables, which one table never gets
    /// whole on a real chip (bf-p4c's placement has the last word).
    fn default() -> Self {
        Limits {
            softswitch: 1 << 24,
            bmv2: 1 << 24,
            tofino: 1 << 20,
            tofino_tcam_rows: 12 * 24 * 512,
        }
    }
}

impl Limits {
    /// The limit of an exact-match table on `t`.
    pub fn of(&self, t: Target) -> u64 {
        match t {
            Target::Softswitch => self.softswitch,
            Target::Bmv2 => self.bmv2,
            Target::Tofino => self.tofino,
        }
    }

    /// The limit of `table` on `t`, and what the limit is, for the message.
    pub fn of_table(&self, t: Target, table: &TableSpec) -> (u64, String) {
        let tcam = table.keys.iter().any(|k| {
            matches!(
                k.kind,
                MatchKind::Ternary | MatchKind::Range | MatchKind::Lpm
            )
        });
        if t == Target::Tofino && tcam {
            let bits: u64 = table.keys.iter().map(|k| u64::from(k.width)).sum();
            let rows = bits.div_ceil(TCAM_WORD_BITS);
            (
                self.tofino_tcam_rows / rows,
                format!("the tofino target's TCAM limit for its {bits}-bit key"),
            )
        } else {
            (self.of(t), format!("the {} target's limit", target_name(t)))
        }
    }
}

pub const TABLE_LIMIT: Code = Code(440);
pub const FIXED_SIZE: Code = Code(441);
pub const IDS: Code = Code(442);
pub const BUCKETS: Code = Code(443);
pub const MAGLEV: Code = Code(445);
pub const TOFINO_RULES: Code = Code(448);

/// How many top contributors a capacity error lists.
const TOP: usize = 3;

/// The span and a description of the policy item behind an entry.
fn origin_of(policy: &Policy, host: &HostPlan, o: Origin) -> (Span, String) {
    match o {
        Origin::Vip(v) | Origin::Open(v) => (
            policy.vips.span(v),
            format!("VIP `{}`", policy.vips[v].name),
        ),
        Origin::Bucket(p) => (
            policy.pools.span(p),
            format!("pool `{}`", policy.pools[p].name),
        ),
        Origin::Rule { acl, rule, .. } => {
            let a = &policy.acls[acl];
            (
                a.rules[rule].span,
                format!("rule `{}` of ACL `{}`", a.rules[rule].name, a.name),
            )
        }
        Origin::AclDefault { acl, .. } => (
            policy.acls.span(acl),
            format!("the default of ACL `{}`", policy.acls[acl].name),
        ),
        Origin::Route(i) => (
            policy.hosts[host.host].routes[i].span,
            format!("route {} of host `{}`", i + 1, host.name),
        ),
        Origin::Ports => (
            policy.hosts.span(host.host),
            format!("host `{}`", host.name),
        ),
    }
}

/// Checks every table of every host of `plan`; returns one error per table that does not fit.
pub fn check(policy: &Policy, plan: &Plan, limits: &Limits) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for host in &plan.hosts {
        for (table, needed) in host.counts() {
            let spec = host
                .program
                .table(table)
                .expect("plans only name tables of their program");
            let (code, limit, what) = match spec.size_macro {
                Some(_) => {
                    let (limit, what) = limits.of_table(host.target, spec);
                    (TABLE_LIMIT, limit, what)
                }
                None => (
                    FIXED_SIZE,
                    u64::from(spec.fixed_size),
                    "the size fixed in the program".to_string(),
                ),
            };
            if needed as u64 <= limit {
                continue;
            }
            let mut by_item: BTreeMap<(u32, u32), (usize, String)> = BTreeMap::new();
            for e in host.entries.iter().filter(|e| e.table == table) {
                let (span, name) = origin_of(policy, host, e.origin);
                by_item.entry((span.start, span.end)).or_insert((0, name)).0 += 1;
            }
            let mut items: Vec<_> = by_item.into_iter().collect();
            items.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
            let mut d = Diagnostic::error(
                code,
                format!(
                    "table `{table}` of host `{}` needs {needed} entries, but {what} is {limit}",
                    host.name
                ),
            );
            for (i, ((start, end), (n, name))) in items.iter().take(TOP).enumerate() {
                let span = Span::new(*start, *end);
                let label = format!("{name} needs {n} entries");
                d = if i == 0 {
                    d.primary(policy.file, span, label)
                } else {
                    d.secondary(policy.file, span, label)
                };
            }
            if items.len() > TOP {
                d = d.note(format!(
                    "{} more policy items add {} entries",
                    items.len() - TOP,
                    items.iter().skip(TOP).map(|x| x.1.0).sum::<usize>()
                ));
            }
            out.push(d.help("split the VIPs over more hosts, or shrink the largest contributors"));
        }
    }
    out
}

/// Converts the plan's errors to diagnostics.
pub fn plan_errors(policy: &Policy, errors: &[plan::Error]) -> Vec<Diagnostic> {
    errors
        .iter()
        .map(|e| {
            let d = |code| Diagnostic::error(code, e.to_string());
            match e {
                plan::Error::Ids { .. } => d(IDS),
                plan::Error::Buckets { pool, .. } => d(BUCKETS)
                    .primary(
                        policy.file,
                        policy.pools.span(*pool),
                        "this pool's table_size",
                    )
                    .help("use a prime table_size of at most 65521, the largest prime below 2^16"),
                plan::Error::TofinoRules { acl, host, .. } => d(TOFINO_RULES)
                    .primary(policy.file, policy.acls.span(*acl), "this ACL")
                    .secondary(
                        policy.file,
                        policy.hosts.span(*host),
                        "applied on this Tofino server",
                    )
                    .help("split the ACL, or serve its VIPs from softswitch or bmv2 servers"),
                plan::Error::Maglev { .. } => d(MAGLEV),
            }
        })
        .collect()
}

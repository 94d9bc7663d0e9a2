//! A VIP's client ACL as entries of the server program's `acl_v4`/`acl_v6` table.
//!
//! The table is keyed by `vip_id`, so each VIP gets the ACL specialised to it: the VIP fixes the
//! protocol and the destination port, so a rule whose protocol or `dst_ports` cannot match the
//! VIP is left out, and a rule's source prefixes of the other address family are dropped (a
//! rule with only such prefixes never matches). What is left (source prefixes x source port
//! ranges, in rule order) goes through the first-match lowering of [`crate::passes::acl`].
//!
//! The client port is matched as the host's target allows: native ranges on the softswitch and
//! BMv2, ternary on Tofino, where each range becomes its minimal prefix cover and the lowering
//! removes shadowed and redundant entries and widens prefixes into space decided above.
//!
//! Priorities come from the policy rule's position, not from the lowering's sub-rules: rule `i`
//! has `1 + (top - i) * PRIORITY_GAP` (`top` is [`PRIORITY_RULES`], or
//! [`PRIORITY_RULES_TOFINO`] on Tofino), so all entries of one rule share a priority and
//! the ACL's `default: allow` entry (priority 1) sits below all of them. `default: deny` needs no
//! entry: the table's `acl_miss` default drops (and counts per VIP).
//!
//! Lowering depends only on (ACL, family, protocol, VIP port, port matching), so results are
//! cached: ten thousand VIPs sharing one ACL lower it once.

use std::collections::HashMap;

use ddsr_policy::Policy;
use ddsr_policy::arena::Handle;
use ddsr_policy::ir::{Acl, Action, Family, PortRange, Protocol, Rule as PolicyRule, Target, Vip};

use super::{
    Entry, Ids, Match, Origin, PRIORITY_GAP, PRIORITY_RULES, PRIORITY_RULES_TOFINO, RuleRef,
    addr_value, port_matching,
};
use crate::passes::acl::{self, Field, Interval, Key, Matching, Options, Verdict};

/// Lowered entries of one specialisation: (policy rule index, verdict, src key, port key).
type Lowered = Vec<(usize, Verdict, Key, Key)>;

#[derive(Default)]
pub struct Cache {
    lowered: HashMap<(Handle<Acl>, Family, Protocol, u16, bool), Lowered>,
}

/// Whether `rule` can match a packet for `vip` at all, ignoring the source address and port.
pub fn applies(rule: &PolicyRule, vip: &Vip) -> bool {
    let proto_ok = rule.protocol == Protocol::Any || rule.protocol == vip.protocol.protocol();
    let dport_ok = rule.dst_ports.is_empty()
        || rule
            .dst_ports
            .iter()
            .any(|r| r.lo <= vip.port && vip.port <= r.hi);
    proto_ok && dport_ok
}

fn width(f: Family) -> u32 {
    u32::from(f.bits())
}

fn lower(acl: &Acl, vip: &Vip, matching: Matching) -> Lowered {
    let f = Family::of(vip.address);
    let w = width(f);
    let fields = [
        Field {
            width: w,
            matching: Matching::Ternary,
        },
        Field {
            width: 16,
            matching,
        },
    ];
    let mut rules = Vec::new();
    let mut owner = Vec::new();
    for (i, rule) in acl.rules.iter().enumerate() {
        if !applies(rule, vip) {
            continue;
        }
        let srcs: Vec<Interval> = if rule.src.is_empty() {
            vec![Interval::any(w)]
        } else {
            rule.src
                .iter()
                .filter(|p| p.family() == f)
                .map(|p| Interval::prefix(addr_value(p.addr), u32::from(p.len), w))
                .collect()
        };
        let ports: Vec<PortRange> = if rule.src_ports.is_empty() {
            vec![PortRange::ANY]
        } else {
            rule.src_ports.clone()
        };
        let verdict = match rule.action {
            Action::Allow => Verdict::Allow,
            Action::Deny => Verdict::Deny,
        };
        for s in &srcs {
            for p in &ports {
                rules.push(acl::Rule {
                    conditions: vec![*s, Interval::new(u128::from(p.lo), u128::from(p.hi))],
                    verdict,
                });
                owner.push(i);
            }
        }
    }
    let lowered = acl::lower(
        &fields,
        &rules,
        &Options {
            priority_gap: 1,
            ..Options::default()
        },
    )
    .expect("policy intervals are within their field widths and rules are few enough");
    lowered
        .entries
        .into_iter()
        .map(|e| (owner[e.rule as usize], e.verdict, e.keys[0], e.keys[1]))
        .collect()
}

fn key_match(k: Key) -> Match {
    match k {
        Key::Range { lo, hi } => Match::Range { lo, hi },
        Key::Ternary { value, mask } => Match::Ternary { value, mask },
    }
}

/// The priority of every entry of rule `rule` on a host of `target` (P4Runtime: higher wins).
pub fn priority(target: Target, rule: usize) -> i32 {
    let top = match target {
        Target::Softswitch | Target::Bmv2 => PRIORITY_RULES,
        Target::Tofino => PRIORITY_RULES_TOFINO,
    };
    1 + (top - rule as i32) * PRIORITY_GAP
}

/// Appends the ACL entries of `vip` for a server of `target`.
pub fn entries(
    policy: &Policy,
    ids: &Ids,
    v: Handle<Vip>,
    target: Target,
    cache: &mut Cache,
    out: &mut Vec<Entry>,
) {
    let vip = &policy.vips[v];
    let f = Family::of(vip.address);
    let table = match f {
        Family::V4 => "acl_v4",
        Family::V6 => "acl_v6",
    };
    let matching = port_matching(target);
    let vip_key = Match::Exact(v.index() as u128);
    let any_src = Match::Ternary { value: 0, mask: 0 };
    let any_port = match matching {
        Matching::Range => Match::Range { lo: 0, hi: 65535 },
        Matching::Ternary => Match::Ternary { value: 0, mask: 0 },
    };
    let Some(a) = vip.acl else {
        out.push(Entry {
            table,
            matches: vec![vip_key, any_src, any_port],
            priority: 1,
            action: "acl_allow",
            args: vec![u128::from(ids.rule_id(RuleRef::Open))],
            origin: Origin::Open(v),
        });
        return;
    };
    let acl = &policy.acls[a];
    let key = (
        a,
        f,
        vip.protocol.protocol(),
        vip.port,
        matching == Matching::Range,
    );
    let lowered = cache
        .lowered
        .entry(key)
        .or_insert_with(|| lower(acl, vip, matching));
    for &(rule, verdict, src, port) in lowered.iter() {
        out.push(Entry {
            table,
            matches: vec![vip_key, key_match(src), key_match(port)],
            priority: priority(target, rule),
            action: match verdict {
                Verdict::Allow => "acl_allow",
                Verdict::Deny => "acl_deny",
            },
            args: vec![u128::from(ids.rule_id(RuleRef::Rule { acl: a, rule }))],
            origin: Origin::Rule {
                acl: a,
                rule,
                vip: v,
            },
        });
    }
    if acl.default == Action::Allow {
        out.push(Entry {
            table,
            matches: vec![vip_key, any_src, any_port],
            priority: 1,
            action: "acl_allow",
            args: vec![u128::from(ids.rule_id(RuleRef::Default(a)))],
            origin: Origin::AclDefault { acl: a, vip: v },
        });
    }
}

//! Shadowed-rule detection against a naive pairwise oracle, and at the scale of the benchmark.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use ddsr_diag::{Severity, SourceMap, Span};
use ddsr_policy::Error;
use ddsr_policy::ir::{Acl, Action, PortRange, Prefix, Protocol, Rule};
use ddsr_policy::shadow;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct R {
    deny: bool,
    prefix: (u8, u8),
    protocol: u8,
    sport: (u16, u16),
}

fn yaml(rules: &[R]) -> String {
    let mut s = String::from(
        "version: 1\nhosts:\n  e: { role: ingress, address: 192.0.2.1 }\nacls:\n  a:\n    default: deny\n    rules:\n",
    );
    for (i, r) in rules.iter().enumerate() {
        let (third, len) = r.prefix;
        let addr = u32::from_be_bytes([10, 0, third, 0]) & (u32::MAX << (32 - u32::from(len)));
        let proto = ["tcp", "udp", "any"][r.protocol as usize];
        let ports = if proto == "any" {
            String::new()
        } else {
            format!(", src_ports: \"{}-{}\"", r.sport.0, r.sport.1)
        };
        s.push_str(&format!(
            "      - {{ name: r{i}, action: {}, src: {}/{len}, protocol: {proto}{ports} }}\n",
            if r.deny { "deny" } else { "allow" },
            std::net::Ipv4Addr::from(addr),
        ));
    }
    s
}

/// The specification, written the slow and obvious way: rule j is reported when an earlier
/// rule wholly covers it; an error if some covering rule's action differs.
fn oracle(rules: &[R]) -> Vec<(usize, Severity)> {
    let covers = |a: &R, b: &R| {
        let (at, al) = a.prefix;
        let (bt, bl) = b.prefix;
        let mask =
            |t: u8, l: u8| u32::from_be_bytes([10, 0, t, 0]) & (u32::MAX << (32 - u32::from(l)));
        let prefix_ok =
            al <= bl && mask(at, al) == (mask(bt, bl) & (u32::MAX << (32 - u32::from(al))));
        let proto_ok = a.protocol == 2 || a.protocol == b.protocol;
        let (asp, bsp) = (
            if a.protocol == 2 { (0, 65535) } else { a.sport },
            if b.protocol == 2 { (0, 65535) } else { b.sport },
        );
        prefix_ok && proto_ok && asp.0 <= bsp.0 && bsp.1 <= asp.1
    };
    let mut out = Vec::new();
    for j in 0..rules.len() {
        let by: Vec<_> = (0..j).filter(|&i| covers(&rules[i], &rules[j])).collect();
        if by.is_empty() {
            continue;
        }
        let conflict = by.iter().any(|&i| rules[i].deny != rules[j].deny);
        out.push((
            j,
            if conflict {
                Severity::Error
            } else {
                Severity::Warning
            },
        ));
    }
    out
}

fn found(rules: &[R]) -> Vec<(usize, Severity)> {
    let text = yaml(rules);
    let mut sm = SourceMap::new();
    let (_, diags) = ddsr_policy::check_source(&mut sm, "a.yaml", &text);
    diags
        .iter()
        .filter(|d| ["E0027", "E0028"].contains(&d.code.to_string().as_str()))
        .map(|d| {
            let (f, s) = d.position().unwrap();
            let line = sm.line_col(f, s.start).0;
            (line - 8, d.severity)
        })
        .collect()
}

fn rule() -> impl Strategy<Value = R> {
    (
        any::<bool>(),
        0u8..4,
        prop::sample::select(vec![16u8, 22, 23, 24]),
        0u8..3,
        0u16..8,
        0u16..8,
    )
        .prop_map(|(deny, third, len, protocol, a, b)| R {
            deny,
            prefix: (third, len),
            protocol,
            sport: (a.min(b) * 1000, a.max(b) * 1000 + 999),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn index_agrees_with_pairwise_oracle(rules in prop::collection::vec(rule(), 1..24)) {
        prop_assert_eq!(found(&rules), oracle(&rules));
    }
}

/// 50,000 rules in one ACL: fifteen /26 prefixes then their covering /22, repeated. Every
/// 100th rule instead repeats the previous rule's prefix with a narrower port range, with the
/// same action (redundant, a warning) or, every 200th, the opposite one (shadowed, an error).
/// A pairwise scan would compare 1.25 billion pairs; the index must be quick even in debug.
/// The ACL is built directly in the IR so that the test measures the analysis, not YAML.
#[test]
fn fifty_thousand_rules_in_one_acl() {
    let (mut want_errors, mut want_warnings) = (0, 0);
    let mut rules = Vec::with_capacity(50_000);
    for r in 0u32..50_000 {
        let group = r / 16;
        let slot = r % 16;
        let base = (100u32 << 24 | 64 << 16) + (group << 10);
        let net = |slot: u32, len: u8| Prefix {
            addr: IpAddr::V4(Ipv4Addr::from(base + (slot << 6))),
            len,
        };
        let (action, src, ports) = if slot == 15 {
            (Action::Allow, net(0, 22), vec![])
        } else if r % 100 == 99 && slot > 0 {
            let action = if r % 200 == 199 {
                want_errors += 1;
                Action::Deny
            } else {
                want_warnings += 1;
                Action::Allow
            };
            (
                action,
                net(slot - 1, 26),
                vec![PortRange { lo: 2000, hi: 2001 }],
            )
        } else {
            let range = PortRange {
                lo: 1024 + slot as u16,
                hi: 40000 + slot as u16,
            };
            (Action::Allow, net(slot, 26), vec![range])
        };
        rules.push(Rule {
            name: format!("r{r}"),
            action,
            src: vec![src],
            protocol: Protocol::Tcp,
            src_ports: ports,
            dst_ports: vec![],
            span: Span::new(r, r + 1),
            name_span: Span::new(r, r + 1),
        });
    }
    let acl = Acl {
        name: "big".into(),
        default: Action::Deny,
        rules,
    };
    let started = Instant::now();
    let mut found = Vec::new();
    shadow::check(&acl, &mut found);
    let took = started.elapsed();
    let count = |code: u16| found.iter().filter(|e| e.code().0 == code).count();
    assert!(want_errors > 100 && want_warnings > 100);
    assert_eq!((count(27), count(28)), (want_errors, want_warnings));
    // Reported rules are exactly the every-100th ones, each pointing at its predecessor.
    for e in &found {
        if let Error::ShadowedRule { span, by_span, .. }
        | Error::RedundantRule { span, by_span, .. } = e
        {
            assert_eq!(span.start % 100, 99);
            assert_eq!(by_span.start + 1, span.start);
        }
    }
    assert!(took.as_secs() < 20, "took {took:?}");
    eprintln!("shadow analysis of 50,000 rules: {took:?}");
}

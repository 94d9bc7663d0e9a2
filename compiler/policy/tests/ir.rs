//! What the table compiler reads: the IR of the example policies, fully resolved.

use std::net::IpAddr;
use std::path::Path;

use ddsr_diag::SourceMap;
use ddsr_policy::ir::{Action, Hashing, Policy, PortRange, Protocol, Role, Target, Transport};

fn load(name: &str) -> Policy {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../policies")
        .join(name);
    let mut sources = SourceMap::new();
    let (policy, diags) = ddsr_policy::check_file(&mut sources, &path);
    assert!(diags.is_empty(), "{diags:?}");
    policy.unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn web_policy_is_resolved() {
    let p = load("web.yaml");
    assert_eq!(p.hosts.len(), 5);
    let vip = &p.vips[p.vip("web-https").unwrap()];
    assert_eq!(vip.address, ip("203.0.113.10"));
    assert_eq!(
        (vip.protocol, vip.port, vip.service_port),
        (Transport::Tcp, 443, 40001)
    );
    let pool = &p.pools[vip.pool];
    assert_eq!(pool.name, "web");
    assert_eq!(pool.hashing, Hashing::Maglev { table_size: 65537 });
    let backends: Vec<_> = pool
        .backends
        .iter()
        .map(|b| (p.hosts[b.host].name.as_str(), b.weight))
        .collect();
    assert_eq!(backends, [("srv-a", 10), ("srv-b", 10), ("srv-c", 5)]);
    assert!(
        pool.backends
            .iter()
            .all(|b| p.hosts[b.host].role == Role::Server)
    );
    let acl = &p.acls[vip.acl.unwrap()];
    assert_eq!(acl.default, Action::Deny);
    let rule = &acl.rules[0];
    assert_eq!(rule.name, "office");
    assert_eq!(rule.action, Action::Allow);
    assert_eq!(
        rule.src.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["198.51.100.0/22"]
    );
    assert_eq!(rule.protocol, Protocol::Tcp);
    assert_eq!(
        rule.src_ports,
        [PortRange {
            lo: 1024,
            hi: 65535
        }]
    );
    assert!(rule.dst_ports.is_empty());
    let edge = &p.hosts[p.host("edge-1").unwrap()];
    assert_eq!(
        (edge.role, edge.target, edge.default_port),
        (Role::Ingress, Target::Softswitch, 1)
    );
    assert_eq!(edge.ipv4, Some("192.0.2.1".parse().unwrap()));
    assert_eq!(edge.ipv6, None);
}

#[test]
fn demo_policy_has_routes_macs_and_an_ipv6_vip() {
    let p = load("demo.yaml");
    let ingress: Vec<_> = p.hosts_with_role(Role::Ingress).collect();
    assert_eq!(ingress.len(), 1);
    let h = &p.hosts[ingress[0]];
    assert_eq!(h.mac.unwrap().to_string(), "02:00:00:00:00:01");
    assert_eq!(h.ipv6, Some("fd00::1".parse().unwrap()));
    // One host route per server and address family: the demo's fabric has no
    // router, so each server's MAC is the next hop for its own address.
    assert_eq!(h.routes.len(), 6);
    assert_eq!(h.routes[0].prefix.to_string(), "10.0.1.11/32");
    assert_eq!(h.routes[0].next_hop_mac.to_string(), "02:00:00:00:01:11");
    assert_eq!(h.routes[4].prefix.to_string(), "fd00:1::12/128");
    assert_eq!(h.routes[4].next_hop_mac.to_string(), "02:00:00:00:01:12");
    assert_eq!(p.hosts_with_role(Role::Server).count(), 3);
    let v6 = &p.vips[p.vip("http6").unwrap()];
    assert_eq!(v6.address, ip("2001:db8:80::80"));
    // The IPv6 VIP shares the web ACL, whose allow rule lists an IPv6 subnet.
    assert_eq!(v6.acl, p.vips[p.vip("http").unwrap()].acl);
    assert!(v6.acl.is_some());
    assert_eq!(p.vips[p.vip("dns").unwrap()].protocol, Transport::Udp);
    let acl = &p.acls[p.vips[p.vip("http").unwrap()].acl.unwrap()];
    let actions: Vec<_> = acl
        .rules
        .iter()
        .map(|r| (r.name.as_str(), r.action))
        .collect();
    assert_eq!(
        actions,
        [
            ("allowed-subnet", Action::Allow),
            ("denied-subnet", Action::Deny)
        ]
    );
    assert_eq!(acl.rules[1].protocol, Protocol::Any);
}

#[test]
fn multi_tenant_policy_keeps_drained_backends_and_port_lists() {
    let p = load("multi-tenant.yaml");
    let shop = &p.pools[p.pool("shop-web").unwrap()];
    assert_eq!(
        shop.backends.iter().map(|b| b.weight).collect::<Vec<_>>(),
        [100, 100, 0]
    );
    let dns = &p.pools[p.pool("shop-dns").unwrap()];
    assert!(
        dns.backends.iter().all(|b| b.weight == 1),
        "weight defaults to 1"
    );
    let acl = &p.acls[p.acl("shop").unwrap()];
    let web = &acl.rules[1];
    assert_eq!(web.src.len(), 2);
    assert_eq!(
        web.dst_ports,
        [PortRange { lo: 80, hi: 80 }, PortRange { lo: 443, hi: 443 }]
    );
    let scanner = &acl.rules[0];
    assert_eq!(scanner.src[0].to_string(), "198.51.100.77/32");
    // Handles are arena positions in definition order.
    let names: Vec<_> = p.vips.iter().map(|(_, v)| v.name.as_str()).collect();
    assert_eq!(names, ["shop-http", "shop-https", "shop-dns", "media"]);
}

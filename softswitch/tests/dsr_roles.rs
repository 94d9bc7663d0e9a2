//! The three DSR roles as `ddsr compile` makes them, run on the softswitch: each host's
//! `program.p4` lowered by the P4 front end with that host's entries loaded, and client packets
//! checked byte for byte through ingress, server (both directions) and egress.
//!
//! ```text
//!  client C:cp ──> ingress ──(C:cp -> S:sp)──> server NIC port 0 ──> port 1 (C:cp -> V:vp)
//!                                              server NIC port 0 <── port 1 (V:vp -> C:cp)
//!  client <──(V:vp -> C:cp)── egress <──(C:cp -> E:sp)──┘
//! ```
//!
//! Expected packets are built from scratch by this file (its own Ethernet/IP/TCP/UDP writer
//! and RFC 1071 checksums), the chosen server comes from the policy's reference evaluator with
//! a CRC-32 computed here, and every output's IPv4 header and TCP/UDP checksums are verified
//! by the same independent code, never by the switch.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Mutex;

use ddsr_diag::SourceMap;
use ddsr_policy::Policy;
use ddsr_policy::ir::Role;
use ddsr_softswitch::{Output, Switch};
use ddsr_tables::compile::{self, Host};
use ddsr_tables::reference;

const CLIENT_MAC: [u8; 6] = [2, 0, 0, 0, 0, 1];
const HOST_MAC: [u8; 6] = [2, 0, 0, 0, 0, 2];
const PAYLOAD: &[u8] = b"GET / HTTP/1.1\r\n\r\n!";

/// `policies/NAME` checked and compiled once per test binary (compiling 65537-bucket Maglev
/// tables is the slow part of these tests).
fn policy(name: &'static str) -> &'static (Policy, compile::Output) {
    static CACHE: Mutex<Vec<(&str, &'static (Policy, compile::Output))>> = Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, c)) = cache.iter().find(|(n, _)| *n == name) {
        return c;
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../policies")
        .join(name);
    let mut sources = SourceMap::new();
    let (policy, diags) = ddsr_policy::check_file(&mut sources, &path);
    let policy = policy.unwrap_or_else(|| panic!("{name}: {diags:?}"));
    let out = compile::compile(&policy, &compile::Options::default())
        .unwrap_or_else(|d| panic!("{name}: {d:?}"));
    let c: &'static (Policy, compile::Output) = Box::leak(Box::new((policy, out)));
    cache.push((name, c));
    c
}

/// A switch running `host`'s lowered program with all its compiled entries.
fn switch(out: &compile::Output, host: &str) -> Switch {
    let h: &Host = out
        .hosts
        .iter()
        .find(|h| h.plan.name == host)
        .unwrap_or_else(|| panic!("no host {host}"));
    let mut sw = Switch::new((*h.pipeline).clone()).expect("role program loads");
    for e in &h.entries {
        sw.insert(e.clone())
            .unwrap_or_else(|err| panic!("{host}: entry {e:?}: {err}"));
    }
    sw
}

fn host_addr(policy: &Policy, name: &str, v6: bool) -> IpAddr {
    let (_, h) = policy
        .hosts
        .iter()
        .find(|(_, h)| h.name == name)
        .expect("host");
    if v6 {
        IpAddr::V6(h.ipv6.expect("IPv6 address"))
    } else {
        IpAddr::V4(h.ipv4.expect("IPv4 address"))
    }
}

fn first_host(policy: &Policy, role: Role) -> String {
    policy
        .hosts
        .iter()
        .find(|(_, h)| h.role == role)
        .map(|(_, h)| h.name.clone())
        .expect("a host of this role")
}

// ----- an independent packet writer and checksum -----

fn sum16(mut acc: u32, bytes: &[u8]) -> u32 {
    for c in bytes.chunks(2) {
        acc += u32::from(c[0]) << 8 | c.get(1).map_or(0, |b| u32::from(*b));
    }
    acc
}

fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

fn ip_bytes(a: IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// The one's-complement sum of the pseudo-header (RFC 768/793, RFC 8200 8.1).
fn pseudo(src: IpAddr, dst: IpAddr, proto: u8, len: usize) -> u32 {
    let mut acc = sum16(0, &ip_bytes(src));
    acc = sum16(acc, &ip_bytes(dst));
    acc + u32::from(proto) + len as u32
}

#[derive(Clone, Copy)]
struct Flow {
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    sport: u16,
    dport: u16,
}

/// Ethernet + IPv4/IPv6 + TCP/UDP + payload with correct checksums (UDP checksum 0 when
/// `udp_no_checksum`).
fn frame(f: Flow, udp_no_checksum: bool) -> Vec<u8> {
    let mut l4 = Vec::new();
    l4.extend_from_slice(&f.sport.to_be_bytes());
    l4.extend_from_slice(&f.dport.to_be_bytes());
    let ck_at = if f.proto == 6 {
        l4.extend_from_slice(&[
            0, 0, 0x12, 0x34, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0,
        ]);
        16
    } else {
        let len = (8 + PAYLOAD.len()) as u16;
        l4.extend_from_slice(&len.to_be_bytes());
        l4.extend_from_slice(&[0, 0]);
        6
    };
    l4.extend_from_slice(PAYLOAD);
    if !(f.proto == 17 && udp_no_checksum) {
        let mut c = fold(sum16(pseudo(f.src, f.dst, f.proto, l4.len()), &l4));
        if f.proto == 17 && c == 0 {
            c = 0xffff;
        }
        l4[ck_at..ck_at + 2].copy_from_slice(&c.to_be_bytes());
    }
    let mut p = Vec::new();
    p.extend_from_slice(&HOST_MAC);
    p.extend_from_slice(&CLIENT_MAC);
    match (f.src, f.dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            p.extend_from_slice(&[0x08, 0x00]);
            let mut ip = vec![0x45, 0];
            ip.extend_from_slice(&((20 + l4.len()) as u16).to_be_bytes());
            ip.extend_from_slice(&[0xab, 0xcd, 0x40, 0x00, 64, f.proto, 0, 0]);
            ip.extend_from_slice(&s.octets());
            ip.extend_from_slice(&d.octets());
            let c = fold(sum16(0, &ip));
            ip[10..12].copy_from_slice(&c.to_be_bytes());
            p.extend_from_slice(&ip);
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            p.extend_from_slice(&[0x86, 0xdd, 0x60, 0, 0, 0]);
            p.extend_from_slice(&(l4.len() as u16).to_be_bytes());
            p.extend_from_slice(&[f.proto, 64]);
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
        }
        _ => panic!("mixed address families"),
    }
    p.extend_from_slice(&l4);
    p
}

/// Checks the IPv4 header checksum and the TCP/UDP checksum of `p` from scratch.
fn assert_checksums(p: &[u8], what: &str) {
    let (src, dst, proto, l4) = match u16::from_be_bytes([p[12], p[13]]) {
        0x0800 => {
            let ip = &p[14..34];
            assert_eq!(fold(sum16(0, ip)), 0, "{what}: IPv4 header checksum");
            let s: [u8; 4] = ip[12..16].try_into().unwrap();
            let d: [u8; 4] = ip[16..20].try_into().unwrap();
            (IpAddr::from(s), IpAddr::from(d), ip[9], &p[34..])
        }
        0x86dd => {
            let s: [u8; 16] = p[22..38].try_into().unwrap();
            let d: [u8; 16] = p[38..54].try_into().unwrap();
            (IpAddr::from(s), IpAddr::from(d), p[20], &p[54..])
        }
        t => panic!("{what}: EtherType {t:#06x}"),
    };
    if proto == 17 && l4[6..8] == [0, 0] && src.is_ipv4() {
        return;
    }
    assert_eq!(
        fold(sum16(pseudo(src, dst, proto, l4.len()), l4)),
        0,
        "{what}: L4 checksum"
    );
}

/// The bucket the ingress program computes: CRC-32 (IEEE, reflected) of source, destination,
/// protocol, source port, destination port, modulo the program's bucket count.
fn bucket(f: Flow, buckets: u32) -> u32 {
    let mut bytes = ip_bytes(f.src);
    bytes.extend(ip_bytes(f.dst));
    bytes.push(f.proto);
    bytes.extend(f.sport.to_be_bytes());
    bytes.extend(f.dport.to_be_bytes());
    let mut crc = 0xffff_ffffu32;
    for b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc % buckets
}

fn send(sw: &mut Switch, port: u16, data: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Output::default();
    sw.process(port, data, 0, &mut out, None);
    out.packets()
        .iter()
        .map(|p| (p.port, p.data.clone()))
        .collect()
}

fn counter(sw: &Switch, name: &str, index: u64) -> u64 {
    let full = sw
        .pipeline()
        .externs
        .iter()
        .map(|(_, e)| e.name.clone())
        .find(|n| n == name || n.ends_with(&format!(".{name}")))
        .unwrap_or_else(|| panic!("no counter {name}"));
    sw.counter(&full, index).expect("counter").packets
}

fn vip_index(policy: &Policy, name: &str) -> u64 {
    policy
        .vips
        .iter()
        .position(|(_, v)| v.name == name)
        .expect("vip") as u64
}

/// One client flow through all three roles of `policy_file`, for the VIP `vip`: asserts every
/// hop's exact bytes and checksums, and returns the servers that the flows picked.
fn request_and_response(
    policy: &Policy,
    out: &compile::Output,
    vip: &str,
    clients: &[Flow],
) -> std::collections::BTreeSet<String> {
    let (_, v) = policy.vips.iter().find(|(_, v)| v.name == vip).unwrap();
    let v6 = v.address.is_ipv6();
    let ingress_name = first_host(policy, Role::Ingress);
    let egress_name = first_host(policy, Role::Egress);
    let egress_addr = host_addr(policy, &egress_name, v6);
    let mut ingress = switch(out, &ingress_name);
    let mut egress = switch(out, &egress_name);
    let mut servers = std::collections::BTreeSet::new();
    for (i, &c) in clients.iter().enumerate() {
        assert_eq!((c.dst, c.dport), (v.address, v.port));
        let request = frame(c, false);
        // Ingress: the reference evaluator names the server for this flow's bucket.
        let b = bucket(c, out.plan.buckets);
        let rp = reference::Packet {
            src: c.src,
            dst: c.dst,
            protocol: c.proto,
            src_port: c.sport,
            dst_port: c.dport,
        };
        let answer = reference::evaluate(policy, &out.plan.maglev, &rp, b).expect("a VIP packet");
        let server = policy.hosts[answer.backend].name.clone();
        let server_addr = host_addr(policy, &server, v6);
        let to_server = Flow {
            dst: server_addr,
            dport: v.service_port,
            ..c
        };
        let got = send(&mut ingress, 3, &request);
        assert_eq!(
            got,
            vec![(1, frame(to_server, false))],
            "ingress, flow {i} (bucket {b}, server {server})"
        );
        assert_checksums(&got[0].1, "ingress output");
        servers.insert(server.clone());

        // Server: the fabric port (0) delivers C:cp -> V:vp to the host port (1) when the ACL
        // allows; the response V:vp -> C:cp from the host goes to the egress host's service port.
        let mut nic = switch(out, &server);
        let got = send(&mut nic, 0, &frame(to_server, false));
        if !answer.allowed {
            assert_eq!(got, vec![], "server {server} must drop flow {i}");
            continue;
        }
        assert_eq!(got, vec![(1, frame(c, false))], "server request, flow {i}");
        assert_checksums(&got[0].1, "server request output");
        let response = Flow {
            src: c.dst,
            dst: c.src,
            proto: c.proto,
            sport: c.dport,
            dport: c.sport,
        };
        let to_egress = Flow {
            src: c.src,
            dst: egress_addr,
            proto: c.proto,
            sport: c.sport,
            dport: v.service_port,
        };
        let got = send(&mut nic, 1, &frame(response, false));
        assert_eq!(
            got,
            vec![(0, frame(to_egress, false))],
            "server response, flow {i}"
        );
        assert_checksums(&got[0].1, "server response output");

        // Egress: E:sp names the VIP; the client comes from the source fields.
        let got = send(&mut egress, 2, &frame(to_egress, false));
        assert_eq!(got, vec![(1, frame(response, false))], "egress, flow {i}");
        assert_checksums(&got[0].1, "egress output");
    }
    let vi = vip_index(policy, vip);
    assert_eq!(counter(&ingress, "vip_packets", vi), clients.len() as u64);
    servers
}

fn tcp4(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16) -> Flow {
    Flow {
        src: IpAddr::from(src),
        dst: IpAddr::from(dst),
        proto: 6,
        sport,
        dport,
    }
}

#[test]
fn web_tcp_ipv4_request_response_across_servers() {
    let (policy, out) = policy("web.yaml");
    let clients: Vec<Flow> = (0..24)
        .map(|i| {
            tcp4(
                [198, 51, 100, 7 + (i % 3) as u8],
                20_000 + i * 7,
                [203, 0, 113, 10],
                443,
            )
        })
        .collect();
    let servers = request_and_response(policy, out, "web-https", &clients);
    assert!(
        servers.len() >= 2,
        "24 flows should reach several servers, reached {servers:?}"
    );
}

#[test]
fn web_acl_allows_office_and_denies_others_with_counters() {
    let (policy, out) = policy("web.yaml");
    let server = "srv-a";
    let s = host_addr(policy, server, false);
    let vi = vip_index(policy, "web-https");
    let mut nic = switch(out, server);
    let at_server = |src: [u8; 4], sport: u16| Flow {
        src: IpAddr::from(src),
        dst: s,
        proto: 6,
        sport,
        dport: 40001,
    };
    // Allowed: office network, unprivileged port, on every server.
    let ok = at_server([198, 51, 100, 200], 5555);
    let delivered = Flow {
        dst: IpAddr::from([203, 0, 113, 10]),
        dport: 443,
        ..ok
    };
    assert_eq!(
        send(&mut nic, 0, &frame(ok, false)),
        vec![(1, frame(delivered, false))]
    );
    // Denied by the default: outside 198.51.100.0/22; and a privileged source port from the
    // office (the rule needs 1024-65535), also the default.
    assert_eq!(
        send(&mut nic, 0, &frame(at_server([192, 0, 2, 99], 5555), false)),
        vec![]
    );
    assert_eq!(
        send(&mut nic, 0, &frame(at_server([198, 51, 103, 1], 80), false)),
        vec![]
    );
    // 198.51.104.1 is just past the /22.
    assert_eq!(
        send(
            &mut nic,
            0,
            &frame(at_server([198, 51, 104, 1], 5555), false)
        ),
        vec![]
    );
    assert_eq!(counter(&nic, "acl_misses", vi), 3);
    let rule_hits: u64 = (0..out.plan.ids.rules.len() as u64)
        .map(|r| counter(&nic, "acl_packets", r))
        .sum();
    assert_eq!(rule_hits, 1);
    assert_eq!(counter(&nic, "request_packets", vi), 4);
    // Not for a VIP (another destination port): passes through unchanged.
    let other = Flow {
        dport: 22,
        ..at_server([192, 0, 2, 99], 5555)
    };
    assert_eq!(
        send(&mut nic, 0, &frame(other, false)),
        vec![(1, frame(other, false))]
    );
}

#[test]
fn multi_tenant_udp_ipv4_and_tcp_ipv6() {
    let (policy, out) = policy("multi-tenant.yaml");
    // UDP to the DNS VIP from the resolvers' network (allowed) and from elsewhere (denied by
    // the default; 198.51.100.77 is the blocked scanner).
    let dns: Vec<Flow> = [
        ([198, 51, 100, 10], 33_000),
        ([198, 51, 100, 11], 33_001),
        ([203, 0, 113, 99], 40_000),
        ([198, 51, 100, 77], 33_002),
        ([192, 0, 2, 200], 33_003),
    ]
    .iter()
    .map(|&(src, sport)| Flow {
        proto: 17,
        ..tcp4(src, sport, [203, 0, 113, 53], 53)
    })
    .collect();
    request_and_response(policy, out, "shop-dns", &dns);
    // TCP over IPv6 to the media VIP (ACL default allow, one embargoed prefix denied).
    let media: Vec<Flow> = (0..12u16)
        .map(|i| Flow {
            src: format!("2001:db8:{}::{}", if i == 5 { "bad" } else { "77" }, i + 1)
                .parse()
                .unwrap(),
            dst: "2001:db8:cafe::10".parse().unwrap(),
            proto: 6,
            sport: 30_000 + i,
            dport: 443,
        })
        .collect();
    let servers = request_and_response(policy, out, "media", &media);
    assert!(servers.len() == 2, "both media servers used: {servers:?}");
}

#[test]
fn udp_without_checksum_keeps_zero() {
    let (policy, out) = policy("multi-tenant.yaml");
    let ingress_name = first_host(policy, Role::Ingress);
    let mut ingress = switch(out, &ingress_name);
    let c = Flow {
        proto: 17,
        ..tcp4([198, 51, 100, 10], 33_000, [203, 0, 113, 53], 53)
    };
    let got = send(&mut ingress, 3, &frame(c, true));
    assert_eq!(got.len(), 1);
    let p = &got[0].1;
    assert_eq!(&p[40..42], &[0, 0], "UDP checksum 0 stays 0");
    assert_eq!(u16::from_be_bytes([p[36], p[37]]), 41053, "service port");
    assert_checksums(p, "ingress output");
}

#[test]
fn corrupted_ipv4_header_is_dropped_by_every_role() {
    let (policy, out) = policy("web.yaml");
    let mut bad = frame(tcp4([198, 51, 100, 7], 5555, [203, 0, 113, 10], 443), false);
    bad[24] ^= 0x01;
    for role in [Role::Ingress, Role::Server, Role::Egress] {
        let name = first_host(policy, role);
        let mut sw = switch(out, &name);
        assert_eq!(
            send(&mut sw, 0, &bad),
            vec![],
            "{name} forwarded a bad header"
        );
    }
}

//! The code compiled at load (`ddsr_softswitch::code`) against the IR interpreter, the oracle:
//! the same programs, entries and packets through a compiled and an interpreted switch must
//! give identical outputs (ports, bytes, drops with reasons, digests, logs), identical counters
//! and statistics. Programs: the three DSR role programs of `policies/web.yaml` with all their
//! entries, and the hand-built router and load balancer; packets: well-formed flows to every
//! VIP, server and host address with every relevant port, and the same packets with random
//! bytes changed or cut short, so parser errors, checksum errors and misses are covered too.

mod common;

use std::net::IpAddr;
use std::path::Path;

use ddsr_diag::SourceMap;
use ddsr_pipeline::entry::{ActionCall, EntryAction, FieldMatch, TableEntry};
use ddsr_softswitch::programs::router;
use ddsr_softswitch::{Output, Switch};

/// A deterministic xorshift generator, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Ethernet + IPv4 or IPv6 + TCP/UDP, checksums valid.
fn frame(src: IpAddr, dst: IpAddr, proto: u8, sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let l4_len = if proto == 6 { 20 } else { 8 } + payload.len();
    let mut p = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
    let (l3, pseudo) = match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            p.extend_from_slice(&[0x08, 0x00]);
            let total = 20 + l4_len;
            let mut h = vec![
                0x45,
                0,
                (total >> 8) as u8,
                total as u8,
                0,
                1,
                0,
                0,
                64,
                proto,
                0,
                0,
            ];
            h.extend_from_slice(&s.octets());
            h.extend_from_slice(&d.octets());
            let c = common::inet_checksum(&h);
            h[10..12].copy_from_slice(&c.to_be_bytes());
            let mut ps = s.octets().to_vec();
            ps.extend_from_slice(&d.octets());
            ps.extend_from_slice(&[0, proto, (l4_len >> 8) as u8, l4_len as u8]);
            (h, ps)
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            p.extend_from_slice(&[0x86, 0xdd]);
            let mut h = vec![0x60, 0, 0, 0, (l4_len >> 8) as u8, l4_len as u8, proto, 64];
            h.extend_from_slice(&s.octets());
            h.extend_from_slice(&d.octets());
            let mut ps = s.octets().to_vec();
            ps.extend_from_slice(&d.octets());
            ps.extend_from_slice(&[0, 0, (l4_len >> 8) as u8, l4_len as u8, 0, 0, 0, proto]);
            (h, ps)
        }
        _ => unreachable!("one family per frame"),
    };
    p.extend_from_slice(&l3);
    let mut l4 = Vec::new();
    l4.extend_from_slice(&sport.to_be_bytes());
    l4.extend_from_slice(&dport.to_be_bytes());
    if proto == 6 {
        l4.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
    } else {
        l4.extend_from_slice(&[(l4_len >> 8) as u8, l4_len as u8, 0, 0]);
    }
    l4.extend_from_slice(payload);
    let mut sum = pseudo;
    sum.extend_from_slice(&l4);
    let c = common::inet_checksum(&sum);
    let at = if proto == 6 { 16 } else { 6 };
    l4[at..at + 2].copy_from_slice(&c.to_be_bytes());
    p.extend_from_slice(&l4);
    p
}

/// Runs every packet through both switches and compares everything they produce; returns the
/// number of packets sent.
fn agree(
    name: &str,
    fast: &mut Switch,
    slow: &mut Switch,
    packets: &[Vec<u8>],
    rng: &mut Rng,
) -> usize {
    let (mut a, mut b) = (Output::default(), Output::default());
    let mut sent = 0;
    for (i, p) in packets.iter().enumerate() {
        let mut p = p.clone();
        // Two of three packets are mutated: a few random bytes, sometimes cut short.
        if i % 3 != 0 && !p.is_empty() {
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(p.len());
                p[at] = rng.next() as u8;
            }
            if rng.below(4) == 0 {
                p.truncate(rng.below(p.len() + 1));
            }
        }
        let port = 1 + rng.below(4) as u16;
        a.clear();
        b.clear();
        fast.process(port, &p, i as u64 * 1000, &mut a, None);
        slow.process(port, &p, i as u64 * 1000, &mut b, None);
        assert_eq!(a.packets(), b.packets(), "{name}: packet {i} {p:02x?}");
        assert_eq!(a.drops, b.drops, "{name}: drops of packet {i}");
        assert_eq!(a.digests, b.digests, "{name}: digests of packet {i}");
        assert_eq!(a.logs, b.logs, "{name}: logs of packet {i}");
        sent += a.packets().len();
    }
    assert_eq!(
        format!("{:?}", fast.stats),
        format!("{:?}", slow.stats),
        "{name}: statistics"
    );
    for (_, e) in fast.pipeline().externs.iter() {
        for i in 0..64 {
            if let Ok(c) = fast.counter(&e.name, i) {
                assert_eq!(Ok(c), slow.counter(&e.name, i), "{name}: {}[{i}]", e.name);
            }
        }
    }
    sent
}

#[test]
fn role_programs_compiled_agree_with_the_interpreter() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/web.yaml");
    let mut sources = SourceMap::new();
    let (policy, diags) = ddsr_policy::check_file(&mut sources, &path);
    let policy = policy.unwrap_or_else(|| panic!("web.yaml: {diags:?}"));
    let out = ddsr_tables::compile::compile(&policy, &Default::default())
        .unwrap_or_else(|d| panic!("compile: {d:?}"));
    // Destinations: VIPs on their ports, servers on the service ports, hosts on other ports.
    let mut dsts: Vec<(IpAddr, u8, u16)> = Vec::new();
    for (_, v) in policy.vips.iter() {
        let proto = v.protocol.protocol().number().unwrap_or(6);
        dsts.push((v.address, proto, v.port));
        for (_, h) in policy.hosts.iter() {
            for a in [h.ipv4.map(IpAddr::V4), h.ipv6.map(IpAddr::V6)]
                .into_iter()
                .flatten()
            {
                if a.is_ipv4() == v.address.is_ipv4() {
                    dsts.push((a, proto, v.service_port));
                    dsts.push((a, 17 - proto + 6, 9));
                }
            }
        }
    }
    let mut rng = Rng(0x00c0_ffee_1234_5678);
    let mut packets = Vec::new();
    for i in 0..1500u32 {
        let (dst, proto, dport) = dsts[rng.below(dsts.len())];
        let src = match dst {
            IpAddr::V4(_) => IpAddr::V4([198, 51, (i >> 8) as u8, i as u8].into()),
            IpAddr::V6(_) => IpAddr::V6([0x2001, 0xdb8, 0, 0, 0, 0, i as u16, 1].into()),
        };
        let sport = if rng.below(8) == 0 {
            22
        } else {
            1024 + i as u16
        };
        packets.push(frame(src, dst, proto, sport, dport, b"payload!"));
    }
    let mut hosts = 0;
    for h in &out.hosts {
        let mut fast = Switch::new((*h.pipeline).clone()).expect("role program loads");
        let mut slow = Switch::new((*h.pipeline).clone()).expect("role program loads");
        slow.set_interpreted(true);
        for e in &h.entries {
            fast.insert(e.clone()).expect("entry");
            slow.insert(e.clone()).expect("entry");
        }
        let sent = agree(&h.plan.name, &mut fast, &mut slow, &packets, &mut rng);
        assert!(
            sent > 0,
            "{}: some packets must leave the switch",
            h.plan.name
        );
        hosts += 1;
    }
    assert!(hosts >= 3, "web.yaml has ingress, server and egress hosts");
}

#[test]
fn router_compiled_agrees_with_the_interpreter() {
    let p = router();
    let mut fast = Switch::new(p.clone()).expect("router loads");
    let mut slow = Switch::new(p.clone()).expect("router loads");
    slow.set_interpreted(true);
    let lpm = p.table_by_name("MyIngress.ipv4_lpm").expect("route table");
    let fwd = p
        .action_by_name("MyIngress.set_nhop")
        .expect("next-hop action");
    for i in 0..64u8 {
        let e = TableEntry {
            table: lpm,
            matches: vec![FieldMatch::Lpm {
                value: vec![10, i, 0, 0],
                prefix_len: 16,
            }],
            priority: 0,
            action: EntryAction::Action(ActionCall {
                action: fwd,
                args: vec![vec![2, 0, 0, 0, 0, i], vec![0, 1 + i % 4]],
            }),
        };
        fast.insert(e.clone()).expect("route");
        slow.insert(e).expect("route");
    }
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let packets: Vec<Vec<u8>> = (0..2000u32)
        .map(|i| {
            let dst = IpAddr::V4([10, (i % 80) as u8, 1, i as u8].into());
            let src = IpAddr::V4([192, 168, 1, i as u8].into());
            let proto = if i % 2 == 0 { 6 } else { 17 };
            frame(src, dst, proto, 1000 + i as u16, 80, &[i as u8; 5])
        })
        .collect();
    assert!(agree("router", &mut fast, &mut slow, &packets, &mut rng) > 0);
}

/// Every STF corpus program (`tests/stf/<topic>/program.p4`), in the state each of its STF
/// files leaves it in (entries, members, registers, sessions), fed that file's packets again,
/// intact and mutated: stacks, unions, varbits, lookahead, the arithmetic corner cases and
/// every extern go through both paths.
#[test]
fn stf_programs_compiled_agree_with_the_interpreter() {
    use ddsr_p4::syntax::{Options, parse_file};
    use ddsr_softswitch::stf;

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/stf");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("corpus")
        .map(|d| d.expect("entry").path())
        .filter(|d| d.join("program.p4").exists())
        .collect();
    dirs.sort();
    let mut rng = Rng(0x5eed_0fc0_de00_0001);
    let (mut files, mut sent) = (0, 0);
    for dir in dirs {
        let parsed = parse_file(&dir.join("program.p4"), &Options::default());
        assert!(parsed.diagnostics.is_empty(), "{}", dir.display());
        let p = ddsr_p4::p4info::compile(&parsed.program, "program")
            .unwrap_or_else(|_| panic!("{} compiles", dir.display()))
            .lowered
            .pipeline;
        let mut stfs: Vec<_> = std::fs::read_dir(&dir)
            .expect("topic")
            .map(|f| f.expect("entry").path())
            .filter(|f| f.extension().is_some_and(|e| e == "stf"))
            .collect();
        stfs.sort();
        for f in stfs {
            let text = std::fs::read_to_string(&f).expect("stf");
            let cmds = stf::parse(&text).unwrap_or_else(|e| panic!("{e:?}"));
            let mut fast = Switch::new(p.clone()).expect("loads");
            let mut slow = Switch::new(p.clone()).expect("loads");
            slow.set_interpreted(true);
            stf::run(&mut fast, &cmds);
            stf::run(&mut slow, &cmds);
            let packets: Vec<Vec<u8>> = text
                .lines()
                .filter_map(|l| l.trim().strip_prefix("packet "))
                .filter_map(|rest| {
                    let hex: String = rest
                        .split_whitespace()
                        .skip(1)
                        .collect::<String>()
                        .chars()
                        .filter(|c| c.is_ascii_hexdigit())
                        .collect();
                    (0..hex.len() / 2)
                        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
                        .collect()
                })
                .collect();
            let name = f.display().to_string();
            for _ in 0..4 {
                sent += agree(&name, &mut fast, &mut slow, &packets, &mut rng);
            }
            files += 1;
        }
    }
    assert!(
        files >= 60,
        "the corpus has at least 60 STF files on P4 programs"
    );
    assert!(sent > 0, "corpus packets leave the switch");
}

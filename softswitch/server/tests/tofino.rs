//! Tofino hosts run on the softswitch: `policies/tofino.yaml` compiled, and each Tofino host's
//! `pipeline.json` (the TNA program lowered) loaded with its `p4info.txtpb` and
//! `entries.txtpb` artifacts exactly as `ddsr softswitch run --pipeline --p4info --entries`
//! loads them; the switch runs them through its TNA mapping.
//!
//! ```text
//!  client C:cp ──port 3──> tor-in ──port 1 (C:cp -> S:40443)──> nic-a/nic-b port 0 ──> port 1
//!                                                                (C:cp -> V:443, ACL)
//!  client <──(V:443 -> C:cp)── tor-out <──(C:cp -> E:40443)── nic port 0 <── port 1 (V -> C)
//! ```
//!
//! The chosen server comes from the policy's reference evaluator and must be the one
//! `ddsr explain` names; expected frames are built here from scratch, with checksums computed
//! by this file, never by the switch. A last test pushes a Tofino host's artifacts to the
//! P4Runtime server and reads its entries back.

mod common;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::OnceLock;

use ddsr_pipeline::Pipeline;
use ddsr_pipeline::program::Architecture;
use ddsr_policy::Policy;
use ddsr_proto::p4::config::v1 as p4i;
use ddsr_softswitch::{Output, Switch};
use ddsr_softswitch_server::{apply_write_request, parse_write_request};
use ddsr_tables::compile::{Output as Compiled, compile};
use ddsr_tables::{explain, reference};

const CLIENT_MAC: [u8; 6] = [2, 0, 0, 0, 0, 1];
const HOST_MAC: [u8; 6] = [2, 0, 0, 0, 0, 2];
const PAYLOAD: &[u8] = b"GET / HTTP/1.1\r\n\r\n";
const VIP: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 20);
const SERVICE_PORT: u16 = 40443;

struct Rack {
    policy: Policy,
    out: Compiled,
    files: HashMap<String, String>,
}

fn rack() -> &'static Rack {
    static RACK: OnceLock<Rack> = OnceLock::new();
    RACK.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/tofino.yaml");
        let mut sources = ddsr_diag::SourceMap::new();
        let (policy, diags) = ddsr_policy::check_file(&mut sources, &path);
        let policy = policy.unwrap_or_else(|| panic!("tofino.yaml checks: {diags:?}"));
        let out = compile(&policy, &Default::default()).expect("tofino.yaml compiles");
        let files = out
            .artifacts("")
            .into_iter()
            .map(|a| (a.path, String::from_utf8(a.bytes).unwrap()))
            .collect();
        Rack { policy, out, files }
    })
}

impl Rack {
    fn file(&self, host: &str, name: &str) -> &str {
        let path = format!("{host}/{name}");
        self.files
            .get(&path)
            .unwrap_or_else(|| panic!("no artifact {path}"))
    }

    fn p4info(&self, host: &str) -> p4i::P4Info {
        ddsr_proto::text::from_text(self.file(host, "p4info.txtpb")).unwrap()
    }

    /// A switch running `host`'s `pipeline.json` with its `entries.txtpb` written.
    fn switch(&self, host: &str) -> Switch {
        let p = Pipeline::from_json(self.file(host, "pipeline.json"))
            .unwrap_or_else(|e| panic!("{host}/pipeline.json: {e}"));
        assert_eq!(p.architecture(), Architecture::Tna, "{host}");
        let mut sw = Switch::new(p).unwrap_or_else(|e| panic!("{host}: {e}"));
        let req = parse_write_request(self.file(host, "entries.txtpb")).unwrap();
        let n = apply_write_request(&mut sw, &self.p4info(host), &req)
            .unwrap_or_else(|e| panic!("{host}/entries.txtpb: {e}"));
        assert_eq!(n, req.updates.len(), "{host}");
        assert!(n > 0, "{host}");
        sw
    }

    fn addr(&self, host: &str) -> Ipv4Addr {
        let (_, h) = self
            .policy
            .hosts
            .iter()
            .find(|(_, h)| h.name == host)
            .unwrap();
        h.ipv4.unwrap()
    }

    fn buckets(&self, host: &str) -> u32 {
        let h = self.out.hosts.iter().find(|h| h.plan.name == host).unwrap();
        h.plan.buckets
    }
}

// ----- an independent IPv4/TCP writer and checksum -----

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

fn pseudo(src: Ipv4Addr, dst: Ipv4Addr, len: usize) -> u32 {
    let acc = sum16(sum16(0, &src.octets()), &dst.octets());
    acc + 6 + len as u32
}

#[derive(Clone, Copy, Debug)]
struct Flow {
    src: Ipv4Addr,
    sport: u16,
    dst: Ipv4Addr,
    dport: u16,
}

/// Ethernet (`dst_mac`, `src_mac`) + IPv4 + TCP + payload with correct checksums.
fn frame_macs(f: Flow, dst_mac: [u8; 6], src_mac: [u8; 6]) -> Vec<u8> {
    let mut tcp = Vec::new();
    tcp.extend(f.sport.to_be_bytes());
    tcp.extend(f.dport.to_be_bytes());
    tcp.extend([
        0, 0, 0x12, 0x34, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0,
    ]);
    tcp.extend(PAYLOAD);
    let c = fold(sum16(pseudo(f.src, f.dst, tcp.len()), &tcp));
    tcp[16..18].copy_from_slice(&c.to_be_bytes());
    let mut ip = vec![0x45, 0];
    ip.extend(((20 + tcp.len()) as u16).to_be_bytes());
    ip.extend([0xab, 0xcd, 0x40, 0x00, 64, 6, 0, 0]);
    ip.extend(f.src.octets());
    ip.extend(f.dst.octets());
    let c = fold(sum16(0, &ip));
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    let mut p = Vec::new();
    p.extend(dst_mac);
    p.extend(src_mac);
    p.extend([0x08, 0x00]);
    p.extend(ip);
    p.extend(tcp);
    p
}

fn frame(f: Flow) -> Vec<u8> {
    frame_macs(f, HOST_MAC, CLIENT_MAC)
}

/// The IPv4 header checksum and the TCP checksum of `p`, verified from scratch.
fn assert_checksums(p: &[u8], what: &str) {
    assert_eq!(&p[12..14], &[0x08, 0x00], "{what}: IPv4");
    let ip = &p[14..34];
    assert_eq!(fold(sum16(0, ip)), 0, "{what}: IPv4 header checksum");
    let s = Ipv4Addr::from(<[u8; 4]>::try_from(&ip[12..16]).unwrap());
    let d = Ipv4Addr::from(<[u8; 4]>::try_from(&ip[16..20]).unwrap());
    let tcp = &p[34..];
    assert_eq!(
        fold(sum16(pseudo(s, d, tcp.len()), tcp)),
        0,
        "{what}: TCP checksum"
    );
}

/// CRC-32 (IEEE, reflected) of the 5-tuple; a Tofino ingress host takes its low bits.
fn crc32(f: Flow) -> u32 {
    let mut bytes = f.src.octets().to_vec();
    bytes.extend(f.dst.octets());
    bytes.push(6);
    bytes.extend(f.sport.to_be_bytes());
    bytes.extend(f.dport.to_be_bytes());
    let mut crc = u32::MAX;
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
    !crc
}

fn packet(f: Flow) -> reference::Packet {
    reference::Packet {
        src: IpAddr::V4(f.src),
        dst: IpAddr::V4(f.dst),
        protocol: 6,
        src_port: f.sport,
        dst_port: f.dport,
    }
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

/// Clients: partners (203.0.113.0/26, ports 1024-5000), office (198.51.100.128/25, any port),
/// and clients the ACL denies.
fn clients() -> Vec<Flow> {
    let mut v = Vec::new();
    for i in 0..48u16 {
        let src = match i % 4 {
            0 | 1 => Ipv4Addr::new(203, 0, 113, 1 + (i % 60) as u8),
            2 => Ipv4Addr::new(198, 51, 100, 130 + (i % 100) as u8),
            _ => Ipv4Addr::new(192, 0, 2, 200 + (i % 50) as u8),
        };
        v.push(Flow {
            src,
            sport: 1024 + i * 83,
            dst: VIP,
            dport: 443,
        });
    }
    v
}

/// The Tofino ingress host sends each flow to the server the reference evaluator picks for
/// its bucket (the low 10 bits of the CRC-32: 1021 slots over 1024 buckets), which is the one
/// `ddsr explain` names: destination rewritten to that server's service port, client source
/// kept, both checksums valid.
#[test]
fn tofino_ingress_picks_the_reference_backend() {
    let r = rack();
    let buckets = r.buckets("tor-in");
    assert_eq!(buckets, 1024);
    let mut sw = r.switch("tor-in");
    let mut servers = std::collections::BTreeSet::new();
    for (i, c) in clients().into_iter().enumerate() {
        let b = crc32(c) % buckets;
        assert_eq!(b, explain::bucket(&packet(c), buckets), "flow {i}");
        let answer =
            reference::evaluate(&r.policy, &r.out.plan.maglev, &packet(c), b).expect("a VIP");
        let server = r.policy.hosts[answer.backend].name.clone();
        let said = explain::explain(&r.policy, &r.out, &packet(c), None);
        assert!(
            said.contains(&format!("`{server}`")),
            "flow {i}: explain does not name {server}:\n{said}"
        );
        let to_server = Flow {
            dst: r.addr(&server),
            dport: SERVICE_PORT,
            ..c
        };
        let got = send(&mut sw, 3, &frame(c));
        assert_eq!(
            got,
            vec![(1, frame(to_server))],
            "flow {i} {c:?}: bucket {b}, server {server}"
        );
        assert_checksums(&got[0].1, "ingress output");
        servers.insert(server);
    }
    assert_eq!(servers.len(), 3, "48 flows reach every server: {servers:?}");
    assert_eq!(counter(&sw, "vip_packets", 0), 48);
    // Not a VIP: routed unchanged to the default port.
    let other = Flow {
        src: Ipv4Addr::new(203, 0, 113, 5),
        sport: 2000,
        dst: Ipv4Addr::new(203, 0, 113, 21),
        dport: 443,
    };
    assert_eq!(send(&mut sw, 3, &frame(other)), vec![(1, frame(other))]);
}

/// A Tofino server NIC applies the ternary ACL as the reference does: allowed requests reach
/// the host port as C:cp -> V:443 and their responses go to the egress host's service port;
/// denied ones are dropped and counted, by rule or as misses. The Tofino egress host then
/// gives the client the VIP as source.
#[test]
fn tofino_servers_apply_the_ternary_acl_and_tofino_egress_answers_as_the_vip() {
    let r = rack();
    let egress = r.addr("tor-out");
    let mut tor_out = r.switch("tor-out");
    for server in ["nic-a", "nic-b"] {
        let mut sw = r.switch(server);
        let s = r.addr(server);
        let points = [
            // partners: TCP from 203.0.113.0/26 with ports 1024-5000 or 32768-60999
            (Ipv4Addr::new(203, 0, 113, 5), 2000),
            (Ipv4Addr::new(203, 0, 113, 63), 5000),
            (Ipv4Addr::new(203, 0, 113, 63), 5001),
            (Ipv4Addr::new(203, 0, 113, 9), 32768),
            (Ipv4Addr::new(203, 0, 113, 9), 61000),
            (Ipv4Addr::new(203, 0, 113, 64), 2000),
            // blocked host, privileged ports, office
            (Ipv4Addr::new(198, 51, 100, 66), 2000),
            (Ipv4Addr::new(198, 51, 100, 129), 80),
            (Ipv4Addr::new(198, 51, 100, 129), 8080),
            (Ipv4Addr::new(198, 51, 100, 20), 4000),
            (Ipv4Addr::new(198, 51, 100, 20), 20000),
            (Ipv4Addr::new(192, 0, 2, 99), 2000),
        ];
        let (mut allowed, mut denied) = (0, 0);
        for (i, &(src, sport)) in points.iter().enumerate() {
            let c = Flow {
                src,
                sport,
                dst: VIP,
                dport: 443,
            };
            let answer =
                reference::evaluate(&r.policy, &r.out.plan.maglev, &packet(c), 0).expect("a VIP");
            let at_server = Flow {
                dst: s,
                dport: SERVICE_PORT,
                ..c
            };
            let got = send(&mut sw, 0, &frame(at_server));
            if !answer.allowed {
                assert_eq!(got, vec![], "{server}: point {i} {c:?} must be dropped");
                denied += 1;
                continue;
            }
            allowed += 1;
            assert_eq!(got, vec![(1, frame(c))], "{server}: point {i} {c:?}");
            assert_checksums(&got[0].1, "server request");
            let response = Flow {
                src: VIP,
                sport: 443,
                dst: src,
                dport: sport,
            };
            let to_egress = Flow {
                src,
                sport,
                dst: egress,
                dport: SERVICE_PORT,
            };
            let got = send(&mut sw, 1, &frame(response));
            assert_eq!(got, vec![(0, frame(to_egress))], "{server}: response {i}");
            assert_checksums(&got[0].1, "server response");
            // The egress host: 198.51.100.0/22 is routed to port 4 via 02:00:00:00:0c:01,
            // everything else leaves by the default port unchanged but for the addresses.
            let got = send(&mut tor_out, 2, &frame(to_egress));
            assert_eq!(got.len(), 1, "egress, point {i}: {got:?}");
            let routed = src.octets()[..2] == [198, 51] && (src.octets()[2] & 0xfc) == 100;
            let (port, frame_out) = &got[0];
            assert_checksums(frame_out, "egress output");
            if routed {
                assert_eq!(*port, 4, "egress, point {i}");
                assert_eq!(&frame_out[..6], &[2, 0, 0, 0, 0x0c, 1], "next-hop MAC");
                assert_eq!(
                    &frame_out[12..],
                    &frame(response)[12..],
                    "egress, point {i}"
                );
            } else {
                assert_eq!(
                    got,
                    vec![(1, frame(response))],
                    "egress, point {i} (default port)"
                );
            }
        }
        assert_eq!((allowed, denied), (5, 7), "{server}");
        let rule_hits: u64 = (0..r.out.plan.ids.rules.len() as u64)
            .map(|i| counter(&sw, "acl_packets", i))
            .sum();
        let misses = counter(&sw, "acl_misses", 0);
        // Decided by rules (allowed ones included) or by the default (denied, counted as misses).
        assert_eq!(rule_hits + misses, points.len() as u64, "{server}");
        assert!(
            misses > 0 && rule_hits > 0,
            "{server}: {rule_hits} {misses}"
        );
    }
}

/// `e` with every byte string in canonical form (what a P4Runtime server reads back; the
/// compiler writes full-width values, which servers must accept).
fn canonical(e: &ddsr_proto::p4::v1::Entity) -> ddsr_proto::p4::v1::Entity {
    use ddsr_proto::bytestring::canonical as c;
    use ddsr_proto::p4::v1::{entity::Entity as E, field_match::FieldMatchType as F, table_action};
    let mut e = e.clone();
    let Some(E::TableEntry(t)) = &mut e.entity else {
        panic!("not a table entry: {e:?}");
    };
    for m in &mut t.r#match {
        match m.field_match_type.as_mut().unwrap() {
            F::Exact(x) => x.value = c(&x.value).to_vec(),
            F::Lpm(x) => x.value = c(&x.value).to_vec(),
            F::Ternary(x) => {
                x.value = c(&x.value).to_vec();
                x.mask = c(&x.mask).to_vec();
            }
            F::Range(x) => {
                x.low = c(&x.low).to_vec();
                x.high = c(&x.high).to_vec();
            }
            F::Optional(x) => x.value = c(&x.value).to_vec(),
            other => panic!("{other:?}"),
        }
    }
    if let Some(table_action::Type::Action(a)) = t.action.as_mut().and_then(|a| a.r#type.as_mut()) {
        for p in &mut a.params {
            p.value = c(&p.value).to_vec();
        }
    }
    e
}

/// A Tofino host's artifacts through P4Runtime: `pipeline.json` and `p4info.txtpb` set as the
/// forwarding pipeline, `entries.txtpb` written, every table read back equal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tofino_host_is_programmed_over_p4runtime_and_reads_back_equal() {
    use ddsr_proto::p4::v1;
    use v1::set_forwarding_pipeline_config_request::Action as Set;

    let r = rack();
    let (_service, address) = common::start(None).await;
    let mut c = common::Client::connect(&address, 1).await;
    c.arbitration().await;
    for host in ["tor-in", "nic-a", "tor-out"] {
        let info = r.p4info(host);
        c.set_pipeline(
            Set::VerifyAndCommit,
            Some(common::config(r.file(host, "pipeline.json"), &info, 7)),
        )
        .await
        .unwrap_or_else(|e| panic!("{host}: {e:?}"));
        let req = parse_write_request(r.file(host, "entries.txtpb")).unwrap();
        let written: Vec<v1::Entity> = req
            .updates
            .iter()
            .map(|u| u.entity.clone().unwrap())
            .collect();
        c.write(v1::write_request::Atomicity::ContinueOnError, req.updates)
            .await
            .unwrap_or_else(|e| panic!("{host}: {e:?}"));
        let read = c
            .read(common::table_entity(v1::TableEntry::default()))
            .await
            .unwrap();
        let sorted = |v: &[v1::Entity]| {
            let mut b: Vec<String> = v
                .iter()
                .map(|e| ddsr_proto::text::to_text(&canonical(e)).unwrap())
                .collect();
            b.sort();
            b
        };
        assert_eq!(read.len(), written.len(), "{host}");
        let (read, written) = (sorted(&read), sorted(&written));
        for (r, w) in read.iter().zip(&written) {
            assert_eq!(r, w, "{host}: read back differs from written");
        }
    }
}

/// A TNA program the softswitch's mapping cannot run (it emits headers in egress) is refused
/// by SetForwardingPipelineConfig as unimplemented, naming what is unsupported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tna_pipeline_the_mapping_cannot_run_is_refused_naming_why() {
    use ddsr_proto::p4::v1::set_forwarding_pipeline_config_request::Action as Set;

    let (json, info) = common::compile(&common::manifest(
        "../../compiler/tests/p4/tna/01_tna_resources.p4",
    ));
    let (_service, address) = common::start(None).await;
    let mut c = common::Client::connect(&address, 1).await;
    c.arbitration().await;
    let err = c
        .set_pipeline(Set::VerifyAndCommit, Some(common::config(&json, &info, 1)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unimplemented, "{err:?}");
    assert_eq!(
        err.message(),
        "cannot load the pipeline: the TNA pipeline cannot run on the softswitch: the egress \
         deparser emits headers; the softswitch does not parse twice"
    );
}

//! Live ports in network namespaces this test creates:
//!
//! ```text
//!   ns a: eth0 ──veth── p1 ┐
//!                          ├─ ns sw: the softswitch (port 1 = p1, port 2 = p2)
//!   ns b: eth0 ──veth── p2 ┘
//! ```
//!
//! The hosts' frames are sent and received on AF_PACKET sockets the test opens inside `a` and
//! `b`; the program is `live.p4` (a table keyed by ingress port whose entries forward with a
//! new destination MAC and one less IPv4 TTL). Expected frames are built here, with the IPv4
//! checksum computed by this file, and compared byte for byte. Namespaces go away with the
//! [`Lab`] even when an assertion fails.
//!
//! Needs root: without it the tests print "skipped: needs root" and pass, unless
//! `DDSR_REQUIRE_NETNS=1` (CI) makes that a failure.

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use ddsr_netns::{Lab, Ns, is_root};
use ddsr_proto::P4RuntimeClient;
use ddsr_proto::p4::config::v1 as p4i;
use ddsr_proto::p4::v1;
use ddsr_softswitch_server::Service;
use ddsr_softswitch_server::live::{Io, Options, PortDrop, PortSpec, Ports};
use nix::sched::{CloneFlags, setns};
use pnet_datalink::{Channel, DataLinkReceiver, DataLinkSender};
use tokio_stream::StreamExt;

const PROGRAM: &str = "tests/live.p4";
const HOST_A: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0a];
const NEW_MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 0xbb];
const NEW_MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 0xaa];
/// How long a host listens before concluding that no frame comes.
const QUIET: Duration = Duration::from_millis(300);
/// How long a host waits for an expected frame.
const ARRIVAL: Duration = Duration::from_secs(3);

fn netns_allowed() -> bool {
    if is_root() {
        return true;
    }
    assert!(
        std::env::var("DDSR_REQUIRE_NETNS").as_deref() != Ok("1"),
        "DDSR_REQUIRE_NETNS=1 but this test is not running as root"
    );
    eprintln!("skipped: needs root");
    false
}

/// Runs `f` on a thread that has entered `ns`; sockets it opens stay in `ns`.
fn in_ns<T: Send + 'static>(ns: &Ns, f: impl FnOnce() -> T + Send + 'static) -> T {
    let path = format!("/run/netns/{}", ns.name());
    thread::spawn(move || {
        let file = File::open(&path).unwrap_or_else(|e| panic!("opening {path}: {e}"));
        setns(&file, CloneFlags::CLONE_NEWNET).unwrap_or_else(|e| panic!("entering {path}: {e}"));
        f()
    })
    .join()
    .expect("the namespace thread panicked")
}

/// The three namespaces and two links of the diagram, links up, no IPv6 (so the kernel sends
/// nothing of its own on them).
fn topology(lab: &mut Lab) -> (Ns, Ns, Ns) {
    let sw = lab.ns("sw").expect("ns sw");
    let a = lab.ns("a").expect("ns a");
    let b = lab.ns("b").expect("ns b");
    lab.veth((&a, "eth0"), (&sw, "p1"), false).expect("veth a");
    lab.veth((&b, "eth0"), (&sw, "p2"), false).expect("veth b");
    lab.mac(&a, "eth0", "02:00:00:00:00:0a").expect("mac");
    for (ns, iface) in [(&sw, "p1"), (&sw, "p2"), (&a, "eth0"), (&b, "eth0")] {
        lab.up(ns, iface).expect("link up");
    }
    (sw, a, b)
}

/// A host's raw socket on its `eth0`.
struct Host {
    tx: Box<dyn DataLinkSender>,
    rx: Box<dyn DataLinkReceiver>,
}

impl Host {
    fn open(ns: &Ns) -> Host {
        in_ns(ns, || {
            let iface = pnet_datalink::interfaces()
                .into_iter()
                .find(|i| i.name == "eth0")
                .expect("eth0 in the host namespace");
            let config = pnet_datalink::Config {
                read_timeout: Some(Duration::from_millis(50)),
                ..Default::default()
            };
            match pnet_datalink::channel(&iface, config).expect("a raw socket") {
                Channel::Ethernet(tx, rx) => Host { tx, rx },
                _ => panic!("not an Ethernet channel"),
            }
        })
    }

    fn send(&mut self, frame: &[u8]) {
        self.tx
            .send_to(frame, None)
            .expect("a send result")
            .expect("send");
    }

    /// Frames that arrive within `wait` from now, up to `want` of them. A host's socket also
    /// sees the frames it sends; those (broadcast destination) are left out.
    fn frames(&mut self, wait: Duration, want: usize) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + wait;
        let mut got = Vec::new();
        while Instant::now() < deadline && got.len() < want {
            match self.rx.next() {
                Ok(f) if f.starts_with(&[0xff; 6]) => {}
                Ok(f) => got.push(f.to_vec()),
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(e) => panic!("receive: {e}"),
            }
        }
        got
    }

    /// Frames that arrive within [`QUIET`] (there should be none).
    fn quiet(&mut self) -> Vec<Vec<u8>> {
        self.frames(QUIET, usize::MAX)
    }
}

/// The internet checksum, computed here independently of the switch.
fn csum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Ethernet (broadcast destination) + IPv4 (TTL `ttl`, correct checksum) + UDP + payload.
fn ipv4_frame(dst_mac: [u8; 6], ttl: u8) -> Vec<u8> {
    let payload = b"ddsr live port test";
    let udp_len = 8 + payload.len();
    let total = 20 + udp_len;
    let mut f = Vec::new();
    f.extend_from_slice(&dst_mac);
    f.extend_from_slice(&HOST_A);
    f.extend_from_slice(&[0x08, 0x00]);
    let mut ip = vec![
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0x12,
        0x34,
        0x40,
        0,
        ttl,
        17,
        0,
        0,
    ];
    ip.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
    let c = csum(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(&[
        0x30,
        0x39,
        0x23,
        0x28,
        (udp_len >> 8) as u8,
        udp_len as u8,
        0,
        0,
    ]);
    f.extend_from_slice(payload);
    f
}

/// `frame` with an 802.1Q tag (VLAN `vid`) after the MAC addresses.
fn tagged(frame: &[u8], vid: u16) -> Vec<u8> {
    let mut f = frame[..12].to_vec();
    f.extend_from_slice(&[0x81, 0x00]);
    f.extend_from_slice(&vid.to_be_bytes());
    f.extend_from_slice(&frame[12..]);
    f
}

/// An ARP request (not IPv4: only the MAC changes), padded to the Ethernet minimum.
fn arp_frame(dst_mac: [u8; 6]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&dst_mac);
    f.extend_from_slice(&HOST_A);
    f.extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1]);
    f.extend_from_slice(&HOST_A);
    f.extend_from_slice(&[10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2]);
    f.resize(60, 0);
    f
}

fn manifest_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// `live.p4` compiled by ddsr's front end: (P4Info, pipeline JSON).
fn program() -> (p4i::P4Info, String) {
    let text = std::fs::read_to_string(manifest_path(PROGRAM)).expect("live.p4");
    let parsed = ddsr_p4::syntax::parse_str("live.p4", &text, &Default::default());
    assert!(!parsed.diagnostics.has_errors(), "live.p4 does not parse");
    let c = ddsr_p4::p4info::compile(&parsed.program, "live")
        .unwrap_or_else(|d| panic!("live.p4 does not compile: {d:?}"));
    (c.p4info, c.lowered.pipeline.to_json())
}

fn table_id(info: &p4i::P4Info, name: &str) -> u32 {
    info.tables
        .iter()
        .find_map(|t| t.preamble.as_ref().filter(|p| p.name == name).map(|p| p.id))
        .unwrap_or_else(|| panic!("no table {name}"))
}

fn action_id(info: &p4i::P4Info, name: &str) -> u32 {
    info.actions
        .iter()
        .find_map(|a| a.preamble.as_ref().filter(|p| p.name == name).map(|p| p.id))
        .unwrap_or_else(|| panic!("no action {name}"))
}

/// `by_port` entry: frames entering `in_port` go out of `out_port` with destination `mac`.
fn forward_entry(info: &p4i::P4Info, in_port: u8, out_port: u8, mac: [u8; 6]) -> v1::TableEntry {
    v1::TableEntry {
        table_id: table_id(info, "LiveIngress.by_port"),
        r#match: vec![v1::FieldMatch {
            field_id: 1,
            field_match_type: Some(v1::field_match::FieldMatchType::Exact(
                v1::field_match::Exact {
                    value: vec![in_port],
                },
            )),
        }],
        action: Some(v1::TableAction {
            r#type: Some(v1::table_action::Type::Action(v1::Action {
                action_id: action_id(info, "LiveIngress.forward"),
                params: vec![
                    v1::action::Param {
                        param_id: 1,
                        value: vec![out_port],
                    },
                    v1::action::Param {
                        param_id: 2,
                        value: mac.to_vec(),
                    },
                ],
            })),
        }),
        ..Default::default()
    }
}

/// A controller: primary on a StreamChannel, then Writes.
struct Controller {
    client: P4RuntimeClient<tonic::transport::Channel>,
    _stream: tokio::sync::mpsc::Sender<v1::StreamMessageRequest>,
}

impl Controller {
    async fn connect(addr: SocketAddr) -> Controller {
        let mut client = P4RuntimeClient::connect(format!("http://{addr}"))
            .await
            .expect("connect");
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        tx.send(v1::StreamMessageRequest {
            update: Some(v1::stream_message_request::Update::Arbitration(
                v1::MasterArbitrationUpdate {
                    device_id: 1,
                    election_id: Some(ddsr_proto::uint128(10)),
                    ..Default::default()
                },
            )),
        })
        .await
        .expect("arbitration");
        let mut responses = client
            .stream_channel(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
            .expect("stream channel")
            .into_inner();
        let first = responses.next().await.expect("an answer").expect("ok");
        let Some(v1::stream_message_response::Update::Arbitration(a)) = first.update else {
            panic!("expected an arbitration answer, found {first:?}");
        };
        assert_eq!(a.status.map(|s| s.code), Some(0), "not primary");
        Controller {
            client,
            _stream: tx,
        }
    }

    async fn write(&mut self, kind: v1::update::Type, entry: v1::TableEntry) {
        self.client
            .write(v1::WriteRequest {
                device_id: 1,
                election_id: Some(ddsr_proto::uint128(10)),
                updates: vec![v1::Update {
                    r#type: kind as i32,
                    entity: Some(v1::Entity {
                        entity: Some(v1::entity::Entity::TableEntry(entry)),
                    }),
                }],
                ..Default::default()
            })
            .await
            .expect("write");
    }
}

/// In-process switch in `sw` on memory-mapped rings, gRPC on this process's loopback: the
/// default drop, then entries written over gRPC forward (and re-forward) rewritten frames,
/// and a VLAN tag the kernel takes out of received frames is put back.
#[test]
fn grpc_writes_steer_rewritten_frames_between_namespaces() {
    steer_frames(Io::Ring);
}

/// The same exact frames out on the socket path (`--io socket`).
#[test]
fn socket_path_steers_the_same_frames() {
    steer_frames(Io::Socket);
}

fn steer_frames(io: Io) {
    if !netns_allowed() {
        return;
    }
    let logs = tempfile::tempdir().expect("tempdir");
    let mut lab = Lab::new(&format!("live{io}"), logs.path()).expect("lab");
    let (sw, a, b) = topology(&mut lab);
    let (info, pipeline) = program();
    let service = Service::new(1, None);
    service
        .commit(&v1::ForwardingPipelineConfig {
            p4info: Some(info.clone()),
            p4_device_config: pipeline.into_bytes(),
            cookie: None,
        })
        .expect("commit");
    let specs: Vec<PortSpec> = ["1=p1", "2=p2"]
        .iter()
        .map(|s| s.parse().expect("port spec"))
        .collect();
    let svc = service.clone();
    let ports = in_ns(&sw, move || {
        Ports::attach(
            &svc,
            &specs,
            &Options {
                io,
                ..Options::default()
            },
        )
    })
    .expect("attach ports");
    // Rings must not have fallen back to sockets silently.
    assert_eq!(ports.io(), io);
    let mut host_a = Host::open(&a);
    let mut host_b = Host::open(&b);

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let server = service.server();
    let addr = rt.block_on(async {
        let incoming = tonic::transport::server::TcpIncoming::bind("127.0.0.1:0".parse().unwrap())
            .expect("bind");
        let addr = incoming.local_addr().expect("addr");
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(server)
                .serve_with_incoming(incoming),
        );
        addr
    });
    let mut ctl = rt.block_on(Controller::connect(addr));

    // No entry yet: the default action drops.
    host_a.send(&ipv4_frame([0xff; 6], 64));
    assert_eq!(
        host_b.quiet(),
        Vec::<Vec<u8>>::new(),
        "forwarded without an entry"
    );

    rt.block_on(ctl.write(
        v1::update::Type::Insert,
        forward_entry(&info, 1, 2, NEW_MAC_B),
    ));
    host_a.send(&ipv4_frame([0xff; 6], 64));
    host_a.send(&arp_frame([0xff; 6]));
    let got = host_b.frames(ARRIVAL, 2);
    assert_eq!(got, vec![ipv4_frame(NEW_MAC_B, 63), arp_frame(NEW_MAC_B)]);
    assert_eq!(
        host_b.quiet(),
        Vec::<Vec<u8>>::new(),
        "more frames than sent"
    );

    // Modified over gRPC: the same frames now hairpin back to a with another MAC.
    rt.block_on(ctl.write(
        v1::update::Type::Modify,
        forward_entry(&info, 1, 1, NEW_MAC_A),
    ));
    host_a.send(&ipv4_frame([0xff; 6], 9));
    assert_eq!(host_a.frames(ARRIVAL, 1), vec![ipv4_frame(NEW_MAC_A, 8)]);
    assert_eq!(
        host_b.quiet(),
        Vec::<Vec<u8>>::new(),
        "still forwarded to b"
    );

    // A tagged frame: the veth's receive path moves the tag into packet metadata. The ring
    // puts it back, so the program sees EtherType 0x8100 and leaves the IPv4 TTL alone; the
    // socket path loses it, so the program sees IPv4 and decrements. Host a's own socket
    // loses the tag again on the way back, so it receives the untagged frame either way.
    host_a.send(&tagged(&ipv4_frame([0xff; 6], 64), 5));
    let ttl = if io == Io::Ring { 64 } else { 63 };
    assert_eq!(host_a.frames(ARRIVAL, 1), vec![ipv4_frame(NEW_MAC_A, ttl)]);

    let counters = Arc::clone(ports.counters());
    let done = ports.detach(Duration::from_secs(2));
    assert!(
        done.unjoined.is_empty(),
        "threads left: {:?}",
        done.unjoined
    );
    let t = &done.totals;
    // The switch's own transmissions never come back in as received (PACKET_OUTGOING filter).
    assert_eq!(
        (
            t.ports[0].rx_packets,
            t.ports[0].tx_packets,
            t.ports[1].rx_packets,
            t.ports[1].tx_packets
        ),
        (5, 2, 0, 2),
        "{t}"
    );
    assert_eq!(
        t.ports[1].tx_bytes,
        (ipv4_frame(NEW_MAC_B, 63).len() + 60) as u64
    );
    // The tagged frame left port 1 with its tag (4 bytes more) on the ring path.
    let vlan = if io == Io::Ring { 4 } else { 0 };
    assert_eq!(
        t.ports[0].tx_bytes,
        (2 * ipv4_frame(NEW_MAC_A, 8).len() + vlan) as u64
    );
    assert_eq!(t.dropped(PortDrop::NoSuchPort), 0);
    assert_eq!(counters.totals(), done.totals);
}

/// The `ddsr` binary of this build, built first if needed (same profile as this test).
fn ddsr_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let workspace = manifest_path("../..");
    let mut cargo = Command::new(option_env!("CARGO").unwrap_or("cargo"));
    cargo
        .current_dir(&workspace)
        .args(["build", "--quiet", "-p", "ddsr", "--bin", "ddsr"]);
    if release {
        cargo.arg("--release");
    }
    let status = cargo.status().expect("running cargo build");
    assert!(status.success(), "cargo build of the ddsr binary failed");
    let bin = profile_dir.join("ddsr");
    assert!(bin.exists(), "{} was not built", bin.display());
    bin
}

fn entries_txtpb(info: &p4i::P4Info) -> String {
    let req = v1::WriteRequest {
        device_id: 1,
        updates: vec![v1::Update {
            r#type: v1::update::Type::Insert as i32,
            entity: Some(v1::Entity {
                entity: Some(v1::entity::Entity::TableEntry(forward_entry(
                    info, 1, 2, NEW_MAC_B,
                ))),
            }),
        }],
        ..Default::default()
    };
    ddsr_proto::text::to_text(&req).expect("text format")
}

/// `ddsr softswitch run --port` in `sw` with `--entries`: forwards, serves port and pipeline
/// metrics, and on SIGINT exits 0 after printing the per-port summary.
#[test]
fn binary_forwards_serves_metrics_and_summarises_on_sigint() {
    binary_run(None);
}

/// The same with `--io socket`.
#[test]
fn binary_on_sockets_forwards_the_same() {
    binary_run(Some("socket"));
}

fn binary_run(io: Option<&str>) {
    if !netns_allowed() {
        return;
    }
    let bin = ddsr_binary();
    let dir = tempfile::tempdir().expect("tempdir");
    let entries = dir.path().join("entries.txtpb");
    let (info, _) = program();
    std::fs::write(&entries, entries_txtpb(&info)).expect("write entries");
    let mut lab = Lab::new(
        if io.is_some() { "livebinio" } else { "livebin" },
        dir.path(),
    )
    .expect("lab");
    let (sw, a, b) = topology(&mut lab);
    let program = manifest_path(PROGRAM);
    let mut argv = vec![
        bin.to_str().expect("utf-8 path"),
        "softswitch",
        "run",
        "--p4",
        program.to_str().expect("utf-8 path"),
        "--port",
        "1=p1",
        "--port",
        "2=p2",
        "--entries",
        entries.to_str().expect("utf-8 path"),
        "--grpc",
        "127.0.0.1:0",
        "--metrics",
        "127.0.0.1:0",
    ];
    if let Some(io) = io {
        argv.extend(["--io", io]);
    }
    let p = lab.spawn(&sw, "switch", &argv).expect("spawn");
    let log = lab
        .wait_log(p, "listening: grpc=", Duration::from_secs(60))
        .expect("the switch gets ready");
    assert!(log.contains("installed 1 entries\n"), "{log}");
    let ready = log
        .lines()
        .find(|l| l.starts_with("listening: "))
        .expect("ready line");
    assert!(
        ready.contains(" ports=1:p1,2:p2 metrics=127.0.0.1:"),
        "{ready}"
    );
    let metrics: SocketAddr = ready
        .rsplit_once("metrics=")
        .and_then(|(_, a)| a.trim().parse().ok())
        .expect("metrics address");

    let mut host_a = Host::open(&a);
    let mut host_b = Host::open(&b);
    host_a.send(&ipv4_frame([0xff; 6], 64));
    assert_eq!(host_b.frames(ARRIVAL, 1), vec![ipv4_frame(NEW_MAC_B, 63)]);

    let body = in_ns(&sw, move || {
        use std::io::{Read, Write};
        let mut c = std::net::TcpStream::connect(metrics).expect("metrics connect");
        c.write_all(b"GET /metrics HTTP/1.1\r\n\r\n")
            .expect("request");
        let mut s = String::new();
        c.read_to_string(&mut s).expect("response");
        s
    });
    let frame_len = ipv4_frame(NEW_MAC_B, 63).len();
    for line in [
        "ddsr_port_rx_packets_total{port=\"1\",iface=\"p1\"} 1\n".to_string(),
        format!("ddsr_port_tx_bytes_total{{port=\"2\",iface=\"p2\"}} {frame_len}\n"),
        "ddsr_port_rx_packets_total{port=\"2\",iface=\"p2\"} 0\n".to_string(),
        "ddsr_pipeline_received_total 1\n".to_string(),
        "ddsr_pipeline_sent_total 1\n".to_string(),
        "ddsr_table_hits_total{table=\"LiveIngress.by_port\"} 1\n".to_string(),
        "ddsr_table_misses_total{table=\"LiveIngress.by_port\"} 0\n".to_string(),
    ] {
        assert!(body.contains(&line), "no `{line}` in\n{body}");
    }

    let pid = lab.child(p).expect("running").id();
    let kill = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = lab.child(p).expect("child").try_wait().expect("wait") {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "no exit after SIGINT:\n{}",
            lab.log(p)
        );
        thread::sleep(Duration::from_millis(20));
    };
    let log = lab.log(p);
    assert_eq!(status.code(), Some(0), "{log}");
    let summary = log.split_once("stopping on SIGINT\n").map(|(_, s)| s);
    assert_eq!(
        summary,
        Some(
            format!(
                "port 1 (p1): rx 1 packets {frame_len} bytes, tx 0 packets 0 bytes\n\
                 port 2 (p2): rx 0 packets 0 bytes, tx 1 packets {frame_len} bytes\n"
            )
            .as_str()
        ),
        "{log}"
    );
}

//! Live forwarding rate of the softswitch over veth pairs in network namespaces (needs root).
//!
//! ```text
//!   ns a: eth0 ──veth── p1 ┐
//!                          ├─ ns sw: softswitch, tests/live.p4, entry: port 1 -> port 2
//!   ns b: eth0 ──veth── p2 ┘
//! ```
//!
//! A generator thread in `a` sends 60-byte IPv4/UDP frames (64 bytes on the wire with the FCS)
//! on an AF_PACKET socket as fast as it can for the given time; a sink thread in `b` counts
//! what arrives. The switch runs in this process ([`Ports`]) with the same threads as `ddsr
//! softswitch run --port`. Printed: frames offered, received by the switch, forwarded, and
//! counted by the sink, per second of wall time, and the CPU time of the switch's packet
//! threads (from `/proc/self/task/*/stat`), which gives forwarded packets per second per core.
//!
//! `--io ring` (the default, memory-mapped rings, one packet thread named `ring`) or `--io
//! socket` (a receive thread per port and a transmit thread) picks the switch's I/O; the CPU
//! time counted is that of whichever packet threads run.
//!
//! `cargo run --release -p ddsr-softswitch-server --example live_rate -- [SECONDS] [ring|socket]`

use std::fs::{self, File};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use ddsr_netns::{Lab, Ns, is_root};
use ddsr_pipeline::{ActionCall, EntryAction, FieldMatch, TableEntry};
use ddsr_proto::p4::v1;
use ddsr_softswitch_server::Service;
use ddsr_softswitch_server::live::{Io, Options, Ports, preload};
use nix::sched::{CloneFlags, setns};
use pnet_datalink::Channel;

const PROGRAM: &str = include_str!("../tests/live.p4");

fn in_ns<T: Send + 'static>(
    ns: &Ns,
    f: impl FnOnce() -> T + Send + 'static,
) -> thread::JoinHandle<T> {
    let path = format!("/run/netns/{}", ns.name());
    thread::spawn(move || {
        let file = File::open(&path).unwrap_or_else(|e| panic!("opening {path}: {e}"));
        setns(&file, CloneFlags::CLONE_NEWNET).unwrap_or_else(|e| panic!("entering {path}: {e}"));
        f()
    })
}

fn channel(
    name: &str,
) -> (
    Box<dyn pnet_datalink::DataLinkSender>,
    Box<dyn pnet_datalink::DataLinkReceiver>,
) {
    let iface = pnet_datalink::interfaces()
        .into_iter()
        .find(|i| i.name == name)
        .expect("interface");
    let config = pnet_datalink::Config {
        read_timeout: Some(Duration::from_millis(50)),
        write_timeout: Some(Duration::from_millis(50)),
        ..Default::default()
    };
    match pnet_datalink::channel(&iface, config).expect("raw socket") {
        Channel::Ethernet(tx, rx) => (tx, rx),
        _ => panic!("not Ethernet"),
    }
}

/// CPU seconds (user + system) of this process's threads whose name starts with one of
/// `prefixes`.
fn thread_cpu(prefixes: &[&str]) -> f64 {
    let ticks = 100.0; // USER_HZ on Linux
    let mut total = 0.0;
    for task in fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .flatten()
    {
        let Ok(stat) = fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        let Some((name, rest)) = stat.split_once(" (").and_then(|(_, r)| r.rsplit_once(") "))
        else {
            continue;
        };
        if !prefixes.iter().any(|p| name.starts_with(p)) {
            continue;
        }
        let f: Vec<&str> = rest.split_whitespace().collect();
        let utime: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0);
        let stime: f64 = f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
        total += (utime + stime) / ticks;
    }
    total
}

fn frame() -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x0a, 0x08, 0x00]);
    f.extend_from_slice(&[
        0x45, 0, 0, 46, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ]);
    let mut sum: u32 = f[14..34]
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    f[24..26].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    f.extend_from_slice(&[0x30, 0x39, 0x23, 0x28, 0, 26, 0, 0]);
    f.resize(60, 0x61);
    f
}

fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("SECONDS"))
        .unwrap_or(5);
    let io: Io = std::env::args()
        .nth(2)
        .map(|s| s.parse().expect("ring or socket"))
        .unwrap_or_default();
    assert!(is_root(), "needs root (network namespaces, AF_PACKET)");
    let logs = tempfile::tempdir().expect("tempdir");
    let mut lab = Lab::new("rate", logs.path()).expect("lab");
    let sw = lab.ns("sw").expect("ns");
    let a = lab.ns("a").expect("ns");
    let b = lab.ns("b").expect("ns");
    lab.veth((&a, "eth0"), (&sw, "p1"), false).expect("veth");
    lab.veth((&b, "eth0"), (&sw, "p2"), false).expect("veth");
    for (ns, i) in [(&sw, "p1"), (&sw, "p2"), (&a, "eth0"), (&b, "eth0")] {
        lab.up(ns, i).expect("up");
    }

    let parsed = ddsr_p4::syntax::parse_str("live.p4", PROGRAM, &Default::default());
    let c = ddsr_p4::p4info::compile(&parsed.program, "live").expect("live.p4 compiles");
    let p = &c.lowered.pipeline;
    let service = Service::new(1, None);
    service
        .commit(&v1::ForwardingPipelineConfig {
            p4info: Some(c.p4info.clone()),
            p4_device_config: p.to_json().into_bytes(),
            cookie: None,
        })
        .expect("commit");
    let entry = TableEntry {
        table: p.table_by_name("LiveIngress.by_port").expect("table"),
        matches: vec![FieldMatch::Exact { value: vec![0, 1] }],
        priority: 0,
        action: EntryAction::Action(ActionCall {
            action: p.action_by_name("LiveIngress.forward").expect("action"),
            args: vec![vec![0, 2], vec![2, 0, 0, 0, 0, 0xbb]],
        }),
    };
    let req = preload::inserts(&c.p4info, p, &[entry]).expect("inserts");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let server = service.server();
    rt.block_on(async {
        let incoming =
            tonic::transport::server::TcpIncoming::bind("127.0.0.1:0".parse().expect("addr"))
                .expect("bind");
        let addr: SocketAddr = incoming.local_addr().expect("addr");
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(server)
                .serve_with_incoming(incoming),
        );
        preload::write(addr, 1, &req).await.expect("entry written");
    });

    let specs = vec!["1=p1".parse().expect("spec"), "2=p2".parse().expect("spec")];
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
    .join()
    .expect("attach thread")
    .expect("attach");

    let stop = Arc::new(AtomicBool::new(false));
    let received = Arc::new(AtomicU64::new(0));
    let (sink_stop, sink_count) = (stop.clone(), received.clone());
    let sink = in_ns(&b, move || {
        let (_tx, mut rx) = channel("eth0");
        while !sink_stop.load(Ordering::Relaxed) {
            if rx.next().is_ok() {
                sink_count.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    const PACKET_THREADS: [&str; 3] = ["rx-port", "tx", "ring"];
    let cpu_before = thread_cpu(&PACKET_THREADS);
    let start = Instant::now();
    let generator = in_ns(&a, move || {
        let (mut tx, _rx) = channel("eth0");
        let f = frame();
        let end = Instant::now() + Duration::from_secs(seconds);
        let mut sent = 0u64;
        while Instant::now() < end {
            for _ in 0..64 {
                if let Some(Ok(())) = tx.send_to(&f, None) {
                    sent += 1;
                }
            }
        }
        sent
    });
    let offered = generator.join().expect("generator");
    thread::sleep(Duration::from_millis(200));
    let wall = start.elapsed().as_secs_f64() - 0.2;
    let cpu = thread_cpu(&PACKET_THREADS) - cpu_before;
    stop.store(true, Ordering::Relaxed);
    sink.join().expect("sink");
    let used = ports.io();
    let done = ports.detach(Duration::from_secs(2));
    let t = &done.totals;
    let rate = |n: u64| n as f64 / wall / 1e6;
    println!(
        "{seconds} s of 60-byte frames (64 on the wire), port 1 -> port 2, io {}",
        used
    );
    println!(
        "offered by the generator: {offered} ({:.3} Mpps)",
        rate(offered)
    );
    println!(
        "received by the switch:   {} ({:.3} Mpps)",
        t.ports[0].rx_packets,
        rate(t.ports[0].rx_packets)
    );
    println!(
        "forwarded by the switch:  {} ({:.3} Mpps)",
        t.ports[1].tx_packets,
        rate(t.ports[1].tx_packets)
    );
    println!(
        "counted by the sink:      {} ({:.3} Mpps)",
        received.load(Ordering::Relaxed),
        rate(received.load(Ordering::Relaxed))
    );
    println!(
        "switch packet threads: {cpu:.2} CPU s -> {:.3} Mpps per core",
        t.ports[1].tx_packets as f64 / cpu / 1e6
    );
    print!("{t}");
}

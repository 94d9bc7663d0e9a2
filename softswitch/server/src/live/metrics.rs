//! A Prometheus text endpoint: `GET /metrics` on a small HTTP/1.1 server of its own thread.
//!
//! Hand-written over `TcpListener` because it answers one fixed resource: each connection gets
//! one response and is closed, requests are read with a size and time limit, and the listener
//! is polled so that [`Endpoint::stop`] ends the thread within one poll interval.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::counters::{PortDrop, Totals};
use crate::stats::{self, Stats, TableLookups};

/// Largest request head read; longer requests are answered 431.
const MAX_REQUEST: usize = 8192;
/// How long one client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(1);
const POLL: Duration = Duration::from_millis(50);

/// The running endpoint; dropping it stops the thread without waiting.
pub struct Endpoint {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Endpoint {
    /// Listens on `addr` and answers `GET /metrics` with what `render` returns at that moment.
    pub fn serve(
        addr: SocketAddr,
        render: impl Fn() -> String + Send + 'static,
    ) -> io::Result<Endpoint> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = thread::Builder::new()
            .name("metrics".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((conn, peer)) => {
                            if let Err(e) = answer(conn, &render) {
                                tracing::debug!(%peer, error = %e, "metrics request failed");
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => thread::sleep(POLL),
                        Err(e) => {
                            tracing::warn!(error = %e, "metrics accept failed");
                            thread::sleep(POLL);
                        }
                    }
                }
            })?;
        Ok(Endpoint {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    /// The address it listens on (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops answering and waits for the thread (at most one poll interval plus one request).
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn answer(mut conn: TcpStream, render: &impl Fn() -> String) -> io::Result<()> {
    conn.set_nonblocking(false)?;
    conn.set_read_timeout(Some(READ_TIMEOUT))?;
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_REQUEST {
            return respond(&mut conn, "431 Request Header Fields Too Large", "");
        }
        let n = conn.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = head.split(|b| *b == b'\r').next().unwrap_or_default();
    let mut parts = line.split(|b| *b == b' ');
    match (parts.next(), parts.next()) {
        (Some(b"GET"), Some(b"/metrics")) => respond(&mut conn, "200 OK", &render()),
        (Some(b"GET"), Some(_)) => respond(&mut conn, "404 Not Found", "try /metrics\n"),
        _ => respond(&mut conn, "405 Method Not Allowed", ""),
    }
}

fn respond(conn: &mut TcpStream, status: &str, body: &str) -> io::Result<()> {
    write!(
        conn,
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    conn.flush()
}

/// Appends the port layer's counters in the Prometheus text format.
pub fn render_ports(t: &Totals, out: &mut String) {
    type Field = fn(&super::PortTotals) -> u64;
    let families: [(&str, &str, Field); 5] = [
        ("rx_packets", "Frames received on a switch port.", |p| {
            p.rx_packets
        }),
        ("rx_bytes", "Bytes received on a switch port.", |p| {
            p.rx_bytes
        }),
        ("tx_packets", "Frames sent on a switch port.", |p| {
            p.tx_packets
        }),
        ("tx_bytes", "Bytes sent on a switch port.", |p| p.tx_bytes),
        (
            "rx_errors",
            "Receive errors on a switch port's socket.",
            |p| p.rx_errors,
        ),
    ];
    for (name, help, field) in families {
        let _ = writeln!(out, "# HELP ddsr_port_{name}_total {help}");
        let _ = writeln!(out, "# TYPE ddsr_port_{name}_total counter");
        for p in &t.ports {
            let _ = writeln!(
                out,
                "ddsr_port_{name}_total{{port=\"{}\",iface=\"{}\"}} {}",
                p.port,
                escape(&p.iface),
                field(p)
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP ddsr_port_drops_total Packets the port layer dropped, by reason."
    );
    let _ = writeln!(out, "# TYPE ddsr_port_drops_total counter");
    for why in PortDrop::ALL {
        let _ = writeln!(
            out,
            "ddsr_port_drops_total{{reason=\"{}\"}} {}",
            why.label(),
            t.dropped(why)
        );
    }
}

/// Appends the committed pipeline's counters in the Prometheus text format (nothing when no
/// pipeline is set): packets in and out, drops by ingress port and reason (non-zero series
/// only), and hits and misses of every table.
pub fn render_pipeline(snapshot: Option<&Stats>, out: &mut String) {
    let Some(st) = snapshot else { return };
    header(
        out,
        "pipeline_received_total",
        "Packets the pipeline took in (data ports and packet-out).",
    );
    let _ = writeln!(out, "ddsr_pipeline_received_total {}", st.received);
    header(out, "pipeline_sent_total", "Packets the pipeline emitted.");
    let _ = writeln!(out, "ddsr_pipeline_sent_total {}", st.sent);
    header(
        out,
        "pipeline_drops_total",
        "Packets the pipeline dropped, by ingress port and reason.",
    );
    for d in &st.drops {
        let _ = writeln!(
            out,
            "ddsr_pipeline_drops_total{{port=\"{}\",reason=\"{}\"}} {}",
            d.port,
            stats::label(d.reason),
            d.packets
        );
    }
    type Field = fn(&TableLookups) -> u64;
    let families: [(&str, &str, Field); 2] = [
        ("hits", "Table lookups that found an entry.", |t| t.hits),
        (
            "misses",
            "Table lookups that found no entry (the default action ran).",
            |t| t.misses,
        ),
    ];
    for (name, help, field) in families {
        header(out, &format!("table_{name}_total"), help);
        for t in &st.tables {
            let _ = writeln!(
                out,
                "ddsr_table_{name}_total{{table=\"{}\"}} {}",
                escape(&t.table),
                field(t)
            );
        }
    }
}

fn header(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP ddsr_{name} {help}");
    let _ = writeln!(out, "# TYPE ddsr_{name} counter");
}

/// Label values escape backslash, quote and newline.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::super::counters::{Counters, PortCounters};
    use super::*;

    fn get(addr: SocketAddr, request: &[u8]) -> String {
        let mut c = TcpStream::connect(addr).expect("connect");
        c.write_all(request).expect("write");
        let mut s = String::new();
        c.read_to_string(&mut s).expect("read");
        s
    }

    /// Frames to MAC ::aa hit `fwd`'s const entry and leave on port 2; others miss and the
    /// default action drops them.
    const FORWARDER: &str = r#"
#include <core.p4>
#include <v1model.p4>
header eth_t { bit<48> dst; bit<48> src; bit<16> ty; }
struct headers_t { eth_t eth; }
struct metadata_t { }
parser P(packet_in p, out headers_t h, inout metadata_t m, inout standard_metadata_t s) {
    state start { p.extract(h.eth); transition accept; }
}
control V(inout headers_t h, inout metadata_t m) { apply { } }
control I(inout headers_t h, inout metadata_t m, inout standard_metadata_t s) {
    action to_port(bit<9> port) { s.egress_spec = port; }
    action refuse() { mark_to_drop(s); }
    table fwd {
        key = { h.eth.dst: exact; }
        actions = { to_port; refuse; }
        default_action = refuse();
        const entries = { 0xaa : to_port(2); }
    }
    apply { fwd.apply(); }
}
control E(inout headers_t h, inout metadata_t m, inout standard_metadata_t s) { apply { } }
control C(inout headers_t h, inout metadata_t m) { apply { } }
control D(packet_out p, in headers_t h) { apply { p.emit(h.eth); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
"#;

    fn frame(dst: u8) -> Vec<u8> {
        let mut f = vec![0u8; 60];
        f[5] = dst;
        f[11] = 1;
        f
    }

    #[test]
    fn pipeline_counters_after_known_traffic() {
        let service = crate::Service::new(1, None);
        let mut text = String::new();
        render_pipeline(service.stats().as_ref(), &mut text);
        assert_eq!(text, "", "no pipeline, no pipeline metrics");

        let parsed = ddsr_p4::syntax::parse_str("fwd.p4", FORWARDER, &Default::default());
        let compiled = ddsr_p4::p4info::compile(&parsed.program, "fwd").expect("compiles");
        service
            .commit(&ddsr_proto::p4::v1::ForwardingPipelineConfig {
                p4info: Some(compiled.p4info),
                p4_device_config: FORWARDER.as_bytes().to_vec(),
                cookie: None,
            })
            .expect("commits");
        for (port, dst) in [
            (1, 0xaa),
            (1, 0xbb),
            (3, 0xbb),
            (1, 0xaa),
            (3, 0xcc),
            (1, 0xaa),
        ] {
            assert!(service.inject(port, &frame(dst)));
        }
        let stats = service.stats().expect("a pipeline is set");
        assert_eq!(stats.received, 6);
        assert_eq!(stats.sent, 3);
        let mut text = String::new();
        render_pipeline(Some(&stats), &mut text);
        assert_eq!(
            text,
            "# HELP ddsr_pipeline_received_total Packets the pipeline took in (data ports and packet-out).\n\
             # TYPE ddsr_pipeline_received_total counter\n\
             ddsr_pipeline_received_total 6\n\
             # HELP ddsr_pipeline_sent_total Packets the pipeline emitted.\n\
             # TYPE ddsr_pipeline_sent_total counter\n\
             ddsr_pipeline_sent_total 3\n\
             # HELP ddsr_pipeline_drops_total Packets the pipeline dropped, by ingress port and reason.\n\
             # TYPE ddsr_pipeline_drops_total counter\n\
             ddsr_pipeline_drops_total{port=\"1\",reason=\"ingress\"} 1\n\
             ddsr_pipeline_drops_total{port=\"3\",reason=\"ingress\"} 2\n\
             # HELP ddsr_table_hits_total Table lookups that found an entry.\n\
             # TYPE ddsr_table_hits_total counter\n\
             ddsr_table_hits_total{table=\"I.fwd\"} 3\n\
             # HELP ddsr_table_misses_total Table lookups that found no entry (the default action ran).\n\
             # TYPE ddsr_table_misses_total counter\n\
             ddsr_table_misses_total{table=\"I.fwd\"} 3\n"
        );

        // A new commit starts the counters again.
        service
            .commit(&ddsr_proto::p4::v1::ForwardingPipelineConfig {
                p4info: Some(
                    ddsr_p4::p4info::compile(&parsed.program, "fwd")
                        .expect("compiles")
                        .p4info,
                ),
                p4_device_config: FORWARDER.as_bytes().to_vec(),
                cookie: None,
            })
            .expect("commits again");
        let stats = service.stats().expect("a pipeline is set");
        assert_eq!((stats.received, stats.drops.len()), (0, 0));
        assert_eq!((stats.tables[0].hits, stats.tables[0].misses), (0, 0));
    }

    #[test]
    fn serves_port_counters_as_prometheus_text() {
        let c = Arc::new(Counters::new(vec![PortCounters::new(1, "v\"a")]));
        c.ports[0].received(64);
        c.count_drop(PortDrop::TxQueueFull);
        let shared = c.clone();
        let ep = Endpoint::serve("127.0.0.1:0".parse().expect("addr"), move || {
            let mut s = String::new();
            render_ports(&shared.totals(), &mut s);
            s
        })
        .expect("serve");
        let r = get(ep.addr(), b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        let (head, body) = r.split_once("\r\n\r\n").expect("a response head");
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(
            head.contains(&format!("Content-Length: {}", body.len())),
            "{head}"
        );
        assert!(
            body.contains(
                "# TYPE ddsr_port_rx_packets_total counter\n\
                 ddsr_port_rx_packets_total{port=\"1\",iface=\"v\\\"a\"} 1\n"
            ),
            "{body}"
        );
        assert!(body.contains("ddsr_port_rx_bytes_total{port=\"1\",iface=\"v\\\"a\"} 64\n"));
        assert!(body.contains("ddsr_port_drops_total{reason=\"tx_queue_full\"} 1\n"));
        assert!(body.contains("ddsr_port_drops_total{reason=\"no_pipeline\"} 0\n"));

        let r = get(ep.addr(), b"GET / HTTP/1.1\r\n\r\n");
        assert!(r.starts_with("HTTP/1.1 404 Not Found\r\n"), "{r}");
        let r = get(ep.addr(), b"POST /metrics HTTP/1.1\r\n\r\n");
        assert!(r.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"), "{r}");
        let mut long = b"GET /metrics HTTP/1.1\r\nX: ".to_vec();
        long.extend(std::iter::repeat_n(b'a', MAX_REQUEST + 10));
        let r = get(ep.addr(), &long);
        assert!(r.starts_with("HTTP/1.1 431 "), "{r}");
        ep.stop();
    }
}

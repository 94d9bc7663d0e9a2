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

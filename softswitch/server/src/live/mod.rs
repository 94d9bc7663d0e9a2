//! Live ports: the softswitch attached to Linux interfaces (veth, TAP, physical).
//!
//! The central structure is [`Ports`]. Two ways to move frames ([`Io`]):
//! - `ring` (default): each port gets a memory-mapped receive ring and transmit ring
//!   ([`ring`], `TPACKET_V2`), and one packet thread serves every port: `poll` on the receive
//!   rings, then for each port a batch of frames through [`Service::inject`], the packets they
//!   produced copied from the service's port sink into the transmit rings, and one `send` per
//!   transmit ring per batch. If a ring cannot be set up on some port, every port falls back
//!   to sockets.
//! - `socket`: one AF_PACKET socket per switch port ([`port`]), one receive thread per port
//!   (one receive system call per frame) and one transmit thread that drains the port sink and
//!   sends each packet with its own system call.
//!
//! Either way controllers on the gRPC server and the wire share one switch, and [`Counters`]
//! are atomics the threads bump and metrics ([`metrics`]) or the shutdown summary read.
//!
//! Invariants:
//! - receive frames are borrowed from the socket's buffer or the ring slot and never copied
//!   before the core (a VLAN tag the kernel took out is put back in the slot itself);
//! - every thread looks at the stop flag at least once per `poll` interval, so
//!   [`Ports::detach`] returns within its bound even on idle or dead links; every loop over
//!   frames is bounded by a batch size;
//! - the only user-space queue on the packet path is the port sink, emptied after every
//!   receive batch (ring) or at once by the transmit thread (socket): a transmit queue that
//!   stays full for `send_wait` drops the packet and counts it ([`PortDrop::TxQueueFull`])
//!   instead of letting the sink grow; receive overload is absorbed and counted by the kernel
//!   (the receive ring or socket buffer);
//! - the switch never receives its own transmissions: the kernel loops every frame sent on an
//!   interface back to packet sockets on it as `PACKET_OUTGOING`, and the receive sockets'
//!   filter refuses those (the ring also checks each slot's packet type).

pub mod counters;
pub mod metrics;
pub mod port;
pub mod preload;
#[allow(unsafe_code)]
pub mod ring;
mod signal;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use ddsr_softswitch::OutPacket;
use pnet_datalink::{DataLinkReceiver, DataLinkSender, NetworkInterface};

pub use counters::{Counters, PortCounters, PortDrop, PortTotals, Totals};
pub use port::PortSpec;
pub use signal::{Stop, shutdown_signal};

use crate::Service;

/// Why ports could not be attached.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("port {0} is given twice")]
    DuplicatePort(u16),
    #[error("interface `{0}` is given to two ports")]
    DuplicateInterface(String),
    #[error("port {0} is the CPU port; it has no interface")]
    CpuPort(u16),
    #[error("port {port}: no interface `{iface}` in this network namespace (found: {known})")]
    NoInterface {
        port: u16,
        iface: String,
        known: String,
    },
    #[error("port {port}: cannot open `{iface}` (AF_PACKET needs root or CAP_NET_RAW): {source}")]
    Open {
        port: u16,
        iface: String,
        source: std::io::Error,
    },
    #[error("cannot start a packet thread: {0}")]
    Thread(std::io::Error),
}

/// How the ports move frames between the interfaces and the switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Io {
    /// Memory-mapped rings and batches, one packet thread; sockets where rings fail.
    #[default]
    Ring,
    /// A system call per frame, a receive thread per port and a transmit thread.
    Socket,
}

impl FromStr for Io {
    type Err = String;

    fn from_str(s: &str) -> Result<Io, String> {
        match s {
            "ring" => Ok(Io::Ring),
            "socket" => Ok(Io::Socket),
            _ => Err(format!("expected `ring` or `socket`, found `{s}`")),
        }
    }
}

impl fmt::Display for Io {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Io::Ring => "ring",
            Io::Socket => "socket",
        })
    }
}

/// Timing of the packet threads.
#[derive(Debug, Clone)]
pub struct Options {
    /// Rings (falling back to sockets) or sockets.
    pub io: Io,
    /// Longest a thread waits for a packet before it looks at the stop flag.
    pub poll: Duration,
    /// Longest a send waits for room in an interface's transmit queue before dropping.
    pub send_wait: Duration,
    /// The device's CPU port, which must not also be a data port.
    pub cpu_port: Option<u16>,
    /// Ring mode with a CPU port: longest a packet-out waits in the port sink before the
    /// packet thread, asleep in `poll` on the receive rings, wakes to send it.
    pub wake: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            io: Io::Ring,
            poll: Duration::from_millis(50),
            send_wait: Duration::from_millis(10),
            cpu_port: None,
            wake: Duration::from_millis(1),
        }
    }
}

/// Attached ports and their threads; dropping it stops the threads without waiting.
pub struct Ports {
    io: Io,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    threads: Vec<(String, JoinHandle<()>)>,
}

/// What [`Ports::detach`] leaves: the final counters and the threads that did not end in time.
#[derive(Debug)]
pub struct Detached {
    pub totals: Totals,
    pub unjoined: Vec<String>,
}

impl Ports {
    /// Opens every port, points `service`'s port sink at the packet threads and starts them.
    /// Nothing is started unless every port opens.
    pub fn attach(service: &Service, specs: &[PortSpec], opts: &Options) -> Result<Ports, Error> {
        check(specs, opts.cpu_port)?;
        let mut ifaces = Vec::with_capacity(specs.len());
        for s in specs {
            ifaces.push(port::interface(&s.iface).ok_or_else(|| Error::NoInterface {
                port: s.port,
                iface: s.iface.clone(),
                known: known_interfaces(),
            })?);
        }
        let counters = Arc::new(Counters::new(
            specs
                .iter()
                .map(|s| PortCounters::new(s.port, &s.iface))
                .collect(),
        ));
        let stop = Arc::new(AtomicBool::new(false));
        // With no ports (`serve`) there is nothing to map; the transmit thread alone counts
        // what packet-outs send to ports that do not exist.
        let rings = match opts.io {
            Io::Ring if !specs.is_empty() => open_rings(specs, &ifaces),
            _ => None,
        };
        let mut ports = Ports {
            io: if rings.is_some() {
                Io::Ring
            } else {
                Io::Socket
            },
            counters: counters.clone(),
            stop: stop.clone(),
            threads: Vec::new(),
        };
        let (sink, out) = mpsc::channel();
        if let Some(rings) = rings {
            let mut by_number = vec![None; usize::from(port::MAX_PORT) + 1];
            for (i, s) in specs.iter().enumerate() {
                by_number[usize::from(s.port)] = Some(i);
                tracing::info!(port = s.port, iface = %s.iface, io = "ring", "port attached");
            }
            let packets = Packets {
                service: service.clone(),
                numbers: specs.iter().map(|s| s.port).collect(),
                by_number,
                rings,
                out,
                counters,
                stop,
                wait: match opts.cpu_port {
                    Some(_) => opts.wake.min(opts.poll),
                    None => opts.poll,
                },
                send_wait: opts.send_wait,
            };
            ports.spawn("ring".into(), move || packets.run())?;
            service.set_port_sink(sink);
            return Ok(ports);
        }
        let mut opened = Vec::with_capacity(specs.len());
        for (s, iface) in specs.iter().zip(&ifaces) {
            let open =
                port::open(iface, opts.poll, opts.send_wait).map_err(|source| Error::Open {
                    port: s.port,
                    iface: s.iface.clone(),
                    source,
                })?;
            opened.push(open);
        }
        let mut senders: Vec<Option<(usize, Box<dyn DataLinkSender>)>> =
            (0..=port::MAX_PORT).map(|_| None).collect();
        for (i, (s, open)) in specs.iter().zip(opened).enumerate() {
            senders[usize::from(s.port)] = Some((i, open.tx));
            let rx = Receive {
                service: service.clone(),
                port: s.port,
                index: i,
                rx: open.rx,
                counters: counters.clone(),
                stop: stop.clone(),
                poll: opts.poll,
            };
            ports.spawn(format!("rx-port-{}", s.port), move || rx.run())?;
            tracing::info!(port = s.port, iface = %s.iface, io = "socket", "port attached");
        }
        let tx = Transmit {
            out,
            senders,
            counters,
            stop,
            poll: opts.poll,
        };
        ports.spawn("tx".into(), move || tx.run())?;
        service.set_port_sink(sink);
        Ok(ports)
    }

    /// How the ports move frames: [`Io::Socket`] when asked for, or when rings were asked for
    /// but could not be set up.
    pub fn io(&self) -> Io {
        self.io
    }

    fn spawn(&mut self, name: String, f: impl FnOnce() + Send + 'static) -> Result<(), Error> {
        let h = thread::Builder::new()
            .name(name.clone())
            .spawn(f)
            .map_err(Error::Thread)?;
        self.threads.push((name, h));
        Ok(())
    }

    /// The live counters, for metrics.
    pub fn counters(&self) -> &Arc<Counters> {
        &self.counters
    }

    /// Stops every thread, waiting at most `within` for them to end, and reads the counters
    /// last.
    pub fn detach(mut self, within: Duration) -> Detached {
        self.stop.store(true, Ordering::Relaxed);
        let deadline = Instant::now() + within;
        while Instant::now() < deadline && self.threads.iter().any(|(_, h)| !h.is_finished()) {
            thread::sleep(Duration::from_millis(2));
        }
        let mut unjoined = Vec::new();
        for (name, h) in self.threads.drain(..) {
            if h.is_finished() {
                if h.join().is_err() {
                    tracing::error!(thread = %name, "packet thread panicked");
                }
            } else {
                unjoined.push(name);
            }
        }
        Detached {
            totals: self.counters.totals(),
            unjoined,
        }
    }
}

impl Drop for Ports {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn check(specs: &[PortSpec], cpu_port: Option<u16>) -> Result<(), Error> {
    for (i, s) in specs.iter().enumerate() {
        if Some(s.port) == cpu_port {
            return Err(Error::CpuPort(s.port));
        }
        if specs[..i].iter().any(|p| p.port == s.port) {
            return Err(Error::DuplicatePort(s.port));
        }
        if specs[..i].iter().any(|p| p.iface == s.iface) {
            return Err(Error::DuplicateInterface(s.iface.clone()));
        }
    }
    Ok(())
}

/// Rings on every port, or `None` (logged) if any of them cannot be set up.
fn open_rings(specs: &[PortSpec], ifaces: &[NetworkInterface]) -> Option<Vec<ring::Rings>> {
    let mut all = Vec::with_capacity(specs.len());
    for (s, iface) in specs.iter().zip(ifaces) {
        match ring::open(&iface.name, iface.index, &port::not_outgoing()) {
            Ok(r) => all.push(r),
            Err(e) => {
                tracing::warn!(port = s.port, iface = %s.iface, error = %e,
                    "no memory-mapped ring, every port uses sockets");
                return None;
            }
        }
    }
    Some(all)
}

fn known_interfaces() -> String {
    let names: Vec<String> = pnet_datalink::interfaces()
        .into_iter()
        .map(|i| i.name)
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// A receive thread: frames of one port into the core.
struct Receive {
    service: Service,
    port: u16,
    index: usize,
    rx: Box<dyn DataLinkReceiver>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    poll: Duration,
}

impl Receive {
    fn run(mut self) {
        let c = &self.counters.ports[self.index];
        while !self.stop.load(Ordering::Relaxed) {
            match self.rx.next() {
                Ok(frame) => {
                    c.received(frame.len());
                    if !self.service.inject(self.port, frame) {
                        self.counters.count_drop(PortDrop::NoPipeline);
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => {
                    // A link going down reports once per event; waiting a poll interval keeps a
                    // persistent error from spinning the thread.
                    c.rx_error();
                    tracing::warn!(port = self.port, iface = %c.iface, error = %e, "receive failed");
                    thread::sleep(self.poll);
                }
            }
        }
    }
}

/// The transmit thread: packets the core sends, out of their ports.
struct Transmit {
    out: Receiver<OutPacket>,
    /// Indexed by port number: the port's position in the counters and its socket.
    senders: Vec<Option<(usize, Box<dyn DataLinkSender>)>>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    poll: Duration,
}

impl Transmit {
    fn run(mut self) {
        while !self.stop.load(Ordering::Relaxed) {
            match self.out.recv_timeout(self.poll) {
                Ok(p) => self.send(&p),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
    }

    fn send(&mut self, p: &OutPacket) {
        let Some(Some((i, tx))) = self.senders.get_mut(usize::from(p.port)) else {
            self.counters.count_drop(PortDrop::NoSuchPort);
            return;
        };
        match tx.send_to(&p.data, None) {
            Some(Ok(())) => self.counters.ports[*i].sent(p.data.len()),
            Some(Err(e)) if e.kind() == std::io::ErrorKind::TimedOut => {
                self.counters.count_drop(PortDrop::TxQueueFull);
            }
            Some(Err(e)) => {
                self.counters.count_drop(PortDrop::TxError);
                tracing::debug!(port = p.port, len = p.data.len(), error = %e, "send failed");
            }
            None => self.counters.count_drop(PortDrop::TxError),
        }
    }
}

/// Frames one port may take from its receive ring before the other ports get their turn.
const BATCH: usize = 256;
/// Packets taken from the port sink in one go (each received frame yields a few at most).
const DRAIN: usize = 4 * BATCH;

/// The packet thread of ring mode: every port's rings, the switch between them.
struct Packets {
    service: Service,
    /// Port numbers in the order of `rings` and the counters.
    numbers: Vec<u16>,
    /// Indexed by port number: the port's position in `rings`.
    by_number: Vec<Option<usize>>,
    rings: Vec<ring::Rings>,
    out: Receiver<OutPacket>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    /// Longest `poll` on the receive rings.
    wait: Duration,
    send_wait: Duration,
}

impl Packets {
    fn run(mut self) {
        let mut fds: Vec<libc::pollfd> = self
            .rings
            .iter()
            .map(|r| libc::pollfd {
                fd: r.rx.fd(),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        // Ports whose transmit ring stayed full for `send_wait` in this round: further packets
        // to them drop at once, so one round never waits more than `send_wait` per port.
        let mut stalled = vec![false; self.rings.len()];
        while !self.stop.load(Ordering::Relaxed) {
            stalled.fill(false);
            let mut busy = false;
            for i in 0..self.rings.len() {
                busy |= self.receive(i, &mut stalled) > 0;
            }
            // Packet-outs from controllers also arrive in the sink.
            busy |= self.drain(&mut stalled) > 0;
            self.flush();
            if busy {
                continue;
            }
            if let Err(e) = ring::poll_readable(&mut fds, self.wait) {
                tracing::warn!(error = %e, "poll on the receive rings failed");
                thread::sleep(self.wait);
            }
        }
    }

    /// Up to [`BATCH`] frames of port `i` through the switch, and what they produced into the
    /// transmit rings; returns how many frames it took.
    fn receive(&mut self, i: usize, stalled: &mut [bool]) -> usize {
        let port = self.numbers[i];
        let c = &self.counters.ports[i];
        let mut n = 0;
        while n < BATCH {
            let Some(mut f) = self.rings[i].rx.take() else {
                break;
            };
            n += 1;
            if f.outgoing() {
                continue;
            }
            if f.truncated() {
                c.rx_error();
                tracing::debug!(port, "frame larger than a ring slot");
                continue;
            }
            let Some(frame) = f.data() else {
                c.rx_error();
                continue;
            };
            c.received(frame.len());
            if !self.service.inject(port, frame) {
                self.counters.count_drop(PortDrop::NoPipeline);
            }
        }
        if n > 0 {
            self.drain(stalled);
        }
        n
    }

    /// Moves what the switch sent from the port sink into the transmit rings.
    fn drain(&mut self, stalled: &mut [bool]) -> usize {
        let mut n = 0;
        while n < DRAIN {
            let Ok(p) = self.out.try_recv() else {
                break;
            };
            n += 1;
            self.transmit(&p, stalled);
        }
        n
    }

    fn transmit(&mut self, p: &OutPacket, stalled: &mut [bool]) {
        let Some(&Some(i)) = self.by_number.get(usize::from(p.port)) else {
            self.counters.count_drop(PortDrop::NoSuchPort);
            return;
        };
        let tx = &mut self.rings[i].tx;
        let mut deadline = None;
        loop {
            match tx.push(&p.data) {
                ring::Push::Queued => {
                    self.counters.ports[i].sent(p.data.len());
                    return;
                }
                ring::Push::Refused => {
                    self.counters.count_drop(PortDrop::TxError);
                    tracing::debug!(port = p.port, len = p.data.len(), "frame refused");
                    return;
                }
                ring::Push::Full if stalled[i] => break,
                ring::Push::Full => match deadline {
                    None => {
                        // The slot may be one we requested and did not flush yet.
                        if let Err(e) = tx.flush() {
                            tracing::debug!(port = p.port, error = %e, "send failed");
                        }
                        deadline = Some(Instant::now() + self.send_wait);
                    }
                    Some(d) if Instant::now() >= d => {
                        stalled[i] = true;
                        break;
                    }
                    Some(_) => thread::sleep(Duration::from_micros(50)),
                },
            }
        }
        self.counters.count_drop(PortDrop::TxQueueFull);
    }

    /// One `send` per transmit ring with requested frames.
    fn flush(&mut self) {
        for (r, port) in self.rings.iter_mut().zip(&self.numbers) {
            if r.tx.pending() > 0
                && let Err(e) = r.tx.flush()
            {
                // The requested frames stay in the ring and leave with the next send that
                // works; if none does, the ring fills and later packets count as queue full.
                tracing::debug!(port, error = %e, "send failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(port: u16, iface: &str) -> PortSpec {
        PortSpec {
            port,
            iface: iface.into(),
        }
    }

    #[test]
    fn port_lists_are_checked_before_anything_opens() {
        let s = Service::new(1, Some(64));
        let err = |specs: &[PortSpec]| {
            Ports::attach(
                &s,
                specs,
                &Options {
                    cpu_port: Some(64),
                    ..Options::default()
                },
            )
            .err()
            .map(|e| e.to_string())
        };
        assert_eq!(
            err(&[spec(1, "a"), spec(1, "b")]).as_deref(),
            Some("port 1 is given twice")
        );
        assert_eq!(
            err(&[spec(1, "a"), spec(2, "a")]).as_deref(),
            Some("interface `a` is given to two ports")
        );
        assert_eq!(
            err(&[spec(64, "a")]).as_deref(),
            Some("port 64 is the CPU port; it has no interface")
        );
        let missing = err(&[spec(3, "ddsr-no-such-if")]).unwrap_or_default();
        assert!(
            missing.starts_with(
                "port 3: no interface `ddsr-no-such-if` in this network namespace (found: "
            ),
            "{missing}"
        );
    }
}

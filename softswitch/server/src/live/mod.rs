//! Live ports: the softswitch attached to Linux interfaces (veth, TAP, physical).
//!
//! The central structure is [`Ports`]: one AF_PACKET socket per switch port ([`port`]), one
//! receive thread per port that runs each frame through [`Service::inject`] (so controllers on
//! the gRPC server and the wire share one switch), and one transmit thread that drains the
//! service's port sink and writes each packet to its port's socket. [`Counters`] are atomics
//! the threads bump and metrics ([`metrics`]) or the shutdown summary read.
//!
//! Invariants:
//! - receive frames are borrowed from the socket's buffer and never copied before the core;
//! - every thread looks at the stop flag at least once per `poll` interval, so
//!   [`Ports::detach`] returns within its bound even on idle or dead links;
//! - the only user-space queue on the packet path is the port sink, and the transmit thread
//!   takes each packet off it at once: a full interface queue drops the packet after
//!   `send_wait` and counts it ([`PortDrop::TxQueueFull`]) instead of letting the sink grow;
//!   receive overload is absorbed and counted by the kernel's socket buffer.

pub mod counters;
pub mod metrics;
pub mod port;
pub mod preload;
mod signal;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use ddsr_softswitch::OutPacket;
use pnet_datalink::{DataLinkReceiver, DataLinkSender};

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

/// Timing of the packet threads.
#[derive(Debug, Clone)]
pub struct Options {
    /// Longest a thread waits for a packet before it looks at the stop flag.
    pub poll: Duration,
    /// Longest a send waits for room in an interface's transmit queue before dropping.
    pub send_wait: Duration,
    /// The device's CPU port, which must not also be a data port.
    pub cpu_port: Option<u16>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            poll: Duration::from_millis(50),
            send_wait: Duration::from_millis(10),
            cpu_port: None,
        }
    }
}

/// Attached ports and their threads; dropping it stops the threads without waiting.
pub struct Ports {
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
    /// Opens every port, points `service`'s port sink at the transmit thread and starts the
    /// threads. Nothing is started unless every port opens.
    pub fn attach(service: &Service, specs: &[PortSpec], opts: &Options) -> Result<Ports, Error> {
        check(specs, opts.cpu_port)?;
        let mut opened = Vec::with_capacity(specs.len());
        for s in specs {
            let iface = port::interface(&s.iface).ok_or_else(|| Error::NoInterface {
                port: s.port,
                iface: s.iface.clone(),
                known: known_interfaces(),
            })?;
            let open =
                port::open(&iface, opts.poll, opts.send_wait).map_err(|source| Error::Open {
                    port: s.port,
                    iface: s.iface.clone(),
                    source,
                })?;
            opened.push(open);
        }
        let counters = Arc::new(Counters::new(
            specs
                .iter()
                .map(|s| PortCounters::new(s.port, &s.iface))
                .collect(),
        ));
        let stop = Arc::new(AtomicBool::new(false));
        let mut ports = Ports {
            counters: counters.clone(),
            stop: stop.clone(),
            threads: Vec::new(),
        };
        let mut senders: Vec<Option<(usize, Box<dyn DataLinkSender>)>> =
            (0..=port::MAX_PORT).map(|_| None).collect();
        let (sink, out) = mpsc::channel();
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
            tracing::info!(port = s.port, iface = %s.iface, "port attached");
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

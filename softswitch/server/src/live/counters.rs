//! Counters of the live-port layer: per-port traffic and the packets this layer drops, as
//! relaxed atomics that the packet threads bump and metrics or the shutdown summary read.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why the live-port layer (not the pipeline) dropped a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortDrop {
    /// A frame arrived before any pipeline was committed.
    NoPipeline,
    /// The pipeline sent a packet to a port number no interface is attached to.
    NoSuchPort,
    /// The interface's transmit queue stayed full for the whole send wait.
    TxQueueFull,
    /// The kernel refused the frame (link down, frame above the MTU, ...).
    TxError,
}

impl PortDrop {
    pub const ALL: [PortDrop; 4] = [
        PortDrop::NoPipeline,
        PortDrop::NoSuchPort,
        PortDrop::TxQueueFull,
        PortDrop::TxError,
    ];

    /// A stable label for metrics.
    pub const fn label(self) -> &'static str {
        match self {
            PortDrop::NoPipeline => "no_pipeline",
            PortDrop::NoSuchPort => "no_such_port",
            PortDrop::TxQueueFull => "tx_queue_full",
            PortDrop::TxError => "tx_error",
        }
    }
}

impl fmt::Display for PortDrop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PortDrop::NoPipeline => "no pipeline committed",
            PortDrop::NoSuchPort => "sent to a port with no interface",
            PortDrop::TxQueueFull => "transmit queue full",
            PortDrop::TxError => "transmit error",
        })
    }
}

/// Traffic of one attached port.
#[derive(Debug)]
pub struct PortCounters {
    pub port: u16,
    pub iface: String,
    rx_packets: AtomicU64,
    rx_bytes: AtomicU64,
    tx_packets: AtomicU64,
    tx_bytes: AtomicU64,
    rx_errors: AtomicU64,
}

impl PortCounters {
    pub(super) fn new(port: u16, iface: &str) -> PortCounters {
        PortCounters {
            port,
            iface: iface.to_string(),
            rx_packets: AtomicU64::new(0),
            rx_bytes: AtomicU64::new(0),
            tx_packets: AtomicU64::new(0),
            tx_bytes: AtomicU64::new(0),
            rx_errors: AtomicU64::new(0),
        }
    }

    pub(super) fn received(&self, len: usize) {
        self.rx_packets.fetch_add(1, Ordering::Relaxed);
        self.rx_bytes.fetch_add(len as u64, Ordering::Relaxed);
    }

    pub(super) fn sent(&self, len: usize) {
        self.tx_packets.fetch_add(1, Ordering::Relaxed);
        self.tx_bytes.fetch_add(len as u64, Ordering::Relaxed);
    }

    pub(super) fn rx_error(&self) {
        self.rx_errors.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> PortTotals {
        PortTotals {
            port: self.port,
            iface: self.iface.clone(),
            rx_packets: self.rx_packets.load(Ordering::Relaxed),
            rx_bytes: self.rx_bytes.load(Ordering::Relaxed),
            tx_packets: self.tx_packets.load(Ordering::Relaxed),
            tx_bytes: self.tx_bytes.load(Ordering::Relaxed),
            rx_errors: self.rx_errors.load(Ordering::Relaxed),
        }
    }
}

/// Every counter of the live-port layer; shared by the packet threads and readers.
#[derive(Debug)]
pub struct Counters {
    /// In the order the ports were given.
    pub ports: Vec<PortCounters>,
    drops: [AtomicU64; PortDrop::ALL.len()],
}

impl Counters {
    pub(super) fn new(ports: Vec<PortCounters>) -> Counters {
        Counters {
            ports,
            drops: Default::default(),
        }
    }

    pub(super) fn count_drop(&self, why: PortDrop) {
        self.drops[why as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// A consistent-enough copy for printing: each counter is read once.
    pub fn totals(&self) -> Totals {
        Totals {
            ports: self.ports.iter().map(PortCounters::snapshot).collect(),
            drops: PortDrop::ALL.map(|d| (d, self.drops[d as usize].load(Ordering::Relaxed))),
        }
    }
}

/// Read-out of one port's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortTotals {
    pub port: u16,
    pub iface: String,
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    pub rx_errors: u64,
}

/// Read-out of [`Counters`]: what the shutdown summary prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    pub ports: Vec<PortTotals>,
    pub drops: [(PortDrop, u64); PortDrop::ALL.len()],
}

impl Totals {
    /// Packets dropped for `why`.
    pub fn dropped(&self, why: PortDrop) -> u64 {
        self.drops[why as usize].1
    }
}

impl fmt::Display for Totals {
    /// One line per port, then one per drop reason that happened.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.ports {
            write!(
                f,
                "port {} ({}): rx {} packets {} bytes, tx {} packets {} bytes",
                p.port, p.iface, p.rx_packets, p.rx_bytes, p.tx_packets, p.tx_bytes
            )?;
            if p.rx_errors > 0 {
                write!(f, ", {} receive errors", p.rx_errors)?;
            }
            writeln!(f)?;
        }
        for (why, n) in &self.drops {
            if *n > 0 {
                writeln!(f, "dropped {n}: {why}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_lists_ports_and_only_drops_that_happened() {
        let c = Counters::new(vec![
            PortCounters::new(1, "veth-a"),
            PortCounters::new(2, "veth-b"),
        ]);
        c.ports[0].received(60);
        c.ports[0].received(100);
        c.ports[1].sent(60);
        c.count_drop(PortDrop::NoSuchPort);
        c.count_drop(PortDrop::NoSuchPort);
        let t = c.totals();
        assert_eq!(t.dropped(PortDrop::NoSuchPort), 2);
        assert_eq!(t.dropped(PortDrop::TxError), 0);
        assert_eq!(
            t.to_string(),
            "port 1 (veth-a): rx 2 packets 160 bytes, tx 0 packets 0 bytes\n\
             port 2 (veth-b): rx 0 packets 0 bytes, tx 1 packets 60 bytes\n\
             dropped 2: sent to a port with no interface\n"
        );
    }
}

//! Pipeline statistics of a device: what the committed pipeline received, sent and dropped
//! (by ingress port and reason), and how often each table hit or missed.
//!
//! The counters live where the packets are: totals and table lookups in the switch core,
//! drops per ingress port in [`PortDrops`] next to it in the committed config. All of them
//! start at zero when a pipeline is committed. [`Stats`] is a snapshot taken under the device
//! lock, so its numbers are consistent with each other.

use ddsr_softswitch::{DropReason, Switch};

/// Pipeline drops by ingress port and reason; grows only when a new port drops its first
/// packet, so counting does not allocate in steady state.
#[derive(Debug, Clone, Default)]
pub struct PortDrops {
    /// Indexed by ingress port, then by [`DropReason::index`].
    counts: Vec<[u64; DropReason::ALL.len()]>,
}

impl PortDrops {
    /// Counts the drops one packet received on `port` ended with.
    pub fn count(&mut self, port: u16, drops: &[DropReason]) {
        if drops.is_empty() {
            return;
        }
        let at = usize::from(port);
        if self.counts.len() <= at {
            self.counts.resize(at + 1, [0; DropReason::ALL.len()]);
        }
        for d in drops {
            self.counts[at][d.index()] += 1;
        }
    }

    /// Non-zero counts in (port, reason) order.
    pub fn iter(&self) -> impl Iterator<Item = DropCount> + '_ {
        self.counts.iter().enumerate().flat_map(|(port, row)| {
            DropReason::ALL.iter().filter_map(move |r| {
                let packets = row[r.index()];
                (packets != 0).then_some(DropCount {
                    port: port as u16,
                    reason: *r,
                    packets,
                })
            })
        })
    }
}

/// Packets that entered on `port` and were dropped for `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DropCount {
    pub port: u16,
    pub reason: DropReason,
    pub packets: u64,
}

/// How often one table was looked up with and without a matching entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableLookups {
    pub table: String,
    pub hits: u64,
    pub misses: u64,
}

/// A snapshot of the committed pipeline's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Packets the pipeline took in (data ports and packet-out).
    pub received: u64,
    /// Packets it emitted (replicas and clones each count).
    pub sent: u64,
    /// Non-zero drop counts in (port, reason) order.
    pub drops: Vec<DropCount>,
    /// Every table, in the pipeline's order.
    pub tables: Vec<TableLookups>,
}

impl Stats {
    pub fn of(switch: &Switch, drops: &PortDrops) -> Stats {
        Stats {
            received: switch.stats.received,
            sent: switch.stats.sent,
            drops: drops.iter().collect(),
            tables: switch
                .lookups()
                .map(|(t, l)| TableLookups {
                    table: t.name.clone(),
                    hits: l.hits,
                    misses: l.misses,
                })
                .collect(),
        }
    }
}

/// The metric label of a drop reason (the same words as the core's JSON form).
pub fn label(r: DropReason) -> &'static str {
    match r {
        DropReason::Ingress => "ingress",
        DropReason::Egress => "egress",
        DropReason::NoMulticastGroup => "no_multicast_group",
        DropReason::NoCloneSession => "no_clone_session",
        DropReason::Assert => "assert",
        DropReason::PassLimit => "pass_limit",
        DropReason::TooLarge => "too_large",
        DropReason::Empty => "empty",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_drops_are_counted_per_port_and_reason_and_listed_in_order() {
        let mut d = PortDrops::default();
        d.count(3, &[DropReason::Ingress]);
        d.count(1, &[]);
        d.count(3, &[DropReason::Ingress, DropReason::NoCloneSession]);
        d.count(0, &[DropReason::Egress]);
        let all: Vec<DropCount> = d.iter().collect();
        assert_eq!(
            all,
            vec![
                DropCount {
                    port: 0,
                    reason: DropReason::Egress,
                    packets: 1
                },
                DropCount {
                    port: 3,
                    reason: DropReason::Ingress,
                    packets: 2
                },
                DropCount {
                    port: 3,
                    reason: DropReason::NoCloneSession,
                    packets: 1
                },
            ]
        );
    }

    #[test]
    fn labels_match_the_core_json_names() {
        for r in DropReason::ALL {
            let json = serde_json::to_string(&r).expect("serialises");
            assert_eq!(json, format!("\"{}\"", label(r)));
        }
    }
}

//! Drops are values: every packet that does not leave ends with a reason, counted per reason.

use std::fmt;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// Ingress left `egress_spec` at the drop port (`mark_to_drop`).
    Ingress,
    /// Egress called `mark_to_drop`.
    Egress,
    /// `mcast_grp` names a group that does not exist.
    NoMulticastGroup,
    /// `clone` names a session that does not exist (the original still goes on).
    NoCloneSession,
    /// An `assert` or `assume` failed.
    Assert,
    /// Resubmit and recirculate passes exceeded [`crate::switch::MAX_PASSES`].
    PassLimit,
    /// The deparsed packet would exceed the buffer limit.
    TooLarge,
    /// The packet was empty.
    Empty,
}

impl DropReason {
    pub const ALL: [DropReason; 8] = [
        DropReason::Ingress,
        DropReason::Egress,
        DropReason::NoMulticastGroup,
        DropReason::NoCloneSession,
        DropReason::Assert,
        DropReason::PassLimit,
        DropReason::TooLarge,
        DropReason::Empty,
    ];

    pub const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DropReason::Ingress => "dropped in ingress (egress_spec is the drop port)",
            DropReason::Egress => "dropped in egress (mark_to_drop)",
            DropReason::NoMulticastGroup => "no such multicast group",
            DropReason::NoCloneSession => "no such clone session",
            DropReason::Assert => "assert or assume failed",
            DropReason::PassLimit => "too many resubmit or recirculate passes",
            DropReason::TooLarge => "deparsed packet too large",
            DropReason::Empty => "empty packet",
        })
    }
}

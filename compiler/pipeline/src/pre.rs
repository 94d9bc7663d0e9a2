//! The packet replication engine's configuration: multicast groups and clone sessions.

use serde::{Deserialize, Serialize};

/// One copy: the egress port and the replication id (`standard_metadata.egress_rid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Replica {
    pub port: u16,
    pub rid: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MulticastGroup {
    pub group: u16,
    pub replicas: Vec<Replica>,
}

/// A clone (mirror) session: where clones go, optionally truncated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloneSession {
    pub session: u32,
    pub replicas: Vec<Replica>,
    #[serde(default)]
    pub truncate_bytes: Option<u32>,
}

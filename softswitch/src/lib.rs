//! ddsr's software P4 switch: executes the pipeline IR (`ddsr-pipeline`) with the semantics of
//! BMv2's simple_switch for the v1model architecture.
//!
//! The central structure is [`Switch`]: a validated [`ddsr_pipeline::Pipeline`], a
//! [`layout::Layout`] that maps every header field to a slot of the packet header vector
//! ([`phv::Phv`]), per-table state with a fast index ([`table::Index`]), extern state
//! (counters, meters, registers, action profiles) and the packet replication engine
//! (multicast groups, clone sessions). [`Switch::process`] runs one packet through parser,
//! ingress, traffic manager, egress and deparser and appends results to an [`Output`].
//!
//! Invariants: the core is sans-IO (no sockets, threads or clocks; time is an argument); only
//! validated pipelines are loaded, so the interpreter indexes arenas without checks; every
//! packet ends as output packets or as a [`drop::DropReason`] (counted in [`switch::Stats`]);
//! in steady state (unicast, no trace, no digests or logs) processing does not allocate, because
//! the PHV, packet buffer, job queue and output buffers are reused.

pub mod bits;
pub mod code;
pub mod drop;
pub mod exec;
pub mod externs;
pub mod layout;
pub mod offline;
pub mod pcap;
pub mod phv;
pub mod programs;
pub mod stf;

pub mod switch;
pub mod table;
pub mod tna;
pub mod trace;

pub use drop::DropReason;
pub use switch::{ControlError, LoadError, OutPacket, Output, Switch};
pub use trace::Trace;

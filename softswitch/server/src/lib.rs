//! The softswitch as a network device: a P4Runtime v1 server (tonic) around the sans-IO
//! switch core.
//!
//! The central structure is [`device::Device`]: the committed forwarding config (P4Info, the
//! device config bytes, the id maps of [`schema::Schema`] and the [`ddsr_softswitch::Switch`]
//! running it), a saved config awaiting COMMIT, and the per-entry fields P4Runtime carries that
//! the data plane ignores. [`service::Service`] wraps it in a mutex shared with the packet path,
//! runs primary election ([`arbitration`]) and translates entities ([`translate`]).
//!
//! Invariants: only the primary client changes state (Write, SetForwardingPipelineConfig,
//! packet-out); values are stored padded in the entry model and returned canonical, so a
//! canonical write reads back byte-identical; a failed ROLLBACK_ON_ERROR or DATAPLANE_ATOMIC
//! batch leaves no trace, and packets never observe half of a batch.

pub mod arbitration;
pub mod cells;
pub mod device;
pub mod digest;
pub mod error;
pub mod live;
pub mod load;
pub mod packet_io;
pub mod pre;
pub mod profile;
pub mod schema;
pub mod service;
pub mod stats;
pub mod tls;
pub mod translate;
pub mod write;

pub use error::Error;
pub use load::{apply_write_request, parse_write_request};
pub use service::{API_VERSION, MAX_MESSAGE, PortSink, Service};
pub use stats::Stats;
pub use tls::{Tls, TlsError};

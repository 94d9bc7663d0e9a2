//! The ddsr control plane: loads compiled table entries onto P4Runtime targets, keeps the configuration store, and runs the per-host agent.

pub mod agent;
pub mod artifacts;
pub mod load;
pub mod p4rt;
pub mod publish;
pub mod status;
pub mod store;
pub mod target;

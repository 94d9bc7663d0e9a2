//! The ddsr control plane: loads compiled table entries onto P4Runtime targets, keeps the configuration store, and runs the per-host agent.

pub mod publish;
pub mod status;
pub mod store;

//! Synthetic inputs for tests and benchmarks, generated from a seed so every run sees the same
//! data.

pub mod firewall;
mod rng;

pub use rng::Rng;

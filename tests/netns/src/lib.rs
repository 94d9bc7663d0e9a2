//! Network-namespace topologies for ddsr's end-to-end test and `ddsr demo`.
//!
//! The central structure is [`Lab`]: it owns every namespace it created (named
//! `ddsr-<area>-<pid>-<short>`, so concurrent labs and concurrent users never collide) and every
//! process it spawned inside them. Links are veth pairs created directly between two namespaces
//! and bridges that live inside a namespace, so the caller's own namespace is never touched.
//!
//! Invariants:
//! - every external command (`ip`, `sysctl`, `kill`) runs with a deadline ([`cmd::run`]); a
//!   command that hangs is killed and reported as [`Error::Timeout`];
//! - dropping a [`Lab`] (also while unwinding from a panic) stops its processes, kills whatever
//!   else still runs in its namespaces and deletes the namespaces, which destroys their links;
//!   [`Lab::keep`] disarms this on purpose, and [`remove_stale`] cleans up after a kept lab;
//! - spawned processes get their own process group, so a Ctrl-C typed at the terminal reaches
//!   only the program that owns the lab, which then cleans up in order.

pub mod cmd;
mod error;
mod lab;

pub use error::Error;
pub use lab::{Lab, Ns, Proc, is_root, remove_stale};

//! The simple test format (STF) of p4c's BMv2 tests: a parser ([`parse`]) into [`Command`]s and
//! a runner ([`run`]) that drives a loaded [`crate::Switch`] and checks the packets.
//!
//! Table, action, key and parameter names are control-plane names or a unique suffix of one
//! (as p4c's driver accepts). Expectations are checked per port, in order and in number: a
//! missing or an unexpected packet fails the test.

mod parse;
mod run;

pub use parse::{Command, Expect, KeyText, Line, parse};
pub use run::{Report, diff, resolve, run};

/// A problem in an STF file, with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct StfError {
    pub line: usize,
    pub message: String,
}

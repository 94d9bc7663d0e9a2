//! YAML text -> tree of spanned [`node::Node`]s, with the resource budget and duplicate keys
//! checked. Everything policy-specific happens later, in [`crate::lower`].

pub mod node;
mod yaml;

pub use yaml::{MAX_EVENTS, MAX_INPUT_BYTES, MAX_NODES, parse};

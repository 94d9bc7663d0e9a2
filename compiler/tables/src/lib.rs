//! The table compiler: the passes that turn a policy's pools and ACLs into table entries, and
//! one back end per target format.
//!
//! Stages, one folder each: `passes/` holds the algorithms that do not depend on the policy IR's
//! exact shape and so take their own small input types ([`passes::maglev::Backend`],
//! [`passes::acl::Rule`]); `plan/` turns the policy into each host's logical entries by name;
//! `program` lowers each host's role program with the P4 front end, and entries are resolved
//! against that lowered pipeline; `back/<format>/` writes the artifacts from resolved entries;
//! `synth/` generates synthetic inputs (ClassBench-style firewalls) for tests and benchmarks.
//!
//! Invariants: every pass is deterministic (same input, same output, whatever the order of
//! backends in a pool) and reports bad input as a typed error, never a panic; nothing here
//! truncates a table silently.

pub mod back;
pub mod buckets;
pub mod capacity;
pub mod compile;
pub mod diff;
pub mod explain;
pub mod passes;
pub mod plan;
pub mod program;
pub mod reference;
pub mod synth;
pub mod trace;

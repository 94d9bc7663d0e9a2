//! Passes that compute table contents: consistent-hash bucket tables and ACL lowering.

pub mod acl;
pub mod maglev;

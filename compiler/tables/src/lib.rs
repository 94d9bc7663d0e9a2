//! The table compiler: passes (consistent hashing, ACL lowering, capacity) and one back end per target format

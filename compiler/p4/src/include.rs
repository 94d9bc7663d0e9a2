//! The architecture headers built into the binary (`compiler/p4/include/*.p4`), found by
//! `#include <core.p4>` after the user's include directories.

/// (file name, contents) of every embedded header, sorted by name.
pub const HEADERS: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_headers.rs"));

/// The embedded header named `name` (`core.p4`, `v1model.p4`, ...).
pub fn builtin(name: &str) -> Option<&'static str> {
    HEADERS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

//! Back ends, one folder per output format. Each reads only resolved entries and the lowered
//! program they were resolved against, and returns [`Artifact`]s: bytes under a path relative to the
//! output directory, so the driver can write them all at once or not at all.
//!
//! - [`p4runtime`]: `entries.txtpb` (a P4Runtime `WriteRequest` in protobuf text format) and
//!   `entries.json` (the same entries by name, for people and scripts);
//! - [`bmv2_cli`]: `bmv2.cli`, `simple_switch_CLI` commands (BMv2 hosts);
//! - [`bfrt`]: `bfrt.json`, BF Runtime entries by name (Tofino hosts);
//! - [`p4`]: `program.p4` with table sizes set, and `p4info.txtpb` (`pipeline.json` is the
//!   lowered pipeline itself);
//! - [`manifest`]: `manifest.json`, every artifact's SHA-256 and the policy's hash.

pub mod bfrt;
pub mod bmv2_cli;
pub mod manifest;
pub mod p4;
pub mod p4runtime;

/// One output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Relative path with `/` separators, e.g. `in-1/entries.txtpb`.
    pub path: String,
    pub bytes: Vec<u8>,
}

impl Artifact {
    pub fn new(path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        Artifact {
            path: path.into(),
            bytes: bytes.into(),
        }
    }
}

/// A value as lower-case hex with `0x` and the key's full byte width, as BMv2's CLI and people
/// read it.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + 2 * bytes.len());
    s.push_str("0x");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

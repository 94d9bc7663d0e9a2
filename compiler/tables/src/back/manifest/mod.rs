//! `manifest.json`: every artifact of a compile with its size and SHA-256, and each policy's
//! SHA-256, so a deployment can check it has exactly what was compiled.

use serde_json::json;
use sha2::{Digest, Sha256};

use super::Artifact;

pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `policies` are (name, text) of the compiled policies; `artifacts` are listed sorted by path.
pub fn manifest(policies: &[(String, String)], artifacts: &[Artifact]) -> Artifact {
    let mut listed: Vec<&Artifact> = artifacts.iter().collect();
    listed.sort_by(|a, b| a.path.cmp(&b.path));
    let v = json!({
        "format": 1,
        "policies": policies.iter().map(|(name, text)| json!({
            "name": name,
            "sha256": sha256(text.as_bytes()),
        })).collect::<Vec<_>>(),
        "artifacts": listed.iter().map(|a| json!({
            "path": a.path,
            "bytes": a.bytes.len(),
            "sha256": sha256(&a.bytes),
        })).collect::<Vec<_>>(),
    });
    let mut s = serde_json::to_string_pretty(&v).expect("JSON values serialise");
    s.push('\n');
    Artifact::new("manifest.json", s)
}

//! Every host's `entries.txtpb` and `p4info.txtpb` of the lab policy and of
//! `policies/tofino.yaml` (Tofino hosts: TNA programs, ternary ACL ports), read by the official
//! P4Runtime Python bindings (protobuf's own text parser, in the venv of
//! `tests/python/pyenv.py`), and each entry checked against the P4Info by
//! `tests/python/check_entries.py`: tables, match fields, match kinds, actions and parameters
//! exist, values fit their bit widths, priorities are set exactly where P4Runtime requires them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ddsr_diag::SourceMap;
use ddsr_tables::compile::{self, Options};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> PathBuf {
    let out = Command::new("python3")
        .arg(root().join("tests/python/pyenv.py"))
        .stderr(Stdio::inherit())
        .output()
        .expect("python3 must be installed to run the interop tests");
    assert!(
        out.status.success(),
        "creating the Python venv failed (needs PyPI)"
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

#[test]
fn entries_parse_with_the_official_bindings_and_match_the_p4info() {
    let py = python();
    let mut tofino_hosts = 0;
    for path in [
        "compiler/tests/snapshots/compile/lab.yaml",
        "policies/tofino.yaml",
    ] {
        tofino_hosts += check_policy(&py, path);
    }
    assert!(tofino_hosts >= 3, "{tofino_hosts} Tofino hosts checked");
}

/// Checks every host of the policy at `path`; returns how many are Tofino hosts.
fn check_policy(py: &Path, path: &str) -> usize {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    let mut sources = SourceMap::new();
    let (policy, diags) = ddsr_policy::check_source(&mut sources, path, &text);
    let policy = policy.unwrap_or_else(|| panic!("{diags:?}"));
    let out = compile::compile(&policy, &Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out");
    compile::write(&target, &out.artifacts("")).unwrap();
    for h in &out.hosts {
        let host = target.join(&h.plan.name);
        let result = Command::new(py)
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/check_entries.py"))
            .arg(host.join("p4info.txtpb"))
            .arg(host.join("entries.txtpb"))
            .output()
            .unwrap();
        assert!(
            result.status.success(),
            "{}: {}",
            h.plan.name,
            String::from_utf8_lossy(&result.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
        assert_eq!(v["errors"], serde_json::json!([]), "{}: {v}", h.plan.name);
        assert_eq!(v["entries"], h.entries.len(), "{}", h.plan.name);
        for (table, n) in h.plan.counts() {
            assert_eq!(v["tables"][table], n, "{}.{table}", h.plan.name);
        }
    }
    out.hosts
        .iter()
        .filter(|h| h.plan.target == ddsr_policy::ir::Target::Tofino)
        .count()
}

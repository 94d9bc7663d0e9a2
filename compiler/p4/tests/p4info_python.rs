//! The P4Info text of every corpus program (the checked-in snapshots that
//! `tests/lower.rs` and, for TNA programs in `snapshots/tna/`, `tests/p4info_arch.rs` keep in
//! sync with the compiler) parses with the official
//! `p4runtime` Python package's `p4.config.v1.P4Info`, and what Python reads is
//! exactly what we wrote.
//!
//! Uses the virtualenv helper of the proto crate's interop test
//! (`tests/python/pyenv.py`, needs network access to PyPI on first use).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ddsr_proto::p4::config::v1::P4Info;
use ddsr_proto::text::from_text;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> PathBuf {
    let output = Command::new("python3")
        .arg(repo_root().join("tests/python/pyenv.py"))
        .stderr(Stdio::inherit())
        .output()
        .expect("python3 must be installed to run the interop tests");
    assert!(output.status.success(), "creating the Python venv failed");
    PathBuf::from(String::from_utf8(output.stdout).unwrap().trim())
}

/// Python's `text_format.Parse` of `text` as a P4Info, re-printed by Python.
fn python_reprint(python: &Path, text: &str) -> Result<String, String> {
    let mut child = Command::new(python)
        .arg(repo_root().join("tests/python/p4runtime_codec.py"))
        .args(["parse-text", "p4.config.v1.P4Info"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    let v: serde_json::Value = serde_json::from_slice(&output.stdout).map_err(|e| e.to_string())?;
    Ok(v["text"].as_str().unwrap_or_default().to_string())
}

#[test]
fn corpus_p4info_parses_with_the_official_bindings() {
    let python = python();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/p4/snapshots");
    let mut files: Vec<PathBuf> = [dir.clone(), dir.join("tna")]
        .iter()
        .flat_map(|d| std::fs::read_dir(d).unwrap())
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".p4info.txtpb"))
        .collect();
    files.sort();
    assert!(files.len() >= 44, "only {} P4Info snapshots", files.len());
    let mut failures = String::new();
    for f in &files {
        let ours = std::fs::read_to_string(f).unwrap();
        let name = f.strip_prefix(&dir).unwrap().display();
        match python_reprint(&python, &ours) {
            Ok(theirs) => {
                let a: P4Info = from_text(&ours).unwrap();
                let b: P4Info = from_text(&theirs).unwrap();
                if a != b {
                    failures.push_str(&format!("{name}: Python read a different P4Info\n"));
                }
            }
            Err(e) => failures.push_str(&format!("{name}: Python rejected it:\n{e}\n")),
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

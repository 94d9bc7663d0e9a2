//! Times `ddsr compile`'s stages on one policy: check, plan + capacity + resolve, artifacts
//! (every back end), manifest and atomic write, and prints entries per second. Run it under
//! `/usr/bin/time -v` for the peak memory.
//!
//! `cargo run --release -p ddsr-tables --example compile_time -- POLICY.yaml OUT_DIR`

use std::time::Instant;

use ddsr_diag::SourceMap;
use ddsr_tables::back::manifest;
use ddsr_tables::compile::{self, Options};

fn main() {
    let mut args = std::env::args().skip(1);
    let (policy_path, out) = match (args.next(), args.next()) {
        (Some(p), Some(o)) => (p, o),
        _ => panic!("usage: compile_time POLICY.yaml OUT_DIR"),
    };
    let text = std::fs::read_to_string(&policy_path).expect("read the policy");
    let t0 = Instant::now();
    let mut sources = SourceMap::new();
    let (policy, diags) = ddsr_policy::check_source(&mut sources, &policy_path, &text);
    let policy = policy.unwrap_or_else(|| panic!("policy rejected: {diags:?}"));
    let t1 = Instant::now();
    let output = compile::compile(&policy, &Options::default())
        .unwrap_or_else(|d| panic!("compile failed: {d:?}"));
    let t2 = Instant::now();
    let mut artifacts = output.artifacts("");
    artifacts.push(manifest::manifest(
        &[(policy_path.clone(), text)],
        &artifacts,
    ));
    let t3 = Instant::now();
    compile::write(std::path::Path::new(&out), &artifacts).expect("write");
    let t4 = Instant::now();
    let entries: usize = output.hosts.iter().map(|h| h.entries.len()).sum();
    let bytes: usize = artifacts.iter().map(|a| a.bytes.len()).sum();
    let total = (t4 - t0).as_secs_f64();
    println!(
        "hosts {}  entries {entries}  artifact bytes {bytes}",
        output.hosts.len()
    );
    println!("check             {:8.3} s", (t1 - t0).as_secs_f64());
    println!("plan+cap+resolve  {:8.3} s", (t2 - t1).as_secs_f64());
    println!("back ends         {:8.3} s", (t3 - t2).as_secs_f64());
    println!("write             {:8.3} s", (t4 - t3).as_secs_f64());
    println!(
        "total             {total:8.3} s  ({:.0} entries/s)",
        entries as f64 / total
    );
}

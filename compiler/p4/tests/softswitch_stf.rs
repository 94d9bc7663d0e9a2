//! Lowered corpus programs run on the softswitch: each `compiler/tests/p4/snapshots/stf/
//! <name>.stf` script (p4c's STF format) passes on the pipeline lowered from
//! `compiler/tests/p4/good/<name>.p4`, so the IR means what the P4 source says.

use std::path::Path;

use ddsr_p4::syntax::{Options, parse_file};
use ddsr_softswitch::{Switch, stf};

const TESTS: &str = "../tests/p4";

#[test]
fn stf_scripts_pass_on_lowered_programs() {
    let dir = Path::new(TESTS).join("snapshots/stf");
    let mut scripts: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "stf"))
        .collect();
    scripts.sort();
    assert!(scripts.len() >= 4, "only {} STF scripts", scripts.len());
    let mut failures = Vec::new();
    for script in &scripts {
        let name = script.file_stem().unwrap().to_string_lossy().to_string();
        let source = Path::new(TESTS).join("good").join(format!("{name}.p4"));
        let parsed = parse_file(&source, &Options::default());
        assert!(
            parsed.diagnostics.is_empty(),
            "{name}: {:?}",
            parsed.diagnostics
        );
        let compiled = ddsr_p4::p4info::compile(&parsed.program, &name)
            .unwrap_or_else(|d| panic!("{name}: {d:#?}"));
        let cmds = stf::parse(&std::fs::read_to_string(script).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let mut sw =
            Switch::new(compiled.lowered.pipeline).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let report = stf::run(&mut sw, &cmds);
        if !report.failures.is_empty() {
            failures.push(format!("{name}: {:#?}", report.failures));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

//! Lowering and P4Info over the shared corpus: every good program (and every whole program in
//! `p4/`) checks, lowers to a pipeline that passes the pipeline validator, and yields a P4Info.
//! Both outputs are compared with the snapshots in `compiler/tests/p4/snapshots/`
//! (`<name>.pipeline.json`, `<name>.p4info.txtpb`); run with `DDSR_BLESS=1` to rewrite them
//! after reviewing a change.

use std::fs;
use std::path::{Path, PathBuf};

use ddsr_diag::{Severity, render_text};
use ddsr_p4::syntax::{Options, parse_file};
use ddsr_pipeline::Pipeline;

/// Paths relative to this crate, so diagnostics and snapshots never name a machine path.
const TESTS: &str = "../tests/p4";
const PROGRAMS: &str = "../../p4";

fn p4_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            p4_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "p4") {
            out.push(p);
        }
    }
}

fn programs() -> Vec<PathBuf> {
    let mut files = Vec::new();
    p4_files(&Path::new(TESTS).join("good"), &mut files);
    p4_files(&Path::new(PROGRAMS).join("v1model"), &mut files);
    files
}

/// Parses, checks, lowers and builds the P4Info of `path`: the pipeline JSON and P4Info text,
/// or every diagnostic rendered.
fn compile(path: &Path) -> Result<(Pipeline, String), String> {
    let options = Options {
        include_dirs: vec![Path::new(PROGRAMS).join("include")],
        ..Options::default()
    };
    let parsed = parse_file(path, &options);
    let mut diags = parsed.diagnostics.clone().into_vec();
    if !parsed.diagnostics.has_errors() {
        let (checked, sema) = ddsr_p4::sema::check(&parsed.program);
        diags.extend(sema);
        if !diags.iter().any(|d| d.severity == Severity::Error) {
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            match ddsr_p4::lower::lower(&parsed.program, &checked, &name) {
                Ok(mut lowered) => match ddsr_p4::p4info::build(&parsed.program, &mut lowered) {
                    Ok(info) => {
                        let text = ddsr_proto::text::to_text(&info).map_err(|e| e.to_string())?;
                        return Ok((lowered.pipeline, text));
                    }
                    Err(errs) => diags.extend(errs.iter().map(|e| e.to_diagnostic())),
                },
                Err(errs) => diags.extend(errs.iter().map(|e| e.to_diagnostic())),
            }
        }
    }
    Err(render_text(&parsed.sources, &diags, false))
}

fn check_snapshot(path: &Path, actual: &str, failures: &mut String) {
    if std::env::var_os("DDSR_BLESS").is_some() {
        fs::write(path, actual).unwrap();
        return;
    }
    match fs::read_to_string(path) {
        Ok(expected) if expected == actual => {}
        Ok(_) => failures.push_str(&format!(
            "{}: output differs from the snapshot\n",
            path.display()
        )),
        Err(_) => failures.push_str(&format!(
            "{}: no snapshot (run with DDSR_BLESS=1)\n",
            path.display()
        )),
    }
}

#[test]
fn corpus_lowers_validates_and_matches_snapshots() {
    let files = programs();
    assert!(files.len() >= 40, "only {} programs", files.len());
    let snapshots = Path::new(TESTS).join("snapshots");
    let mut failures = String::new();
    for f in &files {
        match compile(f) {
            Ok((pipeline, p4info)) => {
                let json = pipeline.to_json();
                // What the softswitch reads back must be what was written, and valid.
                let reread =
                    Pipeline::from_json(&json).unwrap_or_else(|e| panic!("{}: {e:?}", f.display()));
                assert_eq!(reread, pipeline, "{}", f.display());
                let stem = f.file_stem().unwrap().to_string_lossy().to_string();
                check_snapshot(
                    &snapshots.join(format!("{stem}.pipeline.json")),
                    &(json + "\n"),
                    &mut failures,
                );
                check_snapshot(
                    &snapshots.join(format!("{stem}.p4info.txtpb")),
                    &p4info,
                    &mut failures,
                );
            }
            Err(rendered) => failures.push_str(&format!("{}:\n{rendered}\n", f.display())),
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

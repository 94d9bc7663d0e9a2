//! The shared P4 corpus: every good program (and every program in `p4/`) parses with no
//! diagnostic; every bad syntax program gets exactly the diagnostics in its `.stderr` snapshot.
//! Run with `DDSR_BLESS=1` to rewrite the snapshots after reviewing a change.

use std::fs;
use std::path::{Path, PathBuf};

use ddsr_diag::render_text;
use ddsr_p4::syntax::{Options, parse_file};

/// Paths relative to this crate, so diagnostics and snapshots never name a machine path.
const TESTS: &str = "../tests/p4";
const PROGRAMS: &str = "../../p4";

fn p4_files(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() && recursive {
            p4_files(&p, recursive, out);
        } else if p.extension().is_some_and(|e| e == "p4") {
            out.push(p);
        }
    }
}

#[test]
fn good_programs_parse_cleanly() {
    let mut files = Vec::new();
    p4_files(&Path::new(TESTS).join("good"), true, &mut files);
    // Whole programs in p4/ (its include/ holds fragments that only parse in context).
    p4_files(&Path::new(PROGRAMS).join("v1model"), true, &mut files);
    p4_files(&Path::new(PROGRAMS).join("tna"), true, &mut files);
    let options = Options {
        include_dirs: vec![Path::new(PROGRAMS).join("include")],
        ..Options::default()
    };
    let mut failures = String::new();
    for f in &files {
        let parsed = parse_file(f, &options);
        if !parsed.diagnostics.is_empty() || parsed.program.items.is_empty() {
            failures.push_str(&render_text(
                &parsed.sources,
                &parsed.diagnostics.clone().into_vec(),
                false,
            ));
            failures.push_str(&format!(
                "{}: {} items\n",
                f.display(),
                parsed.program.items.len()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures}");
    assert!(files.len() >= 40, "only {} good programs", files.len());
}

#[test]
fn bad_programs_match_their_snapshots() {
    let dir = Path::new(TESTS).join("bad/syntax");
    let mut files = Vec::new();
    p4_files(&dir, false, &mut files);
    assert!(files.len() >= 20, "only {} bad programs", files.len());
    let bless = std::env::var_os("DDSR_BLESS").is_some();
    let options = Options {
        include_dirs: vec![dir.clone()],
        ..Options::default()
    };
    let mut failures = String::new();
    for f in &files {
        let parsed = parse_file(f, &options);
        let text = render_text(
            &parsed.sources,
            &parsed.diagnostics.clone().into_vec(),
            false,
        );
        // The file name starts with the code it demonstrates: e0130_missing_semicolon.p4.
        let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let code = stem.split('_').next().unwrap_or_default().to_uppercase();
        if !parsed
            .diagnostics
            .iter()
            .any(|d| d.code.to_string() == code)
        {
            failures.push_str(&format!("{}: no {code} diagnostic\n{text}\n", f.display()));
        }
        let snapshot = f.with_extension("stderr");
        if bless {
            fs::write(&snapshot, &text).expect("write snapshot");
            continue;
        }
        let expected = fs::read_to_string(&snapshot).unwrap_or_default();
        if expected != text {
            failures.push_str(&format!(
                "{} differs from {}:\n--- expected\n{expected}--- got\n{text}\n",
                f.display(),
                snapshot.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

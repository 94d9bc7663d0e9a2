//! Snapshot corpus of bad policies: `tests/bad/EXXXX-name.yaml` must produce a diagnostic with
//! code EXXXX, and its full output must equal `tests/bad/EXXXX-name.out`: one summary line per
//! diagnostic (code, severity, line:column), then the rendered text. Run with `DDSR_BLESS=1` to
//! rewrite the `.out` files after a deliberate change, and review the diff.
//!
//! Also checks that every example policy under `policies/` is accepted.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ddsr_diag::{SourceMap, render_text};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn summary(sources: &SourceMap, diags: &[ddsr_diag::Diagnostic]) -> String {
    let mut s = String::new();
    for d in diags {
        let (line, col) = d
            .position()
            .map(|(f, span)| sources.line_col(f, span.start))
            .unwrap_or((0, 0));
        let _ = writeln!(s, "{} {} {line}:{col}", d.code, d.severity);
    }
    s
}

#[test]
fn bad_policies_give_their_diagnostics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let bless = std::env::var_os("DDSR_BLESS").is_some();
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 30, "corpus went missing: {cases:?}");
    let mut failures = Vec::new();
    for path in cases {
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let code = &stem[..5];
        let text = std::fs::read_to_string(&path).unwrap();
        let mut sources = SourceMap::new();
        let name = format!("bad/{stem}.yaml");
        let (policy, diags) = ddsr_policy::check_source(&mut sources, &name, &text);
        let diags = diags.into_vec();
        if !diags.iter().any(|d| d.code.to_string() == code) {
            failures.push(format!(
                "{stem}: no {code} among {}",
                summary(&sources, &diags)
            ));
        }
        if diags
            .iter()
            .any(|d| d.severity == ddsr_diag::Severity::Error)
            == policy.is_some()
        {
            failures.push(format!(
                "{stem}: a policy must be returned exactly when there is no error"
            ));
        }
        let actual = format!(
            "{}\n{}",
            summary(&sources, &diags),
            render_text(&sources, &diags, false)
        );
        let out = path.with_extension("out");
        if bless {
            std::fs::write(&out, &actual).unwrap();
        } else {
            let expected = std::fs::read_to_string(&out).unwrap_or_default();
            if expected != actual {
                failures.push(format!(
                    "{stem}: output differs from {}:\n{actual}",
                    out.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn example_policies_are_accepted() {
    let dir = root().join("policies");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let mut sources = SourceMap::new();
        let (policy, diags) = ddsr_policy::check_file(&mut sources, &path);
        let diags = diags.into_vec();
        assert!(
            policy.is_some() && diags.is_empty(),
            "{}:\n{}",
            path.display(),
            render_text(&sources, &diags, false)
        );
        n += 1;
    }
    assert!(n >= 3);
}

//! Programs the checker accepts but the pipeline IR cannot express: every program under
//! `compiler/tests/p4/bad/lower/` gets exactly the diagnostics its `// Error: CODE line:column
//! message` lines announce (the message is a part of the rendered one).

use std::path::{Path, PathBuf};

use ddsr_diag::Diagnostic;
use ddsr_p4::p4info::compile;
use ddsr_p4::syntax::{Options, parse_file};

fn bad_programs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/p4/bad/lower");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the bad lowering corpus exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "p4"))
        .collect();
    files.sort();
    files
}

/// `(code, line, column, message part)` of each announced diagnostic.
fn announced(text: &str) -> Vec<(String, usize, usize, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix("// Error: ") else {
            continue;
        };
        let mut parts = rest.splitn(3, ' ');
        let code = parts.next().unwrap_or_default().to_string();
        let (l, c) = parts
            .next()
            .and_then(|p| p.split_once(':'))
            .unwrap_or(("0", "0"));
        let message = parts.next().unwrap_or_default().to_string();
        out.push((code, l.parse().unwrap(), c.parse().unwrap(), message));
    }
    out.sort();
    out
}

#[test]
fn bad_lowering_programs_get_their_diagnostics() {
    let files = bad_programs();
    assert!(files.len() >= 4, "the bad lowering corpus is missing");
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let want = announced(&text);
        assert!(!want.is_empty(), "{} announces no diagnostic", f.display());
        let name = f.file_stem().unwrap().to_string_lossy().to_string();
        let code = name.split('_').next().unwrap().to_uppercase();
        assert!(
            want.iter().all(|w| w.0 == code),
            "{}: announced codes differ from the file name",
            f.display()
        );
        let parsed = parse_file(f, &Options::default());
        assert!(
            !parsed.diagnostics.has_errors(),
            "{}: syntax errors",
            f.display()
        );
        let diags: Vec<Diagnostic> = match compile(&parsed.program, &name) {
            Ok(_) => Vec::new(),
            Err(d) => d,
        };
        let mut got: Vec<(String, usize, usize, String)> = diags
            .iter()
            .map(|d| {
                let (file, span) = d.position().expect("every diagnostic has a position");
                let (line, col) = parsed.sources.line_col(file, span.start);
                (d.code.to_string(), line, col, d.message.clone())
            })
            .collect();
        got.sort();
        let matches = got.len() == want.len()
            && got
                .iter()
                .zip(&want)
                .all(|(g, w)| g.0 == w.0 && g.1 == w.1 && g.2 == w.2 && g.3.contains(&w.3));
        if !matches {
            failures.push(format!(
                "{}:\n  want {want:?}\n  got  {got:?}\n{}",
                f.display(),
                ddsr_diag::render_text(&parsed.sources, &diags, false)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

//! `ddsr check`: report every problem of one or more policies, like a compiler.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use ddsr_diag::{Severity, SourceMap, render_json, render_text};

/// Check policies and report every error and warning with its place in the YAML.
///
/// Exits with 1 when any policy has an error (or a warning, with --deny-warnings), else 0.
/// Each diagnostic has a code, such as E0013, explained in docs/errors/E0013.md; the language
/// is described in docs/policy.md.
#[derive(Args)]
pub struct Check {
    /// Policy files (YAML) to check.
    #[arg(required = true, value_name = "POLICY")]
    policies: Vec<PathBuf>,
    /// Fail on warnings too.
    #[arg(long)]
    deny_warnings: bool,
    /// `text` prints diagnostics like rustc on stderr, then one summary line per policy;
    /// `json` prints one JSON object per diagnostic and line on stdout, for editors and CI.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

pub fn run(args: Check) -> ExitCode {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let ok = check(
        &args,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
        color,
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Checks every policy; true when none failed. Write errors (a closed pipe) are ignored: the
/// exit status still tells the result.
fn check(args: &Check, out: &mut dyn Write, err: &mut dyn Write, color: bool) -> bool {
    let mut ok = true;
    for path in &args.policies {
        let mut sources = SourceMap::new();
        let (policy, diags) = ddsr_policy::check_file(&mut sources, path);
        let diags = diags.into_vec();
        let count = |s: Severity| diags.iter().filter(|d| d.severity == s).count();
        let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
        ok &= errors == 0 && !(args.deny_warnings && warnings > 0);
        match args.format {
            Format::Json => {
                let _ = out.write_all(render_json(&sources, &diags).as_bytes());
            }
            Format::Text => {
                let _ = err.write_all(render_text(&sources, &diags, color).as_bytes());
                let summary = match &policy {
                    Some(p) => format!(
                        "{}: ok: {} hosts, {} pools, {} ACLs, {} VIPs",
                        path.display(),
                        p.hosts.len(),
                        p.pools.len(),
                        p.acls.len(),
                        p.vips.len()
                    ),
                    None => format!("{}: failed", path.display()),
                };
                let _ = writeln!(err, "{summary} ({errors} errors, {warnings} warnings)");
            }
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(files: &[&str], deny_warnings: bool, format: Format) -> (bool, String, String) {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let args = Check {
            policies: files.iter().map(|f| root.join(f)).collect(),
            deny_warnings,
            format,
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let ok = check(&args, &mut out, &mut err, false);
        (
            ok,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn good_policies_pass() {
        let (ok, out, err) = run(
            &["policies/web.yaml", "policies/demo.yaml"],
            true,
            Format::Text,
        );
        assert!(ok, "{err}");
        assert!(out.is_empty());
        assert!(
            err.contains("web.yaml: ok: 5 hosts, 1 pools, 1 ACLs, 1 VIPs (0 errors, 0 warnings)"),
            "{err}"
        );
        assert!(
            err.contains("demo.yaml: ok: 5 hosts, 2 pools, 1 ACLs, 3 VIPs"),
            "{err}"
        );
    }

    #[test]
    fn errors_fail_and_render_like_rustc() {
        let bad = "compiler/policy/tests/bad/E0013-duplicate-service-port.yaml";
        let (ok, _, err) = run(&["policies/web.yaml", bad], false, Format::Text);
        assert!(!ok);
        assert!(
            err.contains("error[E0013]: service_port 4000 is already used by VIP `v1`"),
            "{err}"
        );
        assert!(
            err.contains("E0013-duplicate-service-port.yaml:10:82"),
            "{err}"
        );
        assert!(
            err.contains("E0013-duplicate-service-port.yaml: failed (1 errors, 0 warnings)"),
            "{err}"
        );
    }

    #[test]
    fn warnings_fail_only_when_denied() {
        let file = "compiler/policy/tests/bad/E0029-unreferenced.yaml";
        assert!(run(&[file], false, Format::Text).0);
        assert!(!run(&[file], true, Format::Text).0);
    }

    #[test]
    fn json_is_one_object_per_line_on_stdout() {
        let file = "compiler/policy/tests/bad/E0029-unreferenced.yaml";
        let (ok, out, err) = run(&[file], false, Format::Json);
        assert!(ok);
        assert!(err.is_empty());
        let codes: Vec<String> = out
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                format!(
                    "{} {}:{} {}",
                    v["code"], v["line"], v["column"], v["severity"]
                )
            })
            .collect();
        assert_eq!(
            codes,
            ["\"E0029\" 6:3 \"warning\"", "\"E0029\" 8:3 \"warning\""]
        );
    }
}

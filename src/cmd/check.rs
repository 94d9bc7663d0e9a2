//! `ddsr check`: report every problem of one or more policies, like a compiler.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use ddsr_diag::{SourceMap, render_json, render_text};

/// Check policies and report every error and warning with its place in the YAML.
///
/// Exits with 1 when any policy has an error (or a warning, with --deny-warnings), else 0.
/// Each diagnostic has a code, such as E0013, explained in docs/errors/E0013.md.
#[derive(Args)]
pub struct Check {
    /// Policy files (YAML) to check.
    #[arg(required = true, value_name = "POLICY")]
    policies: Vec<PathBuf>,
    /// Fail on warnings too.
    #[arg(long)]
    deny_warnings: bool,
    /// `text` prints diagnostics like rustc on stderr; `json` prints one JSON object per
    /// diagnostic and line on stdout, for editors and CI.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

pub fn run(args: Check) -> ExitCode {
    let mut failed = false;
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    for path in &args.policies {
        let mut sources = SourceMap::new();
        let (policy, diags) = ddsr_policy::check_file(&mut sources, path);
        let diags = diags.into_vec();
        let errors = diags
            .iter()
            .filter(|d| d.severity == ddsr_diag::Severity::Error)
            .count();
        let warnings = diags
            .iter()
            .filter(|d| d.severity == ddsr_diag::Severity::Warning)
            .count();
        failed |= errors > 0 || (args.deny_warnings && warnings > 0);
        match args.format {
            Format::Json => {
                let _ = std::io::stdout().write_all(render_json(&sources, &diags).as_bytes());
            }
            Format::Text => {
                let mut err = std::io::stderr().lock();
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
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

//! `ddsr compile`: policies in, every host's P4 program, P4Info and table entries out.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use ddsr_diag::{Diagnostic, SourceMap, render_text};
use ddsr_tables::back::{Artifact, manifest};
use ddsr_tables::buckets::{Buckets, Previous};
use ddsr_tables::compile::{self, Options, Output};

/// Compile policies into per-host artifacts: program.p4, p4info.txtpb, pipeline.json (the
/// program lowered for the softswitch), entries.txtpb (a P4Runtime WriteRequest), entries.json,
/// bmv2.cli for BMv2 hosts, and OUT/manifest.json.
///
/// One policy writes OUT/<host>/... and OUT/buckets.json; several write OUT/<policy name>/....
/// OUT is replaced as a whole, and only when every policy compiled. Formats: docs/compile.md.
#[derive(Args)]
pub struct Compile {
    /// Policy files (YAML).
    #[arg(required = true, value_name = "POLICY")]
    policies: Vec<PathBuf>,
    /// Output directory.
    #[arg(short, long, value_name = "OUT")]
    out: PathBuf,
    /// A previous output directory: its buckets.json keeps each pool's buckets and backend ids
    /// where they still hold, so removing a backend moves only that backend's buckets.
    #[arg(long, value_name = "OLD_OUT")]
    previous: Option<PathBuf>,
}

/// Reads, checks and compiles one policy; diagnostics go to `err`.
pub fn load(
    path: &Path,
    err: &mut dyn Write,
    color: bool,
) -> Option<(ddsr_policy::Policy, String, Output)> {
    load_with(path, &Options::default(), err, color)
}

/// Reads a previous revision's `buckets.json` (`ddsr_tables::buckets`); the error names the file.
pub fn previous(path: &Path) -> Result<Previous, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    Buckets::from_json(&text).map_err(|e| format!("`{}`: {e}", path.display()))
}

/// [`load`] with compile options (a previous revision's buckets).
pub fn load_with(
    path: &Path,
    options: &Options,
    err: &mut dyn Write,
    color: bool,
) -> Option<(ddsr_policy::Policy, String, Output)> {
    let mut sources = SourceMap::new();
    let (policy, diags) = ddsr_policy::check_file(&mut sources, path);
    let diags = diags.into_vec();
    let _ = err.write_all(render_text(&sources, &diags, color).as_bytes());
    let policy = policy?;
    let text = sources.source(policy.file).to_string();
    match compile::compile(&policy, options) {
        Ok(out) => {
            let _ = err.write_all(render_text(&sources, &out.warnings, color).as_bytes());
            Some((policy, text, out))
        }
        Err(problems) => {
            let problems: Vec<Diagnostic> = problems;
            let _ = err.write_all(render_text(&sources, &problems, color).as_bytes());
            None
        }
    }
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "policy".into())
}

pub fn run(args: Compile) -> ExitCode {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut err = std::io::stderr().lock();
    let many = args.policies.len() > 1;
    let mut artifacts: Vec<Artifact> = Vec::new();
    let mut hashed = Vec::new();
    let mut ok = true;
    for path in &args.policies {
        let prefix = if many {
            format!("{}/", stem(path))
        } else {
            String::new()
        };
        let mut options = Options::default();
        if let Some(old) = &args.previous {
            match previous(&old.join(format!("{prefix}buckets.json"))) {
                Ok(p) => options.previous = Some(p),
                Err(e) => {
                    let _ = writeln!(err, "error: {e}");
                    ok = false;
                    continue;
                }
            }
        }
        let Some((_, text, out)) = load_with(path, &options, &mut err, color) else {
            let _ = writeln!(err, "{}: failed", path.display());
            ok = false;
            continue;
        };
        let entries: usize = out.hosts.iter().map(|h| h.entries.len()).sum();
        let _ = writeln!(
            err,
            "{}: {} hosts, {entries} entries",
            path.display(),
            out.hosts.len()
        );
        artifacts.extend(out.artifacts(&prefix));
        hashed.push((path.display().to_string(), text));
    }
    if !ok {
        let _ = writeln!(err, "nothing written to {}", args.out.display());
        return ExitCode::FAILURE;
    }
    artifacts.push(manifest::manifest(&hashed, &artifacts));
    match compile::write(&args.out, &artifacts) {
        Ok(()) => {
            let _ = writeln!(
                err,
                "wrote {} artifacts to {}",
                artifacts.len(),
                args.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(err, "error: cannot write `{}`: {e}", args.out.display());
            ExitCode::FAILURE
        }
    }
}

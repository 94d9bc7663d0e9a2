//! `ddsr p4 <sub>`: the P4_16 front end. `check` preprocesses and parses a program and reports
//! every diagnostic; `--emit` dumps a stage.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use ddsr_diag::{Severity, render_json, render_text};
use ddsr_p4::syntax::{self, Options, Parsed};

/// Work with P4_16 programs.
#[derive(Args)]
pub struct P4 {
    #[command(subcommand)]
    command: P4Command,
}

#[derive(Subcommand)]
enum P4Command {
    Check(Check),
    Build(super::p4_build::Build),
    Info(super::p4_build::Info),
}

/// Check a P4_16 program and report every error with its file, line and column.
///
/// Exits with 1 when there is an error, else 0. `#include <core.p4>`, `<v1model.p4>` and
/// `<tna.p4>` are built in. Each diagnostic has a code, such as E0130, explained in
/// docs/errors/E0130.md.
#[derive(Args)]
pub struct Check {
    /// The P4 program.
    #[arg(value_name = "FILE.p4")]
    file: PathBuf,
    #[command(flatten)]
    front: FrontArgs,
    /// Print a stage's output on stdout: `tokens` (one per line with its place) or `ast`
    /// (JSON; nodes refer to each other by index into their arena).
    #[arg(long, value_enum)]
    emit: Option<Emit>,
    /// `text` prints diagnostics like rustc on stderr; `json` prints one JSON object per
    /// diagnostic and line on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Preprocessor options shared by the `p4` subcommands.
#[derive(Args)]
pub struct FrontArgs {
    /// Add a directory to the include search path (searched before the built-in headers).
    #[arg(short = 'I', value_name = "DIR")]
    include: Vec<PathBuf>,
    /// Define a macro: `-D NAME` or `-D NAME=VALUE`.
    #[arg(short = 'D', value_name = "NAME[=VALUE]")]
    define: Vec<String>,
}

impl FrontArgs {
    pub fn options(&self) -> Options {
        Options {
            include_dirs: self.include.clone(),
            defines: self
                .define
                .iter()
                .map(|d| match d.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (d.clone(), "1".to_string()),
                })
                .collect(),
            ..Options::default()
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Emit {
    Tokens,
    Ast,
    /// The pipeline IR (as `ddsr p4 build` writes it).
    Ir,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

pub fn run(args: P4) -> ExitCode {
    match args.command {
        P4Command::Check(c) => check(c),
        P4Command::Build(b) => super::p4_build::build(b),
        P4Command::Info(i) => super::p4_build::info(i),
    }
}

fn check(args: Check) -> ExitCode {
    let parsed = syntax::parse_file(&args.file, &args.front.options());
    let mut out = std::io::stdout().lock();
    match args.emit {
        Some(Emit::Tokens) => {
            let _ = out.write_all(tokens_text(&parsed).as_bytes());
        }
        Some(Emit::Ast) => match serde_json::to_string_pretty(&parsed.program) {
            Ok(json) => {
                let _ = writeln!(out, "{json}");
            }
            Err(e) => {
                eprintln!("error: cannot serialise the AST: {e}");
                return ExitCode::FAILURE;
            }
        },
        Some(Emit::Ir) => match super::p4_build::compile(&args.file, &args.front) {
            Some(c) => {
                let _ = writeln!(out, "{}", c.lowered.pipeline.to_json());
            }
            None => return ExitCode::FAILURE,
        },
        None => {}
    }
    let mut diags: Vec<_> = parsed.diagnostics.iter().cloned().collect();
    if !parsed.diagnostics.has_errors() {
        diags.extend(ddsr_p4::sema::check(&parsed.program).1);
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    match args.format {
        Format::Json => {
            let _ = out.write_all(render_json(&parsed.sources, &diags).as_bytes());
        }
        Format::Text => {
            let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(render_text(&parsed.sources, &diags, color).as_bytes());
            let summary = if errors == 0 {
                format!(
                    "{}: ok: {} declarations",
                    args.file.display(),
                    parsed.program.items.len()
                )
            } else {
                let s = if errors == 1 { "" } else { "s" };
                format!("{}: {errors} error{s}", args.file.display())
            };
            let _ = writeln!(err, "{summary}");
        }
    }
    if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `file:line:column kind text`, one token a line.
fn tokens_text(parsed: &Parsed) -> String {
    let mut s = String::new();
    for t in parsed.token_list() {
        let (line, col) = parsed.sources.line_col(t.loc.file, t.loc.span.start);
        s.push_str(&format!(
            "{}:{line}:{col} {:?} {}\n",
            parsed.sources.name(t.loc.file),
            t.kind,
            t.text
        ));
    }
    s
}

//! `ddsr p4 build` and `ddsr p4 info`: a checked P4 program lowered to the pipeline IR the
//! softswitch executes, and its P4Info for controllers.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use ddsr_diag::render_text;
use ddsr_p4::p4info::{self, Compiled};
use ddsr_p4::syntax;

use super::p4::FrontArgs;

/// Lower a P4_16 program (v1model or TNA) to the pipeline IR (`pipeline.json`); the softswitch
/// runs both (TNA through its v1model mapping).
///
/// Table, action and extern ids in the output are the P4Info ids `ddsr p4 info` gives.
#[derive(Args)]
pub struct Build {
    #[arg(value_name = "FILE.p4")]
    file: PathBuf,
    #[command(flatten)]
    front: FrontArgs,
    /// Where to write the pipeline JSON (stdout when absent).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Print the P4Info (P4Runtime v1) of a P4_16 program (v1model or TNA).
#[derive(Args)]
pub struct Info {
    #[arg(value_name = "FILE.p4")]
    file: PathBuf,
    #[command(flatten)]
    front: FrontArgs,
    /// `txtpb` is protobuf text format (as p4c writes it); `json` the protobuf JSON mapping.
    #[arg(long, value_enum, default_value_t = InfoFormat::Txtpb)]
    format: InfoFormat,
    /// Where to write the P4Info (stdout when absent).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum InfoFormat {
    Txtpb,
    Json,
}

/// Parses and compiles `file`, printing every diagnostic on stderr; `None` on errors.
pub fn compile(file: &Path, front: &FrontArgs) -> Option<Compiled> {
    front_end(file, front, |program, name| {
        p4info::compile(program, name).map(|c| {
            let warnings = c.warnings.clone();
            (c, warnings)
        })
    })
}

/// Parses `file` and runs `stage` on it, printing every diagnostic on stderr; `None` on
/// errors.
fn front_end<T>(
    file: &Path,
    front: &FrontArgs,
    stage: impl FnOnce(
        &ddsr_p4::ast::Program,
        &str,
    ) -> Result<(T, Vec<ddsr_diag::Diagnostic>), Vec<ddsr_diag::Diagnostic>>,
) -> Option<T> {
    let parsed = syntax::parse_file(file, &front.options());
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let report = |diags: &[ddsr_diag::Diagnostic]| {
        let _ = std::io::stderr().write_all(render_text(&parsed.sources, diags, color).as_bytes());
    };
    if parsed.diagnostics.has_errors() {
        report(&parsed.diagnostics.clone().into_vec());
        return None;
    }
    let name = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "program".into());
    match stage(&parsed.program, &name) {
        Ok((out, warnings)) => {
            report(&warnings);
            Some(out)
        }
        Err(diags) => {
            report(&diags);
            let n = diags
                .iter()
                .filter(|d| d.severity == ddsr_diag::Severity::Error)
                .count();
            eprintln!(
                "{}: {n} error{}",
                file.display(),
                if n == 1 { "" } else { "s" }
            );
            None
        }
    }
}

fn write_out(output: Option<&Path>, text: &str) -> ExitCode {
    match output {
        Some(path) => match std::fs::write(path, text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", path.display());
                ExitCode::FAILURE
            }
        },
        None => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
    }
}

pub fn build(args: Build) -> ExitCode {
    let Some(c) = compile(&args.file, &args.front) else {
        return ExitCode::FAILURE;
    };
    write_out(
        args.output.as_deref(),
        &(c.lowered.pipeline.to_json() + "\n"),
    )
}

pub fn info(args: Info) -> ExitCode {
    let built = front_end(&args.file, &args.front, |program, name| {
        p4info::info(program, name).map(|i| (i.p4info, i.warnings))
    });
    let Some(p4info) = built else {
        return ExitCode::FAILURE;
    };
    let text = match args.format {
        InfoFormat::Txtpb => p4info::to_text(&p4info),
        InfoFormat::Json => p4info::to_json(&p4info).map(|j| j + "\n"),
    };
    match text {
        Ok(t) => write_out(args.output.as_deref(), &t),
        Err(e) => {
            eprintln!("error: cannot print the P4Info: {e}");
            ExitCode::FAILURE
        }
    }
}

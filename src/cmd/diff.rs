//! `ddsr diff`: entry-level changes between two policies' compiled tables.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use ddsr_tables::compile::Options;
use ddsr_tables::diff::diff;

/// Show the table-entry inserts, modifies and deletes that turn OLD's compiled tables into
/// NEW's, per host and table. NEW is compiled against OLD's buckets, as `ddsr compile NEW
/// --previous OLD_OUT` does, so a removed backend shows only as the modifies of its buckets.
/// Exits 0 when nothing changes, 1 when something does, 2 on error.
#[derive(Args)]
pub struct Diff {
    #[arg(value_name = "OLD")]
    old: PathBuf,
    #[arg(value_name = "NEW")]
    new: PathBuf,
    /// Compile NEW on its own (plain Maglev), not against OLD's buckets.
    #[arg(long)]
    fresh: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

pub fn run(args: Diff) -> ExitCode {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut err = std::io::stderr().lock();
    let Some((_, _, old)) = super::compile::load(&args.old, &mut err, color) else {
        return ExitCode::from(2);
    };
    let mut options = Options::default();
    if !args.fresh {
        match old.buckets.previous() {
            Ok(p) => options.previous = Some(p),
            Err(e) => {
                let _ = writeln!(err, "error: {}: buckets: {e}", args.old.display());
                return ExitCode::from(2);
            }
        }
    }
    let Some((_, _, new)) = super::compile::load_with(&args.new, &options, &mut err, color) else {
        return ExitCode::from(2);
    };
    let d = diff(&old, &new);
    let text = match args.format {
        Format::Text => d.text(),
        Format::Json => d.json(),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if d.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

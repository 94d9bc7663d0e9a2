//! `ddsr status`: the store's current revision and every host agent's last report.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use ddsr_runtime::status;
use ddsr_runtime::store::layout::now_unix_ms;

use super::publish::{StoreArgs, runtime};

/// Show the current revision and, per host, the revision its agent applied, its entry count,
/// its last error and how old that report is.
///
/// Exit status 0 when every reporting host applied the current revision without error, 1
/// otherwise, 2 when the store cannot be read.
#[derive(Args)]
pub struct Status {
    #[command(flatten)]
    store: StoreArgs,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

pub fn run(args: Status) -> ExitCode {
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    rt.block_on(async {
        let report = match args.store.open().await {
            Ok(store) => status::read(&*store).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let report = match report {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        let now = now_unix_ms();
        match args.format {
            Format::Text => print!("{}", report.text(now)),
            Format::Json => println!(
                "{}",
                serde_json::to_string_pretty(&report.json(now)).expect("JSON values serialise")
            ),
        }
        if report.converged() == report.hosts.len() && report.current.is_some() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    })
}

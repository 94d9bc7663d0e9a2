//! `ddsr gen-policy`: deterministic large policies for benchmarks and tests.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use ddsr_policy::synth::{MAX_VIPS, Params, generate};

/// Generate a large, valid policy (for benchmarks): hosts, one pool per VIP, ACLs with rules.
///
/// The same flags give the same file. Example:
/// `ddsr gen-policy --vips 10000 --backends 16 --rules 50000 --acls 1000 -o big.yaml`
#[derive(Args)]
pub struct GenPolicy {
    /// Number of VIPs (each with its own pool and service port, so at most 64,000).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=i64::from(MAX_VIPS)))]
    vips: u32,
    /// Backends per pool.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4096))]
    backends: u32,
    /// ACL rules in total, spread evenly over the ACLs.
    #[arg(long, default_value_t = 0)]
    rules: u32,
    /// Number of ACLs (VIPs use them in turn).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    acls: u32,
    /// Seed of the pseudo-random choices (weights, port ranges, actions).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output file (standard output if absent).
    #[arg(short, long)]
    output: Option<PathBuf>,
}

pub fn run(args: GenPolicy) -> ExitCode {
    let text = generate(&Params {
        vips: args.vips,
        backends: args.backends,
        rules: args.rules,
        acls: args.acls,
        seed: args.seed,
    });
    let result = match &args.output {
        Some(path) => std::fs::write(path, text),
        None => std::io::stdout().write_all(text.as_bytes()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write policy: {e}");
            ExitCode::FAILURE
        }
    }
}

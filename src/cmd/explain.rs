//! `ddsr explain`: what the compiled tables do with one client packet.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use ddsr_tables::explain::{bucket_count, explain, parse_packet};

/// Walk one packet through the compiled tables: which VIP, which backend, which ACL rule
/// allows or denies it and why, and how the response returns. The answer is the tables' and is
/// checked against the reference evaluator of the policy.
///
/// Example: ddsr explain policies/demo.yaml --packet 'tcp 198.51.100.7:5555 -> 192.0.2.80:80'
#[derive(Args)]
pub struct Explain {
    #[arg(value_name = "POLICY")]
    policy: PathBuf,
    /// `PROTO SRC:PORT -> DST:PORT`, IPv6 addresses in brackets.
    #[arg(long)]
    packet: String,
    /// Use this consistent-hash bucket instead of the hash of the 5-tuple.
    #[arg(long)]
    bucket: Option<u32>,
}

pub fn run(args: Explain) -> ExitCode {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut err = std::io::stderr().lock();
    let packet = match parse_packet(&args.packet) {
        Ok(p) => p,
        Err(e) => {
            let _ = writeln!(err, "error: --packet: {e}");
            return ExitCode::from(2);
        }
    };
    let Some((policy, _, out)) = super::compile::load(&args.policy, &mut err, color) else {
        return ExitCode::from(2);
    };
    // A bucket the tables do not have would only show as a miss and a disagreement.
    if let (Some(b), Some(n)) = (args.bucket, bucket_count(&policy, &out))
        && b >= n
    {
        let _ = writeln!(
            err,
            "error: --bucket {b}: the ingress host has {n} buckets (0 to {})",
            n - 1
        );
        return ExitCode::from(2);
    }
    let text = explain(&policy, &out, &packet, args.bucket);
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if text.contains("reference evaluator: agrees") {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

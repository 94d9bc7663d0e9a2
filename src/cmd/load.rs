//! `ddsr load`: converge one P4Runtime device to a host's compiled entries.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use ddsr_runtime::artifacts::HostArtifacts;
use ddsr_runtime::load::{self, Change, LoadOptions, Op, PushPipeline, Summary};
use ddsr_runtime::p4rt::schema::Schema;
use ddsr_runtime::target::{self, Target};

/// Converge a P4Runtime device (the softswitch, BMv2's simple_switch_grpc, Tofino through
/// Stratum) to the entries of one host's compiled artifacts, OUT/<host>/ of `ddsr compile`.
///
/// Becomes primary, optionally pushes the pipeline, reads what the device holds, compares by
/// entry key (table, match, priority) and writes inserts, modifies and deletes in batches
/// (ROLLBACK_ON_ERROR), buckets and service entries before the VIP entries that use them and
/// deletes last. A second run against an unchanged device writes nothing.
#[derive(Args)]
pub struct Load {
    /// The host's artifact directory (OUT/<host>).
    #[arg(value_name = "OUT/HOST")]
    dir: PathBuf,
    /// The device: p4rt://HOST:PORT.
    #[arg(long, value_name = "p4rt://ADDR")]
    target: String,
    #[arg(long, value_name = "N", default_value_t = target::DEFAULT_DEVICE_ID)]
    device_id: u64,
    /// Election id, `HIGH,LOW` or `LOW`; the highest id connected to a device is its primary.
    #[arg(long, value_name = "H,L", default_value = "0,1")]
    election_id: String,
    /// Set the forwarding pipeline first: `always` (the flag alone; clears the device's
    /// entries), `if-different` (when the device runs another program or none; keeps the
    /// entries that fit the new program when the device can reconcile), `never`.
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        num_args = 0..=1,
        require_equals = true,
        default_value = "never",
        default_missing_value = "always"
    )]
    push_pipeline: Push,
    /// Device config to push instead of the host's pipeline.json / program.p4, e.g. the
    /// p4c-generated BMv2 JSON of the host's program.p4 for simple_switch_grpc.
    #[arg(long, value_name = "FILE")]
    device_config: Option<PathBuf>,
    /// Print the changes per table and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Updates per Write request.
    #[arg(long, value_name = "N", default_value_t = 5_000)]
    batch_size: usize,
}

#[derive(Clone, Copy, ValueEnum)]
enum Push {
    Always,
    IfDifferent,
    Never,
}

pub fn run(args: Load) -> ExitCode {
    let dir = args.dir.display().to_string();
    match load(&args) {
        Ok(summary) => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", line(&args, &summary));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {dir}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn load(args: &Load) -> Result<Summary, String> {
    let mut target: Target = args.target.parse().map_err(|e| format!("{e}"))?;
    target.device_id = args.device_id;
    target.election_id = target::parse_election_id(&args.election_id).map_err(|e| e.to_string())?;
    if args.batch_size == 0 {
        return Err("--batch-size must be at least 1".into());
    }
    let mut artifacts = HostArtifacts::from_dir(&args.dir).map_err(|e| e.to_string())?;
    if let Some(file) = &args.device_config {
        let bytes =
            std::fs::read(file).map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
        artifacts.device_config = Some(bytes);
    }
    let opts = LoadOptions {
        push_pipeline: match args.push_pipeline {
            Push::Always => PushPipeline::Always,
            Push::IfDifferent => PushPipeline::IfDifferent,
            Push::Never => PushPipeline::Never,
        },
        dry_run: args.dry_run,
        batch_size: args.batch_size,
        progress: std::io::stderr().is_terminal(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let summary = runtime
        .block_on(load::converge(&target, &artifacts, &opts))
        .map_err(|e| e.to_string())?;
    if args.dry_run {
        print_diff(&Schema::new(&artifacts.p4info), &summary.diff);
    }
    Ok(summary)
}

/// The changes grouped by table in P4Info order: `+` insert, `~` modify (old => new), `-`
/// delete.
fn print_diff(schema: &Schema, diff: &[Change]) {
    let mut out = std::io::stdout().lock();
    for id in &schema.table_ids {
        let changes: Vec<&Change> = diff.iter().filter(|c| c.entry.table_id == *id).collect();
        if changes.is_empty() {
            continue;
        }
        let count = |op| changes.iter().filter(|c| c.op == op).count();
        let _ = writeln!(
            out,
            "{}: {} inserts, {} modifies, {} deletes",
            schema.table_name(*id),
            count(Op::Insert),
            count(Op::Modify),
            count(Op::Delete)
        );
        for c in changes {
            let _ = match (c.op, &c.previous) {
                (Op::Modify, Some(old)) => writeln!(
                    out,
                    "  ~ {} (was {})",
                    schema.show(&c.entry),
                    schema.show_action(old.action.as_ref())
                ),
                (Op::Modify, None) => writeln!(out, "  ~ {}", schema.show(&c.entry)),
                (Op::Insert, _) => writeln!(out, "  + {}", schema.show(&c.entry)),
                (Op::Delete, _) => writeln!(out, "  - {}", schema.show(&c.entry)),
            };
        }
    }
}

fn line(args: &Load, s: &Summary) -> String {
    let pipeline = match (s.pipeline_pushed, s.pipeline_reconciled, args.dry_run) {
        (true, true, false) => "pipeline pushed, entries kept; ",
        (true, false, false) => "pipeline pushed; ",
        (true, true, true) => "pipeline would be pushed, entries kept; ",
        (true, false, true) => "pipeline would be pushed; ",
        (false, ..) => "",
    };
    let dry = if args.dry_run {
        " (dry run, nothing written)"
    } else {
        ""
    };
    format!(
        "{}: {pipeline}inserted {}, modified {}, deleted {}, unchanged {}{dry}",
        args.target, s.inserted, s.modified, s.deleted, s.unchanged
    )
}

//! `ddsr agent`: keep one device converged to its host's artifacts in the configuration store.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use ddsr_runtime::agent::{self, Config};
use ddsr_runtime::load::{LoadOptions, PushPipeline};
use ddsr_runtime::store;
use ddsr_runtime::target::{Target, parse_election_id};

use super::publish::{StoreArgs, runtime};

/// Watch the store's current revision and converge the device at --target to the artifacts of
/// --host: on start, on every publish, after store or device outages and every --resync
/// seconds. Every artifact is checked against the manifest's SHA-256; a revision that fails is
/// refused and the device stays on the last good one. Reports go to the store (`ddsr status`)
/// and one line each to stderr. Runs until SIGINT or SIGTERM (exit 0).
#[derive(Args)]
pub struct Agent {
    /// The host whose artifacts this device runs (a host name of the policy).
    #[arg(long, value_name = "NAME")]
    host: String,
    #[command(flatten)]
    store: StoreArgs,
    /// The device: `p4rt://HOST:PORT`.
    #[arg(long, value_name = "p4rt://ADDR")]
    target: String,
    /// P4Runtime device id.
    #[arg(long, value_name = "N", default_value_t = ddsr_runtime::target::DEFAULT_DEVICE_ID)]
    device_id: u64,
    /// Election id `HIGH,LOW` or `LOW`; the agent with the highest id is the one that writes.
    #[arg(long, value_name = "H,L")]
    election_id: Option<String>,
    /// Seconds between full re-reads that repair drift.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    resync: f64,
    /// Updates per P4Runtime Write request.
    #[arg(long, value_name = "N", default_value_t = 5_000)]
    batch_size: usize,
}

async fn shutdown() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

pub fn run(args: Agent) -> ExitCode {
    let mut target: Target = match args.target.parse() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: --target: {e}");
            return ExitCode::from(2);
        }
    };
    target.device_id = args.device_id;
    if let Some(id) = &args.election_id {
        match parse_election_id(id) {
            Ok(id) => target.election_id = id,
            Err(e) => {
                eprintln!("error: --election-id: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if !(args.resync.is_finite() && args.resync > 0.0) {
        eprintln!("error: --resync: expected a positive number of seconds");
        return ExitCode::from(2);
    }
    let config = Config {
        host: args.host,
        target,
        resync: Duration::from_secs_f64(args.resync),
        load: LoadOptions {
            push_pipeline: PushPipeline::IfDifferent,
            dry_run: false,
            batch_size: args.batch_size.max(1),
            progress: false,
        },
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async {
        // etcd with credentials is contacted at open: while it is down, keep trying (a bad URL
        // or unreadable certificate file is final).
        let store = loop {
            match args.store.open().await {
                Ok(s) => break s,
                Err(e @ store::Error::Etcd(_)) => {
                    eprintln!("cannot reach the store, retrying in 2 s: {e}");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(2)) => {}
                        () = shutdown() => return ExitCode::SUCCESS,
                    }
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            }
        };
        eprintln!(
            "agent for host `{}`: store {}, device {}",
            config.host,
            store.describe(),
            config.target
        );
        // One line per report that says something new: resyncs that change nothing are quiet.
        let mut last: Option<(Option<u64>, Option<u64>, Option<String>)> = None;
        agent::run(store, config, shutdown(), move |s| {
            let now = (s.desired_revision, s.applied_revision, s.last_error.clone());
            let changed = s.inserted + s.modified + s.deleted > 0 || s.pipeline_pushed;
            if !changed && last.as_ref() == Some(&now) {
                return;
            }
            last = Some(now);
            let rev = |r: Option<u64>| r.map_or("-".to_string(), |n| n.to_string());
            match &s.last_error {
                None => eprintln!(
                    "revision {} applied: {} entries ({} inserted, {} modified, {} deleted{})",
                    rev(s.applied_revision),
                    s.entries,
                    s.inserted,
                    s.modified,
                    s.deleted,
                    if s.pipeline_pushed {
                        ", pipeline pushed"
                    } else {
                        ""
                    }
                ),
                Some(e) => eprintln!(
                    "revision {} not applied (device on {}): {e}",
                    rev(s.desired_revision),
                    rev(s.applied_revision)
                ),
            }
        })
        .await;
        eprintln!("agent stopped");
        ExitCode::SUCCESS
    })
}

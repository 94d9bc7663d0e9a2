//! `ddsr publish`: compile a policy and store the artifact set as the store's next revision.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use ddsr_runtime::publish::{self, PublishError};
use ddsr_runtime::store::{self, Store};
use ddsr_tables::back::manifest;
use ddsr_tables::buckets::Buckets;
use ddsr_tables::compile::Options;

/// The compile output's bucket assignment, carried from one revision to the next.
const BUCKETS: &str = "buckets.json";

/// Compile a policy and publish every artifact as one new immutable revision of the
/// configuration store, then point `current` at it in one transaction. Agents pick it up.
///
/// Nothing is stored when the policy has errors. Store URLs and key layout: docs/store.md.
#[derive(Args)]
pub struct Publish {
    /// Policy file (YAML).
    #[arg(value_name = "POLICY")]
    policy: PathBuf,
    #[command(flatten)]
    store: StoreArgs,
}

/// How to reach the configuration store; shared by publish, agent and status.
#[derive(Args, Clone)]
pub struct StoreArgs {
    /// `dir:PATH` (a local directory) or `etcd://HOST:PORT[,HOST:PORT...]`.
    #[arg(long, value_name = "URL")]
    pub store: String,
    /// etcd user (with --etcd-password); overrides the URL's `user=`.
    #[arg(long, value_name = "NAME")]
    pub etcd_user: Option<String>,
    /// etcd password; overrides the URL's `password=`.
    #[arg(long, value_name = "PASSWORD")]
    pub etcd_password: Option<String>,
    /// PEM file of the CA that signed etcd's certificate; turns TLS on.
    #[arg(long, value_name = "FILE")]
    pub etcd_ca: Option<PathBuf>,
    /// PEM client certificate for mutual TLS (with --etcd-key).
    #[arg(long, value_name = "FILE")]
    pub etcd_cert: Option<PathBuf>,
    /// PEM key of the client certificate.
    #[arg(long, value_name = "FILE")]
    pub etcd_key: Option<PathBuf>,
}

impl StoreArgs {
    pub async fn open(&self) -> Result<Arc<dyn Store>, store::Error> {
        let options = store::Options {
            user: self.etcd_user.clone(),
            password: self.etcd_password.clone(),
            ca: self.etcd_ca.clone(),
            cert: self.etcd_cert.clone(),
            key: self.etcd_key.clone(),
            poll: None,
        };
        store::open(&self.store, &options).await
    }
}

/// A multi-threaded tokio runtime for the store and P4Runtime clients.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

/// The compile failed; its diagnostics are already printed.
#[derive(Debug)]
struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the policy has errors")
    }
}

pub fn run(args: Publish) -> ExitCode {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async {
        let store = match args.store.open().await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        let path = &args.policy;
        // The current revision's bucket assignment goes into the compile, so a backend change
        // moves only the buckets it must (docs/dataplane.md, "Keeping connections").
        let result = publish::publish(&*store, &[BUCKETS], |carried| {
            let mut err = std::io::stderr().lock();
            let mut options = Options::default();
            if let Some(bytes) = carried.and_then(|c| c.files.get(BUCKETS)) {
                let previous = std::str::from_utf8(bytes)
                    .map_err(|e| e.to_string())
                    .and_then(|text| Buckets::from_json(text).map_err(|e| e.to_string()));
                match previous {
                    Ok(p) => options.previous = Some(p),
                    Err(e) => {
                        let _ = writeln!(
                            err,
                            "warning: the current revision's {BUCKETS} is unreadable ({e}); \
                             buckets are assigned afresh"
                        );
                    }
                }
            }
            let (_, text, out) =
                super::compile::load_with(path, &options, &mut err, color).ok_or(Refused)?;
            let mut artifacts = out.artifacts("");
            artifacts.push(manifest::manifest(
                &[(path.display().to_string(), text)],
                &artifacts,
            ));
            Ok::<_, Refused>(artifacts)
        })
        .await;
        let mut err = std::io::stderr().lock();
        match result {
            Ok(p) => {
                let _ = writeln!(
                    err,
                    "published revision {} ({} artifacts, {} bytes) to {}{}",
                    p.revision,
                    p.artifacts,
                    p.bytes,
                    store.describe(),
                    p.previous
                        .map(|n| format!("; previous revision {n}"))
                        .unwrap_or_default()
                );
                ExitCode::SUCCESS
            }
            Err(PublishError::Compile(Refused)) => {
                let _ = writeln!(err, "{}: nothing published", path.display());
                ExitCode::FAILURE
            }
            Err(e) => {
                let _ = writeln!(err, "error: {e}; the current revision is unchanged");
                ExitCode::FAILURE
            }
        }
    })
}

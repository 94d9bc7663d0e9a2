//! `ddsr softswitch serve`, and the device loop `ddsr softswitch run --port` shares with it: the
//! softswitch as a P4Runtime device that controllers program over gRPC, optionally attached to
//! live interfaces, until SIGINT or SIGTERM.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use ddsr_proto::p4::v1;
use ddsr_softswitch_server::live::{self, PortSpec, Ports, metrics};
use ddsr_softswitch_server::{Service, Tls, tls};

use super::p4::FrontArgs;

/// Serve P4Runtime v1 for one softswitch device with no data ports, until SIGINT or SIGTERM.
///
/// Binds to loopback; another address needs `--allow-remote`. With `--tls-cert` and
/// `--tls-key` gRPC is TLS only, and `--tls-client-ca` makes it mutual. Only the primary client (highest
/// election id on a StreamChannel) may change the device. Packets enter by packet-out and
/// leave by packet-in; `ddsr softswitch run --port` adds live interfaces.
#[derive(Args)]
pub struct Serve {
    #[command(flatten)]
    device: DeviceArgs,
    /// Load this P4 program at start; a controller may replace it.
    #[arg(long, value_name = "PROGRAM.p4")]
    p4: Option<PathBuf>,
    #[command(flatten)]
    front: FrontArgs,
}

/// The device's control-plane face.
#[derive(Args)]
pub struct DeviceArgs {
    /// Address of the P4Runtime gRPC server (loopback unless `--allow-remote`).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9559")]
    grpc: SocketAddr,
    /// Accept `--grpc` on an address other than loopback, where other hosts can reach it.
    #[arg(long)]
    allow_remote: bool,
    /// Serve gRPC over TLS with this certificate chain (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of `--tls-cert` (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Mutual TLS: clients must present a certificate this CA (PEM) signed.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_client_ca: Option<PathBuf>,
    /// The device id controllers must use.
    #[arg(long, value_name = "N", default_value_t = 1)]
    device_id: u64,
    /// Port packet-out enters through and packets for the controller leave by.
    #[arg(long, value_name = "N")]
    cpu_port: Option<u16>,
    /// Serve Prometheus metrics at http://ADDR/metrics (off unless given).
    #[arg(long, value_name = "ADDR")]
    metrics: Option<SocketAddr>,
}

/// Which ready line to print on stderr.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Banner {
    /// `P4Runtime device N listening on ADDR` (what `serve` always printed).
    Device,
    /// `listening: grpc=ADDR ports=N:IFACE,...` (what scripts around `run --port` wait for).
    Ports,
}

/// How long stopped threads and open gRPC calls get before the process leaves anyway.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(2);

pub fn run(a: &Serve) -> Result<ExitCode> {
    let config = match &a.p4 {
        None => None,
        Some(file) => {
            let Some(c) = super::p4_build::compile(file, &a.front) else {
                return Ok(ExitCode::FAILURE);
            };
            Some(v1::ForwardingPipelineConfig {
                p4info: Some(c.p4info),
                p4_device_config: c.lowered.pipeline.to_json().into_bytes(),
                cookie: None,
            })
        }
    };
    serve(
        &a.device,
        config.as_ref(),
        None,
        &[],
        live::Io::default(),
        Banner::Device,
    )
}

/// Runs the device until SIGINT or SIGTERM: commits `config`, writes `entries` through the
/// device's own gRPC server, attaches `ports`, serves gRPC and,
/// when asked, metrics; then stops everything and prints the counter summary.
pub fn serve(
    d: &DeviceArgs,
    config: Option<&v1::ForwardingPipelineConfig>,
    entries: Option<&v1::WriteRequest>,
    ports: &[PortSpec],
    io: live::Io,
    banner: Banner,
) -> Result<ExitCode> {
    if !d.grpc.ip().is_loopback() && !d.allow_remote {
        bail!(
            "refusing to serve P4Runtime on {}: it is not a loopback address, so other hosts \
             could program the switch; pass --allow-remote to accept that (with --tls-cert, \
             --tls-key and --tls-client-ca to admit only known controllers)",
            d.grpc
        );
    }
    let secure = match (&d.tls_cert, &d.tls_key) {
        (Some(cert), Some(key)) => Some(Tls::from_files(cert, key, d.tls_client_ca.as_deref())?),
        _ => None,
    };
    let service = Service::new(d.device_id, d.cpu_port);
    if let Some(c) = config {
        service
            .commit(c)
            .map_err(|e| anyhow!("cannot commit the program: {e}"))?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let incoming = tonic::transport::server::TcpIncoming::bind(d.grpc)
            .map_err(|e| anyhow!("cannot listen on {}: {e}", d.grpc))?;
        let local = incoming
            .local_addr()
            .context("reading the listening address")?;
        let (stop_grpc, stopped) = tokio::sync::oneshot::channel::<()>();
        let mut server = {
            let (service, secure) = (service.clone(), secure.clone());
            tokio::spawn(async move {
                tls::serve(&service, incoming, secure.as_ref(), async {
                    let _ = stopped.await;
                })
                .await
            })
        };
        if let Some(req) = entries {
            let n = match secure {
                None => live::preload::write(local, d.device_id, req).await,
                Some(_) => preload_in_plain(&service, d.device_id, req).await?,
            }
            .context("loading --entries")?;
            eprintln!("installed {n} entries");
        }
        let opts = live::Options {
            io,
            cpu_port: d.cpu_port,
            ..live::Options::default()
        };
        let attached = Ports::attach(&service, ports, &opts)?;
        if !ports.is_empty() && attached.io() != io {
            eprintln!("warning: no memory-mapped rings on these interfaces, using sockets");
        }
        let endpoint = match d.metrics {
            None => None,
            Some(addr) => {
                let counters = attached.counters().clone();
                let service = service.clone();
                let ep = metrics::Endpoint::serve(addr, move || {
                    let mut s = String::new();
                    metrics::render_ports(&counters.totals(), &mut s);
                    metrics::render_pipeline(service.stats().as_ref(), &mut s);
                    s
                })
                .with_context(|| format!("cannot serve metrics on {addr}"))?;
                Some(ep)
            }
        };
        let mut ready = match banner {
            Banner::Device => format!("P4Runtime device {} listening on {local}", d.device_id),
            Banner::Ports => {
                let list: Vec<String> = ports
                    .iter()
                    .map(|p| format!("{}:{}", p.port, p.iface))
                    .collect();
                format!("listening: grpc={local} ports={}", list.join(","))
            }
        };
        if let Some(ep) = &endpoint {
            let _ = write!(ready, " metrics={}", ep.addr());
        }
        eprintln!("{ready}");
        tracing::info!(grpc = %local, ports = ports.len(), "device ready");

        let outcome = tokio::select! {
            sig = live::shutdown_signal() => Ok(sig?),
            r = &mut server => Err(match r {
                Ok(Ok(())) => anyhow!("the gRPC server stopped"),
                Ok(Err(e)) => anyhow!("serving gRPC: {e}"),
                Err(e) => anyhow!("the gRPC server task failed: {e}"),
            }),
        };
        // Open StreamChannels would hold a graceful shutdown forever: wait a bounded time.
        let _ = stop_grpc.send(());
        if tokio::time::timeout(SHUTDOWN_WAIT, &mut server)
            .await
            .is_err()
        {
            server.abort();
        }
        if let Some(ep) = endpoint {
            ep.stop();
        }
        let detached = attached.detach(SHUTDOWN_WAIT);
        let signal = outcome?;
        eprintln!("stopping on {signal}");
        eprint!("{}", detached.totals);
        if !detached.unjoined.is_empty() {
            eprintln!(
                "threads still running at exit: {}",
                detached.unjoined.join(", ")
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Writes `--entries` through a plain gRPC server of the same device on a private loopback
/// port, for when the public one speaks TLS: the startup entries then take exactly a
/// controller's path without the loader needing a client certificate.
async fn preload_in_plain(
    service: &Service,
    device_id: u64,
    req: &v1::WriteRequest,
) -> Result<Result<usize, live::preload::Error>> {
    let incoming = tonic::transport::server::TcpIncoming::bind(([127, 0, 0, 1], 0).into())
        .map_err(|e| anyhow!("cannot listen on loopback for --entries: {e}"))?;
    let local = incoming
        .local_addr()
        .context("reading the listening address")?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let service = service.clone();
    let mut server = tokio::spawn(async move {
        tls::serve(&service, incoming, None, async {
            let _ = stopped.await;
        })
        .await
    });
    let written = live::preload::write(local, device_id, req).await;
    let _ = stop.send(());
    if tokio::time::timeout(SHUTDOWN_WAIT, &mut server)
        .await
        .is_err()
    {
        server.abort();
    }
    Ok(written)
}

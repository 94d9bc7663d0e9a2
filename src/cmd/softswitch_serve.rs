//! `ddsr softswitch serve`: the softswitch as a P4Runtime device that controllers program over
//! gRPC (no live ports yet: packets enter and leave through packet-out and packet-in).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use ddsr_proto::p4::v1;
use ddsr_softswitch_server::Service;

use super::p4::FrontArgs;

/// Serve P4Runtime v1 for one softswitch device until killed.
///
/// Binds to loopback unless another address is given. Only the primary client (highest
/// election id on a StreamChannel) may change the device.
#[derive(Args)]
pub struct Serve {
    /// Address of the gRPC server.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9559")]
    grpc: SocketAddr,
    /// The device id controllers must use.
    #[arg(long, value_name = "N", default_value_t = 1)]
    device_id: u64,
    /// Port packet-out enters through and packets for the controller leave by.
    #[arg(long, value_name = "N")]
    cpu_port: Option<u16>,
    /// Load this P4 program at start; a controller may replace it.
    #[arg(long, value_name = "PROGRAM.p4")]
    p4: Option<PathBuf>,
    #[command(flatten)]
    front: FrontArgs,
}

pub fn run(a: &Serve) -> Result<ExitCode> {
    let service = Service::new(a.device_id, a.cpu_port);
    if let Some(file) = &a.p4 {
        let Some(c) = super::p4_build::compile(file, &a.front) else {
            return Ok(ExitCode::FAILURE);
        };
        let config = v1::ForwardingPipelineConfig {
            p4info: Some(c.p4info),
            p4_device_config: c.lowered.pipeline.to_json().into_bytes(),
            cookie: None,
        };
        if let Err(e) = service.commit(&config) {
            bail!("{}: {e}", file.display());
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let incoming = tonic::transport::server::TcpIncoming::bind(a.grpc)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", a.grpc))?;
        let local = incoming
            .local_addr()
            .context("reading the listening address")?;
        eprintln!("P4Runtime device {} listening on {local}", a.device_id);
        tonic::transport::Server::builder()
            .add_service(service.server())
            .serve_with_incoming(incoming)
            .await
            .context("serving gRPC")
    })?;
    Ok(ExitCode::SUCCESS)
}

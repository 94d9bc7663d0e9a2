//! Entries installed at start (`--entries entries.txtpb`) the way a controller would write
//! them: through the device's own gRPC server, so they pass the same translation, checks and
//! arbitration as any Write, and nothing reaches into the device behind the server's back.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use ddsr_proto::P4RuntimeClient;
use ddsr_proto::google::rpc::Status as RpcStatus;
use ddsr_proto::p4::v1;
use prost::Message;
use tokio_stream::StreamExt;

/// Updates per Write request, well under gRPC's default 4 MiB message limit.
pub const BATCH: usize = 5000;

/// The election id of the loading client: the lowest there is, so that any controller
/// connecting later is at least as high and becomes primary.
const ELECTION_ID: u128 = 1;

/// How long the server may take to notice the loading stream ended.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Why loading failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot reach the device's gRPC server: {0}")]
    Connect(#[from] tonic::transport::Error),
    #[error("cannot become primary: {0}")]
    Arbitration(String),
    #[error("update {index}: {message}")]
    Update { index: usize, message: String },
    #[error("Write of updates {first}..{end} failed: {message}")]
    Write {
        first: usize,
        end: usize,
        message: String,
    },
    #[error("the stream channel did not close within {CLOSE_WAIT:?}")]
    Close,
}

/// Writes every update of `req` to device `device_id` at `addr` in batches of [`BATCH`], each
/// rolled back on error; returns the number written once the server has seen the loading
/// client leave (so a controller may take its election id at once).
pub async fn write(
    addr: SocketAddr,
    device_id: u64,
    req: &v1::WriteRequest,
) -> Result<usize, Error> {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        // Bound to every address: reach it over loopback.
        addr.set_ip(match addr {
            SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
        });
    }
    let mut client = P4RuntimeClient::connect(format!("http://{addr}")).await?;
    let election_id = Some(ddsr_proto::uint128(ELECTION_ID));
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tx.send(v1::StreamMessageRequest {
        update: Some(v1::stream_message_request::Update::Arbitration(
            v1::MasterArbitrationUpdate {
                device_id,
                election_id,
                ..Default::default()
            },
        )),
    })
    .await
    .map_err(|_| Error::Arbitration("the request stream closed".into()))?;
    let mut responses = client
        .stream_channel(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .map_err(|s| Error::Arbitration(s.message().to_string()))?
        .into_inner();
    match responses.next().await {
        Some(Ok(v1::StreamMessageResponse {
            update: Some(v1::stream_message_response::Update::Arbitration(a)),
        })) => match a.status {
            Some(s) if s.code == 0 => {}
            Some(s) => return Err(Error::Arbitration(s.message)),
            None => return Err(Error::Arbitration("no status in the answer".into())),
        },
        Some(Err(s)) => return Err(Error::Arbitration(s.message().to_string())),
        Some(Ok(other)) => return Err(Error::Arbitration(format!("unexpected answer {other:?}"))),
        None => return Err(Error::Arbitration("the stream ended".into())),
    }
    for (i, chunk) in req.updates.chunks(BATCH).enumerate() {
        let first = i * BATCH;
        client
            .write(v1::WriteRequest {
                device_id,
                election_id,
                updates: chunk.to_vec(),
                atomicity: v1::write_request::Atomicity::RollbackOnError as i32,
                ..Default::default()
            })
            .await
            .map_err(|s| {
                failed_update(&s, first).unwrap_or_else(|| Error::Write {
                    first,
                    end: first + chunk.len(),
                    message: s.message().to_string(),
                })
            })?;
    }
    drop(tx);
    tokio::time::timeout(CLOSE_WAIT, async {
        while responses.next().await.is_some() {}
    })
    .await
    .map_err(|_| Error::Close)?;
    Ok(req.updates.len())
}

/// The first update the per-update details of a failed Write blame (rolled-back updates
/// report ABORTED and are skipped).
fn failed_update(s: &tonic::Status, first: usize) -> Option<Error> {
    const ABORTED: i32 = 10;
    let status = RpcStatus::decode(s.details()).ok()?;
    status.details.iter().enumerate().find_map(|(i, any)| {
        let e = v1::Error::decode(any.value.as_slice()).ok()?;
        (e.canonical_code != 0 && e.canonical_code != ABORTED).then(|| Error::Update {
            index: first + i,
            message: e.message,
        })
    })
}

//! A P4Runtime client for one device, as primary of the default role.
//!
//! [`Client::connect`] opens the gRPC channel and the StreamChannel, sends a
//! MasterArbitrationUpdate with the target's election id and waits (bounded) for the device's
//! answer: the stream must stay open for as long as the client is primary, so the client owns
//! it and a background task drains what the device sends later. Writes, reads and pipeline
//! changes carry the device id and election id of the [`Target`].

mod error;
pub mod schema;

use std::time::Duration;

use ddsr_proto::P4RuntimeClient;
use ddsr_proto::google::rpc::Code;
use ddsr_proto::p4::v1;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::transport::{Channel, Endpoint};

use crate::target::Target;

pub use error::{P4rtError, UpdateError, update_errors};

/// How long connecting and the arbitration answer may take.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest message the client accepts: read responses of targets that answer in one message
/// (a 65,536-bucket table is several MiB).
const MAX_MESSAGE: usize = 256 << 20;

/// A connected primary client.
pub struct Client {
    rpc: P4RuntimeClient<Channel>,
    device_id: u64,
    election_id: v1::Uint128,
    target: String,
    /// Keeps the StreamChannel (and with it the primary role) open; dropped with the client.
    _stream: mpsc::UnboundedSender<v1::StreamMessageRequest>,
    drain: JoinHandle<()>,
}

impl Drop for Client {
    fn drop(&mut self) {
        self.drain.abort();
    }
}

impl Client {
    /// Connects to `target` and becomes primary, or says why not.
    pub async fn connect(target: &Target) -> Result<Client, P4rtError> {
        let name = target.to_string();
        let endpoint = Endpoint::from_shared(target.uri())
            .map_err(|_| P4rtError::Address(name.clone()))?
            .connect_timeout(HANDSHAKE_TIMEOUT);
        let channel = endpoint.connect().await.map_err(|e| P4rtError::Connect {
            target: name.clone(),
            reason: error::chain(&e),
        })?;
        let mut rpc = P4RuntimeClient::new(channel)
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE);
        let election_id = ddsr_proto::uint128(target.election());
        let (stream, rx) = mpsc::unbounded_channel();
        // Queued before the call: some servers send response headers only after the first
        // request message arrives.
        let _ = stream.send(v1::StreamMessageRequest {
            update: Some(v1::stream_message_request::Update::Arbitration(
                v1::MasterArbitrationUpdate {
                    device_id: target.device_id,
                    election_id: Some(election_id),
                    ..Default::default()
                },
            )),
        });
        let handshake = async {
            let mut replies = rpc
                .stream_channel(UnboundedReceiverStream::new(rx))
                .await
                .map_err(|status| P4rtError::Rpc {
                    rpc: "StreamChannel",
                    status: Box::new(status),
                })?
                .into_inner();
            loop {
                let reply = replies
                    .next()
                    .await
                    .ok_or(P4rtError::StreamClosed)?
                    .map_err(|status| P4rtError::Rpc {
                        rpc: "StreamChannel",
                        status: Box::new(status),
                    })?;
                match reply.update {
                    Some(v1::stream_message_response::Update::Arbitration(a)) => {
                        return Ok((a, replies));
                    }
                    Some(v1::stream_message_response::Update::Error(e)) => {
                        return Err(P4rtError::StreamError {
                            code: code_name(e.canonical_code),
                            message: e.message,
                        });
                    }
                    // Packet-ins or digests before the answer are not for us yet.
                    _ => {}
                }
            }
        };
        let (answer, mut replies) = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake)
            .await
            .map_err(|_| P4rtError::ArbitrationTimeout {
                target: name.clone(),
                seconds: HANDSHAKE_TIMEOUT.as_secs(),
            })??;
        let status = answer.status.unwrap_or_default();
        if status.code != Code::Ok as i32 {
            return Err(P4rtError::NotPrimary {
                target: name,
                ours: target.election(),
                primary: answer.election_id.map(u128::from),
                code: code_name(status.code),
                message: status.message,
            });
        }
        let watched = name.clone();
        let drain = tokio::spawn(async move {
            while let Some(reply) = replies.next().await {
                match reply {
                    Ok(v1::StreamMessageResponse {
                        update: Some(v1::stream_message_response::Update::Arbitration(a)),
                    }) if a.status.as_ref().is_some_and(|s| s.code != Code::Ok as i32) => {
                        tracing::warn!(target = %watched, "no longer primary");
                    }
                    Ok(other) => tracing::debug!(target = %watched, ?other, "stream message"),
                    Err(status) => {
                        tracing::warn!(target = %watched, %status, "stream ended");
                        break;
                    }
                }
            }
        });
        Ok(Client {
            rpc,
            device_id: target.device_id,
            election_id,
            target: name,
            _stream: stream,
            drain,
        })
    }

    /// The `p4rt://` address this client talks to.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The device's P4Info and cookie, or `None` when it has no pipeline.
    pub async fn pipeline(&mut self) -> Result<Option<v1::ForwardingPipelineConfig>, P4rtError> {
        use v1::get_forwarding_pipeline_config_request::ResponseType;
        let request = v1::GetForwardingPipelineConfigRequest {
            device_id: self.device_id,
            response_type: ResponseType::P4infoAndCookie as i32,
        };
        match self.rpc.get_forwarding_pipeline_config(request).await {
            Ok(r) => Ok(r
                .into_inner()
                .config
                .filter(|c| c.p4info.is_some() || c.cookie.is_some())),
            // The spec's answer for "no pipeline yet"; BMv2 answers with an empty config.
            Err(status) if status.code() == tonic::Code::FailedPrecondition => Ok(None),
            Err(status) => Err(P4rtError::Rpc {
                rpc: "GetForwardingPipelineConfig",
                status: Box::new(status),
            }),
        }
    }

    /// Sets the device's pipeline to `config`: VERIFY_AND_COMMIT clears every entry,
    /// RECONCILE_AND_COMMIT keeps the entries that fit the new program (or fails, changing
    /// nothing).
    pub async fn set_pipeline(
        &mut self,
        config: v1::ForwardingPipelineConfig,
        action: v1::set_forwarding_pipeline_config_request::Action,
    ) -> Result<(), P4rtError> {
        let request = v1::SetForwardingPipelineConfigRequest {
            device_id: self.device_id,
            election_id: Some(self.election_id),
            action: action as i32,
            config: Some(config),
            ..Default::default()
        };
        self.rpc
            .set_forwarding_pipeline_config(request)
            .await
            .map(drop)
            .map_err(|status| P4rtError::Rpc {
                rpc: "SetForwardingPipelineConfig",
                status: Box::new(status),
            })
    }

    /// Every table entry matching one of `filters`.
    pub async fn read(
        &mut self,
        filters: Vec<v1::Entity>,
    ) -> Result<Vec<v1::TableEntry>, P4rtError> {
        let err = |status| P4rtError::Rpc {
            rpc: "Read",
            status: Box::new(status),
        };
        let request = v1::ReadRequest {
            device_id: self.device_id,
            entities: filters,
            ..Default::default()
        };
        let mut responses = self.rpc.read(request).await.map_err(err)?.into_inner();
        let mut out = Vec::new();
        while let Some(response) = responses.next().await {
            for e in response.map_err(err)?.entities {
                if let Some(v1::entity::Entity::TableEntry(t)) = e.entity {
                    out.push(t);
                }
            }
        }
        Ok(out)
    }

    /// One Write request; on failure the gRPC status (per-update errors are in its details,
    /// see [`update_errors`]).
    pub async fn write(
        &mut self,
        updates: Vec<v1::Update>,
        atomicity: v1::write_request::Atomicity,
    ) -> Result<(), tonic::Status> {
        let request = v1::WriteRequest {
            device_id: self.device_id,
            election_id: Some(self.election_id),
            updates,
            atomicity: atomicity as i32,
            ..Default::default()
        };
        self.rpc.write(request).await.map(drop)
    }
}

/// The name of a canonical gRPC code (`ALREADY_EXISTS`), or the number when unknown.
pub fn code_name(code: i32) -> String {
    Code::try_from(code).map_or_else(|_| format!("code {code}"), |c| c.as_str_name().to_owned())
}

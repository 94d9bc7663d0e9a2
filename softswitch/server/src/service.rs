//! The P4Runtime gRPC service around one device.
//!
//! The switch core is shared between this service and the packet path behind one
//! `std::sync::Mutex` (inside [`Shared`]) rather than owned by a thread fed through a channel:
//! a Write batch then runs under a single lock, so packets see the tables either before or
//! after the batch (DATAPLANE_ATOMIC for free), reads see a consistent snapshot, and no
//! critical section awaits. Lock order: device, then arbitration; never both from the packet
//! path.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use ddsr_proto::google::rpc::{Code, Status as RpcStatus};
use ddsr_proto::p4::v1;
use ddsr_proto::{P4Runtime, P4RuntimeServer};
use ddsr_softswitch::{OutPacket, Output};
use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use crate::arbitration::Arbitration;
use crate::device::Device;
use crate::error::Error;
use crate::packet_io;
use crate::stats::Stats;

/// The P4Runtime version this server implements.
pub const API_VERSION: &str = "1.5.0";

/// Largest gRPC message the server takes or sends: 64 MiB, sixteen times tonic's default
/// of 4 MiB, so that a Write of about half a million table entries or a large device config
/// fits in one request, while a request that would exhaust memory is refused with
/// OUT_OF_RANGE before it is buffered. Read answers come in chunks well below it.
pub const MAX_MESSAGE: usize = 64 << 20;

/// Entities per ReadResponse message.
const READ_CHUNK: usize = 1000;

/// Shortest and longest sleep of the digest timer: lists are sent at most this late after
/// their `max_timeout_ns`, and a configuration written meanwhile is seen this soon.
const DIGEST_TICK: std::time::Duration = std::time::Duration::from_millis(1);
const DIGEST_IDLE: std::time::Duration = std::time::Duration::from_millis(50);

fn send_digests(arbitration: &Arbitration, lists: Vec<v1::DigestList>) {
    for l in lists {
        arbitration.to_primary(v1::StreamMessageResponse {
            update: Some(v1::stream_message_response::Update::Digest(l)),
        });
    }
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Where packets leaving data ports go (the live-port layer, or a test).
pub type PortSink = std::sync::mpsc::Sender<OutPacket>;

struct Shared {
    device_id: u64,
    cpu_port: Option<u16>,
    device: Mutex<Device>,
    arbitration: Mutex<Arbitration>,
    ports: Mutex<Option<PortSink>>,
    output: Mutex<Output>,
    start: Instant,
    digest_timer: AtomicBool,
}

/// One device's P4Runtime service; clones share the device.
#[derive(Clone)]
pub struct Service {
    shared: Arc<Shared>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock would be a bug; the state is still the last consistent one
    // because every mutation completes or is undone before the guard drops.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Service {
    /// A device with no pipeline yet; `cpu_port` is the port packet-out enters through and
    /// packets for the controller leave by.
    pub fn new(device_id: u64, cpu_port: Option<u16>) -> Service {
        Service {
            shared: Arc::new(Shared {
                device_id,
                cpu_port,
                device: Mutex::new(Device::default()),
                arbitration: Mutex::new(Arbitration::default()),
                ports: Mutex::new(None),
                output: Mutex::new(Output::default()),
                start: Instant::now(),
                digest_timer: AtomicBool::new(false),
            }),
        }
    }

    /// The tonic service to add to a `tonic::transport::Server`, accepting and sending
    /// messages up to [`MAX_MESSAGE`] bytes.
    pub fn server(&self) -> P4RuntimeServer<Service> {
        P4RuntimeServer::new(self.clone())
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE)
    }

    /// Verifies and commits a forwarding config, as VERIFY_AND_COMMIT from a controller would
    /// (used to start with a program loaded).
    pub fn commit(&self, config: &v1::ForwardingPipelineConfig) -> Result<(), Error> {
        lock(&self.shared.device).set_pipeline(
            v1::set_forwarding_pipeline_config_request::Action::VerifyAndCommit,
            Some(config),
        )
    }

    /// Sends packets leaving data ports to `sink` from now on.
    pub fn set_port_sink(&self, sink: PortSink) {
        *lock(&self.shared.ports) = Some(sink);
    }

    /// Runs one packet received on `port` through the committed pipeline; returns false when
    /// no pipeline is set. Packets to the CPU port go to the primary as packet-in.
    pub fn inject(&self, port: u16, data: &[u8]) -> bool {
        let s = &*self.shared;
        let mut out = lock(&s.output);
        out.clear();
        let mut lists = Vec::new();
        let info = {
            let mut d = lock(&s.device);
            if !d.process(port, data, self.now_ns(), &mut out, &mut lists) {
                return false;
            }
            // The P4Info decodes packet-in metadata; copy it only when a packet goes there.
            let to_cpu = out.packets().iter().any(|p| Some(p.port) == s.cpu_port);
            d.config().filter(|_| to_cpu).map(|c| c.info.clone())
        };
        let ports = lock(&s.ports);
        let arbitration = lock(&s.arbitration);
        for p in out.packets() {
            if Some(p.port) == s.cpu_port {
                if let Some(pin) = info.as_ref().and_then(|i| packet_io::decode_in(i, &p.data)) {
                    arbitration.to_primary(v1::StreamMessageResponse {
                        update: Some(v1::stream_message_response::Update::Packet(pin)),
                    });
                } else {
                    tracing::warn!(
                        len = p.data.len(),
                        "packet to the CPU port is shorter than packet_in"
                    );
                }
            } else if let Some(sink) = ports.as_ref() {
                let _ = sink.send(p.clone());
            }
        }
        send_digests(&arbitration, lists);
        true
    }

    /// A snapshot of the committed pipeline's counters (packets, drops by ingress port and
    /// reason, table hits and misses); `None` when no pipeline is set.
    pub fn stats(&self) -> Option<Stats> {
        lock(&self.shared.device).stats()
    }

    /// Nanoseconds on the packet path's clock.
    fn now_ns(&self) -> u64 {
        self.shared.start.elapsed().as_nanos() as u64
    }

    /// Sends digest lists whose timeout passed; started with the first digest configuration
    /// and ending when the service is dropped.
    fn start_digest_timer(&self) {
        if self.shared.digest_timer.swap(true, Ordering::SeqCst) {
            return;
        }
        let weak = Arc::downgrade(&self.shared);
        tokio::spawn(async move {
            loop {
                let Some(shared) = weak.upgrade() else { return };
                let service = Service { shared };
                let now = service.now_ns();
                let mut lists = Vec::new();
                let next = lock(&service.shared.device).digests_due(now, &mut lists);
                send_digests(&lock(&service.shared.arbitration), lists);
                drop(service);
                let wait = next.map_or(DIGEST_IDLE, |t| {
                    std::time::Duration::from_nanos(t.saturating_sub(now))
                        .clamp(DIGEST_TICK, DIGEST_IDLE)
                });
                tokio::time::sleep(wait).await;
            }
        });
    }

    fn check_device(&self, device_id: u64) -> Result<(), Status> {
        if device_id != self.shared.device_id {
            return Err(Error::NotFound(format!("unknown device id {device_id}")).to_status());
        }
        Ok(())
    }

    fn check_writer(&self, role: &str, election_id: Option<v1::Uint128>) -> Result<(), Status> {
        if !role.is_empty() {
            return Err(Error::Unimplemented(format!(
                "only the default role is supported, found `{role}`"
            ))
            .to_status());
        }
        lock(&self.shared.arbitration)
            .check_writer(election_id.map(u128::from))
            .map_err(|e| e.to_status())
    }

    fn packet_out(&self, p: &v1::PacketOut) -> Result<(), Error> {
        let cpu = self
            .shared
            .cpu_port
            .ok_or_else(|| Error::FailedPrecondition("the switch has no CPU port".into()))?;
        let bytes = {
            let d = lock(&self.shared.device);
            let c = d
                .config()
                .ok_or_else(|| Error::FailedPrecondition("no forwarding pipeline is set".into()))?;
            packet_io::encode_out(&c.info, p)?
        };
        self.inject(cpu, &bytes);
        Ok(())
    }

    fn stream_message(&self, key: u64, msg: v1::StreamMessageRequest) -> Result<(), Error> {
        use v1::stream_message_request::Update;
        match msg.update {
            Some(Update::Arbitration(a)) => {
                if a.device_id != self.shared.device_id {
                    return Err(Error::NotFound(format!(
                        "unknown device id {}",
                        a.device_id
                    )));
                }
                if a.role.as_ref().is_some_and(|r| !r.name.is_empty()) {
                    return Err(Error::Unimplemented(
                        "only the default role is supported".into(),
                    ));
                }
                let id = a
                    .election_id
                    .map(u128::from)
                    .ok_or_else(|| Error::InvalidArgument("no election id".into()))?;
                lock(&self.shared.arbitration).update(key, self.shared.device_id, id)
            }
            Some(Update::Packet(p)) => {
                if lock(&self.shared.arbitration).primary() != Some(key) {
                    return Err(Error::PermissionDenied(
                        "only the primary may send packets".into(),
                    ));
                }
                self.packet_out(&p)
            }
            Some(Update::DigestAck(a)) => {
                if lock(&self.shared.arbitration).primary() != Some(key) {
                    return Err(Error::PermissionDenied(
                        "only the primary may acknowledge digests".into(),
                    ));
                }
                lock(&self.shared.device).digest_ack(&a)
            }
            Some(Update::Other(_)) | None => Err(Error::InvalidArgument(
                "empty or unknown stream message".into(),
            )),
        }
    }
}

/// A Write failure: gRPC UNKNOWN with one `p4.v1.Error` per update in a `google.rpc.Status`.
fn write_status(results: &[Result<(), Error>]) -> Status {
    let failed = results.iter().filter(|r| r.is_err()).count();
    let message = format!("{failed} of {} updates failed", results.len());
    let details = results
        .iter()
        .map(|r| {
            let e = match r {
                Ok(()) => v1::Error {
                    canonical_code: Code::Ok as i32,
                    ..Default::default()
                },
                Err(e) => v1::Error {
                    canonical_code: e.code() as i32,
                    message: e.to_string(),
                    ..Default::default()
                },
            };
            prost_types::Any::from_msg(&e).expect("encoding into a Vec cannot fail")
        })
        .collect();
    let status = RpcStatus {
        code: Code::Unknown as i32,
        message: message.clone(),
        details,
    };
    Status::with_details(tonic::Code::Unknown, message, status.encode_to_vec().into())
}

#[tonic::async_trait]
impl P4Runtime for Service {
    async fn write(
        &self,
        request: Request<v1::WriteRequest>,
    ) -> Result<Response<v1::WriteResponse>, Status> {
        let r = request.into_inner();
        self.check_device(r.device_id)?;
        self.check_writer(&r.role, r.election_id)?;
        let atomicity = v1::write_request::Atomicity::try_from(r.atomicity).map_err(|_| {
            Error::InvalidArgument(format!("atomicity {} is invalid", r.atomicity)).to_status()
        })?;
        if r.updates.iter().any(|u| {
            matches!(
                u.entity.as_ref().and_then(|e| e.entity.as_ref()),
                Some(v1::entity::Entity::DigestEntry(_))
            )
        }) {
            self.start_digest_timer();
        }
        let now = self.now_ns();
        let results = lock(&self.shared.device)
            .write(&r.updates, atomicity, now)
            .map_err(|e| e.to_status())?;
        if results.iter().all(Result::is_ok) {
            Ok(Response::new(v1::WriteResponse {}))
        } else {
            Err(write_status(&results))
        }
    }

    type ReadStream = BoxStream<v1::ReadResponse>;

    async fn read(
        &self,
        request: Request<v1::ReadRequest>,
    ) -> Result<Response<Self::ReadStream>, Status> {
        let r = request.into_inner();
        self.check_device(r.device_id)?;
        let mut entities = Vec::new();
        {
            let d = lock(&self.shared.device);
            for f in &r.entities {
                d.read(f, &mut entities).map_err(|e| e.to_status())?;
            }
        }
        let mut chunks = Vec::with_capacity(entities.len() / READ_CHUNK + 1);
        let mut rest = entities.into_iter();
        loop {
            let entities: Vec<v1::Entity> = rest.by_ref().take(READ_CHUNK).collect();
            let last = entities.len() < READ_CHUNK;
            chunks.push(Ok(v1::ReadResponse { entities }));
            if last {
                break;
            }
        }
        Ok(Response::new(Box::pin(tokio_stream::iter(chunks))))
    }

    async fn set_forwarding_pipeline_config(
        &self,
        request: Request<v1::SetForwardingPipelineConfigRequest>,
    ) -> Result<Response<v1::SetForwardingPipelineConfigResponse>, Status> {
        let r = request.into_inner();
        self.check_device(r.device_id)?;
        self.check_writer(&r.role, r.election_id)?;
        let action = v1::set_forwarding_pipeline_config_request::Action::try_from(r.action)
            .map_err(|_| {
                Error::InvalidArgument(format!("action {} is invalid", r.action)).to_status()
            })?;
        lock(&self.shared.device)
            .set_pipeline(action, r.config.as_ref())
            .map_err(|e| e.to_status())?;
        Ok(Response::new(v1::SetForwardingPipelineConfigResponse {}))
    }

    async fn get_forwarding_pipeline_config(
        &self,
        request: Request<v1::GetForwardingPipelineConfigRequest>,
    ) -> Result<Response<v1::GetForwardingPipelineConfigResponse>, Status> {
        use v1::get_forwarding_pipeline_config_request::ResponseType as T;
        let r = request.into_inner();
        self.check_device(r.device_id)?;
        let ty = T::try_from(r.response_type).map_err(|_| {
            Error::InvalidArgument(format!("response type {} is invalid", r.response_type))
                .to_status()
        })?;
        let d = lock(&self.shared.device);
        let c = d.config().ok_or_else(|| {
            Error::FailedPrecondition("no forwarding pipeline is set".into()).to_status()
        })?;
        let config = v1::ForwardingPipelineConfig {
            p4info: matches!(ty, T::All | T::P4infoAndCookie).then(|| c.info.clone()),
            p4_device_config: if matches!(ty, T::All | T::DeviceConfigAndCookie) {
                c.device_config.clone()
            } else {
                Vec::new()
            },
            cookie: c.cookie,
        };
        Ok(Response::new(v1::GetForwardingPipelineConfigResponse {
            config: Some(config),
        }))
    }

    type StreamChannelStream = BoxStream<v1::StreamMessageResponse>;

    async fn stream_channel(
        &self,
        request: Request<Streaming<v1::StreamMessageRequest>>,
    ) -> Result<Response<Self::StreamChannelStream>, Status> {
        let mut incoming = request.into_inner();
        let (tx, rx) = mpsc::unbounded_channel();
        let key = lock(&self.shared.arbitration).connect(tx.clone());
        let service = self.clone();
        tokio::spawn(async move {
            while let Some(msg) = incoming.next().await {
                let Ok(msg) = msg else { break };
                let arbitration = matches!(
                    msg.update,
                    Some(v1::stream_message_request::Update::Arbitration(_))
                );
                // What a stream error about this message carries back.
                let details = match &msg.update {
                    Some(v1::stream_message_request::Update::Packet(p)) => {
                        Some(v1::stream_error::Details::PacketOut(v1::PacketOutError {
                            packet_out: Some(p.clone()),
                        }))
                    }
                    Some(v1::stream_message_request::Update::DigestAck(a)) => Some(
                        v1::stream_error::Details::DigestListAck(v1::DigestListAckError {
                            digest_list_ack: Some(*a),
                        }),
                    ),
                    _ => None,
                };
                if let Err(e) = service.stream_message(key, msg) {
                    if arbitration {
                        // A refused arbitration ends the stream with that status.
                        let _ = tx.send(Err(e.to_status()));
                        break;
                    }
                    let _ = tx.send(Ok(v1::StreamMessageResponse {
                        update: Some(v1::stream_message_response::Update::Error(
                            v1::StreamError {
                                canonical_code: e.code() as i32,
                                message: e.to_string(),
                                details,
                                ..Default::default()
                            },
                        )),
                    }));
                }
            }
            lock(&service.shared.arbitration).disconnect(key, service.shared.device_id);
        });
        Ok(Response::new(Box::pin(UnboundedReceiverStream::new(rx))))
    }

    async fn capabilities(
        &self,
        _request: Request<v1::CapabilitiesRequest>,
    ) -> Result<Response<v1::CapabilitiesResponse>, Status> {
        Ok(Response::new(v1::CapabilitiesResponse {
            p4runtime_api_version: API_VERSION.into(),
            experimental: None,
        }))
    }
}

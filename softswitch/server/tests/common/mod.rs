//! Shared harness: compile a P4 program, start a server on an ephemeral loopback port,
//! connect the generated tonic client and become primary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use ddsr_proto::P4RuntimeClient;
use ddsr_proto::google::rpc::Status as RpcStatus;
use ddsr_proto::p4::config::v1 as p4i;
use ddsr_proto::p4::v1;
use ddsr_softswitch_server::Service;
use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::transport::Channel;

pub const DEVICE: u64 = 1;

pub fn manifest(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// (pipeline JSON, P4Info) of a P4 file, compiled by ddsr's front end.
pub fn compile(path: &Path) -> (String, p4i::P4Info) {
    let parsed = ddsr_p4::syntax::parse_file(path, &Default::default());
    assert!(!parsed.diagnostics.has_errors(), "{path:?} does not parse");
    let c = ddsr_p4::p4info::compile(&parsed.program, "program").expect("program compiles");
    (c.lowered.pipeline.to_json(), c.p4info)
}

pub struct Client {
    pub rpc: P4RuntimeClient<Channel>,
    pub stream: mpsc::UnboundedSender<v1::StreamMessageRequest>,
    pub replies: tonic::Streaming<v1::StreamMessageResponse>,
    pub election_id: u128,
}

pub async fn start(cpu_port: Option<u16>) -> (Service, String) {
    let service = Service::new(DEVICE, cpu_port);
    let incoming =
        tonic::transport::server::TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let address = incoming.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service.server())
            .serve_with_incoming(incoming),
    );
    (service, format!("http://{address}"))
}

impl Client {
    /// Connects, opens the stream and sends an arbitration update with `election_id`.
    pub async fn connect(address: &str, election_id: u128) -> Client {
        // Answers may be as large as the server's limit.
        let mut rpc = P4RuntimeClient::connect(address.to_string())
            .await
            .unwrap()
            .max_decoding_message_size(ddsr_softswitch_server::MAX_MESSAGE);
        let (stream, rx) = mpsc::unbounded_channel();
        let replies = rpc
            .stream_channel(UnboundedReceiverStream::new(rx))
            .await
            .unwrap()
            .into_inner();
        let mut c = Client {
            rpc,
            stream,
            replies,
            election_id,
        };
        c.arbitrate(election_id);
        c
    }

    pub fn arbitrate(&mut self, election_id: u128) {
        self.election_id = election_id;
        self.stream
            .send(v1::StreamMessageRequest {
                update: Some(v1::stream_message_request::Update::Arbitration(
                    v1::MasterArbitrationUpdate {
                        device_id: DEVICE,
                        election_id: Some(ddsr_proto::uint128(election_id)),
                        ..Default::default()
                    },
                )),
            })
            .unwrap();
    }

    pub async fn next(&mut self) -> v1::stream_message_response::Update {
        tokio::time::timeout(std::time::Duration::from_secs(10), self.replies.next())
            .await
            .expect("a stream message within 10 s")
            .expect("the stream is open")
            .expect("no stream error")
            .update
            .unwrap()
    }

    /// The (code, election id) of the next arbitration message.
    pub async fn arbitration(&mut self) -> (i32, u128) {
        match self.next().await {
            v1::stream_message_response::Update::Arbitration(a) => {
                (a.status.unwrap().code, u128::from(a.election_id.unwrap()))
            }
            other => panic!("expected arbitration, found {other:?}"),
        }
    }

    pub async fn set_pipeline(
        &mut self,
        action: v1::set_forwarding_pipeline_config_request::Action,
        config: Option<v1::ForwardingPipelineConfig>,
    ) -> Result<(), tonic::Status> {
        self.rpc
            .set_forwarding_pipeline_config(v1::SetForwardingPipelineConfigRequest {
                device_id: DEVICE,
                election_id: Some(ddsr_proto::uint128(self.election_id)),
                action: action as i32,
                config,
                ..Default::default()
            })
            .await
            .map(drop)
    }

    pub async fn write(
        &mut self,
        atomicity: v1::write_request::Atomicity,
        updates: Vec<v1::Update>,
    ) -> Result<(), tonic::Status> {
        self.rpc
            .write(v1::WriteRequest {
                device_id: DEVICE,
                election_id: Some(ddsr_proto::uint128(self.election_id)),
                updates,
                atomicity: atomicity as i32,
                ..Default::default()
            })
            .await
            .map(drop)
    }

    pub async fn read(&mut self, filter: v1::Entity) -> Result<Vec<v1::Entity>, tonic::Status> {
        let mut s = self
            .rpc
            .read(v1::ReadRequest {
                device_id: DEVICE,
                entities: vec![filter],
                ..Default::default()
            })
            .await?
            .into_inner();
        let mut out = Vec::new();
        while let Some(r) = s.next().await {
            out.extend(r?.entities);
        }
        Ok(out)
    }
}

pub fn config(
    pipeline_json: &str,
    info: &p4i::P4Info,
    cookie: u64,
) -> v1::ForwardingPipelineConfig {
    v1::ForwardingPipelineConfig {
        p4info: Some(info.clone()),
        p4_device_config: pipeline_json.as_bytes().to_vec(),
        cookie: Some(v1::forwarding_pipeline_config::Cookie { cookie }),
    }
}

pub fn update(ty: v1::update::Type, e: v1::TableEntry) -> v1::Update {
    v1::Update {
        r#type: ty as i32,
        entity: Some(table_entity(e)),
    }
}

pub fn table_entity(e: v1::TableEntry) -> v1::Entity {
    v1::Entity {
        entity: Some(v1::entity::Entity::TableEntry(e)),
    }
}

/// (code, message) of each update in a failed Write.
pub fn update_errors(status: &tonic::Status) -> Vec<(i32, String)> {
    assert_eq!(status.code(), tonic::Code::Unknown, "{status:?}");
    let s = RpcStatus::decode(status.details()).expect("details are a google.rpc.Status");
    s.details
        .iter()
        .map(|any| {
            let e: v1::Error = any.to_msg().expect("each detail is a p4.v1.Error");
            (e.canonical_code, e.message)
        })
        .collect()
}

pub fn id_of(info: &p4i::P4Info, kind: &str, name: &str) -> u32 {
    let preambles: Vec<&Option<p4i::Preamble>> = match kind {
        "table" => info.tables.iter().map(|x| &x.preamble).collect(),
        "action" => info.actions.iter().map(|x| &x.preamble).collect(),
        "counter" => info.counters.iter().map(|x| &x.preamble).collect(),
        "direct_counter" => info.direct_counters.iter().map(|x| &x.preamble).collect(),
        "meter" => info.meters.iter().map(|x| &x.preamble).collect(),
        "direct_meter" => info.direct_meters.iter().map(|x| &x.preamble).collect(),
        "register" => info.registers.iter().map(|x| &x.preamble).collect(),
        "action_profile" => info.action_profiles.iter().map(|x| &x.preamble).collect(),
        "digest" => info.digests.iter().map(|x| &x.preamble).collect(),
        "packet" => info
            .controller_packet_metadata
            .iter()
            .map(|x| &x.preamble)
            .collect(),
        _ => Vec::new(),
    };
    preambles
        .into_iter()
        .flatten()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
        .id
}

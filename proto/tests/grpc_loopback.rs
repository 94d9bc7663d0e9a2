//! The generated tonic service end to end over loopback TCP: a test server
//! implementing the `P4Runtime` trait and the generated client, exercising a
//! unary call, a Write failing with per-update `p4.v1.Error` details inside a
//! `google.rpc.Status` (the error model P4Runtime servers must use), and the
//! bidirectional StreamChannel with primary arbitration.

use std::pin::Pin;

use ddsr_proto::google::rpc::{Code, Status as RpcStatus};
use ddsr_proto::p4::v1;
use ddsr_proto::{P4Runtime, P4RuntimeClient, P4RuntimeServer};
use prost::Message;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Accepts INSERTs of table entries with a non-zero table id, rejects the
/// others, and reports each update's outcome the way the specification asks.
struct TestSwitch;

#[tonic::async_trait]
impl P4Runtime for TestSwitch {
    async fn write(
        &self,
        request: Request<v1::WriteRequest>,
    ) -> Result<Response<v1::WriteResponse>, Status> {
        let errors: Vec<v1::Error> = request
            .into_inner()
            .updates
            .iter()
            .map(|update| match &update.entity {
                Some(v1::Entity {
                    entity: Some(v1::entity::Entity::TableEntry(entry)),
                }) if entry.table_id != 0 => v1::Error {
                    canonical_code: Code::Ok as i32,
                    ..Default::default()
                },
                _ => v1::Error {
                    canonical_code: Code::InvalidArgument as i32,
                    message: "unknown table".into(),
                    ..Default::default()
                },
            })
            .collect();
        if errors.iter().all(|e| e.canonical_code == Code::Ok as i32) {
            return Ok(Response::new(v1::WriteResponse {}));
        }
        let status = RpcStatus {
            code: Code::Unknown as i32,
            message: "some updates failed".into(),
            details: errors
                .iter()
                .map(|e| prost_types::Any::from_msg(e).unwrap())
                .collect(),
        };
        Err(Status::with_details(
            tonic::Code::Unknown,
            "some updates failed",
            status.encode_to_vec().into(),
        ))
    }

    type ReadStream = BoxStream<v1::ReadResponse>;

    async fn read(
        &self,
        _request: Request<v1::ReadRequest>,
    ) -> Result<Response<Self::ReadStream>, Status> {
        Err(Status::unimplemented("read"))
    }

    async fn set_forwarding_pipeline_config(
        &self,
        _request: Request<v1::SetForwardingPipelineConfigRequest>,
    ) -> Result<Response<v1::SetForwardingPipelineConfigResponse>, Status> {
        Err(Status::unimplemented("set pipeline"))
    }

    async fn get_forwarding_pipeline_config(
        &self,
        _request: Request<v1::GetForwardingPipelineConfigRequest>,
    ) -> Result<Response<v1::GetForwardingPipelineConfigResponse>, Status> {
        Err(Status::unimplemented("get pipeline"))
    }

    type StreamChannelStream = BoxStream<v1::StreamMessageResponse>;

    /// Answers each arbitration request with the same election id and OK,
    /// the answer a client becoming primary gets.
    async fn stream_channel(
        &self,
        request: Request<Streaming<v1::StreamMessageRequest>>,
    ) -> Result<Response<Self::StreamChannelStream>, Status> {
        let replies = request.into_inner().filter_map(|message| match message {
            Ok(v1::StreamMessageRequest {
                update: Some(v1::stream_message_request::Update::Arbitration(arbitration)),
            }) => Some(Ok(v1::StreamMessageResponse {
                update: Some(v1::stream_message_response::Update::Arbitration(
                    v1::MasterArbitrationUpdate {
                        status: Some(RpcStatus {
                            code: Code::Ok as i32,
                            ..Default::default()
                        }),
                        ..arbitration
                    },
                )),
            })),
            _ => None,
        });
        Ok(Response::new(Box::pin(replies)))
    }

    async fn capabilities(
        &self,
        _request: Request<v1::CapabilitiesRequest>,
    ) -> Result<Response<v1::CapabilitiesResponse>, Status> {
        Ok(Response::new(v1::CapabilitiesResponse {
            p4runtime_api_version: "1.5.0".into(),
            experimental: None,
        }))
    }
}

async fn start() -> P4RuntimeClient<tonic::transport::Channel> {
    let incoming =
        tonic::transport::server::TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let address = incoming.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(P4RuntimeServer::new(TestSwitch))
            .serve_with_incoming(incoming),
    );
    P4RuntimeClient::connect(format!("http://{address}"))
        .await
        .unwrap()
}

fn table_insert(table_id: u32) -> v1::Update {
    v1::Update {
        r#type: v1::update::Type::Insert as i32,
        entity: Some(v1::Entity {
            entity: Some(v1::entity::Entity::TableEntry(v1::TableEntry {
                table_id,
                ..Default::default()
            })),
        }),
    }
}

#[tokio::test]
async fn capabilities_round_trip() {
    let mut client = start().await;
    let answer = client
        .capabilities(v1::CapabilitiesRequest { device_id: 1 })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.p4runtime_api_version, "1.5.0");
}

#[tokio::test]
async fn write_errors_carry_one_p4_error_per_update() {
    let mut client = start().await;
    let ok = client
        .write(v1::WriteRequest {
            updates: vec![table_insert(7)],
            ..Default::default()
        })
        .await;
    assert!(ok.is_ok());

    let status = client
        .write(v1::WriteRequest {
            updates: vec![table_insert(7), table_insert(0)],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unknown);
    let details = RpcStatus::decode(status.details()).unwrap();
    let errors: Vec<v1::Error> = details
        .details
        .iter()
        .map(|any| any.to_msg::<v1::Error>().unwrap())
        .collect();
    assert_eq!(
        errors
            .iter()
            .map(|e| (e.canonical_code, e.message.as_str()))
            .collect::<Vec<_>>(),
        [
            (Code::Ok as i32, ""),
            (Code::InvalidArgument as i32, "unknown table")
        ]
    );
}

#[tokio::test]
async fn stream_channel_arbitration() {
    let mut client = start().await;
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    let mut replies = client
        .stream_channel(tokio_stream::wrappers::ReceiverStream::new(receiver))
        .await
        .unwrap()
        .into_inner();
    sender
        .send(v1::StreamMessageRequest {
            update: Some(v1::stream_message_request::Update::Arbitration(
                v1::MasterArbitrationUpdate {
                    device_id: 1,
                    election_id: Some(ddsr_proto::uint128(42)),
                    ..Default::default()
                },
            )),
        })
        .await
        .unwrap();
    let reply = replies.message().await.unwrap().unwrap();
    let Some(v1::stream_message_response::Update::Arbitration(arbitration)) = reply.update else {
        panic!("expected an arbitration update, got {reply:?}");
    };
    assert_eq!(arbitration.device_id, 1);
    assert_eq!(arbitration.election_id.map(u128::from), Some(42));
    assert_eq!(arbitration.status.unwrap().code, Code::Ok as i32);
}

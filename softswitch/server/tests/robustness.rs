//! The server under abuse keeps answering and keeps forwarding: requests above the message
//! limit, bytes that are not a protobuf message, a writer that is not primary, a primary that
//! vanishes in the middle of its stream while 50 clients are connected. After each, a packet
//! injected on a port still comes out where the entry written at the start sends it.

mod common;

use common::*;
use ddsr_proto::google::rpc::Code;
use ddsr_proto::p4::v1;
use ddsr_softswitch_server::{MAX_MESSAGE, Service};
use tonic::codegen::http::uri::PathAndQuery;
use v1::set_forwarding_pipeline_config_request::Action as Set;
use v1::update::Type::Insert;
use v1::write_request::Atomicity;

/// A frame `by_mac` forwards to port 4 once [`entry`] is written.
const FRAME: [u8; 18] = [
    0x02, 0, 0, 0, 0, 0x0b, 0x02, 0, 0, 0, 0, 0x01, 0x90, 0x00, 1, 2, 3, 4,
];

fn entry(info: &ddsr_proto::p4::config::v1::P4Info) -> v1::TableEntry {
    v1::TableEntry {
        table_id: id_of(info, "table", "MyIngress.by_mac"),
        r#match: vec![v1::FieldMatch {
            field_id: 1,
            field_match_type: Some(v1::field_match::FieldMatchType::Exact(
                v1::field_match::Exact {
                    value: FRAME[..6].to_vec(),
                },
            )),
        }],
        action: Some(v1::TableAction {
            r#type: Some(v1::table_action::Type::Action(v1::Action {
                action_id: id_of(info, "action", "MyIngress.forward"),
                params: vec![
                    v1::action::Param {
                        param_id: 1,
                        value: vec![4],
                    },
                    v1::action::Param {
                        param_id: 2,
                        value: vec![9],
                    },
                ],
            })),
        }),
        ..Default::default()
    }
}

/// The device still forwards: the frame leaves on port 4.
fn forwards(service: &Service, sent: &std::sync::mpsc::Receiver<ddsr_softswitch::OutPacket>) {
    assert!(service.inject(1, &FRAME));
    let out: Vec<u16> = sent.try_iter().map(|p| p.port).collect();
    assert_eq!(out, [4]);
}

/// A message whose field 3 (WriteRequest.updates) holds bytes that are no `Update`.
#[derive(Clone, PartialEq, prost::Message)]
struct Garbage {
    #[prost(uint64, tag = "1")]
    device_id: u64,
    #[prost(bytes = "vec", tag = "3")]
    updates: Vec<u8>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_undecodable_requests_are_refused_and_forwarding_goes_on() {
    let (service, address) = start(None).await;
    let (tx, sent) = std::sync::mpsc::channel();
    service.set_port_sink(tx);
    let (json, info) = compile(&manifest("tests/p4/match_kinds.p4"));
    let mut c = Client::connect(&address, 5).await;
    assert_eq!(c.arbitration().await, (Code::Ok as i32, 5));
    c.set_pipeline(Set::VerifyAndCommit, Some(config(&json, &info, 1)))
        .await
        .unwrap();
    c.write(
        Atomicity::ContinueOnError,
        vec![update(Insert, entry(&info))],
    )
    .await
    .unwrap();
    forwards(&service, &sent);

    // One byte over the limit: refused before the server buffers it.
    let mut big = entry(&info);
    big.metadata = vec![7; MAX_MESSAGE];
    let err = c
        .write(Atomicity::ContinueOnError, vec![update(Insert, big)])
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::OutOfRange, "{err:?}");
    assert!(
        err.message()
            .starts_with("Error, decoded message length too large: found "),
        "{}",
        err.message()
    );
    forwards(&service, &sent);

    // Just under the limit is taken (a large opaque metadata reads back whole).
    let mut large = entry(&info);
    large.r#match[0] = v1::FieldMatch {
        field_id: 1,
        field_match_type: Some(v1::field_match::FieldMatchType::Exact(
            v1::field_match::Exact {
                value: vec![2, 0, 0, 0, 0, 0x0c],
            },
        )),
    };
    large.metadata = vec![7; MAX_MESSAGE - 1024];
    c.write(
        Atomicity::ContinueOnError,
        vec![update(Insert, large.clone())],
    )
    .await
    .unwrap();
    let read = c.read(table_entity(large.clone())).await.unwrap();
    assert_eq!(read, vec![table_entity(large)]);
    forwards(&service, &sent);

    // Bytes that do not decode as a WriteRequest.
    let channel = tonic::transport::Channel::from_shared(address.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let err = grpc
        .unary::<Garbage, Garbage, _>(
            tonic::Request::new(Garbage {
                device_id: DEVICE,
                updates: vec![0xff; 16],
            }),
            PathAndQuery::from_static("/p4.v1.P4Runtime/Write"),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Internal, "{err:?}");
    assert!(
        err.message()
            .starts_with("failed to decode Protobuf message"),
        "{}",
        err.message()
    );
    forwards(&service, &sent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vanished_primary_passes_on_and_backups_cannot_write() {
    let (service, address) = start(None).await;
    let (tx, sent) = std::sync::mpsc::channel();
    service.set_port_sink(tx);
    let (json, info) = compile(&manifest("tests/p4/match_kinds.p4"));
    let connects: Vec<_> = (1..=50u128)
        .map(|id| {
            let address = address.clone();
            tokio::spawn(async move { Client::connect(&address, id).await })
        })
        .collect();
    let mut clients = Vec::new();
    for c in connects {
        clients.push(c.await.unwrap());
    }
    let mut primary = clients.pop().unwrap();
    while primary.arbitration().await != (Code::Ok as i32, 50) {}
    primary
        .set_pipeline(Set::VerifyAndCommit, Some(config(&json, &info, 1)))
        .await
        .unwrap();
    primary
        .write(
            Atomicity::ContinueOnError,
            vec![update(Insert, entry(&info))],
        )
        .await
        .unwrap();
    forwards(&service, &sent);

    // Backups cannot write.
    for c in [0, 10] {
        let err = clients[c]
            .write(
                Atomicity::ContinueOnError,
                vec![update(Insert, entry(&info))],
            )
            .await
            .unwrap_err();
        assert_eq!(err.code(), tonic::Code::PermissionDenied, "{err:?}");
    }
    let err = clients[1]
        .set_pipeline(Set::VerifyAndCommit, Some(config(&json, &info, 2)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
    forwards(&service, &sent);

    // The primary vanishes in the middle of its stream: a packet-out half sent, then gone.
    primary
        .stream
        .send(v1::StreamMessageRequest {
            update: Some(v1::stream_message_request::Update::Packet(v1::PacketOut {
                payload: FRAME.to_vec(),
                metadata: vec![],
            })),
        })
        .unwrap();
    drop(primary);
    let mut next = clients.pop().unwrap();
    while next.arbitration().await != (Code::NotFound as i32, 50) {}
    forwards(&service, &sent);
    // It cannot write with its old id; claiming a higher one makes it primary.
    let err = next
        .write(Atomicity::ContinueOnError, vec![])
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
    next.arbitrate(51);
    while next.arbitration().await != (Code::Ok as i32, 51) {}
    let read = next
        .read(table_entity(v1::TableEntry::default()))
        .await
        .unwrap();
    assert_eq!(read, vec![table_entity(entry(&info))], "state survived");
    next.write(Atomicity::ContinueOnError, vec![])
        .await
        .unwrap();
    // Every other client hears of the new primary.
    for c in clients.iter_mut().take(3) {
        while c.arbitration().await != (Code::AlreadyExists as i32, 51) {}
    }
    forwards(&service, &sent);
}

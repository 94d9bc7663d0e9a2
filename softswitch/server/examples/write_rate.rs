//! Batched Write throughput over loopback: `cargo run --release -p ddsr-softswitch-server
//! --example write_rate -- [ENTRIES] [BATCH]` (defaults 1,000,000 and 10,000).
//!
//! A server and the generated tonic client in one process, the client primary; the pipeline
//! has one exact table of 2^20 entries; entries are INSERTs with a 32-bit key and a one-byte
//! action argument, CONTINUE_ON_ERROR. Prints entries per second for the writes, then reads
//! the table back and checks the count. Each phase also prints the CPU seconds the process
//! (client and server) used, which stay comparable on a machine shared with other work when
//! wall-clock rates do not.

use std::time::Instant;

use ddsr_proto::P4RuntimeClient;
use ddsr_proto::p4::v1;
use ddsr_softswitch_server::Service;
use tokio_stream::StreamExt;

const PROGRAM: &str = r#"
#include <core.p4>
#include <v1model.p4>
header ipv4_t { bit<64> skip; bit<32> src; bit<32> dst; }
struct headers_t { ipv4_t ipv4; }
struct metadata_t { }
parser P(packet_in p, out headers_t h, inout metadata_t m, inout standard_metadata_t s) {
    state start { p.extract(h.ipv4); transition accept; }
}
control V(inout headers_t h, inout metadata_t m) { apply { } }
control I(inout headers_t h, inout metadata_t m, inout standard_metadata_t s) {
    action to_port(bit<9> port) { s.egress_spec = port; }
    table hosts {
        key = { h.ipv4.dst: exact; }
        actions = { to_port; NoAction; }
        default_action = NoAction();
        size = 1048576;
    }
    apply { hosts.apply(); }
}
control E(inout headers_t h, inout metadata_t m, inout standard_metadata_t s) { apply { } }
control C(inout headers_t h, inout metadata_t m) { apply { } }
control D(packet_out p, in headers_t h) { apply { p.emit(h.ipv4); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
"#;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let total: u32 = args
        .next()
        .map_or(1_000_000, |a| a.parse().expect("ENTRIES"));
    let batch: u32 = args.next().map_or(10_000, |a| a.parse().expect("BATCH"));

    let parsed = ddsr_p4::syntax::parse_str("bulk.p4", PROGRAM, &Default::default());
    let compiled = ddsr_p4::p4info::compile(&parsed.program, "bulk").expect("compiles");
    let info = compiled.p4info;
    let table_id = info.tables[0].preamble.as_ref().unwrap().id;
    let action_id = info
        .actions
        .iter()
        .find(|a| a.preamble.as_ref().unwrap().name.ends_with("to_port"))
        .unwrap()
        .preamble
        .as_ref()
        .unwrap()
        .id;

    let service = Service::new(1, None);
    let incoming =
        tonic::transport::server::TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let address = incoming.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service.server().max_decoding_message_size(64 << 20))
            .serve_with_incoming(incoming),
    );
    let mut client = P4RuntimeClient::connect(format!("http://{address}"))
        .await
        .unwrap()
        .max_decoding_message_size(64 << 20);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut stream = client
        .stream_channel(tokio_stream::wrappers::UnboundedReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    tx.send(v1::StreamMessageRequest {
        update: Some(v1::stream_message_request::Update::Arbitration(
            v1::MasterArbitrationUpdate {
                device_id: 1,
                election_id: Some(ddsr_proto::uint128(1)),
                ..Default::default()
            },
        )),
    })
    .unwrap();
    stream.next().await.unwrap().unwrap();
    let election_id = Some(ddsr_proto::uint128(1));
    client
        .set_forwarding_pipeline_config(v1::SetForwardingPipelineConfigRequest {
            device_id: 1,
            election_id,
            action: v1::set_forwarding_pipeline_config_request::Action::VerifyAndCommit as i32,
            config: Some(v1::ForwardingPipelineConfig {
                p4info: Some(info.clone()),
                p4_device_config: PROGRAM.as_bytes().to_vec(),
                cookie: None,
            }),
            ..Default::default()
        })
        .await
        .unwrap();

    let requests: Vec<v1::WriteRequest> = (0..total)
        .step_by(batch as usize)
        .map(|start| v1::WriteRequest {
            device_id: 1,
            election_id,
            updates: (start..(start + batch).min(total))
                .map(|k| v1::Update {
                    r#type: v1::update::Type::Insert as i32,
                    entity: Some(v1::Entity {
                        entity: Some(v1::entity::Entity::TableEntry(v1::TableEntry {
                            table_id,
                            r#match: vec![v1::FieldMatch {
                                field_id: 1,
                                field_match_type: Some(v1::field_match::FieldMatchType::Exact(
                                    v1::field_match::Exact {
                                        value: ddsr_proto::bytestring::from_u128(u128::from(k)),
                                    },
                                )),
                            }],
                            action: Some(v1::TableAction {
                                r#type: Some(v1::table_action::Type::Action(v1::Action {
                                    action_id,
                                    params: vec![v1::action::Param {
                                        param_id: 1,
                                        value: vec![(k % 8) as u8],
                                    }],
                                })),
                            }),
                            ..Default::default()
                        })),
                    }),
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    let (start, cpu) = (Instant::now(), cpu_seconds());
    for r in requests {
        client.write(r).await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    println!(
        "write: {total} entries in batches of {batch}: {secs:.2} s, {:.0} entries/s; \
         {cpu:.2} CPU s, {:.0} entries per CPU s",
        f64::from(total) / secs,
        f64::from(total) / cpu
    );

    let (start, cpu) = (Instant::now(), cpu_seconds());
    let mut read = client
        .read(v1::ReadRequest {
            device_id: 1,
            entities: vec![v1::Entity {
                entity: Some(v1::entity::Entity::TableEntry(v1::TableEntry {
                    table_id,
                    ..Default::default()
                })),
            }],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut n = 0;
    while let Some(r) = read.next().await {
        n += r.unwrap().entities.len();
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    assert_eq!(n, total as usize);
    println!(
        "read: {n} entries: {secs:.2} s, {:.0} entries/s; {cpu:.2} CPU s, {:.0} entries per CPU s",
        n as f64 / secs,
        n as f64 / cpu
    );
}

/// User plus system CPU time of this process so far (all threads), from `/proc/self/stat`.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').expect("stat format").1;
    let ticks: f64 = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .map(|f| f.parse::<f64>().expect("clock ticks"))
        .sum();
    // USER_HZ is 100 on Linux for every architecture this runs on.
    ticks / 100.0
}

//! The P4Runtime server driven by the generated tonic client over loopback: pipeline
//! config, entries of every match kind read back byte-identical, per-update errors, atomic
//! batches, default entries, counters, arbitration, packet-out and packet-in.

mod common;

use common::*;
use ddsr_proto::google::rpc::Code;
use ddsr_proto::p4::v1;
use v1::field_match::FieldMatchType as Fm;
use v1::set_forwarding_pipeline_config_request::Action as Set;
use v1::update::Type::{Delete, Insert, Modify};
use v1::write_request::Atomicity;

const CLASSIFY: &str = "MyIngress.classify";

struct Program {
    json: String,
    info: ddsr_proto::p4::config::v1::P4Info,
}

fn match_kinds() -> Program {
    let (json, info) = compile(&manifest("tests/p4/match_kinds.p4"));
    Program { json, info }
}

/// A primary client with the match-kinds program committed.
async fn ready() -> (ddsr_softswitch_server::Service, Client, Program) {
    let (service, address) = start(None).await;
    let mut c = Client::connect(&address, 10).await;
    assert_eq!(c.arbitration().await, (Code::Ok as i32, 10));
    let p = match_kinds();
    c.set_pipeline(Set::VerifyAndCommit, Some(config(&p.json, &p.info, 7)))
        .await
        .unwrap();
    (service, c, p)
}

fn field(id: u32, m: Fm) -> v1::FieldMatch {
    v1::FieldMatch {
        field_id: id,
        field_match_type: Some(m),
    }
}

fn forward(p: &Program, port: &[u8], mac: &[u8]) -> Option<v1::TableAction> {
    Some(v1::TableAction {
        r#type: Some(v1::table_action::Type::Action(v1::Action {
            action_id: id_of(&p.info, "action", "MyIngress.forward"),
            params: vec![
                v1::action::Param {
                    param_id: 1,
                    value: port.to_vec(),
                },
                v1::action::Param {
                    param_id: 2,
                    value: mac.to_vec(),
                },
            ],
        })),
    })
}

/// An entry using all five match kinds, in canonical form.
fn full_entry(p: &Program) -> v1::TableEntry {
    v1::TableEntry {
        table_id: id_of(&p.info, "table", CLASSIFY),
        r#match: vec![
            field(
                1,
                Fm::Exact(v1::field_match::Exact {
                    value: vec![0x08, 0x00],
                }),
            ),
            field(
                2,
                Fm::Lpm(v1::field_match::Lpm {
                    value: vec![10, 1, 0, 0],
                    prefix_len: 16,
                }),
            ),
            field(
                3,
                Fm::Ternary(v1::field_match::Ternary {
                    value: vec![192, 168, 0, 0],
                    mask: vec![255, 255, 0, 0],
                }),
            ),
            field(
                4,
                Fm::Range(v1::field_match::Range {
                    low: vec![2],
                    high: vec![64],
                }),
            ),
            field(
                5,
                Fm::Optional(v1::field_match::Optional { value: vec![1, 3] }),
            ),
        ],
        action: forward(p, &[4], &[0x02, 0, 0, 0, 0, 0x01]),
        priority: 20,
        metadata: b"cookie-1".to_vec(),
        ..Default::default()
    }
}

/// Only the exact key given; the others are wildcards and must not come back on read.
fn sparse_entry(p: &Program) -> v1::TableEntry {
    v1::TableEntry {
        table_id: id_of(&p.info, "table", CLASSIFY),
        r#match: vec![field(
            1,
            Fm::Exact(v1::field_match::Exact {
                value: vec![0x86, 0xdd],
            }),
        )],
        action: forward(p, &[0], &[0]),
        priority: 1,
        ..Default::default()
    }
}

fn entries_of(read: Vec<v1::Entity>) -> Vec<v1::TableEntry> {
    read.into_iter()
        .map(|e| match e.entity {
            Some(v1::entity::Entity::TableEntry(t)) => t,
            other => panic!("expected a table entry, found {other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn capabilities_and_pipeline_config() {
    let (_service, address) = start(None).await;
    let mut c = Client::connect(&address, 3).await;
    assert_eq!(c.arbitration().await, (Code::Ok as i32, 3));
    let caps = c
        .rpc
        .capabilities(v1::CapabilitiesRequest { device_id: DEVICE })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(caps.p4runtime_api_version, "1.5.0");

    let p = match_kinds();
    let get = |ty: v1::get_forwarding_pipeline_config_request::ResponseType| {
        v1::GetForwardingPipelineConfigRequest {
            device_id: DEVICE,
            response_type: ty as i32,
        }
    };
    use v1::get_forwarding_pipeline_config_request::ResponseType as T;
    let err = c
        .rpc
        .get_forwarding_pipeline_config(get(T::All))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);

    let mut broken = config(&p.json, &p.info, 1);
    broken.p4_device_config = b"{\"format_version\": 1".to_vec();
    let err = c.set_pipeline(Set::Verify, Some(broken)).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert!(
        err.message().starts_with("pipeline JSON: "),
        "{}",
        err.message()
    );

    let mut mismatched = p.info.clone();
    mismatched.tables[0].match_fields[0].bitwidth = 47;
    let err = c
        .set_pipeline(Set::Verify, Some(config(&p.json, &mismatched, 1)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert_eq!(
        err.message(),
        "table `MyIngress.by_mac` key `hdr.ethernet.dst_addr`: P4Info says Exact bit<47>, the pipeline Exact bit<48>"
    );

    // Saved but not committed: nothing to get, nothing to write to.
    c.set_pipeline(Set::VerifyAndSave, Some(config(&p.json, &p.info, 99)))
        .await
        .unwrap();
    let err = c
        .rpc
        .get_forwarding_pipeline_config(get(T::All))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    let err = c
        .write(
            Atomicity::ContinueOnError,
            vec![update(Insert, full_entry(&p))],
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);

    c.set_pipeline(Set::Commit, None).await.unwrap();
    let err = c.set_pipeline(Set::Commit, None).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);

    let all = c
        .rpc
        .get_forwarding_pipeline_config(get(T::All))
        .await
        .unwrap()
        .into_inner()
        .config
        .unwrap();
    assert_eq!(all, config(&p.json, &p.info, 99));
    let cookie = c
        .rpc
        .get_forwarding_pipeline_config(get(T::CookieOnly))
        .await
        .unwrap()
        .into_inner()
        .config
        .unwrap();
    assert_eq!(cookie.p4info, None);
    assert!(cookie.p4_device_config.is_empty());
    assert_eq!(cookie.cookie.unwrap().cookie, 99);
}

#[tokio::test]
async fn p4_source_as_device_config() {
    let (_service, address) = start(None).await;
    let mut c = Client::connect(&address, 1).await;
    c.arbitration().await;
    let p = match_kinds();
    let source = std::fs::read(manifest("tests/p4/match_kinds.p4")).unwrap();
    let cfg = v1::ForwardingPipelineConfig {
        p4info: Some(p.info.clone()),
        p4_device_config: source,
        cookie: None,
    };
    c.set_pipeline(Set::VerifyAndCommit, Some(cfg))
        .await
        .unwrap();
    c.write(
        Atomicity::ContinueOnError,
        vec![update(Insert, full_entry(&p))],
    )
    .await
    .unwrap();

    let bad = v1::ForwardingPipelineConfig {
        p4info: Some(p.info.clone()),
        p4_device_config: b"control C() { apply { x = ; } }".to_vec(),
        cookie: None,
    };
    let err = c.set_pipeline(Set::Verify, Some(bad)).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert!(
        err.message().contains("device_config.p4:1:"),
        "the diagnostic names the place: {}",
        err.message()
    );
}

#[tokio::test]
async fn entries_of_every_match_kind_read_back_byte_identical() {
    let (_service, mut c, p) = ready().await;
    let full = full_entry(&p);
    let sparse = sparse_entry(&p);
    c.write(
        Atomicity::ContinueOnError,
        vec![update(Insert, full.clone()), update(Insert, sparse.clone())],
    )
    .await
    .unwrap();

    let table_id = full.table_id;
    let read = entries_of(
        c.read(table_entity(v1::TableEntry {
            table_id,
            ..Default::default()
        }))
        .await
        .unwrap(),
    );
    assert_eq!(read, vec![full.clone(), sparse.clone()]);

    // Wildcard read over all tables, and a read of one entry by its key.
    let everything = entries_of(
        c.read(table_entity(v1::TableEntry::default()))
            .await
            .unwrap(),
    );
    assert_eq!(everything, vec![full.clone(), sparse.clone()]);
    let one = entries_of(
        c.read(table_entity(v1::TableEntry {
            action: None,
            metadata: Vec::new(),
            ..sparse.clone()
        }))
        .await
        .unwrap(),
    );
    assert_eq!(one, vec![sparse.clone()]);

    // A longer-than-canonical value is accepted and reads back canonical.
    let mut padded = full.clone();
    padded.priority = 21;
    padded.r#match[0] = field(
        1,
        Fm::Exact(v1::field_match::Exact {
            value: vec![0, 0, 0x08, 0x00],
        }),
    );
    c.write(
        Atomicity::ContinueOnError,
        vec![update(Insert, padded.clone())],
    )
    .await
    .unwrap();
    let mut expected = padded;
    expected.r#match[0] = full.r#match[0].clone();
    let read = entries_of(
        c.read(table_entity(v1::TableEntry {
            table_id,
            ..Default::default()
        }))
        .await
        .unwrap(),
    );
    assert_eq!(read[2], expected);

    // MODIFY changes the action; DELETE needs only the key.
    let mut modified = full.clone();
    modified.action = forward(&p, &[7], &[0xaa]);
    c.write(
        Atomicity::ContinueOnError,
        vec![update(Modify, modified.clone())],
    )
    .await
    .unwrap();
    let deleted = v1::TableEntry {
        action: None,
        ..sparse.clone()
    };
    c.write(Atomicity::ContinueOnError, vec![update(Delete, deleted)])
        .await
        .unwrap();
    let read = entries_of(
        c.read(table_entity(v1::TableEntry {
            table_id,
            ..Default::default()
        }))
        .await
        .unwrap(),
    );
    assert_eq!(read, vec![modified, expected]);
}

#[tokio::test]
async fn per_update_errors() {
    let (_service, mut c, p) = ready().await;
    let full = full_entry(&p);
    let mut too_wide = sparse_entry(&p);
    too_wide.r#match[0] = field(
        1,
        Fm::Exact(v1::field_match::Exact {
            value: vec![1, 0, 0],
        }),
    );
    let mut no_priority = sparse_entry(&p);
    no_priority.priority = 0;
    let mut wildcard_given = sparse_entry(&p);
    wildcard_given.r#match.push(field(
        3,
        Fm::Ternary(v1::field_match::Ternary {
            value: vec![0],
            mask: vec![0],
        }),
    ));
    let unknown_table = v1::TableEntry {
        table_id: 12345,
        ..sparse_entry(&p)
    };
    let err = c
        .write(
            Atomicity::ContinueOnError,
            vec![
                update(Insert, full.clone()),
                update(Insert, full.clone()),
                update(Delete, sparse_entry(&p)),
                update(Insert, too_wide),
                update(Insert, no_priority),
                update(Insert, wildcard_given),
                update(Insert, unknown_table),
                update(Modify, sparse_entry(&p)),
            ],
        )
        .await
        .unwrap_err();
    let ok = Code::Ok as i32;
    assert_eq!(
        update_errors(&err),
        vec![
            (ok, String::new()),
            (
                Code::AlreadyExists as i32,
                "table `MyIngress.classify` already has an entry with this key".into()
            ),
            (
                Code::NotFound as i32,
                "table `MyIngress.classify` has no entry with this key".into()
            ),
            (
                Code::InvalidArgument as i32,
                "table `MyIngress.classify` key `hdr.ethernet.ether_type`: value needs 17 bits, more than the field's 16".into()
            ),
            (
                Code::InvalidArgument as i32,
                "table `MyIngress.classify` has ternary, range or optional keys: expected a priority > 0, found 0".into()
            ),
            (
                Code::InvalidArgument as i32,
                "table `MyIngress.classify` key `hdr.ipv4.src_addr`: an all-zero mask is a wildcard and must be left out".into()
            ),
            (Code::NotFound as i32, "no table with id 12345".into()),
            (
                Code::NotFound as i32,
                "table `MyIngress.classify` has no entry with this key".into()
            ),
        ]
    );
    // The one good update stayed.
    let read = entries_of(
        c.read(table_entity(v1::TableEntry::default()))
            .await
            .unwrap(),
    );
    assert_eq!(read, vec![full]);
}

#[tokio::test]
async fn atomic_batches_roll_back() {
    let (_service, mut c, p) = ready().await;
    let full = full_entry(&p);
    c.write(
        Atomicity::ContinueOnError,
        vec![update(Insert, full.clone())],
    )
    .await
    .unwrap();
    let mut changed = full.clone();
    changed.action = forward(&p, &[9], &[9]);
    for atomicity in [Atomicity::RollbackOnError, Atomicity::DataplaneAtomic] {
        let err = c
            .write(
                atomicity,
                vec![
                    update(Insert, sparse_entry(&p)),
                    update(Modify, changed.clone()),
                    update(Insert, full.clone()),
                    update(Delete, full.clone()),
                ],
            )
            .await
            .unwrap_err();
        let codes: Vec<i32> = update_errors(&err).into_iter().map(|e| e.0).collect();
        assert_eq!(
            codes,
            [
                Code::Aborted as i32,
                Code::Aborted as i32,
                Code::AlreadyExists as i32,
                Code::Aborted as i32
            ]
        );
        let read = entries_of(
            c.read(table_entity(v1::TableEntry::default()))
                .await
                .unwrap(),
        );
        assert_eq!(read, vec![full.clone()], "{atomicity:?} left no trace");
    }
}

#[tokio::test]
async fn default_entries_and_counters() {
    let (service, mut c, p) = ready().await;
    let by_mac = id_of(&p.info, "table", "MyIngress.by_mac");
    let default_filter = table_entity(v1::TableEntry {
        table_id: by_mac,
        is_default_action: true,
        ..Default::default()
    });
    let drop_id = id_of(&p.info, "action", "MyIngress.drop");
    let initial = entries_of(c.read(default_filter.clone()).await.unwrap());
    assert_eq!(initial.len(), 1);
    assert_eq!(
        initial[0].action,
        Some(v1::TableAction {
            r#type: Some(v1::table_action::Type::Action(v1::Action {
                action_id: drop_id,
                params: vec![]
            }))
        })
    );
    let new_default = v1::TableEntry {
        table_id: by_mac,
        is_default_action: true,
        action: forward(&p, &[5], &[0x0b]),
        ..Default::default()
    };
    let err = c
        .write(
            Atomicity::ContinueOnError,
            vec![update(Insert, new_default.clone())],
        )
        .await
        .unwrap_err();
    assert_eq!(
        update_errors(&err),
        [(
            Code::InvalidArgument as i32,
            "a default entry can only be modified".to_string()
        )]
    );
    c.write(
        Atomicity::ContinueOnError,
        vec![update(Modify, new_default.clone())],
    )
    .await
    .unwrap();
    assert_eq!(
        entries_of(c.read(default_filter.clone()).await.unwrap()),
        vec![new_default]
    );

    // A non-IPv4 frame misses by_mac and takes the new default: out on port 5, MAC rewritten.
    let (tx, rx) = std::sync::mpsc::channel();
    service.set_port_sink(tx);
    let mut frame = vec![0xff; 6];
    frame.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5, 0xde, 0xad]);
    assert!(service.inject(3, &frame));
    let out = rx.try_recv().unwrap();
    assert_eq!(out.port, 5);
    assert_eq!(&out.data[..6], &[0, 0, 0, 0, 0, 0x0b]);
    assert_eq!(&out.data[6..], &frame[6..]);

    // Resetting the default (no action) brings back the program's.
    c.write(
        Atomicity::ContinueOnError,
        vec![update(
            Modify,
            v1::TableEntry {
                table_id: by_mac,
                is_default_action: true,
                ..Default::default()
            },
        )],
    )
    .await
    .unwrap();
    assert_eq!(entries_of(c.read(default_filter).await.unwrap()), initial);

    // The counter cell of port 3 saw the one frame.
    let counter_id = id_of(&p.info, "counter", "MyIngress.port_packets");
    let cells = c
        .read(v1::Entity {
            entity: Some(v1::entity::Entity::CounterEntry(v1::CounterEntry {
                counter_id,
                index: Some(v1::Index { index: 3 }),
                data: None,
            })),
        })
        .await
        .unwrap();
    assert_eq!(
        cells,
        vec![v1::Entity {
            entity: Some(v1::entity::Entity::CounterEntry(v1::CounterEntry {
                counter_id,
                index: Some(v1::Index { index: 3 }),
                data: Some(v1::CounterData {
                    byte_count: frame.len() as i64,
                    packet_count: 1
                }),
            }))
        }]
    );
    let all = c
        .read(v1::Entity {
            entity: Some(v1::entity::Entity::CounterEntry(v1::CounterEntry {
                counter_id: 0,
                index: None,
                data: None,
            })),
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 64);
}

#[tokio::test]
async fn arbitration_and_backup_writers() {
    let (_service, address) = start(None).await;
    let p = match_kinds();
    let mut primary = Client::connect(&address, 10).await;
    assert_eq!(primary.arbitration().await, (Code::Ok as i32, 10));
    let mut backup = Client::connect(&address, 5).await;
    assert_eq!(backup.arbitration().await, (Code::AlreadyExists as i32, 10));

    let err = backup
        .set_pipeline(Set::VerifyAndCommit, Some(config(&p.json, &p.info, 1)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
    primary
        .set_pipeline(Set::VerifyAndCommit, Some(config(&p.json, &p.info, 1)))
        .await
        .unwrap();
    let err = backup
        .write(
            Atomicity::ContinueOnError,
            vec![update(Insert, full_entry(&p))],
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
    assert_eq!(err.message(), "election id 5 is not the primary's");

    // A second client claiming the primary's id is refused and its stream ends.
    let mut clash = Client::connect(&address, 10).await;
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), clash.replies.message())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);

    // The primary leaves: no primary; the backup claims a higher id and takes over.
    drop(primary);
    assert_eq!(backup.arbitration().await, (Code::NotFound as i32, 10));
    backup.arbitrate(11);
    assert_eq!(backup.arbitration().await, (Code::Ok as i32, 11));
    backup
        .write(
            Atomicity::ContinueOnError,
            vec![update(Insert, full_entry(&p))],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn reconcile_keeps_entries() {
    let (_service, mut c, p) = ready().await;
    let full = full_entry(&p);
    c.write(
        Atomicity::ContinueOnError,
        vec![update(Insert, full.clone())],
    )
    .await
    .unwrap();
    c.set_pipeline(Set::ReconcileAndCommit, Some(config(&p.json, &p.info, 8)))
        .await
        .unwrap();
    let read = entries_of(
        c.read(table_entity(v1::TableEntry::default()))
            .await
            .unwrap(),
    );
    assert_eq!(read, vec![full]);
    c.set_pipeline(Set::VerifyAndCommit, Some(config(&p.json, &p.info, 9)))
        .await
        .unwrap();
    let read = c
        .read(table_entity(v1::TableEntry::default()))
        .await
        .unwrap();
    assert!(read.is_empty(), "VERIFY_AND_COMMIT clears forwarding state");
}

#[tokio::test]
async fn packet_out_and_packet_in() {
    let (service, address) = start(Some(255)).await;
    let mut c = Client::connect(&address, 1).await;
    c.arbitration().await;
    let (json, info) = compile(&manifest(
        "../../compiler/tests/p4/good/40_packet_io_controller_header.p4",
    ));
    let p = Program { json, info };
    c.set_pipeline(Set::VerifyAndCommit, Some(config(&p.json, &p.info, 1)))
        .await
        .unwrap();
    let punt = v1::TableEntry {
        table_id: id_of(&p.info, "table", "MyIngress.punt"),
        r#match: vec![field(
            1,
            Fm::Exact(v1::field_match::Exact {
                value: vec![0x88, 0xcc],
            }),
        )],
        action: Some(v1::TableAction {
            r#type: Some(v1::table_action::Type::Action(v1::Action {
                action_id: id_of(&p.info, "action", "MyIngress.send_to_cpu"),
                params: vec![v1::action::Param {
                    param_id: 1,
                    value: vec![7],
                }],
            })),
        }),
        ..Default::default()
    };
    c.write(Atomicity::ContinueOnError, vec![update(Insert, punt)])
        .await
        .unwrap();

    let mut frame = vec![
        0x01, 0x80, 0xc2, 0, 0, 0x0e, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xcc,
    ];
    frame.extend_from_slice(b"lldp");
    assert!(service.inject(3, &frame));
    match c.next().await {
        v1::stream_message_response::Update::Packet(pin) => {
            assert_eq!(pin.payload, frame);
            let meta: Vec<(u32, Vec<u8>)> = pin
                .metadata
                .into_iter()
                .map(|m| (m.metadata_id, m.value))
                .collect();
            assert_eq!(meta, [(1, vec![3]), (2, vec![0]), (3, vec![7])]);
        }
        other => panic!("expected a packet-in, found {other:?}"),
    }

    // Packet-out to port 2: the packet_out header is consumed by the program.
    let (tx, rx) = std::sync::mpsc::channel();
    service.set_port_sink(tx);
    let out = |port: Vec<u8>| v1::StreamMessageRequest {
        update: Some(v1::stream_message_request::Update::Packet(v1::PacketOut {
            payload: frame.clone(),
            metadata: vec![
                v1::PacketMetadata {
                    metadata_id: 1,
                    value: port,
                },
                v1::PacketMetadata {
                    metadata_id: 2,
                    value: vec![0],
                },
            ],
        })),
    };
    c.stream.send(out(vec![2])).unwrap();
    let sent = tokio::task::spawn_blocking(move || {
        rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap()
    })
    .await
    .unwrap();
    assert_eq!((sent.port, sent.data), (2, frame.clone()));

    // A bad packet-out comes back as a stream error naming the field.
    c.stream.send(out(vec![2, 0])).unwrap();
    match c.next().await {
        v1::stream_message_response::Update::Error(e) => {
            assert_eq!(e.canonical_code, Code::InvalidArgument as i32);
            assert_eq!(
                e.message,
                "packet-out metadata `egress_port`: value needs 10 bits, more than the field's 9"
            );
            assert!(matches!(
                e.details,
                Some(v1::stream_error::Details::PacketOut(_))
            ));
        }
        other => panic!("expected a stream error, found {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_clients_malformed_updates_and_a_vanishing_primary() {
    let (service, address) = start(None).await;
    let p = match_kinds();
    let mut clients = Vec::new();
    let connects: Vec<_> = (1..=50u128)
        .map(|id| {
            let address = address.clone();
            tokio::spawn(async move { Client::connect(&address, id).await })
        })
        .collect();
    for c in connects {
        clients.push(c.await.unwrap());
    }
    // Whatever the order of arrival, the last word every client hears names 50 as primary.
    let mut top = clients.pop().unwrap();
    loop {
        if top.arbitration().await == (Code::Ok as i32, 50) {
            break;
        }
    }
    top.set_pipeline(Set::VerifyAndCommit, Some(config(&p.json, &p.info, 1)))
        .await
        .unwrap();
    let err = clients[0]
        .write(
            Atomicity::ContinueOnError,
            vec![update(Insert, full_entry(&p))],
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);

    let no_entity = v1::Update {
        r#type: Insert as i32,
        entity: None,
    };
    let no_type = v1::Update {
        r#type: 0,
        ..update(Insert, full_entry(&p))
    };
    let register = v1::Update {
        r#type: Insert as i32,
        entity: Some(v1::Entity {
            entity: Some(v1::entity::Entity::RegisterEntry(
                v1::RegisterEntry::default(),
            )),
        }),
    };
    let err = top
        .write(
            Atomicity::ContinueOnError,
            vec![no_entity, no_type, register],
        )
        .await
        .unwrap_err();
    assert_eq!(
        update_errors(&err),
        vec![
            (
                Code::InvalidArgument as i32,
                "the update has no entity".to_string()
            ),
            (
                Code::InvalidArgument as i32,
                "update type 0 is invalid".to_string()
            ),
            (
                Code::InvalidArgument as i32,
                "register entries exist for every index and can only be modified".to_string()
            ),
        ]
    );
    top.write(
        Atomicity::ContinueOnError,
        vec![update(Insert, full_entry(&p))],
    )
    .await
    .unwrap();

    // The primary vanishes; the device keeps its state and keeps forwarding.
    drop(top);
    let mut next = clients.pop().unwrap();
    loop {
        if next.arbitration().await == (Code::NotFound as i32, 50) {
            break;
        }
    }
    let read = entries_of(
        next.read(table_entity(v1::TableEntry::default()))
            .await
            .unwrap(),
    );
    assert_eq!(read, vec![full_entry(&p)]);
    let mut frame = vec![0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00];
    frame.extend_from_slice(&[0x45, 0, 0, 20, 0, 0, 0, 0, 10, 6, 0, 0]);
    frame.extend_from_slice(&[192, 168, 7, 7, 10, 1, 2, 3]);
    let (tx, rx) = std::sync::mpsc::channel();
    service.set_port_sink(tx);
    assert!(service.inject(0x103, &frame));
    let out = rx.try_recv().unwrap();
    assert_eq!(
        out.port, 4,
        "the full entry (ttl 10 in 2..=64, port 0x103) forwards to 4"
    );
}

//! Every extern entity through the server, written and read back with the generated tonic
//! client over loopback, and seen by packets: action profile members and groups, meters and
//! direct meters, registers, counters and direct counters, multicast groups and clone
//! sessions, digests with acks. Program: `tests/p4/externs.p4`.

mod common;

use std::sync::mpsc;
use std::time::Duration;

use common::*;
use ddsr_proto::google::rpc::Code;
use ddsr_proto::p4::config::v1::P4Info;
use ddsr_proto::p4::v1;
use ddsr_softswitch::OutPacket;
use ddsr_softswitch_server::Service;
use tokio_stream::StreamExt;
use v1::entity::Entity as E;
use v1::field_match::FieldMatchType as Fm;
use v1::set_forwarding_pipeline_config_request::Action as Set;
use v1::update::Type::{Delete, Insert, Modify};
use v1::write_request::Atomicity;

struct Rig {
    service: Service,
    c: Client,
    info: P4Info,
    sent: mpsc::Receiver<OutPacket>,
}

async fn ready() -> Rig {
    let (service, address) = start(None).await;
    let mut c = Client::connect(&address, 1).await;
    assert_eq!(c.arbitration().await, (Code::Ok as i32, 1));
    let (json, info) = compile(&manifest("tests/p4/externs.p4"));
    c.set_pipeline(Set::VerifyAndCommit, Some(config(&json, &info, 1)))
        .await
        .unwrap();
    let (tx, sent) = mpsc::channel();
    service.set_port_sink(tx);
    Rig {
        service,
        c,
        info,
        sent,
    }
}

impl Rig {
    fn id(&self, kind: &str, name: &str) -> u32 {
        id_of(&self.info, kind, name)
    }

    async fn write(&mut self, updates: Vec<v1::Update>) -> Result<(), tonic::Status> {
        self.c.write(Atomicity::ContinueOnError, updates).await
    }

    async fn read(&mut self, filter: E) -> Vec<E> {
        self.c
            .read(v1::Entity {
                entity: Some(filter),
            })
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.entity.unwrap())
            .collect()
    }

    /// Injects a frame on `port`; returns the (port, frame) pairs that left.
    fn send(&self, port: u16, frame: &[u8]) -> Vec<(u16, Vec<u8>)> {
        assert!(self.service.inject(port, frame));
        self.sent.try_iter().map(|p| (p.port, p.data)).collect()
    }

    fn action(&self, name: &str, params: &[&[u8]]) -> v1::Action {
        v1::Action {
            action_id: self.id("action", name),
            params: params
                .iter()
                .enumerate()
                .map(|(i, v)| v1::action::Param {
                    param_id: i as u32 + 1,
                    value: v.to_vec(),
                })
                .collect(),
        }
    }

    fn member(&self, profile: &str, id: u32, port: u8) -> E {
        E::ActionProfileMember(v1::ActionProfileMember {
            action_profile_id: self.id("action_profile", profile),
            member_id: id,
            action: Some(self.action("MyIngress.forward", &[&[port]])),
        })
    }
}

fn up(ty: v1::update::Type, e: E) -> v1::Update {
    v1::Update {
        r#type: ty as i32,
        entity: Some(v1::Entity { entity: Some(e) }),
    }
}

fn exact(id: u32, value: &[u8]) -> v1::FieldMatch {
    v1::FieldMatch {
        field_id: id,
        field_match_type: Some(Fm::Exact(v1::field_match::Exact {
            value: value.to_vec(),
        })),
    }
}

fn index(i: i64) -> Option<v1::Index> {
    Some(v1::Index { index: i })
}

const SELECTOR: &str = "MyIngress.ecmp_selector";
const PROFILE: &str = "MyIngress.nexthop_profile";

/// An Ethernet frame; IPv4 (20-byte header, no payload) when `ipv4` is given as (src, dst).
fn frame(src_mac: u8, ether_type: u16, ipv4: Option<([u8; 4], [u8; 4])>) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, src_mac];
    f.extend_from_slice(&ether_type.to_be_bytes());
    if let Some((src, dst)) = ipv4 {
        f.extend_from_slice(&[0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0]);
        f.extend_from_slice(&src);
        f.extend_from_slice(&dst);
    } else {
        f.extend_from_slice(b"payload");
    }
    f
}

fn group(r: &Rig, id: u32, members: &[(u32, i32)], max_size: i32) -> E {
    E::ActionProfileGroup(v1::ActionProfileGroup {
        action_profile_id: r.id("action_profile", SELECTOR),
        group_id: id,
        members: members
            .iter()
            .map(|(m, w)| v1::action_profile_group::Member {
                member_id: *m,
                weight: *w,
                watch_kind: None,
            })
            .collect(),
        max_size,
    })
}

fn codes(status: &tonic::Status) -> Vec<(i32, String)> {
    update_errors(status)
}

#[tokio::test]
async fn profile_members_and_groups_read_back_and_forward() {
    let mut r = ready().await;
    let selector = r.id("action_profile", SELECTOR);
    let profile = r.id("action_profile", PROFILE);
    r.write(vec![
        up(Insert, r.member(SELECTOR, 1, 2)),
        up(Insert, r.member(SELECTOR, 2, 3)),
        up(Insert, r.member(PROFILE, 1, 4)),
        up(Insert, group(&r, 10, &[(2, 1), (1, 2)], 8)),
        up(Insert, group(&r, 11, &[(1, 1)], 0)),
    ])
    .await
    .unwrap();

    // Wildcard reads: every profile's members, then one profile's, then one member.
    let all = r
        .read(E::ActionProfileMember(v1::ActionProfileMember::default()))
        .await;
    let mut expected = vec![
        r.member(SELECTOR, 1, 2),
        r.member(SELECTOR, 2, 3),
        r.member(PROFILE, 1, 4),
    ];
    expected.sort_by_key(|e| match e {
        E::ActionProfileMember(m) => (m.action_profile_id, m.member_id),
        _ => unreachable!(),
    });
    assert_eq!(all, expected);
    let one = r
        .read(E::ActionProfileMember(v1::ActionProfileMember {
            action_profile_id: selector,
            member_id: 2,
            action: None,
        }))
        .await;
    assert_eq!(one, vec![r.member(SELECTOR, 2, 3)]);
    let groups = r
        .read(E::ActionProfileGroup(v1::ActionProfileGroup::default()))
        .await;
    assert_eq!(
        groups,
        vec![
            group(&r, 10, &[(2, 1), (1, 2)], 8),
            group(&r, 11, &[(1, 1)], 0)
        ]
    );

    // Entries pointing at a group and at a member.
    let ecmp = v1::TableEntry {
        table_id: r.id("table", "MyIngress.ecmp"),
        r#match: vec![exact(1, &[10, 0, 0, 1])],
        action: Some(v1::TableAction {
            r#type: Some(v1::table_action::Type::ActionProfileGroupId(10)),
        }),
        ..Default::default()
    };
    let nexthop = v1::TableEntry {
        table_id: r.id("table", "MyIngress.nexthop"),
        r#match: vec![exact(1, &[0x86, 0xdd])],
        action: Some(v1::TableAction {
            r#type: Some(v1::table_action::Type::ActionProfileMemberId(1)),
        }),
        ..Default::default()
    };
    r.write(vec![
        update(Insert, ecmp.clone()),
        update(Insert, nexthop.clone()),
    ])
    .await
    .unwrap();
    let read = r
        .read(E::TableEntry(v1::TableEntry {
            table_id: ecmp.table_id,
            ..Default::default()
        }))
        .await;
    assert_eq!(read, vec![E::TableEntry(ecmp.clone())]);

    let ip = frame(1, 0x0800, Some(([192, 168, 0, 9], [10, 0, 0, 1])));
    let out = r.send(1, &ip);
    assert_eq!(out.len(), 1, "{out:?}");
    assert!([2, 3].contains(&out[0].0), "a member of group 10: {out:?}");
    assert_eq!(r.send(1, &frame(1, 0x86dd, None))[0].0, 4);

    // MODIFY of both members moves every flow of the group.
    r.write(vec![
        up(Modify, r.member(SELECTOR, 1, 5)),
        up(Modify, r.member(SELECTOR, 2, 5)),
    ])
    .await
    .unwrap();
    assert_eq!(r.send(1, &ip)[0].0, 5);

    // Refusals, each with its code.
    let err = r
        .write(vec![
            up(Insert, r.member(SELECTOR, 1, 2)),
            up(Insert, group(&r, 12, &[(9, 1)], 0)),
            up(Delete, r.member(SELECTOR, 2, 3)),
            up(Delete, group(&r, 10, &[], 0)),
            up(Insert, group(&r, 12, &[(1, 0)], 0)),
            up(Insert, group(&r, 12, &[(1, 5), (2, 4)], 8)),
            up(
                Insert,
                E::ActionProfileGroup(v1::ActionProfileGroup {
                    action_profile_id: profile,
                    group_id: 1,
                    ..Default::default()
                }),
            ),
            update(
                Insert,
                v1::TableEntry {
                    r#match: vec![exact(1, &[10, 0, 0, 2])],
                    action: Some(v1::TableAction {
                        r#type: Some(v1::table_action::Type::ActionProfileGroupId(99)),
                    }),
                    ..ecmp.clone()
                },
            ),
        ])
        .await
        .unwrap_err();
    let c = |code: Code, m: &str| (code as i32, m.to_string());
    assert_eq!(
        codes(&err),
        vec![
            c(
                Code::AlreadyExists,
                "`MyIngress.ecmp_selector` already has member 1"
            ),
            c(
                Code::NotFound,
                "group 12: `MyIngress.ecmp_selector` has no member 9"
            ),
            c(
                Code::FailedPrecondition,
                "member 2 of `MyIngress.ecmp_selector` is still used by a group or a table entry"
            ),
            c(
                Code::FailedPrecondition,
                "group 10 of `MyIngress.ecmp_selector` is still used by a table entry"
            ),
            c(
                Code::InvalidArgument,
                "group 12 member 1: weight 0 is not positive"
            ),
            c(
                Code::ResourceExhausted,
                "group 12: total weight 9 is above its max size 8"
            ),
            c(
                Code::InvalidArgument,
                "`MyIngress.nexthop_profile` is an action profile without a selector and has no groups"
            ),
            c(Code::NotFound, "`MyIngress.ecmp_selector` has no group 99"),
        ]
    );

    // A rolled-back batch leaves members and groups as they were.
    let before = (
        r.read(E::ActionProfileMember(v1::ActionProfileMember::default()))
            .await,
        r.read(E::ActionProfileGroup(v1::ActionProfileGroup::default()))
            .await,
    );
    let err =
        r.c.write(
            Atomicity::RollbackOnError,
            vec![
                up(Insert, r.member(SELECTOR, 3, 6)),
                up(Modify, group(&r, 11, &[(3, 1), (1, 1)], 0)),
                up(Delete, group(&r, 12, &[], 0)),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(codes(&err)[2].0, Code::NotFound as i32);
    let after = (
        r.read(E::ActionProfileMember(v1::ActionProfileMember::default()))
            .await,
        r.read(E::ActionProfileGroup(v1::ActionProfileGroup::default()))
            .await,
    );
    assert_eq!(after, before);

    // Deleting in order: the entry, then its group, then the members.
    r.write(vec![
        update(Delete, ecmp),
        up(Delete, group(&r, 10, &[], 0)),
        up(Delete, group(&r, 11, &[], 0)),
        up(Delete, r.member(SELECTOR, 1, 0)),
        up(Delete, r.member(SELECTOR, 2, 0)),
    ])
    .await
    .unwrap();
    assert_eq!(
        r.read(E::ActionProfileMember(v1::ActionProfileMember {
            action_profile_id: selector,
            ..Default::default()
        }))
        .await,
        vec![]
    );
}

fn meter(cir: i64, cburst: i64, pir: i64, pburst: i64) -> Option<v1::MeterConfig> {
    Some(v1::MeterConfig {
        cir,
        cburst,
        pir,
        pburst,
        eburst: 0,
    })
}

#[tokio::test]
async fn meters_and_direct_meters_configure_read_back_and_colour() {
    let mut r = ready().await;
    let id = r.id("meter", "MyIngress.port_meter");
    let cell = |i: i64, config: Option<v1::MeterConfig>| {
        E::MeterEntry(v1::MeterEntry {
            meter_id: id,
            index: index(i),
            config,
            counter_data: None,
        })
    };
    r.write(vec![up(Modify, cell(3, meter(1, 1, 1, 1)))])
        .await
        .unwrap();
    let one = r.read(cell(3, None)).await;
    assert_eq!(one, vec![cell(3, meter(1, 1, 1, 1))]);
    let all = r
        .read(E::MeterEntry(v1::MeterEntry {
            meter_id: id,
            ..Default::default()
        }))
        .await;
    assert_eq!(all.len(), 16);
    assert_eq!(all[3], cell(3, meter(1, 1, 1, 1)));
    assert_eq!(all[4], cell(4, None), "unconfigured cells have no config");

    // One packet per second on port 3: the second packet of a burst is red and dropped.
    let f = frame(1, 0x86dd, None);
    let tag = r.id("table", "MyIngress.nexthop");
    r.write(vec![
        up(Insert, r.member(PROFILE, 1, 9)),
        update(
            Insert,
            v1::TableEntry {
                table_id: tag,
                r#match: vec![exact(1, &[0x86, 0xdd])],
                action: Some(v1::TableAction {
                    r#type: Some(v1::table_action::Type::ActionProfileMemberId(1)),
                }),
                ..Default::default()
            },
        ),
    ])
    .await
    .unwrap();
    assert_eq!(r.send(3, &f).len(), 1);
    assert_eq!(r.send(3, &f).len(), 0, "red");
    assert_eq!(r.send(4, &f).len(), 1, "port 4's meter is unconfigured");

    // A write without an index configures every cell; without a config it resets.
    r.write(vec![up(
        Modify,
        E::MeterEntry(v1::MeterEntry {
            meter_id: id,
            index: None,
            config: meter(10, 20, 30, 40),
            counter_data: None,
        }),
    )])
    .await
    .unwrap();
    let all = r
        .read(E::MeterEntry(v1::MeterEntry {
            meter_id: id,
            ..Default::default()
        }))
        .await;
    assert!(
        all.iter()
            .enumerate()
            .all(|(i, e)| *e == cell(i as i64, meter(10, 20, 30, 40)))
    );
    r.write(vec![up(Modify, cell(3, None))]).await.unwrap();
    assert_eq!(r.read(cell(3, None)).await, vec![cell(3, None)]);

    // Direct meter of a `policer` entry, also read through the table entry.
    let policer = v1::TableEntry {
        table_id: r.id("table", "MyIngress.policer"),
        r#match: vec![exact(1, &[2, 0, 0, 0, 0, 7])],
        action: Some(v1::TableAction {
            r#type: Some(v1::table_action::Type::Action(
                r.action("MyIngress.meter_flow", &[]),
            )),
        }),
        ..Default::default()
    };
    r.write(vec![update(Insert, policer.clone())])
        .await
        .unwrap();
    let key = v1::TableEntry {
        action: None,
        ..policer.clone()
    };
    let direct = |config| {
        E::DirectMeterEntry(v1::DirectMeterEntry {
            table_entry: Some(key.clone()),
            config,
            counter_data: None,
        })
    };
    r.write(vec![up(Modify, direct(meter(5, 6, 7, 8)))])
        .await
        .unwrap();
    assert_eq!(r.read(direct(None)).await, vec![direct(meter(5, 6, 7, 8))]);
    let all = r
        .read(E::DirectMeterEntry(v1::DirectMeterEntry::default()))
        .await;
    assert_eq!(all, vec![direct(meter(5, 6, 7, 8))]);
    let with_meter = r
        .read(E::TableEntry(v1::TableEntry {
            table_id: policer.table_id,
            meter_config: Some(v1::MeterConfig::default()),
            ..Default::default()
        }))
        .await;
    assert_eq!(
        with_meter,
        vec![E::TableEntry(v1::TableEntry {
            meter_config: meter(5, 6, 7, 8),
            ..policer.clone()
        })]
    );

    let err = r
        .write(vec![
            up(Insert, cell(1, None)),
            up(Modify, cell(16, None)),
            up(Modify, cell(1, meter(-1, 0, 0, 0))),
            up(
                Modify,
                E::DirectMeterEntry(v1::DirectMeterEntry {
                    table_entry: Some(v1::TableEntry {
                        r#match: vec![exact(1, &[2, 0, 0, 0, 0, 8])],
                        ..key.clone()
                    }),
                    config: None,
                    counter_data: None,
                }),
            ),
        ])
        .await
        .unwrap_err();
    let c = |code: Code, m: &str| (code as i32, m.to_string());
    assert_eq!(
        codes(&err),
        vec![
            c(
                Code::InvalidArgument,
                "meter entries exist for every index and can only be modified"
            ),
            c(
                Code::InvalidArgument,
                "index 16 is out of range for `MyIngress.port_meter` of size 16"
            ),
            c(Code::InvalidArgument, "meter config: cir -1 is negative"),
            c(
                Code::NotFound,
                "table `MyIngress.policer` has no entry with this key"
            ),
        ]
    );
}

#[tokio::test]
async fn registers_read_write_and_see_packets() {
    let mut r = ready().await;
    let id = r.id("register", "MyIngress.last_len");
    let cell = |i: i64, v: &[u8]| {
        E::RegisterEntry(v1::RegisterEntry {
            register_id: id,
            index: index(i),
            data: Some(v1::P4Data {
                data: Some(v1::p4_data::Data::Bitstring(v.to_vec())),
            }),
        })
    };
    let filter = |i: Option<v1::Index>| {
        E::RegisterEntry(v1::RegisterEntry {
            register_id: id,
            index: i,
            data: None,
        })
    };
    r.write(vec![up(Modify, cell(2, &[0xde, 0xad, 0xbe, 0xef]))])
        .await
        .unwrap();
    assert_eq!(
        r.read(filter(index(2))).await,
        vec![cell(2, &[0xde, 0xad, 0xbe, 0xef])]
    );
    // A non-canonical write reads back canonical.
    r.write(vec![up(Modify, cell(5, &[0, 0, 1, 2]))])
        .await
        .unwrap();
    assert_eq!(r.read(filter(index(5))).await, vec![cell(5, &[1, 2])]);

    // The program stores each packet's length at its ingress port.
    let f = frame(1, 0x9000, None);
    r.send(7, &f);
    assert_eq!(
        r.read(filter(index(7))).await,
        vec![cell(7, &[f.len() as u8])]
    );

    // Every register, every cell; a write without an index clears them all.
    let all = r.read(E::RegisterEntry(v1::RegisterEntry::default())).await;
    assert_eq!(all.len(), 16);
    r.write(vec![up(Modify, {
        let E::RegisterEntry(mut e) = cell(0, &[0]) else {
            unreachable!()
        };
        e.index = None;
        E::RegisterEntry(e)
    })])
    .await
    .unwrap();
    let all = r.read(filter(None)).await;
    assert!(
        all.iter()
            .enumerate()
            .all(|(i, e)| *e == cell(i as i64, &[0]))
    );

    let err = r
        .write(vec![
            up(Modify, cell(1, &[1, 0, 0, 0, 0])),
            up(Insert, cell(1, &[1])),
            up(Modify, cell(-1, &[1])),
            up(
                Modify,
                E::RegisterEntry(v1::RegisterEntry {
                    register_id: 7,
                    index: index(0),
                    data: None,
                }),
            ),
        ])
        .await
        .unwrap_err();
    let msgs: Vec<(i32, String)> = codes(&err);
    assert_eq!(
        msgs,
        vec![
            (
                Code::InvalidArgument as i32,
                "register `MyIngress.last_len`: value needs 33 bits, more than the field's 32"
                    .to_string()
            ),
            (
                Code::InvalidArgument as i32,
                "register entries exist for every index and can only be modified".to_string()
            ),
            (
                Code::InvalidArgument as i32,
                "index -1 is out of range for `MyIngress.last_len` of size 16".to_string()
            ),
            (Code::NotFound as i32, "no register with id 7".to_string()),
        ]
    );
}

#[tokio::test]
async fn counters_and_direct_counters_count_and_reset() {
    let mut r = ready().await;
    let id = r.id("counter", "MyIngress.port_packets");
    let cell = |i: i64, packets: i64, bytes: i64| {
        E::CounterEntry(v1::CounterEntry {
            counter_id: id,
            index: index(i),
            data: Some(v1::CounterData {
                byte_count: bytes,
                packet_count: packets,
            }),
        })
    };
    let acl = v1::TableEntry {
        table_id: r.id("table", "MyIngress.acl"),
        r#match: vec![v1::FieldMatch {
            field_id: 1,
            field_match_type: Some(Fm::Ternary(v1::field_match::Ternary {
                value: vec![2, 0, 0, 0, 0, 0],
                mask: vec![0xff, 0, 0, 0, 0, 0],
            })),
        }],
        action: Some(v1::TableAction {
            r#type: Some(v1::table_action::Type::Action(
                r.action("MyIngress.count_acl", &[]),
            )),
        }),
        priority: 1,
        ..Default::default()
    };
    r.write(vec![update(Insert, acl.clone())]).await.unwrap();
    let f = frame(1, 0x9000, None);
    let n = f.len() as i64;
    r.send(2, &f);
    r.send(2, &f);
    let filter = |i| {
        E::CounterEntry(v1::CounterEntry {
            counter_id: id,
            index: i,
            data: None,
        })
    };
    assert_eq!(r.read(filter(index(2))).await, vec![cell(2, 2, 2 * n)]);
    let key = v1::TableEntry {
        action: None,
        ..acl.clone()
    };
    let direct = |packets: i64, bytes: i64| {
        E::DirectCounterEntry(v1::DirectCounterEntry {
            table_entry: Some(key.clone()),
            data: Some(v1::CounterData {
                byte_count: bytes,
                packet_count: packets,
            }),
        })
    };
    assert_eq!(
        r.read(E::DirectCounterEntry(v1::DirectCounterEntry::default()))
            .await,
        vec![direct(2, 2 * n)]
    );

    // Writes set the cells: a reset, and an arbitrary value that reads back.
    r.write(vec![
        up(Modify, cell(2, 0, 0)),
        up(Modify, cell(9, 5, 500)),
        up(Modify, direct(0, 0)),
    ])
    .await
    .unwrap();
    assert_eq!(r.read(filter(index(2))).await, vec![cell(2, 0, 0)]);
    assert_eq!(r.read(filter(index(9))).await, vec![cell(9, 5, 500)]);
    assert_eq!(
        r.read(E::DirectCounterEntry(v1::DirectCounterEntry {
            table_entry: Some(key.clone()),
            data: None,
        }))
        .await,
        vec![direct(0, 0)]
    );
    r.send(2, &f);
    assert_eq!(
        r.read(E::DirectCounterEntry(v1::DirectCounterEntry::default()))
            .await,
        vec![direct(1, n)]
    );
    // Without an index or data: every cell back to zero.
    r.write(vec![up(Modify, filter(None))]).await.unwrap();
    let all = r.read(filter(None)).await;
    assert_eq!(all.len(), 16);
    assert!(
        all.iter()
            .enumerate()
            .all(|(i, e)| *e == cell(i as i64, 0, 0))
    );
}

#[tokio::test]
async fn multicast_groups_and_clone_sessions() {
    use v1::packet_replication_engine_entry::Type as Pre;
    let mut r = ready().await;
    let replica = |port: u8, rid: u32| v1::Replica {
        port_kind: Some(v1::replica::PortKind::Port(vec![port])),
        instance: rid,
        backup_replicas: vec![],
    };
    let mcast = |id: u32, replicas: Vec<v1::Replica>| {
        E::PacketReplicationEngineEntry(v1::PacketReplicationEngineEntry {
            r#type: Some(Pre::MulticastGroupEntry(v1::MulticastGroupEntry {
                multicast_group_id: id,
                replicas,
                metadata: b"cookie".to_vec(),
            })),
        })
    };
    let session = |id: u32, replicas: Vec<v1::Replica>, len: i32| {
        E::PacketReplicationEngineEntry(v1::PacketReplicationEngineEntry {
            r#type: Some(Pre::CloneSessionEntry(v1::CloneSessionEntry {
                session_id: id,
                replicas,
                class_of_service: 3,
                packet_length_bytes: len,
            })),
        })
    };
    r.write(vec![
        up(Insert, mcast(5, vec![replica(2, 1), replica(3, 1)])),
        up(Insert, mcast(6, vec![replica(4, 2)])),
        up(Insert, session(7, vec![replica(8, 0)], 14)),
    ])
    .await
    .unwrap();
    let all_groups = E::PacketReplicationEngineEntry(v1::PacketReplicationEngineEntry {
        r#type: Some(Pre::MulticastGroupEntry(Default::default())),
    });
    assert_eq!(
        r.read(all_groups.clone()).await,
        vec![
            mcast(5, vec![replica(2, 1), replica(3, 1)]),
            mcast(6, vec![replica(4, 2)])
        ]
    );
    let all_sessions = E::PacketReplicationEngineEntry(v1::PacketReplicationEngineEntry {
        r#type: Some(Pre::CloneSessionEntry(Default::default())),
    });
    assert_eq!(
        r.read(all_sessions.clone()).await,
        vec![session(7, vec![replica(8, 0)], 14)]
    );

    // A flood through the profile table reaches every replica of group 5.
    let nexthop = v1::TableEntry {
        table_id: r.id("table", "MyIngress.nexthop"),
        r#match: vec![exact(1, &[0x90, 0x00])],
        action: Some(v1::TableAction {
            r#type: Some(v1::table_action::Type::ActionProfileMemberId(1)),
        }),
        ..Default::default()
    };
    r.write(vec![
        up(
            Insert,
            E::ActionProfileMember(v1::ActionProfileMember {
                action_profile_id: r.id("action_profile", PROFILE),
                member_id: 1,
                action: Some(r.action("MyIngress.flood", &[&[5]])),
            }),
        ),
        update(Insert, nexthop),
    ])
    .await
    .unwrap();
    let f = frame(1, 0x9000, None);
    let mut ports: Vec<u16> = r.send(1, &f).into_iter().map(|(p, _)| p).collect();
    ports.sort_unstable();
    assert_eq!(ports, [2, 3]);

    // MODIFY replaces the replicas; the legacy port form reads back as written.
    #[expect(deprecated, reason = "the deprecated form must keep working")]
    let legacy = v1::Replica {
        port_kind: Some(v1::replica::PortKind::EgressPort(9)),
        instance: 1,
        backup_replicas: vec![],
    };
    r.write(vec![up(Modify, mcast(5, vec![legacy.clone()]))])
        .await
        .unwrap();
    assert_eq!(
        r.read(mcast(5, vec![])).await,
        vec![mcast(5, vec![legacy.clone()])]
    );
    assert_eq!(
        r.send(1, &f)
            .into_iter()
            .map(|(p, _)| p)
            .collect::<Vec<_>>(),
        [9]
    );

    // Clone session 7 mirrors the first 14 bytes to port 8 while the original goes to 2.
    let ecmp = v1::TableEntry {
        table_id: r.id("table", "MyIngress.ecmp"),
        r#match: vec![exact(1, &[10, 0, 0, 1])],
        action: Some(v1::TableAction {
            r#type: Some(v1::table_action::Type::ActionProfileMemberId(1)),
        }),
        ..Default::default()
    };
    r.write(vec![
        up(
            Insert,
            E::ActionProfileMember(v1::ActionProfileMember {
                action_profile_id: r.id("action_profile", SELECTOR),
                member_id: 1,
                action: Some(r.action("MyIngress.mirror", &[&[2], &[7]])),
            }),
        ),
        update(Insert, ecmp),
    ])
    .await
    .unwrap();
    let ip = frame(1, 0x0800, Some(([1, 2, 3, 4], [10, 0, 0, 1])));
    let mut out = r.send(1, &ip);
    out.sort();
    assert_eq!(out, vec![(2, ip.clone()), (8, ip[..14].to_vec())]);

    let c = |code: Code, m: &str| (code as i32, m.to_string());
    let err = r
        .write(vec![
            up(Insert, mcast(6, vec![])),
            up(Modify, mcast(70, vec![])),
            up(Insert, mcast(0, vec![])),
            up(Insert, mcast(8, vec![replica(2, 1), replica(2, 1)])),
            up(Delete, session(9, vec![], 0)),
            up(Insert, session(9, vec![replica(1, 0)], -1)),
        ])
        .await
        .unwrap_err();
    assert_eq!(
        codes(&err),
        vec![
            c(Code::AlreadyExists, "multicast group 6 already exists"),
            c(Code::NotFound, "multicast group 70 does not exist"),
            c(
                Code::InvalidArgument,
                "multicast group 0: ids are 1..=65535"
            ),
            c(
                Code::InvalidArgument,
                "multicast group 8: replica (port 2, instance 1) is given twice"
            ),
            c(Code::NotFound, "clone session 9 does not exist"),
            c(
                Code::InvalidArgument,
                "clone session 9: packet_length_bytes -1 is negative"
            ),
        ]
    );

    r.write(vec![
        up(Delete, mcast(6, vec![])),
        up(Delete, session(7, vec![], 0)),
    ])
    .await
    .unwrap();
    assert_eq!(r.read(all_groups).await, vec![mcast(5, vec![legacy])]);
    assert_eq!(r.read(all_sessions).await, vec![]);
    let err =
        r.c.read(v1::Entity {
            entity: Some(session(7, vec![], 0)),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn digests_are_configured_batched_suppressed_and_acked() {
    let mut r = ready().await;
    let id = r.id("digest", "learn_t");
    let entry = |timeout_ns: i64, size: i32, ack_ns: i64| {
        E::DigestEntry(v1::DigestEntry {
            digest_id: id,
            config: Some(v1::digest_entry::Config {
                max_timeout_ns: timeout_ns,
                max_list_size: size,
                ack_timeout_ns: ack_ns,
            }),
        })
    };
    // Not configured yet: the digest extern runs but nothing reaches the controller.
    r.send(1, &frame(0x11, 0x9000, None));

    let hour = 3_600_000_000_000;
    r.write(vec![up(Insert, entry(hour, 2, hour))])
        .await
        .unwrap();
    assert_eq!(
        r.read(E::DigestEntry(v1::DigestEntry::default())).await,
        vec![entry(hour, 2, hour)]
    );
    // Two different sources fill a list of two.
    r.send(1, &frame(0x11, 0x9000, None));
    r.send(1, &frame(0x11, 0x9000, None));
    r.send(3, &frame(0x22, 0x9000, None));
    let learned = |mac: u8, port: u8| v1::P4Data {
        data: Some(v1::p4_data::Data::Struct(v1::P4StructLike {
            members: vec![
                v1::P4Data {
                    data: Some(v1::p4_data::Data::Bitstring(vec![2, 0, 0, 0, 0, mac])),
                },
                v1::P4Data {
                    data: Some(v1::p4_data::Data::Bitstring(vec![port])),
                },
            ],
        })),
    };
    let list = match r.c.next().await {
        v1::stream_message_response::Update::Digest(l) => l,
        other => panic!("expected a digest list, found {other:?}"),
    };
    assert_eq!(list.digest_id, id);
    assert_eq!(list.data, vec![learned(0x11, 1), learned(0x22, 3)]);
    assert!(list.timestamp > 0);

    // Until the ack, the same digests are suppressed; a new one waits for a second.
    r.write(vec![up(Modify, entry(20_000_000, 2, hour))])
        .await
        .unwrap();
    r.send(1, &frame(0x11, 0x9000, None));
    r.send(4, &frame(0x33, 0x9000, None));
    let next = match r.c.next().await {
        v1::stream_message_response::Update::Digest(l) => l,
        other => panic!("expected a digest list, found {other:?}"),
    };
    assert_eq!(
        next.data,
        vec![learned(0x33, 4)],
        "sent by the 20 ms timeout"
    );
    assert!(next.list_id > list.list_id);

    let ack = |list_id: u64| v1::StreamMessageRequest {
        update: Some(v1::stream_message_request::Update::DigestAck(
            v1::DigestListAck {
                digest_id: id,
                list_id,
            },
        )),
    };
    r.c.stream.send(ack(list.list_id)).unwrap();
    r.c.stream.send(ack(list.list_id)).unwrap();
    match r.c.next().await {
        v1::stream_message_response::Update::Error(e) => {
            assert_eq!(e.canonical_code, Code::NotFound as i32);
            assert_eq!(
                e.message,
                format!("digest {id} has no unacknowledged list {}", list.list_id)
            );
            assert!(matches!(
                e.details,
                Some(v1::stream_error::Details::DigestListAck(_))
            ));
        }
        other => panic!("expected a stream error, found {other:?}"),
    }
    // Acked: 0x11 is learned again.
    r.send(1, &frame(0x11, 0x9000, None));
    let again = match r.c.next().await {
        v1::stream_message_response::Update::Digest(l) => l,
        other => panic!("expected a digest list, found {other:?}"),
    };
    assert_eq!(again.data, vec![learned(0x11, 1)]);

    // Deleted: nothing more is sent, and the entry is gone.
    r.write(vec![up(Delete, entry(0, 0, 0))]).await.unwrap();
    r.send(1, &frame(0x44, 0x9000, None));
    assert_eq!(
        r.read(E::DigestEntry(v1::DigestEntry::default())).await,
        vec![]
    );
    let quiet = tokio::time::timeout(Duration::from_millis(200), r.c.replies.next()).await;
    assert!(quiet.is_err(), "no digest after the delete: {quiet:?}");

    let err = r
        .write(vec![
            up(Modify, entry(0, 0, 0)),
            up(Insert, entry(-1, 0, 0)),
            up(
                Insert,
                E::DigestEntry(v1::DigestEntry {
                    digest_id: 5,
                    config: None,
                }),
            ),
        ])
        .await
        .unwrap_err();
    assert_eq!(
        codes(&err),
        vec![
            (
                Code::NotFound as i32,
                format!("digest {id} is not configured")
            ),
            (
                Code::InvalidArgument as i32,
                "digest config: max_timeout_ns -1 is negative".to_string()
            ),
            (Code::NotFound as i32, "no digest with id 5".to_string()),
        ]
    );
}

//! The DSR-style load balancer: VIP match, action-selector choice of a backend by the flow's
//! hash, destination rewrite with the client source kept, TCP and UDP checksums recomputed over
//! the payload (checked by an independent implementation).

mod common;

use common::*;
use ddsr_pipeline::entry::{
    ActionCall, EntryAction, FieldMatch, ProfileGroup, ProfileMember, TableEntry,
};
use ddsr_softswitch::externs::hash::crc16;
use ddsr_softswitch::programs::l4_lb;
use ddsr_softswitch::{Output, Switch};

const BACKENDS: [([u8; 4], u16); 3] = [
    ([10, 9, 0, 1], 8080),
    ([10, 9, 0, 2], 8080),
    ([10, 9, 0, 3], 8081),
];

fn switch() -> Switch {
    let mut sw = Switch::new(l4_lb()).unwrap();
    let p = sw.pipeline();
    let sel = p.extern_by_name("MyIngress.backends").unwrap();
    let act = p.action_by_name("MyIngress.to_backend").unwrap();
    let vip = p.table_by_name("MyIngress.vip").unwrap();
    for (i, (addr, port)) in BACKENDS.iter().enumerate() {
        sw.insert_member(ProfileMember {
            profile: sel,
            member: i as u32,
            action: ActionCall {
                action: act,
                args: vec![
                    addr.to_vec(),
                    port.to_be_bytes().to_vec(),
                    vec![0, 0, 0, 0, 0, 0x30 + i as u8],
                    vec![0, 4],
                ],
            },
        })
        .unwrap();
    }
    sw.write_group(
        ProfileGroup {
            profile: sel,
            group: 7,
            members: vec![0, 1, 2],
        },
        true,
    )
    .unwrap();
    for proto in [6u8, 17] {
        sw.insert(TableEntry {
            table: vip,
            matches: vec![
                FieldMatch::Exact {
                    value: vec![10, 0, 0, 1],
                },
                FieldMatch::Exact { value: vec![proto] },
                FieldMatch::Exact { value: vec![0, 80] },
            ],
            priority: 0,
            action: EntryAction::Group { group: 7 },
        })
        .unwrap();
    }
    sw
}

/// The member BMv2 would pick: crc16 over the packed 5-tuple, modulo the group size.
fn expected_backend(f: &Flow) -> usize {
    let mut data = Vec::new();
    data.extend_from_slice(&f.src);
    data.extend_from_slice(&f.dst);
    data.push(f.proto);
    data.extend_from_slice(&f.sport.to_be_bytes());
    data.extend_from_slice(&f.dport.to_be_bytes());
    usize::from(crc16(&data)) % BACKENDS.len()
}

#[test]
fn requests_go_to_the_hashed_backend_with_client_source_and_valid_checksums() {
    let mut sw = switch();
    let mut out = Output::default();
    let mut seen = [0usize; 3];
    for i in 0..60u16 {
        for proto in [6u8, 17] {
            let f = Flow {
                sport: 20000 + i * 7,
                proto,
                ..Flow::default()
            };
            let input = packet(&f, b"GET / HTTP/1.1\r\n\r\n");
            out.clear();
            sw.process(1, &input, 0, &mut out, None);
            assert_eq!(out.packets().len(), 1, "{:?}", out.drops);
            let o = &out.packets()[0].data;
            let b = expected_backend(&f);
            seen[b] += 1;
            let (addr, port) = BACKENDS[b];
            assert_eq!(&o[30..34], &addr, "destination is the backend");
            assert_eq!(&o[26..30], &f.src, "the client source is kept");
            assert_eq!(u16::from_be_bytes([o[36], o[37]]), port);
            assert_eq!(u16::from_be_bytes([o[34], o[35]]), f.sport);
            assert_eq!(o[5], 0x30 + b as u8);
            assert_eq!(o.len(), input.len());
            assert!(checksums_valid(o), "checksums of {o:02x?}");
            assert_eq!(&o[o.len() - 18..], b"GET / HTTP/1.1\r\n\r\n");
        }
    }
    assert!(
        seen.iter().all(|n| *n > 10),
        "flows spread over all backends: {seen:?}"
    );
}

#[test]
fn other_destinations_are_dropped_and_group_changes_apply() {
    let mut sw = switch();
    let mut out = Output::default();
    sw.process(
        1,
        &packet(
            &Flow {
                dport: 81,
                ..Flow::default()
            },
            b"",
        ),
        0,
        &mut out,
        None,
    );
    assert_eq!(out.packets().len(), 0);
    let sel = sw.pipeline().extern_by_name("MyIngress.backends").unwrap();
    sw.write_group(
        ProfileGroup {
            profile: sel,
            group: 7,
            members: vec![2],
        },
        false,
    )
    .unwrap();
    assert!(
        sw.delete_member(sel, 2).is_err(),
        "a member in a group cannot be deleted"
    );
    out.clear();
    sw.process(1, &packet(&Flow::default(), b""), 0, &mut out, None);
    assert_eq!(&out.packets()[0].data[30..34], &BACKENDS[2].0);
}

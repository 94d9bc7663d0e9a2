//! The router pipeline end to end: forwarding with exact output bytes, checksums checked by an
//! independent implementation, drops with reasons, counters, parser errors, traces.

mod common;

use common::*;
use ddsr_pipeline::entry::{ActionCall, EntryAction, FieldMatch, TableEntry};
use ddsr_softswitch::programs::router;
use ddsr_softswitch::{DropReason, Output, Switch, Trace};

fn route(sw: &Switch, prefix: [u8; 4], len: u16, dmac: [u8; 6], port: u16) -> TableEntry {
    let p = sw.pipeline();
    TableEntry {
        table: p.table_by_name("MyIngress.ipv4_lpm").unwrap(),
        matches: vec![FieldMatch::Lpm {
            value: prefix.to_vec(),
            prefix_len: len,
        }],
        priority: 0,
        action: EntryAction::Action(ActionCall {
            action: p.action_by_name("MyIngress.set_nhop").unwrap(),
            args: vec![dmac.to_vec(), port.to_be_bytes().to_vec()],
        }),
    }
}

fn switch() -> Switch {
    let mut sw = Switch::new(router()).unwrap();
    sw.insert(route(&sw, [10, 0, 0, 0], 8, [0, 0, 0, 0, 0, 0x11], 1))
        .unwrap();
    sw.insert(route(&sw, [10, 1, 0, 0], 16, [0, 0, 0, 0, 0, 0x22], 2))
        .unwrap();
    sw
}

#[test]
fn forwards_with_rewritten_macs_decremented_ttl_and_valid_checksum() {
    let mut sw = switch();
    let mut out = Output::default();
    let input = packet(&Flow::default(), b"hello");
    sw.process(3, &input, 0, &mut out, None);
    assert_eq!(out.packets().len(), 1, "drops: {:?}", out.drops);
    let o = &out.packets()[0];
    assert_eq!(o.port, 1);
    let mut want = input.clone();
    want[0..6].copy_from_slice(&[0, 0, 0, 0, 0, 0x11]);
    want[6..12].copy_from_slice(&MAC_B);
    want[14 + 8] = 63;
    let c = inet_checksum(&{
        let mut h = want[14..34].to_vec();
        h[10] = 0;
        h[11] = 0;
        h
    });
    want[24..26].copy_from_slice(&c.to_be_bytes());
    assert_eq!(o.data, want);
    assert!(checksums_valid(&o.data));

    out.clear();
    let longer = packet(
        &Flow {
            dst: [10, 1, 9, 9],
            ..Flow::default()
        },
        b"x",
    );
    sw.process(3, &longer, 1, &mut out, None);
    assert_eq!(out.packets()[0].port, 2, "the longest prefix wins");
    assert_eq!(sw.counter("MyIngress.port_packets", 3).unwrap().packets, 2);
    assert_eq!(
        sw.counter("MyIngress.port_packets", 3).unwrap().bytes,
        (input.len() + longer.len()) as u64
    );
}

#[test]
fn misses_and_non_ip_are_dropped_with_reasons() {
    let mut sw = switch();
    let mut out = Output::default();
    sw.process(
        1,
        &packet(
            &Flow {
                dst: [11, 0, 0, 1],
                ..Flow::default()
            },
            b"",
        ),
        0,
        &mut out,
        None,
    );
    assert_eq!(out.packets().len(), 0);
    assert_eq!(out.drops, vec![DropReason::Ingress]);
    out.clear();
    let mut arp = packet(&Flow::default(), b"");
    arp[12] = 0x08;
    arp[13] = 0x06;
    sw.process(1, &arp, 0, &mut out, None);
    assert_eq!(out.drops, vec![DropReason::Ingress]);
    out.clear();
    sw.process(1, &[], 0, &mut out, None);
    assert_eq!(out.drops, vec![DropReason::Empty]);
    assert_eq!(sw.stats.drops[DropReason::Ingress.index()], 2);
}

#[test]
fn acl_deny_beats_route_by_priority_and_range() {
    let mut sw = switch();
    let p = sw.pipeline();
    let acl = p.table_by_name("MyIngress.acl").unwrap();
    let deny = p.action_by_name("MyIngress.deny").unwrap();
    let rule = TableEntry {
        table: acl,
        matches: vec![
            FieldMatch::Ternary {
                value: vec![192, 168, 0, 0],
                mask: vec![255, 255, 0, 0],
            },
            FieldMatch::Ternary {
                value: vec![6],
                mask: vec![0xff],
            },
            FieldMatch::Range {
                low: vec![0, 0],
                high: vec![3, 0xff],
            },
        ],
        priority: 10,
        action: EntryAction::Action(ActionCall {
            action: deny,
            args: vec![],
        }),
    };
    sw.insert(rule.clone()).unwrap();
    let mut out = Output::default();
    sw.process(1, &packet(&Flow::default(), b""), 0, &mut out, None);
    assert_eq!(
        out.drops,
        vec![DropReason::Ingress],
        "port 80 is in the denied range"
    );
    out.clear();
    sw.process(
        1,
        &packet(
            &Flow {
                dport: 8080,
                ..Flow::default()
            },
            b"",
        ),
        0,
        &mut out,
        None,
    );
    assert_eq!(out.packets().len(), 1, "port 8080 is outside the range");
    out.clear();
    sw.process(
        1,
        &packet(
            &Flow {
                proto: 17,
                ..Flow::default()
            },
            b"",
        ),
        0,
        &mut out,
        None,
    );
    assert_eq!(out.packets().len(), 1, "UDP is not matched");
    assert_eq!(
        sw.direct_counter(&rule),
        None,
        "the ACL has no direct counter"
    );
    sw.delete(&rule).unwrap();
    assert_eq!(
        sw.delete(&rule).unwrap_err().to_string(),
        "table `MyIngress.acl` has no entry with this key"
    );
    out.clear();
    sw.process(1, &packet(&Flow::default(), b""), 0, &mut out, None);
    assert_eq!(out.packets().len(), 1);
}

#[test]
fn truncated_packets_set_parser_error_and_still_reach_ingress() {
    let mut sw = switch();
    let mut out = Output::default();
    let full = packet(&Flow::default(), b"");
    let mut trace = Trace::default();
    // Ethernet + 10 bytes of IPv4: the IPv4 extract fails with PacketTooShort.
    sw.process(1, &full[..24], 0, &mut out, Some(&mut trace));
    let text = trace.to_string();
    assert!(text.contains("parser error PacketTooShort"), "{text}");
    assert!(text.contains("control MyIngress"), "{text}");
    assert_eq!(
        out.drops,
        vec![DropReason::Ingress],
        "hdr.ipv4 is invalid, so ingress drops"
    );
}

#[test]
fn bad_ip_version_fails_the_verify_with_the_program_error() {
    let mut sw = switch();
    let mut out = Output::default();
    let mut p = packet(&Flow::default(), b"");
    p[14] = 0x65;
    let mut trace = Trace::default();
    sw.process(1, &p, 0, &mut out, Some(&mut trace));
    assert!(
        trace.to_string().contains("parser error IPv4BadVersion"),
        "{trace}"
    );
    // The header was extracted before verify failed, so routing still applies.
    assert_eq!(out.packets().len(), 1);
}

#[test]
fn trace_shows_states_headers_tables_and_output() {
    let mut sw = switch();
    let mut out = Output::default();
    let mut trace = Trace::default();
    sw.process(
        7,
        &packet(&Flow::default(), b"abc"),
        0,
        &mut out,
        Some(&mut trace),
    );
    let text = trace.to_string();
    for needle in [
        "packet in: port 7, 57 bytes",
        "parser state start",
        "parser state parse_tcp",
        "extract hdr.ipv4: version=0x4 ihl=0x5",
        "table MyIngress.ipv4_lpm: hit [0x0a000000/8] -> MyIngress.set_nhop(0x11, 0x1)",
        "table MyIngress.acl: miss -> default NoAction()",
        "out: port 1, 57 bytes",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in\n{text}");
    }
    let json: serde_json::Value = serde_json::from_str(&trace.to_json()).unwrap();
    assert_eq!(json[0]["event"], "packet");
    assert!(
        json.as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "table" && e["hit"] == true)
    );
}

#[test]
fn const_default_and_entry_errors_come_back_as_errors() {
    let mut sw = switch();
    let e = route(&sw, [10, 0, 0, 0], 8, [0; 6], 1);
    assert_eq!(
        sw.insert(e).unwrap_err().to_string(),
        "table `MyIngress.ipv4_lpm` already has an entry with this key"
    );
    let bad = route(&sw, [10, 0, 0, 1], 8, [0; 6], 1);
    assert_eq!(
        sw.insert(bad).unwrap_err().to_string(),
        "key `hdr.ipv4.dst_addr`: the value has bits set outside the prefix"
    );
    let t = sw.pipeline().table_by_name("MyIngress.ipv4_lpm").unwrap();
    let fwd = sw.pipeline().action_by_name("MyIngress.set_nhop").unwrap();
    sw.set_default(
        t,
        ActionCall {
            action: fwd,
            args: vec![vec![0, 0, 0, 0, 0, 1], vec![0, 5]],
        },
    )
    .unwrap();
    let mut out = Output::default();
    sw.process(
        1,
        &packet(
            &Flow {
                dst: [99, 0, 0, 1],
                ..Flow::default()
            },
            b"",
        ),
        0,
        &mut out,
        None,
    );
    assert_eq!(out.packets()[0].port, 5, "the new default forwards");
    assert_eq!(sw.read(t).len(), 2);
}

#[test]
fn fast_tables_and_the_reference_scan_forward_identically() {
    let mut fast = switch();
    let p = fast.pipeline();
    let acl = p.table_by_name("MyIngress.acl").unwrap();
    let lpm = p.table_by_name("MyIngress.ipv4_lpm").unwrap();
    let deny = p.action_by_name("MyIngress.deny").unwrap();
    for (i, (src, mask, lo, hi)) in [
        ([192u8, 168, 1, 0], 24u8, 0u16, 100u16),
        ([192, 168, 0, 0], 16, 50, 60),
        ([0, 0, 0, 0], 0, 443, 443),
    ]
    .into_iter()
    .enumerate()
    {
        let m = if mask == 0 {
            0
        } else {
            u32::MAX << (32 - mask)
        };
        fast.insert(TableEntry {
            table: acl,
            matches: vec![
                FieldMatch::Ternary {
                    value: src.to_vec(),
                    mask: m.to_be_bytes().to_vec(),
                },
                FieldMatch::Ternary {
                    value: vec![0],
                    mask: vec![0],
                },
                FieldMatch::Range {
                    low: lo.to_be_bytes().to_vec(),
                    high: hi.to_be_bytes().to_vec(),
                },
            ],
            priority: 1 + i as i32,
            action: EntryAction::Action(ActionCall {
                action: deny,
                args: vec![],
            }),
        })
        .unwrap();
    }
    let mut slow = Switch::new(router()).unwrap();
    for t in [lpm, acl] {
        for e in fast.read(t) {
            slow.insert(e).unwrap();
        }
    }
    slow.use_reference_tables();
    let (mut a, mut b) = (Output::default(), Output::default());
    let mut forwarded = 0;
    for i in 0..600u32 {
        let f = Flow {
            src: [192, 168, (i % 3) as u8, (i % 7) as u8],
            dst: [10, (i % 3) as u8, 0, 1],
            dport: (i * 37 % 700) as u16,
            proto: if i % 2 == 0 { 6 } else { 17 },
            ..Flow::default()
        };
        let pkt = packet(&f, &[i as u8]);
        a.clear();
        b.clear();
        fast.process(1, &pkt, 0, &mut a, None);
        slow.process(1, &pkt, 0, &mut b, None);
        assert_eq!(a.packets(), b.packets(), "packet {i}");
        assert_eq!(a.drops, b.drops, "packet {i}");
        forwarded += a.packets().len();
    }
    assert!(
        forwarded > 100 && forwarded < 600,
        "both outcomes occur: {forwarded}"
    );
}

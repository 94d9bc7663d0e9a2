//! Offline runs (pcap in, pcap out) and loading entries from JSON, as `ddsr softswitch run`
//! does them; pipelines too large for the switch are refused at load.

use ddsr_pipeline::builder::Builder;
use ddsr_pipeline::externs::ExternKind;
use ddsr_softswitch::offline::{self, EntriesError};
use ddsr_softswitch::pcap::{self, Record};
use ddsr_softswitch::programs::router;
use ddsr_softswitch::{DropReason, LoadError, Switch};

fn frame(dst_last: u8, ttl: u8) -> Vec<u8> {
    let mut p = vec![0u8; 54];
    p[12] = 0x08;
    p[14] = 0x45;
    p[17] = 40;
    p[22] = ttl;
    p[23] = 6;
    p[30..34].copy_from_slice(&[10, 0, 0, dst_last]);
    p
}

#[test]
fn pcap_run_orders_by_time_and_groups_by_port() {
    let mut sw = Switch::new(router()).unwrap();
    let entries = r#"[{"table": 0, "matches": [{"kind": "lpm", "value": "0a000000", "prefix_len": 24}],
        "action": {"type": "action", "action": 3, "args": ["000000000011", "0002"]}}]"#;
    assert_eq!(offline::load_entries(&mut sw, entries).unwrap(), 1);
    let a = vec![
        Record {
            ts_ns: 30_000,
            data: frame(1, 9),
        },
        Record {
            ts_ns: 10_000,
            data: frame(1, 7),
        },
    ];
    let b = vec![
        Record {
            ts_ns: 20_000,
            data: frame(1, 8),
        },
        Record {
            ts_ns: 40_000,
            data: vec![1, 2],
        },
    ];
    let run = offline::run(&mut sw, &[(1, a), (2, b)], true);
    assert_eq!(run.received, 4);
    let out = &run.outputs[&2];
    let ttls: Vec<u8> = out.iter().map(|r| r.data[22]).collect();
    assert_eq!(
        ttls,
        vec![6, 7, 8],
        "time order across inputs, TTL decremented"
    );
    assert_eq!(
        out.iter().map(|r| r.ts_ns).collect::<Vec<_>>(),
        vec![10_000, 20_000, 30_000]
    );
    assert_eq!(
        run.drops[&DropReason::Ingress],
        1,
        "the 2-byte frame has no IPv4"
    );
    assert_eq!(run.traces.len(), 4);
    // pcap keeps microseconds, which these timestamps are.
    let mut file = Vec::new();
    pcap::write(&mut file, out).unwrap();
    assert_eq!(&pcap::read(&file[..]).unwrap(), out);
}

#[test]
fn bad_entries_name_the_entry() {
    let mut sw = Switch::new(router()).unwrap();
    let err = offline::load_entries(&mut sw, "[{}]").unwrap_err();
    assert!(matches!(err, EntriesError::Syntax { line: 1, .. }), "{err}");
    let err = offline::load_entries(
        &mut sw,
        r#"[{"table": 0, "matches": [{"kind": "exact", "value": "0a000000"}], "action": {"type": "action", "action": 3, "args": []}}]"#,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "entry 0: key `hdr.ipv4.dst_addr`: expected a Lpm match, found Exact"
    );
}

#[test]
fn oversized_arrays_are_refused_at_load() {
    let mut b = Builder::new("big");
    b.extern_instance(
        "MyIngress.huge",
        ExternKind::Register {
            size: u32::MAX,
            width: 8,
        },
    );
    let err = Switch::new(b.build().unwrap()).err().unwrap();
    assert!(matches!(err, LoadError::TooLarge { .. }));
    assert_eq!(
        err.to_string(),
        "`MyIngress.huge` declares 4294967295 cells; the softswitch supports at most 16777216"
    );
}

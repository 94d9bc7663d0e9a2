//! v1model constructs one by one on small hand-built pipelines: P4_16 arithmetic, replication,
//! clones, resubmit and recirculate with preserved metadata, registers, meters, hashes,
//! digests, log messages, asserts, truncation, stacks, varbit, unions and value sets.
//!
//! Each pipeline parses one header `hdr.h` (an 8-bit opcode and six 16-bit fields) and emits it.

use ddsr_pipeline::Pipeline;
use ddsr_pipeline::builder::Builder;
use ddsr_pipeline::expr::{BinOp, Expr, LValue, UnOp};
use ddsr_pipeline::externs::{CloneKind, CounterUnit, ExternKind, HashAlgorithm, MeterUnit};
use ddsr_pipeline::parser::{CaseKeys, KeySet, Next, ParserOp, SelectCase, Transition};
use ddsr_pipeline::pre::{CloneSession, MulticastGroup, Replica};
use ddsr_pipeline::program::Emit;
use ddsr_pipeline::stmt::{ExternCall, Stmt};
use ddsr_pipeline::types::{HeaderRef, Ty};
use ddsr_softswitch::externs::meter::MeterConfig;
use ddsr_softswitch::{DropReason, Output, Switch, Trace};

const F: [&str; 6] = ["a", "b", "c", "d", "e", "f"];

fn base() -> Builder {
    let mut b = Builder::new("t");
    let mut fields: Vec<(&str, u16)> = vec![("op", 8)];
    fields.extend(F.iter().map(|f| (*f, 16)));
    let t = b.header_type("h_t", &fields);
    let h = b.header("hdr.h", t);
    let mt = b.header_type("meta_t", &[("x", 16), ("y", 16)]);
    b.metadata("meta", mt);
    let s = b.state("start");
    b.set_state(
        s,
        vec![ParserOp::Extract {
            header: HeaderRef::Instance(h),
        }],
        Transition::Accept,
    );
    b.emit(Emit::Header(h));
    b
}

fn fwd(b: &Builder, port: u16) -> Stmt {
    Stmt::Assign {
        dst: LValue::Field(b.sm("egress_spec")),
        src: Expr::bits(9, u128::from(port)),
    }
}

fn pkt(op: u8, vals: [u16; 6]) -> Vec<u8> {
    let mut v = vec![op];
    for x in vals {
        v.extend_from_slice(&x.to_be_bytes());
    }
    v
}

fn field(data: &[u8], i: usize) -> u16 {
    u16::from_be_bytes([data[1 + 2 * i], data[2 + 2 * i]])
}

fn run(p: Pipeline, setup: impl FnOnce(&mut Switch), input: &[u8]) -> (Switch, Output) {
    let mut sw = Switch::new(p).unwrap();
    setup(&mut sw);
    let mut out = Output::default();
    sw.process(1, input, 1_000, &mut out, None);
    (sw, out)
}

fn int16(e: Expr) -> Expr {
    Expr::cast(Ty::Int(16), e)
}

#[test]
fn arithmetic_follows_p4_16() {
    let mut b = base();
    let (a, bb) = (b.e("hdr.h.a"), b.e("hdr.h.b"));
    let bin = |op, l: &Expr, r: &Expr| Expr::binary(op, l.clone(), r.clone());
    let body = vec![
        b.assign("hdr.h.c", bin(BinOp::AddSat, &a, &bb)),
        b.assign("hdr.h.d", bin(BinOp::SubSat, &bb, &a)),
        b.assign(
            "hdr.h.e",
            Expr::cast(
                Ty::Bit(16),
                Expr::binary(BinOp::Shr, int16(a.clone()), Expr::bits(8, 4)),
            ),
        ),
        b.assign(
            "hdr.h.f",
            Expr::concat(Expr::slice(a.clone(), 7, 0), Expr::slice(bb.clone(), 15, 8)),
        ),
        b.assign("hdr.h.a", bin(BinOp::Add, &a, &Expr::bits(16, 0x1000))),
        b.assign(
            "hdr.h.b",
            Expr::Mux {
                cond: Box::new(Expr::binary(BinOp::Lt, int16(a.clone()), int16(bb.clone()))),
                then: Box::new(Expr::binary(BinOp::Div, bb.clone(), Expr::bits(16, 0))),
                els: Box::new(Expr::binary(BinOp::Shl, bb.clone(), Expr::bits(32, 16))),
            },
        ),
        fwd(&b, 2),
    ];
    b.ingress(body);
    let (_, out) = run(
        b.build().unwrap(),
        |_| {},
        &pkt(0, [0xf0f0, 0x1234, 0, 0, 0, 0]),
    );
    let o = &out.packets()[0].data;
    assert_eq!(field(o, 2), 0xffff, "0xf0f0 |+| 0x1234 saturates");
    assert_eq!(field(o, 3), 0, "0x1234 |-| 0xf0f0 clamps at 0");
    assert_eq!(
        field(o, 4),
        0xff0f,
        "arithmetic shift of a negative int<16>"
    );
    assert_eq!(field(o, 5), 0xf012, "slice ++ slice");
    assert_eq!(field(o, 0), 0x00f0, "wrapping add");
    assert_eq!(
        field(o, 1),
        0,
        "int compare true (-3856 < 4660); division by zero gives 0"
    );
    let mut b = base();
    let a = b.e("hdr.h.a");
    b.ingress(vec![
        b.assign("hdr.h.b", Expr::unary(UnOp::Neg, a.clone())),
        b.assign("hdr.h.c", Expr::unary(UnOp::BitNot, a.clone())),
        b.assign(
            "hdr.h.d",
            Expr::binary(BinOp::Mul, a.clone(), Expr::bits(16, 0x101)),
        ),
        b.assign(
            "hdr.h.e",
            Expr::cast(
                Ty::Bit(16),
                Expr::cast(
                    Ty::Int(32),
                    Expr::cast(Ty::Int(8), Expr::slice(a.clone(), 7, 0)),
                ),
            ),
        ),
        b.assign(
            "hdr.h.f",
            Expr::binary(BinOp::Mod, a.clone(), Expr::bits(16, 7)),
        ),
        Stmt::Assign {
            dst: LValue::Slice {
                field: b.f("hdr.h.a"),
                hi: 11,
                lo: 4,
            },
            src: Expr::bits(8, 0xab),
        },
        fwd(&b, 2),
    ]);
    let (_, out) = run(b.build().unwrap(), |_| {}, &pkt(0, [0x0085, 0, 0, 0, 0, 0]));
    let o = &out.packets()[0].data;
    assert_eq!(field(o, 1), 0xff7b);
    assert_eq!(field(o, 2), 0xff7a);
    assert_eq!(field(o, 3), 0x8585, "0x85 * 0x101");
    assert_eq!(field(o, 4), 0xff85, "int<8> sign-extends through int<32>");
    assert_eq!(field(o, 5), 0x85 % 7);
    assert_eq!(field(o, 0), 0x0ab5, "slice assignment keeps the other bits");
}

#[test]
fn multicast_replicates_with_rids_and_egress_sees_them() {
    let mut b = base();
    b.ingress(vec![Stmt::Assign {
        dst: LValue::Field(b.sm("mcast_grp")),
        src: Expr::bits(16, 5),
    }]);
    b.egress(vec![
        b.assign("hdr.h.a", Expr::field(b.sm("egress_rid"))),
        b.assign(
            "hdr.h.b",
            Expr::cast(Ty::Bit(16), Expr::field(b.sm("instance_type"))),
        ),
        b.assign(
            "hdr.h.c",
            Expr::cast(Ty::Bit(16), Expr::field(b.sm("egress_port"))),
        ),
    ]);
    let (_, out) = run(
        b.build().unwrap(),
        |sw| {
            sw.set_multicast_group(MulticastGroup {
                group: 5,
                replicas: vec![Replica { port: 2, rid: 1 }, Replica { port: 3, rid: 2 }],
            })
            .unwrap()
        },
        &pkt(0, [0; 6]),
    );
    let p = out.packets();
    assert_eq!(p.len(), 2);
    assert_eq!(
        (
            p[0].port,
            field(&p[0].data, 0),
            field(&p[0].data, 1),
            field(&p[0].data, 2)
        ),
        (2, 1, 5, 2)
    );
    assert_eq!(
        (p[1].port, field(&p[1].data, 0), field(&p[1].data, 2)),
        (3, 2, 3)
    );
    let mut b = base();
    b.ingress(vec![Stmt::Assign {
        dst: LValue::Field(b.sm("mcast_grp")),
        src: Expr::bits(16, 6),
    }]);
    let (_, out) = run(b.build().unwrap(), |_| {}, &pkt(0, [0; 6]));
    assert_eq!(out.drops, vec![DropReason::NoMulticastGroup]);
}

#[test]
fn ingress_clone_carries_the_received_packet_and_preserved_metadata() {
    let mut b = base();
    b.field_list(1, &["meta.x"]);
    b.ingress(vec![
        b.assign("meta.x", Expr::bits(16, 0x77)),
        b.assign("hdr.h.a", Expr::bits(16, 0xaaaa)),
        Stmt::Extern {
            call: ExternCall::Clone {
                kind: CloneKind::I2E,
                session: Expr::bits(32, 9),
                field_list: Some(1),
            },
        },
        fwd(&b, 1),
    ]);
    b.egress(vec![
        b.assign(
            "hdr.h.b",
            Expr::cast(Ty::Bit(16), Expr::field(b.sm("instance_type"))),
        ),
        b.assign("hdr.h.c", b.e("meta.x")),
    ]);
    let (_, out) = run(
        b.build().unwrap(),
        |sw| {
            sw.set_clone_session(CloneSession {
                session: 9,
                replicas: vec![Replica { port: 4, rid: 0 }],
                truncate_bytes: None,
            })
        },
        &pkt(0, [1, 2, 3, 4, 5, 6]),
    );
    let p = out.packets();
    assert_eq!(p.len(), 2);
    let clone = p.iter().find(|x| x.port == 4).unwrap();
    let orig = p.iter().find(|x| x.port == 1).unwrap();
    assert_eq!(field(&clone.data, 0), 1, "the clone has the received bytes");
    assert_eq!(field(&clone.data, 1), 1, "instance_type INGRESS_CLONE");
    assert_eq!(
        field(&clone.data, 2),
        0x77,
        "meta.x preserved by field list 1"
    );
    assert_eq!(field(&orig.data, 0), 0xaaaa);
    assert_eq!(field(&orig.data, 1), 0);
}

#[test]
fn egress_clone_and_truncation() {
    let mut b = base();
    b.ingress(vec![fwd(&b, 1)]);
    b.egress(vec![Stmt::If {
        cond: Expr::binary(
            BinOp::Eq,
            Expr::field(b.sm("instance_type")),
            Expr::bits(32, 0),
        ),
        then: vec![
            b.assign("hdr.h.a", Expr::bits(16, 0xbeef)),
            Stmt::Extern {
                call: ExternCall::Clone {
                    kind: CloneKind::E2E,
                    session: Expr::bits(32, 3),
                    field_list: None,
                },
            },
        ],
        els: vec![Stmt::Extern {
            call: ExternCall::Truncate {
                length: Expr::bits(32, 3),
            },
        }],
    }]);
    let (_, out) = run(
        b.build().unwrap(),
        |sw| {
            sw.set_clone_session(CloneSession {
                session: 3,
                replicas: vec![Replica { port: 6, rid: 0 }],
                truncate_bytes: None,
            })
        },
        &pkt(0, [1, 2, 3, 4, 5, 6]),
    );
    let p = out.packets();
    assert_eq!(p.len(), 2);
    let clone = p.iter().find(|x| x.port == 6).unwrap();
    assert_eq!(
        clone.data,
        vec![0, 0xbe, 0xef],
        "E2E clone of the deparsed packet, truncated to 3 bytes"
    );
    assert_eq!(p.iter().find(|x| x.port == 1).unwrap().data.len(), 13);
}

#[test]
fn resubmit_and_recirculate_preserve_field_lists_and_stop_at_the_pass_limit() {
    let mut b = base();
    b.field_list(1, &["meta.x"]);
    let it = Expr::field(b.sm("instance_type"));
    b.ingress(vec![Stmt::If {
        cond: Expr::binary(BinOp::Eq, it.clone(), Expr::bits(32, 0)),
        then: vec![
            b.assign("meta.x", Expr::bits(16, 5)),
            Stmt::Extern {
                call: ExternCall::Resubmit {
                    field_list: Some(1),
                },
            },
        ],
        els: vec![
            b.assign(
                "hdr.h.a",
                Expr::binary(BinOp::Add, b.e("meta.x"), Expr::bits(16, 1)),
            ),
            b.assign("hdr.h.b", Expr::cast(Ty::Bit(16), it.clone())),
            fwd(&b, 2),
        ],
    }]);
    b.egress(vec![Stmt::If {
        cond: Expr::binary(BinOp::Eq, it.clone(), Expr::bits(32, 6)),
        then: vec![Stmt::Extern {
            call: ExternCall::Recirculate { field_list: None },
        }],
        els: vec![b.assign("hdr.h.c", Expr::bits(16, 0xcc))],
    }]);
    let (_, out) = run(b.build().unwrap(), |_| {}, &pkt(0, [0; 6]));
    let p = out.packets();
    assert_eq!(p.len(), 1, "{:?}", out.drops);
    assert_eq!(
        field(&p[0].data, 0),
        1,
        "recirculated packets start with fresh metadata"
    );
    assert_eq!(field(&p[0].data, 1), 4, "last pass was a recirculation");
    assert_eq!(field(&p[0].data, 2), 0xcc);

    let mut b = base();
    b.ingress(vec![Stmt::Extern {
        call: ExternCall::Resubmit { field_list: None },
    }]);
    let (sw, out) = run(b.build().unwrap(), |_| {}, &pkt(0, [0; 6]));
    assert_eq!(out.drops, vec![DropReason::PassLimit]);
    assert_eq!(sw.stats.drops[DropReason::PassLimit.index()], 1);
}

#[test]
fn registers_counters_meters_hashes_digests_logs() {
    let mut b = base();
    let reg = b.extern_instance("MyIngress.reg", ExternKind::Register { size: 8, width: 16 });
    let ctr = b.extern_instance(
        "MyIngress.ctr",
        ExternKind::Counter {
            size: 4,
            unit: CounterUnit::Bytes,
        },
    );
    let met = b.extern_instance(
        "MyIngress.met",
        ExternKind::Meter {
            size: 2,
            unit: MeterUnit::Packets,
        },
    );
    let dig = b.extern_instance(
        "learn_t",
        ExternKind::Digest {
            fields: vec![ddsr_pipeline::externs::DigestField {
                name: "a".into(),
                ty: Ty::Bit(16),
            }],
        },
    );
    b.ingress(vec![
        Stmt::Extern {
            call: ExternCall::RegisterRead {
                register: reg,
                dst: b.lv("meta.x"),
                index: Expr::bits(32, 3),
            },
        },
        Stmt::Extern {
            call: ExternCall::RegisterWrite {
                register: reg,
                index: Expr::bits(32, 3),
                value: Expr::binary(BinOp::Add, b.e("meta.x"), b.e("hdr.h.a")),
            },
        },
        b.assign("hdr.h.b", b.e("meta.x")),
        Stmt::Extern {
            call: ExternCall::Count {
                counter: ctr,
                index: Expr::bits(32, 2),
            },
        },
        Stmt::Extern {
            call: ExternCall::Count {
                counter: ctr,
                index: Expr::bits(32, 99),
            },
        },
        Stmt::Extern {
            call: ExternCall::ExecuteMeter {
                meter: met,
                index: Expr::bits(32, 1),
                dst: b.lv("hdr.h.c"),
            },
        },
        Stmt::Extern {
            call: ExternCall::Hash {
                dst: b.lv("hdr.h.d"),
                algorithm: HashAlgorithm::Crc16,
                base: Expr::bits(16, 0),
                data: vec![b.e("hdr.h.a")],
                max: Expr::bits(32, 0x10000),
            },
        },
        Stmt::Extern {
            call: ExternCall::Hash {
                dst: b.lv("hdr.h.e"),
                algorithm: HashAlgorithm::Identity,
                base: Expr::bits(16, 100),
                data: vec![b.e("hdr.h.a")],
                max: Expr::bits(16, 10),
            },
        },
        Stmt::Extern {
            call: ExternCall::Digest {
                digest: dig,
                receiver: 1,
                data: vec![b.e("hdr.h.a")],
            },
        },
        Stmt::Extern {
            call: ExternCall::LogMsg {
                format: "a={} x={}".into(),
                args: vec![b.e("hdr.h.a"), b.e("meta.x")],
            },
        },
        fwd(&b, 2),
    ]);
    let mut sw = Switch::new(b.build().unwrap()).unwrap();
    sw.register_write("MyIngress.reg", 3, 0x100).unwrap();
    sw.meter_configure(
        "MyIngress.met",
        1,
        Some(MeterConfig {
            cir: 1,
            cburst: 1,
            pir: 2,
            pburst: 2,
        }),
        0,
    )
    .unwrap();
    let mut out = Output::default();
    let mut colors = Vec::new();
    for _ in 0..3 {
        out.clear();
        sw.process(1, &pkt(0, [0x31, 0, 0, 0, 0, 0]), 0, &mut out, None);
        colors.push(field(&out.packets()[0].data, 2));
    }
    let o = &out.packets()[0].data;
    assert_eq!(colors, vec![0, 1, 2], "green, yellow, red");
    assert_eq!(
        field(o, 1),
        0x100 + 2 * 0x31,
        "register read after two increments"
    );
    assert_eq!(
        sw.register_read("MyIngress.reg", 3).unwrap(),
        0x100 + 3 * 0x31
    );
    assert_eq!(
        field(o, 3),
        ddsr_softswitch::externs::hash::crc16(&[0, 0x31])
    );
    assert_eq!(field(o, 4), 100 + 0x31 % 10);
    let c = sw.counter("MyIngress.ctr", 2).unwrap();
    assert_eq!(
        (c.packets, c.bytes),
        (0, 3 * 13),
        "a bytes counter counts bytes only"
    );
    assert_eq!(out.digests.len(), 1);
    assert_eq!(out.digests[0].values, vec![0x31]);
    assert_eq!(out.logs, vec!["a=49 x=354".to_string()]);
    assert_eq!(
        sw.register_read("MyIngress.reg", 8)
            .unwrap_err()
            .to_string(),
        "index 8 is out of range for `MyIngress.reg` of size 8"
    );
}

#[test]
fn failed_assert_drops_and_exit_ends_ingress() {
    let mut b = base();
    b.ingress(vec![
        fwd(&b, 2),
        Stmt::If {
            cond: Expr::binary(BinOp::Eq, b.e("hdr.h.op"), Expr::bits(8, 1)),
            then: vec![Stmt::Exit],
            els: vec![],
        },
        Stmt::Extern {
            call: ExternCall::Assert {
                condition: Expr::binary(BinOp::Eq, b.e("hdr.h.op"), Expr::bits(8, 0)),
            },
        },
        b.assign("hdr.h.a", Expr::bits(16, 9)),
    ]);
    let p = b.build().unwrap();
    let (_, out) = run(p.clone(), |_| {}, &pkt(2, [0; 6]));
    assert_eq!(out.drops, vec![DropReason::Assert]);
    let (_, out) = run(p.clone(), |_| {}, &pkt(1, [0; 6]));
    assert_eq!(field(&out.packets()[0].data, 0), 0, "exit skipped the rest");
    let (_, out) = run(p, |_| {}, &pkt(0, [0; 6]));
    assert_eq!(field(&out.packets()[0].data, 0), 9);
}

/// A stack of 16-bit labels ended by a bottom-of-stack bit, then a varbit option area sized by
/// a length byte: `push_front` adds a label, the options are copied through unchanged.
#[test]
fn stacks_push_and_pop_and_varbit_round_trips() {
    let mut b = Builder::new("stack");
    let lt = b.header_type("label_t", &[("label", 15), ("bos", 1)]);
    let ot = b.header_type_of("opt_t", &[("len", Ty::Bit(8)), ("data", Ty::Varbit(64))]);
    let st = b.stack("hdr.labels", lt, 4);
    let opt = b.header("hdr.opt", ot);
    let s0 = b.state("start");
    let s1 = b.state("opts");
    b.set_state(
        s0,
        vec![ParserOp::Extract {
            header: HeaderRef::Next(st),
        }],
        Transition::Select {
            keys: vec![Expr::field(ddsr_pipeline::FieldRef {
                header: HeaderRef::Last(st),
                field: 1,
            })],
            cases: vec![
                SelectCase {
                    keyset: CaseKeys::Tuple(vec![KeySet::Value { value: 1 }]),
                    next: Next::State(s1),
                },
                SelectCase {
                    keyset: CaseKeys::Default,
                    next: Next::State(s0),
                },
            ],
        },
    );
    b.set_state(
        s1,
        vec![ParserOp::ExtractVarbit {
            header: HeaderRef::Instance(opt),
            size: Expr::binary(
                BinOp::Shl,
                Expr::cast(Ty::Bit(32), Expr::Lookahead { ty: Ty::Bit(8) }),
                Expr::bits(8, 3),
            ),
        }],
        Transition::Accept,
    );
    b.emit(Emit::Stack(st));
    b.emit(Emit::Header(opt));
    let first = b.pipeline().stacks[st].elements[0];
    let label0 = ddsr_pipeline::FieldRef::new(first, 0);
    let bos0 = ddsr_pipeline::FieldRef::new(first, 1);
    b.ingress(vec![
        Stmt::If {
            cond: Expr::binary(BinOp::Eq, Expr::NextIndex { stack: st }, Expr::bits(32, 1)),
            then: vec![
                Stmt::PushFront {
                    stack: st,
                    count: 1,
                },
                Stmt::SetValid {
                    header: HeaderRef::Instance(first),
                },
                Stmt::Assign {
                    dst: LValue::Field(label0),
                    src: Expr::bits(15, 0x1234),
                },
                Stmt::Assign {
                    dst: LValue::Field(bos0),
                    src: Expr::bits(1, 0),
                },
            ],
            els: vec![Stmt::PopFront {
                stack: st,
                count: 1,
            }],
        },
        fwd(&b, 2),
    ]);
    let p = b.build().unwrap();
    // One label with bottom-of-stack set, options whose first byte (2) gives the data bytes
    // after it, then one payload byte.
    let input = [0x00, 0x03, 0x02, 0xaa, 0xbb, 0x99];
    let (_, out) = run(p.clone(), |_| {}, &input);
    let o = &out.packets()[0].data;
    assert_eq!(
        o,
        &vec![0x24, 0x68, 0x00, 0x03, 0x02, 0xaa, 0xbb, 0x99],
        "pushed label then the original"
    );
    let two = [0x00, 0x02, 0x00, 0x03, 0x01, 0xcc, 0x77];
    let (_, out) = run(p, |_| {}, &two);
    assert_eq!(
        &out.packets()[0].data,
        &vec![0x00, 0x03, 0x01, 0xcc, 0x77],
        "popped the first label"
    );
}

#[test]
fn unions_value_sets_and_action_run_switches() {
    let mut b = Builder::new("u");
    let at = b.header_type("a_t", &[("x", 8)]);
    let bt = b.header_type("b_t", &[("y", 16)]);
    let tag_t = b.header_type("tag_t", &[("kind", 8)]);
    let tag = b.header("hdr.tag", tag_t);
    let ha = b.header("hdr.u.a", at);
    let hb = b.header("hdr.u.b", bt);
    let u = b.union("hdr.u", vec![ha, hb]);
    let vs = b.value_set("MyParser.kinds", vec![Ty::Bit(8)], 4);
    let s0 = b.state("start");
    let sa = b.state("a");
    let sb = b.state("b");
    b.set_state(
        s0,
        vec![ParserOp::Extract {
            header: HeaderRef::Instance(tag),
        }],
        Transition::Select {
            keys: vec![b.e("hdr.tag.kind")],
            cases: vec![
                SelectCase {
                    keyset: CaseKeys::ValueSet(vs),
                    next: Next::State(sb),
                },
                SelectCase {
                    keyset: CaseKeys::Tuple(vec![KeySet::Mask {
                        value: 0x10,
                        mask: 0xf0,
                    }]),
                    next: Next::State(sa),
                },
                SelectCase {
                    keyset: CaseKeys::Tuple(vec![KeySet::Range { lo: 0x20, hi: 0x2f }]),
                    next: Next::Reject,
                },
            ],
        },
    );
    b.set_state(
        sa,
        vec![ParserOp::Extract {
            header: HeaderRef::Instance(ha),
        }],
        Transition::Accept,
    );
    b.set_state(
        sb,
        vec![ParserOp::Extract {
            header: HeaderRef::Instance(hb),
        }],
        Transition::Accept,
    );
    b.emit(Emit::Header(tag));
    b.emit(Emit::Union(u));
    let to_b = b.action(
        "MyIngress.to_b",
        &[],
        vec![
            Stmt::SetValid {
                header: HeaderRef::Instance(hb),
            },
            b.assign("hdr.u.b.y", Expr::bits(16, 0xb0b0)),
        ],
    );
    let keep = b.action("MyIngress.keep", &[], vec![]);
    let t = b.table(
        "MyIngress.t",
        &[("hdr.tag.kind", ddsr_pipeline::MatchKind::Exact)],
        &[to_b, keep],
        keep,
        4,
    );
    b.table_mut(t).entries.push(ddsr_pipeline::TableEntry {
        table: t,
        matches: vec![ddsr_pipeline::FieldMatch::Exact { value: vec![0x11] }],
        priority: 0,
        action: ddsr_pipeline::EntryAction::Action(ddsr_pipeline::ActionCall {
            action: to_b,
            args: vec![],
        }),
    });
    b.table_mut(t).entries_const = true;
    b.ingress(vec![
        fwd(&b, 2),
        Stmt::Apply {
            table: t,
            arms: ddsr_pipeline::stmt::ApplyArms::ActionRun {
                cases: vec![ddsr_pipeline::stmt::ActionCase {
                    actions: vec![keep],
                    body: vec![b.assign("hdr.tag.kind", Expr::bits(8, 0xee))],
                }],
                default: vec![],
            },
        },
        Stmt::If {
            cond: Expr::UnionIsValid { union: u },
            then: vec![],
            els: vec![b.assign("hdr.tag.kind", Expr::bits(8, 0xdd))],
        },
    ]);
    let p = b.build().unwrap();
    let mut sw = Switch::new(p).unwrap();
    sw.value_set_add("MyParser.kinds", vec![0x40], vec![0xff])
        .unwrap();
    let mut out = Output::default();
    let mut go = |sw: &mut Switch, input: &[u8]| {
        out.clear();
        sw.process(1, input, 0, &mut out, None);
        out.packets()[0].data.clone()
    };
    assert_eq!(
        go(&mut sw, &[0x11, 0x05, 0xff]),
        vec![0x11, 0xb0, 0xb0, 0xff],
        "a replaced by b (const entry)"
    );
    assert_eq!(
        go(&mut sw, &[0x12, 0x05, 0xff]),
        vec![0xee, 0x05, 0xff],
        "keep ran: switch case"
    );
    assert_eq!(
        go(&mut sw, &[0x40, 0x01, 0x02]),
        vec![0xee, 0x01, 0x02],
        "value set chose b"
    );
    assert_eq!(
        go(&mut sw, &[0x25, 0x01]),
        vec![0xdd, 0x01],
        "reject: no union member valid, payload kept"
    );
    let mut trace = Trace::default();
    sw.process(1, &[0x35, 0x01], 0, &mut out, Some(&mut trace));
    assert!(
        trace.to_string().contains("parser error NoMatch"),
        "{trace}"
    );
    let t = sw.pipeline().table_by_name("MyIngress.t").unwrap();
    let e = sw.read(t)[0].clone();
    assert_eq!(
        sw.delete(&e).unwrap_err().to_string(),
        "table `MyIngress.t` has const entries"
    );
}

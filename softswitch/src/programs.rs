//! Hand-built pipelines of realistic programs, used by tests, benchmarks and the fuzz target
//! while the P4 front end cannot yet lower the programs in `p4/`.
//!
//! [`router`] is an IPv4 router: Ethernet/IPv4/TCP/UDP parser, IPv4 header checksum
//! verification and update, an LPM route table rewriting MACs and decrementing the TTL, a
//! ternary+range ACL, and a per-port counter. [`l4_lb`] is a DSR-style ingress: a VIP table
//! (exact on destination address, protocol and port) whose entries name action-selector groups
//! of backends; the chosen backend rewrites the destination address and port, and the TCP/UDP
//! checksums are recomputed over the pseudo-header and payload.

use ddsr_pipeline::Pipeline;
use ddsr_pipeline::builder::Builder;
use ddsr_pipeline::expr::{BinOp, Expr, LValue};
use ddsr_pipeline::externs::{CounterUnit, ExternKind, HashAlgorithm};
use ddsr_pipeline::parser::{CaseKeys, KeySet, Next, ParserOp, SelectCase, Transition};
use ddsr_pipeline::program::Emit;
use ddsr_pipeline::stmt::{ExternCall, Stmt};
use ddsr_pipeline::table::{Implementation, MatchKind};
use ddsr_pipeline::types::{HeaderRef, Ty};

const IPV4_FIELDS: [(&str, u16); 12] = [
    ("version", 4),
    ("ihl", 4),
    ("diffserv", 8),
    ("total_len", 16),
    ("identification", 16),
    ("flags", 3),
    ("frag_offset", 13),
    ("ttl", 8),
    ("protocol", 8),
    ("hdr_checksum", 16),
    ("src_addr", 32),
    ("dst_addr", 32),
];

/// Declares Ethernet, IPv4, TCP and UDP, the parser for them, IPv4 checksum verification and
/// update, and the deparser. Returns the builder for the controls.
fn l3l4(name: &str) -> Builder {
    let mut b = Builder::new(name);
    let eth_t = b.header_type(
        "ethernet_t",
        &[("dst_addr", 48), ("src_addr", 48), ("ether_type", 16)],
    );
    let ip_t = b.header_type("ipv4_t", &IPV4_FIELDS);
    let tcp_t = b.header_type(
        "tcp_t",
        &[
            ("src_port", 16),
            ("dst_port", 16),
            ("seq_no", 32),
            ("ack_no", 32),
            ("data_offset", 4),
            ("res", 4),
            ("flags", 8),
            ("window", 16),
            ("checksum", 16),
            ("urgent_ptr", 16),
        ],
    );
    let udp_t = b.header_type(
        "udp_t",
        &[
            ("src_port", 16),
            ("dst_port", 16),
            ("length", 16),
            ("checksum", 16),
        ],
    );
    let meta_t = b.header_type(
        "metadata_t",
        &[("l4_len", 16), ("l4_src", 16), ("l4_dst", 16)],
    );
    let eth = b.header("hdr.ethernet", eth_t);
    let ip = b.header("hdr.ipv4", ip_t);
    let tcp = b.header("hdr.tcp", tcp_t);
    let udp = b.header("hdr.udp", udp_t);
    b.metadata("meta", meta_t);
    let bad_version = b.error("IPv4BadVersion");
    let start = b.state("start");
    let s_ip = b.state("parse_ipv4");
    let s_tcp = b.state("parse_tcp");
    let s_udp = b.state("parse_udp");
    let val = |v: u128| CaseKeys::Tuple(vec![KeySet::Value { value: v }]);
    b.set_state(
        start,
        vec![ParserOp::Extract {
            header: HeaderRef::Instance(eth),
        }],
        Transition::Select {
            keys: vec![b.e("hdr.ethernet.ether_type")],
            cases: vec![
                SelectCase {
                    keyset: val(0x0800),
                    next: Next::State(s_ip),
                },
                SelectCase {
                    keyset: CaseKeys::Default,
                    next: Next::Accept,
                },
            ],
        },
    );
    b.set_state(
        s_ip,
        vec![
            ParserOp::Extract {
                header: HeaderRef::Instance(ip),
            },
            ParserOp::Verify {
                condition: Expr::binary(BinOp::Eq, b.e("hdr.ipv4.version"), Expr::bits(4, 4)),
                error: bad_version,
            },
        ],
        Transition::Select {
            keys: vec![b.e("hdr.ipv4.protocol")],
            cases: vec![
                SelectCase {
                    keyset: val(6),
                    next: Next::State(s_tcp),
                },
                SelectCase {
                    keyset: val(17),
                    next: Next::State(s_udp),
                },
                SelectCase {
                    keyset: CaseKeys::Default,
                    next: Next::Accept,
                },
            ],
        },
    );
    b.set_state(
        s_tcp,
        vec![
            ParserOp::Extract {
                header: HeaderRef::Instance(tcp),
            },
            ParserOp::Stmt {
                stmt: b.assign("meta.l4_src", b.e("hdr.tcp.src_port")),
            },
            ParserOp::Stmt {
                stmt: b.assign("meta.l4_dst", b.e("hdr.tcp.dst_port")),
            },
        ],
        Transition::Accept,
    );
    b.set_state(
        s_udp,
        vec![
            ParserOp::Extract {
                header: HeaderRef::Instance(udp),
            },
            ParserOp::Stmt {
                stmt: b.assign("meta.l4_src", b.e("hdr.udp.src_port")),
            },
            ParserOp::Stmt {
                stmt: b.assign("meta.l4_dst", b.e("hdr.udp.dst_port")),
            },
        ],
        Transition::Accept,
    );
    let ip_data: Vec<Expr> = IPV4_FIELDS
        .iter()
        .filter(|(n, _)| *n != "hdr_checksum")
        .map(|(n, _)| b.e(&format!("hdr.ipv4.{n}")))
        .collect();
    let ip_valid = Expr::IsValid {
        header: HeaderRef::Instance(ip),
    };
    b.verify_checksum(vec![Stmt::Extern {
        call: ExternCall::VerifyChecksum {
            condition: ip_valid.clone(),
            data: ip_data.clone(),
            checksum: b.e("hdr.ipv4.hdr_checksum"),
            algorithm: HashAlgorithm::Csum16,
            with_payload: false,
        },
    }]);
    b.compute_checksum(vec![Stmt::Extern {
        call: ExternCall::UpdateChecksum {
            condition: ip_valid,
            data: ip_data,
            checksum: b.lv("hdr.ipv4.hdr_checksum"),
            algorithm: HashAlgorithm::Csum16,
            with_payload: false,
        },
    }]);
    b.emit(Emit::Header(eth));
    b.emit(Emit::Header(ip));
    b.emit(Emit::Header(tcp));
    b.emit(Emit::Header(udp));
    b
}

fn mark_to_drop() -> Stmt {
    Stmt::Extern {
        call: ExternCall::MarkToDrop,
    }
}

fn param(i: u16) -> Expr {
    Expr::Param { index: i }
}

/// The IPv4 router described in the module documentation.
///
/// Tables: `MyIngress.ipv4_lpm` (lpm `hdr.ipv4.dst_addr`; actions `MyIngress.set_nhop(dmac,
/// port)`, `MyIngress.drop`), `MyIngress.acl` (ternary `hdr.ipv4.src_addr`, ternary
/// `hdr.ipv4.protocol`, range `meta.l4_dst`; actions `MyIngress.deny`, `NoAction`). Counter
/// `MyIngress.port_packets` (512 cells, indexed by ingress port).
pub fn router() -> Pipeline {
    let mut b = l3l4("router");
    let no_action = b.action("NoAction", &[], vec![]);
    let drop = b.action("MyIngress.drop", &[], vec![mark_to_drop()]);
    let deny = b.action("MyIngress.deny", &[], vec![mark_to_drop()]);
    let ttl = b.e("hdr.ipv4.ttl");
    let set_nhop = b.action(
        "MyIngress.set_nhop",
        &[("dmac", 48), ("port", 9)],
        vec![
            b.assign("hdr.ethernet.src_addr", b.e("hdr.ethernet.dst_addr")),
            b.assign("hdr.ethernet.dst_addr", param(0)),
            Stmt::Assign {
                dst: LValue::Field(b.sm("egress_spec")),
                src: param(1),
            },
            b.assign(
                "hdr.ipv4.ttl",
                Expr::binary(BinOp::Sub, ttl, Expr::bits(8, 1)),
            ),
        ],
    );
    let lpm = b.table(
        "MyIngress.ipv4_lpm",
        &[("hdr.ipv4.dst_addr", MatchKind::Lpm)],
        &[set_nhop, drop],
        drop,
        4096,
    );
    let acl = b.table(
        "MyIngress.acl",
        &[
            ("hdr.ipv4.src_addr", MatchKind::Ternary),
            ("hdr.ipv4.protocol", MatchKind::Ternary),
            ("meta.l4_dst", MatchKind::Range),
        ],
        &[deny, no_action],
        no_action,
        1024,
    );
    let counter = b.extern_instance(
        "MyIngress.port_packets",
        ExternKind::Counter {
            size: 512,
            unit: CounterUnit::PacketsAndBytes,
        },
    );
    let ip = b.f("hdr.ipv4.ttl").header;
    b.ingress(vec![
        Stmt::Extern {
            call: ExternCall::Count {
                counter,
                index: Expr::cast(Ty::Bit(32), Expr::field(b.sm("ingress_port"))),
            },
        },
        Stmt::If {
            cond: Expr::IsValid { header: ip },
            then: vec![
                Stmt::Apply {
                    table: lpm,
                    arms: Default::default(),
                },
                Stmt::Apply {
                    table: acl,
                    arms: Default::default(),
                },
            ],
            els: vec![mark_to_drop()],
        },
    ]);
    b.build().expect("the router pipeline is valid")
}

/// The DSR-style load balancer ingress described in the module documentation.
///
/// Tables: `MyIngress.vip` (exact `hdr.ipv4.dst_addr`, `hdr.ipv4.protocol`, `meta.l4_dst`;
/// implementation `MyIngress.backends`, an action selector with crc16 over the 5-tuple;
/// actions `MyIngress.to_backend(addr, port, dmac, egress)`, `MyIngress.drop`).
pub fn l4_lb() -> Pipeline {
    let mut b = l3l4("l4_lb");
    let drop = b.action("MyIngress.drop", &[], vec![mark_to_drop()]);
    let ip_h = b.f("hdr.ipv4.ttl").header;
    let tcp_h = b.f("hdr.tcp.dst_port").header;
    let udp_h = b.f("hdr.udp.dst_port").header;
    let to_backend = b.action(
        "MyIngress.to_backend",
        &[("addr", 32), ("port", 16), ("dmac", 48), ("egress", 9)],
        vec![
            b.assign("hdr.ipv4.dst_addr", param(0)),
            Stmt::If {
                cond: Expr::IsValid { header: tcp_h },
                then: vec![b.assign("hdr.tcp.dst_port", param(1))],
                els: vec![b.assign("hdr.udp.dst_port", param(1))],
            },
            b.assign("hdr.ethernet.src_addr", b.e("hdr.ethernet.dst_addr")),
            b.assign("hdr.ethernet.dst_addr", param(2)),
            Stmt::Assign {
                dst: LValue::Field(b.sm("egress_spec")),
                src: param(3),
            },
        ],
    );
    let sel = b.extern_instance(
        "MyIngress.backends",
        ExternKind::ActionSelector {
            size: 65536,
            algorithm: HashAlgorithm::Crc16,
            output_width: 16,
        },
    );
    let vip = b.table(
        "MyIngress.vip",
        &[
            ("hdr.ipv4.dst_addr", MatchKind::Exact),
            ("hdr.ipv4.protocol", MatchKind::Exact),
            ("meta.l4_dst", MatchKind::Exact),
        ],
        &[to_backend, drop],
        drop,
        65536,
    );
    let five_tuple = vec![
        b.e("hdr.ipv4.src_addr"),
        b.e("hdr.ipv4.dst_addr"),
        b.e("hdr.ipv4.protocol"),
        b.e("meta.l4_src"),
        b.e("meta.l4_dst"),
    ];
    let t = b.table_mut(vip);
    t.implementation = Implementation::ActionSelector(sel);
    t.selector_keys = five_tuple;
    // l4_len = total_len - ihl * 4, for the pseudo-header.
    let l4_len = Expr::binary(
        BinOp::Sub,
        b.e("hdr.ipv4.total_len"),
        Expr::binary(
            BinOp::Shl,
            Expr::cast(Ty::Bit(16), b.e("hdr.ipv4.ihl")),
            Expr::bits(8, 2),
        ),
    );
    b.ingress(vec![Stmt::If {
        cond: Expr::IsValid { header: ip_h },
        then: vec![
            Stmt::Apply {
                table: vip,
                arms: Default::default(),
            },
            b.assign("meta.l4_len", l4_len),
        ],
        els: vec![mark_to_drop()],
    }]);
    let pseudo = |b: &Builder, extra: &[&str]| -> Vec<Expr> {
        let mut v = vec![
            b.e("hdr.ipv4.src_addr"),
            b.e("hdr.ipv4.dst_addr"),
            Expr::bits(8, 0),
            b.e("hdr.ipv4.protocol"),
            b.e("meta.l4_len"),
        ];
        v.extend(extra.iter().map(|f| b.e(f)));
        v
    };
    let tcp_data = pseudo(
        &b,
        &[
            "hdr.tcp.src_port",
            "hdr.tcp.dst_port",
            "hdr.tcp.seq_no",
            "hdr.tcp.ack_no",
            "hdr.tcp.data_offset",
            "hdr.tcp.res",
            "hdr.tcp.flags",
            "hdr.tcp.window",
            "hdr.tcp.urgent_ptr",
        ],
    );
    let udp_data = pseudo(
        &b,
        &["hdr.udp.src_port", "hdr.udp.dst_port", "hdr.udp.length"],
    );
    let mut compute = b.pipeline().controls[b.compute_checksum_control()]
        .body
        .clone();
    compute.push(Stmt::Extern {
        call: ExternCall::UpdateChecksum {
            condition: Expr::IsValid { header: tcp_h },
            data: tcp_data,
            checksum: b.lv("hdr.tcp.checksum"),
            algorithm: HashAlgorithm::Csum16,
            with_payload: true,
        },
    });
    compute.push(Stmt::Extern {
        call: ExternCall::UpdateChecksum {
            condition: Expr::binary(
                BinOp::And,
                Expr::IsValid { header: udp_h },
                Expr::binary(BinOp::Ne, b.e("hdr.udp.checksum"), Expr::bits(16, 0)),
            ),
            data: udp_data,
            checksum: b.lv("hdr.udp.checksum"),
            algorithm: HashAlgorithm::Csum16,
            with_payload: true,
        },
    });
    b.compute_checksum(compute);
    b.build().expect("the load balancer pipeline is valid")
}

/// An L2 switch with flooding, port mirroring and per-port packet registers.
///
/// Tables: `MyIngress.dmac` (exact `hdr.ethernet.dst_addr`; actions `MyIngress.forward(port)`,
/// `MyIngress.flood` which sets `mcast_grp = 1`). Packets from port 7 are cloned (I2E) to
/// session 100. Register `MyIngress.seen` (512 cells of 32 bits) counts packets per ingress
/// port. Egress drops flooded copies going back out of their ingress port.
pub fn l2_switch() -> Pipeline {
    let mut b = Builder::new("l2_switch");
    let eth_t = b.header_type(
        "ethernet_t",
        &[("dst_addr", 48), ("src_addr", 48), ("ether_type", 16)],
    );
    let eth = b.header("hdr.ethernet", eth_t);
    let meta_t = b.header_type("metadata_t", &[("count", 32), ("in_port", 9)]);
    b.metadata("meta", meta_t);
    b.field_list(1, &["meta.in_port"]);
    let start = b.state("start");
    b.set_state(
        start,
        vec![ParserOp::Extract {
            header: HeaderRef::Instance(eth),
        }],
        Transition::Accept,
    );
    b.emit(Emit::Header(eth));
    let forward = b.action(
        "MyIngress.forward",
        &[("port", 9)],
        vec![Stmt::Assign {
            dst: LValue::Field(b.sm("egress_spec")),
            src: param(0),
        }],
    );
    let flood = b.action(
        "MyIngress.flood",
        &[],
        vec![Stmt::Assign {
            dst: LValue::Field(b.sm("mcast_grp")),
            src: Expr::bits(16, 1),
        }],
    );
    let dmac = b.table(
        "MyIngress.dmac",
        &[("hdr.ethernet.dst_addr", MatchKind::Exact)],
        &[forward, flood],
        flood,
        1024,
    );
    let seen = b.extern_instance(
        "MyIngress.seen",
        ExternKind::Register {
            size: 512,
            width: 32,
        },
    );
    let port32 = Expr::cast(Ty::Bit(32), Expr::field(b.sm("ingress_port")));
    b.ingress(vec![
        b.assign("meta.in_port", Expr::field(b.sm("ingress_port"))),
        Stmt::Extern {
            call: ExternCall::RegisterRead {
                register: seen,
                dst: b.lv("meta.count"),
                index: port32.clone(),
            },
        },
        Stmt::Extern {
            call: ExternCall::RegisterWrite {
                register: seen,
                index: port32,
                value: Expr::binary(BinOp::Add, b.e("meta.count"), Expr::bits(32, 1)),
            },
        },
        Stmt::If {
            cond: Expr::binary(
                BinOp::Eq,
                Expr::field(b.sm("ingress_port")),
                Expr::bits(9, 7),
            ),
            then: vec![Stmt::Extern {
                call: ExternCall::Clone {
                    kind: ddsr_pipeline::externs::CloneKind::I2E,
                    session: Expr::bits(32, 100),
                    field_list: None,
                },
            }],
            els: vec![],
        },
        Stmt::Apply {
            table: dmac,
            arms: Default::default(),
        },
    ]);
    b.egress(vec![Stmt::If {
        cond: Expr::binary(
            BinOp::And,
            Expr::binary(
                BinOp::Eq,
                Expr::field(b.sm("instance_type")),
                Expr::bits(32, 5),
            ),
            Expr::binary(
                BinOp::Eq,
                Expr::field(b.sm("egress_port")),
                b.e("meta.in_port"),
            ),
        ),
        then: vec![mark_to_drop()],
        els: vec![],
    }]);
    b.build().expect("the L2 switch pipeline is valid")
}

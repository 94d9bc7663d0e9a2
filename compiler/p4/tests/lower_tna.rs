//! Lowering of TNA programs (`Switch(Pipeline(...))`) to the pipeline IR.
//!
//! - Every TNA program of the corpus (`compiler/tests/p4/tna/`) and of `p4/tna/` lowers to a
//!   valid pipeline equal to its snapshot `compiler/tests/p4/snapshots/tna/<name>.pipeline.json`
//!   (`DDSR_BLESS=1` rewrites them) and reads back from JSON unchanged.
//! - The TNA binding: the blocks' intrinsic metadata parameters are the binding's instances
//!   (the role program's `route` action writes `ig_tm_md.ucast_egress_port`), egress has
//!   its own headers, a deparser's checksum updates are its control and its emits the
//!   deparser, `Checksum.subtract`/`subtract_all_and_deposit` keep a ones'-complement
//!   accumulator, names and ids are bf-p4c's.
//! - Every program under `compiler/tests/p4/tna/bad/` gets exactly the diagnostics its
//!   `// Error: CODE line:column message` lines announce.
//! - The softswitch loads a TNA pipeline through its mapping, or names what it cannot run.

use std::fs;
use std::path::{Path, PathBuf};

use ddsr_diag::render_text;
use ddsr_p4::p4info::{Compiled, compile};
use ddsr_p4::syntax::{Options, parse_file};
use ddsr_pipeline::expr::{BinOp, Expr, LValue, UnOp};
use ddsr_pipeline::externs::{ExternKind, HashAlgorithm};
use ddsr_pipeline::program::{Architecture, Emit, Tna};
use ddsr_pipeline::stmt::ExternCall;
use ddsr_pipeline::types::HeaderRef;
use ddsr_pipeline::{FieldMatch, Pipeline, Stmt, TableEntry, Ty};

const TESTS: &str = "../tests/p4";
const PROGRAMS: &str = "../../p4";

fn p4_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "p4"))
        .collect();
    out.sort();
    out
}

fn build(path: &Path) -> Compiled {
    let parsed = parse_file(path, &Options::default());
    assert!(!parsed.diagnostics.has_errors(), "{}", path.display());
    let name = path.file_stem().unwrap().to_string_lossy().to_string();
    compile(&parsed.program, &name).unwrap_or_else(|d| {
        panic!(
            "{} does not lower:\n{}",
            path.display(),
            render_text(&parsed.sources, &d, false)
        )
    })
}

fn tna(p: &Pipeline) -> &Tna {
    p.package.tna().expect("a TNA pipeline")
}

fn role(name: &str) -> Pipeline {
    build(&Path::new(PROGRAMS).join(format!("tna/{name}.p4")))
        .lowered
        .pipeline
}

/// Every statement of `stmts`, nested ones included.
fn walk<'a>(stmts: &'a [Stmt], out: &mut Vec<&'a Stmt>) {
    for s in stmts {
        out.push(s);
        if let Stmt::If { then, els, .. } = s {
            walk(then, out);
            walk(els, out);
        }
    }
}

#[test]
fn tna_corpus_lowers_validates_and_matches_snapshots() {
    let bless = std::env::var_os("DDSR_BLESS").is_some();
    let mut files = p4_files(&Path::new(TESTS).join("tna"));
    files.extend(p4_files(&Path::new(PROGRAMS).join("tna")));
    assert!(files.len() >= 4, "the TNA programs are missing");
    let mut mismatches = Vec::new();
    for f in &files {
        let p = build(f).lowered.pipeline;
        assert_eq!(p.architecture(), Architecture::Tna, "{}", f.display());
        let json = p.to_json() + "\n";
        assert_eq!(
            Pipeline::from_json(&json).expect("the JSON loads"),
            p,
            "{}: JSON round trip",
            f.display()
        );
        let name = f.file_stem().unwrap().to_string_lossy().to_string();
        let snap = Path::new(TESTS).join(format!("snapshots/tna/{name}.pipeline.json"));
        if bless {
            fs::write(&snap, &json).unwrap();
        } else if fs::read_to_string(&snap).ok().as_deref() != Some(json.as_str()) {
            mismatches.push(snap.display().to_string());
        }
    }
    assert!(
        mismatches.is_empty(),
        "pipelines differ from their snapshots (DDSR_BLESS=1 rewrites them): {mismatches:?}"
    );
}

#[test]
fn intrinsic_metadata_binds_every_block_of_the_pipe() {
    let p = role("ingress");
    let t = tna(&p);
    assert_eq!(t.pipe, "pipe");
    let name = |h| p.headers[h].name.as_str();
    assert_eq!(name(t.ingress_intrinsic_metadata), "ig_intr_md");
    assert!(!p.headers[t.ingress_intrinsic_metadata].metadata);
    assert_eq!(name(t.ingress_intrinsic_metadata_for_tm), "ig_tm_md");
    assert_eq!(name(t.egress_intrinsic_metadata), "eg_intr_md");
    assert_eq!(p.controls[t.ingress].name, "DdsrIngress");
    assert_eq!(p.controls[t.egress].name, "DdsrEgress");
    assert_eq!(p.parser.name, "DdsrIngressParser");
    assert_eq!(t.egress_parser.name, "DdsrEgressParser");

    // The ingress parser extracts ig_intr_md first, then skips the port metadata.
    let start = &p.parser.states[p.parser.start];
    assert_eq!(
        serde_json::to_value(&start.ops[0]).unwrap(),
        serde_json::json!({"parser_op": "extract",
            "header": {"instance": t.ingress_intrinsic_metadata.index()}})
    );
    assert_eq!(
        serde_json::to_value(&start.ops[1]).unwrap(),
        serde_json::json!({"parser_op": "advance",
            "bits": {"op": "const", "ty": {"bit": 32}, "value": "0x40"}})
    );
    // The egress parser extracts eg_intr_md.
    let eg_start = &t.egress_parser.states[t.egress_parser.start];
    assert_eq!(
        serde_json::to_value(&eg_start.ops[0]).unwrap(),
        serde_json::json!({"parser_op": "extract",
            "header": {"instance": t.egress_intrinsic_metadata.index()}})
    );

    // `route` (in the sub-control DdsrRouting, whose parameter is the ingress control's
    // ig_tm_md) writes ucast_egress_port of the binding's ig_tm_md.
    let route = &p.actions[p.action_by_name("route").unwrap()];
    let tm = p.header_types[p.headers[t.ingress_intrinsic_metadata_for_tm].ty]
        .field_index("ucast_egress_port")
        .unwrap();
    let Stmt::Assign { dst, src } = &route.body[0] else {
        panic!("route starts with an assignment: {:?}", route.body[0]);
    };
    assert_eq!(
        dst.field().header,
        HeaderRef::Instance(t.ingress_intrinsic_metadata_for_tm)
    );
    assert_eq!(dst.field().field, tm);
    assert_eq!(src, &Expr::Param { index: 0 });

    // Dropping sets ig_dprsr_md.drop_ctl in the ingress control.
    let mut all = Vec::new();
    walk(&p.controls[t.ingress].body, &mut all);
    let drop_ctl = p.header_types[p.headers[t.ingress_intrinsic_metadata_for_deparser].ty]
        .field_index("drop_ctl")
        .unwrap();
    assert!(all.iter().any(|s| matches!(s,
        Stmt::Assign { dst: LValue::Field(f), src: Expr::Const { value: 1, .. } }
            if f.header == HeaderRef::Instance(t.ingress_intrinsic_metadata_for_deparser)
                && f.field == drop_ctl)));
}

#[test]
fn egress_has_its_own_headers_and_deparsers_split_into_control_and_emits() {
    let p = build(&Path::new(TESTS).join("tna/01_tna_resources.p4"))
        .lowered
        .pipeline;
    let t = tna(&p);
    let names = |emits: &[Emit]| -> Vec<String> {
        emits
            .iter()
            .map(|e| match e {
                Emit::Header(h) => p.headers[*h].name.clone(),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    assert_eq!(names(&p.deparser.emit), ["hdr.ethernet", "hdr.ipv4"]);
    assert_eq!(
        names(&t.egress_emit.emit),
        ["egress.hdr.ethernet", "egress.hdr.ipv4"]
    );
    // The ingress deparser's digest is its control, under the digest_type condition.
    let body = &p.controls[t.ingress_deparser].body;
    let Stmt::If { then, .. } = &body[0] else {
        panic!("{body:?}");
    };
    let Stmt::Extern {
        call: ExternCall::Digest { digest, data, .. },
    } = &then[0]
    else {
        panic!("{then:?}");
    };
    assert_eq!(p.externs[*digest].name, "pipe.TnaIngressDeparser.learned");
    assert!(
        matches!(p.externs[*digest].kind, ExternKind::Digest { ref fields } if fields.len() == 2)
    );
    assert_eq!(data.len(), 2);
    // bf-p4c's names and p4c's ids, as in the P4Info.
    let t = p.table_by_name("pipe.TnaIngress.mac").unwrap();
    assert_eq!(p.tables[t].id, 38778007);
    let sel = p.extern_by_name("pipe.TnaIngress.ecmp").unwrap();
    assert!(matches!(
        p.externs[sel].kind,
        ExternKind::ActionSelector {
            size: 256,
            algorithm: HashAlgorithm::Crc16,
            output_width: 16
        }
    ));
}

#[test]
fn checksums_keep_a_ones_complement_residual() {
    let p = role("ingress");
    let meta = p
        .headers
        .iter()
        .find(|(_, h)| h.name == "meta")
        .map(|(h, _)| h)
        .unwrap();
    let residual = p.header_types[p.headers[meta].ty]
        .field_index("ipv4_residual")
        .unwrap();
    let state = p
        .parser
        .states
        .iter()
        .find(|(_, s)| s.name == "parse_ipv4")
        .map(|(_, s)| s)
        .unwrap();
    let stmts: Vec<&Stmt> = state
        .ops
        .iter()
        .filter_map(|o| match o {
            ddsr_pipeline::parser::ParserOp::Stmt { stmt } => Some(stmt),
            _ => None,
        })
        .collect();
    // subtract({checksum, src, dst}): a csum16 of the three fields, added to the
    // accumulator with an end-around carry; deposit: the accumulator into meta.
    let Stmt::Extern {
        call:
            ExternCall::Hash {
                dst: LValue::Field(sum),
                algorithm: HashAlgorithm::Csum16,
                data,
                ..
            },
    } = stmts[0]
    else {
        panic!("{:?}", stmts[0]);
    };
    assert_eq!(data.len(), 3);
    let Stmt::Assign {
        dst: LValue::Field(carry),
        src: Expr::Binary {
            bin: BinOp::Add,
            lhs,
            rhs,
        },
    } = stmts[1]
    else {
        panic!("{:?}", stmts[1]);
    };
    let Expr::Cast {
        ty: Ty::Bit(17),
        arg,
    } = &**lhs
    else {
        panic!("{lhs:?}");
    };
    let Expr::Field { field: acc } = &**arg else {
        panic!("{arg:?}");
    };
    assert_eq!(
        **rhs,
        Expr::cast(Ty::Bit(17), Expr::field(*sum)),
        "subtract adds the complemented sum"
    );
    assert_eq!(
        stmts[2],
        &Stmt::Assign {
            dst: LValue::Field(*acc),
            src: Expr::binary(
                BinOp::Add,
                Expr::slice(Expr::field(*carry), 15, 0),
                Expr::cast(Ty::Bit(16), Expr::slice(Expr::field(*carry), 16, 16)),
            ),
        }
    );
    assert_eq!(
        stmts[3],
        &Stmt::Assign {
            dst: LValue::Field(ddsr_pipeline::FieldRef {
                header: HeaderRef::Instance(meta),
                field: residual,
            }),
            src: Expr::field(*acc),
        }
    );
    // The accumulator lives in the parser's locals, zeroed for each packet.
    let HeaderRef::Instance(h) = acc.header else {
        panic!()
    };
    assert_eq!(p.headers[h].name, "DdsrIngressParser");
    assert!(p.headers[h].metadata);

    // update(..., true): zeros_as_ones turns a computed 0 into 0xffff.
    let t = tna(&p);
    let mut all = Vec::new();
    walk(&p.controls[t.ingress_deparser].body, &mut all);
    assert!(all.iter().any(|s| matches!(s,
        Stmt::Assign { src: Expr::Mux { then, .. }, .. }
            if **then == Expr::bits(16, 0xffff))));
    assert!(
        !all.iter().any(|s| matches!(
            s,
            Stmt::Assign {
                src: Expr::Unary {
                    un: UnOp::BitNot,
                    ..
                },
                ..
            }
        )),
        "update does not complement the accumulator"
    );
}

/// `(code, line, column, message part)` of each announced diagnostic.
fn announced(text: &str) -> Vec<(String, usize, usize, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix("// Error: ") else {
            continue;
        };
        let mut parts = rest.splitn(3, ' ');
        let code = parts.next().unwrap_or_default().to_string();
        let (l, c) = parts
            .next()
            .and_then(|p| p.split_once(':'))
            .unwrap_or(("0", "0"));
        let message = parts.next().unwrap_or_default().to_string();
        out.push((code, l.parse().unwrap(), c.parse().unwrap(), message));
    }
    out.sort();
    out
}

#[test]
fn bad_tna_programs_get_their_diagnostics_at_line_and_column() {
    let files = p4_files(&Path::new(TESTS).join("tna/bad"));
    assert!(files.len() >= 5, "the bad TNA corpus is missing");
    for f in &files {
        let text = fs::read_to_string(f).unwrap();
        let want = announced(&text);
        assert!(!want.is_empty(), "{} announces no diagnostic", f.display());
        let parsed = parse_file(f, &Options::default());
        assert!(!parsed.diagnostics.has_errors(), "{}", f.display());
        let name = f.file_stem().unwrap().to_string_lossy().to_string();
        let diags = compile(&parsed.program, &name)
            .err()
            .unwrap_or_else(|| panic!("{} lowers", f.display()));
        let mut got: Vec<(String, usize, usize, String)> = diags
            .iter()
            .map(|d| {
                let (file, span) = d.position().expect("every diagnostic has a position");
                let (line, col) = parsed.sources.line_col(file, span.start);
                (d.code.to_string(), line, col, d.message.clone())
            })
            .collect();
        got.sort();
        assert_eq!(got.len(), want.len(), "{}: {got:?}", f.display());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!((&g.0, g.1, g.2), (&w.0, w.1, w.2), "{}", f.display());
            assert!(
                g.3.contains(&w.3),
                "{}: `{}` does not contain `{}`",
                f.display(),
                g.3,
                w.3
            );
        }
    }
}

#[test]
fn the_softswitch_loads_a_tna_pipeline_through_its_mapping_or_names_what_it_cannot_run() {
    // Every TNA role loads as lowered, with its tables and ids.
    for name in ["ingress", "server", "egress"] {
        let p = role(name);
        let sw = ddsr_softswitch::Switch::new(p.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(sw.pipeline().tables, p.tables, "{name}");
    }
    // A TNA program with egress headers to emit is refused with the reason.
    let p = build(&Path::new(TESTS).join("tna/01_tna_resources.p4"))
        .lowered
        .pipeline;
    let err = ddsr_softswitch::Switch::new(p)
        .err()
        .expect("egress emits do not load");
    assert_eq!(
        err.to_string(),
        "the TNA pipeline cannot run on the softswitch: the egress deparser emits headers; the \
         softswitch does not parse twice"
    );
}

/// Big-endian bytes of `v` in `bits` bits.
fn be(v: u128, bits: u16) -> Vec<u8> {
    let n = usize::from(bits).div_ceil(8);
    v.to_be_bytes()[16 - n..].to_vec()
}

/// An entry of table `table` with values given as integers, in key order.
fn entry(
    p: &Pipeline,
    table: &str,
    keys: &[(u128, Option<u16>)],
    action: &str,
    args: &[u128],
) -> TableEntry {
    let th = p.table_by_name(table).unwrap();
    let t = &p.tables[th];
    let matches = t
        .keys
        .iter()
        .zip(keys)
        .map(|(k, (v, prefix))| match prefix {
            Some(prefix_len) => FieldMatch::Lpm {
                value: be(*v, k.width),
                prefix_len: *prefix_len,
            },
            None => FieldMatch::Exact {
                value: be(*v, k.width),
            },
        })
        .collect();
    let ah = p.action_by_name(action).unwrap();
    let a = &p.actions[ah];
    ddsr_pipeline::TableEntry {
        table: th,
        matches,
        priority: 0,
        action: ddsr_pipeline::EntryAction::Action(ddsr_pipeline::ActionCall {
            action: ah,
            args: a
                .params
                .iter()
                .zip(args)
                .map(|(prm, v)| be(*v, prm.width))
                .collect(),
        }),
    }
}

/// The ones'-complement sum of `data` in 16-bit words.
fn ones_sum(data: &[u8]) -> u16 {
    let mut s: u32 = 0;
    for c in data.chunks(2) {
        let w = u32::from(c[0]) << 8 | u32::from(*c.get(1).unwrap_or(&0));
        s += w;
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    s as u16
}

/// An Ethernet/IPv4/TCP frame with correct checksums.
fn tcp_frame(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut tcp = Vec::new();
    tcp.extend(sport.to_be_bytes());
    tcp.extend(dport.to_be_bytes());
    tcp.extend(0x0102_0304u32.to_be_bytes());
    tcp.extend(0u32.to_be_bytes());
    tcp.extend([0x50, 0x18, 0x20, 0x00, 0, 0, 0, 0]);
    tcp.extend(payload);
    let mut pseudo = Vec::new();
    pseudo.extend(src);
    pseudo.extend(dst);
    pseudo.extend([0, 6]);
    pseudo.extend((tcp.len() as u16).to_be_bytes());
    pseudo.extend(&tcp);
    let c = !ones_sum(&pseudo);
    tcp[16..18].copy_from_slice(&c.to_be_bytes());
    let mut ip = vec![0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0];
    ip[2..4].copy_from_slice(&((20 + tcp.len()) as u16).to_be_bytes());
    ip.extend(src);
    ip.extend(dst);
    let c = !ones_sum(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
    f.extend(ip);
    f.extend(tcp);
    f
}

/// Loads `p` (through the TNA mapping when it is a TNA pipeline) with the same entries.
fn ingress_switch(p: &Pipeline) -> ddsr_softswitch::Switch {
    let runnable = match p.architecture() {
        Architecture::Tna => ddsr_softswitch::tna::to_v1model(p).expect("the mapping applies"),
        Architecture::V1model => p.clone(),
    };
    let mut sw = ddsr_softswitch::Switch::new(runnable).expect("the pipeline loads");
    let vip = (10u128 << 24) | 100;
    let backend = (192u128 << 24) | (168 << 16) | (1 << 8) | 10;
    let net = (192u128 << 24) | (168 << 16) | (1 << 8);
    sw.insert(entry(
        p,
        "vip_v4",
        &[(vip, None), (6, None), (80, None)],
        "to_pool",
        &[1, 2, 8080],
    ))
    .unwrap();
    // Every bucket of both hashings (251 for v1model, 256 for TNA) to one backend.
    for b in 0..256 {
        sw.insert(entry(
            p,
            "backends_v4",
            &[(2, None), (b, None)],
            "to_backend_v4",
            &[3, backend],
        ))
        .unwrap();
    }
    sw.insert(entry(
        p,
        "routes_v4",
        &[(net, Some(24))],
        "route",
        &[5, 0x0200_0000_0005],
    ))
    .unwrap();
    sw
}

#[test]
fn tna_ingress_role_forwards_as_the_v1model_one() {
    let tna_p = role("ingress");
    let v1_p = build(&Path::new(PROGRAMS).join("v1model/ingress.p4"))
        .lowered
        .pipeline;
    let mut tna_sw = ingress_switch(&tna_p);
    let mut v1_sw = ingress_switch(&v1_p);
    let frames = [
        // To the VIP: destination rewritten to the backend and the service port.
        tcp_frame([10, 1, 1, 1], [10, 0, 0, 100], 40000, 80, b"hello"),
        tcp_frame([10, 1, 1, 2], [10, 0, 0, 100], 40001, 80, b"odd length"),
        // Routed, not a VIP: only the MACs change; the checksums come back as they were.
        tcp_frame([10, 1, 1, 1], [192, 168, 1, 20], 40000, 443, b"x"),
        // No route: the default port.
        tcp_frame([10, 1, 1, 1], [8, 8, 8, 8], 40000, 53, b""),
    ];
    let mut seen_vip = false;
    for (i, frame) in frames.iter().enumerate() {
        let mut a = ddsr_softswitch::switch::Output::default();
        let mut b = ddsr_softswitch::switch::Output::default();
        tna_sw.process(3, frame, 1_000, &mut a, None);
        v1_sw.process(3, frame, 1_000, &mut b, None);
        let got: Vec<(u16, Vec<u8>)> = a
            .packets()
            .iter()
            .map(|p| (p.port, p.data.clone()))
            .collect();
        let want: Vec<(u16, Vec<u8>)> = b
            .packets()
            .iter()
            .map(|p| (p.port, p.data.clone()))
            .collect();
        assert_eq!(got.len(), 1, "frame {i}: one packet out");
        assert_eq!(got, want, "frame {i}: TNA and v1model differ");
        let (port, out) = &got[0];
        if i < 2 {
            assert_eq!(*port, 5, "frame {i}");
            assert_eq!(
                &out[30..34],
                &[192, 168, 1, 10],
                "frame {i}: backend address"
            );
            assert_eq!(
                &out[36..38],
                &8080u16.to_be_bytes(),
                "frame {i}: service port"
            );
            // Both checksums verify after the rewrite.
            assert_eq!(ones_sum(&out[14..34]), 0xffff, "frame {i}: IPv4 checksum");
            let tcp = &out[34..];
            let mut pseudo = out[26..34].to_vec();
            pseudo.extend([0, 6]);
            pseudo.extend((tcp.len() as u16).to_be_bytes());
            pseudo.extend(tcp);
            assert_eq!(ones_sum(&pseudo), 0xffff, "frame {i}: TCP checksum");
            seen_vip = true;
        } else if i == 2 {
            assert_eq!(*port, 5);
            assert_eq!(&out[14..], &frame[14..], "only the MACs change");
        } else {
            assert_eq!(*port, 1, "the default port");
        }
    }
    assert!(seen_vip);
}

#[test]
fn the_tna_mapping_refuses_what_one_pass_cannot_run() {
    // 01_tna_resources parses nothing in egress but emits its egress headers.
    let p = build(&Path::new(TESTS).join("tna/01_tna_resources.p4"))
        .lowered
        .pipeline;
    assert_eq!(
        ddsr_softswitch::tna::to_v1model(&p).err(),
        Some(ddsr_softswitch::tna::TnaError::EgressEmit)
    );
    let v1 = build(&Path::new(PROGRAMS).join("v1model/ingress.p4"))
        .lowered
        .pipeline;
    assert_eq!(
        ddsr_softswitch::tna::to_v1model(&v1).err(),
        Some(ddsr_softswitch::tna::TnaError::NotTna)
    );
}

#[test]
fn validation_checks_the_tna_binding() {
    let good = role("ingress");
    let mut p = good.clone();
    let ddsr_pipeline::program::Package::Tna(t) = &mut p.package else {
        panic!("a TNA pipeline");
    };
    // A packet header where metadata belongs, a metadata instance where the extracted
    // header belongs, a control out of range.
    let eth = good
        .headers
        .iter()
        .find(|(_, h)| h.name == "hdr.ethernet")
        .map(|(h, _)| h)
        .unwrap();
    t.ingress_intrinsic_metadata_for_tm = eth;
    t.egress_intrinsic_metadata = t.ingress_intrinsic_metadata_for_deparser;
    t.egress = ddsr_pipeline::Handle::new(999);
    let problems: Vec<String> = ddsr_pipeline::valid::validate(&p)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(
        problems.iter().any(|m| m.starts_with("package.egress:")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(
            |m| m.starts_with("package.ingress_intrinsic_metadata_for_tm:")
                && m.contains("must be metadata")
        ),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|m| m.starts_with("package.egress_intrinsic_metadata:")
                && m.contains("must be a packet header")),
        "{problems:?}"
    );
    // A TNA binding's JSON with an unknown key does not load.
    let json = good
        .to_json()
        .replace("\"pipe\": \"pipe\"", "\"pipe\": \"pipe\", \"extra\": 1");
    assert!(Pipeline::from_json(&json).is_err());
}

#[test]
fn every_tna_role_maps_onto_the_softswitch() {
    for name in ["ingress", "server", "egress"] {
        let p = role(name);
        let q = ddsr_softswitch::tna::to_v1model(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(q.architecture(), Architecture::V1model);
        assert_eq!(q.tables, p.tables, "{name}: tables unchanged");
        assert_eq!(q.actions, p.actions, "{name}: actions unchanged");
        assert!(ddsr_softswitch::Switch::new(q).is_ok(), "{name} loads");
    }
}

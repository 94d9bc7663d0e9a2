//! The IR: building, JSON round trips, validation errors with their paths, and robustness of the
//! loader against malformed input.

use ddsr_pipeline::entry::ProfileMember;
use ddsr_pipeline::externs::ExternKind;
use ddsr_pipeline::parser::{CaseKeys, KeySet, Next, ParserOp, SelectCase, Transition};
use ddsr_pipeline::program::Emit;
use ddsr_pipeline::types::HeaderRef;
use ddsr_pipeline::valid::{MAX_DEPTH, Problem, validate};
use ddsr_pipeline::*;
use proptest::prelude::*;

/// Ethernet + IPv4 parser, an LPM route table and a ternary ACL.
fn router() -> Pipeline {
    let mut b = Builder::new("router");
    let eth_t = b.header_type(
        "ethernet_t",
        &[("dst", 48), ("src", 48), ("ether_type", 16)],
    );
    let ip_t = b.header_type(
        "ipv4_t",
        &[
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
        ],
    );
    let eth = b.header("hdr.ethernet", eth_t);
    let ip = b.header("hdr.ipv4", ip_t);
    let start = b.state("start");
    let parse_ip = b.state("parse_ipv4");
    b.set_state(
        start,
        vec![ParserOp::Extract {
            header: HeaderRef::Instance(eth),
        }],
        Transition::Select {
            keys: vec![b.e("hdr.ethernet.ether_type")],
            cases: vec![
                SelectCase {
                    keyset: CaseKeys::Tuple(vec![KeySet::Value { value: 0x0800 }]),
                    next: Next::State(parse_ip),
                },
                SelectCase {
                    keyset: CaseKeys::Default,
                    next: Next::Accept,
                },
            ],
        },
    );
    b.set_state(
        parse_ip,
        vec![ParserOp::Extract {
            header: HeaderRef::Instance(ip),
        }],
        Transition::Accept,
    );
    let drop = b.action(
        "MyIngress.drop",
        &[],
        vec![Stmt::Extern {
            call: ExternCall::MarkToDrop,
        }],
    );
    let fwd = b.action(
        "MyIngress.forward",
        &[("port", 9)],
        vec![Stmt::Assign {
            dst: LValue::Field(b.sm("egress_spec")),
            src: Expr::Param { index: 0 },
        }],
    );
    let lpm = b.table(
        "MyIngress.ipv4_lpm",
        &[("hdr.ipv4.dst_addr", MatchKind::Lpm)],
        &[fwd, drop],
        drop,
        1024,
    );
    let acl = b.table(
        "MyIngress.acl",
        &[
            ("hdr.ipv4.src_addr", MatchKind::Ternary),
            ("hdr.ipv4.protocol", MatchKind::Range),
        ],
        &[drop, fwd],
        fwd,
        64,
    );
    b.table_mut(acl).default_action.args = vec![vec![0, 1]];
    b.ingress(vec![Stmt::If {
        cond: Expr::IsValid {
            header: HeaderRef::Instance(ip),
        },
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
        els: vec![],
    }]);
    b.emit(Emit::Header(eth));
    b.emit(Emit::Header(ip));
    b.build().expect("router is valid")
}

/// The v1model binding of a pipeline made by [`Builder`].
fn v1(p: &Pipeline) -> program::V1Switch {
    p.package
        .v1switch()
        .expect("builders make v1model pipelines")
}

fn problems(p: &Pipeline) -> Vec<String> {
    validate(p)
        .err()
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn json_round_trip_is_lossless_and_validated() {
    let p = router();
    let text = p.to_json();
    let back = Pipeline::from_json(&text).expect("loads");
    assert_eq!(back, p);
    assert!(text.contains("\"MyIngress.ipv4_lpm\""));
    assert!(text.contains("\"0x800\""), "constants are hex strings");
}

#[test]
fn wrong_version_is_reported_alone() {
    let mut p = router();
    p.format_version = 9;
    assert_eq!(
        problems(&p),
        ["format_version: expected format_version 1, found 9"]
    );
}

#[test]
fn dangling_handles_name_their_path() {
    let mut p = router();
    p.tables[Handle::new(0)].actions[0].action = Handle::new(7);
    let c = v1(&p).ingress;
    p.controls[c].body.push(Stmt::Apply {
        table: Handle::new(5),
        arms: Default::default(),
    });
    assert_eq!(
        problems(&p),
        [
            "tables[0].actions[0]: no action #7 (there are 2)",
            "controls[1].body[1]: no table #5 (there are 2)",
        ]
    );
}

#[test]
fn type_errors_say_expected_and_found() {
    let mut p = router();
    let ttl = FieldRef::new(Handle::new(2), 7);
    let c = v1(&p).egress;
    p.controls[c].body = vec![
        Stmt::Assign {
            dst: LValue::Field(ttl),
            src: Expr::bits(16, 1),
        },
        Stmt::If {
            cond: Expr::field(ttl),
            then: vec![],
            els: vec![],
        },
        Stmt::Assign {
            dst: LValue::Field(ttl),
            src: Expr::binary(
                BinOp::Add,
                Expr::field(ttl),
                Expr::Const {
                    ty: Ty::Int(8),
                    value: 1,
                },
            ),
        },
        Stmt::Assign {
            dst: LValue::Field(ttl),
            src: Expr::Param { index: 0 },
        },
    ];
    assert_eq!(
        problems(&p),
        [
            "controls[2].body[0]: expected bit<8>, found bit<16>",
            "controls[2].body[1].cond: expected bool, found bit<8>",
            "controls[2].body[2].src: expected bit<8>, found int<8>",
            "controls[2].body[3].src: an action parameter outside an action is not allowed here",
        ]
    );
}

#[test]
fn bad_const_entries_and_defaults_are_reported() {
    let mut p = router();
    let lpm = p.table_by_name("MyIngress.ipv4_lpm").unwrap();
    let fwd = p.action_by_name("MyIngress.forward").unwrap();
    p.tables[lpm].entries.push(TableEntry {
        table: lpm,
        matches: vec![FieldMatch::Lpm {
            value: vec![10, 0, 0, 1],
            prefix_len: 8,
        }],
        priority: 0,
        action: EntryAction::Action(ActionCall {
            action: fwd,
            args: vec![vec![0, 2]],
        }),
    });
    p.tables[lpm].default_action = ActionCall {
        action: fwd,
        args: vec![],
    };
    assert_eq!(
        problems(&p),
        [
            "tables[0].default_action: action `MyIngress.forward` takes 1 arguments, found 0",
            "tables[0].entries[0]: key `hdr.ipv4.dst_addr`: the value has bits set outside the prefix",
        ]
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let mut p = router();
    let mut e = Expr::bits(8, 1);
    for _ in 0..1000 {
        e = Expr::unary(UnOp::BitNot, e);
    }
    let c = v1(&p).egress;
    p.controls[c].body = vec![Stmt::Assign {
        dst: LValue::Field(FieldRef::new(Handle::new(2), 7)),
        src: e,
    }];
    let errs = validate(&p).unwrap_err();
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].problem, Problem::TooDeep(MAX_DEPTH));
    let nested = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    assert!(matches!(
        Pipeline::from_json(&nested),
        Err(LoadError::Syntax { line: 1, .. })
    ));
}

#[test]
fn syntax_errors_carry_line_and_column() {
    let text = router()
        .to_json()
        .replacen("\"program\"", "\"programme\"", 1);
    let err = Pipeline::from_json(&text).unwrap_err();
    match err {
        LoadError::Syntax { line, message, .. } => {
            assert_eq!(line, 3);
            assert!(message.contains("unknown field `programme`"), "{message}");
        }
        other => panic!("expected a syntax error, found {other}"),
    }
}

#[test]
fn standard_metadata_must_have_required_fields() {
    let mut p = router();
    let smt = p.headers[v1(&p).standard_metadata].ty;
    p.header_types[smt]
        .fields
        .retain(|f| f.name != "egress_spec");
    let errs = problems(&p);
    assert!(
        errs.contains(
            &"package.standard_metadata: standard metadata lacks the field `egress_spec`"
                .to_string()
        ),
        "{errs:?}"
    );
}

#[test]
fn profile_members_are_checked_against_tables_using_the_profile() {
    let mut b = Builder::new("sel");
    let t = b.header_type("h_t", &[("a", 8)]);
    b.header("hdr.h", t);
    let prof = b.extern_instance(
        "MyIngress.sel",
        ExternKind::ActionSelector {
            size: 16,
            algorithm: externs::HashAlgorithm::Crc16,
            output_width: 14,
        },
    );
    let na = b.action("NoAction", &[], vec![]);
    let set = b.action(
        "MyIngress.set",
        &[("v", 8)],
        vec![b.assign("hdr.h.a", Expr::Param { index: 0 })],
    );
    let tab = b.table(
        "MyIngress.t",
        &[("hdr.h.a", MatchKind::Exact)],
        &[set, na],
        na,
        8,
    );
    b.table_mut(tab).implementation = table::Implementation::ActionSelector(prof);
    let p = b.build().unwrap();
    let good = ProfileMember {
        profile: prof,
        member: 1,
        action: ActionCall {
            action: set,
            args: vec![vec![5]],
        },
    };
    assert_eq!(good.check(&p), Ok(()));
    let bad = ProfileMember {
        action: ActionCall {
            action: set,
            args: vec![vec![5, 0]],
        },
        ..good
    };
    assert_eq!(
        bad.check(&p).unwrap_err().to_string(),
        "action `MyIngress.set` parameter `v`: expected 1 bytes holding 8 bits, found `0500`"
    );
    let direct = TableEntry {
        table: tab,
        matches: vec![FieldMatch::Exact { value: vec![1] }],
        priority: 0,
        action: EntryAction::Action(ActionCall {
            action: set,
            args: vec![vec![1]],
        }),
    };
    assert_eq!(
        direct.check(&p).unwrap_err().to_string(),
        "table `MyIngress.t` takes action selector members or groups, found an action"
    );
}

/// Replaces the `n`-th number or string leaf (modulo the leaf count) of a JSON document.
fn replace_leaf(doc: &mut serde_json::Value, n: usize, with: serde_json::Value) {
    fn count(v: &serde_json::Value) -> usize {
        match v {
            serde_json::Value::Array(a) => a.iter().map(count).sum(),
            serde_json::Value::Object(o) => o.values().map(count).sum(),
            serde_json::Value::Number(_) | serde_json::Value::String(_) => 1,
            _ => 0,
        }
    }
    fn walk(v: &mut serde_json::Value, n: &mut usize, with: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::Array(a) => a.iter_mut().any(|x| walk(x, n, with)),
            serde_json::Value::Object(o) => o.values_mut().any(|x| walk(x, n, with)),
            serde_json::Value::Number(_) | serde_json::Value::String(_) => {
                if *n == 0 {
                    *v = with.clone();
                    return true;
                }
                *n -= 1;
                false
            }
            _ => false,
        }
    }
    let mut n = n % count(doc).max(1);
    walk(doc, &mut n, &with);
}

fn mutate(seed: &[(usize, i64)]) -> String {
    let mut doc: serde_json::Value = serde_json::from_str(&router().to_json()).unwrap();
    for (pick, val) in seed {
        let with = match val % 4 {
            0 => serde_json::json!(val.unsigned_abs() % 70_000),
            1 => serde_json::json!(format!("{:#x}", val.unsigned_abs())),
            2 => serde_json::json!(val),
            _ => serde_json::json!("bogus"),
        };
        replace_leaf(&mut doc, *pick, with);
    }
    doc.to_string()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Any corruption of a valid pipeline's numbers and strings loads or fails with an error,
    /// never a panic.
    #[test]
    fn corrupted_pipelines_never_panic(seed in proptest::collection::vec((any::<usize>(), any::<i64>()), 1..6)) {
        let text = mutate(&seed);
        if let Ok(p) = Pipeline::from_json(&text) {
            prop_assert!(validate(&p).is_ok());
        }
    }
}

#[test]
fn reference_lookup_follows_priority_and_prefix_rules() {
    let p = router();
    let lpm = p.table_by_name("MyIngress.ipv4_lpm").unwrap();
    let acl = p.table_by_name("MyIngress.acl").unwrap();
    let fwd = p.action_by_name("MyIngress.forward").unwrap();
    let call = |port: u8| {
        EntryAction::Action(ActionCall {
            action: fwd,
            args: vec![vec![0, port]],
        })
    };
    let route = |a: [u8; 4], len: u16, port: u8| TableEntry {
        table: lpm,
        matches: vec![FieldMatch::Lpm {
            value: a.to_vec(),
            prefix_len: len,
        }],
        priority: 0,
        action: call(port),
    };
    let routes = vec![
        route([10, 0, 0, 0], 8, 1),
        route([10, 1, 0, 0], 16, 2),
        route([0; 4], 0, 3),
    ];
    for e in &routes {
        e.check(&p).unwrap();
    }
    let t = &p.tables[lpm];
    let hit = |k: [u8; 4]| lookup::lookup(t, &routes, &[&k]).map(|e| e.action.clone());
    assert_eq!(hit([10, 1, 2, 3]), Some(call(2)));
    assert_eq!(hit([10, 2, 2, 3]), Some(call(1)));
    assert_eq!(hit([11, 0, 0, 0]), Some(call(3)));

    let rule = |v: [u8; 4], m: [u8; 4], lo: u8, hi: u8, prio: i32, port: u8| TableEntry {
        table: acl,
        matches: vec![
            FieldMatch::Ternary {
                value: v.to_vec(),
                mask: m.to_vec(),
            },
            FieldMatch::Range {
                low: vec![lo],
                high: vec![hi],
            },
        ],
        priority: prio,
        action: call(port),
    };
    let rules = vec![
        rule([10, 0, 0, 0], [255, 0, 0, 0], 0, 255, 10, 1),
        rule([10, 1, 0, 0], [255, 255, 0, 0], 6, 6, 20, 2),
        rule([0; 4], [0; 4], 17, 17, 5, 3),
    ];
    for e in &rules {
        e.check(&p).unwrap();
    }
    let t = &p.tables[acl];
    let hit = |k: [u8; 4], proto: u8| {
        lookup::lookup(t, &rules, &[&k, &[proto]]).map(|e| e.action.clone())
    };
    assert_eq!(hit([10, 1, 0, 9], 6), Some(call(2)), "higher priority wins");
    assert_eq!(hit([10, 1, 0, 9], 17), Some(call(1)));
    assert_eq!(hit([11, 1, 0, 9], 17), Some(call(3)));
    assert_eq!(hit([11, 1, 0, 9], 6), None);
    let mut no_prio = rules[0].clone();
    no_prio.priority = 0;
    assert_eq!(
        no_prio.check(&p).unwrap_err().to_string(),
        "table `MyIngress.acl` has ternary, range or optional keys: expected a priority > 0, found 0"
    );
}

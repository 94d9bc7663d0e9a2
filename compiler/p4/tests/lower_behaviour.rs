//! Focused lowering and P4Info behaviour on small programs: ids and names, const entries and
//! their priorities, select keysets, inlined sub-controls, and the diagnostics of what the
//! pipeline IR cannot express.

use ddsr_diag::Diagnostic;
use ddsr_p4::p4info::{Compiled, compile};
use ddsr_p4::syntax::{Options, Parsed, parse_str};
use ddsr_pipeline::entry::{EntryAction, FieldMatch};
use ddsr_pipeline::parser::{CaseKeys, KeySet, Next, Transition};
use ddsr_pipeline::stmt::Stmt;
use ddsr_proto::ids::{Prefix, hashed_id};

const HEADERS: &str = r#"
#include <core.p4>
#include <v1model.p4>
header eth_t { bit<48> dst; bit<48> src; bit<16> ty; }
struct headers_t { eth_t eth; }
struct meta_t { bit<8> a; bit<16> b; }
"#;

/// A program with `parser_states` as the parser's states and `ingress` as the ingress body
/// (declarations first, then `apply { ... }`).
fn program(parser_states: &str, ingress: &str) -> String {
    format!(
        r#"{HEADERS}
parser P(packet_in pkt, out headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {{
{parser_states}
}}
control V(inout headers_t hdr, inout meta_t meta) {{ apply {{ }} }}
control I(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {{
{ingress}
}}
control E(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {{ apply {{ }} }}
control C(inout headers_t hdr, inout meta_t meta) {{ apply {{ }} }}
control D(packet_out pkt, in headers_t hdr) {{ apply {{ pkt.emit(hdr.eth); }} }}
V1Switch(P(), V(), I(), E(), C(), D()) main;
"#
    )
}

const SIMPLE_PARSER: &str = "state start { pkt.extract(hdr.eth); transition accept; }";

fn build(src: &str) -> (Parsed, Result<Compiled, Vec<Diagnostic>>) {
    let parsed = parse_str("t.p4", src, &Options::default());
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let r = compile(&parsed.program, "t");
    (parsed, r)
}

fn ok(src: &str) -> Compiled {
    match build(src).1 {
        Ok(c) => c,
        Err(d) => panic!("{d:#?}"),
    }
}

#[test]
fn ids_follow_p4c_and_are_written_into_the_pipeline() {
    let c = ok(&program(
        SIMPLE_PARSER,
        r#"
    action set(bit<9> port) { sm.egress_spec = port; }
    @id(0x123) action other() { }
    table t { key = { hdr.eth.dst: exact; } actions = { set; other; } }
    apply { t.apply(); }"#,
    ));
    let p = &c.lowered.pipeline;
    let t = p.table_by_name("I.t").expect("table named I.t");
    assert_eq!(p.tables[t].id, hashed_id(Prefix::Table, "I.t"));
    let set = p.action_by_name("I.set").unwrap();
    assert_eq!(p.actions[set].id, hashed_id(Prefix::Action, "I.set"));
    let other = p.action_by_name("I.other").unwrap();
    assert_eq!(p.actions[other].id, 0x0100_0123);
    let info_table = &c.p4info.tables[0];
    let pre = info_table.preamble.as_ref().unwrap();
    assert_eq!(
        (pre.id, pre.name.as_str(), pre.alias.as_str()),
        (p.tables[t].id, "I.t", "t")
    );
    assert_eq!(info_table.match_fields[0].name, "hdr.eth.dst");
    assert_eq!(info_table.match_fields[0].bitwidth, 48);
    assert_eq!(info_table.size, 1024);
    // No default action given: NoAction, added as default-only (scope 2).
    let no_action = hashed_id(Prefix::Action, "NoAction");
    assert!(
        info_table
            .action_refs
            .iter()
            .any(|r| r.id == no_action && r.scope == 2)
    );
    let names: Vec<_> = c
        .p4info
        .actions
        .iter()
        .map(|a| a.preamble.as_ref().unwrap().name.clone())
        .collect();
    assert_eq!(names, ["I.other", "I.set", "NoAction"]);
}

#[test]
fn const_entries_get_descending_priorities_and_canonical_bytes() {
    let c = ok(&program(
        SIMPLE_PARSER,
        r#"
    action fwd(bit<9> port) { sm.egress_spec = port; }
    action drop() { mark_to_drop(sm); }
    table acl {
        key = { hdr.eth.ty: ternary; meta.a: range; }
        actions = { fwd; drop; }
        const default_action = drop();
        const entries = {
            (0x0800 &&& 0xff00, 1 .. 7): fwd(3);
            (_, _): drop();
            (0x86dd, 5): fwd(511);
        }
    }
    apply { acl.apply(); }"#,
    ));
    let p = &c.lowered.pipeline;
    let t = &p.tables[p.table_by_name("I.acl").unwrap()];
    assert!(t.entries_const && t.default_const);
    let prios: Vec<i32> = t.entries.iter().map(|e| e.priority).collect();
    assert_eq!(prios, [3, 2, 1]);
    assert_eq!(
        t.entries[0].matches,
        [
            FieldMatch::Ternary {
                value: vec![0x08, 0x00],
                mask: vec![0xff, 0x00]
            },
            FieldMatch::Range {
                low: vec![1],
                high: vec![7]
            },
        ]
    );
    assert_eq!(
        t.entries[1].matches,
        [
            FieldMatch::Ternary {
                value: vec![0, 0],
                mask: vec![0, 0]
            },
            FieldMatch::Range {
                low: vec![0],
                high: vec![0xff]
            },
        ]
    );
    let EntryAction::Action(call) = &t.entries[2].action else {
        panic!()
    };
    assert_eq!(call.args, [vec![0x01, 0xff]]);
    let info = &c.p4info.tables[0];
    assert!(info.is_const_table && info.has_initial_entries);
    assert_eq!(
        info.const_default_action_id,
        hashed_id(Prefix::Action, "I.drop")
    );
    for e in &t.entries {
        e.check(p).unwrap();
    }
}

#[test]
fn select_keysets_lower_to_values_masks_ranges_and_default() {
    let c = ok(&program(
        r#"
    state start {
        pkt.extract(hdr.eth);
        transition select(hdr.eth.ty, hdr.eth.dst[7:0]) {
            (0x0800, _): ipv4;
            (0x8100 &&& 0xefff, 0 .. 9): accept;
            default: reject;
        }
    }
    state ipv4 { transition accept; }"#,
        "apply { }",
    ));
    let parser = &c.lowered.pipeline.parser;
    let start = &parser.states[parser.start];
    let Transition::Select { keys, cases } = &start.transition else {
        panic!("{:?}", start.transition)
    };
    assert_eq!(keys.len(), 2);
    assert_eq!(
        cases[0].keyset,
        CaseKeys::Tuple(vec![KeySet::Value { value: 0x0800 }, KeySet::Any])
    );
    assert!(matches!(cases[0].next, Next::State(s) if parser.states[s].name == "ipv4"));
    assert_eq!(
        cases[1].keyset,
        CaseKeys::Tuple(vec![
            KeySet::Mask {
                value: 0x8100 & 0xefff,
                mask: 0xefff
            },
            KeySet::Range { lo: 0, hi: 9 },
        ])
    );
    assert_eq!(cases[1].next, Next::Accept);
    assert_eq!(
        (cases[2].keyset.clone(), cases[2].next),
        (CaseKeys::Default, Next::Reject)
    );
}

#[test]
fn sub_control_instances_get_their_own_tables_and_constructor_arguments() {
    let src = format!(
        r#"{HEADERS}
control Guard(inout meta_t m)(bit<8> step) {{
    action bump() {{ m.a = m.a + step; }}
    table t {{ key = {{ m.b: exact; }} actions = {{ bump; }} }}
    apply {{ t.apply(); m.a = m.a - step; }}
}}
parser P(packet_in pkt, out headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {{
    state start {{ transition accept; }}
}}
control V(inout headers_t hdr, inout meta_t meta) {{ apply {{ }} }}
control I(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {{
    Guard(1) one;
    Guard(2) two;
    apply {{ one.apply(meta); two.apply(meta); }}
}}
control E(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {{ apply {{ }} }}
control C(inout headers_t hdr, inout meta_t meta) {{ apply {{ }} }}
control D(packet_out pkt, in headers_t hdr) {{ apply {{ }} }}
V1Switch(P(), V(), I(), E(), C(), D()) main;
"#
    );
    let c = ok(&src);
    let p = &c.lowered.pipeline;
    let tables: Vec<_> = p.tables.iter().map(|(_, t)| t.name.clone()).collect();
    assert_eq!(tables, ["I.one.t", "I.two.t"]);
    let actions: Vec<_> = p.actions.iter().map(|(_, a)| a.name.clone()).collect();
    assert!(
        actions.contains(&"I.one.bump".to_string()) && actions.contains(&"I.two.bump".to_string())
    );
    // The constructor argument is a constant in each copy: `m.a = m.a - 2` in the second.
    let ingress = &p.controls[p.package.v1switch().expect("a v1model program").ingress];
    let subtracts: Vec<String> = ingress
        .body
        .iter()
        .filter_map(|s| match s {
            Stmt::Assign { src, .. } => Some(serde_json::to_string(src).unwrap()),
            _ => None,
        })
        .collect();
    assert_eq!(subtracts.len(), 2);
    assert!(
        subtracts[0].contains("\"0x1\"") && subtracts[1].contains("\"0x2\""),
        "{subtracts:?}"
    );
}

#[test]
fn unsupported_constructs_are_reported_at_their_place() {
    let src = format!(
        r#"{HEADERS}
header h_t {{ bit<8> f; }}
struct hs_t {{ h_t[4] s; }}
parser P(packet_in pkt, out hs_t hdr, inout meta_t meta, inout standard_metadata_t sm) {{
    state start {{ transition accept; }}
}}
control V(inout hs_t hdr, inout meta_t meta) {{ apply {{ }} }}
control I(inout hs_t hdr, inout meta_t meta, inout standard_metadata_t sm) {{
    action a() {{ }}
    table t {{ key = {{ hdr.s[meta.a].f: exact; }} actions = {{ a; }} }}
    apply {{
        t.apply();
    }}
}}
control E(inout hs_t hdr, inout meta_t meta, inout standard_metadata_t sm) {{ apply {{ }} }}
control C(inout hs_t hdr, inout meta_t meta) {{ apply {{ }} }}
control D(packet_out pkt, in hs_t hdr) {{ apply {{ }} }}
V1Switch(P(), V(), I(), E(), C(), D()) main;
"#
    );
    let (parsed, r) = build(&src);
    // Run-time indices are expanded in statements, not in table keys.
    let diags = r.expect_err("a run-time stack index in a table key");
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].code.0, 400);
    let (file, span) = diags[0].position().unwrap();
    let text = &src[span.start as usize..span.end as usize];
    assert_eq!(text, "meta.a");
    let (line, col) = parsed.sources.line_col(file, span.start);
    let expected_line = src[..src.find("hdr.s[meta.a]").unwrap()].lines().count();
    assert_eq!((line, col), (expected_line, 29));
}

#[test]
fn table_results_in_expressions_keep_short_circuit_order() {
    let c = ok(&program(
        SIMPLE_PARSER,
        r#"
    action a() { }
    table t1 { key = { meta.a: exact; } actions = { a; } }
    table t2 { key = { meta.b: exact; } actions = { a; } }
    apply {
        if (meta.a == 1 && t2.apply().miss) { meta.b = 7; }
        bool h = t1.apply().hit;
        if (h) { meta.a = 2; }
    }"#,
    ));
    let p = &c.lowered.pipeline;
    let body = &p.controls[p.package.v1switch().expect("a v1model program").ingress].body;
    let t2 = p.table_by_name("I.t2").unwrap();
    let t1 = p.table_by_name("I.t1").unwrap();
    // cond = (meta.a == 1); if (cond) { apply t2 -> hit flag; cond = !flag }; if (cond) ...
    let [
        Stmt::Assign { .. },
        Stmt::If { then, els, .. },
        Stmt::If { .. },
        Stmt::Apply { table, .. },
        ..,
    ] = body.as_slice()
    else {
        panic!("{body:#?}");
    };
    assert!(els.is_empty());
    assert!(
        matches!(then.as_slice(), [Stmt::Apply { table, .. }, Stmt::Assign { .. }] if *table == t2)
    );
    assert_eq!(*table, t1);
}

#[test]
fn user_externs_may_be_instantiated_but_their_methods_not_called() {
    let decl = "extern Crypto { Crypto(); void seal(inout bit<8> data); }\ncontrol V(";
    // Declared and instantiated only: fine.
    let unused =
        program(SIMPLE_PARSER, "\n    Crypto() box;\n    apply { }").replace("control V(", decl);
    ok(&unused);
    let ingress = r#"
    Crypto() box;
    apply { box.seal(meta.a); }"#;
    let src = program(SIMPLE_PARSER, ingress).replace("control V(", decl);
    let (parsed, r) = build(&src);
    let diags = r.expect_err("no implementation of Crypto.seal");
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].code.0, 404);
    assert_eq!(
        diags[0].message,
        "method `seal` of extern `Crypto` has no implementation in the softswitch"
    );
    let (file, span) = diags[0].position().unwrap();
    let (line, col) = parsed.sources.line_col(file, span.start);
    let expected_line = src[..src.find("box.seal").unwrap()].lines().count();
    assert_eq!((line, col), (expected_line, 13));
}

#[test]
fn loops_that_cannot_be_unrolled_are_reported_where_they_start() {
    // A three-part loop whose condition reads the packet.
    let three_part = r#"
    apply {
        for (bit<8> i = 0; i < meta.a; i = i + 1) { meta.a = meta.a + 1; }
    }"#;
    let src = program(SIMPLE_PARSER, three_part);
    let (parsed, r) = build(&src);
    let diags = r.expect_err("a run-time loop condition");
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].code.0, 400);
    assert!(
        diags[0].message.contains("condition of a loop"),
        "{}",
        diags[0].message
    );
    let (file, span) = diags[0].position().unwrap();
    let line = src[..src.find("for (bit<8>").unwrap()].lines().count();
    assert_eq!(parsed.sources.line_col(file, span.start), (line, 28));
    // A range loop whose end is read from the packet.
    let runtime_end = r#"
    apply {
        for (bit<8> i in 0..meta.a) { meta.a = meta.a + i; }
    }"#;
    let src = program(SIMPLE_PARSER, runtime_end);
    let (parsed, r) = build(&src);
    let diags = r.expect_err("run-time loop bounds");
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].code.0, 400);
    let (file, span) = diags[0].position().unwrap();
    let line = src[..src.find("for (bit<8>").unwrap()].lines().count();
    let col = src.lines().nth(line - 1).unwrap().find("meta.a)").unwrap() + 1;
    assert_eq!(parsed.sources.line_col(file, span.start), (line, col));
}

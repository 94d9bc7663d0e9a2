//! Three-part `for` loops unrolled at compile time: the values the loop variables take in each
//! iteration (P4 arithmetic: wrap-around, signed and saturating operations, shifts, `?:`,
//! `bool` variables), a variable declared before the loop keeping its final value, and the
//! 1,024-iteration bound.

use ddsr_diag::Diagnostic;
use ddsr_p4::p4info::{Compiled, compile};
use ddsr_p4::syntax::{Options, parse_str};
use ddsr_pipeline::expr::Expr;
use ddsr_pipeline::stmt::Stmt;

/// A v1model program whose ingress `apply` block is `body`.
fn program(body: &str) -> String {
    format!(
        r#"
#include <core.p4>
#include <v1model.p4>
header eth_t {{ bit<48> dst; bit<48> src; bit<16> ty; }}
struct headers_t {{ eth_t eth; }}
struct meta_t {{ bit<8> a; int<8> s; bool f; bit<16> w; }}
parser P(packet_in pkt, out headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {{
    state start {{ pkt.extract(hdr.eth); transition accept; }}
}}
control V(inout headers_t hdr, inout meta_t meta) {{ apply {{ }} }}
control I(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {{
    apply {{
{body}
    }}
}}
control E(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {{ apply {{ }} }}
control C(inout headers_t hdr, inout meta_t meta) {{ apply {{ }} }}
control D(packet_out pkt, in headers_t hdr) {{ apply {{ pkt.emit(hdr.eth); }} }}
V1Switch(P(), V(), I(), E(), C(), D()) main;
"#
    )
}

fn build(body: &str) -> Result<Compiled, Vec<Diagnostic>> {
    let parsed = parse_str("t.p4", &program(body), &Options::default());
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    compile(&parsed.program, "t")
}

/// The ingress body's top-level statements.
fn ingress(body: &str) -> Vec<Stmt> {
    let c = build(body).unwrap_or_else(|d| panic!("{d:#?}"));
    let p = &c.lowered.pipeline;
    p.controls[p.package.v1switch().expect("a v1model program").ingress]
        .body
        .clone()
}

/// The constants assigned by the top-level statements, in order.
fn assigned_constants(body: &str) -> Vec<u128> {
    ingress(body)
        .iter()
        .filter_map(|s| match s {
            Stmt::Assign {
                src: Expr::Const { value, .. },
                ..
            } => Some(*value),
            _ => None,
        })
        .collect()
}

#[test]
fn bit_variables_wrap_at_their_width() {
    let values = assigned_constants("for (bit<8> i = 250; i != 4; i = i + 2) { meta.a = i; }");
    assert_eq!(values, [250, 252, 254, 0, 2]);
}

#[test]
fn signed_and_saturating_arithmetic() {
    let values = assigned_constants("for (int<8> d = 120; d < 127; d = d |+| 5) { meta.s = d; }");
    assert_eq!(
        values,
        [120, 125],
        "125 |+| 5 saturates at 127 and ends the loop"
    );
    let values = assigned_constants("for (int<8> d = -2; d <= 1; d = d + 1) { meta.s = d; }");
    assert_eq!(values, [0xfe, 0xff, 0, 1]);
}

#[test]
fn bool_and_bit_variables_update_together() {
    let values = assigned_constants(
        "for (bool first = true, bit<8> n = 0; n < 3; first = false, n = n + 1) {
            meta.f = first;
            meta.a = n;
        }",
    );
    assert_eq!(values, [1, 0, 0, 1, 0, 2]);
}

#[test]
fn shifts_and_conditional_expressions() {
    let values = assigned_constants(
        "for (bit<8> m = 0x80; m > 0; m = (m >> 1) == 4 ? 8w1 : m >> 1) { meta.a = m; }",
    );
    assert_eq!(values, [0x80, 0x40, 0x20, 0x10, 0x08, 0x01]);
}

#[test]
fn a_variable_declared_before_the_loop_keeps_its_final_value() {
    let body = ingress(
        "bit<8> k;
        for (k = 0; k < 3; k = k + 1) { meta.w = meta.w + 1; }
        meta.a = k;",
    );
    // k = 0, body, k = 1, body, k = 2, body, k = 3, then meta.a reads k's field.
    let consts: Vec<u128> = body
        .iter()
        .filter_map(|s| match s {
            Stmt::Assign {
                src: Expr::Const { value, .. },
                ..
            } => Some(*value),
            _ => None,
        })
        .collect();
    assert_eq!(consts, [0, 1, 2, 3]);
    assert_eq!(body.len(), 8, "{body:#?}");
    assert!(
        matches!(
            &body[7],
            Stmt::Assign {
                src: Expr::Field { .. },
                ..
            }
        ),
        "{:?}",
        body[7]
    );
}

#[test]
fn unrolling_stops_at_1024_iterations() {
    let body = ingress("for (bit<16> i = 0; i < 1024; i = i + 1) { meta.w = i; }");
    assert_eq!(body.len(), 1024);
    let diags = build("for (bit<16> i = 0; i < 1025; i = i + 1) { meta.w = i; }")
        .expect_err("1,025 iterations");
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].code.0, 400);
    assert!(
        diags[0].message.contains("more than 1024 iterations"),
        "{}",
        diags[0].message
    );
}

//! Running TNA pipelines on the v1model switch: [`to_v1model`] rewrites a lowered TNA pipeline
//! into a v1model one the switch executes unchanged, mapping TNA's intrinsic metadata onto the
//! same traffic manager. [`crate::Switch::new`] applies it to every TNA pipeline it loads, so
//! every way of loading one (the library, `ddsr softswitch run/stf/serve`, P4Runtime's
//! `SetForwardingPipelineConfig`) runs it, or refuses it with the [`TnaError`] as the reason.
//!
//! The mapping: the ingress parser's `extract(ig_intr_md)` (and the `advance` over the port
//! metadata right after it) becomes filling `ig_intr_md` from `standard_metadata` (Tofino
//! prepends those bytes; here the switch knows them); ingress is the TNA ingress control, then
//! the traffic manager's reading of `ig_dprsr_md.drop_ctl` bit 0 (drop), `ig_tm_md`'s
//! `ucast_egress_port` and `mcast_grp_a`, then the ingress deparser's statements; egress runs
//! only when `ig_tm_md.bypass_egress` is 0, with `eg_intr_md` filled from `standard_metadata`,
//! and drops on `eg_dprsr_md.drop_ctl` bit 0. Tables, actions and externs keep their handles
//! and ids, so the control plane writes the same entries.
//!
//! What Tofino does that one v1model pass cannot is refused with a [`TnaError`]: an egress
//! parser that extracts more than `eg_intr_md` (egress would parse the packet again), egress
//! headers to emit, and `exit` anywhere in ingress or egress (it would skip the traffic
//! manager's statements appended to the same control).

use ddsr_pipeline::arena::Arena;
use ddsr_pipeline::expr::{BinOp, Expr, LValue};
use ddsr_pipeline::parser::{ParserOp, Transition};
use ddsr_pipeline::program::{Control, Package, Tna, V1Switch};
use ddsr_pipeline::stmt::{ApplyArms, ExternCall};
use ddsr_pipeline::types::{FieldRef, Header, HeaderRef};
use ddsr_pipeline::{Handle, Pipeline, Stmt};
use thiserror::Error;

/// Bits of port metadata after `ig_intr_md` (TNA's `PORT_METADATA_SIZE`).
const PORT_METADATA_BITS: u128 = 64;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum TnaError {
    #[error("the pipeline is not a TNA pipeline")]
    NotTna,
    #[error("the egress parser extracts packet headers; the softswitch does not parse twice")]
    EgressParser,
    #[error("the egress deparser emits headers; the softswitch does not parse twice")]
    EgressEmit,
    #[error("`exit` in {0}; the softswitch's TNA mapping needs each control to run to its end")]
    Exit(&'static str),
    #[error("intrinsic metadata `{0}` lacks the field `{1}`")]
    Field(String, &'static str),
    #[error("the rewritten pipeline is invalid: {0}")]
    Invalid(String),
}

/// The v1model pipeline that runs TNA pipeline `p` on the switch.
pub fn to_v1model(p: &Pipeline) -> Result<Pipeline, TnaError> {
    let t = p.package.tna().ok_or(TnaError::NotTna)?.clone();
    let mut q = p.clone();
    check_egress(&t)?;
    for (c, what) in [(t.ingress, "ingress"), (t.egress, "egress")] {
        if has_exit(p, &p.controls[c].body) {
            return Err(TnaError::Exit(what));
        }
    }
    let smt = q
        .header_types
        .append(ddsr_pipeline::v1model::standard_metadata_type());
    let sm = q.headers.append(Header {
        name: "standard_metadata".into(),
        ty: smt,
        metadata: true,
    });
    let f = |q: &Pipeline, h: Handle<Header>, name: &'static str| -> Result<FieldRef, TnaError> {
        q.header_types[q.headers[h].ty]
            .field_index(name)
            .map(|field| FieldRef {
                header: HeaderRef::Instance(h),
                field,
            })
            .ok_or_else(|| TnaError::Field(q.headers[h].name.clone(), name))
    };
    let field = |r: FieldRef| Expr::field(r);
    let set = |dst: FieldRef, src: Expr| Stmt::Assign {
        dst: LValue::Field(dst),
        src,
    };

    // Parser: ig_intr_md comes from the switch, not from the packet.
    let ig_intr = t.ingress_intrinsic_metadata;
    let fill_ig = [
        Stmt::SetValid {
            header: HeaderRef::Instance(ig_intr),
        },
        set(
            f(&q, ig_intr, "ingress_port")?,
            field(f(&q, sm, "ingress_port")?),
        ),
        set(
            f(&q, ig_intr, "ingress_mac_tstamp")?,
            field(f(&q, sm, "ingress_global_timestamp")?),
        ),
    ];
    for h in q.parser.states.handles() {
        let ops = std::mem::take(&mut q.parser.states[h].ops);
        let mut out = Vec::with_capacity(ops.len());
        let mut skip_port_metadata = false;
        for op in ops {
            match op {
                ParserOp::Extract {
                    header: HeaderRef::Instance(x),
                } if x == ig_intr => {
                    out.extend(fill_ig.iter().cloned().map(|stmt| ParserOp::Stmt { stmt }));
                    skip_port_metadata = true;
                    continue;
                }
                ParserOp::Advance {
                    bits: Expr::Const { value, .. },
                } if skip_port_metadata && value == PORT_METADATA_BITS => {}
                other => out.push(other),
            }
            skip_port_metadata = false;
        }
        q.parser.states[h].ops = out;
    }

    // Ingress: the control, the traffic manager, the deparser's statements.
    let dprsr = t.ingress_intrinsic_metadata_for_deparser;
    let tm = t.ingress_intrinsic_metadata_for_tm;
    let drop_bit =
        |r: FieldRef| Expr::binary(BinOp::Eq, Expr::slice(field(r), 0, 0), Expr::bits(1, 1));
    let mut ingress = p.controls[t.ingress].body.clone();
    let mcast = f(&q, tm, "mcast_grp_a")?;
    ingress.push(Stmt::If {
        cond: drop_bit(f(&q, dprsr, "drop_ctl")?),
        then: vec![Stmt::Extern {
            call: ExternCall::MarkToDrop,
        }],
        els: vec![
            set(
                f(&q, sm, "egress_spec")?,
                field(f(&q, tm, "ucast_egress_port")?),
            ),
            set(f(&q, sm, "mcast_grp")?, field(mcast)),
        ],
    });
    ingress.extend(p.controls[t.ingress_deparser].body.iter().cloned());

    // Egress, unless bypassed.
    let eg_intr = t.egress_intrinsic_metadata;
    let mut egress = vec![
        Stmt::SetValid {
            header: HeaderRef::Instance(eg_intr),
        },
        set(
            f(&q, eg_intr, "egress_port")?,
            field(f(&q, sm, "egress_port")?),
        ),
        set(
            f(&q, eg_intr, "pkt_length")?,
            Expr::slice(field(f(&q, sm, "packet_length")?), 15, 0),
        ),
        set(
            f(&q, eg_intr, "egress_rid")?,
            field(f(&q, sm, "egress_rid")?),
        ),
    ];
    egress.extend(p.controls[t.egress].body.iter().cloned());
    egress.extend(p.controls[t.egress_deparser].body.iter().cloned());
    egress.push(Stmt::If {
        cond: drop_bit(f(&q, t.egress_intrinsic_metadata_for_deparser, "drop_ctl")?),
        then: vec![Stmt::Extern {
            call: ExternCall::MarkToDrop,
        }],
        els: Vec::new(),
    });
    let bypass = Expr::binary(
        BinOp::Eq,
        field(f(&q, tm, "bypass_egress")?),
        Expr::bits(1, 0),
    );
    let egress = vec![Stmt::If {
        cond: bypass,
        then: egress,
        els: Vec::new(),
    }];

    let mut control = |name: &str, body: Vec<Stmt>| {
        q.controls.append(Control {
            name: name.into(),
            body,
        })
    };
    let package = V1Switch {
        standard_metadata: sm,
        verify_checksum: control("tna.verify", Vec::new()),
        ingress: control("tna.ingress", ingress),
        egress: control("tna.egress", egress),
        compute_checksum: control("tna.compute", Vec::new()),
    };
    q.package = Package::V1Switch(package);
    ddsr_pipeline::valid::validate(&q).map_err(|problems| {
        TnaError::Invalid(
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    Ok(q)
}

/// The egress parser may only extract `eg_intr_md`, and nothing may be emitted in egress.
fn check_egress(t: &Tna) -> Result<(), TnaError> {
    let states: &Arena<_> = &t.egress_parser.states;
    for (_, s) in states.iter() {
        for op in &s.ops {
            match op {
                ParserOp::Extract {
                    header: HeaderRef::Instance(h),
                } if *h == t.egress_intrinsic_metadata => {}
                ParserOp::Stmt { .. } => {}
                _ => return Err(TnaError::EgressParser),
            }
        }
        if matches!(s.transition, Transition::Select { .. }) {
            return Err(TnaError::EgressParser);
        }
    }
    if !t.egress_emit.emit.is_empty() {
        return Err(TnaError::EgressEmit);
    }
    Ok(())
}

/// Whether `exit` can run in `stmts`, in the actions they apply or call included.
fn has_exit(p: &Pipeline, stmts: &[Stmt]) -> bool {
    stmts.iter().any(|s| match s {
        Stmt::Exit => true,
        Stmt::If { then, els, .. } => has_exit(p, then) || has_exit(p, els),
        Stmt::Call { action, .. } => has_exit(p, &p.actions[*action].body),
        Stmt::Apply { table, arms } => {
            p.tables[*table]
                .actions
                .iter()
                .any(|r| has_exit(p, &p.actions[r.action].body))
                || match arms {
                    ApplyArms::None => false,
                    ApplyArms::Hit { hit, miss } => has_exit(p, hit) || has_exit(p, miss),
                    ApplyArms::ActionRun { cases, default } => {
                        cases.iter().any(|c| has_exit(p, &c.body)) || has_exit(p, default)
                    }
                }
        }
        _ => false,
    })
}

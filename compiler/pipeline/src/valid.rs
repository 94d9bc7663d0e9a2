//! Validation: every handle in range, every expression well typed, every name unique.
//!
//! Contract: once [`validate`] returns `Ok`, code that walks the pipeline may index arenas with
//! the handles it finds, rely on the widths it computes with [`type_of`], and never meets an
//! expression deeper than [`MAX_DEPTH`]. Every problem is reported, each with the path of the
//! offending item (`tables[2].keys[0].expr`), not just the first.

use std::collections::HashSet;
use std::fmt;

use thiserror::Error;

use crate::arena::{Arena, Handle};
use crate::entry::check_call;
use crate::expr::{BinOp, Expr, LValue, UnOp};
use crate::externs::ExternKind;
use crate::parser::{CaseKeys, KeySet, Next, Parser, ParserOp, State, Transition};
use crate::program::{
    Action, CORE_ERRORS, Deparser, Emit, FORMAT_VERSION, Package, Pipeline, Tna, V1Switch,
};
use crate::stmt::{ApplyArms, ExternCall, Stmt};
use crate::table::Implementation;
use crate::types::{FieldRef, Header, HeaderRef, Ty};
use crate::v1model::STANDARD_METADATA;
use crate::value::{MAX_VARBIT_WIDTH, MAX_WIDTH, mask};

/// Deepest nesting of expressions or statements accepted.
pub const MAX_DEPTH: usize = 128;

/// Why a pipeline could not be loaded.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("pipeline JSON {line}:{column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("invalid pipeline ({} problems): {}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<ValidationError>),
}

impl From<Vec<ValidationError>> for LoadError {
    fn from(v: Vec<ValidationError>) -> Self {
        LoadError::Invalid(v)
    }
}

/// One problem and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{path}: {problem}")]
pub struct ValidationError {
    /// JSON-like path of the offending item, e.g. `controls[1].body[3].src`.
    pub path: String,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Problem {
    #[error("expected format_version {expected}, found {found}")]
    Version { expected: u32, found: u32 },
    #[error("no {kind} #{index} (there are {len})")]
    Dangling {
        kind: &'static str,
        index: u32,
        len: usize,
    },
    #[error("expected {expected}, found {found}")]
    Type { expected: String, found: String },
    #[error("width {width} is out of range 1..={max}")]
    Width { width: u16, max: u16 },
    #[error("duplicate name `{0}`")]
    Duplicate(String),
    #[error("nesting deeper than {0}")]
    TooDeep(usize),
    #[error("{0} is not allowed here")]
    NotAllowed(&'static str),
    #[error("{0}")]
    Invalid(String),
}

/// Validates `p`, reporting every problem found.
pub fn validate(p: &Pipeline) -> Result<(), Vec<ValidationError>> {
    let mut v = Validator {
        p,
        errors: Vec::new(),
        path: String::new(),
    };
    v.pipeline();
    if v.errors.is_empty() {
        Ok(())
    } else {
        Err(v.errors)
    }
}

/// Where an expression or statement appears, which decides what it may use.
#[derive(Clone, Copy)]
enum Ctx<'a> {
    Parser,
    Control,
    Action(&'a Action),
    /// Table keys and selector keys.
    Key,
}

struct Validator<'a> {
    p: &'a Pipeline,
    errors: Vec<ValidationError>,
    path: String,
}

impl<'a> Validator<'a> {
    fn err(&mut self, problem: Problem) {
        self.errors.push(ValidationError {
            path: self.path.clone(),
            problem,
        });
    }

    /// Runs `f` with `seg` appended to the path.
    fn at<R>(&mut self, seg: fmt::Arguments<'_>, f: impl FnOnce(&mut Self) -> R) -> R {
        let len = self.path.len();
        if !self.path.is_empty() && !seg.to_string().starts_with('[') {
            self.path.push('.');
        }
        self.path.push_str(&seg.to_string());
        let r = f(self);
        self.path.truncate(len);
        r
    }

    fn handle<T>(&mut self, arena: &Arena<T>, h: Handle<T>, kind: &'static str) -> bool {
        if arena.contains(h) {
            true
        } else {
            self.err(Problem::Dangling {
                kind,
                index: h.raw(),
                len: arena.len(),
            });
            false
        }
    }

    fn unique<'n>(&mut self, what: &'static str, names: impl Iterator<Item = &'n str>) {
        let mut seen = HashSet::new();
        for n in names {
            if !seen.insert(n) {
                self.at(format_args!("{what}"), |v| {
                    v.err(Problem::Duplicate(n.into()))
                });
            }
        }
    }

    fn pipeline(&mut self) {
        let p = self.p;
        if p.format_version != FORMAT_VERSION {
            self.at(format_args!("format_version"), |v| {
                v.err(Problem::Version {
                    expected: FORMAT_VERSION,
                    found: p.format_version,
                })
            });
            return;
        }
        for (h, t) in p.header_types.iter() {
            self.at(format_args!("header_types[{}]", h.raw()), |v| {
                let mut varbits = 0;
                for (i, f) in t.fields.iter().enumerate() {
                    v.at(format_args!("fields[{i}]"), |v| {
                        v.ty(f.ty);
                        if matches!(f.ty, Ty::Varbit(_)) {
                            varbits += 1;
                        }
                    });
                }
                if varbits > 1 {
                    v.err(Problem::Invalid(
                        "a header type has at most one varbit field".into(),
                    ));
                }
                if t.fields.len() > usize::from(u16::MAX) {
                    v.err(Problem::Invalid("too many fields".into()));
                }
                v.unique("fields", t.fields.iter().map(|f| f.name.as_str()));
            });
        }
        self.unique(
            "header_types",
            p.header_types.iter().map(|(_, t)| t.name.as_str()),
        );
        for (h, hd) in p.headers.iter() {
            self.at(format_args!("headers[{}].ty", h.raw()), |v| {
                v.handle(&p.header_types, hd.ty, "header type");
            });
        }
        self.unique("headers", p.headers.iter().map(|(_, h)| h.name.as_str()));
        for (h, s) in p.stacks.iter() {
            self.at(format_args!("stacks[{}]", h.raw()), |v| {
                if s.elements.is_empty() {
                    v.err(Problem::Invalid("a stack has at least one element".into()));
                }
                let mut ty = None;
                for e in &s.elements {
                    if v.handle(&p.headers, *e, "header") {
                        let t = p.headers[*e].ty;
                        if ty.is_some_and(|x| x != t) || p.headers[*e].metadata {
                            v.err(Problem::Invalid(
                                "stack elements are packet headers of one type".into(),
                            ));
                        }
                        ty = Some(t);
                    }
                }
            });
        }
        for (h, u) in p.unions.iter() {
            self.at(format_args!("unions[{}]", h.raw()), |v| {
                for e in &u.members {
                    if v.handle(&p.headers, *e, "header") && p.headers[*e].metadata {
                        v.err(Problem::Invalid("union members are packet headers".into()));
                    }
                }
            });
        }
        if self.errors.is_empty() {
            self.after_layout();
        }
    }

    /// Checks that need header types resolved.
    fn after_layout(&mut self) {
        let p = self.p;
        if p.errors.len() < CORE_ERRORS.len()
            || p.errors.iter().zip(CORE_ERRORS).any(|(a, b)| a != b)
        {
            self.at(format_args!("errors"), |v| {
                v.err(Problem::Invalid(format!(
                    "expected the core errors first: {}",
                    CORE_ERRORS.join(", ")
                )))
            });
        }
        self.unique("errors", p.errors.iter().map(String::as_str));
        for (h, vs) in p.value_sets.iter() {
            self.at(format_args!("value_sets[{}]", h.raw()), |v| {
                for t in &vs.fields {
                    v.ty(*t);
                }
            });
        }
        for (i, fl) in p.field_lists.iter().enumerate() {
            self.at(format_args!("field_lists[{i}]"), |v| {
                for f in &fl.fields {
                    if let Some(h) = v.field(f, Ctx::Control).and(Some(f.header))
                        && !matches!(h, HeaderRef::Instance(x) if p.headers[x].metadata)
                    {
                        v.err(Problem::Invalid("field lists name metadata fields".into()));
                    }
                }
            });
        }
        self.externs();
        for (h, a) in p.actions.iter() {
            self.at(format_args!("actions[{}]", h.raw()), |v| {
                for (i, prm) in a.params.iter().enumerate() {
                    v.at(format_args!("params[{i}]"), |v| v.ty(Ty::Bit(prm.width)));
                }
                v.at(format_args!("body"), |v| {
                    v.block(&a.body, Ctx::Action(a), 0)
                });
            });
        }
        self.unique("actions", p.actions.iter().map(|(_, a)| a.name.as_str()));
        for (h, t) in p.tables.iter() {
            self.at(format_args!("tables[{}]", h.raw()), |v| v.table(h, t));
        }
        self.unique("tables", p.tables.iter().map(|(_, t)| t.name.as_str()));
        self.at(format_args!("parser"), |v| v.parser(&p.parser));
        for (h, c) in p.controls.iter() {
            self.at(format_args!("controls[{}].body", h.raw()), |v| {
                v.block(&c.body, Ctx::Control, 0)
            });
        }
        self.emits("deparser", &p.deparser);
        self.package();
    }

    /// A deparser's emits: packet headers, stacks and unions only.
    fn emits(&mut self, what: &str, d: &Deparser) {
        let p = self.p;
        for (i, e) in d.emit.iter().enumerate() {
            self.at(format_args!("{what}.emit[{i}]"), |v| match *e {
                Emit::Header(h) => {
                    if v.handle(&p.headers, h, "header") && p.headers[h].metadata {
                        v.err(Problem::NotAllowed("emitting metadata"));
                    }
                }
                Emit::Stack(s) => {
                    v.handle(&p.stacks, s, "stack");
                }
                Emit::Union(u) => {
                    v.handle(&p.unions, u, "union");
                }
            });
        }
    }

    fn externs(&mut self) {
        let p = self.p;
        for (h, e) in p.externs.iter() {
            self.at(format_args!("externs[{}]", h.raw()), |v| match &e.kind {
                ExternKind::Register { width, .. } => v.ty(Ty::Bit(*width)),
                ExternKind::ActionSelector { output_width, .. }
                    if (*output_width == 0 || *output_width > 64) =>
                {
                    v.err(Problem::Width {
                        width: *output_width,
                        max: 64,
                    });
                }
                ExternKind::Digest { fields } => {
                    for f in fields {
                        v.ty(f.ty);
                    }
                }
                _ => {}
            });
        }
        self.unique("externs", p.externs.iter().map(|(_, e)| e.name.as_str()));
    }

    fn package(&mut self) {
        let p = self.p;
        match &p.package {
            Package::V1Switch(pk) => self.v1switch(*pk),
            Package::Tna(t) => self.at(format_args!("package"), |v| v.tna(t)),
        }
    }

    fn v1switch(&mut self, pk: V1Switch) {
        let p = self.p;
        self.at(format_args!("package"), |v| {
            for (c, name) in [
                (pk.verify_checksum, "verify_checksum"),
                (pk.ingress, "ingress"),
                (pk.egress, "egress"),
                (pk.compute_checksum, "compute_checksum"),
            ] {
                v.at(format_args!("{name}"), |v| {
                    v.handle(&p.controls, c, "control");
                });
            }
            v.at(format_args!("standard_metadata"), |v| {
                if !v.handle(&p.headers, pk.standard_metadata, "header") {
                    return;
                }
                let hd = &p.headers[pk.standard_metadata];
                if !hd.metadata {
                    v.err(Problem::Invalid(
                        "standard metadata must be metadata".into(),
                    ));
                }
                let ty = &p.header_types[hd.ty];
                for (name, width, required) in STANDARD_METADATA {
                    match ty.fields.iter().find(|f| f.name == name) {
                        Some(f) if f.ty != Ty::Bit(width) => v.err(Problem::Type {
                            expected: format!("`{name}` of type bit<{width}>"),
                            found: show(f.ty),
                        }),
                        None if required => v.err(Problem::Invalid(format!(
                            "standard metadata lacks the field `{name}`"
                        ))),
                        _ => {}
                    }
                }
            });
        });
    }

    /// The TNA binding: its controls and intrinsic metadata instances exist, the two
    /// parser-extracted intrinsic headers are packet headers and the others metadata, and
    /// the egress parser and emits are as well formed as the ingress ones.
    fn tna(&mut self, t: &'a Tna) {
        let p = self.p;
        for (c, name) in [
            (t.ingress, "ingress"),
            (t.ingress_deparser, "ingress_deparser"),
            (t.egress, "egress"),
            (t.egress_deparser, "egress_deparser"),
        ] {
            self.at(format_args!("{name}"), |v| {
                v.handle(&p.controls, c, "control");
            });
        }
        for (h, name, metadata) in [
            (
                t.ingress_intrinsic_metadata,
                "ingress_intrinsic_metadata",
                false,
            ),
            (
                t.ingress_intrinsic_metadata_from_parser,
                "ingress_intrinsic_metadata_from_parser",
                true,
            ),
            (
                t.ingress_intrinsic_metadata_for_deparser,
                "ingress_intrinsic_metadata_for_deparser",
                true,
            ),
            (
                t.ingress_intrinsic_metadata_for_tm,
                "ingress_intrinsic_metadata_for_tm",
                true,
            ),
            (
                t.egress_intrinsic_metadata,
                "egress_intrinsic_metadata",
                false,
            ),
            (
                t.egress_intrinsic_metadata_from_parser,
                "egress_intrinsic_metadata_from_parser",
                true,
            ),
            (
                t.egress_intrinsic_metadata_for_deparser,
                "egress_intrinsic_metadata_for_deparser",
                true,
            ),
            (
                t.egress_intrinsic_metadata_for_output_port,
                "egress_intrinsic_metadata_for_output_port",
                true,
            ),
        ] {
            self.at(format_args!("{name}"), |v| {
                if v.handle(&p.headers, h, "header") && p.headers[h].metadata != metadata {
                    v.err(Problem::Invalid(format!(
                        "`{name}` must be {}",
                        if metadata {
                            "metadata"
                        } else {
                            "a packet header"
                        }
                    )));
                }
            });
        }
        self.at(format_args!("egress_parser"), |v| {
            v.parser(&t.egress_parser)
        });
        self.emits("egress_emit", &t.egress_emit);
    }

    fn ty(&mut self, t: Ty) {
        let (w, max) = match t {
            Ty::Bool => return,
            Ty::Bit(w) | Ty::Int(w) => (w, MAX_WIDTH),
            Ty::Varbit(w) => (w, MAX_VARBIT_WIDTH),
        };
        if w == 0 || w > max {
            self.err(Problem::Width { width: w, max });
        }
    }

    fn table(&mut self, th: Handle<crate::table::Table>, t: &crate::table::Table) {
        let p = self.p;
        for (i, k) in t.keys.iter().enumerate() {
            self.at(format_args!("keys[{i}]"), |v| {
                if let Some(ty) = v.at(format_args!("expr"), |v| v.expr(&k.expr, Ctx::Key, 0)) {
                    let ok = match ty {
                        Ty::Bool => k.width == 1,
                        Ty::Bit(w) | Ty::Int(w) => w == k.width,
                        Ty::Varbit(_) => false,
                    };
                    if !ok {
                        v.err(Problem::Type {
                            expected: format!("a key of width {}", k.width),
                            found: show(ty),
                        });
                    }
                }
            });
        }
        for (i, e) in t.selector_keys.iter().enumerate() {
            self.at(format_args!("selector_keys[{i}]"), |v| {
                v.numeric(e, Ctx::Key, 0);
            });
        }
        for (i, r) in t.actions.iter().enumerate() {
            self.at(format_args!("actions[{i}]"), |v| {
                v.handle(&p.actions, r.action, "action");
            });
        }
        if t.actions.iter().any(|r| !p.actions.contains(r.action)) {
            return;
        }
        self.at(format_args!("default_action"), |v| {
            if let Err(e) = check_call(p, t, &t.default_action, true) {
                v.err(Problem::Invalid(e.to_string()));
            }
        });
        if t.size == 0 {
            self.at(format_args!("size"), |v| {
                v.err(Problem::Invalid("a table holds at least one entry".into()))
            });
        }
        let profile = match t.implementation {
            Implementation::Direct => None,
            Implementation::ActionProfile(h) => Some((h, false)),
            Implementation::ActionSelector(h) => Some((h, true)),
        };
        if let Some((h, selector)) = profile {
            self.at(format_args!("implementation"), |v| {
                if v.handle(&p.externs, h, "extern") {
                    let ok = match p.externs[h].kind {
                        ExternKind::ActionProfile { .. } => !selector,
                        ExternKind::ActionSelector { .. } => selector,
                        _ => false,
                    };
                    if !ok {
                        v.err(Problem::Type {
                            expected: if selector {
                                "an action selector"
                            } else {
                                "an action profile"
                            }
                            .into(),
                            found: format!("`{}`", p.externs[h].name),
                        });
                    }
                }
            });
        }
        for (field, want, name) in [
            (t.direct_counter, 0, "direct_counter"),
            (t.direct_meter, 1, "direct_meter"),
        ] {
            if let Some(h) = field {
                self.at(format_args!("{name}"), |v| {
                    if v.handle(&p.externs, h, "extern") {
                        let ok = matches!(
                            (&p.externs[h].kind, want),
                            (ExternKind::DirectCounter { .. }, 0)
                                | (ExternKind::DirectMeter { .. }, 1)
                        );
                        if !ok {
                            v.err(Problem::Type {
                                expected: format!("a {name}"),
                                found: format!("`{}`", p.externs[h].name),
                            });
                        }
                    }
                });
            }
        }
        for (i, e) in t.entries.iter().enumerate() {
            self.at(format_args!("entries[{i}]"), |v| {
                if e.table != th {
                    v.err(Problem::Invalid(format!(
                        "the entry names table #{}, not its own table #{}",
                        e.table.raw(),
                        th.raw()
                    )));
                } else if let Err(err) = e.check(p) {
                    v.err(Problem::Invalid(err.to_string()));
                }
            });
        }
    }

    fn parser(&mut self, parser: &'a Parser) {
        let p = self.p;
        if !self.handle(&parser.states, parser.start, "parser state") {
            return;
        }
        self.unique("states", parser.states.iter().map(|(_, s)| s.name.as_str()));
        for (h, s) in parser.states.iter() {
            self.at(format_args!("states[{}]", h.raw()), |v| {
                for (i, op) in s.ops.iter().enumerate() {
                    v.at(format_args!("ops[{i}]"), |v| match op {
                        ParserOp::Extract { header } => {
                            if let Some(hd) = v.header_ref(*header, Ctx::Parser) {
                                if hd.metadata {
                                    v.err(Problem::NotAllowed("extracting into metadata"));
                                } else if p.header_types[hd.ty]
                                    .fields
                                    .iter()
                                    .any(|f| matches!(f.ty, Ty::Varbit(_)))
                                {
                                    v.err(Problem::Invalid(
                                        "a header with a varbit field needs extract_varbit".into(),
                                    ));
                                }
                            }
                        }
                        ParserOp::ExtractVarbit { header, size } => {
                            if let Some(hd) = v.header_ref(*header, Ctx::Parser)
                                && (hd.metadata
                                    || !p.header_types[hd.ty]
                                        .fields
                                        .iter()
                                        .any(|f| matches!(f.ty, Ty::Varbit(_))))
                            {
                                v.err(Problem::Invalid(
                                    "extract_varbit needs a packet header with a varbit field"
                                        .into(),
                                ));
                            }
                            v.at(format_args!("size"), |v| v.unsigned(size, Ctx::Parser));
                        }
                        ParserOp::Advance { bits } => {
                            v.at(format_args!("bits"), |v| v.unsigned(bits, Ctx::Parser));
                        }
                        ParserOp::Verify { condition, error } => {
                            v.boolean(condition, Ctx::Parser, 0);
                            if *error as usize >= p.errors.len() {
                                v.err(Problem::Dangling {
                                    kind: "error",
                                    index: *error,
                                    len: p.errors.len(),
                                });
                            }
                        }
                        ParserOp::Stmt { stmt } => v.stmt(stmt, Ctx::Parser, 0),
                    });
                }
                v.at(format_args!("transition"), |v| {
                    v.transition(&parser.states, &s.transition)
                });
            });
        }
    }

    fn transition(&mut self, states: &Arena<State>, t: &Transition) {
        let p = self.p;
        let next = |v: &mut Self, n: Next| {
            if let Next::State(s) = n {
                v.handle(states, s, "parser state");
            }
        };
        match t {
            Transition::Accept | Transition::Reject => {}
            Transition::Goto { state } => next(self, Next::State(*state)),
            Transition::Select { keys, cases } => {
                let mut tys = Vec::new();
                for (i, k) in keys.iter().enumerate() {
                    if let Some(t) =
                        self.at(format_args!("keys[{i}]"), |v| v.numeric(k, Ctx::Parser, 0))
                    {
                        tys.push(t);
                    }
                }
                if keys.is_empty() {
                    self.err(Problem::Invalid("a select has at least one key".into()));
                }
                for (i, c) in cases.iter().enumerate() {
                    self.at(format_args!("cases[{i}]"), |v| {
                        next(v, c.next);
                        match &c.keyset {
                            CaseKeys::Default => {}
                            CaseKeys::Tuple(sets) => {
                                if sets.len() != keys.len() {
                                    v.err(Problem::Type {
                                        expected: format!("{} keysets", keys.len()),
                                        found: sets.len().to_string(),
                                    });
                                    return;
                                }
                                for (ks, t) in sets.iter().zip(&tys) {
                                    let m = mask(t.width());
                                    let bad = match ks {
                                        KeySet::Any => false,
                                        KeySet::Value { value } => value & !m != 0,
                                        KeySet::Mask { value, mask } => (value | mask) & !m != 0,
                                        KeySet::Range { lo, hi } => (lo | hi) & !m != 0 || lo > hi,
                                    };
                                    if bad {
                                        v.err(Problem::Invalid(format!(
                                            "keyset does not fit the key's {}",
                                            show(*t)
                                        )));
                                    }
                                }
                            }
                            CaseKeys::ValueSet(vs) => {
                                if v.handle(&p.value_sets, *vs, "value set") {
                                    let want: Vec<u16> = p.value_sets[*vs]
                                        .fields
                                        .iter()
                                        .map(|t| t.width())
                                        .collect();
                                    let have: Vec<u16> = tys.iter().map(|t| t.width()).collect();
                                    if want != have {
                                        v.err(Problem::Type {
                                            expected: format!(
                                                "value set fields of widths {have:?}"
                                            ),
                                            found: format!("{want:?}"),
                                        });
                                    }
                                }
                            }
                        }
                    });
                }
            }
        }
    }

    fn block(&mut self, body: &[Stmt], ctx: Ctx<'a>, depth: usize) {
        for (i, s) in body.iter().enumerate() {
            self.at(format_args!("[{i}]"), |v| v.stmt(s, ctx, depth));
        }
    }

    fn stmt(&mut self, s: &Stmt, ctx: Ctx<'a>, depth: usize) {
        if depth > MAX_DEPTH {
            self.err(Problem::TooDeep(MAX_DEPTH));
            return;
        }
        let p = self.p;
        match s {
            Stmt::Assign { dst, src } => {
                let want = self.lvalue(dst, ctx);
                let got = self.at(format_args!("src"), |v| v.expr(src, ctx, depth + 1));
                if let (Some(w), Some(g)) = (want, got)
                    && w != g
                {
                    self.err(Problem::Type {
                        expected: show(w),
                        found: show(g),
                    });
                }
            }
            Stmt::CopyHeader { dst, src } => {
                let a = self.header_ref(*dst, ctx).map(|h| h.ty);
                let b = self.header_ref(*src, ctx).map(|h| h.ty);
                if let (Some(a), Some(b)) = (a, b)
                    && a != b
                {
                    self.err(Problem::Type {
                        expected: format!("a `{}` header", p.header_types[a].name),
                        found: format!("`{}`", p.header_types[b].name),
                    });
                }
            }
            Stmt::SetValid { header } | Stmt::SetInvalid { header } => {
                if self.header_ref(*header, ctx).is_some_and(|h| h.metadata) {
                    self.err(Problem::NotAllowed("changing the validity of metadata"));
                }
            }
            Stmt::PushFront { stack, .. } | Stmt::PopFront { stack, .. } => {
                self.handle(&p.stacks, *stack, "stack");
            }
            Stmt::If { cond, then, els } => {
                self.at(format_args!("cond"), |v| v.boolean(cond, ctx, depth + 1));
                self.at(format_args!("then"), |v| v.block(then, ctx, depth + 1));
                self.at(format_args!("els"), |v| v.block(els, ctx, depth + 1));
            }
            Stmt::Apply { table, arms } => {
                if !matches!(ctx, Ctx::Control) {
                    self.err(Problem::NotAllowed("applying a table outside a control"));
                }
                let ok = self.handle(&p.tables, *table, "table");
                match arms {
                    ApplyArms::None => {}
                    ApplyArms::Hit { hit, miss } => {
                        self.at(format_args!("hit"), |v| v.block(hit, ctx, depth + 1));
                        self.at(format_args!("miss"), |v| v.block(miss, ctx, depth + 1));
                    }
                    ApplyArms::ActionRun { cases, default } => {
                        for (i, c) in cases.iter().enumerate() {
                            self.at(format_args!("cases[{i}]"), |v| {
                                for a in &c.actions {
                                    if v.handle(&p.actions, *a, "action")
                                        && ok
                                        && !p.tables[*table].actions.iter().any(|r| r.action == *a)
                                    {
                                        v.err(Problem::Invalid(format!(
                                            "`{}` is not an action of `{}`",
                                            p.actions[*a].name, p.tables[*table].name
                                        )));
                                    }
                                }
                                v.at(format_args!("body"), |v| v.block(&c.body, ctx, depth + 1));
                            });
                        }
                        self.at(format_args!("default"), |v| {
                            v.block(default, ctx, depth + 1)
                        });
                    }
                }
            }
            Stmt::Call { action, args } => {
                if matches!(ctx, Ctx::Action(_)) {
                    self.err(Problem::NotAllowed(
                        "calling an action from an action (inline it)",
                    ));
                }
                if self.handle(&p.actions, *action, "action") {
                    let a = &p.actions[*action];
                    if a.params.len() != args.len() {
                        self.err(Problem::Type {
                            expected: format!("{} arguments", a.params.len()),
                            found: args.len().to_string(),
                        });
                    }
                    for (i, (prm, e)) in a.params.iter().zip(args).enumerate() {
                        self.at(format_args!("args[{i}]"), |v| {
                            if let Some(t) = v.expr(e, ctx, depth + 1)
                                && t != Ty::Bit(prm.width)
                            {
                                v.err(Problem::Type {
                                    expected: show(Ty::Bit(prm.width)),
                                    found: show(t),
                                });
                            }
                        });
                    }
                }
            }
            Stmt::Extern { call } => {
                self.at(format_args!("call"), |v| v.extern_call(call, ctx, depth))
            }
            Stmt::Exit => {
                if matches!(ctx, Ctx::Parser) {
                    self.err(Problem::NotAllowed("exit in a parser"));
                }
            }
            Stmt::Return => {
                if matches!(ctx, Ctx::Parser) {
                    self.err(Problem::NotAllowed("return in a parser"));
                }
            }
        }
    }

    fn extern_kind(
        &mut self,
        h: Handle<crate::externs::Extern>,
        want: &'static str,
        ok: fn(&ExternKind) -> bool,
    ) -> Option<&'a ExternKind> {
        let p = self.p;
        if !self.handle(&p.externs, h, "extern") {
            return None;
        }
        let k = &p.externs[h].kind;
        if ok(k) {
            Some(k)
        } else {
            self.err(Problem::Type {
                expected: want.into(),
                found: format!("`{}`", p.externs[h].name),
            });
            None
        }
    }

    fn extern_call(&mut self, c: &ExternCall, ctx: Ctx<'a>, depth: usize) {
        let d = depth + 1;
        match c {
            ExternCall::Count { counter, index } => {
                self.extern_kind(*counter, "a counter", |k| {
                    matches!(k, ExternKind::Counter { .. })
                });
                self.unsigned(index, ctx);
            }
            ExternCall::ExecuteMeter { meter, index, dst } => {
                self.extern_kind(*meter, "a meter", |k| matches!(k, ExternKind::Meter { .. }));
                self.unsigned(index, ctx);
                self.numeric_lvalue(dst, ctx);
            }
            ExternCall::ReadDirectMeter { meter, dst } => {
                self.extern_kind(*meter, "a direct meter", |k| {
                    matches!(k, ExternKind::DirectMeter { .. })
                });
                self.numeric_lvalue(dst, ctx);
            }
            ExternCall::RegisterRead {
                register,
                dst,
                index,
            } => {
                let k = self.extern_kind(*register, "a register", |k| {
                    matches!(k, ExternKind::Register { .. })
                });
                self.unsigned(index, ctx);
                if let (Some(ExternKind::Register { width, .. }), Some(t)) =
                    (k, self.lvalue(dst, ctx))
                    && (t.width() != *width || !t.is_numeric())
                {
                    self.err(Problem::Type {
                        expected: show(Ty::Bit(*width)),
                        found: show(t),
                    });
                }
            }
            ExternCall::RegisterWrite {
                register,
                index,
                value,
            } => {
                let k = self.extern_kind(*register, "a register", |k| {
                    matches!(k, ExternKind::Register { .. })
                });
                self.unsigned(index, ctx);
                if let (Some(ExternKind::Register { width, .. }), Some(t)) =
                    (k, self.expr(value, ctx, d))
                    && (t.width() != *width || !t.is_numeric())
                {
                    self.err(Problem::Type {
                        expected: show(Ty::Bit(*width)),
                        found: show(t),
                    });
                }
            }
            ExternCall::Hash {
                dst,
                base,
                data,
                max,
                ..
            } => {
                self.numeric_lvalue(dst, ctx);
                self.unsigned(base, ctx);
                self.unsigned(max, ctx);
                self.data(data, ctx, d);
            }
            ExternCall::Random { dst, lo, hi } => {
                self.numeric_lvalue(dst, ctx);
                self.unsigned(lo, ctx);
                self.unsigned(hi, ctx);
            }
            ExternCall::VerifyChecksum {
                condition,
                data,
                checksum,
                ..
            } => {
                self.boolean(condition, ctx, d);
                self.data(data, ctx, d);
                self.numeric(checksum, ctx, d);
            }
            ExternCall::UpdateChecksum {
                condition,
                data,
                checksum,
                ..
            } => {
                self.boolean(condition, ctx, d);
                self.data(data, ctx, d);
                self.numeric_lvalue(checksum, ctx);
            }
            ExternCall::Digest { digest, data, .. } => {
                if let Some(ExternKind::Digest { fields }) =
                    self.extern_kind(*digest, "a digest", |k| {
                        matches!(k, ExternKind::Digest { .. })
                    })
                {
                    if fields.len() != data.len() {
                        self.err(Problem::Type {
                            expected: format!("{} digest fields", fields.len()),
                            found: data.len().to_string(),
                        });
                    }
                    for (f, e) in fields.iter().zip(data) {
                        if let Some(t) = self.expr(e, ctx, d)
                            && t != f.ty
                        {
                            self.err(Problem::Type {
                                expected: format!("`{}` of {}", f.name, show(f.ty)),
                                found: show(t),
                            });
                        }
                    }
                }
            }
            ExternCall::Clone {
                session,
                field_list,
                ..
            } => {
                self.unsigned(session, ctx);
                self.field_list(*field_list);
            }
            ExternCall::Resubmit { field_list } | ExternCall::Recirculate { field_list } => {
                self.field_list(*field_list);
            }
            ExternCall::Truncate { length } => self.unsigned(length, ctx),
            ExternCall::MarkToDrop => {}
            ExternCall::LogMsg { format, args } => {
                if format.matches("{}").count() != args.len() {
                    self.err(Problem::Invalid(format!(
                        "the format has {} `{{}}` but {} arguments are given",
                        format.matches("{}").count(),
                        args.len()
                    )));
                }
                self.data(args, ctx, d);
            }
            ExternCall::Assert { condition } | ExternCall::Assume { condition } => {
                self.boolean(condition, ctx, d);
            }
        }
    }

    fn field_list(&mut self, id: Option<u8>) {
        if let Some(id) = id
            && !self.p.field_lists.iter().any(|f| f.id == id)
        {
            self.err(Problem::Invalid(format!("no field list {id}")));
        }
    }

    fn data(&mut self, data: &[Expr], ctx: Ctx<'a>, depth: usize) {
        for (i, e) in data.iter().enumerate() {
            self.at(format_args!("data[{i}]"), |v| {
                if let Some(Ty::Varbit(_)) = v.expr(e, ctx, depth) {
                    v.err(Problem::NotAllowed("a varbit field in a field list"));
                }
            });
        }
    }

    fn header_ref(&mut self, r: HeaderRef, ctx: Ctx<'a>) -> Option<&'a Header> {
        let p = self.p;
        match r {
            HeaderRef::Instance(h) => self.handle(&p.headers, h, "header").then(|| &p.headers[h]),
            HeaderRef::Next(s) | HeaderRef::Last(s) => {
                if !matches!(ctx, Ctx::Parser) {
                    self.err(Problem::NotAllowed("`next` or `last` outside a parser"));
                }
                if self.handle(&p.stacks, s, "stack") {
                    p.stacks[s].elements.first().map(|h| &p.headers[*h])
                } else {
                    None
                }
            }
        }
    }

    fn field(&mut self, f: &FieldRef, ctx: Ctx<'a>) -> Option<Ty> {
        let p = self.p;
        let hd = self.header_ref(f.header, ctx)?;
        match p.header_types[hd.ty].fields.get(usize::from(f.field)) {
            Some(fd) => Some(fd.ty),
            None => {
                self.err(Problem::Dangling {
                    kind: "field",
                    index: u32::from(f.field),
                    len: p.header_types[hd.ty].fields.len(),
                });
                None
            }
        }
    }

    fn lvalue(&mut self, l: &LValue, ctx: Ctx<'a>) -> Option<Ty> {
        self.at(format_args!("dst"), |v| {
            let t = v.field(&l.field(), ctx)?;
            match *l {
                LValue::Field(_) => Some(t),
                LValue::Slice { hi, lo, .. } => {
                    if !t.is_numeric() || hi < lo || hi >= t.width() {
                        v.err(Problem::Invalid(format!(
                            "slice [{hi}:{lo}] of {}",
                            show(t)
                        )));
                        None
                    } else {
                        Some(Ty::Bit(hi - lo + 1))
                    }
                }
            }
        })
    }

    fn numeric_lvalue(&mut self, l: &LValue, ctx: Ctx<'a>) {
        if let Some(t) = self.lvalue(l, ctx)
            && !t.is_numeric()
        {
            self.err(Problem::Type {
                expected: "a bit<N> or int<N> destination".into(),
                found: show(t),
            });
        }
    }

    fn boolean(&mut self, e: &Expr, ctx: Ctx<'a>, depth: usize) {
        if let Some(t) = self.expr(e, ctx, depth)
            && t != Ty::Bool
        {
            self.err(Problem::Type {
                expected: "bool".into(),
                found: show(t),
            });
        }
    }

    fn numeric(&mut self, e: &Expr, ctx: Ctx<'a>, depth: usize) -> Option<Ty> {
        let t = self.expr(e, ctx, depth)?;
        if t.is_numeric() {
            Some(t)
        } else {
            self.err(Problem::Type {
                expected: "bit<N> or int<N>".into(),
                found: show(t),
            });
            None
        }
    }

    fn unsigned(&mut self, e: &Expr, ctx: Ctx<'a>) {
        if let Some(t) = self.expr(e, ctx, 0)
            && !matches!(t, Ty::Bit(_))
        {
            self.err(Problem::Type {
                expected: "bit<N>".into(),
                found: show(t),
            });
        }
    }

    fn expr(&mut self, e: &Expr, ctx: Ctx<'a>, depth: usize) -> Option<Ty> {
        if depth > MAX_DEPTH {
            self.err(Problem::TooDeep(MAX_DEPTH));
            return None;
        }
        let p = self.p;
        let d = depth + 1;
        match e {
            Expr::Const { ty, value } => {
                self.ty(*ty);
                if matches!(ty, Ty::Varbit(_)) {
                    self.err(Problem::NotAllowed("a varbit constant"));
                    return None;
                }
                if value & !mask(ty.width().min(128)) != 0 {
                    self.err(Problem::Invalid(format!(
                        "constant {value:#x} does not fit {}",
                        show(*ty)
                    )));
                }
                Some(*ty)
            }
            Expr::Field { field } => self.field(field, ctx),
            Expr::Param { index } => match ctx {
                Ctx::Action(a) => match a.params.get(usize::from(*index)) {
                    Some(prm) => Some(Ty::Bit(prm.width)),
                    None => {
                        self.err(Problem::Dangling {
                            kind: "parameter",
                            index: u32::from(*index),
                            len: a.params.len(),
                        });
                        None
                    }
                },
                _ => {
                    self.err(Problem::NotAllowed("an action parameter outside an action"));
                    None
                }
            },
            Expr::IsValid { header } => {
                self.header_ref(*header, ctx)?;
                Some(Ty::Bool)
            }
            Expr::UnionIsValid { union } => {
                self.handle(&p.unions, *union, "union").then_some(Ty::Bool)
            }
            Expr::NextIndex { stack } => self
                .handle(&p.stacks, *stack, "stack")
                .then_some(Ty::Bit(32)),
            Expr::Lookahead { ty } => {
                if !matches!(ctx, Ctx::Parser) {
                    self.err(Problem::NotAllowed("lookahead outside a parser"));
                }
                self.ty(*ty);
                if matches!(ty, Ty::Varbit(_)) {
                    self.err(Problem::NotAllowed("a varbit lookahead"));
                    return None;
                }
                Some(*ty)
            }
            Expr::Unary { un, arg } => {
                let t = self.expr(arg, ctx, d)?;
                let ok = match un {
                    UnOp::Neg | UnOp::BitNot => t.is_numeric(),
                    UnOp::Not => t == Ty::Bool,
                };
                self.expect(
                    ok,
                    if *un == UnOp::Not {
                        "bool"
                    } else {
                        "bit<N> or int<N>"
                    },
                    t,
                )
            }
            Expr::Binary { bin, lhs, rhs } => {
                let a = self.expr(lhs, ctx, d);
                let b = self.expr(rhs, ctx, d);
                let (a, b) = (a?, b?);
                use BinOp::*;
                match bin {
                    Shl | Shr => {
                        let a = self.expect(a.is_numeric(), "bit<N> or int<N>", a)?;
                        self.expect(matches!(b, Ty::Bit(_)), "an unsigned shift amount", b)?;
                        Some(a)
                    }
                    And | Or => {
                        self.expect(a == Ty::Bool, "bool", a)?;
                        self.expect(b == Ty::Bool, "bool", b)
                    }
                    Eq | Ne => {
                        if matches!(a, Ty::Varbit(_)) {
                            self.err(Problem::NotAllowed("comparing varbit fields"));
                            return None;
                        }
                        self.expect(a == b, &show(a), b).map(|_| Ty::Bool)
                    }
                    _ => {
                        let want_unsigned = matches!(bin, Div | Mod);
                        let ok = a.is_numeric() && (!want_unsigned || !a.is_signed());
                        self.expect(
                            ok,
                            if want_unsigned {
                                "bit<N>"
                            } else {
                                "bit<N> or int<N>"
                            },
                            a,
                        )?;
                        self.expect(a == b, &show(a), b)?;
                        Some(if matches!(bin, Lt | Le | Gt | Ge) {
                            Ty::Bool
                        } else {
                            a
                        })
                    }
                }
            }
            Expr::Slice { arg, hi, lo } => {
                let t = self.expr(arg, ctx, d)?;
                if !t.is_numeric() || hi < lo || *hi >= t.width() {
                    self.err(Problem::Invalid(format!(
                        "slice [{hi}:{lo}] of {}",
                        show(t)
                    )));
                    return None;
                }
                Some(Ty::Bit(hi - lo + 1))
            }
            Expr::Concat { hi, lo } => {
                let a = self.expr(hi, ctx, d);
                let b = self.expr(lo, ctx, d);
                let (a, b) = (a?, b?);
                self.expect(a.is_numeric(), "bit<N> or int<N>", a)?;
                self.expect(b.is_numeric(), "bit<N> or int<N>", b)?;
                let w = u32::from(a.width()) + u32::from(b.width());
                let Some(w) = u16::try_from(w).ok().filter(|w| *w <= MAX_WIDTH) else {
                    self.err(Problem::Width {
                        width: u16::try_from(w).unwrap_or(u16::MAX),
                        max: MAX_WIDTH,
                    });
                    return None;
                };
                Some(if a.is_signed() {
                    Ty::Int(w)
                } else {
                    Ty::Bit(w)
                })
            }
            Expr::Cast { ty, arg } => {
                self.ty(*ty);
                let t = self.expr(arg, ctx, d)?;
                let ok = match (t, *ty) {
                    (Ty::Bool, Ty::Bit(1)) | (Ty::Bit(1), Ty::Bool) | (Ty::Bool, Ty::Bool) => true,
                    (a, b) => a.is_numeric() && b.is_numeric(),
                };
                self.expect(ok, &format!("a value castable to {}", show(*ty)), t)?;
                Some(*ty)
            }
            Expr::Mux { cond, then, els } => {
                self.boolean(cond, ctx, d);
                let a = self.expr(then, ctx, d);
                let b = self.expr(els, ctx, d);
                let (a, b) = (a?, b?);
                self.expect(a == b, &show(a), b)
            }
        }
    }

    fn expect(&mut self, ok: bool, expected: &str, found: Ty) -> Option<Ty> {
        if ok {
            Some(found)
        } else {
            self.err(Problem::Type {
                expected: expected.into(),
                found: show(found),
            });
            None
        }
    }
}

/// P4 spelling of a type.
pub fn show(t: Ty) -> String {
    match t {
        Ty::Bool => "bool".into(),
        Ty::Bit(w) => format!("bit<{w}>"),
        Ty::Int(w) => format!("int<{w}>"),
        Ty::Varbit(w) => format!("varbit<{w}>"),
    }
}

/// The type of an expression in a validated pipeline; `action` is the enclosing action, if any.
///
/// Only meaningful after [`validate`] succeeded: it then never fails and never panics.
pub fn type_of(p: &Pipeline, e: &Expr, action: Option<&Action>) -> Ty {
    let hty = |r: HeaderRef| -> &crate::types::HeaderType {
        let h = match r {
            HeaderRef::Instance(h) => h,
            HeaderRef::Next(s) | HeaderRef::Last(s) => p.stacks[s].elements[0],
        };
        &p.header_types[p.headers[h].ty]
    };
    match e {
        Expr::Const { ty, .. } | Expr::Lookahead { ty } | Expr::Cast { ty, .. } => *ty,
        Expr::Field { field } => hty(field.header).fields[usize::from(field.field)].ty,
        Expr::Param { index } => Ty::Bit(action.map_or(1, |a| a.params[usize::from(*index)].width)),
        Expr::IsValid { .. } | Expr::UnionIsValid { .. } => Ty::Bool,
        Expr::NextIndex { .. } => Ty::Bit(32),
        Expr::Unary { arg, .. } => type_of(p, arg, action),
        Expr::Binary { bin, lhs, .. } => match bin {
            BinOp::Eq
            | BinOp::Ne
            | BinOp::Lt
            | BinOp::Le
            | BinOp::Gt
            | BinOp::Ge
            | BinOp::And
            | BinOp::Or => Ty::Bool,
            _ => type_of(p, lhs, action),
        },
        Expr::Slice { hi, lo, .. } => Ty::Bit(hi - lo + 1),
        Expr::Concat { hi, lo } => {
            let (a, b) = (type_of(p, hi, action), type_of(p, lo, action));
            let w = a.width() + b.width();
            if a.is_signed() {
                Ty::Int(w)
            } else {
                Ty::Bit(w)
            }
        }
        Expr::Mux { then, .. } => type_of(p, then, action),
    }
}

//! Declarations: each is checked in source order (P4 requires declaration before use) and its
//! name defined in the current scope once checked.

use std::collections::HashMap;

use crate::ast::{
    Aggregate, Decl, Direction, Enum, Handle, Ident, Instance, Loc, Param, TypedefTarget, Var,
};

use super::error::{Error, ErrorKind};
use super::ty::{Type, TypeId, VarId};
use super::value::Value;
use super::{Checker, Def, Place};

impl Checker<'_> {
    pub(super) fn decl(&mut self, h: Handle<Decl>) {
        let p = self.p;
        match &p.decls[h] {
            Decl::Const(v) => self.constant(h, v),
            Decl::Var(v) => self.variable(h, v),
            Decl::Instance(i) => self.instance(h, i),
            Decl::Typedef(t) => {
                let target = match &t.target {
                    TypedefTarget::Type(r) => self.type_ref(*r),
                    TypedefTarget::Decl(d) => {
                        self.decl(*d);
                        self.out.decls[d.index()].ty.unwrap_or(TypeId::UNKNOWN)
                    }
                };
                let ty = if t.is_new_type {
                    self.ty(Type::NewType(h))
                } else {
                    target
                };
                self.out.decls[h.index()].ty = Some(ty);
                self.define(&t.name, Def::Decl(h));
            }
            Decl::Header(a) => self.aggregate(h, a, AggregateKind::Header),
            Decl::HeaderUnion(a) => self.aggregate(h, a, AggregateKind::Union),
            Decl::Struct(a) => self.aggregate(h, a, AggregateKind::Struct),
            Decl::Enum(e) => self.enumeration(h, e),
            Decl::Error(m) => {
                for id in &m.members {
                    if let Some(first) = self.error_locs.get(&id.name) {
                        let first = *first;
                        self.push_err(
                            Error::new(
                                ErrorKind::Duplicate {
                                    name: format!("error.{}", id.name),
                                },
                                id.loc,
                            )
                            .related(first, "first defined here"),
                        );
                    } else {
                        self.error_locs.insert(id.name.clone(), id.loc);
                        self.out.errors.push(id.name.clone());
                    }
                }
            }
            Decl::MatchKind(m) => {
                for (i, id) in m.members.iter().enumerate() {
                    self.out.match_kinds.push(id.name.clone());
                    self.define(
                        id,
                        Def::MatchKind {
                            decl: h,
                            index: i as u32,
                        },
                    );
                }
            }
            Decl::ExternFunction(s) => {
                self.push_scope();
                self.type_params(h, None, &s.type_params);
                self.param_types(&s.params);
                if let Some(r) = s.return_type {
                    self.type_ref(r);
                }
                self.pop_scope();
                self.define(&s.name, Def::Decl(h));
            }
            Decl::Extern(e) => {
                // The extern's own name is visible in its methods (constructors, methods
                // returning the extern type).
                self.define(&e.name, Def::Decl(h));
                self.push_scope();
                self.type_params(h, None, &e.type_params);
                for (i, m) in e.methods.iter().enumerate() {
                    self.push_scope();
                    self.type_params(h, Some(i as u32), &m.signature.type_params);
                    self.param_types(&m.signature.params);
                    if let Some(r) = m.signature.return_type {
                        self.type_ref(r);
                    }
                    self.pop_scope();
                }
                self.pop_scope();
                let args = self.own_vars(h, e.type_params.len());
                let ty = self.ty(Type::Extern { decl: h, args });
                self.out.decls[h.index()].ty = Some(ty);
            }
            Decl::Function(f) => {
                let saved = (self.place, self.return_type);
                self.push_scope();
                self.type_params(h, None, &f.signature.type_params);
                self.params(h, &f.signature.params, false);
                let rt = f
                    .signature
                    .return_type
                    .map_or(TypeId::VOID, |r| self.type_ref(r));
                self.place = Place::Function;
                self.return_type = Some(rt);
                self.block(&f.body);
                self.pop_scope();
                (self.place, self.return_type) = saved;
                self.define(&f.signature.name, Def::Decl(h));
            }
            Decl::Action(a) => {
                self.action_params_order(&a.params);
                let saved = self.place;
                self.push_scope();
                self.params(h, &a.params, false);
                self.place = Place::Action;
                self.block(&a.body);
                self.pop_scope();
                self.place = saved;
                self.define(&a.name, Def::Decl(h));
            }
            Decl::ParserType(t) | Decl::ControlType(t) | Decl::Package(t) => {
                self.push_scope();
                self.type_params(h, None, &t.type_params);
                self.param_types(&t.params);
                self.pop_scope();
                if !matches!(p.decls[h], Decl::Package(_)) {
                    self.apply_params_directions(&t.params);
                }
                let args = self.own_vars(h, t.type_params.len());
                let ty = match &p.decls[h] {
                    Decl::ParserType(_) => Type::Parser { decl: h, args },
                    Decl::ControlType(_) => Type::Control { decl: h, args },
                    _ => Type::Package { decl: h, args },
                };
                let ty = self.ty(ty);
                self.out.decls[h.index()].ty = Some(ty);
                self.define(&t.name, Def::Decl(h));
            }
            Decl::Parser(x) => {
                let saved = (self.place, self.block_owner);
                self.push_scope();
                self.type_params(h, None, &x.ty.type_params);
                self.params(h, &x.ty.params, false);
                self.apply_params_directions(&x.ty.params);
                self.params(h, &x.ctor_params, true);
                self.block_owner = Some(h);
                self.place = Place::Parser;
                for l in &x.locals {
                    self.decl(*l);
                }
                self.parser_states(h, &x.states);
                self.pop_scope();
                (self.place, self.block_owner) = saved;
                let args = self.own_vars(h, x.ty.type_params.len());
                let ty = self.ty(Type::Parser { decl: h, args });
                self.out.decls[h.index()].ty = Some(ty);
                self.define(&x.ty.name, Def::Decl(h));
            }
            Decl::Control(x) => {
                let saved = (self.place, self.block_owner);
                self.push_scope();
                self.type_params(h, None, &x.ty.type_params);
                self.params(h, &x.ty.params, false);
                self.apply_params_directions(&x.ty.params);
                self.params(h, &x.ctor_params, true);
                self.block_owner = Some(h);
                self.place = Place::Top;
                for l in &x.locals {
                    self.decl(*l);
                }
                self.place = Place::ControlApply;
                self.block(&x.apply);
                self.pop_scope();
                (self.place, self.block_owner) = saved;
                let args = self.own_vars(h, x.ty.type_params.len());
                let ty = self.ty(Type::Control { decl: h, args });
                self.out.decls[h.index()].ty = Some(ty);
                self.define(&x.ty.name, Def::Decl(h));
            }
            Decl::Table(t) => {
                self.table(h, t);
                self.define(&t.name, Def::Decl(h));
            }
            Decl::ValueSet(v) => {
                let elem = self.type_ref(v.elem);
                self.positive_const(v.size);
                let ty = self.ty(Type::ValueSet(elem));
                self.out.decls[h.index()].ty = Some(ty);
                self.define(&v.name, Def::Decl(h));
            }
        }
    }

    /// `Var(owner, i)` for each of a declaration's own type parameters.
    fn own_vars(&mut self, owner: Handle<Decl>, n: usize) -> Vec<TypeId> {
        (0..n)
            .map(|i| {
                self.ty(Type::Var(VarId {
                    owner,
                    method: None,
                    index: i as u32,
                }))
            })
            .collect()
    }

    fn type_params(&mut self, owner: Handle<Decl>, method: Option<u32>, names: &[Ident]) {
        for (i, n) in names.iter().enumerate() {
            self.define(
                n,
                Def::TypeParam(VarId {
                    owner,
                    method,
                    index: i as u32,
                }),
            );
        }
    }

    /// Resolves parameter types without defining the names (signatures without bodies).
    fn param_types(&mut self, params: &[Param]) {
        for prm in params {
            let t = self.type_ref(prm.ty);
            if let Some(d) = prm.default {
                self.expr_as(d, t);
            }
        }
    }

    /// Resolves parameter types and defines the names in the current scope.
    fn params(&mut self, owner: Handle<Decl>, params: &[Param], ctor: bool) {
        for (i, prm) in params.iter().enumerate() {
            let t = self.type_ref(prm.ty);
            if let Some(d) = prm.default {
                self.expr_as(d, t);
            }
            let index = i as u32;
            let def = if ctor {
                Def::CtorParam { owner, index }
            } else {
                Def::Param { owner, index }
            };
            self.define(&prm.name, def);
        }
    }

    /// Runtime parameters of parsers and controls need a direction, except externs
    /// (`packet_in`, `packet_out`), which are passed by reference.
    fn apply_params_directions(&mut self, params: &[Param]) {
        for prm in params {
            let t = self.out.type_refs[prm.ty.index()];
            if prm.direction.is_none()
                && !matches!(self.get(t), Type::Extern { .. } | Type::Unknown)
            {
                let found = self.display(t);
                self.err(
                    ErrorKind::ParamOrder {
                        message: format!(
                            "expected `in`, `out` or `inout` for parameter `{}` of type {found}, found none",
                            prm.name.name
                        ),
                    },
                    prm.loc,
                );
            }
        }
    }

    /// Action parameters with a direction (bound by the data plane) come before directionless
    /// ones (action data from the control plane).
    fn action_params_order(&mut self, params: &[Param]) {
        let mut directionless: Option<&Param> = None;
        for prm in params {
            match (prm.direction, directionless) {
                (None, None) => directionless = Some(prm),
                (Some(d), Some(first)) => {
                    let dir = match d {
                        Direction::In => "in",
                        Direction::Out => "out",
                        Direction::InOut => "inout",
                    };
                    self.push_err(
                        Error::new(
                            ErrorKind::ParamOrder {
                                message: format!(
                                    "`{dir}` parameter `{}` follows directionless parameter `{}`; parameters with a direction must come first",
                                    prm.name.name, first.name.name
                                ),
                            },
                            prm.loc,
                        )
                        .related(first.loc, "directionless parameter here"),
                    );
                }
                _ => {}
            }
        }
    }

    fn constant(&mut self, h: Handle<Decl>, v: &Var) {
        let t = self.type_ref(v.ty);
        self.out.decls[h.index()].ty = Some(t);
        if let Some(init) = v.init {
            self.expr_as(init, t);
            match self.out.values[init.index()].clone() {
                Some(val) => self.out.decls[h.index()].value = Some(val),
                None => {
                    if self.out.expr_types[init.index()] != TypeId::UNKNOWN {
                        self.err(
                            ErrorKind::NotConstant {
                                found: "a run-time value".into(),
                            },
                            self.p.exprs.loc(init),
                        );
                    }
                }
            }
        }
        self.define(&v.name, Def::Decl(h));
    }

    fn variable(&mut self, h: Handle<Decl>, v: &Var) {
        let t = self.type_ref(v.ty);
        if matches!(self.get(t), Type::InfInt | Type::String | Type::Void) {
            let found = self.display(t);
            self.err(
                ErrorKind::NeedsFixedWidth {
                    name: v.name.name.clone(),
                    found,
                },
                self.p.types.loc(v.ty),
            );
        }
        self.out.decls[h.index()].ty = Some(t);
        if let Some(init) = v.init {
            let spec = self
                .spec_refs
                .get(&v.ty)
                .and_then(|args| match self.get(t) {
                    Type::Struct(d) | Type::Header(d) | Type::HeaderUnion(d) => {
                        Some((*d, args.clone()))
                    }
                    _ => None,
                });
            let saved = std::mem::replace(&mut self.spec, spec);
            self.expr_as(init, t);
            self.spec = saved;
        }
        self.define(&v.name, Def::Decl(h));
    }

    fn instance(&mut self, h: Handle<Decl>, i: &Instance) {
        let p = self.p;
        let t = self.type_ref(i.ty);
        let loc = p.types.loc(i.ty);
        let ty = self.construct(None, t, &i.args, loc);
        self.out.decls[h.index()].ty = Some(ty);
        if let Some(init) = &i.initializer {
            let saved = self.this_type.replace(ty);
            self.push_scope();
            for d in init {
                self.decl(*d);
            }
            self.pop_scope();
            self.this_type = saved;
        }
        self.abstract_methods(i, ty);
        if self.scopes.len() == 1 && i.name.name == "main" {
            self.out.main = Some(h);
        }
        self.define(&i.name, Def::Decl(h));
    }

    /// An instance of an extern with abstract methods implements each of them in its
    /// initializer, with the signature the extern declares (its type parameters replaced by
    /// the instance's type arguments; `@optional` parameters may be left out), and nothing
    /// else.
    fn abstract_methods(&mut self, i: &Instance, ty: TypeId) {
        let p = self.p;
        let Type::Extern { decl, args } = self.get(ty).clone() else {
            return;
        };
        let Decl::Extern(ext) = &p.decls[decl] else {
            return;
        };
        let subst = self.instance_subst(decl, &args);
        let implemented: Vec<(&crate::ast::Signature, Loc)> = i
            .initializer
            .iter()
            .flatten()
            .filter_map(|d| match &p.decls[*d] {
                Decl::Function(f) => Some((&f.signature, f.signature.name.loc)),
                _ => None,
            })
            .collect();
        let abstracts: Vec<&crate::ast::Signature> = ext
            .methods
            .iter()
            .filter(|m| m.kind == crate::ast::MethodKind::Abstract)
            .map(|m| &m.signature)
            .collect();
        let report = |c: &mut Self, message: String, loc: Loc, decl_loc: Option<Loc>| {
            let mut e = Error::new(ErrorKind::AbstractMethod { message }, loc);
            if let Some(d) = decl_loc {
                e = e.related(d, "declared here");
            }
            c.push_err(e);
        };
        for (sig, loc) in &implemented {
            if !abstracts.iter().any(|a| a.name.name == sig.name.name) {
                report(
                    self,
                    format!(
                        "`{}` is not an abstract method of extern `{}`",
                        sig.name.name, ext.name.name
                    ),
                    *loc,
                    None,
                );
            }
        }
        for a in &abstracts {
            let Some((sig, loc)) = implemented.iter().find(|(s, _)| s.name.name == a.name.name)
            else {
                report(
                    self,
                    format!(
                        "instance `{}` of extern `{}` does not implement abstract method `{}`",
                        i.name.name, ext.name.name, a.name.name
                    ),
                    i.name.loc,
                    Some(a.name.loc),
                );
                continue;
            };
            let required = a
                .params
                .iter()
                .filter(|prm| crate::ast::find_annotation(&prm.annotations, "optional").is_none())
                .count();
            if sig.params.len() < required || sig.params.len() > a.params.len() {
                let expected = if required == a.params.len() {
                    required.to_string()
                } else {
                    format!("{required} to {}", a.params.len())
                };
                report(
                    self,
                    format!(
                        "abstract method `{}` takes {expected} parameters, found {}",
                        a.name.name,
                        sig.params.len()
                    ),
                    *loc,
                    Some(a.name.loc),
                );
                continue;
            }
            let want_ret = a.return_type.map(|r| self.out.type_refs[r.index()]);
            let want_ret = want_ret.map(|t| self.subst(t, &subst));
            let got_ret = sig.return_type.map(|r| self.out.type_refs[r.index()]);
            if let (Some(w), Some(g)) = (want_ret, got_ret)
                && !self.same_signature_type(g, w)
            {
                let (expected, found) = (self.display(w), self.display(g));
                report(
                    self,
                    format!(
                        "abstract method `{}` returns {expected}, found {found}",
                        a.name.name
                    ),
                    *loc,
                    Some(a.name.loc),
                );
            }
            for (want, got) in a.params.iter().zip(&sig.params) {
                let wt = self.out.type_refs[want.ty.index()];
                let wt = self.subst(wt, &subst);
                let gt = self.out.type_refs[got.ty.index()];
                if want.direction != got.direction {
                    let dir = |d: Option<Direction>| match d {
                        Some(Direction::In) => "direction `in`",
                        Some(Direction::Out) => "direction `out`",
                        Some(Direction::InOut) => "direction `inout`",
                        None => "no direction",
                    };
                    report(
                        self,
                        format!(
                            "parameter `{}` of abstract method `{}` has {}, found {}",
                            got.name.name,
                            a.name.name,
                            dir(want.direction),
                            dir(got.direction)
                        ),
                        got.loc,
                        Some(want.loc),
                    );
                } else if !self.same_signature_type(gt, wt) {
                    let (expected, found) = (self.display(wt), self.display(gt));
                    report(
                        self,
                        format!(
                            "parameter `{}` of abstract method `{}` has type {expected}, found {found}",
                            got.name.name, a.name.name
                        ),
                        got.loc,
                        Some(want.loc),
                    );
                }
            }
        }
    }

    /// Whether an implementation's type `got` matches the declared `want`; type variables the
    /// instance left open (`_`) match anything.
    fn same_signature_type(&self, got: TypeId, want: TypeId) -> bool {
        got == want
            || got == TypeId::UNKNOWN
            || want == TypeId::UNKNOWN
            || want == TypeId::DONT_CARE
            || self.contains_var(want)
    }

    fn aggregate(&mut self, h: Handle<Decl>, a: &Aggregate, kind: AggregateKind) {
        self.push_scope();
        self.type_params(h, None, &a.type_params);
        let mut seen: HashMap<&str, crate::ast::Loc> = HashMap::new();
        for f in &a.fields {
            let t = self.type_ref(f.ty);
            if let Some(first) = seen.insert(&f.name.name, f.name.loc) {
                self.push_err(
                    Error::new(
                        ErrorKind::Duplicate {
                            name: f.name.name.clone(),
                        },
                        f.name.loc,
                    )
                    .related(first, "first defined here"),
                );
            }
            let ok = match kind {
                AggregateKind::Header => self.header_field_ok(t, 0),
                AggregateKind::Union => matches!(self.get(t), Type::Header(_) | Type::Unknown),
                AggregateKind::Struct => !matches!(
                    self.get(t),
                    Type::Void
                        | Type::InfInt
                        | Type::Extern { .. }
                        | Type::Parser { .. }
                        | Type::Control { .. }
                        | Type::Package { .. }
                ),
            };
            if !ok {
                let found = self.display(t);
                let (expected, container) = match kind {
                    AggregateKind::Header => (
                        "bit<N>, int<N>, varbit<N>, bool, a serializable enum or a struct of them",
                        "a header",
                    ),
                    AggregateKind::Union => ("a header", "a header union"),
                    AggregateKind::Struct => ("a data type", "a struct"),
                };
                self.err(
                    ErrorKind::BadMemberType {
                        expected,
                        container: container.into(),
                        found,
                    },
                    self.p.types.loc(f.ty),
                );
            }
        }
        self.pop_scope();
        let ty = self.ty(match kind {
            AggregateKind::Header => Type::Header(h),
            AggregateKind::Union => Type::HeaderUnion(h),
            AggregateKind::Struct => Type::Struct(h),
        });
        self.out.decls[h.index()].ty = Some(ty);
        self.define(&a.name, Def::Decl(h));
    }

    fn header_field_ok(&self, t: TypeId, depth: u32) -> bool {
        match self.get(t) {
            Type::Bit(_)
            | Type::Int(_)
            | Type::Varbit(_)
            | Type::Bool
            | Type::Unknown
            | Type::Var(_) => true,
            Type::Enum(_) => self.enum_repr(t).is_some(),
            Type::NewType(d) => {
                depth < 8 && self.header_field_ok(self.new_type_underlying(*d), depth + 1)
            }
            Type::Struct(d) => {
                depth < 8
                    && self
                        .field_types(*d)
                        .iter()
                        .all(|(_, ft)| self.header_field_ok(*ft, depth + 1))
            }
            _ => false,
        }
    }

    fn enumeration(&mut self, h: Handle<Decl>, e: &Enum) {
        let repr = e.repr.map(|r| (r, self.type_ref(r)));
        if let Some((r, t)) = repr
            && !matches!(self.get(t), Type::Bit(_) | Type::Int(_) | Type::Unknown)
        {
            let found = self.display(t);
            self.err(
                ErrorKind::Mismatch {
                    expected: "bit<N> or int<N> as the enum's representation".into(),
                    found,
                },
                self.p.types.loc(r),
            );
        }
        let mut seen: HashMap<&str, crate::ast::Loc> = HashMap::new();
        let mut values = Vec::new();
        for m in &e.members {
            if let Some(first) = seen.insert(&m.name.name, m.name.loc) {
                self.push_err(
                    Error::new(
                        ErrorKind::Duplicate {
                            name: m.name.name.clone(),
                        },
                        m.name.loc,
                    )
                    .related(first, "first defined here"),
                );
            }
            match (m.value, repr) {
                (Some(v), Some((_, t))) => {
                    self.expr_as(v, t);
                    match self.out.values[v.index()].clone() {
                        Some(val @ Value::Int(_)) => values.push(val),
                        _ => {
                            self.const_int(v);
                        }
                    }
                }
                (Some(v), None) => {
                    self.expr(v, None);
                    self.err(
                        ErrorKind::Mismatch {
                            expected:
                                "a member without a value in an enum without a representation type"
                                    .into(),
                            found: "a value".into(),
                        },
                        self.p.exprs.loc(v),
                    );
                }
                (None, Some(_)) => {
                    self.err(
                        ErrorKind::Mismatch {
                            expected: "`= value` for a member of a serializable enum".into(),
                            found: "none".into(),
                        },
                        m.loc,
                    );
                }
                (None, None) => {}
            }
        }
        let ty = self.ty(Type::Enum(h));
        let info = &mut self.out.decls[h.index()];
        info.ty = Some(ty);
        info.enum_values = values;
        self.define(&e.name, Def::Decl(h));
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum AggregateKind {
    Header,
    Union,
    Struct,
}

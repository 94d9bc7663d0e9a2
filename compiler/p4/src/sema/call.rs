//! Calls, constructor calls and their arguments: overloads chosen by arity, named arguments,
//! type-parameter inference, and the rule that `out`/`inout` arguments must be writable.

use std::collections::HashMap;

use crate::ast::{Argument, Decl, Direction, Expr, Handle, Loc, MethodKind, Param, TypeRef};

use super::error::ErrorKind;
use super::ty::{Type, TypeId, VarId};
use super::{Builtin, CallTarget, Checker, Def, Member, Place};

/// Type-parameter bindings found so far in one call.
pub(super) type Subst = HashMap<VarId, TypeId>;

impl<'a> Checker<'a> {
    pub(super) fn call_expr(
        &mut self,
        e: Handle<Expr>,
        callee: Handle<Expr>,
        type_args: &[Handle<TypeRef>],
        args: &[Argument],
    ) -> TypeId {
        let targs: Vec<TypeId> = type_args.iter().map(|t| self.type_ref(*t)).collect();
        let p = self.p;
        let loc = p.exprs.loc(e);
        match &p.exprs[callee] {
            Expr::Path(path) => {
                let Some(defs) = self.lookup(path).map(<[_]>::to_vec) else {
                    self.undefined("name", &path.name);
                    self.args_unchecked(args);
                    return TypeId::UNKNOWN;
                };
                let (first, _) = defs[0];
                self.out.defs[callee.index()] = Some(first);
                let Def::Decl(h) = first else {
                    let t = self.def_type(callee, first);
                    self.out.expr_types[callee.index()] = t;
                    return self.not_callable(callee, args);
                };
                match &p.decls[h] {
                    Decl::Action(a) => {
                        self.out.calls[e.index()] = Some(CallTarget::Action(h));
                        if self.place == Place::Parser {
                            self.err(
                                ErrorKind::Misplaced {
                                    what: "calling an action".into(),
                                    place: Place::Parser.describe().into(),
                                },
                                loc,
                            );
                        }
                        let mut subst = Subst::new();
                        self.args(loc, &a.params, args, &mut subst);
                        TypeId::VOID
                    }
                    Decl::Function(_) | Decl::ExternFunction(_) => {
                        let cands: Vec<Handle<Decl>> = defs
                            .iter()
                            .filter_map(|(d, _)| match d {
                                Def::Decl(h) => Some(*h),
                                _ => None,
                            })
                            .collect();
                        let pick = cands
                            .iter()
                            .copied()
                            .find(|h| accepts(signature_params(&p.decls[*h]), args.len()));
                        let Some(pick) = pick else {
                            let expected = arity_text(signature_params(&p.decls[h]));
                            self.err(
                                ErrorKind::ArgCount {
                                    expected,
                                    found: args.len(),
                                },
                                loc,
                            );
                            self.args_unchecked(args);
                            return TypeId::UNKNOWN;
                        };
                        self.out.defs[callee.index()] = Some(Def::Decl(pick));
                        self.out.calls[e.index()] = Some(CallTarget::Function(pick));
                        let sig = match &p.decls[pick] {
                            Decl::Function(f) => &f.signature,
                            Decl::ExternFunction(s) => s,
                            _ => return TypeId::UNKNOWN,
                        };
                        let mut subst = Subst::new();
                        self.bind_type_args(pick, None, &targs, loc, &mut subst);
                        self.args(loc, &sig.params, args, &mut subst);
                        match sig.return_type {
                            Some(r) => {
                                let t = self.out.type_refs[r.index()];
                                self.subst(t, &subst)
                            }
                            None => TypeId::VOID,
                        }
                    }
                    Decl::Extern(_)
                    | Decl::Parser(_)
                    | Decl::Control(_)
                    | Decl::Package(_)
                    | Decl::ParserType(_)
                    | Decl::ControlType(_) => {
                        let named = self.def_type(callee, first);
                        self.out.expr_types[callee.index()] = named;
                        let ty = match self.get(named) {
                            Type::TypeName(t) => *t,
                            _ => TypeId::UNKNOWN,
                        };
                        self.construct(Some(e), ty, args, loc)
                    }
                    other => {
                        let what = format!("{} `{}`", super::decl_kind(other), path.name.name);
                        self.err(ErrorKind::NotCallable { found: what }, path.name.loc);
                        self.args_unchecked(args);
                        TypeId::UNKNOWN
                    }
                }
            }
            Expr::Member { base, member } => {
                let bt = self.expr(*base, None);
                self.out.members[callee.index()] = Some(Member::Method);
                let name = member.name.as_str();
                match self.get(bt).clone() {
                    Type::Unknown => {
                        self.args_unchecked(args);
                        TypeId::UNKNOWN
                    }
                    Type::Table(t) if name == "apply" => {
                        self.out.calls[e.index()] = Some(CallTarget::Apply(t));
                        if self.place != Place::ControlApply {
                            self.err(
                                ErrorKind::Misplaced {
                                    what: "applying a table".into(),
                                    place: self.place.describe().into(),
                                },
                                loc,
                            );
                        }
                        self.args(loc, &[], args, &mut Subst::new());
                        self.ty(Type::ApplyResult(t))
                    }
                    Type::Extern {
                        decl,
                        args: ext_args,
                    } => {
                        let Decl::Extern(ext) = &p.decls[decl] else {
                            return TypeId::UNKNOWN;
                        };
                        let named: Vec<usize> = ext
                            .methods
                            .iter()
                            .enumerate()
                            .filter(|(_, m)| {
                                m.kind != MethodKind::Constructor && m.signature.name.name == name
                            })
                            .map(|(i, _)| i)
                            .collect();
                        if named.is_empty() {
                            let ty = self.display(bt);
                            self.err(
                                ErrorKind::NoMember {
                                    ty,
                                    member: name.to_string(),
                                },
                                member.loc,
                            );
                            self.args_unchecked(args);
                            return TypeId::UNKNOWN;
                        }
                        let Some(&mi) = named
                            .iter()
                            .find(|i| accepts(&ext.methods[**i].signature.params, args.len()))
                        else {
                            let expected = arity_text(&ext.methods[named[0]].signature.params);
                            self.err(
                                ErrorKind::ArgCount {
                                    expected,
                                    found: args.len(),
                                },
                                loc,
                            );
                            self.args_unchecked(args);
                            return TypeId::UNKNOWN;
                        };
                        self.out.calls[e.index()] = Some(CallTarget::Method {
                            ext: decl,
                            method: mi as u32,
                        });
                        let mut subst = self.instance_subst(decl, &ext_args);
                        let sig = &ext.methods[mi].signature;
                        self.bind_type_args(decl, Some(mi as u32), &targs, loc, &mut subst);
                        self.args(loc, &sig.params, args, &mut subst);
                        match sig.return_type {
                            Some(r) => {
                                let t = self.out.type_refs[r.index()];
                                self.subst(t, &subst)
                            }
                            None => TypeId::VOID,
                        }
                    }
                    Type::Parser {
                        decl,
                        args: inst_args,
                    }
                    | Type::Control {
                        decl,
                        args: inst_args,
                    } if name == "apply" => {
                        self.out.calls[e.index()] = Some(CallTarget::Apply(decl));
                        let mut subst = self.instance_subst(decl, &inst_args);
                        let params = self.apply_params(decl);
                        self.args(loc, params, args, &mut subst);
                        TypeId::VOID
                    }
                    ref t @ (Type::Header(_)
                    | Type::HeaderUnion(_)
                    | Type::Stack { .. }
                    | Type::Struct(_)) => {
                        let is_header = matches!(t, Type::Header(_));
                        let builtin = match (name, t) {
                            ("isValid", Type::Header(_) | Type::HeaderUnion(_)) => {
                                Some((Builtin::IsValid, TypeId::BOOL, 0))
                            }
                            ("setValid", _) if is_header => {
                                Some((Builtin::SetValid, TypeId::VOID, 0))
                            }
                            ("setInvalid", _) if is_header => {
                                Some((Builtin::SetInvalid, TypeId::VOID, 0))
                            }
                            ("push_front", Type::Stack { .. }) => {
                                Some((Builtin::PushFront, TypeId::VOID, 1))
                            }
                            ("pop_front", Type::Stack { .. }) => {
                                Some((Builtin::PopFront, TypeId::VOID, 1))
                            }
                            ("minSizeInBits", _) => {
                                Some((Builtin::MinSizeInBits, TypeId::INF_INT, 0))
                            }
                            ("minSizeInBytes", _) => {
                                Some((Builtin::MinSizeInBytes, TypeId::INF_INT, 0))
                            }
                            ("maxSizeInBits", _) => {
                                Some((Builtin::MaxSizeInBits, TypeId::INF_INT, 0))
                            }
                            ("maxSizeInBytes", _) => {
                                Some((Builtin::MaxSizeInBytes, TypeId::INF_INT, 0))
                            }
                            _ => None,
                        };
                        let Some((b, ret, arity)) = builtin else {
                            let ty = self.display(bt);
                            self.err(
                                ErrorKind::NoMember {
                                    ty,
                                    member: name.to_string(),
                                },
                                member.loc,
                            );
                            self.args_unchecked(args);
                            return TypeId::UNKNOWN;
                        };
                        self.out.calls[e.index()] = Some(CallTarget::Builtin(b));
                        if matches!(
                            b,
                            Builtin::SetValid
                                | Builtin::SetInvalid
                                | Builtin::PushFront
                                | Builtin::PopFront
                        ) && let Some(why) = self.lvalue(*base)
                        {
                            self.err(ErrorKind::NotAssignable { what: why }, p.exprs.loc(*base));
                        }
                        if args.len() != arity {
                            self.err(
                                ErrorKind::ArgCount {
                                    expected: arity.to_string(),
                                    found: args.len(),
                                },
                                loc,
                            );
                            self.args_unchecked(args);
                        } else if let Some(a) = args.first() {
                            self.expr_as(a.value, TypeId::INF_INT);
                            self.const_int(a.value);
                        }
                        ret
                    }
                    _ => {
                        let ty = self.display(bt);
                        self.err(
                            ErrorKind::NoMember {
                                ty,
                                member: name.to_string(),
                            },
                            member.loc,
                        );
                        self.args_unchecked(args);
                        TypeId::UNKNOWN
                    }
                }
            }
            _ => {
                self.expr(callee, None);
                self.not_callable(callee, args)
            }
        }
    }

    fn not_callable(&mut self, callee: Handle<Expr>, args: &[Argument]) -> TypeId {
        let t = self.out.expr_types[callee.index()];
        let found = if t == TypeId::UNKNOWN {
            "this expression".to_string()
        } else {
            self.display(t)
        };
        self.err(ErrorKind::NotCallable { found }, self.p.exprs.loc(callee));
        self.args_unchecked(args);
        TypeId::UNKNOWN
    }

    /// Types the arguments of a call that could not be resolved, so names in them still
    /// resolve (and their errors are still found).
    fn args_unchecked(&mut self, args: &[Argument]) {
        for a in args {
            self.expr(a.value, None);
        }
    }

    /// Bindings of an instance's type arguments to its declaration's type parameters.
    pub(super) fn instance_subst(&self, decl: Handle<Decl>, args: &[TypeId]) -> Subst {
        args.iter()
            .enumerate()
            .filter(|(_, t)| {
                !matches!(self.get(**t), Type::Var(v) if v.owner == decl)
                    && **t != TypeId::DONT_CARE
            })
            .map(|(i, t)| {
                (
                    VarId {
                        owner: decl,
                        method: None,
                        index: i as u32,
                    },
                    *t,
                )
            })
            .collect()
    }

    fn bind_type_args(
        &mut self,
        owner: Handle<Decl>,
        method: Option<u32>,
        targs: &[TypeId],
        loc: Loc,
        subst: &mut Subst,
    ) {
        if targs.is_empty() {
            return;
        }
        let p = self.p;
        let count = match (&p.decls[owner], method) {
            (Decl::Extern(e), Some(m)) => e
                .methods
                .get(m as usize)
                .map_or(0, |m| m.signature.type_params.len()),
            (Decl::ExternFunction(s), _) => s.type_params.len(),
            (Decl::Function(f), _) => f.signature.type_params.len(),
            _ => 0,
        };
        if count != targs.len() {
            self.err(
                ErrorKind::TypeArgCount {
                    expected: count,
                    found: targs.len(),
                },
                loc,
            );
            return;
        }
        for (i, t) in targs.iter().enumerate() {
            if *t != TypeId::DONT_CARE {
                subst.insert(
                    VarId {
                        owner,
                        method,
                        index: i as u32,
                    },
                    *t,
                );
            }
        }
    }

    /// Checks `args` against `params`: count (parameters with a default or `@optional` may be
    /// left out), names, types (inferring type parameters into `subst`) and writability of
    /// `out`/`inout` arguments. Returns the argument bound to each parameter.
    pub(super) fn args(
        &mut self,
        loc: Loc,
        params: &[Param],
        args: &[Argument],
        subst: &mut Subst,
    ) -> Vec<Option<Handle<Expr>>> {
        let mut bound: Vec<Option<Handle<Expr>>> = vec![None; params.len()];
        let named = args.iter().any(|a| a.name.is_some());
        if named {
            for a in args {
                let Some(n) = &a.name else {
                    self.err(
                        ErrorKind::Mismatch {
                            expected: "a named argument (all or none must be named)".into(),
                            found: "a positional argument".into(),
                        },
                        a.loc,
                    );
                    self.expr(a.value, None);
                    continue;
                };
                match params.iter().position(|p| p.name.name == n.name) {
                    Some(i) if bound[i].is_none() => bound[i] = Some(a.value),
                    Some(_) => {
                        self.err(
                            ErrorKind::Duplicate {
                                name: n.name.clone(),
                            },
                            n.loc,
                        );
                        self.expr(a.value, None);
                    }
                    None => {
                        self.undefined("parameter", n);
                        self.expr(a.value, None);
                    }
                }
            }
            for (i, prm) in params.iter().enumerate() {
                if bound[i].is_none() && is_required(prm) {
                    self.err(
                        ErrorKind::ArgCount {
                            expected: arity_text(params),
                            found: args.len(),
                        },
                        loc,
                    );
                    break;
                }
            }
        } else {
            if !accepts(params, args.len()) {
                self.err(
                    ErrorKind::ArgCount {
                        expected: arity_text(params),
                        found: args.len(),
                    },
                    loc,
                );
                self.args_unchecked(args);
                return bound;
            }
            for (i, a) in args.iter().enumerate() {
                bound[i] = Some(a.value);
            }
        }
        for (i, prm) in params.iter().enumerate() {
            let Some(arg) = bound[i] else { continue };
            let declared = self.out.type_refs[prm.ty.index()];
            let pt = self.subst(declared, subst);
            let want = (!self.contains_var(pt)).then_some(pt);
            let at = self.expr(arg, want);
            self.bind(pt, at, subst);
            let pt = self.subst(pt, subst);
            if !self.contains_var(pt) {
                self.convert(arg, pt);
                let at = self.out.expr_types[arg.index()];
                if self.require(arg, at, pt) && !self.block_matches(at, pt) {
                    let expected = self.display(pt);
                    let found = self.display(at);
                    self.err(
                        ErrorKind::Mismatch { expected, found },
                        self.p.exprs.loc(arg),
                    );
                }
            }
            if let Some(dir @ (Direction::Out | Direction::InOut)) = prm.direction {
                let dont_care = matches!(self.p.exprs[arg], Expr::DontCare);
                let why = if dont_care {
                    (dir == Direction::InOut).then(|| "`_`".to_string())
                } else {
                    self.lvalue(arg)
                };
                if let Some(found) = why {
                    self.err(
                        ErrorKind::OutArgument {
                            direction: if dir == Direction::Out {
                                "out"
                            } else {
                                "inout"
                            },
                            param: prm.name.name.clone(),
                            found,
                        },
                        self.p.exprs.loc(arg),
                    );
                }
            }
        }
        bound
    }

    /// Infers type-parameter bindings by matching a parameter type against an argument type.
    pub(super) fn bind(&mut self, pt: TypeId, at: TypeId, subst: &mut Subst) {
        match (self.get(pt).clone(), self.get(at).clone()) {
            (Type::Var(v), a) => {
                let at = match a {
                    Type::ListExpr(items) => self.ty(Type::Tuple(items)),
                    _ => at,
                };
                match subst.get(&v) {
                    None => {
                        subst.insert(v, at);
                    }
                    Some(&old) if old == TypeId::INF_INT && at != TypeId::INF_INT => {
                        subst.insert(v, at);
                    }
                    Some(_) => {}
                }
            }
            (Type::Tuple(ps), Type::Tuple(xs) | Type::ListExpr(xs)) if ps.len() == xs.len() => {
                for (p, x) in ps.iter().zip(&xs) {
                    self.bind(*p, *x, subst);
                }
            }
            (Type::List(p), Type::ListExpr(xs)) => {
                for x in xs {
                    self.bind(p, x, subst);
                }
            }
            (Type::Stack { elem: p, .. }, Type::Stack { elem: x, .. }) => self.bind(p, x, subst),
            (Type::Extern { decl: d1, args: a1 }, Type::Extern { decl: d2, args: a2 })
            | (Type::Package { decl: d1, args: a1 }, Type::Package { decl: d2, args: a2 })
                if d1 == d2 =>
            {
                for (p, x) in a1.iter().zip(&a2) {
                    self.bind(*p, *x, subst);
                }
            }
            (Type::Parser { decl: d1, args: a1 }, Type::Parser { decl: d2, args: a2 })
            | (Type::Control { decl: d1, args: a1 }, Type::Control { decl: d2, args: a2 }) => {
                // A package parameter `Parser<H, M> p` against the parser given for it: the
                // parameters of both apply lists must agree, which binds H and M.
                let s1 = self.instance_subst(d1, &a1);
                let s2 = self.instance_subst(d2, &a2);
                let p1: Vec<TypeId> = self
                    .apply_params(d1)
                    .iter()
                    .map(|p| self.out.type_refs[p.ty.index()])
                    .collect();
                let p2: Vec<TypeId> = self
                    .apply_params(d2)
                    .iter()
                    .map(|p| self.out.type_refs[p.ty.index()])
                    .collect();
                for (x, y) in p1.into_iter().zip(p2) {
                    let x = self.subst(x, &s1);
                    let x = self.subst(x, subst);
                    let y = self.subst(y, &s2);
                    self.bind(x, y, subst);
                }
            }
            _ => {}
        }
    }

    /// Whether a parser or control given for a package parameter has the apply parameters the
    /// parameter's type declares (directions and types, after type arguments are bound).
    fn block_matches(&mut self, given: TypeId, declared: TypeId) -> bool {
        let (g, ga, d, da) = match (self.get(given).clone(), self.get(declared).clone()) {
            (Type::Parser { decl: g, args: ga }, Type::Parser { decl: d, args: da })
            | (Type::Control { decl: g, args: ga }, Type::Control { decl: d, args: da }) => {
                (g, ga, d, da)
            }
            _ => return true,
        };
        let (gp, dp) = (self.apply_params(g), self.apply_params(d));
        let sg = self.instance_subst(g, &ga);
        let sd = self.instance_subst(d, &da);
        for (x, y) in gp.iter().zip(dp) {
            if x.direction != y.direction {
                return false;
            }
            let xt = self.out.type_refs[x.ty.index()];
            let xt = self.subst(xt, &sg);
            let yt = self.out.type_refs[y.ty.index()];
            let yt = self.subst(yt, &sd);
            if !self.contains_var(xt) && !self.contains_var(yt) && xt != yt {
                return false;
            }
        }
        true
    }

    /// `t` with bound type parameters replaced.
    /// The type arguments of an instance of generic `decl` once its constructor call inferred
    /// them: each of the declaration's `count` type variables through `subst`.
    fn resolved_type_args(
        &mut self,
        decl: Handle<Decl>,
        count: usize,
        subst: &Subst,
    ) -> Vec<TypeId> {
        (0..count)
            .map(|i| {
                let v = self.ty(Type::Var(VarId {
                    owner: decl,
                    method: None,
                    index: i as u32,
                }));
                self.subst(v, subst)
            })
            .collect()
    }

    pub(super) fn subst(&mut self, t: TypeId, subst: &Subst) -> TypeId {
        if subst.is_empty() {
            return t;
        }
        match self.get(t).clone() {
            Type::Var(v) => subst.get(&v).copied().unwrap_or(t),
            Type::Tuple(ts) => {
                let ts = ts.iter().map(|x| self.subst(*x, subst)).collect();
                self.ty(Type::Tuple(ts))
            }
            Type::ListExpr(ts) => {
                let ts = ts.iter().map(|x| self.subst(*x, subst)).collect();
                self.ty(Type::ListExpr(ts))
            }
            Type::List(x) => {
                let x = self.subst(x, subst);
                self.ty(Type::List(x))
            }
            Type::Stack { elem, size } => {
                let elem = self.subst(elem, subst);
                self.ty(Type::Stack { elem, size })
            }
            Type::Extern { decl, args } => {
                let args = args.iter().map(|x| self.subst(*x, subst)).collect();
                self.ty(Type::Extern { decl, args })
            }
            Type::Parser { decl, args } => {
                let args = args.iter().map(|x| self.subst(*x, subst)).collect();
                self.ty(Type::Parser { decl, args })
            }
            Type::Control { decl, args } => {
                let args = args.iter().map(|x| self.subst(*x, subst)).collect();
                self.ty(Type::Control { decl, args })
            }
            Type::Package { decl, args } => {
                let args = args.iter().map(|x| self.subst(*x, subst)).collect();
                self.ty(Type::Package { decl, args })
            }
            _ => t,
        }
    }

    pub(super) fn contains_var(&self, t: TypeId) -> bool {
        match self.get(t) {
            Type::Var(_) => true,
            Type::Tuple(ts) | Type::ListExpr(ts) => ts.iter().any(|x| self.contains_var(*x)),
            Type::List(x) | Type::Stack { elem: x, .. } => self.contains_var(*x),
            Type::Extern { args, .. }
            | Type::Parser { args, .. }
            | Type::Control { args, .. }
            | Type::Package { args, .. } => args.iter().any(|x| self.contains_var(*x)),
            _ => false,
        }
    }

    /// The runtime (apply) parameters of a parser or control, or the parameters of a package.
    pub(super) fn apply_params(&self, d: Handle<Decl>) -> &'a [Param] {
        let p: &'a crate::ast::Program = self.p;
        match &p.decls[d] {
            Decl::Parser(x) => &x.ty.params,
            Decl::Control(x) => &x.ty.params,
            Decl::ParserType(t) | Decl::ControlType(t) | Decl::Package(t) => &t.params,
            _ => &[],
        }
    }

    /// Instantiation of type `ty` with `args`: an extern constructor, a parser or control with
    /// constructor parameters, or a package. Returns the instance type.
    pub(super) fn construct(
        &mut self,
        e: Option<Handle<Expr>>,
        ty: TypeId,
        args: &[Argument],
        loc: Loc,
    ) -> TypeId {
        let p = self.p;
        match self.get(ty).clone() {
            Type::Unknown => {
                self.args_unchecked(args);
                TypeId::UNKNOWN
            }
            Type::Extern { decl, args: targs } => {
                let Decl::Extern(ext) = &p.decls[decl] else {
                    return TypeId::UNKNOWN;
                };
                if let Some(e) = e {
                    self.out.calls[e.index()] = Some(CallTarget::Construct(decl));
                }
                let ctors: Vec<&crate::ast::Method> = ext
                    .methods
                    .iter()
                    .filter(|m| m.kind == MethodKind::Constructor)
                    .collect();
                let mut subst = self.instance_subst(decl, &targs);
                if ctors.is_empty() {
                    self.args(loc, &[], args, &mut subst);
                } else {
                    match ctors
                        .iter()
                        .find(|m| accepts(&m.signature.params, args.len()))
                    {
                        Some(m) => {
                            self.args(loc, &m.signature.params, args, &mut subst);
                        }
                        None => {
                            let expected = arity_text(&ctors[0].signature.params);
                            self.err(
                                ErrorKind::ArgCount {
                                    expected,
                                    found: args.len(),
                                },
                                loc,
                            );
                            self.args_unchecked(args);
                        }
                    }
                }
                let resolved = self.resolved_type_args(decl, targs.len(), &subst);
                self.ty(Type::Extern {
                    decl,
                    args: resolved,
                })
            }
            Type::Parser { decl, .. } | Type::Control { decl, .. }
                if matches!(p.decls[decl], Decl::Parser(_) | Decl::Control(_)) =>
            {
                if let Some(e) = e {
                    self.out.calls[e.index()] = Some(CallTarget::Construct(decl));
                }
                let ctor: &[Param] = match &p.decls[decl] {
                    Decl::Parser(x) => &x.ctor_params,
                    Decl::Control(x) => &x.ctor_params,
                    _ => &[],
                };
                self.args(loc, ctor, args, &mut Subst::new());
                ty
            }
            Type::Package { decl, args: targs } => {
                if let Some(e) = e {
                    self.out.calls[e.index()] = Some(CallTarget::Construct(decl));
                }
                let mut subst = self.instance_subst(decl, &targs);
                let params = self.apply_params(decl);
                self.args(loc, params, args, &mut subst);
                let resolved = self.resolved_type_args(decl, targs.len(), &subst);
                self.ty(Type::Package {
                    decl,
                    args: resolved,
                })
            }
            _ => {
                let found = self.display(ty);
                self.err(ErrorKind::NotInstantiable { found }, loc);
                self.args_unchecked(args);
                TypeId::UNKNOWN
            }
        }
    }
}

fn is_required(p: &Param) -> bool {
    p.default.is_none() && crate::ast::find_annotation(&p.annotations, "optional").is_none()
}

/// Whether a call with `n` positional arguments fits `params`.
pub(super) fn accepts(params: &[Param], n: usize) -> bool {
    let required = params.iter().filter(|p| is_required(p)).count();
    (required..=params.len()).contains(&n)
}

/// "2" or "1 to 2".
pub(super) fn arity_text(params: &[Param]) -> String {
    let required = params.iter().filter(|p| is_required(p)).count();
    if required == params.len() {
        required.to_string()
    } else {
        format!("{required} to {}", params.len())
    }
}

fn signature_params(d: &Decl) -> &[Param] {
    match d {
        Decl::Function(f) => &f.signature.params,
        Decl::ExternFunction(s) => &s.params,
        _ => &[],
    }
}

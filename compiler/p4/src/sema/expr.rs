//! Expression typing and compile-time evaluation.
//!
//! One recursive walk with an optional expected type: an `int` literal meeting a `bit<w>`
//! operand or destination takes that type (its value wrapped, with a warning when it does not
//! fit), list and struct expressions take the aggregate type their context expects. Every
//! expression whose operands are constants gets a [`Value`] of its final type.

use num_bigint::{BigInt, Sign};

use crate::ast::{BinaryOp, Decl, Expr, Handle, UnaryOp};

use super::error::{Error, ErrorKind};
use super::ty::{Type, TypeId};
use super::value::{MAX_WIDTH, Value, fits, pow2, slice, to_u32, wrap};
use super::{Checker, Def, Member};

impl Checker<'_> {
    /// Types `e` (and records type and value); `expected` guides literals and initializers but
    /// is not enforced here (see [`Checker::expr_as`]).
    pub(super) fn expr(&mut self, e: Handle<Expr>, expected: Option<TypeId>) -> TypeId {
        if !self.enter(self.p.exprs.loc(e)) {
            return TypeId::UNKNOWN;
        }
        let t = self.expr_inner(e, expected);
        self.leave();
        self.out.expr_types[e.index()] = t;
        if let Some(want) = expected {
            self.convert(e, want);
        }
        self.out.expr_types[e.index()]
    }

    /// Types `e` and requires it to be assignable to `want`.
    pub(super) fn expr_as(&mut self, e: Handle<Expr>, want: TypeId) -> TypeId {
        let found = self.expr(e, Some(want));
        self.require(e, found, want);
        found
    }

    /// Reports E0203 unless a value of type `found` can be used where `want` is expected.
    pub(super) fn require(&mut self, e: Handle<Expr>, found: TypeId, want: TypeId) -> bool {
        if self.assignable(found, want) {
            return true;
        }
        let expected = self.display(want);
        let found = self.display(found);
        self.err(ErrorKind::Mismatch { expected, found }, self.p.exprs.loc(e));
        false
    }

    /// Whether a value of type `from` may be used as a `to` (implicit casts included).
    pub(super) fn assignable(&self, from: TypeId, to: TypeId) -> bool {
        if from == to || from == TypeId::UNKNOWN || to == TypeId::UNKNOWN {
            return true;
        }
        let (f, t) = (self.get(from), self.get(to));
        match (f, t) {
            (Type::InfInt, Type::Bit(_) | Type::Int(_)) => true,
            (Type::DontCare, _) => true,
            // `Hash<_>` in a constructor parameter takes a hash of any width.
            (Type::Extern { decl: a, args: x }, Type::Extern { decl: b, args: y }) => {
                a == b
                    && x.len() == y.len()
                    && x.iter().zip(y).all(|(p, q)| {
                        p == q
                            || *q == TypeId::DONT_CARE
                            || matches!(self.get(*p), Type::Var(_))
                            || matches!(self.get(*q), Type::Var(_))
                    })
            }
            (Type::Var(_), _) | (_, Type::Var(_)) => true,
            (Type::Enum(_), _) if self.enum_repr(from) == Some(to) => true,
            (Type::ListExpr(items), Type::Tuple(ts)) => {
                items.len() == ts.len()
                    && items.iter().zip(ts).all(|(a, b)| self.assignable(*a, *b))
            }
            (Type::ListExpr(items), Type::List(elem)) => {
                items.iter().all(|a| self.assignable(*a, *elem))
            }
            (Type::ListExpr(items), Type::Stack { elem, size }) => {
                items.len() == *size as usize && items.iter().all(|a| self.assignable(*a, *elem))
            }
            (Type::Tuple(items), Type::Tuple(ts)) => {
                items.len() == ts.len()
                    && items.iter().zip(ts).all(|(a, b)| self.assignable(*a, *b))
            }
            (Type::ListExpr(items), Type::Struct(d) | Type::Header(d)) => {
                let fields = self.field_types(*d);
                items.len() == fields.len()
                    && items
                        .iter()
                        .zip(&fields)
                        .all(|(a, (_, b))| self.assignable(*a, *b))
            }
            (Type::StructExpr(given), Type::Struct(d) | Type::Header(d)) => {
                let fields = self.field_types(*d);
                given.len() == fields.len()
                    && given.iter().all(|(n, a)| {
                        fields
                            .iter()
                            .any(|(fname, b)| fname == n && self.assignable(*a, *b))
                    })
            }
            (Type::Parser { decl: a, .. }, Type::Parser { decl: b, .. })
            | (Type::Control { decl: a, .. }, Type::Control { decl: b, .. }) => {
                // Parameters marked @optional in the type (TNA's intrinsic metadata) may be
                // left out by the parser or control given for it.
                let (given, declared) = (self.apply_params(*a), self.apply_params(*b));
                super::call::accepts(declared, given.len())
            }
            _ => false,
        }
    }

    /// The representation of a serializable enum type.
    pub(super) fn enum_repr(&self, t: TypeId) -> Option<TypeId> {
        match self.get(t) {
            Type::Enum(d) => match &self.p.decls[*d] {
                Decl::Enum(e) => e.repr.map(|r| self.out.type_refs[r.index()]),
                _ => None,
            },
            _ => None,
        }
    }

    /// Names and types of the fields of a header, union or struct; a field whose type is a
    /// type parameter gets the argument of the specialisation being checked, if any.
    pub(super) fn field_types(&self, d: Handle<Decl>) -> Vec<(&str, TypeId)> {
        let args = match &self.spec {
            Some((s, args)) if *s == d => args.as_slice(),
            _ => &[],
        };
        match &self.p.decls[d] {
            Decl::Header(a) | Decl::HeaderUnion(a) | Decl::Struct(a) => a
                .fields
                .iter()
                .map(|f| {
                    let t = self.out.type_refs[f.ty.index()];
                    let t = match self.get(t) {
                        Type::Var(v) if v.owner == d => {
                            args.get(v.index as usize).copied().unwrap_or(t)
                        }
                        _ => t,
                    };
                    (f.name.name.as_str(), t)
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Where the type of `e` is written: the declaration of the variable, constant or
    /// parameter it names, the field it selects, or the element type of the stack it
    /// indexes.
    fn declared_ref(&self, e: Handle<Expr>) -> Option<Handle<crate::ast::TypeRef>> {
        let p = self.p;
        match &p.exprs[e] {
            Expr::Path(_) => match self.out.defs[e.index()]? {
                Def::Decl(h) => match &p.decls[h] {
                    Decl::Var(v) | Decl::Const(v) => Some(v.ty),
                    _ => None,
                },
                def @ Def::Param { .. } => self.param(def).map(|prm| prm.ty),
                _ => None,
            },
            Expr::Member { base, .. } => match self.out.members[e.index()]? {
                Member::Field(i) => match self.get(self.out.expr_types[base.index()]) {
                    Type::Struct(d) | Type::Header(d) | Type::HeaderUnion(d) => {
                        match &p.decls[*d] {
                            Decl::Struct(a) | Decl::Header(a) | Decl::HeaderUnion(a) => {
                                a.fields.get(i as usize).map(|f| f.ty)
                            }
                            _ => None,
                        }
                    }
                    _ => None,
                },
                Member::StackNext | Member::StackLast => self.stack_elem_ref(*base),
                _ => None,
            },
            Expr::Index { base, .. } => self.stack_elem_ref(*base),
            _ => None,
        }
    }

    fn stack_elem_ref(&self, stack: Handle<Expr>) -> Option<Handle<crate::ast::TypeRef>> {
        match &self.p.types[self.declared_ref(stack)?] {
            crate::ast::TypeRef::Stack { elem, .. } => Some(*elem),
            _ => None,
        }
    }

    /// The specialisation of generic aggregate `d` that `e` has, when its type is written
    /// with type arguments.
    pub(super) fn spec_of(
        &self,
        e: Handle<Expr>,
        d: Handle<Decl>,
    ) -> Option<(Handle<Decl>, Vec<TypeId>)> {
        let args = self.spec_refs.get(&self.declared_ref(e)?)?;
        Some((d, args.clone()))
    }

    /// Gives `e` the type `to` where an implicit conversion applies: `int` constants become
    /// `bit<w>`/`int<w>` (wrapped), list and struct expressions take their aggregate type.
    pub(super) fn convert(&mut self, e: Handle<Expr>, to: TypeId) {
        let from = self.out.expr_types[e.index()];
        if from == to || !self.assignable(from, to) {
            return;
        }
        match (self.get(from).clone(), self.get(to).clone()) {
            (Type::InfInt, Type::Bit(w) | Type::Int(w)) => {
                let signed = matches!(self.get(to), Type::Int(_));
                if let Some(Value::Int(v)) = self.out.values[e.index()].clone() {
                    if !fits(&v, w, signed) {
                        let ty = self.display(to);
                        self.err(
                            ErrorKind::Overflow {
                                value: v.to_string(),
                                ty,
                            },
                            self.p.exprs.loc(e),
                        );
                    }
                    self.out.values[e.index()] = Some(Value::Int(wrap(&v, w, signed)));
                }
                self.out.expr_types[e.index()] = to;
            }
            (Type::ListExpr(_) | Type::StructExpr(_), target) => {
                let elems: Vec<TypeId> = match &target {
                    Type::Tuple(ts) => ts.clone(),
                    Type::List(t) => vec![*t; self.list_len(e)],
                    Type::Stack { elem, size } => vec![*elem; *size as usize],
                    Type::Struct(d) | Type::Header(d) => {
                        self.field_types(*d).iter().map(|(_, t)| *t).collect()
                    }
                    _ => return,
                };
                let p = self.p;
                match &p.exprs[e] {
                    Expr::List(items) => {
                        for (item, t) in items.iter().zip(elems) {
                            self.convert(*item, t);
                        }
                    }
                    Expr::Struct { fields, .. } => {
                        if let Type::Struct(d) | Type::Header(d) = target {
                            let ftypes: Vec<(String, TypeId)> = self
                                .field_types(d)
                                .into_iter()
                                .map(|(n, t)| (n.to_string(), t))
                                .collect();
                            for f in fields {
                                if let Some((_, t)) = ftypes.iter().find(|(n, _)| *n == f.name.name)
                                {
                                    self.convert(f.value, *t);
                                }
                            }
                        }
                    }
                    _ => {}
                }
                self.out.expr_types[e.index()] = to;
            }
            _ => {}
        }
    }

    fn list_len(&self, e: Handle<Expr>) -> usize {
        match &self.p.exprs[e] {
            Expr::List(items) => items.len(),
            _ => 0,
        }
    }

    /// The integer value of a constant expression already typed, or E0211.
    pub(super) fn const_int(&mut self, e: Handle<Expr>) -> Option<BigInt> {
        match &self.out.values[e.index()] {
            Some(Value::Int(v)) => Some(v.clone()),
            _ => {
                if self.out.expr_types[e.index()] != TypeId::UNKNOWN {
                    self.err(
                        ErrorKind::NotConstant {
                            found: "a run-time value".into(),
                        },
                        self.p.exprs.loc(e),
                    );
                }
                None
            }
        }
    }

    fn set_value(&mut self, e: Handle<Expr>, v: Value) {
        self.out.values[e.index()] = Some(v);
    }

    fn value(&self, e: Handle<Expr>) -> Option<&Value> {
        self.out.values[e.index()].as_ref()
    }

    /// The number a constant stands for: an integer, or a serializable enum member's value.
    fn int_value(&self, e: Handle<Expr>) -> Option<BigInt> {
        match self.value(e)? {
            Value::Int(v) => Some(v.clone()),
            Value::Enum { decl, member } => self.out.decls[decl.index()]
                .enum_values
                .get(*member as usize)
                .and_then(Value::as_int)
                .cloned(),
            _ => None,
        }
    }

    fn expr_inner(&mut self, e: Handle<Expr>, expected: Option<TypeId>) -> TypeId {
        let p = self.p;
        let loc = p.exprs.loc(e);
        match &p.exprs[e] {
            Expr::Bool(b) => {
                self.set_value(e, Value::Bool(*b));
                TypeId::BOOL
            }
            Expr::Int(lit) => {
                let mut v = BigInt::from(lit.value.clone());
                if lit.negative {
                    v = -v;
                }
                match lit.width {
                    None => {
                        self.set_value(e, Value::Int(v));
                        TypeId::INF_INT
                    }
                    Some((w, signed)) => {
                        if w > MAX_WIDTH || (signed && w == 0) {
                            self.err(
                                ErrorKind::BadWidth {
                                    min: u32::from(signed),
                                    max: MAX_WIDTH,
                                    found: w.to_string(),
                                },
                                loc,
                            );
                            return TypeId::UNKNOWN;
                        }
                        let t = self.ty(if signed { Type::Int(w) } else { Type::Bit(w) });
                        if !fits(&v, w, signed) {
                            let ty = self.display(t);
                            self.err(
                                ErrorKind::Overflow {
                                    value: v.to_string(),
                                    ty,
                                },
                                loc,
                            );
                        }
                        self.set_value(e, Value::Int(wrap(&v, w, signed)));
                        t
                    }
                }
            }
            Expr::String(s) => {
                self.set_value(e, Value::String(s.clone()));
                TypeId::STRING
            }
            Expr::Path(path) => self.path_expr(e, path),
            Expr::This => match self.this_type {
                Some(t) => t,
                None => {
                    self.err(
                        ErrorKind::Misplaced {
                            what: "`this`".into(),
                            place: "code outside an instance initializer".into(),
                        },
                        loc,
                    );
                    TypeId::UNKNOWN
                }
            },
            Expr::DontCare | Expr::Default | Expr::Dots => TypeId::DONT_CARE,
            Expr::InvalidHeader => match expected.map(|t| self.get(t)) {
                Some(Type::Header(_) | Type::HeaderUnion(_)) => expected.unwrap_or(TypeId::UNKNOWN),
                _ => {
                    self.err(
                        ErrorKind::Mismatch {
                            expected: "a header or header union destination".into(),
                            found: "`{#}`".into(),
                        },
                        loc,
                    );
                    TypeId::UNKNOWN
                }
            },
            Expr::Member { base, member } => self.member_expr(e, *base, member),
            Expr::TypeMember { ty, member } => {
                let t = self.type_ref(*ty);
                let named = self.ty(Type::TypeName(t));
                self.type_member(e, named, member)
            }
            Expr::Index { base, index } => self.index_expr(e, *base, *index),
            Expr::Slice { base, hi, lo } => self.slice_expr(e, *base, *hi, *lo),
            Expr::Unary { op, operand } => self.unary(e, *op, *operand, expected),
            Expr::Binary { op, lhs, rhs } => self.binary(e, *op, *lhs, *rhs),
            Expr::Ternary {
                cond,
                then,
                otherwise,
            } => {
                self.expr_as(*cond, TypeId::BOOL);
                let a = self.expr(*then, expected);
                let b = self.expr(*otherwise, expected.or(Some(a)));
                let t = self.unify_operands(*then, a, *otherwise, b);
                self.convert(*then, t);
                if let Some(c) = self.value(*cond).and_then(Value::as_bool) {
                    let pick = if c { *then } else { *otherwise };
                    if let Some(v) = self.value(pick).cloned() {
                        self.set_value(e, v);
                    }
                }
                t
            }
            Expr::Cast { ty, expr } => {
                let to = self.type_ref(*ty);
                let hint =
                    matches!(p.exprs[*expr], Expr::List(_) | Expr::Struct { .. }).then_some(to);
                let from = self.expr(*expr, hint);
                self.cast(e, *expr, from, to)
            }
            Expr::Call {
                callee,
                type_args,
                args,
            } => self.call_expr(e, *callee, type_args, args),
            Expr::Construct { ty, args } => {
                let t = self.type_ref(*ty);
                self.construct(Some(e), t, args, loc)
            }
            Expr::List(items) => {
                let elems: Option<Vec<TypeId>> = expected.and_then(|t| match self.get(t) {
                    Type::Tuple(ts) if ts.len() == items.len() => Some(ts.clone()),
                    Type::Stack { elem, size } if *size as usize == items.len() => {
                        Some(vec![*elem; items.len()])
                    }
                    Type::List(elem) => Some(vec![*elem; items.len()]),
                    Type::Struct(d) | Type::Header(d) => {
                        let f = self.field_types(*d);
                        (f.len() == items.len()).then(|| f.iter().map(|(_, t)| *t).collect())
                    }
                    _ => None,
                });
                let mut types = Vec::with_capacity(items.len());
                let mut values = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let want = elems.as_ref().map(|v| v[i]);
                    types.push(self.expr(*item, want));
                    if let Some(v) = self.value(*item) {
                        values.push(v.clone());
                    }
                }
                if values.len() == items.len() {
                    self.set_value(e, Value::List(values));
                }
                self.ty(Type::ListExpr(types))
            }
            Expr::Struct { fields, .. } => {
                let ftypes: Option<Vec<(String, TypeId)>> =
                    expected.and_then(|t| match self.get(t) {
                        Type::Struct(d) | Type::Header(d) => Some(
                            self.field_types(*d)
                                .into_iter()
                                .map(|(n, t)| (n.to_string(), t))
                                .collect(),
                        ),
                        _ => None,
                    });
                let mut types = Vec::with_capacity(fields.len());
                let mut values = Vec::new();
                for f in fields {
                    let want = ftypes
                        .as_ref()
                        .and_then(|fs| fs.iter().find(|(n, _)| *n == f.name.name).map(|(_, t)| *t));
                    let t = self.expr(f.value, want);
                    types.push((f.name.name.clone(), t));
                    if let Some(v) = self.value(f.value) {
                        values.push((f.name.name.clone(), v.clone()));
                    }
                }
                if values.len() == fields.len() {
                    self.set_value(e, Value::Struct(values));
                }
                self.ty(Type::StructExpr(types))
            }
            Expr::Mask { value, mask } => {
                let a = self.expr(*value, expected);
                let b = self.expr(*mask, expected.or(Some(a)));
                self.unify_operands(*value, a, *mask, b)
            }
            Expr::Range { lo, hi } => {
                let a = self.expr(*lo, expected);
                let b = self.expr(*hi, expected.or(Some(a)));
                self.unify_operands(*lo, a, *hi, b)
            }
        }
    }

    fn path_expr(&mut self, e: Handle<Expr>, path: &crate::ast::Path) -> TypeId {
        let Some(&(def, _)) = self.lookup(path).and_then(|d| d.first()) else {
            // `error` is a keyword type; a parser may hand it over as a plain name.
            if path.name.name == "error" {
                return self.ty(Type::TypeName(TypeId::ERROR));
            }
            self.undefined("name", &path.name);
            return TypeId::UNKNOWN;
        };
        self.out.defs[e.index()] = Some(def);
        self.def_type(e, def)
    }

    /// The type of a name that resolved to `def` (and its value when constant).
    pub(super) fn def_type(&mut self, e: Handle<Expr>, def: Def) -> TypeId {
        let p = self.p;
        match def {
            Def::Decl(h) => {
                let info = &self.out.decls[h.index()];
                let ty = info.ty.unwrap_or(TypeId::UNKNOWN);
                match &p.decls[h] {
                    Decl::Const(_) => {
                        if let Some(v) = info.value.clone() {
                            self.set_value(e, v);
                        }
                        ty
                    }
                    Decl::Var(_) | Decl::Instance(_) | Decl::ValueSet(_) => ty,
                    Decl::Table(_) => self.ty(Type::Table(h)),
                    Decl::Typedef(_)
                    | Decl::Header(_)
                    | Decl::HeaderUnion(_)
                    | Decl::Struct(_)
                    | Decl::Enum(_)
                    | Decl::Extern(_)
                    | Decl::Parser(_)
                    | Decl::ParserType(_)
                    | Decl::Control(_)
                    | Decl::ControlType(_)
                    | Decl::Package(_) => self.ty(Type::TypeName(ty)),
                    // Actions and functions only make sense as callees, which calls handle
                    // before reaching here.
                    _ => TypeId::VOID,
                }
            }
            Def::Param { .. } | Def::CtorParam { .. } => self
                .param(def)
                .map(|prm| self.out.type_refs[prm.ty.index()])
                .unwrap_or(TypeId::UNKNOWN),
            Def::TypeParam(v) => {
                let t = self.ty(Type::Var(v));
                self.ty(Type::TypeName(t))
            }
            Def::MatchKind { decl, index } => {
                if let Decl::MatchKind(m) = &p.decls[decl]
                    && let Some(name) = m.members.get(index as usize)
                {
                    self.set_value(e, Value::MatchKind(name.name.clone()));
                }
                TypeId::MATCH_KIND
            }
            Def::ForVar(s) => self.for_vars.get(&s).copied().unwrap_or(TypeId::UNKNOWN),
        }
    }

    fn member_expr(
        &mut self,
        e: Handle<Expr>,
        base: Handle<Expr>,
        member: &crate::ast::Ident,
    ) -> TypeId {
        let bt = self.expr(base, None);
        if let Type::TypeName(_) = self.get(bt) {
            return self.type_member(e, bt, member);
        }
        let name = member.name.as_str();
        let found = match self.get(bt).clone() {
            Type::Unknown => return TypeId::UNKNOWN,
            Type::Header(d) | Type::HeaderUnion(d) | Type::Struct(d) => {
                let spec = self.spec_of(base, d);
                let saved = std::mem::replace(&mut self.spec, spec);
                let fields = self.field_types(d);
                let found = fields
                    .iter()
                    .position(|(n, _)| *n == name)
                    .map(|i| (Member::Field(i as u32), fields[i].1));
                self.spec = saved;
                found
            }
            Type::Stack { elem, size } => match name {
                "next" => Some((Member::StackNext, elem)),
                "last" => Some((Member::StackLast, elem)),
                "lastIndex" => Some((Member::StackLastIndex, self.ty(Type::Bit(32)))),
                "size" => {
                    self.set_value(e, Value::Int(BigInt::from(size)));
                    Some((Member::StackSize, self.ty(Type::Bit(32))))
                }
                _ => None,
            },
            Type::ApplyResult(t) => match name {
                "hit" => Some((Member::Hit, TypeId::BOOL)),
                "miss" => Some((Member::Miss, TypeId::BOOL)),
                "action_run" => Some((Member::ActionRun, self.ty(Type::ActionRun(t)))),
                _ => None,
            },
            _ => None,
        };
        match found {
            Some((m, t)) => {
                self.out.members[e.index()] = Some(m);
                t
            }
            None => {
                let ty = self.display(bt);
                self.err(
                    ErrorKind::NoMember {
                        ty,
                        member: name.to_string(),
                    },
                    member.loc,
                );
                TypeId::UNKNOWN
            }
        }
    }

    /// `E.member` of an enum type, `error.name`, or a member of another named type.
    fn type_member(
        &mut self,
        e: Handle<Expr>,
        named: TypeId,
        member: &crate::ast::Ident,
    ) -> TypeId {
        let Type::TypeName(inner) = *self.get(named) else {
            return TypeId::UNKNOWN;
        };
        let name = member.name.as_str();
        if inner == TypeId::ERROR {
            if self.out.errors.iter().any(|n| n == name) {
                self.out.members[e.index()] = Some(Member::Error);
                self.set_value(e, Value::Error(name.to_string()));
                return TypeId::ERROR;
            }
            let mut err = Error::new(
                ErrorKind::Undefined {
                    what: "error",
                    name: name.to_string(),
                },
                member.loc,
            );
            if let Some(s) = ddsr_diag::suggest(name, self.out.errors.iter().map(String::as_str)) {
                err = err.help(format!("an error that exists: `error.{s}`"));
            }
            self.push_err(err);
            return TypeId::UNKNOWN;
        }
        if let Type::Enum(d) = *self.get(inner)
            && let Decl::Enum(en) = &self.p.decls[d]
            && let Some(i) = en.members.iter().position(|m| m.name.name == name)
        {
            self.out.members[e.index()] = Some(Member::EnumMember(i as u32));
            self.set_value(
                e,
                Value::Enum {
                    decl: d,
                    member: i as u32,
                },
            );
            return inner;
        }
        if inner == TypeId::UNKNOWN {
            return TypeId::UNKNOWN;
        }
        let ty = self.display(inner);
        self.err(
            ErrorKind::NoMember {
                ty,
                member: name.to_string(),
            },
            member.loc,
        );
        TypeId::UNKNOWN
    }

    fn index_expr(&mut self, e: Handle<Expr>, base: Handle<Expr>, index: Handle<Expr>) -> TypeId {
        let bt = self.expr(base, None);
        let it = self.expr(index, None);
        let loc = self.p.exprs.loc(index);
        if !matches!(
            self.get(it),
            Type::Bit(_) | Type::Int(_) | Type::InfInt | Type::Unknown
        ) {
            let found = self.display(it);
            self.err(
                ErrorKind::Mismatch {
                    expected: "an integer index".into(),
                    found,
                },
                loc,
            );
            return TypeId::UNKNOWN;
        }
        let iv = self.int_value(index);
        match self.get(bt).clone() {
            Type::Unknown => TypeId::UNKNOWN,
            Type::Stack { elem, size } => {
                if let Some(i) = iv
                    && (i.sign() == Sign::Minus || i >= BigInt::from(size))
                {
                    self.err(
                        ErrorKind::Evaluation {
                            message: format!(
                                "index {i} is out of range for a stack of size {size}"
                            ),
                        },
                        loc,
                    );
                }
                elem
            }
            Type::Tuple(ts) | Type::ListExpr(ts) => {
                let Some(i) = self.const_int(index) else {
                    return TypeId::UNKNOWN;
                };
                match to_u32(&i).and_then(|i| ts.get(i as usize)) {
                    Some(t) => {
                        if let Some(Value::List(vs)) = self.value(base)
                            && let Some(v) = to_u32(&i).and_then(|i| vs.get(i as usize)).cloned()
                        {
                            self.set_value(e, v);
                        }
                        *t
                    }
                    None => {
                        self.err(
                            ErrorKind::Evaluation {
                                message: format!(
                                    "index {i} is out of range for a tuple of {} elements",
                                    ts.len()
                                ),
                            },
                            loc,
                        );
                        TypeId::UNKNOWN
                    }
                }
            }
            _ => {
                let found = self.display(bt);
                self.err(
                    ErrorKind::BadOperand {
                        op: "[]".into(),
                        found,
                    },
                    self.p.exprs.loc(base),
                );
                TypeId::UNKNOWN
            }
        }
    }

    fn slice_expr(
        &mut self,
        e: Handle<Expr>,
        base: Handle<Expr>,
        hi: Handle<Expr>,
        lo: Handle<Expr>,
    ) -> TypeId {
        let bt = self.expr(base, None);
        self.expr(hi, None);
        self.expr(lo, None);
        let (Some(h), Some(l)) = (self.const_int(hi), self.const_int(lo)) else {
            return TypeId::UNKNOWN;
        };
        let width = match self.get(bt) {
            Type::Bit(w) | Type::Int(w) => Some(*w),
            Type::InfInt if self.value(base).is_some() => None,
            Type::Unknown => return TypeId::UNKNOWN,
            _ => {
                let found = self.display(bt);
                self.err(
                    ErrorKind::BadOperand {
                        op: "[:]".into(),
                        found,
                    },
                    self.p.exprs.loc(base),
                );
                return TypeId::UNKNOWN;
            }
        };
        let bounds = to_u32(&h)
            .zip(to_u32(&l))
            .filter(|(h, l)| l <= h && *h < MAX_WIDTH && width.is_none_or(|w| h < &w));
        let Some((h, l)) = bounds else {
            let ty = self.display(bt);
            self.err(
                ErrorKind::SliceRange {
                    hi: h.to_string(),
                    lo: l.to_string(),
                    ty,
                },
                self.p.exprs.loc(e),
            );
            return TypeId::UNKNOWN;
        };
        if let Some(v) = self.int_value(base) {
            self.set_value(e, Value::Int(slice(&v, h, l)));
        }
        self.ty(Type::Bit(h - l + 1))
    }

    fn unary(
        &mut self,
        e: Handle<Expr>,
        op: UnaryOp,
        operand: Handle<Expr>,
        expected: Option<TypeId>,
    ) -> TypeId {
        // `-128` is folded as `int` first and converted as a whole, so no hint goes down.
        let hint = if matches!(op, UnaryOp::Complement) {
            expected
        } else {
            None
        };
        let t = self.expr(operand, hint);
        if t == TypeId::UNKNOWN {
            return t;
        }
        let ok = match op {
            UnaryOp::Not => t == TypeId::BOOL,
            UnaryOp::Complement => matches!(self.get(t), Type::Bit(_) | Type::Int(_)),
            UnaryOp::Neg | UnaryOp::Plus => self.out.types.is_numeric(t),
        };
        if !ok {
            let sym = match op {
                UnaryOp::Not => "!",
                UnaryOp::Complement => "~",
                UnaryOp::Neg => "-",
                UnaryOp::Plus => "+",
            };
            let found = self.display(t);
            self.err(
                ErrorKind::BadOperand {
                    op: sym.into(),
                    found,
                },
                self.p.exprs.loc(operand),
            );
            return TypeId::UNKNOWN;
        }
        match self.value(operand).cloned() {
            Some(Value::Bool(b)) if op == UnaryOp::Not => self.set_value(e, Value::Bool(!b)),
            Some(Value::Int(v)) => {
                let r = match op {
                    UnaryOp::Neg => -v,
                    UnaryOp::Complement => -v - 1,
                    _ => v,
                };
                let r = self.fit(t, r);
                self.set_value(e, Value::Int(r));
            }
            _ => {}
        }
        t
    }

    /// Wraps a computed value into its type's range (no-op for `int`).
    fn fit(&self, t: TypeId, v: BigInt) -> BigInt {
        match self.get(t) {
            Type::Bit(w) => wrap(&v, *w, false),
            Type::Int(w) => wrap(&v, *w, true),
            _ => v,
        }
    }

    /// Makes two operands agree: an `int` side takes the other side's fixed width, a
    /// serializable enum counts as its representation. Reports E0203 on the right operand.
    fn unify_operands(
        &mut self,
        l: Handle<Expr>,
        tl: TypeId,
        r: Handle<Expr>,
        tr: TypeId,
    ) -> TypeId {
        if tl == tr {
            return tl;
        }
        if tl == TypeId::UNKNOWN || tr == TypeId::UNKNOWN {
            return TypeId::UNKNOWN;
        }
        if tr == TypeId::DONT_CARE {
            return tl;
        }
        if tl == TypeId::DONT_CARE {
            return tr;
        }
        let lr = self.enum_repr(tl).unwrap_or(tl);
        let rr = self.enum_repr(tr).unwrap_or(tr);
        if lr == rr {
            return lr;
        }
        if lr == TypeId::INF_INT && self.assignable(lr, rr) {
            self.convert(l, rr);
            return rr;
        }
        if rr == TypeId::INF_INT && self.assignable(rr, lr) {
            self.convert(r, lr);
            return lr;
        }
        let expected = self.display(tl);
        let found = self.display(tr);
        self.err(ErrorKind::Mismatch { expected, found }, self.p.exprs.loc(r));
        TypeId::UNKNOWN
    }

    fn binary(
        &mut self,
        e: Handle<Expr>,
        op: BinaryOp,
        lhs: Handle<Expr>,
        rhs: Handle<Expr>,
    ) -> TypeId {
        use BinaryOp::*;
        if matches!(op, And | Or) {
            self.expr_as(lhs, TypeId::BOOL);
            self.expr_as(rhs, TypeId::BOOL);
            if let (Some(a), Some(b)) = (
                self.value(lhs).and_then(Value::as_bool),
                self.value(rhs).and_then(Value::as_bool),
            ) {
                self.set_value(e, Value::Bool(if op == And { a && b } else { a || b }));
            }
            return TypeId::BOOL;
        }
        // Operands are typed on their own: constant `int` arithmetic is exact, and only the
        // result is converted to the destination's width.
        let tl = self.expr(lhs, None);
        let tr = self.expr(rhs, None);
        if tl == TypeId::UNKNOWN || tr == TypeId::UNKNOWN {
            return TypeId::UNKNOWN;
        }
        // Inside a generic function the operands' types are only known per call; the
        // operation is checked where the function is specialised (lowering).
        if matches!(self.get(tl), Type::Var(_)) || matches!(self.get(tr), Type::Var(_)) {
            return match op {
                Eq | Ne | Lt | Le | Gt | Ge => TypeId::BOOL,
                _ if matches!(self.get(tl), Type::Var(_)) => tl,
                _ => tr,
            };
        }
        let bad = |c: &mut Self, side: Handle<Expr>, t: TypeId| {
            let found = c.display(t);
            c.err(
                ErrorKind::BadOperand {
                    op: op.symbol().into(),
                    found,
                },
                c.p.exprs.loc(side),
            );
            TypeId::UNKNOWN
        };
        match op {
            Eq | Ne => {
                let t = self.unify_operands(lhs, tl, rhs, tr);
                if t == TypeId::UNKNOWN {
                    return TypeId::UNKNOWN;
                }
                if let (Some(a), Some(b)) = (self.value(lhs), self.value(rhs)) {
                    let eq = a == b;
                    self.set_value(e, Value::Bool(if op == Eq { eq } else { !eq }));
                }
                TypeId::BOOL
            }
            Lt | Le | Gt | Ge => {
                let t = self.unify_operands(lhs, tl, rhs, tr);
                if t == TypeId::UNKNOWN {
                    return t;
                }
                if !self.out.types.is_numeric(t) {
                    return bad(self, lhs, t);
                }
                if let (Some(a), Some(b)) = (self.int_value(lhs), self.int_value(rhs)) {
                    let r = match op {
                        Lt => a < b,
                        Le => a <= b,
                        Gt => a > b,
                        _ => a >= b,
                    };
                    self.set_value(e, Value::Bool(r));
                }
                TypeId::BOOL
            }
            Shl | Shr => {
                let tl = self.enum_repr(tl).unwrap_or(tl);
                if !self.out.types.is_numeric(tl) {
                    return bad(self, lhs, tl);
                }
                if !matches!(self.get(tr), Type::Bit(_) | Type::InfInt) {
                    return bad(self, rhs, tr);
                }
                let amount = self.int_value(rhs);
                if tl == TypeId::INF_INT && amount.is_none() {
                    self.err(
                        ErrorKind::BadOperand {
                            op: op.symbol().into(),
                            found: "an `int` shifted by a run-time amount (its width is unknown)"
                                .into(),
                        },
                        self.p.exprs.loc(lhs),
                    );
                    return TypeId::UNKNOWN;
                }
                if let Some(a) = &amount
                    && a.sign() == Sign::Minus
                {
                    self.err(
                        ErrorKind::Evaluation {
                            message: format!("shift amount {a} is negative"),
                        },
                        self.p.exprs.loc(rhs),
                    );
                    return TypeId::UNKNOWN;
                }
                if let (Some(v), Some(a)) = (self.int_value(lhs), amount) {
                    let limit = self.out.types.fixed_width(tl).map_or(MAX_WIDTH, |(w, _)| w);
                    let a = to_u32(&a).unwrap_or(u32::MAX);
                    if tl == TypeId::INF_INT && a > MAX_WIDTH {
                        self.err(
                            ErrorKind::Evaluation {
                                message: format!("shift amount {a} is larger than {MAX_WIDTH}"),
                            },
                            self.p.exprs.loc(rhs),
                        );
                        return TypeId::UNKNOWN;
                    }
                    let a = a.min(limit.saturating_add(1)) as usize;
                    let r = if op == Shl { v << a } else { v >> a };
                    let r = self.fit(tl, r);
                    self.set_value(e, Value::Int(r));
                }
                tl
            }
            Concat => {
                let (Some((wl, sl)), Some((wr, _))) =
                    (self.concat_width(tl), self.concat_width(tr))
                else {
                    let (side, t) = if self.concat_width(tl).is_none() {
                        (lhs, tl)
                    } else {
                        (rhs, tr)
                    };
                    return bad(self, side, t);
                };
                let w = wl.saturating_add(wr);
                if w > MAX_WIDTH {
                    self.err(
                        ErrorKind::BadWidth {
                            min: 0,
                            max: MAX_WIDTH,
                            found: w.to_string(),
                        },
                        self.p.exprs.loc(e),
                    );
                    return TypeId::UNKNOWN;
                }
                let t = self.ty(if sl { Type::Int(w) } else { Type::Bit(w) });
                if let (Some(a), Some(b)) = (self.int_value(lhs), self.int_value(rhs)) {
                    let r = (wrap(&a, wl, false) << (wr as usize)) + wrap(&b, wr, false);
                    let r = self.fit(t, r);
                    self.set_value(e, Value::Int(r));
                }
                t
            }
            _ => {
                for (side, st) in [(lhs, tl), (rhs, tr)] {
                    let st = self.enum_repr(st).unwrap_or(st);
                    if !self.out.types.is_numeric(st) {
                        return bad(self, side, st);
                    }
                }
                let t = self.unify_operands(lhs, tl, rhs, tr);
                if t == TypeId::UNKNOWN {
                    return t;
                }
                let ok = match op {
                    Div | Mod => matches!(self.get(t), Type::Bit(_) | Type::InfInt),
                    SatAdd | SatSub => matches!(self.get(t), Type::Bit(_) | Type::Int(_)),
                    _ => self.out.types.is_numeric(t),
                };
                if !ok {
                    return bad(self, lhs, t);
                }
                if let (Some(a), Some(b)) = (self.int_value(lhs), self.int_value(rhs)) {
                    let zero = BigInt::ZERO;
                    if matches!(op, Div | Mod) {
                        if b == zero {
                            self.err(
                                ErrorKind::Evaluation {
                                    message: "division by zero".into(),
                                },
                                self.p.exprs.loc(rhs),
                            );
                            return TypeId::UNKNOWN;
                        }
                        if a < zero || b < zero {
                            self.err(
                                ErrorKind::Evaluation {
                                    message: "division of a negative value".into(),
                                },
                                self.p.exprs.loc(e),
                            );
                            return TypeId::UNKNOWN;
                        }
                    }
                    let r = match op {
                        Mul => a * b,
                        Div => a / b,
                        Mod => a % b,
                        Add => a + b,
                        Sub => a - b,
                        BitAnd => a & b,
                        BitOr => a | b,
                        BitXor => a ^ b,
                        SatAdd | SatSub => {
                            let r = if op == SatAdd { a + b } else { a - b };
                            let (w, signed) = self.out.types.fixed_width(t).unwrap_or((0, false));
                            let (min, max) = if signed && w > 0 {
                                (-pow2(w - 1), pow2(w - 1) - 1)
                            } else {
                                (BigInt::ZERO, pow2(w) - 1)
                            };
                            r.clamp(min, max)
                        }
                        _ => a,
                    };
                    let r = self.fit(t, r);
                    self.set_value(e, Value::Int(r));
                }
                t
            }
        }
    }

    fn concat_width(&self, t: TypeId) -> Option<(u32, bool)> {
        let t = self.enum_repr(t).unwrap_or(t);
        match self.get(t) {
            Type::Bit(w) => Some((*w, false)),
            Type::Int(w) => Some((*w, true)),
            _ => None,
        }
    }

    /// `(to) e`: explicit casts between numeric types, bool and `bit<1>`, enums and their
    /// representation, new types and their underlying type, and initializers.
    fn cast(&mut self, e: Handle<Expr>, inner: Handle<Expr>, from: TypeId, to: TypeId) -> TypeId {
        if from == TypeId::UNKNOWN || to == TypeId::UNKNOWN {
            return to;
        }
        let under = |c: &Self, t: TypeId| -> TypeId {
            match c.get(t) {
                Type::NewType(d) => c.new_type_underlying(*d),
                Type::Enum(_) => c.enum_repr(t).unwrap_or(t),
                _ => t,
            }
        };
        let (f, t) = (under(self, from), under(self, to));
        let ok = from == to
            || f == t
            || self.assignable(from, to)
            || matches!(
                (self.get(f), self.get(t)),
                (
                    Type::Bit(_) | Type::Int(_) | Type::InfInt,
                    Type::Bit(_) | Type::Int(_)
                ) | (Type::Bit(1), Type::Bool)
                    | (Type::Bool, Type::Bit(1))
                    | (Type::InfInt, Type::Bool)
            );
        if !ok {
            let from = self.display(from);
            let to_s = self.display(to);
            self.err(ErrorKind::BadCast { from, to: to_s }, self.p.exprs.loc(e));
            return TypeId::UNKNOWN;
        }
        // An explicit cast of an `int` constant wraps silently; only initializers take the
        // target type implicitly.
        if matches!(self.get(from), Type::ListExpr(_) | Type::StructExpr(_)) {
            self.convert(inner, to);
        }
        let number = self.int_value(inner).map(Value::Int);
        match number.or_else(|| self.value(inner).cloned()) {
            Some(Value::Int(v)) => match self.get(t) {
                Type::Bit(w) => {
                    let r = Value::Int(wrap(&v, *w, false));
                    self.set_value(e, r);
                }
                Type::Int(w) => {
                    let r = Value::Int(wrap(&v, *w, true));
                    self.set_value(e, r);
                }
                Type::Bool => self.set_value(e, Value::Bool(v != BigInt::ZERO)),
                _ => {}
            },
            Some(Value::Bool(b)) if matches!(self.get(t), Type::Bit(_)) => {
                self.set_value(e, Value::Int(BigInt::from(u8::from(b))));
            }
            Some(v) if f == t => self.set_value(e, v),
            _ => {}
        }
        to
    }

    /// The representation of `type T N;`.
    pub(super) fn new_type_underlying(&self, d: Handle<Decl>) -> TypeId {
        match &self.p.decls[d] {
            Decl::Typedef(t) => match &t.target {
                crate::ast::TypedefTarget::Type(r) => self.out.type_refs[r.index()],
                crate::ast::TypedefTarget::Decl(inner) => {
                    self.out.decls[inner.index()].ty.unwrap_or(TypeId::UNKNOWN)
                }
            },
            _ => TypeId::UNKNOWN,
        }
    }
}

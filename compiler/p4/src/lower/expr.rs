//! Expressions: P4 expressions become strictly typed IR expressions, or places for aggregates.
//!
//! Sema already folded every compile-time constant ([`crate::sema::Checked::values`]) and
//! recorded implicit conversions of `int` literals in the expression types; lowering turns the
//! remaining implicit conversions (serializable enums, `bool` keys) into explicit casts.

use ddsr_pipeline::Stmt as IrStmt;
use ddsr_pipeline::expr::{BinOp, Expr as IrExpr, LValue, UnOp};
use ddsr_pipeline::types::{HeaderRef, Ty};
use ddsr_pipeline::value::mask;
use num_bigint::{BigInt, Sign};

use super::storage::{Binding, Place};
use super::{Error, ErrorKind, Lowerer, Result};
use crate::ast::{self, BinaryOp, Decl, Expr, Handle, Loc, UnaryOp};
use crate::sema::{Builtin, CallTarget, Def, Member, Type, TypeId, Value};

/// A lowered expression.
#[derive(Debug, Clone)]
pub(super) enum Operand {
    Value(IrExpr, Ty),
    /// An `int` constant that takes the type of its context.
    Int(BigInt),
    Place(Place),
    /// `{a, b}`.
    List(Vec<Operand>),
    /// `{f = a, g = b}`.
    Fields(Vec<(String, Operand)>),
    /// `{#}`.
    Invalid,
}

/// Converts `e` of type `from` to `to` with explicit casts.
pub(super) fn coerce(e: IrExpr, from: Ty, to: Ty) -> IrExpr {
    if from == to {
        return e;
    }
    match (from, to) {
        (Ty::Bool, Ty::Bit(1)) | (Ty::Bit(1), Ty::Bool) => IrExpr::cast(to, e),
        (Ty::Bool, _) => IrExpr::cast(to, IrExpr::cast(Ty::Bit(1), e)),
        (_, Ty::Bool) => IrExpr::cast(Ty::Bool, IrExpr::cast(Ty::Bit(1), e)),
        _ => match e {
            IrExpr::Const { value, .. } => IrExpr::Const {
                ty: to,
                value: value_in(value, from, to),
            },
            e => IrExpr::cast(to, e),
        },
    }
}

/// A constant of type `from` converted to `to` (sign-extending `int`s).
fn value_in(value: u128, from: Ty, to: Ty) -> u128 {
    let v = if from.is_signed() {
        ddsr_pipeline::value::sign_extend(value, from.width()) as u128
    } else {
        value
    };
    v & mask(to.width())
}

/// The low 128 bits of `v` in two's complement.
pub(super) fn bits_of(v: &BigInt) -> u128 {
    let (sign, digits) = v.to_u64_digits();
    let mut x: u128 = 0;
    for (i, d) in digits.iter().take(2).enumerate() {
        x |= u128::from(*d) << (64 * i);
    }
    if sign == Sign::Minus {
        x.wrapping_neg()
    } else {
        x
    }
}

impl Lowerer<'_> {
    pub(super) fn loc(&self, e: Handle<Expr>) -> Loc {
        self.p.exprs.loc(e)
    }

    /// The numeric value of a scalar constant: integers, booleans, errors and enum members.
    pub(super) fn const_bits(&self, v: &Value, loc: Loc) -> Result<u128> {
        Ok(match v {
            Value::Int(i) => bits_of(i),
            Value::Bool(b) => u128::from(*b),
            Value::Error(name) => self.error_code(name) as u128,
            Value::Enum { decl, member } => {
                match self.c.decl(*decl).enum_values.get(*member as usize) {
                    Some(Value::Int(i)) => bits_of(i),
                    _ => u128::from(*member),
                }
            }
            _ => {
                return Err(Error::new(
                    ErrorKind::NotConstant {
                        what: "a scalar value".into(),
                    },
                    loc,
                ));
            }
        })
    }

    pub(super) fn error_code(&self, name: &str) -> u32 {
        self.errors_list.iter().position(|e| e == name).unwrap_or(0) as u32
    }

    /// A constant as an operand of P4 type `t`.
    fn const_operand(&mut self, v: &Value, t: TypeId, loc: Loc) -> Result<Operand> {
        if t == TypeId::INF_INT
            && let Value::Int(i) = v
        {
            return Ok(Operand::Int(i.clone()));
        }
        if let Some(ty) = self.scalar_ty(t, loc)? {
            let value = self.const_bits(v, loc)? & mask(ty.width());
            return Ok(Operand::Value(IrExpr::Const { ty, value }, ty));
        }
        let fields: Vec<TypeId> = match self.c.types.get(t).clone() {
            Type::Struct(d) | Type::Header(d) => {
                self.fields_of(d).into_iter().map(|f| f.1).collect()
            }
            Type::Tuple(ts) => ts,
            Type::Stack { elem, size } => vec![elem; size as usize],
            _ => Vec::new(),
        };
        match v {
            Value::Struct(members) if members.len() == fields.len() => {
                let mut out = Vec::new();
                for ((name, mv), ft) in members.iter().zip(fields) {
                    out.push((name.clone(), self.const_operand(mv, ft, loc)?));
                }
                Ok(Operand::Fields(out))
            }
            Value::List(items) if items.len() == fields.len() => {
                let mut out = Vec::new();
                for (iv, ft) in items.iter().zip(fields) {
                    out.push(self.const_operand(iv, ft, loc)?);
                }
                Ok(Operand::List(out))
            }
            _ => Err(Error::unsupported(
                format!("a constant of type `{}`", self.c.types.display(t, self.p)),
                loc,
            )),
        }
    }

    /// Lowers `e`; statements it needs first (inlined function bodies) go to `out`.
    pub(super) fn operand(&mut self, e: Handle<Expr>, out: &mut Vec<IrStmt>) -> Result<Operand> {
        let loc = self.loc(e);
        let t = self.c.type_of(e);
        if let Some(v) = self.c.value_of(e) {
            let v = v.clone();
            if !matches!(v, Value::String(_) | Value::MatchKind(_)) {
                return self.const_operand(&v, t, loc);
            }
        }
        let p = self.p;
        match &p.exprs[e] {
            Expr::Path(path) => self.path(e, path, loc),
            Expr::Member { base, member } => self.member(e, *base, member, out),
            Expr::Index { base, index } => {
                let Operand::Place(Place::Stack { elements, .. }) = self.operand(*base, out)?
                else {
                    return Err(Error::unsupported(
                        "indexing a value that is not a header stack",
                        loc,
                    ));
                };
                let i = match (self.index_choice.get(&e), self.c.value_of(*index)) {
                    (Some(k), _) => Some(*k),
                    (None, Some(Value::Int(i))) => usize::try_from(i).ok(),
                    // A range loop's variable: a constant in each unrolled iteration.
                    _ => match self.operand(*index, out)? {
                        Operand::Value(IrExpr::Const { value, .. }, _) => {
                            usize::try_from(value).ok()
                        }
                        _ => {
                            return Err(Error::unsupported(
                                "a run-time header stack index here (only in assignments and \
                                 calls)",
                                self.loc(*index),
                            ));
                        }
                    },
                };
                match i.and_then(|i| elements.get(i)) {
                    Some(p) => Ok(Operand::Place(p.clone())),
                    None => Err(Error::new(
                        ErrorKind::NotConstant {
                            what: "a header stack index within the stack".into(),
                        },
                        self.loc(*index),
                    )),
                }
            }
            Expr::Slice { base, hi, lo } => {
                let (hi, lo) = (self.const_u16(*hi)?, self.const_u16(*lo)?);
                match self.operand(*base, out)? {
                    Operand::Place(Place::Scalar { field, ty, slice }) => {
                        let off = slice.map_or(0, |(_, l)| l);
                        Ok(Operand::Place(Place::Scalar {
                            field,
                            ty,
                            slice: Some((off + hi, off + lo)),
                        }))
                    }
                    other => {
                        let (v, _) = self.scalar_of(other, loc)?;
                        Ok(Operand::Value(
                            IrExpr::slice(v, hi, lo),
                            Ty::Bit(hi - lo + 1),
                        ))
                    }
                }
            }
            Expr::Unary { op, operand } => {
                let (v, ty) = self.value(*operand, out)?;
                let v = match op {
                    UnaryOp::Not => IrExpr::unary(UnOp::Not, v),
                    UnaryOp::Complement => IrExpr::unary(UnOp::BitNot, v),
                    UnaryOp::Neg => IrExpr::unary(UnOp::Neg, v),
                    UnaryOp::Plus => v,
                };
                Ok(Operand::Value(v, ty))
            }
            Expr::Binary { op, lhs, rhs } => self.binary(e, *op, *lhs, *rhs, out),
            Expr::Ternary {
                cond,
                then,
                otherwise,
            } => {
                let c = self.value_as(*cond, Ty::Bool, out)?;
                let ty = match self.scalar_ty(t, loc)? {
                    Some(ty) => ty,
                    None => {
                        return Err(Error::unsupported(
                            "a conditional expression on aggregates",
                            loc,
                        ));
                    }
                };
                let (mut pa, mut pb) = (Vec::new(), Vec::new());
                let a = self.value_as(*then, ty, &mut pa)?;
                let b = self.value_as(*otherwise, ty, &mut pb)?;
                if !pa.is_empty() || !pb.is_empty() {
                    // Only the chosen branch's effects happen.
                    let r = self.temp("mux", ty);
                    pa.push(IrStmt::Assign {
                        dst: LValue::Field(r),
                        src: a,
                    });
                    pb.push(IrStmt::Assign {
                        dst: LValue::Field(r),
                        src: b,
                    });
                    out.push(IrStmt::If {
                        cond: c,
                        then: pa,
                        els: pb,
                    });
                    return Ok(Operand::Value(IrExpr::field(r), ty));
                }
                Ok(Operand::Value(
                    IrExpr::Mux {
                        cond: Box::new(c),
                        then: Box::new(a),
                        els: Box::new(b),
                    },
                    ty,
                ))
            }
            Expr::Cast { expr, .. } => match self.scalar_ty(t, loc)? {
                Some(ty) => Ok(Operand::Value(self.value_as(*expr, ty, out)?, ty)),
                None => self.operand(*expr, out),
            },
            Expr::Call { callee, args, .. } => self.call_operand(e, *callee, args, out),
            Expr::List(items) => {
                let mut ops = Vec::new();
                for i in items {
                    ops.push(self.operand(*i, out)?);
                }
                Ok(Operand::List(ops))
            }
            Expr::Struct { fields, .. } => {
                let mut ops = Vec::new();
                for f in fields {
                    ops.push((f.name.name.clone(), self.operand(f.value, out)?));
                }
                Ok(Operand::Fields(ops))
            }
            Expr::InvalidHeader => Ok(Operand::Invalid),
            _ => Err(Error::unsupported("this expression", loc)),
        }
    }

    fn const_u16(&self, e: Handle<Expr>) -> Result<u16> {
        match self.c.value_of(e) {
            Some(Value::Int(i)) => u16::try_from(i).map_err(|_| {
                Error::new(
                    ErrorKind::NotConstant {
                        what: "a slice bound below 2^16".into(),
                    },
                    self.loc(e),
                )
            }),
            _ => Err(Error::new(
                ErrorKind::NotConstant {
                    what: "a slice bound".into(),
                },
                self.loc(e),
            )),
        }
    }

    fn path(&mut self, e: Handle<Expr>, path: &ast::Path, loc: Loc) -> Result<Operand> {
        let binding = match self.c.def_of(e) {
            Some(Def::Param { owner, index }) => self.params.get(&(owner, index)).cloned(),
            Some(Def::CtorParam { owner, index }) => self.ctor_params.get(&(owner, index)).cloned(),
            Some(Def::Decl(d)) => self.vars.get(&d).cloned(),
            Some(Def::ForVar(s)) => self.for_vars.get(&s).cloned(),
            _ => None,
        };
        match binding {
            Some(Binding::Place(p)) => Ok(Operand::Place(p)),
            Some(Binding::Value(v, ty)) => Ok(Operand::Value(v, ty)),
            Some(Binding::ActionParam { index, ty }) => {
                let width = ty.width();
                Ok(Operand::Value(
                    coerce(IrExpr::Param { index }, Ty::Bit(width), ty),
                    ty,
                ))
            }
            _ => Err(Error::unsupported(
                format!("the use of `{}` here", path.name.name),
                loc,
            )),
        }
    }

    fn member(
        &mut self,
        e: Handle<Expr>,
        base: Handle<Expr>,
        member: &ast::Ident,
        out: &mut Vec<IrStmt>,
    ) -> Result<Operand> {
        let loc = self.loc(e);
        let m = self.c.members[e.index()];
        match m {
            Some(Member::Field(i)) => {
                let b = self.operand(base, out)?;
                self.field_of(b, i, &member.name, loc)
            }
            Some(Member::StackNext | Member::StackLast) => {
                let Operand::Place(Place::Stack { stack, elements }) = self.operand(base, out)?
                else {
                    return Err(Error::unsupported("`next`/`last` of this value", loc));
                };
                let Some(Place::Header { ty, decl, .. }) = elements.first().cloned() else {
                    return Err(Error::unsupported("an empty header stack", loc));
                };
                if self.ctx != super::Ctx::Parser {
                    return Err(Error::unsupported(
                        "`next` and `last` outside a parser",
                        loc,
                    ));
                }
                let header = if m == Some(Member::StackNext) {
                    HeaderRef::Next(stack)
                } else {
                    HeaderRef::Last(stack)
                };
                Ok(Operand::Place(Place::Header { header, ty, decl }))
            }
            Some(Member::StackLastIndex) => {
                let Operand::Place(Place::Stack { stack, .. }) = self.operand(base, out)? else {
                    return Err(Error::unsupported("`lastIndex` of this value", loc));
                };
                Ok(Operand::Value(
                    IrExpr::binary(BinOp::Sub, IrExpr::NextIndex { stack }, IrExpr::bits(32, 1)),
                    Ty::Bit(32),
                ))
            }
            Some(Member::Hit | Member::Miss) => {
                let Some(CallTarget::Apply(t)) = self.c.calls[base.index()] else {
                    return Err(Error::unsupported("`hit`/`miss` of this value", loc));
                };
                // The table runs where the expression is evaluated; its result is kept in a
                // fresh `bool`.
                let table = self.table(t, loc)?;
                let field = self.temp("hit", Ty::Bool);
                let set = |v: bool| IrStmt::Assign {
                    dst: LValue::Field(field),
                    src: IrExpr::bool(v),
                };
                out.push(IrStmt::Apply {
                    table,
                    arms: ddsr_pipeline::stmt::ApplyArms::Hit {
                        hit: vec![set(true)],
                        miss: vec![set(false)],
                    },
                });
                let v = IrExpr::field(field);
                Ok(Operand::Value(
                    if m == Some(Member::Hit) {
                        v
                    } else {
                        IrExpr::unary(UnOp::Not, v)
                    },
                    Ty::Bool,
                ))
            }
            _ => Err(Error::unsupported(
                format!("member `{}` in this position", member.name),
                loc,
            )),
        }
    }

    /// A fresh scalar of type `ty` in the current block's locals.
    pub(super) fn temp(&mut self, name: &str, ty: Ty) -> ddsr_pipeline::FieldRef {
        let mut area = self
            .area
            .take()
            .unwrap_or_else(|| super::storage::Area::new("locals", "locals_t"));
        let f = self.slot(&mut area, name, ty);
        self.area = Some(area);
        f
    }

    /// Member `i` (named `name`) of an aggregate operand.
    pub(super) fn field_of(&mut self, b: Operand, i: u32, name: &str, loc: Loc) -> Result<Operand> {
        match b {
            Operand::Place(Place::Header { header, ty, .. }) => {
                let field = u16::try_from(i).unwrap_or(u16::MAX);
                let fty = self.field_ty(ty, field);
                Ok(Operand::Place(Place::Scalar {
                    field: ddsr_pipeline::FieldRef { header, field },
                    ty: fty,
                    slice: None,
                }))
            }
            Operand::Place(Place::Struct(members))
            | Operand::Place(Place::Union { members, .. }) => members
                .into_iter()
                .find(|(n, _)| n == name)
                .map(|(_, p)| Operand::Place(p))
                .ok_or_else(|| Error::unsupported(format!("member `{name}`"), loc)),
            Operand::Fields(fs) => fs
                .into_iter()
                .find(|(n, _)| n == name)
                .map(|(_, o)| o)
                .ok_or_else(|| Error::unsupported(format!("member `{name}`"), loc)),
            Operand::List(items) => items
                .into_iter()
                .nth(i as usize)
                .ok_or_else(|| Error::unsupported(format!("member `{name}`"), loc)),
            _ => Err(Error::unsupported(
                format!("member `{name}` of this value"),
                loc,
            )),
        }
    }

    fn binary(
        &mut self,
        e: Handle<Expr>,
        op: BinaryOp,
        lhs: Handle<Expr>,
        rhs: Handle<Expr>,
        out: &mut Vec<IrStmt>,
    ) -> Result<Operand> {
        let loc = self.loc(e);
        let t = self.c.type_of(e);
        if op == BinaryOp::Concat {
            let (a, _) = self.value(lhs, out)?;
            let (b, _) = self.value(rhs, out)?;
            let ty = self.scalar_ty(t, loc)?.unwrap_or(Ty::Bit(1));
            return Ok(Operand::Value(IrExpr::concat(a, b), ty));
        }
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            let a = self.value_as(lhs, Ty::Bool, out)?;
            let mut pre = Vec::new();
            let b = self.value_as(rhs, Ty::Bool, &mut pre)?;
            let bin = if op == BinaryOp::And {
                BinOp::And
            } else {
                BinOp::Or
            };
            if pre.is_empty() {
                return Ok(Operand::Value(IrExpr::binary(bin, a, b), Ty::Bool));
            }
            // The right operand has effects (a table applied, a function inlined): they
            // happen only when it is evaluated, as `&&`/`||` short-circuit.
            let t = self.temp("cond", Ty::Bool);
            out.push(IrStmt::Assign {
                dst: LValue::Field(t),
                src: a,
            });
            pre.push(IrStmt::Assign {
                dst: LValue::Field(t),
                src: b,
            });
            let cond = if op == BinaryOp::And {
                IrExpr::field(t)
            } else {
                IrExpr::unary(UnOp::Not, IrExpr::field(t))
            };
            out.push(IrStmt::If {
                cond,
                then: pre,
                els: Vec::new(),
            });
            return Ok(Operand::Value(IrExpr::field(t), Ty::Bool));
        }
        if matches!(op, BinaryOp::Shl | BinaryOp::Shr) {
            let (a, ty) = self.value(lhs, out)?;
            let amount = match self.operand(rhs, out)? {
                Operand::Int(v) => IrExpr::bits(8, bits_of(&v).min(255)),
                other => self.scalar_of(other, self.loc(rhs))?.0,
            };
            let bin = if op == BinaryOp::Shl {
                BinOp::Shl
            } else {
                BinOp::Shr
            };
            return Ok(Operand::Value(IrExpr::binary(bin, a, amount), ty));
        }
        let a = self.operand(lhs, out)?;
        let b = self.operand(rhs, out)?;
        if matches!(op, BinaryOp::Eq | BinaryOp::Ne)
            && self.scalar_ty(self.c.type_of(lhs), loc)?.is_none()
        {
            let eq = self.aggregate_eq(a, b, loc)?;
            let v = if op == BinaryOp::Eq {
                eq
            } else {
                IrExpr::unary(UnOp::Not, eq)
            };
            return Ok(Operand::Value(v, Ty::Bool));
        }
        let (a, b, ty) = match (a, b) {
            (Operand::Int(x), Operand::Int(y)) => {
                // Both `int`: only reachable for non-constant folding gaps; use 64 bits.
                let ty = Ty::Int(64);
                (
                    IrExpr::Const {
                        ty,
                        value: bits_of(&x) & mask(64),
                    },
                    IrExpr::Const {
                        ty,
                        value: bits_of(&y) & mask(64),
                    },
                    ty,
                )
            }
            (Operand::Int(x), other) => {
                let (v, ty) = self.scalar_of(other, self.loc(rhs))?;
                (
                    IrExpr::Const {
                        ty,
                        value: bits_of(&x) & mask(ty.width()),
                    },
                    v,
                    ty,
                )
            }
            (other, Operand::Int(y)) => {
                let (v, ty) = self.scalar_of(other, self.loc(lhs))?;
                (
                    v,
                    IrExpr::Const {
                        ty,
                        value: bits_of(&y) & mask(ty.width()),
                    },
                    ty,
                )
            }
            (x, y) => {
                let (a, ta) = self.scalar_of(x, self.loc(lhs))?;
                let (b, tb) = self.scalar_of(y, self.loc(rhs))?;
                (a, coerce(b, tb, ta), ta)
            }
        };
        let (bin, result) = match op {
            BinaryOp::Mul => (BinOp::Mul, ty),
            BinaryOp::Div => (BinOp::Div, ty),
            BinaryOp::Mod => (BinOp::Mod, ty),
            BinaryOp::Add => (BinOp::Add, ty),
            BinaryOp::Sub => (BinOp::Sub, ty),
            BinaryOp::SatAdd => (BinOp::AddSat, ty),
            BinaryOp::SatSub => (BinOp::SubSat, ty),
            BinaryOp::BitAnd => (BinOp::BitAnd, ty),
            BinaryOp::BitOr => (BinOp::BitOr, ty),
            BinaryOp::BitXor => (BinOp::BitXor, ty),
            BinaryOp::Eq => (BinOp::Eq, Ty::Bool),
            BinaryOp::Ne => (BinOp::Ne, Ty::Bool),
            BinaryOp::Lt => (BinOp::Lt, Ty::Bool),
            BinaryOp::Le => (BinOp::Le, Ty::Bool),
            BinaryOp::Gt => (BinOp::Gt, Ty::Bool),
            BinaryOp::Ge => (BinOp::Ge, Ty::Bool),
            BinaryOp::Shl | BinaryOp::Shr | BinaryOp::Concat | BinaryOp::And | BinaryOp::Or => {
                return Err(Error::unsupported("this operator", loc));
            }
        };
        Ok(Operand::Value(IrExpr::binary(bin, a, b), result))
    }

    /// `a == b` for structs, tuples, headers (validity and, when valid, every field), stacks
    /// and unions, member by member.
    fn aggregate_eq(&mut self, a: Operand, b: Operand, loc: Loc) -> Result<IrExpr> {
        let and = |x: IrExpr, y: IrExpr| IrExpr::binary(BinOp::And, x, y);
        match (&a, &b) {
            (
                Operand::Place(Place::Header { header: ha, ty, .. }),
                Operand::Place(Place::Header { header: hb, .. }),
            ) => {
                let (ha, hb, ty) = (*ha, *hb, *ty);
                let va = IrExpr::IsValid { header: ha };
                let vb = IrExpr::IsValid { header: hb };
                let mut fields = IrExpr::bool(true);
                for i in 0..self.header_types[ty].fields.len() {
                    let field = u16::try_from(i).unwrap_or(u16::MAX);
                    let fa = IrExpr::field(ddsr_pipeline::FieldRef { header: ha, field });
                    let fb = IrExpr::field(ddsr_pipeline::FieldRef { header: hb, field });
                    fields = and(fields, IrExpr::binary(BinOp::Eq, fa, fb));
                }
                let both_invalid = and(
                    IrExpr::unary(UnOp::Not, va.clone()),
                    IrExpr::unary(UnOp::Not, vb.clone()),
                );
                Ok(IrExpr::binary(
                    BinOp::Or,
                    both_invalid,
                    and(and(va, vb), fields),
                ))
            }
            (Operand::Place(Place::Scalar { .. }) | Operand::Value(..) | Operand::Int(_), _) => {
                let (x, tx) = self.scalar_of_typed(a, None, loc)?;
                let (y, _) = self.scalar_of_typed(b, Some(tx), loc)?;
                Ok(IrExpr::binary(BinOp::Eq, x, y))
            }
            _ => {
                let xs = self.members_of(a, loc)?;
                let ys = self.members_of(b, loc)?;
                if xs.len() != ys.len() {
                    return Err(Error::unsupported(
                        "comparing values of different shapes",
                        loc,
                    ));
                }
                let mut acc = IrExpr::bool(true);
                for (x, y) in xs.into_iter().zip(ys) {
                    let e = self.aggregate_eq(x, y, loc)?;
                    acc = and(acc, e);
                }
                Ok(acc)
            }
        }
    }

    fn scalar_of_typed(&mut self, o: Operand, want: Option<Ty>, loc: Loc) -> Result<(IrExpr, Ty)> {
        match (o, want) {
            (Operand::Int(i), Some(ty)) => Ok((
                IrExpr::Const {
                    ty,
                    value: bits_of(&i) & mask(ty.width()),
                },
                ty,
            )),
            (o, Some(ty)) => {
                let (v, t) = self.scalar_of(o, loc)?;
                Ok((coerce(v, t, ty), ty))
            }
            (o, None) => self.scalar_of(o, loc),
        }
    }

    /// The members of an aggregate operand, in order.
    fn members_of(&mut self, o: Operand, loc: Loc) -> Result<Vec<Operand>> {
        Ok(match o {
            Operand::List(items) => items,
            Operand::Fields(fs) => fs.into_iter().map(|(_, o)| o).collect(),
            Operand::Place(Place::Struct(ms))
            | Operand::Place(Place::Union { members: ms, .. }) => {
                ms.into_iter().map(|(_, p)| Operand::Place(p)).collect()
            }
            Operand::Place(Place::Stack { elements, .. }) => {
                elements.into_iter().map(Operand::Place).collect()
            }
            _ => return Err(Error::unsupported("comparing this value", loc)),
        })
    }

    fn call_operand(
        &mut self,
        e: Handle<Expr>,
        callee: Handle<Expr>,
        args: &[ast::Argument],
        out: &mut Vec<IrStmt>,
    ) -> Result<Operand> {
        let loc = self.loc(e);
        match self.c.calls[e.index()] {
            Some(CallTarget::Builtin(Builtin::IsValid)) => {
                let Expr::Member { base, .. } = &self.p.exprs[callee] else {
                    return Err(Error::unsupported("this call", loc));
                };
                match self.operand(*base, out)? {
                    Operand::Place(Place::Header { header, .. }) => {
                        Ok(Operand::Value(IrExpr::IsValid { header }, Ty::Bool))
                    }
                    Operand::Place(Place::Union { union, .. }) => {
                        Ok(Operand::Value(IrExpr::UnionIsValid { union }, Ty::Bool))
                    }
                    _ => Err(Error::unsupported("`isValid` of this value", loc)),
                }
            }
            Some(CallTarget::Function(f)) if matches!(self.p.decls[f], Decl::Function(_)) => {
                match self.inline_function(f, e, args, out)? {
                    Some(place) => Ok(Operand::Place(place)),
                    None => Err(Error::unsupported("the value of a `void` function", loc)),
                }
            }
            Some(CallTarget::Method {
                ext,
                method: method_index,
            }) => {
                let name = match &self.p.decls[ext] {
                    Decl::Extern(x) => x
                        .methods
                        .get(method_index as usize)
                        .map(|m| m.signature.name.name.clone()),
                    _ => None,
                };
                if name.as_deref() == Some("lookahead") && self.ctx == super::Ctx::Parser {
                    let t = self.c.type_of(e);
                    if let Some(ty) = self.scalar_ty(t, loc)? {
                        return Ok(Operand::Value(IrExpr::Lookahead { ty }, ty));
                    }
                    return self.lookahead_fields(t, loc);
                }
                let ext_name = self.p.decls[ext]
                    .name()
                    .map(|n| n.name.clone())
                    .unwrap_or_default();
                let method = name.unwrap_or_default();
                if ext_name == "Checksum16" && method == "get" {
                    return self.checksum16(args, loc, out);
                }
                if self.pipe.is_some()
                    && let Expr::Member { base, .. } = &self.p.exprs[callee]
                    && let Decl::Extern(x) = &self.p.decls[ext]
                    && let Some(m) = x.methods.get(method_index as usize)
                {
                    let bound = super::block::bind_args(&m.signature.params, args);
                    return self
                        .tna_method(*base, &ext_name, &method, &bound, loc, out)?
                        .ok_or_else(|| {
                            Error::unsupported(
                                format!("the value of `{ext_name}.{method}`, which returns none"),
                                loc,
                            )
                        });
                }
                Err(Error::new(
                    ErrorKind::UnknownMethod {
                        ext: ext_name,
                        method,
                    },
                    loc,
                ))
            }
            _ => Err(Error::unsupported("the value of this call", loc)),
        }
    }

    /// v1model's `Checksum16.get(data)`: the ones' complement checksum of `data` (what the
    /// `csum16` hash computes), into a fresh `bit<16>`.
    fn checksum16(
        &mut self,
        args: &[ast::Argument],
        loc: Loc,
        out: &mut Vec<IrStmt>,
    ) -> Result<Operand> {
        let Some(arg) = args.first() else {
            return Err(Error::unsupported("`Checksum16.get` without data", loc));
        };
        let data = self.flatten(arg.value, out)?;
        let ty = Ty::Bit(16);
        let dst = self.temp("checksum", ty);
        let zero = IrExpr::Const { ty, value: 0 };
        out.push(IrStmt::Extern {
            call: ddsr_pipeline::stmt::ExternCall::Hash {
                dst: LValue::Field(dst),
                algorithm: ddsr_pipeline::externs::HashAlgorithm::Csum16,
                base: zero.clone(),
                data,
                max: zero,
            },
        });
        Ok(Operand::Place(Place::Scalar {
            field: dst,
            ty,
            slice: None,
        }))
    }

    /// `lookahead<H>()` of a header or struct: one lookahead of the whole width, each field a
    /// slice of it.
    fn lookahead_fields(&mut self, t: TypeId, loc: Loc) -> Result<Operand> {
        let d = match self.c.types.get(t) {
            Type::Header(d) | Type::Struct(d) => *d,
            _ => return Err(Error::unsupported("`lookahead` of this type", loc)),
        };
        let mut fields = Vec::new();
        for (name, ft, floc) in self.fields_of(d) {
            match self.scalar_ty(ft, floc)? {
                Some(ty) if !matches!(ty, Ty::Varbit(_)) => fields.push((name, ty)),
                _ => {
                    return Err(Error::unsupported(
                        "`lookahead` of a type with aggregate or varbit fields",
                        loc,
                    ));
                }
            }
        }
        let total: u32 = fields.iter().map(|(_, ty)| u32::from(ty.width())).sum();
        let total = u16::try_from(total)
            .ok()
            .filter(|w| *w >= 1 && *w <= ddsr_pipeline::value::MAX_WIDTH)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::TooWide {
                        what: "the looked-ahead type".into(),
                        width: total,
                        max: u32::from(ddsr_pipeline::value::MAX_WIDTH),
                    },
                    loc,
                )
            })?;
        let mut hi = total;
        let mut out = Vec::new();
        for (name, ty) in fields {
            let w = ty.width();
            let slice = IrExpr::slice(IrExpr::Lookahead { ty: Ty::Bit(total) }, hi - 1, hi - w);
            hi -= w;
            out.push((name, Operand::Value(coerce(slice, Ty::Bit(w), ty), ty)));
        }
        Ok(Operand::Fields(out))
    }

    /// A scalar operand as an IR expression and its type.
    pub(super) fn scalar_of(&mut self, o: Operand, loc: Loc) -> Result<(IrExpr, Ty)> {
        match o {
            Operand::Value(v, ty) => Ok((v, ty)),
            Operand::Int(i) => {
                let ty = Ty::Int(64);
                Ok((
                    IrExpr::Const {
                        ty,
                        value: bits_of(&i) & mask(64),
                    },
                    ty,
                ))
            }
            Operand::Place(Place::Scalar { field, ty, slice }) => Ok(match slice {
                None => (IrExpr::field(field), ty),
                Some((hi, lo)) => (
                    IrExpr::slice(IrExpr::field(field), hi, lo),
                    Ty::Bit(hi - lo + 1),
                ),
            }),
            _ => Err(Error::unsupported(
                "an aggregate value where a scalar is expected",
                loc,
            )),
        }
    }

    /// A scalar expression and its IR type.
    pub(super) fn value(&mut self, e: Handle<Expr>, out: &mut Vec<IrStmt>) -> Result<(IrExpr, Ty)> {
        let o = self.operand(e, out)?;
        if let Operand::Int(i) = &o {
            // An `int` the checker left unconverted: give it the width it needs, unsigned
            // when it is not negative (extern arguments such as hash bases are unsigned).
            let negative = i.sign() == Sign::Minus;
            let bits = u16::try_from(i.bits().max(1) + u64::from(negative))
                .unwrap_or(128)
                .min(128);
            let ty = if negative {
                Ty::Int(bits)
            } else {
                Ty::Bit(bits)
            };
            return Ok((
                IrExpr::Const {
                    ty,
                    value: bits_of(i) & mask(ty.width()),
                },
                ty,
            ));
        }
        self.scalar_of(o, self.loc(e))
    }

    /// A scalar expression converted to `want`.
    pub(super) fn value_as(
        &mut self,
        e: Handle<Expr>,
        want: Ty,
        out: &mut Vec<IrStmt>,
    ) -> Result<IrExpr> {
        let o = self.operand(e, out)?;
        self.operand_as(o, want, self.loc(e))
    }

    pub(super) fn operand_as(&mut self, o: Operand, want: Ty, loc: Loc) -> Result<IrExpr> {
        if let Operand::Int(i) = &o {
            return Ok(IrExpr::Const {
                ty: want,
                value: bits_of(i) & mask(want.width()),
            });
        }
        let (v, ty) = self.scalar_of(o, loc)?;
        Ok(coerce(v, ty, want))
    }

    /// A place to write to.
    pub(super) fn place(&mut self, e: Handle<Expr>, out: &mut Vec<IrStmt>) -> Result<Place> {
        match self.operand(e, out)? {
            Operand::Place(p) => Ok(p),
            _ => Err(Error::unsupported(
                "writing to this expression",
                self.loc(e),
            )),
        }
    }

    /// A scalar place as an IR lvalue.
    pub(super) fn lvalue(
        &mut self,
        e: Handle<Expr>,
        out: &mut Vec<IrStmt>,
    ) -> Result<(LValue, Ty)> {
        match self.place(e, out)? {
            Place::Scalar {
                field,
                ty,
                slice: None,
            } => Ok((LValue::Field(field), ty)),
            Place::Scalar {
                field,
                slice: Some((hi, lo)),
                ..
            } => Ok((LValue::Slice { field, hi, lo }, Ty::Bit(hi - lo + 1))),
            _ => Err(Error::unsupported(
                "an aggregate where a scalar is written",
                self.loc(e),
            )),
        }
    }

    /// The scalar leaves of a value in declaration order, for hash, checksum, digest and log
    /// data (`{a, b}`, a header, a struct).
    pub(super) fn flatten(
        &mut self,
        e: Handle<Expr>,
        out: &mut Vec<IrStmt>,
    ) -> Result<Vec<IrExpr>> {
        let o = self.operand(e, out)?;
        let mut v = Vec::new();
        self.flatten_operand(o, self.loc(e), &mut v)?;
        Ok(v)
    }

    fn flatten_operand(&mut self, o: Operand, loc: Loc, acc: &mut Vec<IrExpr>) -> Result<()> {
        match o {
            Operand::List(items) => {
                for i in items {
                    self.flatten_operand(i, loc, acc)?;
                }
            }
            Operand::Fields(fs) => {
                for (_, i) in fs {
                    self.flatten_operand(i, loc, acc)?;
                }
            }
            Operand::Place(Place::Header { header, ty, .. }) => {
                let n = self.header_types[ty].fields.len();
                for i in 0..n {
                    let field = u16::try_from(i).unwrap_or(u16::MAX);
                    acc.push(IrExpr::field(ddsr_pipeline::FieldRef { header, field }));
                }
            }
            Operand::Place(Place::Struct(ms)) => {
                for (_, p) in ms {
                    self.flatten_operand(Operand::Place(p), loc, acc)?;
                }
            }
            Operand::Place(Place::Stack { elements, .. }) => {
                for p in elements {
                    self.flatten_operand(Operand::Place(p), loc, acc)?;
                }
            }
            Operand::Int(i) => {
                let bits = u16::try_from(i.bits().max(1)).unwrap_or(128).min(128);
                acc.push(IrExpr::bits(bits, bits_of(&i)));
            }
            other => acc.push(self.scalar_of(other, loc)?.0),
        }
        Ok(())
    }
}

//! `for (T x in collection)` loops (P4_16 1.2.5) and header stack indices known only at run
//! time. The pipeline IR has neither loops nor indirect header references, so both are
//! unrolled into straight-line code over the finite choices, as p4c's loop unrolling and
//! BMv2's stack handling do:
//!
//! - a loop over a constant range `a..b` (both ends included) or over a header stack runs its
//!   body once per element with `x` bound to the constant or to the stack element; `break` and
//!   `continue` set flags that guard everything after them;
//! - an assignment or call whose expressions index a stack with a run-time value `s[i]` copies
//!   `i` once into a fresh field and becomes `if (i == 0) { ...s[0]... } else if (i == 1) ...`
//!   over the stack's size; an index out of range runs none of the branches (the P4_16 spec
//!   leaves reads undefined and makes writes no-ops).

use ddsr_pipeline::Stmt as IrStmt;
use ddsr_pipeline::expr::{BinOp, Expr as IrExpr, LValue, UnOp};
use ddsr_pipeline::types::Ty;
use num_bigint::BigInt;

use super::expr::{Operand, bits_of};
use super::storage::{Binding, Place};
use super::{Error, Lowerer, Result};
use crate::ast::{Expr, Handle, Loc, Stmt};
use crate::sema::{Type, Value};

/// Most iterations one loop, or branches one statement's run-time indices, unroll into.
const MAX_UNROLL: usize = 1024;

/// The flags of the loop being unrolled: set by `break` and `continue`.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct LoopFlags {
    pub brk: Option<ddsr_pipeline::FieldRef>,
    pub cont: Option<ddsr_pipeline::FieldRef>,
}

/// Whether `s` may run `break` or `continue` of the innermost loop around it (nested loops
/// keep theirs).
pub(super) fn has_jump(p: &crate::ast::Program, s: Handle<Stmt>, which: &Stmt) -> bool {
    match &p.stmts[s] {
        Stmt::Break => matches!(which, Stmt::Break),
        Stmt::Continue => matches!(which, Stmt::Continue),
        Stmt::If {
            then, otherwise, ..
        } => has_jump(p, *then, which) || otherwise.is_some_and(|o| has_jump(p, o, which)),
        Stmt::Block(b) => b.stmts.iter().any(|s| has_jump(p, *s, which)),
        Stmt::Switch { cases, .. } => cases
            .iter()
            .filter_map(|c| c.body.as_ref())
            .any(|b| b.stmts.iter().any(|s| has_jump(p, *s, which))),
        _ => false,
    }
}

impl Lowerer<'_> {
    /// `for (T x in collection) body`, unrolled.
    pub(super) fn for_in(
        &mut self,
        s: Handle<Stmt>,
        collection: Handle<Expr>,
        body: Handle<Stmt>,
        loc: Loc,
        out: &mut Vec<IrStmt>,
    ) -> Result<()> {
        let items = self.loop_items(s, collection, loc, out)?;
        let p = self.p;
        let flag = |l: &mut Self, name: &str, needed: bool| -> Result<Option<_>> {
            if !needed {
                return Ok(None);
            }
            let Place::Scalar { field, .. } =
                l.alloc_local(name, crate::sema::TypeId::BOOL, loc)?
            else {
                return Err(Error::unsupported("a loop flag", loc));
            };
            Ok(Some(field))
        };
        let flags = LoopFlags {
            brk: flag(self, "break", has_jump(p, body, &Stmt::Break))?,
            cont: flag(self, "continue", has_jump(p, body, &Stmt::Continue))?,
        };
        let outer = self.loop_flags.replace(flags);
        let saved = self.for_vars.remove(&s);
        if let Some(b) = flags.brk {
            out.push(set(b, false));
        }
        let mut iterations = Vec::new();
        for item in items {
            self.for_vars.insert(s, item);
            let mut one = Vec::new();
            if let Some(c) = flags.cont {
                one.push(set(c, false));
            }
            self.stmt(body, &mut one);
            iterations.push(one);
        }
        // Each iteration after the first runs only while no `break` happened.
        let mut rest: Vec<IrStmt> = Vec::new();
        for one in iterations.into_iter().rev() {
            let mut this = one;
            if !rest.is_empty() {
                match flags.brk {
                    Some(b) => this.push(IrStmt::If {
                        cond: IrExpr::unary(UnOp::Not, IrExpr::field(b)),
                        then: rest,
                        els: Vec::new(),
                    }),
                    None => this.extend(rest),
                }
            }
            rest = this;
        }
        out.extend(rest);
        self.for_vars.remove(&s);
        if let Some(b) = saved {
            self.for_vars.insert(s, b);
        }
        self.loop_flags = outer;
        Ok(())
    }

    /// What the loop variable is bound to in each iteration.
    fn loop_items(
        &mut self,
        s: Handle<Stmt>,
        collection: Handle<Expr>,
        loc: Loc,
        out: &mut Vec<IrStmt>,
    ) -> Result<Vec<Binding>> {
        let items = if let Expr::Range { lo, hi } = &self.p.exprs[collection] {
            let bound = |l: &Self, e: Handle<Expr>| -> Result<BigInt> {
                match l.c.value_of(e) {
                    Some(Value::Int(i)) => Ok(i.clone()),
                    _ => Err(Error::unsupported(
                        "a loop range whose ends are not compile-time constants",
                        l.loc(e),
                    )),
                }
            };
            let (a, b) = (bound(self, *lo)?, bound(self, *hi)?);
            let var_ty = match &self.p.stmts[s] {
                Stmt::ForIn { ty: Some(t), .. } => self.c.type_ref(*t),
                _ => self.c.type_of(collection),
            };
            let ty = match self.scalar_ty(var_ty, loc)? {
                Some(ty @ (Ty::Bit(_) | Ty::Int(_))) => ty,
                _ => {
                    return Err(Error::unsupported(
                        "a range loop variable without a `bit<N>` or `int<N>` type",
                        loc,
                    ));
                }
            };
            let count = if b >= a {
                &b - &a + 1u32
            } else {
                BigInt::from(0)
            };
            if count > BigInt::from(MAX_UNROLL) {
                return Err(Error::unsupported(
                    format!("a loop of {count} iterations (at most {MAX_UNROLL} are unrolled)"),
                    loc,
                ));
            }
            let mut items = Vec::new();
            let mut k = a;
            while k <= b {
                let value = bits_of(&k) & ddsr_pipeline::value::mask(ty.width());
                items.push(Binding::Value(IrExpr::Const { ty, value }, ty));
                k += 1u32;
            }
            items
        } else {
            match self.operand(collection, out)? {
                Operand::Place(Place::Stack { elements, .. }) => {
                    elements.into_iter().map(Binding::Place).collect()
                }
                _ => {
                    return Err(Error::unsupported(
                        "a loop over a collection that is not a constant range or a header stack",
                        self.loc(collection),
                    ));
                }
            }
        };
        Ok(items)
    }

    /// `break` or `continue`: sets the loop's flag.
    pub(super) fn jump(&mut self, brk: bool, loc: Loc, out: &mut Vec<IrStmt>) -> Result<()> {
        let flags = self.loop_flags.unwrap_or_default();
        match if brk { flags.brk } else { flags.cont } {
            Some(f) => {
                out.push(set(f, true));
                Ok(())
            }
            None => Err(Error::unsupported(
                if brk {
                    "`break` outside a loop"
                } else {
                    "`continue` outside a loop"
                },
                loc,
            )),
        }
    }

    /// The guard for statements after one that may `break` or `continue`.
    pub(super) fn jump_guard(&self, s: Handle<Stmt>) -> Option<IrExpr> {
        let flags = self.loop_flags?;
        let mut cond: Option<IrExpr> = None;
        for (f, which) in [(flags.brk, Stmt::Break), (flags.cont, Stmt::Continue)] {
            if let Some(f) = f
                && has_jump(self.p, s, &which)
            {
                let not = IrExpr::unary(UnOp::Not, IrExpr::field(f));
                cond = Some(match cond {
                    Some(c) => IrExpr::binary(BinOp::And, c, not),
                    None => not,
                });
            }
        }
        cond
    }

    /// Run-time stack indices in the expressions of statement `s` (not in nested statements),
    /// outermost first.
    pub(super) fn runtime_indices(&self, s: Handle<Stmt>) -> Vec<Handle<Expr>> {
        let roots: Vec<Handle<Expr>> = match &self.p.stmts[s] {
            Stmt::Assign { lhs, rhs } => vec![*lhs, *rhs],
            Stmt::Call(e) => vec![*e],
            _ => return Vec::new(),
        };
        let mut found = Vec::new();
        let mut stack = roots;
        // Expressions are trees; the walk visits each node once, children before the next
        // root, with an explicit stack (no recursion on untrusted depth).
        while let Some(e) = stack.pop() {
            match &self.p.exprs[e] {
                Expr::Index { base, index } => {
                    if self.c.value_of(*index).is_none()
                        && !self.index_choice.contains_key(&e)
                        && matches!(self.c.types.get(self.c.type_of(*base)), Type::Stack { .. })
                        && !self.is_loop_constant(*index)
                    {
                        found.push(e);
                    }
                    stack.push(*base);
                    stack.push(*index);
                }
                other => stack.extend(children(other)),
            }
        }
        found
    }

    /// Whether `e` names a range loop's variable, a constant in each unrolled iteration.
    fn is_loop_constant(&self, e: Handle<Expr>) -> bool {
        match self.c.def_of(e) {
            Some(crate::sema::Def::ForVar(s)) => {
                matches!(self.for_vars.get(&s), Some(Binding::Value(..)))
            }
            _ => false,
        }
    }

    /// Statement `s` with run-time index `e` (of a stack of `size` elements) expanded into one
    /// branch per element.
    pub(super) fn expand_index(
        &mut self,
        s: Handle<Stmt>,
        e: Handle<Expr>,
        out: &mut Vec<IrStmt>,
    ) -> Result<()> {
        let loc = self.loc(e);
        let Expr::Index { base, index } = &self.p.exprs[e] else {
            return Err(Error::unsupported("this index", loc));
        };
        let size = match self.c.types.get(self.c.type_of(*base)) {
            Type::Stack { size, .. } => *size as usize,
            _ => {
                return Err(Error::unsupported(
                    "indexing a value that is not a stack",
                    loc,
                ));
            }
        };
        let (i, ty) = self.value(*index, out)?;
        let (Ty::Bit(w) | Ty::Int(w)) = ty else {
            return Err(Error::unsupported("a header stack index of this type", loc));
        };
        // The index is read once, as P4 evaluates it once.
        let tmp = self.temp("index", ty);
        out.push(IrStmt::Assign {
            dst: LValue::Field(tmp),
            src: i,
        });
        let mut chain: Vec<IrStmt> = Vec::new();
        for k in (0..size).rev() {
            if w < 128 && (k as u128) >> w != 0 {
                continue;
            }
            self.index_choice.insert(e, k);
            let mut then = Vec::new();
            let r = self.stmt_with_indices(s, &mut then);
            self.index_choice.remove(&e);
            r?;
            let cond = IrExpr::binary(
                BinOp::Eq,
                IrExpr::field(tmp),
                IrExpr::Const {
                    ty,
                    value: k as u128,
                },
            );
            chain = vec![IrStmt::If {
                cond,
                then,
                els: chain,
            }];
        }
        out.extend(chain);
        Ok(())
    }

    /// Statement `s`, expanding its run-time indices one at a time (bounded in total).
    pub(super) fn stmt_with_indices(
        &mut self,
        s: Handle<Stmt>,
        out: &mut Vec<IrStmt>,
    ) -> Result<()> {
        let found = self.runtime_indices(s);
        let Some(first) = found.first().copied() else {
            return self.stmt_inner(s, out);
        };
        let branches = found.iter().try_fold(1usize, |acc, e| {
            let size = match &self.p.exprs[*e] {
                Expr::Index { base, .. } => match self.c.types.get(self.c.type_of(*base)) {
                    Type::Stack { size, .. } => *size as usize,
                    _ => 1,
                },
                _ => 1,
            };
            acc.checked_mul(size.max(1)).filter(|n| *n <= MAX_UNROLL)
        });
        if branches.is_none() {
            return Err(Error::unsupported(
                format!("run-time stack indices needing more than {MAX_UNROLL} branches"),
                self.loc(first),
            ));
        }
        self.expand_index(s, first, out)
    }
}

/// The direct sub-expressions of `e`.
fn children(e: &Expr) -> Vec<Handle<Expr>> {
    match e {
        Expr::Member { base, .. } => vec![*base],
        Expr::Index { base, index } => vec![*base, *index],
        Expr::Slice { base, hi, lo } => vec![*base, *hi, *lo],
        Expr::Unary { operand, .. } => vec![*operand],
        Expr::Binary { lhs, rhs, .. } => vec![*lhs, *rhs],
        Expr::Ternary {
            cond,
            then,
            otherwise,
        } => vec![*cond, *then, *otherwise],
        Expr::Cast { expr, .. } => vec![*expr],
        Expr::Call { callee, args, .. } => std::iter::once(*callee)
            .chain(args.iter().map(|a| a.value))
            .collect(),
        Expr::Construct { args, .. } => args.iter().map(|a| a.value).collect(),
        Expr::List(items) => items.clone(),
        Expr::Struct { fields, .. } => fields.iter().map(|f| f.value).collect(),
        Expr::Mask { value, mask } => vec![*value, *mask],
        Expr::Range { lo, hi } => vec![*lo, *hi],
        Expr::Bool(_)
        | Expr::Int(_)
        | Expr::String(_)
        | Expr::Path(_)
        | Expr::This
        | Expr::DontCare
        | Expr::Default
        | Expr::InvalidHeader
        | Expr::Dots
        | Expr::TypeMember { .. } => Vec::new(),
    }
}

fn set(f: ddsr_pipeline::FieldRef, v: bool) -> IrStmt {
    IrStmt::Assign {
        dst: LValue::Field(f),
        src: IrExpr::bool(v),
    }
}

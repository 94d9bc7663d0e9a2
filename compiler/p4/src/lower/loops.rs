//! Loops (P4_16 1.2.5) and header stack indices known only at run time. The pipeline IR has
//! neither loops nor indirect header references, so both are unrolled into straight-line code
//! over the finite choices, as p4c's loop unrolling and BMv2's stack handling do:
//!
//! - a loop over a constant range `a..b` (both ends included) or over a header stack runs its
//!   body once per element with `x` bound to the constant or to the stack element;
//! - a three-part loop `for (init; cond; update)` is evaluated at compile time: its variables
//!   (local `bit<N>`/`int<N>`/`bool` scalars the initialisation declares or assigns) are
//!   constants in each iteration, the condition and the updates are computed from them, and
//!   more than [`MAX_UNROLL`] iterations is an error, not a hang;
//! - in every unrolled body `break` and `continue` set flags that guard everything after them;
//! - an assignment or call whose expressions index a stack with a run-time value `s[i]` copies
//!   `i` once into a fresh field and becomes `if (i == 0) { ...s[0]... } else if (i == 1) ...`
//!   over the stack's size; an `if` condition or a local variable's initializer is computed
//!   into a fresh field that way, so the branches are lowered once. An index out of range
//!   runs none of the choices (the P4_16 spec leaves reads undefined and makes writes no-ops;
//!   a condition reads as false).

use ddsr_pipeline::Stmt as IrStmt;
use ddsr_pipeline::expr::{BinOp, Expr as IrExpr, LValue, UnOp};
use ddsr_pipeline::types::Ty;
use num_bigint::BigInt;

use super::expr::{Operand, bits_of};
use super::storage::{Binding, Place};
use super::{Error, Lowerer, Result};
use crate::ast::{Decl, Expr, Handle, Loc, Stmt};
use crate::sema::value::pow2;
use crate::sema::{Type, Value};
use ddsr_pipeline::FieldRef;

/// Most iterations one loop, or branches one statement's run-time indices, unroll into.
const MAX_UNROLL: usize = 1024;

/// Deepest expression a loop's compile-time evaluation descends into (the checker already
/// refuses deeper ones).
const MAX_EVAL_DEPTH: u32 = 1000;

/// Largest shift evaluated at compile time: results are wrapped to at most 128 bits after.
const MAX_SHIFT: usize = 256;

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

/// A name bound to a constant or a place in each unrolled iteration.
#[derive(Debug, Clone, Copy)]
enum LoopVar {
    /// The variable of `for (T x in ...)`.
    ForIn(Handle<Stmt>),
    /// A local variable a three-part loop initialises and updates.
    Local(Handle<Decl>),
}

/// A variable of a three-part loop.
struct Counter {
    decl: Handle<Decl>,
    ty: Ty,
    /// The variable's field when it is declared outside the loop (so visible after it).
    outer: Option<FieldRef>,
    /// What the variable was bound to before the loop.
    saved: Option<Binding>,
}

/// One unrolled iteration: what the loop variables are bound to, and statements that run
/// before the body (keeping a variable declared outside the loop up to date).
struct Iteration {
    binds: Vec<(LoopVar, Binding)>,
    before: Vec<IrStmt>,
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
        let iterations = items
            .into_iter()
            .map(|b| Iteration {
                binds: vec![(LoopVar::ForIn(s), b)],
                before: Vec::new(),
            })
            .collect();
        self.unroll(body, iterations, Vec::new(), loc, out)
    }

    /// `for (init; cond; update) body` (P4_16 1.2.5), unrolled: the initialisation declares
    /// or assigns local variables, the updates assign them, and the condition and updates
    /// are evaluated at compile time, so in each iteration the variables are constants. The
    /// body must not assign them. A variable declared outside the loop also gets its value
    /// at run time: before each iteration, and the final one after the loop ends without
    /// `break`.
    pub(super) fn for_three(
        &mut self,
        init: &[Handle<Stmt>],
        cond: Option<Handle<Expr>>,
        update: &[Handle<Stmt>],
        body: Handle<Stmt>,
        loc: Loc,
        out: &mut Vec<IrStmt>,
    ) -> Result<()> {
        let mut counters = Vec::new();
        let plan = self.three_part_plan(init, cond, update, body, loc, &mut counters);
        // The evaluation bound the variables to constants; the body is lowered with the
        // bindings of each iteration, and afterwards the variables are what they were.
        for c in counters.into_iter().rev() {
            self.bind(LoopVar::Local(c.decl), c.saved);
        }
        let (iterations, after) = plan?;
        self.unroll(body, iterations, after, loc, out)
    }

    /// Evaluates a three-part loop's header at compile time: the iterations with their
    /// variables' values, and the assignments that leave variables declared outside the loop
    /// with their final values. Pushes each variable to `counters` once it is rebound.
    fn three_part_plan(
        &mut self,
        init: &[Handle<Stmt>],
        cond: Option<Handle<Expr>>,
        update: &[Handle<Stmt>],
        body: Handle<Stmt>,
        loc: Loc,
        counters: &mut Vec<Counter>,
    ) -> Result<(Vec<Iteration>, Vec<IrStmt>)> {
        let p = self.p;
        for s in init {
            let sloc = p.stmts.loc(*s);
            let (decl, rhs, outer, declared) = match &p.stmts[*s] {
                Stmt::Decl(d) => match &p.decls[*d] {
                    Decl::Const(_) => continue,
                    Decl::Var(v) => match v.init {
                        Some(e) => (*d, e, None, self.c.type_ref(v.ty)),
                        None => {
                            return Err(Error::unsupported(
                                "a loop variable without an initial value",
                                sloc,
                            ));
                        }
                    },
                    _ => return Err(Error::unsupported("this loop initialisation", sloc)),
                },
                Stmt::Assign { lhs, rhs } => match self.local_var(*lhs) {
                    Some(d) => match self.vars.get(&d) {
                        Some(Binding::Place(Place::Scalar {
                            field, slice: None, ..
                        })) => (d, *rhs, Some(*field), self.c.type_of(*lhs)),
                        _ => return Err(Error::unsupported("this loop variable", sloc)),
                    },
                    None => {
                        return Err(Error::unsupported(
                            "a loop initialisation that assigns something other than a local \
                             variable",
                            sloc,
                        ));
                    }
                },
                _ => {
                    return Err(Error::unsupported(
                        "a loop initialisation that is not a declaration or an assignment",
                        sloc,
                    ));
                }
            };
            let ty = match self.scalar_ty(declared, sloc)? {
                Some(ty @ (Ty::Bit(_) | Ty::Int(_) | Ty::Bool)) => ty,
                _ => {
                    return Err(Error::unsupported(
                        "a loop variable whose type is not `bit<N>`, `int<N>` or `bool`",
                        sloc,
                    ));
                }
            };
            let value = self.known(rhs, ty, "the initial value of a loop variable")?;
            if !counters.iter().any(|c| c.decl == decl) {
                counters.push(Counter {
                    decl,
                    ty,
                    outer,
                    saved: self.vars.get(&decl).cloned(),
                });
            }
            self.vars.insert(decl, Binding::Value(value, ty));
        }
        let mut updates = Vec::new();
        for s in update {
            let target = match &p.stmts[*s] {
                Stmt::Assign { lhs, rhs } => self
                    .local_var(*lhs)
                    .and_then(|d| counters.iter().position(|c| c.decl == d))
                    .map(|i| (i, *rhs)),
                _ => None,
            };
            updates.push(target.ok_or_else(|| {
                Error::unsupported(
                    "a loop update that does not assign a variable the loop initialises",
                    p.stmts.loc(*s),
                )
            })?);
        }
        let decls: Vec<Handle<Decl>> = counters.iter().map(|c| c.decl).collect();
        if let Some((d, wloc)) = self.writes(body, &decls) {
            let name = match &p.decls[d] {
                Decl::Var(v) => v.name.name.as_str(),
                _ => "",
            };
            return Err(Error::unsupported(
                format!(
                    "assigning loop variable `{name}` in the body of a three-part loop (the loop \
                     is unrolled with its variables known at compile time)"
                ),
                wloc,
            ));
        }
        let current = |l: &Self, c: &Counter| match l.vars.get(&c.decl) {
            Some(Binding::Value(v, _)) => Some(v.clone()),
            _ => None,
        };
        let mut iterations = Vec::new();
        loop {
            if let Some(c) = cond
                && let IrExpr::Const { value: 0, .. } =
                    self.known(c, Ty::Bool, "the condition of a loop")?
            {
                break;
            }
            if iterations.len() == MAX_UNROLL {
                return Err(Error::unsupported(
                    format!("a loop that runs more than {MAX_UNROLL} iterations"),
                    loc,
                ));
            }
            let mut it = Iteration {
                binds: Vec::new(),
                before: Vec::new(),
            };
            for c in counters.iter() {
                let Some(v) = current(self, c) else { continue };
                if let Some(field) = c.outer {
                    it.before.push(assign(field, v.clone()));
                }
                it.binds
                    .push((LoopVar::Local(c.decl), Binding::Value(v, c.ty)));
            }
            iterations.push(it);
            for (i, rhs) in &updates {
                let c = &counters[*i];
                let v = self.known(*rhs, c.ty, "the update of a loop variable")?;
                self.vars.insert(c.decl, Binding::Value(v, c.ty));
            }
        }
        let after = counters
            .iter()
            .filter_map(|c| Some(assign(c.outer?, current(self, c)?)))
            .collect();
        Ok((iterations, after))
    }

    /// The local variable declaration `e` names, if it names one.
    fn local_var(&self, e: Handle<Expr>) -> Option<Handle<Decl>> {
        match (&self.p.exprs[e], self.c.def_of(e)) {
            (Expr::Path(_), Some(crate::sema::Def::Decl(d))) => {
                matches!(self.p.decls[d], Decl::Var(_)).then_some(d)
            }
            _ => None,
        }
    }

    /// The first assignment in `s` (nested statements included) to one of `vars`, or to a
    /// part of one.
    fn writes(&self, s: Handle<Stmt>, vars: &[Handle<Decl>]) -> Option<(Handle<Decl>, Loc)> {
        let p = self.p;
        let root = |mut e: Handle<Expr>| loop {
            match &p.exprs[e] {
                Expr::Slice { base, .. } | Expr::Index { base, .. } | Expr::Member { base, .. } => {
                    e = *base
                }
                _ => return self.local_var(e).filter(|d| vars.contains(d)),
            }
        };
        match &p.stmts[s] {
            Stmt::Assign { lhs, .. } => root(*lhs).map(|d| (d, p.exprs.loc(*lhs))),
            Stmt::If {
                then, otherwise, ..
            } => self
                .writes(*then, vars)
                .or_else(|| otherwise.and_then(|o| self.writes(o, vars))),
            Stmt::Block(b) => b.stmts.iter().find_map(|s| self.writes(*s, vars)),
            Stmt::Switch { cases, .. } => cases
                .iter()
                .filter_map(|c| c.body.as_ref())
                .find_map(|b| b.stmts.iter().find_map(|s| self.writes(*s, vars))),
            Stmt::For {
                init, update, body, ..
            } => init
                .iter()
                .chain(update)
                .chain(std::iter::once(body))
                .find_map(|s| self.writes(*s, vars)),
            Stmt::ForIn { body, .. } => self.writes(*body, vars),
            _ => None,
        }
    }

    /// The value of `e` known at compile time in the iteration being unrolled, as an IR
    /// constant of type `ty` (the checker made `e`'s type agree with it).
    fn known(&self, e: Handle<Expr>, ty: Ty, what: &str) -> Result<IrExpr> {
        match (self.loop_value(e, 0), ty) {
            (Some(Value::Bool(b)), Ty::Bool) => Ok(IrExpr::bool(b)),
            (Some(Value::Int(i)), Ty::Bit(w) | Ty::Int(w)) => Ok(IrExpr::Const {
                ty,
                value: bits_of(&i) & ddsr_pipeline::value::mask(w),
            }),
            _ => Err(Error::unsupported(
                format!("{what} that is not known at compile time"),
                self.loc(e),
            )),
        }
    }

    /// Constants, variables bound to constants in the iteration being unrolled, and the
    /// operators of P4_16 over them; `None` for anything only known at run time.
    fn loop_value(&self, e: Handle<Expr>, depth: u32) -> Option<Value> {
        use crate::ast::{BinaryOp as B, UnaryOp as U};
        use crate::sema::value::wrap;
        if let Some(v) = self.c.value_of(e) {
            return matches!(v, Value::Int(_) | Value::Bool(_)).then(|| v.clone());
        }
        if depth > MAX_EVAL_DEPTH {
            return None;
        }
        let t = self.c.types.get(self.c.type_of(e));
        let int = |x: Handle<Expr>| match self.loop_value(x, depth + 1) {
            Some(Value::Int(i)) => Some(i),
            _ => None,
        };
        let boolean = |x: Handle<Expr>| match self.loop_value(x, depth + 1) {
            Some(Value::Bool(b)) => Some(b),
            _ => None,
        };
        let v = match &self.p.exprs[e] {
            Expr::Path(_) => {
                let b = match self.c.def_of(e)? {
                    crate::sema::Def::Decl(d) => self.vars.get(&d)?,
                    crate::sema::Def::ForVar(s) => self.for_vars.get(&s)?,
                    _ => return None,
                };
                match b {
                    Binding::Value(IrExpr::Const { ty, value }, _) => const_value(*ty, *value)?,
                    _ => return None,
                }
            }
            Expr::Unary { op, operand } => match op {
                U::Not => Value::Bool(!boolean(*operand)?),
                U::Neg => Value::Int(-int(*operand)?),
                U::Complement => Value::Int(-int(*operand)? - 1),
                U::Plus => Value::Int(int(*operand)?),
            },
            Expr::Binary { op, lhs, rhs } => match op {
                B::And => Value::Bool(boolean(*lhs)? && boolean(*rhs)?),
                B::Or => Value::Bool(boolean(*lhs)? || boolean(*rhs)?),
                B::Eq | B::Ne => {
                    let (a, b) = (
                        self.loop_value(*lhs, depth + 1)?,
                        self.loop_value(*rhs, depth + 1)?,
                    );
                    Value::Bool((a == b) == (*op == B::Eq))
                }
                B::Lt | B::Le | B::Gt | B::Ge => {
                    let (a, b) = (int(*lhs)?, int(*rhs)?);
                    Value::Bool(match op {
                        B::Lt => a < b,
                        B::Le => a <= b,
                        B::Gt => a > b,
                        _ => a >= b,
                    })
                }
                B::Shl | B::Shr => {
                    let (a, n) = (int(*lhs)?, int(*rhs)?);
                    let n = usize::try_from(n).ok()?.min(MAX_SHIFT);
                    Value::Int(if *op == B::Shl { a << n } else { a >> n })
                }
                B::Concat => return None,
                _ => {
                    let (a, b) = (int(*lhs)?, int(*rhs)?);
                    let zero = BigInt::from(0);
                    if matches!(op, B::Div | B::Mod) && (b <= zero || a < zero) {
                        return None;
                    }
                    Value::Int(match op {
                        B::Mul => a * b,
                        B::Div => a / b,
                        B::Mod => a % b,
                        B::Add | B::SatAdd => a + b,
                        B::Sub | B::SatSub => a - b,
                        B::BitAnd => a & b,
                        B::BitOr => a | b,
                        B::BitXor => a ^ b,
                        _ => return None,
                    })
                }
            },
            Expr::Ternary {
                cond,
                then,
                otherwise,
            } => {
                let pick = if boolean(*cond)? { *then } else { *otherwise };
                self.loop_value(pick, depth + 1)?
            }
            Expr::Cast { expr, .. } => match (self.loop_value(*expr, depth + 1)?, t) {
                (Value::Bool(b), Type::Bit(_)) => Value::Int(BigInt::from(u8::from(b))),
                (Value::Int(i), Type::Bool) => Value::Bool(i != BigInt::from(0)),
                (v, _) => v,
            },
            _ => return None,
        };
        // Saturating operators clamp, the others wrap into the result's type.
        Some(match (v, t, &self.p.exprs[e]) {
            (
                Value::Int(i),
                Type::Bit(w) | Type::Int(w),
                Expr::Binary {
                    op: B::SatAdd | B::SatSub,
                    ..
                },
            ) => {
                let (min, max) = match t {
                    Type::Int(w) if *w > 0 => (-pow2(*w - 1), pow2(*w - 1) - 1),
                    _ => (BigInt::from(0), pow2(*w) - 1),
                };
                Value::Int(i.clamp(min, max))
            }
            (Value::Int(i), Type::Bit(w), _) => Value::Int(wrap(&i, *w, false)),
            (Value::Int(i), Type::Int(w), _) => Value::Int(wrap(&i, *w, true)),
            (v, _, _) => v,
        })
    }

    /// Unrolls `body` once per iteration; `after` runs when the last iteration ends without
    /// `break`.
    fn unroll(
        &mut self,
        body: Handle<Stmt>,
        iterations: Vec<Iteration>,
        after: Vec<IrStmt>,
        loc: Loc,
        out: &mut Vec<IrStmt>,
    ) -> Result<()> {
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
        if let Some(b) = flags.brk {
            out.push(set(b, false));
        }
        let mut unrolled = Vec::new();
        for it in iterations {
            let mut saved = Vec::new();
            for (var, b) in it.binds {
                saved.push((var, self.bind(var, Some(b))));
            }
            let mut one = it.before;
            if let Some(c) = flags.cont {
                one.push(set(c, false));
            }
            self.stmt(body, &mut one);
            for (var, b) in saved.into_iter().rev() {
                self.bind(var, b);
            }
            unrolled.push(one);
        }
        // Each iteration after the first runs only while no `break` happened.
        let mut rest: Vec<IrStmt> = after;
        for one in unrolled.into_iter().rev() {
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
        self.loop_flags = outer;
        Ok(())
    }

    /// Binds `var` to `b` (or unbinds it), returning what it was bound to.
    fn bind(&mut self, var: LoopVar, b: Option<Binding>) -> Option<Binding> {
        match (var, b) {
            (LoopVar::ForIn(s), Some(b)) => self.for_vars.insert(s, b),
            (LoopVar::ForIn(s), None) => self.for_vars.remove(&s),
            (LoopVar::Local(d), Some(b)) => self.vars.insert(d, b),
            (LoopVar::Local(d), None) => self.vars.remove(&d),
        }
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
            Stmt::If { cond, .. } => vec![*cond],
            Stmt::Decl(d) => match &self.p.decls[*d] {
                Decl::Var(v) => v.init.into_iter().collect(),
                _ => return Vec::new(),
            },
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

    /// Whether `e` is known at compile time in each unrolled iteration (a range loop's
    /// variable, a three-part loop's variables, and expressions over them).
    fn is_loop_constant(&self, e: Handle<Expr>) -> bool {
        self.loop_flags.is_some() && self.loop_value(e, 0).is_some()
    }

    /// Runs `body` once per element of the stack each run-time index in `indices` selects,
    /// inside a chain `if (i == 0) ... else if (i == 1) ...` per index (nested in order).
    fn for_each_choice(
        &mut self,
        indices: &[Handle<Expr>],
        out: &mut Vec<IrStmt>,
        body: &mut dyn FnMut(&mut Self, &mut Vec<IrStmt>) -> Result<()>,
    ) -> Result<()> {
        let Some((&e, rest)) = indices.split_first() else {
            return body(self, out);
        };
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
        out.push(assign(tmp, i));
        let mut chain: Vec<IrStmt> = Vec::new();
        for k in (0..size).rev() {
            if w < 128 && (k as u128) >> w != 0 {
                continue;
            }
            self.index_choice.insert(e, k);
            let mut then = Vec::new();
            let r = self.for_each_choice(rest, &mut then, body);
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

    /// `if (cond) ...` whose condition indexes stacks at run time: the condition is computed
    /// into a fresh `bool` under each choice of element (false when an index is out of
    /// range, as reading outside a stack is undefined), then the branches are lowered once.
    fn if_with_indices(
        &mut self,
        cond: Handle<Expr>,
        then: Handle<Stmt>,
        otherwise: Option<Handle<Stmt>>,
        indices: &[Handle<Expr>],
        out: &mut Vec<IrStmt>,
    ) -> Result<()> {
        let c = self.temp("cond", Ty::Bool);
        out.push(set(c, false));
        self.for_each_choice(indices, out, &mut |l, o| {
            let v = l.value_as(cond, Ty::Bool, o)?;
            o.push(assign(c, v));
            Ok(())
        })?;
        let mut a = Vec::new();
        self.stmt(then, &mut a);
        let mut b = Vec::new();
        if let Some(o) = otherwise {
            self.stmt(o, &mut b);
        }
        out.push(IrStmt::If {
            cond: IrExpr::field(c),
            then: a,
            els: b,
        });
        Ok(())
    }

    /// A local variable whose initializer indexes stacks at run time: declared once, then
    /// assigned under each choice of element.
    fn decl_with_indices(
        &mut self,
        d: Handle<Decl>,
        indices: &[Handle<Expr>],
        out: &mut Vec<IrStmt>,
    ) -> Result<()> {
        let p = self.p;
        let loc = p.decls.loc(d);
        let Decl::Var(v) = &p.decls[d] else {
            return Err(Error::unsupported("this local declaration", loc));
        };
        let Some(init) = v.init else {
            return self.local_decl(d, out);
        };
        self.bind_type_args(v.ty);
        let t = self.concrete(self.c.type_ref(v.ty));
        let place = self.alloc_local(&v.name.name, t, loc)?;
        self.vars.insert(d, Binding::Place(place.clone()));
        self.for_each_choice(indices, out, &mut |l, o| {
            let src = l.operand(init, o)?;
            l.assign(&place, src, loc, o)
        })
    }

    /// Statement `s` with the stack indices a loop iteration makes constant resolved, and
    /// its run-time indices expanded.
    pub(super) fn stmt_with_indices(
        &mut self,
        s: Handle<Stmt>,
        out: &mut Vec<IrStmt>,
    ) -> Result<()> {
        let known = self.known_indices(s);
        for (e, k) in &known {
            self.index_choice.insert(*e, *k);
        }
        let r = self.expand_indices(s, out);
        for (e, _) in &known {
            self.index_choice.remove(e);
        }
        r
    }

    /// Stack indices in the expressions of statement `s` (not in nested statements) that are
    /// not constants but known in the loop iteration being unrolled, such as `hdr.s[i + 1]`.
    fn known_indices(&self, s: Handle<Stmt>) -> Vec<(Handle<Expr>, usize)> {
        if self.loop_flags.is_none() {
            return Vec::new();
        }
        let p = self.p;
        let mut stack: Vec<Handle<Expr>> = match &p.stmts[s] {
            Stmt::Assign { lhs, rhs } => vec![*lhs, *rhs],
            Stmt::Call(e) | Stmt::Return(Some(e)) => vec![*e],
            Stmt::If { cond, .. } => vec![*cond],
            Stmt::Switch { expr, .. } => vec![*expr],
            Stmt::Decl(d) => match &p.decls[*d] {
                Decl::Var(v) => v.init.into_iter().collect(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        let mut known = Vec::new();
        while let Some(e) = stack.pop() {
            if let Expr::Index { base, index } = &p.exprs[e]
                && self.c.value_of(*index).is_none()
                && !self.index_choice.contains_key(&e)
                && matches!(self.c.types.get(self.c.type_of(*base)), Type::Stack { .. })
                && let Some(Value::Int(k)) = self.loop_value(*index, 0)
                && let Ok(k) = usize::try_from(&k)
            {
                known.push((e, k));
            }
            stack.extend(children(&p.exprs[e]));
        }
        known
    }

    /// Statement `s`, expanding its run-time indices one at a time (bounded in total).
    fn expand_indices(&mut self, s: Handle<Stmt>, out: &mut Vec<IrStmt>) -> Result<()> {
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
        match &self.p.stmts[s] {
            Stmt::If {
                cond,
                then,
                otherwise,
            } => self.if_with_indices(*cond, *then, *otherwise, &found, out),
            Stmt::Decl(d) => self.decl_with_indices(*d, &found, out),
            // Assignments and calls are lowered once per element, so a run-time index on the
            // left-hand side or in an `out` argument selects the element written.
            _ => self.for_each_choice(&[first], out, &mut |l, o| l.expand_indices(s, o)),
        }
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

fn set(f: FieldRef, v: bool) -> IrStmt {
    assign(f, IrExpr::bool(v))
}

fn assign(f: FieldRef, src: IrExpr) -> IrStmt {
    IrStmt::Assign {
        dst: LValue::Field(f),
        src,
    }
}

/// The P4 value of an IR constant of type `ty`.
fn const_value(ty: Ty, value: u128) -> Option<Value> {
    Some(match ty {
        Ty::Bool => Value::Bool(value != 0),
        Ty::Bit(_) => Value::Int(BigInt::from(value)),
        Ty::Int(w) if w > 0 => Value::Int(crate::sema::value::wrap(
            &BigInt::from(value),
            u32::from(w),
            true,
        )),
        _ => return None,
    })
}

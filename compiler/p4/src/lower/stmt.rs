//! Statements of controls, actions and parser states.

use ddsr_pipeline::Stmt as IrStmt;
use ddsr_pipeline::expr::{BinOp, Expr as IrExpr, LValue};
use ddsr_pipeline::stmt::{ActionCase, ApplyArms};
use ddsr_pipeline::types::{HeaderRef, Ty};

use super::expr::{Operand, coerce};
use super::storage::Place;
use super::{Ctx, Error, Lowerer, Result};
use crate::ast::{Decl, Expr, Handle, Loc, Stmt, SwitchLabel};
use crate::sema::{Builtin, CallTarget, Def, Member, Type};

impl Lowerer<'_> {
    /// Lowers one statement into `out`; errors are reported and lowering goes on.
    pub(super) fn stmt(&mut self, s: Handle<Stmt>, out: &mut Vec<IrStmt>) {
        if let Err(e) = self.stmt_with_indices(s, out) {
            self.report(e);
        }
    }

    pub(super) fn stmt_inner(&mut self, s: Handle<Stmt>, out: &mut Vec<IrStmt>) -> Result<()> {
        let p = self.p;
        let loc = p.stmts.loc(s);
        match &p.stmts[s] {
            Stmt::Assign { lhs, rhs } => {
                let dst = self.place(*lhs, out)?;
                let src = self.operand(*rhs, out)?;
                self.assign(&dst, src, loc, out)
            }
            Stmt::Call(e) => self.call_stmt(*e, out),
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                if let Some((table, hit)) = self.apply_result(*cond, Member::Hit) {
                    let t = self.table(table, self.loc(*cond))?;
                    let mut a = Vec::new();
                    self.stmt(*then, &mut a);
                    let mut b = Vec::new();
                    if let Some(o) = otherwise {
                        self.stmt(*o, &mut b);
                    }
                    let (hit_arm, miss_arm) = if hit { (a, b) } else { (b, a) };
                    out.push(IrStmt::Apply {
                        table: t,
                        arms: ApplyArms::Hit {
                            hit: hit_arm,
                            miss: miss_arm,
                        },
                    });
                    return Ok(());
                }
                let c = self.value_as(*cond, Ty::Bool, out)?;
                let mut a = Vec::new();
                self.stmt(*then, &mut a);
                let mut b = Vec::new();
                if let Some(o) = otherwise {
                    self.stmt(*o, &mut b);
                }
                out.push(IrStmt::If {
                    cond: c,
                    then: a,
                    els: b,
                });
                Ok(())
            }
            Stmt::Block(b) => {
                out.extend(self.stmts(&b.stmts));
                Ok(())
            }
            Stmt::Switch { expr, cases } => self.switch(*expr, cases, out),
            Stmt::Return(value) => {
                if let Some(inline) = self.inline.clone() {
                    if let (Some(v), Some(place)) = (value, &inline.value) {
                        let src = self.operand(*v, out)?;
                        self.assign(place, src, loc, out)?;
                    }
                    if let Some(flag) = inline.flag {
                        out.push(IrStmt::Assign {
                            dst: LValue::Field(flag),
                            src: IrExpr::bool(true),
                        });
                    }
                    return Ok(());
                }
                match self.ctx {
                    Ctx::Parser => Err(Error::unsupported("`return` in a parser", loc)),
                    _ => {
                        out.push(IrStmt::Return);
                        Ok(())
                    }
                }
            }
            Stmt::Exit => match self.ctx {
                Ctx::Parser => Err(Error::unsupported("`exit` in a parser", loc)),
                _ => {
                    out.push(IrStmt::Exit);
                    Ok(())
                }
            },
            Stmt::Empty => Ok(()),
            Stmt::Decl(d) => self.local_decl(*d, out),
            Stmt::ForIn {
                collection, body, ..
            } => self.for_in(s, *collection, *body, loc, out),
            Stmt::Break => self.jump(true, loc, out),
            Stmt::Continue => self.jump(false, loc, out),
            Stmt::For {
                init,
                cond,
                update,
                body,
            } => self.for_three(init, *cond, update, *body, loc, out),
        }
    }

    /// A local constant, variable or instance declared in a body.
    pub(super) fn local_decl(&mut self, d: Handle<Decl>, out: &mut Vec<IrStmt>) -> Result<()> {
        let p = self.p;
        let loc = p.decls.loc(d);
        match &p.decls[d] {
            Decl::Const(_) => Ok(()),
            Decl::Var(v) => {
                self.bind_type_args(v.ty);
                let t = self.concrete(self.c.type_ref(v.ty));
                let place = self.alloc_local(&v.name.name, t, loc)?;
                self.vars
                    .insert(d, super::storage::Binding::Place(place.clone()));
                if let Some(init) = v.init {
                    let src = self.operand(init, out)?;
                    self.assign(&place, src, loc, out)?;
                } else if let Place::Header { header, .. } = place {
                    // A header variable starts invalid.
                    out.push(IrStmt::SetInvalid { header });
                }
                Ok(())
            }
            Decl::Instance(_) => self.instance(d),
            _ => Err(Error::unsupported("this local declaration", loc)),
        }
    }

    /// `dst = src` for any type.
    pub(super) fn assign(
        &mut self,
        dst: &Place,
        src: Operand,
        loc: Loc,
        out: &mut Vec<IrStmt>,
    ) -> Result<()> {
        match (dst, src) {
            (Place::Scalar { field, ty, slice }, src) => {
                let (lv, want) = match slice {
                    None => (LValue::Field(*field), *ty),
                    Some((hi, lo)) => (
                        LValue::Slice {
                            field: *field,
                            hi: *hi,
                            lo: *lo,
                        },
                        Ty::Bit(hi - lo + 1),
                    ),
                };
                let v = self.operand_as(src, want, loc)?;
                out.push(IrStmt::Assign { dst: lv, src: v });
                Ok(())
            }
            (Place::Header { header, .. }, Operand::Invalid) => {
                out.push(IrStmt::SetInvalid { header: *header });
                Ok(())
            }
            (Place::Header { header, .. }, Operand::Place(Place::Header { header: src, .. })) => {
                out.push(IrStmt::CopyHeader { dst: *header, src });
                Ok(())
            }
            (Place::Header { header, ty, .. }, src @ (Operand::List(_) | Operand::Fields(_))) => {
                out.push(IrStmt::SetValid { header: *header });
                let names: Vec<String> = self.header_types[*ty]
                    .fields
                    .iter()
                    .map(|f| f.name.clone())
                    .collect();
                for (i, name) in names.iter().enumerate() {
                    let field = u16::try_from(i).unwrap_or(u16::MAX);
                    let fty = self.field_ty(*ty, field);
                    let part = self.field_of(src.clone(), i as u32, name, loc)?;
                    let dst = Place::Scalar {
                        field: ddsr_pipeline::FieldRef {
                            header: *header,
                            field,
                        },
                        ty: fty,
                        slice: None,
                    };
                    self.assign(&dst, part, loc, out)?;
                }
                Ok(())
            }
            (Place::Struct(members), src) => {
                for (i, (name, place)) in members.iter().enumerate() {
                    let part = self.field_of(src.clone(), i as u32, name, loc)?;
                    self.assign(place, part, loc, out)?;
                }
                Ok(())
            }
            (
                Place::Stack { elements, .. },
                Operand::Place(Place::Stack { elements: from, .. }),
            ) => {
                for (d, s) in elements.iter().zip(from) {
                    self.assign(d, Operand::Place(s), loc, out)?;
                }
                Ok(())
            }
            (Place::Stack { elements, .. }, Operand::List(items)) => {
                for (d, s) in elements.iter().zip(items) {
                    self.assign(d, s, loc, out)?;
                }
                Ok(())
            }
            (Place::Union { members, .. }, Operand::Place(Place::Union { members: from, .. })) => {
                for ((_, d), (_, s)) in members.iter().zip(from) {
                    self.assign(d, Operand::Place(s), loc, out)?;
                }
                Ok(())
            }
            (Place::Union { members, .. }, Operand::Invalid) => {
                for (_, m) in members {
                    if let Place::Header { header, .. } = m {
                        out.push(IrStmt::SetInvalid { header: *header });
                    }
                }
                Ok(())
            }
            _ => Err(Error::unsupported("this assignment", loc)),
        }
    }

    /// `t.apply().hit` (or `.miss`, or their negation): the table and whether the condition is
    /// true on a hit.
    fn apply_result(&self, cond: Handle<Expr>, _: Member) -> Option<(Handle<Decl>, bool)> {
        let p = self.p;
        match &p.exprs[cond] {
            Expr::Unary {
                op: crate::ast::UnaryOp::Not,
                operand,
            } => self
                .apply_result(*operand, Member::Hit)
                .map(|(t, h)| (t, !h)),
            Expr::Member { base, .. } => {
                let hit = match self.c.members[cond.index()] {
                    Some(Member::Hit) => true,
                    Some(Member::Miss) => false,
                    _ => return None,
                };
                match self.c.calls[base.index()] {
                    Some(CallTarget::Apply(t)) if matches!(p.decls[t], Decl::Table(_)) => {
                        Some((t, hit))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn switch(
        &mut self,
        expr: Handle<Expr>,
        cases: &[crate::ast::SwitchCase],
        out: &mut Vec<IrStmt>,
    ) -> Result<()> {
        let p = self.p;
        let loc = self.loc(expr);
        if let Type::ActionRun(table) = *self.c.types.get(self.c.type_of(expr)) {
            let t = self.table(table, loc)?;
            let mut ir_cases = Vec::new();
            let mut default = Vec::new();
            let mut pending = Vec::new();
            for case in cases {
                match &case.label {
                    SwitchLabel::Default => {
                        if let Some(b) = &case.body {
                            default = self.stmts(&b.stmts);
                        }
                    }
                    SwitchLabel::Expr(le) => {
                        if let Some(Def::Decl(a)) = self.c.def_of(*le) {
                            let action = self.table_action_handle(table, a, case.label_loc)?;
                            pending.push(action);
                        }
                        if let Some(b) = &case.body {
                            let body = self.stmts(&b.stmts);
                            ir_cases.push(ActionCase {
                                actions: std::mem::take(&mut pending),
                                body,
                            });
                        }
                    }
                }
            }
            out.push(IrStmt::Apply {
                table: t,
                arms: ApplyArms::ActionRun {
                    cases: ir_cases,
                    default,
                },
            });
            return Ok(());
        }
        // A switch on a value: an if-chain; fall-through labels share the next body.
        let (key, ty) = self.value(expr, out)?;
        let mut chain: Vec<(Option<IrExpr>, Vec<IrStmt>)> = Vec::new();
        let mut pending: Option<IrExpr> = None;
        for case in cases {
            let cond = match &case.label {
                SwitchLabel::Default => None,
                SwitchLabel::Expr(le) => {
                    let v = self.value_as(*le, ty, out)?;
                    let eq = IrExpr::binary(BinOp::Eq, key.clone(), v);
                    Some(match pending.take() {
                        Some(prev) => IrExpr::binary(BinOp::Or, prev, eq),
                        None => eq,
                    })
                }
            };
            match &case.body {
                None => pending = cond,
                Some(b) => {
                    let body = self.stmts(&b.stmts);
                    chain.push((cond, body));
                }
            }
        }
        let _ = p;
        let mut tail: Vec<IrStmt> = Vec::new();
        for (cond, body) in chain.into_iter().rev() {
            tail = match cond {
                None => body,
                Some(c) => vec![IrStmt::If {
                    cond: c,
                    then: body,
                    els: tail,
                }],
            };
        }
        out.extend(tail);
        Ok(())
    }

    fn call_stmt(&mut self, e: Handle<Expr>, out: &mut Vec<IrStmt>) -> Result<()> {
        let p = self.p;
        let loc = self.loc(e);
        let Expr::Call { callee, args, .. } = &p.exprs[e] else {
            return Err(Error::unsupported("this statement", loc));
        };
        match self.c.calls[e.index()] {
            Some(CallTarget::Action(a)) => {
                let Decl::Action(action) = &p.decls[a] else {
                    return Err(Error::unsupported("this call", loc));
                };
                let directionless = action.params.iter().all(|p| p.direction.is_none());
                if self.ctx == Ctx::Control && directionless {
                    let h = self.action(a, &[])?;
                    let bound = super::block::bind_args(&action.params, args);
                    let mut ir_args = Vec::new();
                    for (prm, arg) in action.params.iter().zip(bound) {
                        let Some(arg) = arg else {
                            return Err(Error::unsupported(
                                "an action call without all arguments",
                                loc,
                            ));
                        };
                        let t = self.c.type_ref(prm.ty);
                        let ty = self.scalar_ty(t, loc)?.unwrap_or(Ty::Bit(1));
                        let v = self.value_as(arg, ty, out)?;
                        ir_args.push(coerce(v, ty, Ty::Bit(ty.width())));
                    }
                    out.push(IrStmt::Call {
                        action: h,
                        args: ir_args,
                    });
                    Ok(())
                } else {
                    self.inline_action(a, args, loc, out)
                }
            }
            Some(CallTarget::Function(f)) => match &p.decls[f] {
                Decl::Function(_) => {
                    self.inline_function(f, e, args, out)?;
                    Ok(())
                }
                Decl::ExternFunction(sig) => {
                    let name = sig.name.name.clone();
                    let bound = super::block::bind_args(&sig.params, args);
                    self.extern_function(&name, &bound, loc, out)
                }
                _ => Err(Error::unsupported("this call", loc)),
            },
            Some(CallTarget::Method { ext, method }) => {
                let Expr::Member { base, .. } = &p.exprs[*callee] else {
                    return Err(Error::unsupported("this method call", loc));
                };
                let Decl::Extern(x) = &p.decls[ext] else {
                    return Err(Error::unsupported("this method call", loc));
                };
                let Some(m) = x.methods.get(method as usize) else {
                    return Err(Error::unsupported("this method call", loc));
                };
                let bound = super::block::bind_args(&m.signature.params, args);
                self.method_call(
                    *base,
                    &x.name.name,
                    &m.signature.name.name,
                    &bound,
                    loc,
                    out,
                )
            }
            Some(CallTarget::Apply(d)) => match &p.decls[d] {
                Decl::Table(_) => {
                    let t = self.table(d, loc)?;
                    out.push(IrStmt::Apply {
                        table: t,
                        arms: ApplyArms::None,
                    });
                    Ok(())
                }
                _ => {
                    let Expr::Member { base, .. } = &p.exprs[*callee] else {
                        return Err(Error::unsupported("this call", loc));
                    };
                    self.inline_control(*base, args, loc, out)
                }
            },
            Some(CallTarget::Builtin(b)) => {
                let Expr::Member { base, .. } = &p.exprs[*callee] else {
                    return Err(Error::unsupported("this call", loc));
                };
                let target = self.place(*base, out)?;
                match (b, target) {
                    (Builtin::SetValid, Place::Header { header, .. }) => {
                        out.push(IrStmt::SetValid { header })
                    }
                    (Builtin::SetInvalid, Place::Header { header, .. }) => {
                        out.push(IrStmt::SetInvalid { header })
                    }
                    (Builtin::PushFront | Builtin::PopFront, Place::Stack { stack, .. }) => {
                        let count = match args.first().and_then(|a| self.c.value_of(a.value)) {
                            Some(crate::sema::Value::Int(i)) => {
                                u32::try_from(i).unwrap_or(u32::MAX)
                            }
                            _ => {
                                return Err(Error::new(
                                    super::ErrorKind::NotConstant {
                                        what: "the count of push_front/pop_front".into(),
                                    },
                                    loc,
                                ));
                            }
                        };
                        out.push(if b == Builtin::PushFront {
                            IrStmt::PushFront { stack, count }
                        } else {
                            IrStmt::PopFront { stack, count }
                        });
                    }
                    _ => return Err(Error::unsupported("this built-in method here", loc)),
                }
                Ok(())
            }
            _ => Err(Error::unsupported("this call", loc)),
        }
    }

    /// The header a header operand addresses (for `emit`, `extract`).
    pub(super) fn header_of(
        &mut self,
        e: Handle<Expr>,
        out: &mut Vec<IrStmt>,
    ) -> Result<(HeaderRef, ddsr_pipeline::Handle<ddsr_pipeline::HeaderType>)> {
        match self.place(e, out)? {
            Place::Header { header, ty, .. } => Ok((header, ty)),
            _ => Err(Error::unsupported(
                "a value that is not a header here",
                self.loc(e),
            )),
        }
    }
}

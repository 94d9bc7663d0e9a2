//! Calls that lower by inlining: P4 functions, and actions called from bodies where the IR
//! has no action call (action bodies, parsers) or with directional parameters.

use ddsr_pipeline::Stmt as IrStmt;
use ddsr_pipeline::expr::{Expr as IrExpr, LValue, UnOp};
use ddsr_pipeline::types::Ty;

use super::expr::Operand;
use super::storage::{Binding, Place};
use super::{Error, Inline, Lowerer, Result};
use crate::ast::{self, Argument, Block, Decl, Direction, Expr, Handle, Loc, Param, Stmt};

/// A body to inline with what it is declared with.
struct Callee<'b> {
    owner: Handle<Decl>,
    params: &'b [Param],
    locals: &'b [Handle<Decl>],
    body: &'b Block,
}

/// What entering an inlined instance replaced.
pub(super) struct Saved {
    scope: String,
    rename: Option<(String, String)>,
    vars: Vec<(Handle<Decl>, Option<Binding>)>,
}

/// Arguments matched to parameters (named or positional; defaults fill the gaps).
pub(crate) fn bind_args(params: &[Param], args: &[Argument]) -> Vec<Option<Handle<Expr>>> {
    let mut bound: Vec<Option<Handle<Expr>>> = vec![None; params.len()];
    if args.iter().any(|a| a.name.is_some()) {
        for a in args {
            if let Some(n) = &a.name
                && let Some(i) = params.iter().position(|p| p.name.name == n.name)
            {
                bound[i] = Some(a.value);
            }
        }
    } else {
        for (i, a) in args.iter().enumerate().take(params.len()) {
            bound[i] = Some(a.value);
        }
    }
    for (b, p) in bound.iter_mut().zip(params) {
        if b.is_none() {
            *b = p.default;
        }
    }
    bound
}

/// Whether a statement contains a `return`.
pub(super) fn has_return(p: &ast::Program, s: Handle<Stmt>) -> bool {
    match &p.stmts[s] {
        Stmt::Return(_) => true,
        Stmt::If {
            then, otherwise, ..
        } => has_return(p, *then) || otherwise.is_some_and(|o| has_return(p, o)),
        Stmt::Block(b) => b.stmts.iter().any(|s| has_return(p, *s)),
        Stmt::Switch { cases, .. } => cases
            .iter()
            .filter_map(|c| c.body.as_ref())
            .any(|b| b.stmts.iter().any(|s| has_return(p, *s))),
        _ => false,
    }
}

impl Lowerer<'_> {
    /// Binds parameter `i` of `owner` to its argument for an inlined body.
    pub(super) fn bind_param(
        &mut self,
        owner: Handle<Decl>,
        i: usize,
        param: &Param,
        arg: Option<Handle<Expr>>,
        loc: Loc,
        out: &mut Vec<IrStmt>,
    ) -> Result<()> {
        let mut t = self.c.type_ref(param.ty);
        if let (crate::sema::Type::Var(v), Some(a)) = (self.c.types.get(t).clone(), arg) {
            // A generic parameter takes the type of its argument.
            t = self.c.type_of(a);
            self.subst.insert(v, t);
        }
        let packet = arg.and_then(|a| match self.c.def_of(a) {
            Some(crate::sema::Def::Param { owner, index }) => {
                self.params.get(&(owner, index)).cloned()
            }
            _ => None,
        });
        let binding = match (param.direction, arg) {
            (_, None) => return Ok(()),
            _ if matches!(packet, Some(Binding::Packet)) => Binding::Packet,
            (Some(Direction::Out | Direction::InOut), Some(a))
                if !matches!(self.p.exprs[a], Expr::DontCare) =>
            {
                Binding::Place(self.place(a, out)?)
            }
            (Some(Direction::Out | Direction::InOut), Some(_)) => {
                Binding::Place(self.alloc_local(&param.name.name, t, loc)?)
            }
            (_, Some(a)) => match self.operand(a, out)? {
                Operand::Value(v @ IrExpr::Const { .. }, ty) => Binding::Value(v, ty),
                Operand::Int(v) => {
                    let ty = self.scalar_ty(t, loc)?.unwrap_or(Ty::Int(64));
                    Binding::Value(self.operand_as(Operand::Int(v), ty, loc)?, ty)
                }
                Operand::Place(p) if !matches!(p, Place::Scalar { .. }) => Binding::Place(p),
                other => {
                    // Copy-in: the body sees the value at the call even if it writes the
                    // argument's storage.
                    let place = self.alloc_local(&param.name.name, t, loc)?;
                    self.assign(&place, other, loc, out)?;
                    Binding::Place(place)
                }
            },
        };
        self.params.insert((owner, i as u32), binding);
        Ok(())
    }

    /// Inlines a body with its parameters bound to `args`; returns the place of the result.
    fn inline_body(
        &mut self,
        callee: Callee<'_>,
        args: &[Option<Handle<Expr>>],
        ret: Option<crate::sema::TypeId>,
        loc: Loc,
        out: &mut Vec<IrStmt>,
    ) -> Result<Option<Place>> {
        let Callee {
            owner,
            params,
            locals,
            body,
        } = callee;
        let saved: Vec<_> = (0..params.len())
            .map(|i| self.params.remove(&(owner, i as u32)))
            .collect();
        for (i, (p, a)) in params.iter().zip(args).enumerate() {
            self.bind_param(owner, i, p, *a, loc, out)?;
        }
        for &l in locals {
            if matches!(self.p.decls[l], Decl::Var(_) | Decl::Instance(_)) {
                self.local_decl(l, out)?;
            }
        }
        let value = match ret {
            Some(t) if t != crate::sema::TypeId::VOID => Some(self.alloc_local("retval", t, loc)?),
            _ => None,
        };
        let needs_flag = body
            .stmts
            .iter()
            .enumerate()
            .any(|(i, s)| i + 1 < body.stmts.len() && has_return(self.p, *s));
        let flag = if needs_flag {
            let Place::Scalar { field, .. } =
                self.alloc_local("returned", crate::sema::TypeId::BOOL, loc)?
            else {
                return Err(Error::unsupported("a return flag", loc));
            };
            out.push(IrStmt::Assign {
                dst: LValue::Field(field),
                src: IrExpr::bool(false),
            });
            Some(field)
        } else {
            None
        };
        let outer = self.inline.replace(Inline {
            value: value.clone(),
            flag,
        });
        let lowered = self.stmts(&body.stmts);
        self.inline = outer;
        out.extend(lowered);
        for (i, s) in saved.into_iter().enumerate() {
            match s {
                Some(b) => {
                    self.params.insert((owner, i as u32), b);
                }
                None => {
                    self.params.remove(&(owner, i as u32));
                }
            }
        }
        Ok(value)
    }

    /// Inlines a call of P4 function `f`.
    pub(super) fn inline_function(
        &mut self,
        f: Handle<Decl>,
        call: Handle<Expr>,
        args: &[Argument],
        out: &mut Vec<IrStmt>,
    ) -> Result<Option<Place>> {
        let p = self.p;
        let loc = self.loc(call);
        let Decl::Function(func) = &p.decls[f] else {
            return Err(Error::unsupported("calling this declaration", loc));
        };
        let bound = bind_args(&func.signature.params, args);
        // The call's type is the return type with the type arguments substituted.
        let ret = func.signature.return_type.map(|_| self.c.type_of(call));
        self.inline_body(
            Callee {
                owner: f,
                params: &func.signature.params,
                locals: &[],
                body: &func.body,
            },
            &bound,
            ret,
            loc,
            out,
        )
    }

    /// The instance declaration a `x.apply(...)` calls, and its parser or control declaration.
    pub(super) fn instance_block(
        &self,
        base: Handle<Expr>,
    ) -> Result<(Handle<Decl>, Handle<Decl>)> {
        let loc = self.loc(base);
        let Some(crate::sema::Def::Decl(inst)) = self.c.def_of(base) else {
            return Err(Error::unsupported("applying this value", loc));
        };
        match self.c.decl(inst).ty.map(|t| self.c.types.get(t)) {
            Some(
                crate::sema::Type::Parser { decl, .. } | crate::sema::Type::Control { decl, .. },
            ) => Ok((inst, *decl)),
            _ => Err(Error::unsupported("applying this value", loc)),
        }
    }

    /// Enters instance `inst` of block `decl`: its locals get fresh storage and its tables,
    /// actions and externs the instance's names. Returns what [`Self::leave_instance`] restores.
    pub(super) fn enter_instance(
        &mut self,
        inst: Handle<Decl>,
        decl: Handle<Decl>,
        locals: &[Handle<Decl>],
    ) -> Saved {
        let inst_name = self.p.decls[inst]
            .name()
            .map(|n| n.name.clone())
            .unwrap_or_default();
        let block_name = self.p.decls[decl]
            .name()
            .map(|n| n.name.clone())
            .unwrap_or_default();
        let scope = format!("{}.{inst_name}", self.scope);
        Saved {
            scope: std::mem::replace(&mut self.scope, scope.clone()),
            rename: self.rename.replace((block_name, scope)),
            vars: locals.iter().map(|l| (*l, self.vars.remove(l))).collect(),
        }
    }

    /// Binds the constructor parameters of block `decl` to the constant arguments of `inst`.
    pub(super) fn bind_ctor_args(
        &mut self,
        inst: Handle<Decl>,
        decl: Handle<Decl>,
        params: &[Param],
    ) -> Result<()> {
        let p = self.p;
        let Decl::Instance(i) = &p.decls[inst] else {
            return Ok(());
        };
        for (k, a) in bind_args(params, &i.args).into_iter().enumerate() {
            let Some(a) = a else { continue };
            let loc = self.loc(a);
            let t = self.c.type_ref(params[k].ty);
            let binding = match (self.c.value_of(a), self.scalar_ty(t, loc)?) {
                (Some(v), Some(ty)) => {
                    let value = self.const_bits(v, loc)? & ddsr_pipeline::value::mask(ty.width());
                    Binding::Value(IrExpr::Const { ty, value }, ty)
                }
                _ => {
                    return Err(Error::new(
                        super::ErrorKind::NotConstant {
                            what: "a constructor argument of a scalar type".into(),
                        },
                        loc,
                    ));
                }
            };
            self.ctor_params.insert((decl, k as u32), binding);
        }
        Ok(())
    }

    pub(super) fn leave_instance(&mut self, saved: Saved) {
        self.scope = saved.scope;
        self.rename = saved.rename;
        for (l, b) in saved.vars {
            match b {
                Some(b) => {
                    self.vars.insert(l, b);
                }
                None => {
                    self.vars.remove(&l);
                }
            }
        }
    }

    /// Inlines `c.apply(args)` of a control instance `c`.
    pub(super) fn inline_control(
        &mut self,
        base: Handle<Expr>,
        args: &[Argument],
        loc: Loc,
        out: &mut Vec<IrStmt>,
    ) -> Result<()> {
        let (inst, decl) = self.instance_block(base)?;
        let p = self.p;
        let Decl::Control(c) = &p.decls[decl] else {
            return Err(Error::unsupported(
                "applying a parser outside a parser",
                loc,
            ));
        };
        let saved = self.enter_instance(inst, decl, &c.locals);
        let bound = bind_args(&c.ty.params, args);
        let r = self
            .bind_ctor_args(inst, decl, &c.ctor_params)
            .and_then(|()| {
                self.inline_body(
                    Callee {
                        owner: decl,
                        params: &c.ty.params,
                        locals: &c.locals,
                        body: &c.apply,
                    },
                    &bound,
                    None,
                    loc,
                    out,
                )
            });
        self.leave_instance(saved);
        r.map(|_| ())
    }

    /// Inlines a call of action `a`.
    pub(super) fn inline_action(
        &mut self,
        a: Handle<Decl>,
        args: &[Argument],
        loc: Loc,
        out: &mut Vec<IrStmt>,
    ) -> Result<()> {
        let p = self.p;
        let Decl::Action(action) = &p.decls[a] else {
            return Err(Error::unsupported("calling this declaration", loc));
        };
        let bound = bind_args(&action.params, args);
        self.inline_body(
            Callee {
                owner: a,
                params: &action.params,
                locals: &[],
                body: &action.body,
            },
            &bound,
            None,
            loc,
            out,
        )?;
        Ok(())
    }

    /// Lowers a statement list; inside an inlined body with a return flag, statements after
    /// one that may return run only while the flag is clear.
    pub(super) fn stmts(&mut self, list: &[Handle<Stmt>]) -> Vec<IrStmt> {
        let mut out = Vec::new();
        for (i, s) in list.iter().enumerate() {
            self.stmt(*s, &mut out);
            if let Some(flag) = self.inline.as_ref().and_then(|x| x.flag)
                && has_return(self.p, *s)
                && i + 1 < list.len()
            {
                let rest = self.stmts(&list[i + 1..]);
                out.push(IrStmt::If {
                    cond: IrExpr::unary(UnOp::Not, IrExpr::field(flag)),
                    then: rest,
                    els: Vec::new(),
                });
                break;
            }
            if i + 1 < list.len()
                && let Some(cond) = self.jump_guard(*s)
            {
                let rest = self.stmts(&list[i + 1..]);
                out.push(IrStmt::If {
                    cond,
                    then: rest,
                    els: Vec::new(),
                });
                break;
            }
        }
        out
    }
}

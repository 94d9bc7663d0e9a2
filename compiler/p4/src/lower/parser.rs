//! Parser state machines: extract, advance, verify, lookahead, and select transitions with
//! values, masks, ranges, tuples, `default` and value sets.

use ddsr_pipeline::Handle as IrHandle;
use ddsr_pipeline::Stmt as IrStmt;
use ddsr_pipeline::arena::Arena;
use ddsr_pipeline::parser::{
    CaseKeys, KeySet, Next, Parser as IrParser, ParserOp, SelectCase, State, Transition,
};
use ddsr_pipeline::program::ValueSet as IrValueSet;
use ddsr_pipeline::types::Ty;
use ddsr_pipeline::value::mask;

use super::storage::Binding;
use super::{Ctx, Error, ErrorKind, Lowerer, Result};
use crate::ast::{self, Decl, Expr, Handle, Keyset, Stmt};
use crate::sema::{CallTarget, Def, StateRef, Type, Value};

impl Lowerer<'_> {
    pub(super) fn parser(&mut self, d: Handle<Decl>) -> Result<IrParser> {
        let p = self.p;
        let loc = p.decls.loc(d);
        let Decl::Parser(parser) = &p.decls[d] else {
            return Err(Error::unsupported(
                "a package parser that is not a parser declaration",
                loc,
            ));
        };
        let name = parser.ty.name.name.clone();
        let saved = self.enter_block(&name, Ctx::Parser);
        let mut states: Arena<State> = Arena::new();
        let start = self.parser_states(d, &mut states, Next::Accept, "", Vec::new());
        self.leave_block(saved);
        Ok(IrParser {
            name,
            states,
            start: start?,
        })
    }

    /// Lowers the states of parser `d` into `arena`; its `accept` goes to `on_accept`, and
    /// `entry` ops run first in its start state. Returns the start state.
    fn parser_states(
        &mut self,
        d: Handle<Decl>,
        arena: &mut Arena<State>,
        on_accept: Next,
        prefix: &str,
        entry: Vec<ParserOp>,
    ) -> Result<IrHandle<State>> {
        let p = self.p;
        let loc = p.decls.loc(d);
        let Decl::Parser(parser) = &p.decls[d] else {
            return Err(Error::unsupported("applying this parser", loc));
        };
        let mut prelude = Vec::new();
        for &local in &parser.locals {
            match &p.decls[local] {
                Decl::ValueSet(vs) => {
                    if let Err(e) = self.value_set(local, vs) {
                        self.report(e);
                    }
                }
                _ => {
                    if let Err(e) = self.local_decl(local, &mut prelude) {
                        self.report(e);
                    }
                }
            }
        }
        let handles: Vec<IrHandle<State>> = parser
            .states
            .iter()
            .map(|st| {
                arena.append(State {
                    name: format!("{prefix}{}", st.name.name),
                    ops: Vec::new(),
                    transition: Transition::Reject,
                })
            })
            .collect();
        let Some(start) = parser.states.iter().position(|s| s.name.name == "start") else {
            return Err(Error::unsupported("a parser without a `start` state", loc));
        };
        let transitions = self.c.decl(d).transitions.clone();
        let mut entry = Some(entry);
        for (i, st) in parser.states.iter().enumerate() {
            let mut cur = handles[i];
            let mut ops: Vec<ParserOp> = Vec::new();
            if i == start {
                ops.extend(entry.take().unwrap_or_default());
                ops.extend(prelude.drain(..).map(|stmt| ParserOp::Stmt { stmt }));
            }
            for &s in &st.stmts {
                match self.sub_parser_call(s) {
                    Some((base, call)) => {
                        let Expr::Call { args, .. } = &p.exprs[call] else {
                            continue;
                        };
                        // Split the state: the sub-parser runs between its two halves.
                        let cont = arena.append(State {
                            name: format!("{prefix}{}.{}", st.name.name, arena.len()),
                            ops: Vec::new(),
                            transition: Transition::Reject,
                        });
                        match self.inline_parser(base, args, arena, Next::State(cont), prefix) {
                            Ok((sub_start, copy_in)) => {
                                ops.extend(copy_in);
                                arena[cur].ops = std::mem::take(&mut ops);
                                arena[cur].transition = Transition::Goto { state: sub_start };
                                cur = cont;
                            }
                            Err(e) => self.report(e),
                        }
                    }
                    None => {
                        if let Err(e) = self.parser_stmt(s, &mut ops) {
                            self.report(e);
                        }
                    }
                }
            }
            let targets = transitions.get(i).cloned().unwrap_or_default();
            let next = |r: StateRef| match r {
                StateRef::Accept => on_accept,
                StateRef::Reject => Next::Reject,
                StateRef::State(j) => Next::State(handles[j as usize]),
            };
            let transition = match &st.transition {
                None => Transition::Reject,
                Some(ast::Transition::Direct(_)) => match targets.first().copied().map(next) {
                    Some(Next::Accept) => Transition::Accept,
                    Some(Next::State(s)) => Transition::Goto { state: s },
                    _ => Transition::Reject,
                },
                Some(ast::Transition::Select { exprs, cases }) => {
                    let targets: Vec<Next> = targets.into_iter().map(next).collect();
                    match self.select(exprs, cases, &targets, &mut ops) {
                        Ok(t) => t,
                        Err(e) => {
                            self.report(e);
                            Transition::Reject
                        }
                    }
                }
            };
            arena[cur].ops = ops;
            arena[cur].transition = transition;
        }
        Ok(handles[start])
    }

    /// `sub.apply(...)` of a parser instance, as a statement.
    fn sub_parser_call(&self, s: Handle<Stmt>) -> Option<(Handle<Expr>, Handle<Expr>)> {
        let p = self.p;
        let Stmt::Call(e) = &p.stmts[s] else {
            return None;
        };
        let Some(CallTarget::Apply(d)) = self.c.calls[e.index()] else {
            return None;
        };
        if !matches!(p.decls[d], Decl::Parser(_) | Decl::ParserType(_)) {
            return None;
        }
        let Expr::Call { callee, .. } = &p.exprs[*e] else {
            return None;
        };
        let Expr::Member { base, .. } = &p.exprs[*callee] else {
            return None;
        };
        Some((*base, *e))
    }

    /// Inlines the states of a sub-parser instance; returns its start state and the ops that
    /// copy its `in` arguments.
    fn inline_parser(
        &mut self,
        base: Handle<Expr>,
        args: &[ast::Argument],
        arena: &mut Arena<State>,
        on_accept: Next,
        prefix: &str,
    ) -> Result<(IrHandle<State>, Vec<ParserOp>)> {
        let loc = self.loc(base);
        let (inst, decl) = self.instance_block(base)?;
        let p = self.p;
        let Decl::Parser(sp) = &p.decls[decl] else {
            return Err(Error::unsupported(
                "applying a control inside a parser",
                loc,
            ));
        };
        let inst_name = p.decls[inst]
            .name()
            .map(|n| n.name.clone())
            .unwrap_or_default();
        let saved = self.enter_instance(inst, decl, &sp.locals);
        let bound = super::block::bind_args(&sp.ty.params, args);
        let mut copy_in = Vec::new();
        let mut result = self.bind_ctor_args(inst, decl, &sp.ctor_params);
        for (i, (prm, a)) in sp.ty.params.iter().zip(&bound).enumerate() {
            if result.is_err() {
                break;
            }
            if let Err(e) = self.bind_param(decl, i, prm, *a, loc, &mut copy_in) {
                result = Err(e);
                break;
            }
        }
        let start = result.and_then(|()| {
            self.parser_states(
                decl,
                arena,
                on_accept,
                &format!("{prefix}{inst_name}."),
                Vec::new(),
            )
        });
        self.leave_instance(saved);
        Ok((
            start?,
            copy_in
                .into_iter()
                .map(|stmt| ParserOp::Stmt { stmt })
                .collect(),
        ))
    }

    fn value_set(&mut self, d: Handle<Decl>, vs: &ast::ValueSet) -> Result<()> {
        let loc = self.p.decls.loc(d);
        let elem = self.c.type_ref(vs.elem);
        let mut fields = Vec::new();
        match self.c.types.get(elem).clone() {
            Type::Struct(s) => {
                for (_, t, floc) in self.fields_of(s) {
                    match self.scalar_ty(t, floc)? {
                        Some(ty) => fields.push(ty),
                        None => {
                            return Err(Error::unsupported(
                                "a value set member of an aggregate type",
                                floc,
                            ));
                        }
                    }
                }
            }
            _ => match self.scalar_ty(elem, loc)? {
                Some(ty) => fields.push(ty),
                None => return Err(Error::unsupported("a value set of this type", loc)),
            },
        }
        let size = match self.c.value_of(vs.size) {
            Some(Value::Int(i)) => u32::try_from(i).unwrap_or(u32::MAX),
            _ => {
                return Err(Error::new(
                    ErrorKind::NotConstant {
                        what: "the value set size".into(),
                    },
                    self.loc(vs.size),
                ));
            }
        };
        let name = self.cp_name(d);
        let h = self.value_sets.append(IrValueSet {
            name,
            id: 0,
            size,
            fields,
        });
        self.origins.value_sets.push(d);
        self.vars.insert(d, Binding::ValueSet(h));
        Ok(())
    }

    /// Whether call `e` is a method of the packet (`packet.extract(...)`); its name if so.
    fn packet_method(&self, e: Handle<Expr>) -> Option<(String, Vec<Option<Handle<Expr>>>)> {
        let Expr::Call { callee, args, .. } = &self.p.exprs[e] else {
            return None;
        };
        let Some(CallTarget::Method { ext, method }) = self.c.calls[e.index()] else {
            return None;
        };
        let Expr::Member { base, .. } = &self.p.exprs[*callee] else {
            return None;
        };
        let is_packet = match self.c.def_of(*base) {
            Some(Def::Param { owner, index }) => {
                matches!(self.params.get(&(owner, index)), Some(Binding::Packet))
            }
            _ => false,
        };
        if !is_packet {
            return None;
        }
        let Decl::Extern(x) = &self.p.decls[ext] else {
            return None;
        };
        let m = x.methods.get(method as usize)?;
        Some((
            m.signature.name.name.clone(),
            super::block::bind_args(&m.signature.params, args),
        ))
    }

    fn parser_stmt(&mut self, s: Handle<Stmt>, ops: &mut Vec<ParserOp>) -> Result<()> {
        let p = self.p;
        let loc = p.stmts.loc(s);
        if let Stmt::Call(e) = &p.stmts[s] {
            let e = *e;
            let mut pre: Vec<IrStmt> = Vec::new();
            if let Some((method, args)) = self.packet_method(e) {
                let op = match (method.as_str(), args.as_slice()) {
                    ("extract", [Some(h)]) => ParserOp::Extract {
                        header: self.header_of(*h, &mut pre)?.0,
                    },
                    ("extract", [Some(h), Some(size)]) => {
                        let header = self.header_of(*h, &mut pre)?.0;
                        ParserOp::ExtractVarbit {
                            header,
                            size: self.value(*size, &mut pre)?.0,
                        }
                    }
                    ("advance", [Some(bits)]) => ParserOp::Advance {
                        bits: self.value(*bits, &mut pre)?.0,
                    },
                    // A lookahead whose value is unused changes nothing.
                    ("lookahead", _) => return Ok(()),
                    _ => {
                        return Err(Error::unsupported(
                            format!("packet method `{method}` here"),
                            loc,
                        ));
                    }
                };
                ops.extend(pre.into_iter().map(|stmt| ParserOp::Stmt { stmt }));
                ops.push(op);
                return Ok(());
            }
            if let Some(CallTarget::Function(f)) = self.c.calls[e.index()]
                && let Decl::ExternFunction(sig) = &p.decls[f]
                && sig.name.name == "verify"
                && let Expr::Call { args, .. } = &p.exprs[e]
            {
                let bound = super::block::bind_args(&sig.params, args);
                let (Some(cond), Some(err)) = (
                    bound.first().copied().flatten(),
                    bound.get(1).copied().flatten(),
                ) else {
                    return Err(Error::unsupported("`verify` without its arguments", loc));
                };
                let condition = self.value_as(cond, Ty::Bool, &mut pre)?;
                let error = match self.c.value_of(err) {
                    Some(Value::Error(name)) => self.error_code(name),
                    _ => {
                        return Err(Error::new(
                            ErrorKind::NotConstant {
                                what: "the error of `verify`".into(),
                            },
                            self.loc(err),
                        ));
                    }
                };
                ops.extend(pre.into_iter().map(|stmt| ParserOp::Stmt { stmt }));
                ops.push(ParserOp::Verify { condition, error });
                return Ok(());
            }
        }
        let mut out = Vec::new();
        self.stmt(s, &mut out);
        ops.extend(out.into_iter().map(|stmt| ParserOp::Stmt { stmt }));
        Ok(())
    }

    fn select(
        &mut self,
        exprs: &[Handle<Expr>],
        cases: &[ast::SelectCase],
        targets: &[Next],
        ops: &mut Vec<ParserOp>,
    ) -> Result<Transition> {
        let mut pre = Vec::new();
        let mut keys = Vec::new();
        let mut widths = Vec::new();
        for e in exprs {
            let (v, ty) = self.value(*e, &mut pre)?;
            widths.push(ty.width());
            keys.push(v);
        }
        ops.extend(pre.into_iter().map(|stmt| ParserOp::Stmt { stmt }));
        let mut ir_cases = Vec::new();
        for (case, target) in cases.iter().zip(targets) {
            let next = *target;
            let elems: Vec<Handle<Expr>> = match &case.keyset {
                Keyset::Single(e) => vec![*e],
                Keyset::Tuple(es) => es.clone(),
            };
            let keyset = if let [e] = elems.as_slice()
                && matches!(self.p.exprs[*e], Expr::Default | Expr::DontCare)
            {
                CaseKeys::Default
            } else if let [e] = elems.as_slice()
                && let Some(Def::Decl(vs)) = self.c.def_of(*e)
                && let Some(Binding::ValueSet(h)) = self.vars.get(&vs)
            {
                CaseKeys::ValueSet(*h)
            } else {
                let mut sets = Vec::new();
                for (e, w) in elems.iter().zip(&widths) {
                    sets.push(self.key_set(*e, *w)?);
                }
                CaseKeys::Tuple(sets)
            };
            ir_cases.push(SelectCase { keyset, next });
        }
        Ok(Transition::Select {
            keys,
            cases: ir_cases,
        })
    }

    fn key_set(&self, e: Handle<Expr>, width: u16) -> Result<KeySet> {
        let m = mask(width);
        let v = |l: &Self, x: Handle<Expr>| -> Result<u128> {
            match l.c.value_of(x) {
                Some(val) => Ok(l.const_bits(val, l.loc(x))? & m),
                None => Err(Error::new(
                    ErrorKind::NotConstant {
                        what: "a select keyset".into(),
                    },
                    l.loc(x),
                )),
            }
        };
        Ok(match &self.p.exprs[e] {
            Expr::DontCare | Expr::Default => KeySet::Any,
            Expr::Mask { value, mask: mk } => {
                let mk = v(self, *mk)?;
                KeySet::Mask {
                    value: v(self, *value)? & mk,
                    mask: mk,
                }
            }
            Expr::Range { lo, hi } => KeySet::Range {
                lo: v(self, *lo)?,
                hi: v(self, *hi)?,
            },
            _ => KeySet::Value { value: v(self, e)? },
        })
    }
}

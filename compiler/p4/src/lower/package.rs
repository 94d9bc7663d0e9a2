//! The V1Switch package: which parser and controls go where, the shared headers, metadata and
//! standard metadata they all see, the deparser's emit order and the metadata field lists.
//! [`Lowerer::main`] also dispatches TNA's `Switch` to `tna.rs`.

use ddsr_pipeline::Handle as IrHandle;
use ddsr_pipeline::program::{Control as IrControl, Deparser, Emit, Package, V1Switch};
use ddsr_pipeline::types::HeaderRef;

use super::storage::{Area, Binding, Place};
use super::{Bound, Ctx, Error, ErrorKind, Lowerer, Result};
use crate::ast::{AnnotationBody, Decl, Expr, Handle, Stmt};
use crate::sema::{CallTarget, Def, Type};

/// Positions of V1Switch's arguments.
const PARSER: usize = 0;
const VERIFY: usize = 1;
const INGRESS: usize = 2;
const EGRESS: usize = 3;
const COMPUTE: usize = 4;
const DEPARSER: usize = 5;

/// What each parameter of a block is bound to, by position.
#[derive(Clone, Copy)]
enum Root {
    Packet,
    Headers,
    Meta,
    Standard,
}

impl Lowerer<'_> {
    /// The parser or control declaration an argument of `main` names.
    pub(super) fn block_of(&self, e: Handle<Expr>) -> Option<Handle<Decl>> {
        if let Some(CallTarget::Construct(d)) = self.c.calls[e.index()] {
            return Some(d);
        }
        let ty = match self.c.def_of(e) {
            Some(Def::Decl(inst)) => self.c.decl(inst).ty?,
            _ => self.c.type_of(e),
        };
        match self.c.types.get(ty) {
            Type::Parser { decl, .. } | Type::Control { decl, .. } => Some(*decl),
            _ => None,
        }
    }

    pub(super) fn main(&mut self) -> Result<Bound> {
        let no_main = Error {
            kind: ErrorKind::NoMain,
            loc: None,
        };
        let Some(main) = self.c.main else {
            return Err(no_main);
        };
        let p = self.p;
        let loc = p.decls.loc(main);
        let Decl::Instance(inst) = &p.decls[main] else {
            return Err(no_main);
        };
        let package = match self.c.decl(main).ty.map(|t| self.c.types.get(t)) {
            Some(Type::Package { decl, .. }) => *decl,
            _ => return Err(Error::new(ErrorKind::NoMain, loc)),
        };
        let Decl::Package(pkg) = &p.decls[package] else {
            return Err(Error::new(ErrorKind::NoMain, loc));
        };
        if pkg.name.name == "Switch" {
            return self.tna(pkg, &inst.args, loc);
        }
        if pkg.name.name != "V1Switch" || pkg.params.len() != 6 {
            return Err(Error::unsupported(
                format!(
                    "package `{}` (only v1model's V1Switch and TNA's Switch are)",
                    pkg.name.name
                ),
                loc,
            ));
        }
        let bound = super::block::bind_args(&pkg.params, &inst.args);
        let mut blocks = Vec::new();
        for b in &bound {
            match b.and_then(|e| self.block_of(e)) {
                Some(d) => blocks.push(d),
                None => {
                    return Err(Error::unsupported(
                        "a V1Switch argument that is not a parser or control",
                        loc,
                    ));
                }
            }
        }
        // The roots are named as the ingress control names its parameters.
        let Decl::Control(ingress) = &p.decls[blocks[INGRESS]] else {
            return Err(Error::unsupported(
                "a V1Switch ingress that is not a control",
                loc,
            ));
        };
        let [h, m, s] = [0, 1, 2].map(|i| ingress.ty.params.get(i));
        let (Some(h), Some(m), Some(s)) = (h, m, s) else {
            return Err(Error::unsupported(
                "an ingress control without three parameters",
                loc,
            ));
        };
        let root = |l: &mut Self, prm: &crate::ast::Param| -> Result<Place> {
            let t = l.c.type_ref(prm.ty);
            let type_name = l.c.types.display(t, p);
            let type_name = type_name.rsplit(' ').next().unwrap_or_default().to_string();
            let mut area = Area::new(prm.name.name.clone(), type_name);
            l.alloc(&mut area, &prm.name.name, "", t, prm.loc)
        };
        let headers = root(self, h)?;
        let meta = root(self, m)?;
        let standard = root(self, s)?;
        if let Type::Struct(d) = self.c.types.get(self.c.type_ref(m.ty)) {
            self.meta = Some((*d, meta.clone()));
        }
        let standard_metadata = match &standard {
            Place::Struct(members) => members.iter().find_map(|(_, p)| match p {
                Place::Scalar { field, .. } => match field.header {
                    HeaderRef::Instance(h) => Some(h),
                    _ => None,
                },
                _ => None,
            }),
            _ => None,
        }
        .ok_or_else(|| {
            Error::unsupported("a standard metadata parameter that is not a struct", s.loc)
        })?;
        let roots = [
            (
                PARSER,
                vec![Root::Packet, Root::Headers, Root::Meta, Root::Standard],
            ),
            (VERIFY, vec![Root::Headers, Root::Meta]),
            (INGRESS, vec![Root::Headers, Root::Meta, Root::Standard]),
            (EGRESS, vec![Root::Headers, Root::Meta, Root::Standard]),
            (COMPUTE, vec![Root::Headers, Root::Meta]),
            (DEPARSER, vec![Root::Packet, Root::Headers]),
        ];
        for (i, rs) in roots {
            for (j, r) in rs.into_iter().enumerate() {
                let b = match r {
                    Root::Packet => Binding::Packet,
                    Root::Headers => Binding::Place(headers.clone()),
                    Root::Meta => Binding::Place(meta.clone()),
                    Root::Standard => Binding::Place(standard.clone()),
                };
                self.params.insert((blocks[i], j as u32), b);
            }
        }
        let parser = match self.parser(blocks[PARSER]) {
            Ok(p) => p,
            Err(e) => {
                self.report(e);
                Self::empty_parser("parser")
            }
        };
        let verify = self.control(blocks[VERIFY]);
        let ingress = self.control(blocks[INGRESS]);
        let egress = self.control(blocks[EGRESS]);
        let compute = self.control(blocks[COMPUTE]);
        let deparser = self.deparser(blocks[DEPARSER]);
        Ok(Bound {
            parser,
            deparser,
            package: Package::V1Switch(V1Switch {
                standard_metadata,
                verify_checksum: verify,
                ingress,
                egress,
                compute_checksum: compute,
            }),
        })
    }

    /// Lowers a control; on errors (reported) the control is still created, possibly partial.
    pub(super) fn control(&mut self, d: Handle<Decl>) -> IrHandle<IrControl> {
        let p = self.p;
        let Decl::Control(c) = &p.decls[d] else {
            self.report(Error::unsupported(
                "a V1Switch block that is not a control",
                p.decls.loc(d),
            ));
            return self.controls.append(IrControl {
                name: String::new(),
                body: Vec::new(),
            });
        };
        let name = c.ty.name.name.clone();
        let saved = self.enter_block(&name, Ctx::Control);
        let mut body = Vec::new();
        for &local in &c.locals {
            if matches!(p.decls[local], Decl::Var(_) | Decl::Instance(_))
                && let Err(e) = self.local_decl(local, &mut body)
            {
                self.report(e);
            }
        }
        body.extend(self.stmts(&c.apply.stmts));
        self.leave_block(saved);
        self.controls.append(IrControl { name, body })
    }

    fn deparser(&mut self, d: Handle<Decl>) -> Deparser {
        let p = self.p;
        let mut emit = Vec::new();
        let Decl::Control(c) = &p.decls[d] else {
            self.report(Error::unsupported(
                "a deparser that is not a control",
                p.decls.loc(d),
            ));
            return Deparser::default();
        };
        let saved_ctx = std::mem::replace(&mut self.ctx, Ctx::Control);
        self.emits(&c.apply.stmts, &mut emit);
        self.ctx = saved_ctx;
        Deparser {
            name: c.ty.name.name.clone(),
            emit,
        }
    }

    fn emits(&mut self, stmts: &[Handle<Stmt>], emit: &mut Vec<Emit>) {
        let p = self.p;
        for &s in stmts {
            let loc = p.stmts.loc(s);
            match &p.stmts[s] {
                Stmt::Block(b) => self.emits(&b.stmts, emit),
                Stmt::Call(_) => match self.emit_arg(s) {
                    Some(a) => {
                        let mut scratch = Vec::new();
                        match self.place(a, &mut scratch) {
                            Ok(place) => Self::emit_place(&place, emit),
                            Err(e) => self.report(e),
                        }
                    }
                    None => self.report(Error::unsupported(
                        "a deparser statement other than `emit`",
                        loc,
                    )),
                },
                Stmt::Empty => {}
                _ => self.report(Error::unsupported(
                    "a deparser statement other than `emit`",
                    loc,
                )),
            }
        }
    }

    /// The argument of statement `s` when it is `packet_out.emit(arg)`.
    pub(super) fn emit_arg(&self, s: Handle<Stmt>) -> Option<Handle<Expr>> {
        let p = self.p;
        let Stmt::Call(e) = &p.stmts[s] else {
            return None;
        };
        let Expr::Call { args, .. } = &p.exprs[*e] else {
            return None;
        };
        let is_emit = matches!(self.c.calls[e.index()], Some(CallTarget::Method { ext, method })
            if matches!(&p.decls[ext], Decl::Extern(x) if x.name.name == "packet_out"
                && x.methods.get(method as usize).is_some_and(|m| m.signature.name.name == "emit")));
        if is_emit {
            args.first().map(|a| a.value)
        } else {
            None
        }
    }

    pub(super) fn emit_place(place: &Place, emit: &mut Vec<Emit>) {
        match place {
            Place::Header {
                header: HeaderRef::Instance(h),
                ..
            } => emit.push(Emit::Header(*h)),
            Place::Stack { stack, .. } => emit.push(Emit::Stack(*stack)),
            Place::Union { union, .. } => emit.push(Emit::Union(*union)),
            Place::Struct(members) => {
                for (_, m) in members {
                    Self::emit_place(m, emit);
                }
            }
            _ => {}
        }
    }

    /// Metadata fields annotated `@field_list(id, ...)`, grouped by id.
    pub(super) fn field_lists(&self) -> Vec<ddsr_pipeline::externs::FieldList> {
        let mut lists: std::collections::BTreeMap<u8, Vec<ddsr_pipeline::FieldRef>> =
            Default::default();
        let Some((decl, Place::Struct(members))) = &self.meta else {
            return Vec::new();
        };
        let Decl::Struct(s) = &self.p.decls[*decl] else {
            return Vec::new();
        };
        for (f, (_, place)) in s.fields.iter().zip(members) {
            let Some(a) = crate::ast::find_annotation(&f.annotations, "field_list") else {
                continue;
            };
            let exprs = match &a.body {
                AnnotationBody::Unstructured {
                    exprs: Some(es), ..
                }
                | AnnotationBody::ExprList(es) => es.clone(),
                _ => Vec::new(),
            };
            let Place::Scalar { field, .. } = place else {
                continue;
            };
            for e in exprs {
                if let Expr::Int(lit) = &self.p.exprs[e]
                    && let Ok(id) = u8::try_from(&lit.value)
                {
                    lists.entry(id).or_default().push(*field);
                }
            }
        }
        lists
            .into_iter()
            .map(|(id, fields)| ddsr_pipeline::externs::FieldList { id, fields })
            .collect()
    }
}

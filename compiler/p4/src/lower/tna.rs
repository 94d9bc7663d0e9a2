//! The TNA package: `Switch(Pipeline(ingress_parser, ingress, ingress_deparser, egress_parser,
//! egress, egress_deparser) pipe) main`.
//!
//! Tofino runs two halves with their own headers and metadata: ingress parses the packet (after
//! the prepended `ingress_intrinsic_metadata_t`), ingress decides, the ingress deparser emits,
//! the traffic manager queues, and egress parses the emitted packet again. So the ingress
//! blocks share one set of roots (the ingress control's `hdr` and metadata) and the egress
//! blocks another (named `egress.<parameter>`); each intrinsic metadata struct is one instance
//! (`ig_intr_md`, `ig_tm_md`...) bound to every block parameter at its position in the TNA
//! block types. Deparsers are split into their `emit`s and a control of everything else
//! (checksum updates, digests), run before the emits as Tofino's deparser computes before it
//! serialises.

use ddsr_pipeline::Handle as IrHandle;
use ddsr_pipeline::Stmt as IrStmt;
use ddsr_pipeline::program::{Control as IrControl, Deparser, Emit, Package, Tna, TnaTag};
use ddsr_pipeline::types::{Header, HeaderRef};

use super::storage::{Area, Binding, Place};
use super::{Bound, Ctx, Error, Lowerer, Result};
use crate::ast::{Decl, Expr, Handle, Loc, Stmt};
use crate::sema::{CallTarget, Def, Type};

/// Intrinsic metadata of TNA: type name and the instance name it gets.
const INTRINSIC: [(&str, &str); 8] = [
    ("ingress_intrinsic_metadata_t", "ig_intr_md"),
    ("ingress_intrinsic_metadata_from_parser_t", "ig_prsr_md"),
    ("ingress_intrinsic_metadata_for_deparser_t", "ig_dprsr_md"),
    ("ingress_intrinsic_metadata_for_tm_t", "ig_tm_md"),
    ("egress_intrinsic_metadata_t", "eg_intr_md"),
    ("egress_intrinsic_metadata_from_parser_t", "eg_prsr_md"),
    ("egress_intrinsic_metadata_for_deparser_t", "eg_dprsr_md"),
    ("egress_intrinsic_metadata_for_output_port_t", "eg_oport_md"),
];
const IG_INTR: usize = 0;
const IG_PRSR: usize = 1;
const IG_DPRSR: usize = 2;
const IG_TM: usize = 3;
const EG_INTR: usize = 4;
const EG_PRSR: usize = 5;
const EG_DPRSR: usize = 6;
const EG_OPORT: usize = 7;

/// What a block parameter is bound to, by position.
#[derive(Clone, Copy)]
enum Root {
    Packet,
    IngressHeaders,
    IngressMeta,
    EgressHeaders,
    EgressMeta,
    Intrinsic(usize),
}

/// The parameters of TNA's six block types (`IngressParserT`... in `tna.p4`), in order.
const BLOCKS: [&[Root]; 6] = [
    &[
        Root::Packet,
        Root::IngressHeaders,
        Root::IngressMeta,
        Root::Intrinsic(IG_INTR),
        Root::Intrinsic(IG_TM),
        Root::Intrinsic(IG_PRSR),
    ],
    &[
        Root::IngressHeaders,
        Root::IngressMeta,
        Root::Intrinsic(IG_INTR),
        Root::Intrinsic(IG_PRSR),
        Root::Intrinsic(IG_DPRSR),
        Root::Intrinsic(IG_TM),
    ],
    &[
        Root::Packet,
        Root::IngressHeaders,
        Root::IngressMeta,
        Root::Intrinsic(IG_DPRSR),
        Root::Intrinsic(IG_INTR),
    ],
    &[
        Root::Packet,
        Root::EgressHeaders,
        Root::EgressMeta,
        Root::Intrinsic(EG_INTR),
        Root::Intrinsic(EG_PRSR),
    ],
    &[
        Root::EgressHeaders,
        Root::EgressMeta,
        Root::Intrinsic(EG_INTR),
        Root::Intrinsic(EG_PRSR),
        Root::Intrinsic(EG_DPRSR),
        Root::Intrinsic(EG_OPORT),
    ],
    &[
        Root::Packet,
        Root::EgressHeaders,
        Root::EgressMeta,
        Root::Intrinsic(EG_DPRSR),
        Root::Intrinsic(EG_INTR),
        Root::Intrinsic(EG_PRSR),
    ],
];
const INGRESS_PARSER: usize = 0;
const INGRESS: usize = 1;
const INGRESS_DEPARSER: usize = 2;
const EGRESS_PARSER: usize = 3;
const EGRESS: usize = 4;
const EGRESS_DEPARSER: usize = 5;

impl Lowerer<'_> {
    /// Binds and lowers `main = Switch(pipe)`; `args` are main's arguments.
    pub(super) fn tna(
        &mut self,
        switch: &crate::ast::TypeDecl,
        args: &[crate::ast::Argument],
        loc: Loc,
    ) -> Result<Bound> {
        let bound = super::block::bind_args(&switch.params, args);
        if let Some(extra) = bound.iter().skip(1).flatten().next() {
            return Err(Error::unsupported(
                "a TNA `Switch` with more than one pipe",
                self.loc(*extra),
            ));
        }
        let Some(pipe_arg) = bound.first().copied().flatten() else {
            return Err(Error::unsupported("a TNA `Switch` without a pipe", loc));
        };
        let (pipe, blocks) = self.pipe(pipe_arg, switch)?;
        self.pipe = Some(pipe.clone());
        let p = self.p;
        let control_params = |d: Handle<Decl>| match &p.decls[d] {
            Decl::Control(c) => Some(&c.ty.params),
            _ => None,
        };
        let (Some(ig), Some(eg)) = (
            control_params(blocks[INGRESS]),
            control_params(blocks[EGRESS]),
        ) else {
            return Err(Error::unsupported(
                "a TNA ingress or egress that is not a control",
                loc,
            ));
        };
        if ig.len() < 2 || eg.len() < 2 {
            return Err(Error::unsupported(
                "a TNA ingress or egress control without headers and metadata parameters",
                loc,
            ));
        }
        let root = |l: &mut Self, prm: &crate::ast::Param, prefix: &str| -> Result<Place> {
            let t = l.c.type_ref(prm.ty);
            let type_name = l.c.types.display(t, p);
            let type_name = type_name.rsplit(' ').next().unwrap_or_default().to_string();
            let name = format!("{prefix}{}", prm.name.name);
            let mut area = Area::new(name.clone(), format!("{prefix}{type_name}"));
            l.alloc(&mut area, &name, "", t, prm.loc)
        };
        let ih = root(self, &ig[0], "")?;
        let im = root(self, &ig[1], "")?;
        let eh = root(self, &eg[0], "egress.")?;
        let em = root(self, &eg[1], "egress.")?;
        let mut intrinsic = Vec::new();
        for (type_name, instance) in INTRINSIC {
            intrinsic.push(self.intrinsic(type_name, instance, loc)?);
        }
        for (i, roots) in BLOCKS.iter().enumerate() {
            for (j, r) in roots.iter().enumerate() {
                let b = match r {
                    Root::Packet => Binding::Packet,
                    Root::IngressHeaders => Binding::Place(ih.clone()),
                    Root::IngressMeta => Binding::Place(im.clone()),
                    Root::EgressHeaders => Binding::Place(eh.clone()),
                    Root::EgressMeta => Binding::Place(em.clone()),
                    Root::Intrinsic(k) => Binding::Place(intrinsic[*k].0.clone()),
                };
                self.params.insert((blocks[i], j as u32), b);
            }
        }
        let parser = match self.parser(blocks[INGRESS_PARSER]) {
            Ok(p) => p,
            Err(e) => {
                self.report(e);
                Self::empty_parser("ingress_parser")
            }
        };
        let ingress = self.control(blocks[INGRESS]);
        let (ingress_deparser, deparser) = self.tna_deparser(blocks[INGRESS_DEPARSER]);
        let egress_parser = match self.parser(blocks[EGRESS_PARSER]) {
            Ok(p) => p,
            Err(e) => {
                self.report(e);
                Self::empty_parser("egress_parser")
            }
        };
        let egress = self.control(blocks[EGRESS]);
        let (egress_deparser, egress_emit) = self.tna_deparser(blocks[EGRESS_DEPARSER]);
        let h = |k: usize| intrinsic[k].1;
        Ok(Bound {
            parser,
            deparser,
            package: Package::Tna(Box::new(Tna {
                architecture: TnaTag::Tna,
                pipe,
                ingress,
                ingress_deparser,
                egress_parser,
                egress,
                egress_deparser,
                egress_emit,
                ingress_intrinsic_metadata: h(IG_INTR),
                ingress_intrinsic_metadata_from_parser: h(IG_PRSR),
                ingress_intrinsic_metadata_for_deparser: h(IG_DPRSR),
                ingress_intrinsic_metadata_for_tm: h(IG_TM),
                egress_intrinsic_metadata: h(EG_INTR),
                egress_intrinsic_metadata_from_parser: h(EG_PRSR),
                egress_intrinsic_metadata_for_deparser: h(EG_DPRSR),
                egress_intrinsic_metadata_for_output_port: h(EG_OPORT),
            })),
        })
    }

    /// The pipe `Switch` is given: its name (the instance's, or `pipe0` for one constructed
    /// in place, as bf-p4c names them) and its six blocks.
    fn pipe(
        &self,
        e: Handle<Expr>,
        switch: &crate::ast::TypeDecl,
    ) -> Result<(String, [Handle<Decl>; 6])> {
        let p = self.p;
        let loc = self.loc(e);
        let (pkg, name, args) = match (self.c.calls[e.index()], self.c.def_of(e)) {
            (Some(CallTarget::Construct(d)), _) => {
                let (Expr::Call { args, .. } | Expr::Construct { args, .. }) = &p.exprs[e] else {
                    return Err(Error::unsupported("this pipe argument", loc));
                };
                let name = switch
                    .params
                    .first()
                    .map(|prm| prm.name.name.clone())
                    .unwrap_or_default();
                (d, name, args)
            }
            (_, Some(Def::Decl(inst))) => {
                let Decl::Instance(i) = &p.decls[inst] else {
                    return Err(Error::unsupported("this pipe argument", loc));
                };
                match self.c.decl(inst).ty.map(|t| self.c.types.get(t)) {
                    Some(Type::Package { decl, .. }) => (*decl, i.name.name.clone(), &i.args),
                    _ => return Err(Error::unsupported("this pipe argument", loc)),
                }
            }
            _ => return Err(Error::unsupported("this pipe argument", loc)),
        };
        let Decl::Package(pipeline) = &p.decls[pkg] else {
            return Err(Error::unsupported("a pipe that is not a package", loc));
        };
        if pipeline.name.name != "Pipeline" || pipeline.params.len() != 6 {
            return Err(Error::unsupported(
                format!(
                    "package `{}` as a pipe (only TNA's Pipeline is)",
                    pipeline.name.name
                ),
                loc,
            ));
        }
        let mut blocks = Vec::new();
        for b in super::block::bind_args(&pipeline.params, args) {
            match b.and_then(|e| self.block_of(e)) {
                Some(d) => blocks.push(d),
                None => {
                    return Err(Error::unsupported(
                        "a Pipeline argument that is not a parser or control",
                        loc,
                    ));
                }
            }
        }
        let blocks: [Handle<Decl>; 6] = blocks
            .try_into()
            .map_err(|_| Error::unsupported("a Pipeline without its six blocks", loc))?;
        Ok((name, blocks))
    }

    /// The instance of intrinsic metadata type `type_name` (declared by `tna.p4`).
    fn intrinsic(
        &mut self,
        type_name: &str,
        instance: &str,
        loc: Loc,
    ) -> Result<(Place, IrHandle<Header>)> {
        let p = self.p;
        let decl = p.items.iter().copied().find(|d| {
            matches!(&p.decls[*d], Decl::Header(a) | Decl::Struct(a) if a.name.name == type_name)
        });
        let Some(t) = decl.and_then(|d| self.c.decl(d).ty) else {
            return Err(Error::unsupported(
                format!("a TNA program without the intrinsic metadata type `{type_name}`"),
                loc,
            ));
        };
        let mut area = Area::new(instance, type_name);
        let place = self.alloc(&mut area, instance, "", t, loc)?;
        let header = match &place {
            Place::Header {
                header: HeaderRef::Instance(h),
                ..
            } => Some(*h),
            _ => area.slot.map(|(h, _)| h),
        };
        let header = header.ok_or_else(|| {
            Error::unsupported(
                format!("intrinsic metadata `{type_name}` without scalar fields"),
                loc,
            )
        })?;
        Ok((place, header))
    }

    /// A TNA deparser: its `emit`s in order, and a control of its other statements.
    fn tna_deparser(&mut self, d: Handle<Decl>) -> (IrHandle<IrControl>, Deparser) {
        let p = self.p;
        let Decl::Control(c) = &p.decls[d] else {
            self.report(Error::unsupported(
                "a deparser that is not a control",
                p.decls.loc(d),
            ));
            let h = self.controls.append(IrControl {
                name: String::new(),
                body: Vec::new(),
            });
            return (h, Deparser::default());
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
        let mut emit = Vec::new();
        self.deparser_stmts(&c.apply.stmts, &mut body, &mut emit);
        self.leave_block(saved);
        let h = self.controls.append(IrControl {
            name: name.clone(),
            body,
        });
        (h, Deparser { name, emit })
    }

    /// Splits deparser statements into emits and everything else.
    fn deparser_stmts(
        &mut self,
        stmts: &[Handle<Stmt>],
        body: &mut Vec<IrStmt>,
        emit: &mut Vec<Emit>,
    ) {
        let p = self.p;
        for &s in stmts {
            match &p.stmts[s] {
                Stmt::Block(b) => self.deparser_stmts(&b.stmts, body, emit),
                _ => match self.emit_arg(s) {
                    Some(a) => {
                        let mut scratch = Vec::new();
                        match self.place(a, &mut scratch) {
                            Ok(place) => Self::emit_place(&place, emit),
                            Err(e) => self.report(e),
                        }
                    }
                    None if self.has_emit(s) => self.report(Error::unsupported(
                        "an `emit` under a condition in a TNA deparser",
                        p.stmts.loc(s),
                    )),
                    None => body.extend(self.stmts(&[s])),
                },
            }
        }
    }

    /// Whether statement `s` contains a `packet_out.emit` anywhere inside.
    fn has_emit(&self, s: Handle<Stmt>) -> bool {
        let p = self.p;
        if self.emit_arg(s).is_some() {
            return true;
        }
        match &p.stmts[s] {
            Stmt::Block(b) => b.stmts.iter().any(|x| self.has_emit(*x)),
            Stmt::If {
                then, otherwise, ..
            } => self.has_emit(*then) || otherwise.is_some_and(|e| self.has_emit(e)),
            _ => false,
        }
    }

    /// The P4 control-plane name prefix of the block being entered: the pipe's for TNA.
    pub(super) fn enter_block(&mut self, name: &str, ctx: Ctx) -> SavedBlock {
        let scoped = match &self.pipe {
            Some(pipe) => format!("{pipe}.{name}"),
            None => name.to_string(),
        };
        let rename = self
            .pipe
            .as_ref()
            .map(|_| (name.to_string(), scoped.clone()));
        SavedBlock {
            area: self
                .area
                .replace(Area::new(name.to_string(), format!("{name}.locals_t"))),
            ctx: std::mem::replace(&mut self.ctx, ctx),
            rename: std::mem::replace(&mut self.rename, rename),
            scope: std::mem::replace(&mut self.scope, scoped),
        }
    }

    pub(super) fn leave_block(&mut self, saved: SavedBlock) {
        self.area = saved.area;
        self.ctx = saved.ctx;
        self.rename = saved.rename;
        self.scope = saved.scope;
    }
}

/// What [`Lowerer::enter_block`] replaced.
pub(super) struct SavedBlock {
    area: Option<Area>,
    ctx: Ctx,
    rename: Option<(String, String)>,
    scope: String,
}

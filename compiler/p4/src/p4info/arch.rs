//! P4Info read straight from a checked program, for any architecture: no pipeline IR needed.
//!
//! The central structure is [`Objects`]: every control-plane object of the program with its
//! fully qualified name, collected by walking the package instance tree from `main` down to
//! each parser and control and to the sub-parser and sub-control instances inside them. Names
//! follow p4c: a block's objects are named `Block.object` after the block's declaration; a
//! package instance passed to the top-level package (TNA's `Pipeline(...) pipe` in
//! `Switch(pipe)`) prefixes everything under it (`pipe.SwitchIngress.forward`), as bf-p4c
//! names them; a nested instance `inst` of a control adds `Block.inst.object`; `@name(".x")`
//! is global and never prefixed; `@hidden` objects are left out.
//!
//! As p4c removes unused declarations before writing P4Info, only tables that some `apply()`
//! reaches are listed, and only actions that a listed table refers to or that some statement
//! calls. Extern instances become resources by their extern's name, in v1model's spelling and
//! TNA's (`counter`/`Counter`, `direct_counter`/`DirectCounter`, `meter`/`Meter`,
//! `direct_meter`/`DirectMeter`, `register`/`Register`, `action_profile`/`ActionProfile`,
//! `action_selector`/`ActionSelector`, TNA's `Digest<T>`; v1model's `digest<T>()` calls name
//! their digest after `T`); other externs (hashes, checksums, mirrors) are not control-plane
//! objects. Invariant: the input passed [`crate::sema::check`] without errors; anything the
//! checker's side tables do not describe is reported as an error, never a panic.

use std::collections::{BTreeMap, HashMap, HashSet};

use ddsr_proto::ids::{Aliases, Allocator, Prefix};
use ddsr_proto::p4::config::v1 as p4i;

use crate::ast::{Decl, Expr, Handle, Loc, Program, TypedefTarget};
use crate::lower::{Error, ErrorKind};
use crate::sema::{CallTarget, Checked, Def, Type, TypeId, Value};

/// How deeply package and block instances may nest (the checker refuses recursive
/// instantiation; this bounds the walk whatever the input).
const MAX_NESTING: u32 = 64;

/// p4c's size of a table without a `size` property.
const DEFAULT_SIZE: i64 = 1024;

/// A resource an extern instance stands for.
#[derive(Debug, Clone, PartialEq)]
enum Resource {
    Counter {
        size: i64,
        unit: p4i::counter_spec::Unit,
    },
    DirectCounter {
        unit: p4i::counter_spec::Unit,
    },
    Meter {
        size: i64,
        unit: p4i::meter_spec::Unit,
    },
    DirectMeter {
        unit: p4i::meter_spec::Unit,
    },
    Register {
        size: i32,
        width: u32,
    },
    Profile {
        size: i64,
        selector: bool,
        max_group_size: i32,
    },
    Digest {
        ty: TypeId,
    },
}

impl Resource {
    fn prefix(&self) -> Prefix {
        match self {
            Resource::Counter { .. } => Prefix::Counter,
            Resource::DirectCounter { .. } => Prefix::DirectCounter,
            Resource::Meter { .. } => Prefix::Meter,
            Resource::DirectMeter { .. } => Prefix::DirectMeter,
            Resource::Register { .. } => Prefix::Register,
            Resource::Profile { .. } => Prefix::ActionProfile,
            Resource::Digest { .. } => Prefix::Digest,
        }
    }
}

/// A table found in a block, with the names of what it refers to.
struct TableUse {
    decl: Handle<Decl>,
    name: String,
    /// Qualified names of its actions (hidden ones left out), with their scopes.
    actions: Vec<(String, p4i::action_ref::Scope)>,
    const_default: Option<String>,
    implementation: Option<String>,
    direct: Vec<String>,
}

/// Every control-plane object of the program, by fully qualified name.
#[derive(Default)]
struct Objects {
    tables: Vec<TableUse>,
    actions: BTreeMap<String, Handle<Decl>>,
    /// Resources with the declaration that carries their `@id` (none for `digest()` calls).
    resources: BTreeMap<String, (Resource, Option<Handle<Decl>>)>,
    value_sets: BTreeMap<String, Handle<Decl>>,
}

struct Walk<'a> {
    p: &'a Program,
    c: &'a Checked,
    applied: HashSet<Handle<Decl>>,
    called: HashSet<Handle<Decl>>,
    no_action: Option<Handle<Decl>>,
    out: Objects,
    errors: Vec<Error>,
}

/// The P4Info of a checked program named `name`, whatever its package.
pub fn build(p: &Program, c: &Checked, name: &str) -> Result<p4i::P4Info, Vec<Error>> {
    let no_main = || {
        vec![Error {
            kind: ErrorKind::Unsupported {
                what: "a program without a package instance named `main`".into(),
            },
            loc: None,
        }]
    };
    let main = c.main.ok_or_else(no_main)?;
    let Some(Type::Package { decl: package, .. }) = c.decl(main).ty.map(|t| c.types.get(t)) else {
        return Err(no_main());
    };
    let mut w = Walk::new(p, c);
    w.package(main, "", 0);
    w.digest_calls();
    if !w.errors.is_empty() {
        return Err(w.errors);
    }
    let arch = pkginfo_arch(p, *package).unwrap_or_else(|| match p.decls[*package].name() {
        Some(n) if n.name == "V1Switch" => "v1model".into(),
        Some(n) => n.name.to_lowercase(),
        None => String::new(),
    });
    w.finish(name, &arch)
}

/// The `arch` of `@pkginfo(arch="TNA", ...)` (or `@pkginfo[arch = "TNA"]`), lower case as
/// p4c writes it.
fn pkginfo_arch(p: &Program, package: Handle<Decl>) -> Option<String> {
    use crate::ast::AnnotationBody;
    use crate::token::TokenKind;
    let a = crate::ast::find_annotation(p.decls[package].annotations(), "pkginfo")?;
    match &a.body {
        AnnotationBody::KeyValue(kv) => {
            kv.iter()
                .find_map(|n| match (n.name.name.as_str(), &p.exprs[n.value]) {
                    ("arch", Expr::String(s)) => Some(s.to_lowercase()),
                    _ => None,
                })
        }
        // Unstructured: the tokens `arch`, `=`, a string.
        AnnotationBody::Unstructured { tokens, .. } => tokens.windows(3).find_map(|w| {
            (w[0].kind == TokenKind::Ident && w[0].text == "arch" && w[2].kind == TokenKind::String)
                .then(|| w[2].text.trim_matches('"').to_lowercase())
        }),
        _ => None,
    }
}

impl<'a> Walk<'a> {
    fn new(p: &'a Program, c: &'a Checked) -> Self {
        let mut applied = HashSet::new();
        let mut called = HashSet::new();
        for target in c.calls.iter().flatten() {
            match *target {
                CallTarget::Apply(d) if matches!(p.decls[d], Decl::Table(_)) => {
                    applied.insert(d);
                }
                CallTarget::Action(d) => {
                    called.insert(d);
                }
                _ => {}
            }
        }
        let no_action = p
            .items
            .iter()
            .copied()
            .find(|h| matches!(&p.decls[*h], Decl::Action(a) if a.name.name == "NoAction"));
        Walk {
            p,
            c,
            applied,
            called,
            no_action,
            out: Objects::default(),
            errors: Vec::new(),
        }
    }

    fn unsupported(&mut self, what: impl Into<String>, loc: Loc) {
        self.errors.push(Error::unsupported(what, loc));
    }

    /// The arguments of package instance `inst`: parsers and controls are visited, package
    /// instances (TNA's pipelines) prefix what is under them with their name.
    fn package(&mut self, inst: Handle<Decl>, prefix: &str, depth: u32) {
        let p = self.p;
        let loc = p.decls.loc(inst);
        if depth > MAX_NESTING {
            return self.unsupported("packages nested this deeply", loc);
        }
        let Decl::Instance(i) = &p.decls[inst] else {
            return;
        };
        let Some(Type::Package { decl, .. }) = self.c.decl(inst).ty.map(|t| self.c.types.get(t))
        else {
            return;
        };
        let Decl::Package(pkg) = &p.decls[*decl] else {
            return;
        };
        let bound = crate::lower::bind_args(&pkg.params, &i.args);
        for (param, arg) in pkg.params.iter().zip(bound) {
            let Some(arg) = arg else { continue };
            self.argument(arg, &param.name.name, prefix, depth);
        }
    }

    /// One argument of a package: a parser or control (constructed in place or an instance),
    /// or a package instance.
    fn argument(&mut self, e: Handle<Expr>, param: &str, prefix: &str, depth: u32) {
        let (decl, named) = match (self.c.calls[e.index()], self.c.def_of(e)) {
            (Some(CallTarget::Construct(d)), _) => (d, None),
            (_, Some(Def::Decl(inst))) => match self.c.decl(inst).ty.map(|t| self.c.types.get(t)) {
                Some(Type::Parser { decl, .. } | Type::Control { decl, .. }) => (*decl, None),
                Some(Type::Package { .. }) => (inst, Some(inst)),
                _ => return,
            },
            _ => return,
        };
        let p = self.p;
        match &p.decls[decl] {
            Decl::Parser(_) | Decl::Control(_) => {
                let own = p.decls[decl]
                    .name()
                    .map(|n| n.name.clone())
                    .unwrap_or_default();
                self.block(decl, &join(prefix, &own), depth + 1);
            }
            Decl::Package(pkg) => {
                // A package constructed in place: its arguments are in the call.
                let (Expr::Call { args, .. } | Expr::Construct { args, .. }) = &p.exprs[e] else {
                    return;
                };
                let bound = crate::lower::bind_args(&pkg.params, args);
                let inner = join(prefix, param);
                for (prm, arg) in pkg.params.iter().zip(bound) {
                    if let Some(arg) = arg {
                        self.argument(arg, &prm.name.name, &inner, depth + 1);
                    }
                }
            }
            Decl::Instance(i) => {
                if let Some(inst) = named {
                    self.package(inst, &join(prefix, &i.name.name), depth + 1);
                }
            }
            _ => {}
        }
    }

    /// The name of object `d` declared in `block` when the block's objects are named `path.x`.
    fn qualify(&self, d: Handle<Decl>, block: Handle<Decl>, path: &str) -> Option<String> {
        let cp = self.c.decl(d).control_plane_name.as_deref()?;
        let block_name = self.p.decls[block].name().map(|n| n.name.as_str())?;
        match cp
            .strip_prefix(block_name)
            .and_then(|r| r.strip_prefix('.'))
        {
            Some(rest) => Some(format!("{path}.{rest}")),
            None => Some(cp.to_string()),
        }
    }

    /// The objects of parser or control `block`, named under `path`.
    fn block(&mut self, block: Handle<Decl>, path: &str, depth: u32) {
        let p = self.p;
        if depth > MAX_NESTING {
            return self.unsupported(
                "parser or control instances nested this deeply",
                p.decls.loc(block),
            );
        }
        let locals = match &p.decls[block] {
            Decl::Parser(x) => &x.locals,
            Decl::Control(x) => &x.locals,
            _ => return,
        };
        for &l in locals {
            match &p.decls[l] {
                Decl::Table(_) if self.applied.contains(&l) => self.table(l, block, path),
                Decl::Action(_) if self.called.contains(&l) => {
                    if let Some(name) = self.qualify(l, block, path) {
                        self.out.actions.insert(name, l);
                    }
                }
                Decl::ValueSet(_) => {
                    if let Some(name) = self.qualify(l, block, path) {
                        self.out.value_sets.insert(name, l);
                    }
                }
                Decl::Instance(i) => match self.c.decl(l).ty.map(|t| self.c.types.get(t)) {
                    Some(Type::Parser { decl, .. } | Type::Control { decl, .. }) => {
                        let inner = format!("{path}.{}", i.name.name);
                        self.block(*decl, &inner, depth + 1);
                    }
                    Some(Type::Extern { decl, args }) => {
                        let (ext, args) = (*decl, args.clone());
                        if let Some(r) = self.resource(l, ext, &args)
                            && let Some(name) = self.qualify(l, block, path)
                        {
                            self.out.resources.insert(name, (r, Some(l)));
                        }
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }

    /// Table `d` of `block` and the actions it refers to.
    fn table(&mut self, d: Handle<Decl>, block: Handle<Decl>, path: &str) {
        let Some(name) = self.qualify(d, block, path) else {
            return;
        };
        let Some(info) = self.c.decl(d).table.as_ref() else {
            return self.unsupported("a table the checker did not summarise", self.p.decls.loc(d));
        };
        let mut actions = Vec::new();
        let action_name = |w: &mut Self, a: Handle<Decl>| -> Option<String> {
            let n = w.qualify(a, block, path)?;
            w.out.actions.insert(n.clone(), a);
            Some(n)
        };
        for u in &info.actions {
            let scope = match (u.table_only, u.default_only) {
                (true, _) => p4i::action_ref::Scope::TableOnly,
                (_, true) => p4i::action_ref::Scope::DefaultOnly,
                _ => p4i::action_ref::Scope::TableAndDefault,
            };
            if let Some(n) = action_name(self, u.action) {
                actions.push((n, scope));
            }
        }
        let mut const_default = None;
        match &info.default_action {
            Some((i, _)) => {
                if info.default_is_const
                    && let Some(u) = info.actions.get(*i)
                {
                    const_default = action_name(self, u.action);
                }
            }
            // As p4c: a table without a default action gets `NoAction`, default-only.
            None => {
                if let Some(na) = self.no_action
                    && let Some(n) = action_name(self, na)
                    && !actions.iter().any(|(a, _)| *a == n)
                {
                    actions.push((n, p4i::action_ref::Scope::DefaultOnly));
                }
            }
        }
        let attached = |w: &mut Self, inst: Option<Handle<Decl>>| -> Option<String> {
            let inst = inst?;
            let Decl::Instance(_) = &w.p.decls[inst] else {
                return None;
            };
            let Some(Type::Extern { decl, args }) = w.c.decl(inst).ty.map(|t| w.c.types.get(t))
            else {
                return None;
            };
            let (ext, args) = (*decl, args.clone());
            let r = w.resource(inst, ext, &args)?;
            let n = w.qualify(inst, block, path)?;
            w.out.resources.insert(n.clone(), (r, Some(inst)));
            Some(n)
        };
        let implementation = attached(self, info.implementation);
        let direct: Vec<String> = [info.counters, info.meters]
            .into_iter()
            .filter_map(|i| attached(self, i))
            .collect();
        self.out.tables.push(TableUse {
            decl: d,
            name,
            actions,
            const_default,
            implementation,
            direct,
        });
    }

    /// A constant integer argument, reported when it is not one.
    fn int_arg(&mut self, args: &[Handle<Expr>], i: usize, what: &str, loc: Loc) -> Option<i64> {
        let v = args
            .get(i)
            .and_then(|e| self.c.value_of(*e))
            .and_then(Value::as_int)
            .and_then(|v| i64::try_from(v).ok());
        if v.is_none() {
            self.errors.push(Error::new(
                ErrorKind::NotConstant {
                    what: what.to_string(),
                },
                args.get(i).map_or(loc, |e| self.p.exprs.loc(*e)),
            ));
        }
        v
    }

    /// The enum member a constant argument names, lower case (`PACKETS_AND_BYTES`,
    /// `packets_and_bytes`).
    fn member_arg(&self, args: &[Handle<Expr>], i: usize) -> Option<String> {
        match self.c.value_of(*args.get(i)?)? {
            Value::Enum { decl, member } => match &self.p.decls[*decl] {
                Decl::Enum(en) => en
                    .members
                    .get(*member as usize)
                    .map(|m| m.name.name.to_lowercase()),
                _ => None,
            },
            _ => None,
        }
    }

    fn counter_unit(
        &mut self,
        args: &[Handle<Expr>],
        i: usize,
        loc: Loc,
    ) -> p4i::counter_spec::Unit {
        use p4i::counter_spec::Unit;
        match self.member_arg(args, i).as_deref() {
            Some("packets") => Unit::Packets,
            Some("bytes") => Unit::Bytes,
            Some("packets_and_bytes") => Unit::Both,
            _ => {
                self.errors.push(Error::new(
                    ErrorKind::NotConstant {
                        what: "a counter type".into(),
                    },
                    args.get(i).map_or(loc, |e| self.p.exprs.loc(*e)),
                ));
                Unit::Unspecified
            }
        }
    }

    fn meter_unit(&mut self, args: &[Handle<Expr>], i: usize, loc: Loc) -> p4i::meter_spec::Unit {
        use p4i::meter_spec::Unit;
        match self.member_arg(args, i).as_deref() {
            Some("packets") => Unit::Packets,
            Some("bytes") => Unit::Bytes,
            _ => {
                self.errors.push(Error::new(
                    ErrorKind::NotConstant {
                        what: "a meter type".into(),
                    },
                    args.get(i).map_or(loc, |e| self.p.exprs.loc(*e)),
                ));
                Unit::Unspecified
            }
        }
    }

    /// The resource extern instance `inst` (of extern `ext` with type arguments `targs`)
    /// stands for, `None` for externs that are no control-plane object.
    fn resource(
        &mut self,
        inst: Handle<Decl>,
        ext: Handle<Decl>,
        targs: &[TypeId],
    ) -> Option<Resource> {
        let p = self.p;
        let loc = p.decls.loc(inst);
        let Decl::Instance(i) = &p.decls[inst] else {
            return None;
        };
        let args: Vec<Handle<Expr>> = i.args.iter().map(|a| a.value).collect();
        let ext_name = p.decls[ext]
            .name()
            .map(|n| n.name.as_str())
            .unwrap_or_default();
        Some(match ext_name {
            "counter" | "Counter" => Resource::Counter {
                size: self.int_arg(&args, 0, "the counter size", loc)?,
                unit: self.counter_unit(&args, 1, loc),
            },
            "direct_counter" | "DirectCounter" => Resource::DirectCounter {
                unit: self.counter_unit(&args, 0, loc),
            },
            "meter" | "Meter" => Resource::Meter {
                size: self.int_arg(&args, 0, "the meter size", loc)?,
                unit: self.meter_unit(&args, 1, loc),
            },
            "direct_meter" | "DirectMeter" => Resource::DirectMeter {
                unit: self.meter_unit(&args, 0, loc),
            },
            "register" | "Register" => {
                let width = targs.first().and_then(|t| bit_width(p, self.c, *t));
                let Some(width) = width else {
                    self.unsupported("a register of a type without a fixed width", loc);
                    return None;
                };
                Resource::Register {
                    size: i32::try_from(self.int_arg(&args, 0, "the register size", loc)?)
                        .unwrap_or(i32::MAX),
                    width,
                }
            }
            "action_profile" | "ActionProfile" => Resource::Profile {
                size: self.int_arg(&args, 0, "the action profile size", loc)?,
                selector: false,
                max_group_size: 0,
            },
            // v1model: action_selector(algorithm, size, output width).
            "action_selector" => Resource::Profile {
                size: self.int_arg(&args, 1, "the action selector size", loc)?,
                selector: true,
                max_group_size: 0,
            },
            // TNA: ActionSelector(size, hash, mode), or (profile, hash, mode, max group
            // size, number of groups) where the members live in the profile.
            "ActionSelector" => {
                if args.len() >= 5 {
                    let profile = match self.c.def_of(args[0]) {
                        Some(Def::Decl(d)) => d,
                        _ => {
                            self.unsupported(
                                "an ActionSelector whose profile is not a named instance",
                                loc,
                            );
                            return None;
                        }
                    };
                    let Decl::Instance(pi) = &p.decls[profile] else {
                        return None;
                    };
                    let pargs: Vec<Handle<Expr>> = pi.args.iter().map(|a| a.value).collect();
                    Resource::Profile {
                        size: self.int_arg(&pargs, 0, "the action profile size", loc)?,
                        selector: true,
                        max_group_size: i32::try_from(self.int_arg(
                            &args,
                            3,
                            "the maximum group size",
                            loc,
                        )?)
                        .unwrap_or(i32::MAX),
                    }
                } else {
                    Resource::Profile {
                        size: self.int_arg(&args, 0, "the action selector size", loc)?,
                        selector: true,
                        max_group_size: 0,
                    }
                }
            }
            "Digest" => Resource::Digest {
                ty: *targs.first()?,
            },
            _ => return None,
        })
    }

    /// v1model's `digest<T>(receiver, data)`: one digest per digested struct type, named after
    /// the type (p4c's rule), in the blocks the walk reached.
    fn digest_calls(&mut self) {
        let p = self.p;
        for (e, expr) in p.exprs.iter() {
            let Some(CallTarget::Function(f)) = self.c.calls[e.index()] else {
                continue;
            };
            if !matches!(&p.decls[f], Decl::ExternFunction(s) if s.name.name == "digest") {
                continue;
            }
            let Expr::Call { args, .. } = expr else {
                continue;
            };
            let Some(data) = args.get(1) else { continue };
            let ty = self.c.type_of(data.value);
            let (Type::Struct(d) | Type::Header(d)) = self.c.types.get(ty) else {
                continue;
            };
            if let Some(n) = p.decls[*d].name() {
                self.out
                    .resources
                    .insert(n.name.clone(), (Resource::Digest { ty }, None));
            }
        }
    }

    /// Ids (`@id` first, then hashes in name order), then the P4Info itself.
    fn finish(mut self, program: &str, arch: &str) -> Result<p4i::P4Info, Vec<Error>> {
        let p = self.p;
        let c = self.c;
        let mut out = std::mem::take(&mut self.out);
        let mut alloc = Allocator::new();
        let mut aliases = Aliases::new();
        let annotated =
            |d: Handle<Decl>| crate::sema::annotation_int(p, p.decls[d].annotations(), "id");
        out.tables.sort_by(|a, b| a.name.cmp(&b.name));
        out.tables.dedup_by(|a, b| a.name == b.name);
        for t in &out.tables {
            alloc.add(Prefix::Table, &t.name, annotated(t.decl));
            aliases.add(&t.name);
        }
        for (n, d) in &out.actions {
            alloc.add(Prefix::Action, n, annotated(*d));
            aliases.add(n);
        }
        for (n, (r, d)) in &out.resources {
            alloc.add(r.prefix(), n, d.and_then(annotated));
            aliases.add(n);
        }
        for (n, d) in &out.value_sets {
            alloc.add(Prefix::ValueSet, n, annotated(*d));
            aliases.add(n);
        }
        let headers: Vec<(Handle<Decl>, String)> = p
            .items
            .iter()
            .filter(|h| matches!(p.decls[**h], Decl::Header(_)))
            .filter_map(|h| {
                crate::sema::annotation_string(p, p.decls[*h].annotations(), "controller_header")
                    .map(|n| (*h, n))
            })
            .collect();
        for (d, n) in &headers {
            alloc.add(Prefix::ControllerHeader, n, annotated(*d));
            aliases.add(n);
        }
        let ids = alloc.finish().map_err(|errs| {
            errs.into_iter()
                .map(|e| Error {
                    kind: ErrorKind::Id {
                        message: e.to_string(),
                    },
                    loc: None,
                })
                .collect::<Vec<_>>()
        })?;
        let id = |prefix: Prefix, n: &str| ids.get(prefix, n).unwrap_or(0);
        let preamble = |id: u32, name: &str| {
            Some(p4i::Preamble {
                id,
                name: name.to_string(),
                alias: aliases.alias(name).to_string(),
                ..Default::default()
            })
        };
        let mut info = p4i::P4Info {
            pkg_info: Some(p4i::PkgInfo {
                name: program.to_string(),
                arch: arch.to_string(),
                ..Default::default()
            }),
            ..Default::default()
        };
        // Which tables use each profile and direct resource.
        let mut users: HashMap<String, Vec<u32>> = HashMap::new();
        for t in &out.tables {
            let tid = id(Prefix::Table, &t.name);
            for r in t.direct.iter().chain(&t.implementation) {
                users.entry(r.clone()).or_default().push(tid);
            }
            let Some(ti) = c.decl(t.decl).table.as_ref() else {
                continue;
            };
            let Decl::Table(ast_table) = &p.decls[t.decl] else {
                continue;
            };
            let mut match_fields = Vec::new();
            for k in ti.keys.iter().filter(|k| k.match_kind != "selector") {
                let Some(width) = bit_width(p, c, k.ty) else {
                    self.unsupported("a table key without a fixed width", p.exprs.loc(k.expr));
                    continue;
                };
                use p4i::match_field::{Match, MatchType as M};
                let m = match k.match_kind.as_str() {
                    "exact" => Match::MatchType(M::Exact as i32),
                    "lpm" => Match::MatchType(M::Lpm as i32),
                    "ternary" => Match::MatchType(M::Ternary as i32),
                    "range" => Match::MatchType(M::Range as i32),
                    "optional" => Match::MatchType(M::Optional as i32),
                    other => Match::OtherMatchType(other.to_string()),
                };
                match_fields.push(p4i::MatchField {
                    id: match_fields.len() as u32 + 1,
                    name: k.name.clone(),
                    bitwidth: i32::try_from(width).unwrap_or(i32::MAX),
                    r#match: Some(m),
                    ..Default::default()
                });
            }
            let size = match ti.size {
                Some(n) => i64::try_from(n).unwrap_or(i64::MAX),
                None => DEFAULT_SIZE,
            };
            // TNA spells `support_timeout` as `idle_timeout`.
            let idle = ti.support_timeout
                || ast_table
                    .property("idle_timeout")
                    .and_then(|prop| match &prop.kind {
                        crate::ast::TablePropertyKind::Value(e) => c.value_of(*e),
                        _ => None,
                    })
                    .and_then(Value::as_bool)
                    == Some(true);
            info.tables.push(p4i::Table {
                preamble: preamble(tid, &t.name),
                match_fields,
                action_refs: t
                    .actions
                    .iter()
                    .map(|(a, scope)| p4i::ActionRef {
                        id: id(Prefix::Action, a),
                        scope: *scope as i32,
                        ..Default::default()
                    })
                    .collect(),
                const_default_action_id: t
                    .const_default
                    .as_deref()
                    .map_or(0, |a| id(Prefix::Action, a)),
                implementation_id: t
                    .implementation
                    .as_deref()
                    .map_or(0, |n| id(Prefix::ActionProfile, n)),
                direct_resource_ids: t
                    .direct
                    .iter()
                    .filter_map(|n| out.resources.get(n).map(|(r, _)| id(r.prefix(), n)))
                    .collect(),
                size,
                idle_timeout_behavior: if idle {
                    p4i::table::IdleTimeoutBehavior::NotifyControl as i32
                } else {
                    0
                },
                is_const_table: ti.entries_const,
                has_initial_entries: !ti.entries.is_empty(),
                ..Default::default()
            });
        }
        for (n, d) in &out.actions {
            let Decl::Action(a) = &p.decls[*d] else {
                continue;
            };
            let mut params = Vec::new();
            for prm in a.params.iter().filter(|prm| prm.direction.is_none()) {
                let Some(width) = bit_width(p, c, c.type_ref(prm.ty)) else {
                    self.unsupported("action data without a fixed width", prm.loc);
                    continue;
                };
                params.push(p4i::action::Param {
                    id: params.len() as u32 + 1,
                    name: prm.name.name.clone(),
                    bitwidth: i32::try_from(width).unwrap_or(i32::MAX),
                    ..Default::default()
                });
            }
            info.actions.push(p4i::Action {
                preamble: preamble(id(Prefix::Action, n), n),
                params,
            });
        }
        for (n, (r, _)) in &out.resources {
            let pre = preamble(id(r.prefix(), n), n);
            let mut tables = users.get(n).cloned().unwrap_or_default();
            tables.sort_unstable();
            tables.dedup();
            let direct_table_id = tables.first().copied().unwrap_or(0);
            match r {
                Resource::Counter { size, unit } => info.counters.push(p4i::Counter {
                    preamble: pre,
                    spec: Some(p4i::CounterSpec { unit: *unit as i32 }),
                    size: *size,
                    ..Default::default()
                }),
                Resource::DirectCounter { unit } => info.direct_counters.push(p4i::DirectCounter {
                    preamble: pre,
                    spec: Some(p4i::CounterSpec { unit: *unit as i32 }),
                    direct_table_id,
                }),
                Resource::Meter { size, unit } => info.meters.push(p4i::Meter {
                    preamble: pre,
                    spec: Some(p4i::MeterSpec {
                        unit: *unit as i32,
                        ..Default::default()
                    }),
                    size: *size,
                    ..Default::default()
                }),
                Resource::DirectMeter { unit } => info.direct_meters.push(p4i::DirectMeter {
                    preamble: pre,
                    spec: Some(p4i::MeterSpec {
                        unit: *unit as i32,
                        ..Default::default()
                    }),
                    direct_table_id,
                }),
                Resource::Register { size, width } => info.registers.push(p4i::Register {
                    preamble: pre,
                    type_spec: Some(bits_spec(*width)),
                    size: *size,
                    ..Default::default()
                }),
                Resource::Profile {
                    size,
                    selector,
                    max_group_size,
                } => info.action_profiles.push(p4i::ActionProfile {
                    preamble: pre,
                    table_ids: tables,
                    with_selector: *selector,
                    size: *size,
                    max_group_size: *max_group_size,
                    ..Default::default()
                }),
                Resource::Digest { ty } => {
                    let Some(spec) = self.struct_spec(*ty, &mut info) else {
                        continue;
                    };
                    info.digests.push(p4i::Digest {
                        preamble: pre,
                        type_spec: Some(spec),
                    });
                }
            }
        }
        for (n, d) in &out.value_sets {
            let Decl::ValueSet(vs) = &p.decls[*d] else {
                continue;
            };
            let elem = c.type_ref(vs.elem);
            let fields: Vec<(String, TypeId)> = match c.types.get(elem) {
                Type::Struct(s) => fields_of(p, c, *s),
                _ => vec![("0".to_string(), elem)],
            };
            let mut matches = Vec::new();
            for (k, (fname, fty)) in fields.into_iter().enumerate() {
                let Some(width) = bit_width(p, c, fty) else {
                    self.unsupported("a value set field without a fixed width", p.decls.loc(*d));
                    continue;
                };
                matches.push(p4i::MatchField {
                    id: k as u32 + 1,
                    name: fname,
                    bitwidth: i32::try_from(width).unwrap_or(i32::MAX),
                    r#match: Some(p4i::match_field::Match::MatchType(
                        p4i::match_field::MatchType::Exact as i32,
                    )),
                    ..Default::default()
                });
            }
            let size = c
                .value_of(vs.size)
                .and_then(Value::as_int)
                .and_then(|v| i32::try_from(v).ok())
                .unwrap_or(0);
            info.value_sets.push(p4i::ValueSet {
                preamble: preamble(id(Prefix::ValueSet, n), n),
                r#match: matches,
                size,
            });
        }
        for (d, n) in &headers {
            let mut metadata = Vec::new();
            for (fname, fty) in fields_of(p, c, *d) {
                let Some(width) = bit_width(p, c, fty) else {
                    continue;
                };
                metadata.push(p4i::controller_packet_metadata::Metadata {
                    id: metadata.len() as u32 + 1,
                    name: fname,
                    bitwidth: i32::try_from(width).unwrap_or(i32::MAX),
                    ..Default::default()
                });
            }
            info.controller_packet_metadata
                .push(p4i::ControllerPacketMetadata {
                    preamble: preamble(id(Prefix::ControllerHeader, n), n),
                    metadata,
                });
        }
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        // Names are unique per kind and the maps iterate in name order; tables were sorted.
        info.controller_packet_metadata.sort_by(|a, b| {
            a.preamble
                .as_ref()
                .map(|p| &p.name)
                .cmp(&b.preamble.as_ref().map(|p| &p.name))
        });
        Ok(info)
    }

    /// The P4Info type of a digested struct or header, described in `type_info`.
    fn struct_spec(&mut self, ty: TypeId, info: &mut p4i::P4Info) -> Option<p4i::P4DataTypeSpec> {
        let p = self.p;
        let c = self.c;
        let (Type::Struct(d) | Type::Header(d)) = c.types.get(ty) else {
            return None;
        };
        let name = p.decls[*d].name()?.name.clone();
        let mut members = Vec::new();
        for (fname, fty) in fields_of(p, c, *d) {
            let spec = if *c.types.get(fty) == Type::Bool {
                p4i::P4DataTypeSpec {
                    type_spec: Some(p4i::p4_data_type_spec::TypeSpec::Bool(p4i::P4BoolType {})),
                }
            } else if let Some(w) = bit_width(p, c, fty) {
                bits_spec(w)
            } else {
                self.unsupported("a digest field without a fixed width", p.decls.loc(*d));
                return None;
            };
            members.push(p4i::p4_struct_type_spec::Member {
                name: fname,
                type_spec: Some(spec),
            });
        }
        let ti = info.type_info.get_or_insert_with(Default::default);
        use p4i::p4_data_type_spec::TypeSpec;
        let spec = if matches!(c.types.get(ty), Type::Header(_)) {
            let members = members
                .into_iter()
                .filter_map(|m| match m.type_spec?.type_spec? {
                    TypeSpec::Bitstring(b) => Some(p4i::p4_header_type_spec::Member {
                        name: m.name,
                        type_spec: Some(b),
                    }),
                    _ => None,
                })
                .collect();
            ti.headers.insert(
                name.clone(),
                p4i::P4HeaderTypeSpec {
                    members,
                    ..Default::default()
                },
            );
            TypeSpec::Header(p4i::P4NamedType { name })
        } else {
            ti.structs.insert(
                name.clone(),
                p4i::P4StructTypeSpec {
                    members,
                    ..Default::default()
                },
            );
            TypeSpec::Struct(p4i::P4NamedType { name })
        };
        Some(p4i::P4DataTypeSpec {
            type_spec: Some(spec),
        })
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn bits_spec(width: u32) -> p4i::P4DataTypeSpec {
    use p4i::p4_bitstring_like_type_spec::TypeSpec as B;
    p4i::P4DataTypeSpec {
        type_spec: Some(p4i::p4_data_type_spec::TypeSpec::Bitstring(
            p4i::P4BitstringLikeTypeSpec {
                type_spec: Some(B::Bit(p4i::P4BitTypeSpec {
                    bitwidth: i32::try_from(width).unwrap_or(i32::MAX),
                })),
                ..Default::default()
            },
        )),
    }
}

/// Names and types of the fields of a header, union or struct declaration.
fn fields_of(p: &Program, c: &Checked, d: Handle<Decl>) -> Vec<(String, TypeId)> {
    match &p.decls[d] {
        Decl::Header(a) | Decl::HeaderUnion(a) | Decl::Struct(a) => a
            .fields
            .iter()
            .map(|f| (f.name.name.clone(), c.type_ref(f.ty)))
            .collect(),
        _ => Vec::new(),
    }
}

/// The width a value of type `t` has on the wire: `bit`/`int` widths, 1 for `bool`, the
/// representation of serializable enums and new types.
fn bit_width(p: &Program, c: &Checked, t: TypeId) -> Option<u32> {
    let mut t = t;
    // New types and enums refer to other types; the chain is finite but bounded anyway.
    for _ in 0..MAX_NESTING {
        match c.types.get(t) {
            Type::Bool => return Some(1),
            Type::Bit(w) | Type::Int(w) | Type::Varbit(w) => return Some(*w),
            Type::Error => return Some(u32::from(ddsr_pipeline::program::ERROR_WIDTH)),
            Type::Enum(d) => match &p.decls[*d] {
                Decl::Enum(e) => t = c.type_ref(e.repr?),
                _ => return None,
            },
            Type::NewType(d) => match &p.decls[*d] {
                Decl::Typedef(td) => match td.target {
                    TypedefTarget::Type(r) => t = c.type_ref(r),
                    TypedefTarget::Decl(_) => return None,
                },
                _ => return None,
            },
            _ => return None,
        }
    }
    None
}

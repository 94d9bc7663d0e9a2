//! P4Info (P4Runtime v1 `p4.config.v1.P4Info`) of a P4 program.
//!
//! Two sources, one naming and id scheme: [`build`] reads a [`Lowered`] v1model pipeline (and
//! writes the ids into it, for the softswitch), [`arch::build`] reads the checked program of
//! any architecture (TNA included) with no pipeline IR; [`info`] picks the one that fits.
//!
//! The input of [`build`] is a [`Lowered`] pipeline: its tables, actions, extern instances and value sets
//! are exactly what the control plane can name (p4c's rule: unused tables and actions are
//! gone, `@hidden` objects are kept out). Ids come from [`ddsr_proto::ids::Allocator`]
//! (`@id` first, then the Jenkins hash of the fully qualified name in sorted order, probing on
//! collision) and are written back into the pipeline, so the softswitch and a controller agree
//! on them. Every list in the result is sorted by name.

pub mod arch;

use std::collections::HashMap;

use ddsr_pipeline::externs::{CounterUnit, ExternKind, MeterUnit};
use ddsr_pipeline::program::Architecture;
use ddsr_pipeline::table::{ActionScope, Implementation, MatchKind};
use ddsr_pipeline::types::Ty;
use ddsr_proto::ids::{Aliases, Allocator, Prefix};
use ddsr_proto::p4::config::v1 as p4i;

use ddsr_diag::{Diagnostic, Severity};

use crate::ast::{AnnotationBody, Decl, Expr, Handle, Program, find_annotation};
use crate::lower::{Error, ErrorKind, Lowered};

/// A program compiled for the softswitch and the control plane.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The pipeline, with the P4Info ids written into it.
    pub lowered: Lowered,
    pub p4info: p4i::P4Info,
    /// Warnings of the checker.
    pub warnings: Vec<Diagnostic>,
}

/// The P4Info of a program of any architecture, with the checker's warnings.
#[derive(Debug, Clone)]
pub struct Info {
    pub p4info: p4i::P4Info,
    pub warnings: Vec<Diagnostic>,
}

/// Checks, lowers and builds the P4Info of a parsed program named `name`; on failure every
/// diagnostic (checker, lowering, ids), sorted by position.
pub fn compile(program: &Program, name: &str) -> Result<Compiled, Vec<Diagnostic>> {
    let (checked, diags) = crate::sema::check(program);
    compile_checked(program, &checked, name, diags)
}

/// The P4Info of a parsed program named `name`: a v1model program is lowered first (so its
/// P4Info is exactly the one the softswitch's pipeline carries), any other architecture's
/// (TNA's `Switch`) is read from the checked program.
pub fn info(program: &Program, name: &str) -> Result<Info, Vec<Diagnostic>> {
    let (checked, mut diags) = crate::sema::check(program);
    if diags.iter().any(|d| d.severity == Severity::Error) {
        return Err(diags);
    }
    if is_v1switch(program, &checked) {
        let c = compile_checked(program, &checked, name, diags)?;
        return Ok(Info {
            p4info: c.p4info,
            warnings: c.warnings,
        });
    }
    let p4info = arch::build(program, &checked, name)
        .map_err(|errs| errs.iter().map(Error::to_diagnostic).collect::<Vec<_>>())?;
    diags.retain(|d| d.severity != Severity::Error);
    Ok(Info {
        p4info,
        warnings: diags,
    })
}

/// Whether `main` is an instance of v1model's `V1Switch`.
fn is_v1switch(p: &Program, c: &crate::sema::Checked) -> bool {
    let Some(main) = c.main else {
        return false;
    };
    match c.decl(main).ty.map(|t| c.types.get(t)) {
        Some(crate::sema::Type::Package { decl, .. }) => {
            p.decls[*decl].name().is_some_and(|n| n.name == "V1Switch")
        }
        _ => false,
    }
}

fn compile_checked(
    program: &Program,
    checked: &crate::sema::Checked,
    name: &str,
    mut diags: Vec<Diagnostic>,
) -> Result<Compiled, Vec<Diagnostic>> {
    if diags.iter().any(|d| d.severity == Severity::Error) {
        return Err(diags);
    }
    let mut lowered = crate::lower::lower(program, checked, name)
        .map_err(|errs| errs.iter().map(Error::to_diagnostic).collect::<Vec<_>>())?;
    let p4info = match lowered.pipeline.architecture() {
        Architecture::V1model => build(program, &mut lowered),
        Architecture::Tna => arch::build(program, checked, name)
            .inspect(|info| write_ids(info, &mut lowered.pipeline)),
    }
    .map_err(|errs| errs.iter().map(Error::to_diagnostic).collect::<Vec<_>>())?;
    diags.retain(|d| d.severity != Severity::Error);
    Ok(Compiled {
        lowered,
        p4info,
        warnings: diags,
    })
}

/// Writes the ids of `info` into the pipeline's objects of the same names (the P4Info of a
/// program read by [`arch::build`] names them as the lowering does); objects the P4Info
/// leaves out (`@hidden`) keep 0.
fn write_ids(info: &p4i::P4Info, pl: &mut ddsr_pipeline::Pipeline) {
    fn find<'a, T: 'a>(
        items: impl IntoIterator<Item = &'a T>,
        preamble: impl Fn(&T) -> Option<&p4i::Preamble>,
        name: &str,
    ) -> u32 {
        items
            .into_iter()
            .filter_map(preamble)
            .find(|p| p.name == name)
            .map_or(0, |p| p.id)
    }
    for h in pl.actions.handles() {
        let a = &mut pl.actions[h];
        a.id = find(&info.actions, |x| x.preamble.as_ref(), &a.name);
    }
    for h in pl.tables.handles() {
        let t = &mut pl.tables[h];
        t.id = find(&info.tables, |x| x.preamble.as_ref(), &t.name);
    }
    for h in pl.externs.handles() {
        let e = &mut pl.externs[h];
        e.id = match e.kind {
            ExternKind::Counter { .. } => find(&info.counters, |x| x.preamble.as_ref(), &e.name),
            ExternKind::DirectCounter { .. } => {
                find(&info.direct_counters, |x| x.preamble.as_ref(), &e.name)
            }
            ExternKind::Meter { .. } => find(&info.meters, |x| x.preamble.as_ref(), &e.name),
            ExternKind::DirectMeter { .. } => {
                find(&info.direct_meters, |x| x.preamble.as_ref(), &e.name)
            }
            ExternKind::Register { .. } => find(&info.registers, |x| x.preamble.as_ref(), &e.name),
            ExternKind::ActionProfile { .. } | ExternKind::ActionSelector { .. } => {
                find(&info.action_profiles, |x| x.preamble.as_ref(), &e.name)
            }
            ExternKind::Digest { .. } => find(&info.digests, |x| x.preamble.as_ref(), &e.name),
        };
    }
    for h in pl.value_sets.handles() {
        let v = &mut pl.value_sets[h];
        v.id = find(&info.value_sets, |x| x.preamble.as_ref(), &v.name);
    }
}

/// The P4Info in protobuf text format (what p4c writes with `--p4runtime-files x.txtpb`).
pub fn to_text(info: &p4i::P4Info) -> Result<String, ddsr_proto::text::TextError> {
    ddsr_proto::text::to_text(info)
}

/// The P4Info in the canonical protobuf JSON mapping.
pub fn to_json(info: &p4i::P4Info) -> Result<String, ddsr_proto::text::TextError> {
    ddsr_proto::text::to_json(info)
}

/// The integer of `@id(n)` on a declaration.
fn annotated_id(p: &Program, d: Handle<Decl>) -> Option<u64> {
    let a = find_annotation(p.decls[d].annotations(), "id")?;
    let exprs = match &a.body {
        AnnotationBody::Unstructured {
            exprs: Some(es), ..
        }
        | AnnotationBody::ExprList(es) => es,
        _ => return None,
    };
    match exprs.first().map(|e| &p.exprs[*e]) {
        Some(Expr::Int(lit)) if !lit.negative => u64::try_from(&lit.value).ok(),
        _ => None,
    }
}

fn hidden(p: &Program, d: Handle<Decl>) -> bool {
    find_annotation(p.decls[d].annotations(), "hidden").is_some()
}

/// The string of `@controller_header("name")`.
fn controller_header_name(p: &Program, d: Handle<Decl>) -> Option<String> {
    let a = find_annotation(p.decls[d].annotations(), "controller_header")?;
    match &a.body {
        AnnotationBody::Unstructured {
            exprs: Some(es), ..
        }
        | AnnotationBody::ExprList(es) => match es.first().map(|e| &p.exprs[*e]) {
            Some(Expr::String(s)) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn extern_prefix(kind: &ExternKind) -> Prefix {
    match kind {
        ExternKind::Counter { .. } => Prefix::Counter,
        ExternKind::DirectCounter { .. } => Prefix::DirectCounter,
        ExternKind::Meter { .. } => Prefix::Meter,
        ExternKind::DirectMeter { .. } => Prefix::DirectMeter,
        ExternKind::Register { .. } => Prefix::Register,
        ExternKind::ActionProfile { .. } | ExternKind::ActionSelector { .. } => {
            Prefix::ActionProfile
        }
        ExternKind::Digest { .. } => Prefix::Digest,
    }
}

fn bitstring(ty: Ty) -> p4i::P4BitstringLikeTypeSpec {
    use p4i::p4_bitstring_like_type_spec::TypeSpec;
    let w = i32::from(ty.width());
    p4i::P4BitstringLikeTypeSpec {
        type_spec: Some(match ty {
            Ty::Int(_) => TypeSpec::Int(p4i::P4IntTypeSpec { bitwidth: w }),
            Ty::Varbit(_) => TypeSpec::Varbit(p4i::P4VarbitTypeSpec { max_bitwidth: w }),
            Ty::Bool | Ty::Bit(_) => TypeSpec::Bit(p4i::P4BitTypeSpec { bitwidth: w }),
        }),
        ..Default::default()
    }
}

fn data_spec(ty: Ty) -> p4i::P4DataTypeSpec {
    use p4i::p4_data_type_spec::TypeSpec;
    p4i::P4DataTypeSpec {
        type_spec: Some(match ty {
            Ty::Bool => TypeSpec::Bool(p4i::P4BoolType {}),
            _ => TypeSpec::Bitstring(bitstring(ty)),
        }),
    }
}

fn match_type(kind: MatchKind) -> p4i::match_field::MatchType {
    use p4i::match_field::MatchType as M;
    match kind {
        MatchKind::Exact => M::Exact,
        MatchKind::Lpm => M::Lpm,
        MatchKind::Ternary => M::Ternary,
        MatchKind::Range => M::Range,
        MatchKind::Optional => M::Optional,
    }
}

fn counter_unit(u: CounterUnit) -> p4i::CounterSpec {
    use p4i::counter_spec::Unit;
    p4i::CounterSpec {
        unit: match u {
            CounterUnit::Packets => Unit::Packets,
            CounterUnit::Bytes => Unit::Bytes,
            CounterUnit::PacketsAndBytes => Unit::Both,
        } as i32,
    }
}

fn meter_unit(u: MeterUnit) -> p4i::MeterSpec {
    use p4i::meter_spec::Unit;
    p4i::MeterSpec {
        unit: match u {
            MeterUnit::Packets => Unit::Packets,
            MeterUnit::Bytes => Unit::Bytes,
        } as i32,
        ..Default::default()
    }
}

/// Builds the P4Info of `lowered` and writes the ids into its pipeline.
pub fn build(p: &Program, lowered: &mut Lowered) -> Result<p4i::P4Info, Vec<Error>> {
    let pl = &lowered.pipeline;
    let o = &lowered.origins;
    let mut alloc = Allocator::new();
    let mut aliases = Aliases::new();
    let visible_action: Vec<bool> = o.actions.iter().map(|d| !hidden(p, *d)).collect();
    let visible_table: Vec<bool> = o.tables.iter().map(|d| !hidden(p, *d)).collect();
    for (i, (_, a)) in pl.actions.iter().enumerate() {
        if visible_action[i] {
            alloc.add(Prefix::Action, &a.name, annotated_id(p, o.actions[i]));
            aliases.add(&a.name);
        }
    }
    for (i, (_, t)) in pl.tables.iter().enumerate() {
        if visible_table[i] {
            alloc.add(Prefix::Table, &t.name, annotated_id(p, o.tables[i]));
            aliases.add(&t.name);
        }
    }
    for (i, (_, e)) in pl.externs.iter().enumerate() {
        let id = o
            .externs
            .get(i)
            .copied()
            .flatten()
            .and_then(|d| annotated_id(p, d));
        alloc.add(extern_prefix(&e.kind), &e.name, id);
        aliases.add(&e.name);
    }
    for (i, (_, v)) in pl.value_sets.iter().enumerate() {
        alloc.add(Prefix::ValueSet, &v.name, annotated_id(p, o.value_sets[i]));
        aliases.add(&v.name);
    }
    let headers: Vec<(Handle<Decl>, String)> = o
        .controller_headers
        .iter()
        .filter_map(|d| controller_header_name(p, *d).map(|n| (*d, n)))
        .collect();
    for (d, name) in &headers {
        alloc.add(Prefix::ControllerHeader, name, annotated_id(p, *d));
        aliases.add(name);
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
    // Write the ids back so the pipeline and the P4Info agree.
    let pl = &mut lowered.pipeline;
    for h in pl.actions.handles() {
        let a = &mut pl.actions[h];
        a.id = ids.get(Prefix::Action, &a.name).unwrap_or(0);
    }
    for h in pl.tables.handles() {
        let t = &mut pl.tables[h];
        t.id = ids.get(Prefix::Table, &t.name).unwrap_or(0);
    }
    for h in pl.externs.handles() {
        let e = &mut pl.externs[h];
        e.id = ids.get(extern_prefix(&e.kind), &e.name).unwrap_or(0);
    }
    for h in pl.value_sets.handles() {
        let v = &mut pl.value_sets[h];
        v.id = ids.get(Prefix::ValueSet, &v.name).unwrap_or(0);
    }
    let pl = &lowered.pipeline;
    let preamble = |id: u32, name: &str| p4i::Preamble {
        id,
        name: name.to_string(),
        alias: aliases.alias(name).to_string(),
        ..Default::default()
    };
    let mut info = p4i::P4Info {
        pkg_info: Some(p4i::PkgInfo {
            name: pl.program.clone(),
            arch: "v1model".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    // Tables that use each action profile and direct resource.
    let mut users: HashMap<u32, Vec<u32>> = HashMap::new();
    for (i, (_, t)) in pl.tables.iter().enumerate() {
        if !visible_table[i] {
            continue;
        }
        let mut match_fields = Vec::new();
        for (k, key) in t.keys.iter().enumerate() {
            match_fields.push(p4i::MatchField {
                id: k as u32 + 1,
                name: key.name.clone(),
                bitwidth: i32::from(key.width),
                r#match: Some(p4i::match_field::Match::MatchType(
                    match_type(key.match_kind) as i32,
                )),
                ..Default::default()
            });
        }
        let action_refs = t
            .actions
            .iter()
            .filter(|r| visible_action[r.action.index()])
            .map(|r| p4i::ActionRef {
                id: pl.actions[r.action].id,
                scope: match r.scope {
                    ActionScope::TableAndDefault => p4i::action_ref::Scope::TableAndDefault,
                    ActionScope::TableOnly => p4i::action_ref::Scope::TableOnly,
                    ActionScope::DefaultOnly => p4i::action_ref::Scope::DefaultOnly,
                } as i32,
                ..Default::default()
            })
            .collect();
        let implementation_id = match t.implementation {
            Implementation::Direct => 0,
            Implementation::ActionProfile(h) | Implementation::ActionSelector(h) => {
                pl.externs[h].id
            }
        };
        let direct_resource_ids: Vec<u32> = [t.direct_counter, t.direct_meter]
            .into_iter()
            .flatten()
            .map(|h| pl.externs[h].id)
            .collect();
        for r in direct_resource_ids
            .iter()
            .chain(std::iter::once(&implementation_id))
        {
            if *r != 0 {
                users.entry(*r).or_default().push(t.id);
            }
        }
        info.tables.push(p4i::Table {
            preamble: Some(preamble(t.id, &t.name)),
            match_fields,
            action_refs,
            const_default_action_id: if t.default_const {
                pl.actions[t.default_action.action].id
            } else {
                0
            },
            implementation_id,
            direct_resource_ids,
            size: i64::from(t.size),
            idle_timeout_behavior: if t.idle_timeout {
                p4i::table::IdleTimeoutBehavior::NotifyControl as i32
            } else {
                0
            },
            is_const_table: t.entries_const,
            has_initial_entries: !t.entries.is_empty(),
            ..Default::default()
        });
    }
    for (i, (_, a)) in pl.actions.iter().enumerate() {
        if !visible_action[i] {
            continue;
        }
        info.actions.push(p4i::Action {
            preamble: Some(preamble(a.id, &a.name)),
            params: a
                .params
                .iter()
                .enumerate()
                .map(|(k, prm)| p4i::action::Param {
                    id: k as u32 + 1,
                    name: prm.name.clone(),
                    bitwidth: i32::from(prm.width),
                    ..Default::default()
                })
                .collect(),
        });
    }
    for (i, (_, e)) in pl.externs.iter().enumerate() {
        let pre = Some(preamble(e.id, &e.name));
        let direct_table = users
            .get(&e.id)
            .and_then(|ts| ts.first())
            .copied()
            .unwrap_or(0);
        match &e.kind {
            ExternKind::Counter { size, unit } => info.counters.push(p4i::Counter {
                preamble: pre,
                spec: Some(counter_unit(*unit)),
                size: i64::from(*size),
                ..Default::default()
            }),
            ExternKind::DirectCounter { unit } => info.direct_counters.push(p4i::DirectCounter {
                preamble: pre,
                spec: Some(counter_unit(*unit)),
                direct_table_id: direct_table,
            }),
            ExternKind::Meter { size, unit } => info.meters.push(p4i::Meter {
                preamble: pre,
                spec: Some(meter_unit(*unit)),
                size: i64::from(*size),
                ..Default::default()
            }),
            ExternKind::DirectMeter { unit } => info.direct_meters.push(p4i::DirectMeter {
                preamble: pre,
                spec: Some(meter_unit(*unit)),
                direct_table_id: direct_table,
            }),
            ExternKind::Register { size, width } => info.registers.push(p4i::Register {
                preamble: pre,
                type_spec: Some(data_spec(Ty::Bit(*width))),
                size: i32::try_from(*size).unwrap_or(i32::MAX),
                ..Default::default()
            }),
            ExternKind::ActionProfile { size } | ExternKind::ActionSelector { size, .. } => {
                let mut tables = users.get(&e.id).cloned().unwrap_or_default();
                tables.sort_unstable();
                tables.dedup();
                info.action_profiles.push(p4i::ActionProfile {
                    preamble: pre,
                    table_ids: tables,
                    with_selector: matches!(e.kind, ExternKind::ActionSelector { .. }),
                    size: i64::from(*size),
                    ..Default::default()
                });
            }
            ExternKind::Digest { fields } => {
                let type_name = match lowered.origins.externs.get(i).copied().flatten() {
                    Some(d) => p.decls[d]
                        .name()
                        .map(|n| n.name.clone())
                        .unwrap_or_else(|| e.name.clone()),
                    None => e.name.clone(),
                };
                let ti = info.type_info.get_or_insert_with(Default::default);
                ti.structs.insert(
                    type_name.clone(),
                    p4i::P4StructTypeSpec {
                        members: fields
                            .iter()
                            .map(|f| p4i::p4_struct_type_spec::Member {
                                name: f.name.clone(),
                                type_spec: Some(data_spec(f.ty)),
                            })
                            .collect(),
                        ..Default::default()
                    },
                );
                info.digests.push(p4i::Digest {
                    preamble: pre,
                    type_spec: Some(p4i::P4DataTypeSpec {
                        type_spec: Some(p4i::p4_data_type_spec::TypeSpec::Struct(
                            p4i::P4NamedType { name: type_name },
                        )),
                    }),
                });
            }
        }
    }
    for (i, (_, v)) in pl.value_sets.iter().enumerate() {
        let names: Vec<String> = match value_set_fields(p, lowered, i) {
            Some(n) if n.len() == v.fields.len() => n,
            _ => (0..v.fields.len()).map(|k| k.to_string()).collect(),
        };
        info.value_sets.push(p4i::ValueSet {
            preamble: Some(preamble(v.id, &v.name)),
            r#match: v
                .fields
                .iter()
                .zip(names)
                .enumerate()
                .map(|(k, (ty, name))| p4i::MatchField {
                    id: k as u32 + 1,
                    name,
                    bitwidth: i32::from(ty.width()),
                    r#match: Some(p4i::match_field::Match::MatchType(
                        p4i::match_field::MatchType::Exact as i32,
                    )),
                    ..Default::default()
                })
                .collect(),
            size: i32::try_from(v.size).unwrap_or(i32::MAX),
        });
    }
    for (d, name) in &headers {
        let Decl::Header(h) = &p.decls[*d] else {
            continue;
        };
        let header_ty = pl.header_types.iter().find(|(_, t)| t.name == h.name.name);
        let metadata = match header_ty {
            Some((_, t)) => t
                .fields
                .iter()
                .enumerate()
                .map(|(k, f)| p4i::controller_packet_metadata::Metadata {
                    id: k as u32 + 1,
                    name: f.name.clone(),
                    bitwidth: i32::from(f.ty.width()),
                    ..Default::default()
                })
                .collect(),
            None => Vec::new(),
        };
        let id = ids.get(Prefix::ControllerHeader, name).unwrap_or(0);
        info.controller_packet_metadata
            .push(p4i::ControllerPacketMetadata {
                preamble: Some(preamble(id, name)),
                metadata,
            });
    }
    let by_name =
        |x: &Option<p4i::Preamble>| x.as_ref().map(|p| p.name.clone()).unwrap_or_default();
    info.tables.sort_by_key(|t| by_name(&t.preamble));
    info.actions.sort_by_key(|t| by_name(&t.preamble));
    info.action_profiles.sort_by_key(|t| by_name(&t.preamble));
    info.counters.sort_by_key(|t| by_name(&t.preamble));
    info.direct_counters.sort_by_key(|t| by_name(&t.preamble));
    info.meters.sort_by_key(|t| by_name(&t.preamble));
    info.direct_meters.sort_by_key(|t| by_name(&t.preamble));
    info.registers.sort_by_key(|t| by_name(&t.preamble));
    info.digests.sort_by_key(|t| by_name(&t.preamble));
    info.value_sets.sort_by_key(|t| by_name(&t.preamble));
    info.controller_packet_metadata
        .sort_by_key(|t| by_name(&t.preamble));
    Ok(info)
}

/// Member names of value set `i`'s struct type, if it has one.
fn value_set_fields(p: &Program, lowered: &Lowered, i: usize) -> Option<Vec<String>> {
    let d = *lowered.origins.value_sets.get(i)?;
    let Decl::ValueSet(vs) = &p.decls[d] else {
        return None;
    };
    let crate::ast::TypeRef::Name(path) = &p.types[vs.elem] else {
        return None;
    };
    p.items.iter().find_map(|h| match &p.decls[*h] {
        Decl::Struct(s) if s.name.name == path.name.name => {
            Some(s.fields.iter().map(|f| f.name.name.clone()).collect())
        }
        _ => None,
    })
}

//! The id maps between a P4Info and the pipeline it describes, built once per committed
//! config so that translating an entity is a few hash lookups.
//!
//! Invariant: every table, match field, action and parameter the P4Info names exists in the
//! pipeline with the same name, match kind and width (checked by [`Schema::new`]); the
//! translation in [`crate::translate`] relies on it and indexes the pipeline without checks.

use std::collections::HashMap;

use ddsr_pipeline::arena::Handle;
use ddsr_pipeline::externs::{Extern, ExternKind};
use ddsr_pipeline::table::{MatchKind, Table};
use ddsr_pipeline::{Pipeline, program::Action};
use ddsr_proto::p4::config::v1 as p4i;

/// One P4Info match field of a table.
#[derive(Debug, Clone)]
pub struct Field {
    pub id: u32,
    /// Position of the key in the pipeline table.
    pub key: usize,
    pub kind: MatchKind,
    pub width: u16,
}

#[derive(Debug, Clone)]
pub struct TableIds {
    pub handle: Handle<Table>,
    /// In P4Info order.
    pub fields: Vec<Field>,
    /// The P4Info match field id of each pipeline key.
    pub field_of_key: Vec<u32>,
}

#[derive(Debug, Clone)]
pub struct ActionIds {
    pub handle: Handle<Action>,
    /// P4Info parameter id of each pipeline parameter, in pipeline order.
    pub param_ids: Vec<u32>,
}

/// An action profile or selector.
#[derive(Debug, Clone)]
pub struct ProfileIds {
    pub handle: Handle<Extern>,
    pub selector: bool,
    /// Largest weighted size of a group (P4Info `max_group_size`, else the profile's size).
    pub max_group_size: u32,
}

/// Id maps for one committed config.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub tables: HashMap<u32, TableIds>,
    pub table_ids: HashMap<Handle<Table>, u32>,
    pub actions: HashMap<u32, ActionIds>,
    pub action_ids: HashMap<Handle<Action>, u32>,
    /// Indexed counters by P4Info id.
    pub counters: HashMap<u32, Handle<Extern>>,
    pub meters: HashMap<u32, Handle<Extern>>,
    pub registers: HashMap<u32, Handle<Extern>>,
    pub profiles: HashMap<u32, ProfileIds>,
    pub profile_ids: HashMap<Handle<Extern>, u32>,
    pub digests: HashMap<u32, Handle<Extern>>,
    pub digest_ids: HashMap<Handle<Extern>, u32>,
}

fn name(p: &Option<p4i::Preamble>) -> (u32, &str) {
    p.as_ref().map_or((0, ""), |p| (p.id, p.name.as_str()))
}

impl Schema {
    /// Matches the P4Info against the pipeline; the error names the first disagreement.
    pub fn new(info: &p4i::P4Info, p: &Pipeline) -> Result<Schema, String> {
        let mut s = Schema::default();
        for a in &info.actions {
            let (id, n) = name(&a.preamble);
            let h = p
                .action_by_name(n)
                .ok_or_else(|| format!("P4Info action `{n}` (id {id}) is not in the pipeline"))?;
            let pa = &p.actions[h];
            let mut param_ids = Vec::with_capacity(pa.params.len());
            for pp in &pa.params {
                let ip = a
                    .params
                    .iter()
                    .find(|ip| ip.name == pp.name)
                    .ok_or_else(|| {
                        format!("action `{n}`: P4Info has no parameter `{}`", pp.name)
                    })?;
                if ip.bitwidth != i32::from(pp.width) {
                    return Err(format!(
                        "action `{n}` parameter `{}`: P4Info says bit<{}>, the pipeline bit<{}>",
                        pp.name, ip.bitwidth, pp.width
                    ));
                }
                param_ids.push(ip.id);
            }
            if a.params.len() != pa.params.len() {
                return Err(format!(
                    "action `{n}`: P4Info has {} parameters, the pipeline {}",
                    a.params.len(),
                    pa.params.len()
                ));
            }
            s.actions.insert(
                id,
                ActionIds {
                    handle: h,
                    param_ids,
                },
            );
            s.action_ids.insert(h, id);
        }
        for t in &info.tables {
            let (id, n) = name(&t.preamble);
            let h = p
                .table_by_name(n)
                .ok_or_else(|| format!("P4Info table `{n}` (id {id}) is not in the pipeline"))?;
            let pt = &p.tables[h];
            if t.match_fields.len() != pt.keys.len() {
                return Err(format!(
                    "table `{n}`: P4Info has {} match fields, the pipeline {} keys",
                    t.match_fields.len(),
                    pt.keys.len()
                ));
            }
            let mut fields = Vec::with_capacity(t.match_fields.len());
            let mut field_of_key = vec![0; pt.keys.len()];
            for mf in &t.match_fields {
                let key = pt
                    .keys
                    .iter()
                    .position(|k| k.name == mf.name)
                    .ok_or_else(|| format!("table `{n}`: no key `{}` in the pipeline", mf.name))?;
                let k = &pt.keys[key];
                let kind = match_kind(mf)
                    .ok_or_else(|| format!("table `{n}` key `{}`: unsupported match", mf.name))?;
                if kind != k.match_kind || mf.bitwidth != i32::from(k.width) {
                    return Err(format!(
                        "table `{n}` key `{}`: P4Info says {kind:?} bit<{}>, the pipeline {:?} bit<{}>",
                        mf.name, mf.bitwidth, k.match_kind, k.width
                    ));
                }
                field_of_key[key] = mf.id;
                fields.push(Field {
                    id: mf.id,
                    key,
                    kind,
                    width: k.width,
                });
            }
            s.tables.insert(
                id,
                TableIds {
                    handle: h,
                    fields,
                    field_of_key,
                },
            );
            s.table_ids.insert(h, id);
        }
        let find = |what: &str, pre: &Option<p4i::Preamble>, ok: fn(&ExternKind) -> bool| {
            let (id, n) = name(pre);
            match p.extern_by_name(n) {
                Some(h) if ok(&p.externs[h].kind) => Ok((id, h)),
                _ => Err(format!(
                    "P4Info {what} `{n}` (id {id}) is not in the pipeline"
                )),
            }
        };
        for c in &info.counters {
            let (id, h) = find("counter", &c.preamble, |k| {
                matches!(k, ExternKind::Counter { .. })
            })?;
            s.counters.insert(id, h);
        }
        for m in &info.meters {
            let (id, h) = find("meter", &m.preamble, |k| {
                matches!(k, ExternKind::Meter { .. })
            })?;
            s.meters.insert(id, h);
        }
        for r in &info.registers {
            let (id, h) = find("register", &r.preamble, |k| {
                matches!(k, ExternKind::Register { .. })
            })?;
            s.registers.insert(id, h);
        }
        for d in &info.digests {
            let (id, h) = find("digest", &d.preamble, |k| {
                matches!(k, ExternKind::Digest { .. })
            })?;
            s.digests.insert(id, h);
            s.digest_ids.insert(h, id);
        }
        for a in &info.action_profiles {
            let (id, h) = find("action profile", &a.preamble, |k| {
                matches!(
                    k,
                    ExternKind::ActionProfile { .. } | ExternKind::ActionSelector { .. }
                )
            })?;
            let (size, selector) = match p.externs[h].kind {
                ExternKind::ActionSelector { size, .. } => (size, true),
                ExternKind::ActionProfile { size } => (size, false),
                _ => (0, false),
            };
            if a.with_selector != selector {
                return Err(format!(
                    "action profile `{}`: P4Info says with_selector {}, the pipeline {selector}",
                    p.externs[h].name, a.with_selector
                ));
            }
            let max_group_size = match u32::try_from(a.max_group_size) {
                Ok(m) if m > 0 => m.min(size),
                _ => size,
            };
            s.profiles.insert(
                id,
                ProfileIds {
                    handle: h,
                    selector,
                    max_group_size,
                },
            );
            s.profile_ids.insert(h, id);
        }
        for (what, direct) in info
            .direct_counters
            .iter()
            .map(|c| ("direct counter", (&c.preamble, c.direct_table_id)))
            .chain(
                info.direct_meters
                    .iter()
                    .map(|m| ("direct meter", (&m.preamble, m.direct_table_id))),
            )
        {
            let (pre, table_id) = direct;
            let (id, n) = name(pre);
            let t = s.tables.get(&table_id).map(|t| &p.tables[t.handle]);
            let attached = t.and_then(|t| {
                if what == "direct counter" {
                    t.direct_counter
                } else {
                    t.direct_meter
                }
            });
            if attached.is_none_or(|h| p.externs[h].name != n) {
                return Err(format!(
                    "P4Info {what} `{n}` (id {id}) is not attached to table id {table_id} in the pipeline"
                ));
            }
        }
        Ok(s)
    }
}

fn match_kind(mf: &p4i::MatchField) -> Option<MatchKind> {
    use p4i::match_field::{Match, MatchType};
    match mf.r#match {
        Some(Match::MatchType(t)) => match MatchType::try_from(t).ok()? {
            MatchType::Exact => Some(MatchKind::Exact),
            MatchType::Lpm => Some(MatchKind::Lpm),
            MatchType::Ternary => Some(MatchKind::Ternary),
            MatchType::Range => Some(MatchKind::Range),
            MatchType::Optional => Some(MatchKind::Optional),
            MatchType::Unspecified => None,
        },
        _ => None,
    }
}

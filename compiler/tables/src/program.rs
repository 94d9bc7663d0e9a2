//! A host's role program as the P4 front end sees it: `program.p4` (the role source with the
//! host's sizes defined and includes inlined) preprocessed, parsed, checked and lowered by
//! `ddsr-p4`, giving the pipeline IR the softswitch runs (`pipeline.json`) and the P4Info a
//! controller uses (`p4info.txtpb`). Entries are resolved against this lowered pipeline, so they
//! name exactly the tables, keys, actions and widths of the program that is deployed.
//!
//! A TNA program (Tofino hosts) is lowered the same way (the softswitch runs it through its TNA
//! mapping); its P4Info (bf-p4c's names, p4c's ids) is read from the checked program, and
//! [`control_plane`] turns that P4Info into a pipeline of tables and actions only (no parser,
//! no bodies). A Tofino host's entries are resolved against both: the lowered pipeline's must
//! be exactly the P4Info's, so `pipeline.json` and the entries a Tofino controller gets agree.
//!
//! Lowering depends only on the program text, and hosts of one role with the same sizes share
//! it: [`Cache`] lowers each distinct text once (a thousand servers with equal sizes cost one
//! front-end run).

use std::collections::HashMap;
use std::sync::Arc;

use ddsr_diag::render_text;
use ddsr_p4::p4info;
use ddsr_p4::syntax;
use ddsr_pipeline::builder::Builder;
use ddsr_pipeline::table::ActionScope;
use ddsr_pipeline::{MatchKind, Pipeline};
use ddsr_proto::p4::config::v1::P4Info;
use ddsr_proto::p4::config::v1::match_field::{Match, MatchType};

use crate::plan::schema::Arch;

/// A lowered role program.
#[derive(Debug, Clone)]
pub struct Lowered {
    pub pipeline: Arc<Pipeline>,
    pub p4info: Arc<P4Info>,
    /// TNA only: [`control_plane`] of the P4Info, what a Tofino host's entries are checked
    /// against besides the lowered pipeline.
    pub control_plane: Option<Arc<Pipeline>>,
}

/// The front end rejected a generated program: a bug in `p4/` or in the front end, reported with
/// the front end's rendered diagnostics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the P4 front end rejects the generated `{name}` program:\n{rendered}")]
pub struct Error {
    pub name: String,
    pub rendered: String,
}

/// Lowers the self-contained program `text` of architecture `arch`; `name` is the program's name
/// in its P4Info.
pub fn lower(name: &str, text: &str, arch: Arch) -> Result<Lowered, Error> {
    let parsed = syntax::parse_str("program.p4", text, &syntax::Options::default());
    let fail = |diags: &[ddsr_diag::Diagnostic]| Error {
        name: name.to_string(),
        rendered: render_text(&parsed.sources, diags, false),
    };
    if parsed.diagnostics.has_errors() {
        return Err(fail(&parsed.diagnostics.clone().into_vec()));
    }
    let compiled = p4info::compile(&parsed.program, name).map_err(|d| fail(&d))?;
    let control_plane = match arch {
        Arch::V1model => None,
        Arch::Tna => Some(Arc::new(control_plane(name, &compiled.p4info).map_err(
            |why| Error {
                name: name.to_string(),
                rendered: why,
            },
        )?)),
    };
    Ok(Lowered {
        pipeline: Arc::new(compiled.lowered.pipeline),
        p4info: Arc::new(compiled.p4info),
        control_plane,
    })
}

/// The control-plane view of `info` as a pipeline: every table with its keys (names, widths,
/// match kinds), actions with scopes, default action and size, every action with its
/// parameters, and the P4Info's ids. Keys read fields of one metadata header per table, which
/// nothing writes: the pipeline is for resolving and checking entries, not for running.
pub fn control_plane(name: &str, info: &P4Info) -> Result<Pipeline, String> {
    let mut b = Builder::new(name);
    let preamble_of = |p: &Option<ddsr_proto::p4::config::v1::Preamble>| {
        p.as_ref()
            .map(|p| (p.id, p.name.clone()))
            .unwrap_or_default()
    };
    let width = |w: i32, what: &str| {
        u16::try_from(w)
            .ok()
            .filter(|w| *w > 0)
            .ok_or_else(|| format!("{what} has bit width {w}"))
    };
    let mut actions = HashMap::new();
    for a in &info.actions {
        let (id, aname) = preamble_of(&a.preamble);
        let params = a
            .params
            .iter()
            .map(|p| Ok((p.name.as_str(), width(p.bitwidth, &p.name)?)))
            .collect::<Result<Vec<_>, String>>()?;
        let h = b.action(&aname, &params, Vec::new());
        actions.insert(id, h);
    }
    for (i, t) in info.tables.iter().enumerate() {
        let (id, tname) = preamble_of(&t.preamble);
        let fields = t
            .match_fields
            .iter()
            .enumerate()
            .map(|(k, f)| Ok((format!("k{k}"), width(f.bitwidth, &f.name)?)))
            .collect::<Result<Vec<_>, String>>()?;
        let named: Vec<(&str, u16)> = fields.iter().map(|(n, w)| (n.as_str(), *w)).collect();
        let ty = b.header_type(&format!("keys_{i}_t"), &named);
        let header = format!("keys_{i}");
        b.metadata(&header, ty);
        let kinds = t
            .match_fields
            .iter()
            .map(|f| match f.r#match {
                Some(Match::MatchType(m)) => match MatchType::try_from(m) {
                    Ok(MatchType::Exact) => Ok(MatchKind::Exact),
                    Ok(MatchType::Lpm) => Ok(MatchKind::Lpm),
                    Ok(MatchType::Ternary) => Ok(MatchKind::Ternary),
                    Ok(MatchType::Range) => Ok(MatchKind::Range),
                    Ok(MatchType::Optional) => Ok(MatchKind::Optional),
                    _ => Err(format!(
                        "table `{tname}`: key `{}` has no match kind",
                        f.name
                    )),
                },
                _ => Err(format!(
                    "table `{tname}`: key `{}` has no match kind",
                    f.name
                )),
            })
            .collect::<Result<Vec<_>, String>>()?;
        let paths: Vec<String> = (0..kinds.len()).map(|k| format!("{header}.k{k}")).collect();
        let keys: Vec<(&str, MatchKind)> = paths
            .iter()
            .map(String::as_str)
            .zip(kinds.iter().copied())
            .collect();
        let refs = t
            .action_refs
            .iter()
            .map(|r| {
                actions
                    .get(&r.id)
                    .copied()
                    .ok_or_else(|| format!("table `{tname}` refers to unknown action {}", r.id))
            })
            .collect::<Result<Vec<_>, String>>()?;
        // P4Info records only a `const` default; otherwise the first action without parameters
        // stands in (the pipeline is never run, and entries never name the default).
        let default = match actions.get(&t.const_default_action_id) {
            Some(h) => *h,
            None => t
                .action_refs
                .iter()
                .zip(&refs)
                .find(|(r, _)| {
                    info.actions.iter().any(|a| {
                        a.preamble.as_ref().is_some_and(|p| p.id == r.id) && a.params.is_empty()
                    })
                })
                .map(|(_, h)| *h)
                .ok_or_else(|| format!("table `{tname}` has no default action"))?,
        };
        let size =
            u32::try_from(t.size).map_err(|_| format!("table `{tname}` has size {}", t.size))?;
        let h = b.table(&tname, &keys, &refs, default, size);
        let table = b.table_mut(h);
        table.id = id;
        table.default_const = t.const_default_action_id != 0;
        for (key, f) in table.keys.iter_mut().zip(&t.match_fields) {
            key.name = f.name.clone();
        }
        for (r, pr) in table.actions.iter_mut().zip(&t.action_refs) {
            r.scope = match pr.scope {
                1 => ActionScope::TableOnly,
                2 => ActionScope::DefaultOnly,
                _ => ActionScope::TableAndDefault,
            };
        }
    }
    let mut p = b.build().map_err(|e| format!("{e:?}"))?;
    for a in &info.actions {
        let (id, aname) = preamble_of(&a.preamble);
        if let Some(h) = p.action_by_name(&aname) {
            p.actions[h].id = id;
        }
    }
    Ok(p)
}

/// Lowered programs by (name, text).
#[derive(Debug, Default)]
pub struct Cache {
    lowered: HashMap<(String, String), Lowered>,
}

impl Cache {
    pub fn lower(&mut self, name: &str, text: &str, arch: Arch) -> Result<Lowered, Error> {
        let key = (name.to_string(), text.to_string());
        if let Some(l) = self.lowered.get(&key) {
            return Ok(l.clone());
        }
        let l = lower(name, text, arch)?;
        self.lowered.insert(key, l.clone());
        Ok(l)
    }
}

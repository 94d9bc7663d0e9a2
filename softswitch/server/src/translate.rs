//! P4Runtime table entries <-> the shared entry model.
//!
//! P4Runtime carries values as byte strings of any length holding the value (servers answer
//! with the canonical shortest form) and leaves don't-care keys out; the entry model holds every
//! key, wildcards included, as fixed `ceil(width / 8)`-byte strings. Writing checks and pads,
//! reading strips back to canonical form and drops wildcards, so a canonical write reads back
//! byte-identical.

use ddsr_pipeline::entry::{ActionCall, EntryAction, FieldMatch, TableEntry};
use ddsr_pipeline::table::MatchKind;
use ddsr_pipeline::{Pipeline, value};
use ddsr_proto::bytestring;
use ddsr_proto::p4::v1;
use v1::field_match::FieldMatchType as Fm;

use crate::error::Error;
use crate::schema::Schema;

fn bits(what: &dyn Fn() -> String, bytes: &[u8], width: u16) -> Result<Vec<u8>, Error> {
    bytestring::padded(bytes, u32::from(width))
        .map_err(|e| Error::InvalidArgument(format!("{}: {e}", what())))
}

fn canonical(bytes: &[u8]) -> Vec<u8> {
    bytestring::canonical(bytes).to_vec()
}

/// The key and priority of a P4Runtime entry (no action): what identifies it in its table.
pub fn key(s: &Schema, p: &Pipeline, e: &v1::TableEntry) -> Result<TableEntry, Error> {
    let t = s
        .tables
        .get(&e.table_id)
        .ok_or_else(|| Error::NotFound(format!("no table with id {}", e.table_id)))?;
    let table = &p.tables[t.handle];
    let mut matches: Vec<Option<FieldMatch>> = vec![None; table.keys.len()];
    for m in &e.r#match {
        let f = t
            .fields
            .iter()
            .find(|f| f.id == m.field_id)
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "table `{}` has no match field with id {}",
                    table.name, m.field_id
                ))
            })?;
        let kname = &table.keys[f.key].name;
        let what = || format!("table `{}` key `{kname}`", table.name);
        let slot = &mut matches[f.key];
        if slot.is_some() {
            return Err(Error::InvalidArgument(format!("{}: given twice", what())));
        }
        let w = f.width;
        let fm = match (&m.field_match_type, f.kind) {
            (Some(Fm::Exact(x)), MatchKind::Exact) => FieldMatch::Exact {
                value: bits(&what, &x.value, w)?,
            },
            (Some(Fm::Lpm(x)), MatchKind::Lpm) => {
                if x.prefix_len <= 0 || x.prefix_len > i32::from(w) {
                    return Err(Error::InvalidArgument(format!(
                        "{}: prefix length {} is outside 1..={w} (leave a wildcard out)",
                        what(),
                        x.prefix_len
                    )));
                }
                FieldMatch::Lpm {
                    value: bits(&what, &x.value, w)?,
                    prefix_len: x.prefix_len as u16,
                }
            }
            (Some(Fm::Ternary(x)), MatchKind::Ternary) => {
                let mask = bits(&what, &x.mask, w)?;
                if mask.iter().all(|b| *b == 0) {
                    return Err(Error::InvalidArgument(format!(
                        "{}: an all-zero mask is a wildcard and must be left out",
                        what()
                    )));
                }
                FieldMatch::Ternary {
                    value: bits(&what, &x.value, w)?,
                    mask,
                }
            }
            (Some(Fm::Range(x)), MatchKind::Range) => {
                let low = bits(&what, &x.low, w)?;
                let high = bits(&what, &x.high, w)?;
                if value::from_bytes(&low) == 0 && value::from_bytes(&high) == value::mask(w) {
                    return Err(Error::InvalidArgument(format!(
                        "{}: the full range is a wildcard and must be left out",
                        what()
                    )));
                }
                FieldMatch::Range { low, high }
            }
            (Some(Fm::Optional(x)), MatchKind::Optional) => FieldMatch::Optional {
                value: Some(bits(&what, &x.value, w)?),
            },
            (found, expected) => {
                return Err(Error::InvalidArgument(format!(
                    "{}: expected a {expected:?} match, found {}",
                    what(),
                    match found {
                        Some(Fm::Exact(_)) => "an exact match",
                        Some(Fm::Lpm(_)) => "an LPM match",
                        Some(Fm::Ternary(_)) => "a ternary match",
                        Some(Fm::Range(_)) => "a range match",
                        Some(Fm::Optional(_)) => "an optional match",
                        Some(Fm::Other(_)) => "an architecture-specific match",
                        None => "no match value",
                    }
                )));
            }
        };
        *slot = Some(fm);
    }
    let matches = matches
        .into_iter()
        .zip(&table.keys)
        .map(|(m, k)| match m {
            Some(m) => Ok(m),
            None => FieldMatch::wildcard(k.match_kind, k.width).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "table `{}` key `{}`: an exact key cannot be left out",
                    table.name, k.name
                ))
            }),
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(TableEntry {
        table: t.handle,
        matches,
        priority: e.priority,
        action: EntryAction::Member { member: 0 },
    })
}

/// An action call with padded arguments.
pub fn action(s: &Schema, p: &Pipeline, a: &v1::Action) -> Result<ActionCall, Error> {
    let ids = s
        .actions
        .get(&a.action_id)
        .ok_or_else(|| Error::NotFound(format!("no action with id {}", a.action_id)))?;
    let pa = &p.actions[ids.handle];
    if a.params.len() != pa.params.len() {
        return Err(Error::InvalidArgument(format!(
            "action `{}` takes {} parameters, found {}",
            pa.name,
            pa.params.len(),
            a.params.len()
        )));
    }
    let mut args = vec![Vec::new(); pa.params.len()];
    for (i, (param, id)) in pa.params.iter().zip(&ids.param_ids).enumerate() {
        let given = a.params.iter().find(|x| x.param_id == *id).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "action `{}`: parameter `{}` (id {id}) is missing",
                pa.name, param.name
            ))
        })?;
        let what = || format!("action `{}` parameter `{}`", pa.name, param.name);
        args[i] = bits(&what, &given.value, param.width)?;
    }
    Ok(ActionCall {
        action: ids.handle,
        args,
    })
}

/// A full model entry from a P4Runtime entry that must carry an action.
pub fn entry(s: &Schema, p: &Pipeline, e: &v1::TableEntry) -> Result<TableEntry, Error> {
    let mut m = key(s, p, e)?;
    m.action = match e.action.as_ref().and_then(|a| a.r#type.as_ref()) {
        Some(v1::table_action::Type::Action(a)) => EntryAction::Action(action(s, p, a)?),
        Some(v1::table_action::Type::ActionProfileMemberId(member)) => {
            EntryAction::Member { member: *member }
        }
        Some(v1::table_action::Type::ActionProfileGroupId(group)) => {
            EntryAction::Group { group: *group }
        }
        Some(v1::table_action::Type::ActionProfileActionSet(_)) => {
            return Err(Error::Unimplemented(
                "one-shot action selector programming is not supported".into(),
            ));
        }
        None => return Err(Error::InvalidArgument("the entry has no action".into())),
    };
    Ok(m)
}

/// The P4Runtime form of an action call (canonical parameter values).
pub fn to_p4_action(s: &Schema, call: &ActionCall) -> v1::Action {
    let params = s
        .actions
        .get(&action_id(s, call))
        .map(|ids| {
            ids.param_ids
                .iter()
                .zip(&call.args)
                .map(|(id, v)| v1::action::Param {
                    param_id: *id,
                    value: canonical(v),
                })
                .collect()
        })
        .unwrap_or_default();
    v1::Action {
        action_id: action_id(s, call),
        params,
    }
}

fn action_id(s: &Schema, call: &ActionCall) -> u32 {
    s.action_ids.get(&call.action).copied().unwrap_or(0)
}

/// The P4Runtime form of a model entry: canonical values, wildcards left out.
pub fn to_p4(s: &Schema, p: &Pipeline, e: &TableEntry) -> v1::TableEntry {
    let table_id = s.table_ids.get(&e.table).copied().unwrap_or(0);
    let mut fields = Vec::new();
    if let Some(t) = s.tables.get(&table_id) {
        let table = &p.tables[t.handle];
        for ((m, k), id) in e.matches.iter().zip(&table.keys).zip(&t.field_of_key) {
            if FieldMatch::wildcard(k.match_kind, k.width).as_ref() == Some(m) {
                continue;
            }
            let ty = match m {
                FieldMatch::Exact { value } => Fm::Exact(v1::field_match::Exact {
                    value: canonical(value),
                }),
                FieldMatch::Lpm { value, prefix_len } => Fm::Lpm(v1::field_match::Lpm {
                    value: canonical(value),
                    prefix_len: i32::from(*prefix_len),
                }),
                FieldMatch::Ternary { value, mask } => Fm::Ternary(v1::field_match::Ternary {
                    value: canonical(value),
                    mask: canonical(mask),
                }),
                FieldMatch::Range { low, high } => Fm::Range(v1::field_match::Range {
                    low: canonical(low),
                    high: canonical(high),
                }),
                FieldMatch::Optional { value } => Fm::Optional(v1::field_match::Optional {
                    value: canonical(value.as_deref().unwrap_or(&[0])),
                }),
            };
            fields.push(v1::FieldMatch {
                field_id: *id,
                field_match_type: Some(ty),
            });
        }
        fields.sort_by_key(|f| f.field_id);
    }
    let ty = match &e.action {
        EntryAction::Action(call) => v1::table_action::Type::Action(to_p4_action(s, call)),
        EntryAction::Member { member } => v1::table_action::Type::ActionProfileMemberId(*member),
        EntryAction::Group { group } => v1::table_action::Type::ActionProfileGroupId(*group),
    };
    v1::TableEntry {
        table_id,
        r#match: fields,
        action: Some(v1::TableAction { r#type: Some(ty) }),
        priority: e.priority,
        ..Default::default()
    }
}

//! P4Runtime entries: a `p4.v1.WriteRequest` with one INSERT per entry, in protobuf text format
//! (`entries.txtpb`, what p4runtime-shell and P4Runtime test tools read), and the same entries by
//! name in JSON (`entries.json`).
//!
//! Values are the shared entry model's canonical byte strings (`ceil(width / 8)` bytes), which
//! P4Runtime servers accept; wildcard ternary and range fields are left out as P4Runtime requires
//! ("don't care" is the absence of the field match).

use ddsr_pipeline::{EntryAction, FieldMatch, Pipeline, TableEntry};
use ddsr_proto::p4::v1 as p4rt;
use serde_json::{Map, Value, json};

use super::hex;

fn is_wildcard(m: &FieldMatch, width: u16) -> bool {
    FieldMatch::wildcard(m.kind(), width).as_ref() == Some(m)
}

/// The P4Runtime message of one entry.
pub fn table_entry(p: &Pipeline, e: &TableEntry) -> p4rt::TableEntry {
    let table = &p.tables[e.table];
    let r#match = table
        .keys
        .iter()
        .zip(&e.matches)
        .enumerate()
        .filter(|(_, (k, m))| !is_wildcard(m, k.width))
        .map(|(i, (_, m))| {
            use p4rt::field_match::{Exact, FieldMatchType as T, Lpm, Optional, Range, Ternary};
            let t = match m {
                FieldMatch::Exact { value } => T::Exact(Exact {
                    value: value.clone(),
                }),
                FieldMatch::Lpm { value, prefix_len } => T::Lpm(Lpm {
                    value: value.clone(),
                    prefix_len: i32::from(*prefix_len),
                }),
                FieldMatch::Ternary { value, mask } => T::Ternary(Ternary {
                    value: value.clone(),
                    mask: mask.clone(),
                }),
                FieldMatch::Range { low, high } => T::Range(Range {
                    low: low.clone(),
                    high: high.clone(),
                }),
                FieldMatch::Optional { value } => T::Optional(Optional {
                    value: value.clone().unwrap_or_default(),
                }),
            };
            p4rt::FieldMatch {
                field_id: i as u32 + 1,
                field_match_type: Some(t),
            }
        })
        .collect();
    let action = match &e.action {
        EntryAction::Action(call) => p4rt::table_action::Type::Action(p4rt::Action {
            action_id: p.actions[call.action].id,
            params: call
                .args
                .iter()
                .enumerate()
                .map(|(i, v)| p4rt::action::Param {
                    param_id: i as u32 + 1,
                    value: v.clone(),
                })
                .collect(),
        }),
        EntryAction::Member { member } => p4rt::table_action::Type::ActionProfileMemberId(*member),
        EntryAction::Group { group } => p4rt::table_action::Type::ActionProfileGroupId(*group),
    };
    p4rt::TableEntry {
        table_id: table.id,
        r#match,
        action: Some(p4rt::TableAction {
            r#type: Some(action),
        }),
        priority: e.priority,
        ..Default::default()
    }
}

/// A `WriteRequest` inserting every entry, in order.
pub fn write_request(p: &Pipeline, entries: &[TableEntry]) -> p4rt::WriteRequest {
    p4rt::WriteRequest {
        device_id: 1,
        election_id: Some(ddsr_proto::uint128(1)),
        updates: entries
            .iter()
            .map(|e| p4rt::Update {
                r#type: p4rt::update::Type::Insert as i32,
                entity: Some(p4rt::Entity {
                    entity: Some(p4rt::entity::Entity::TableEntry(table_entry(p, e))),
                }),
            })
            .collect(),
        ..Default::default()
    }
}

/// `entries.txtpb`.
pub fn text(p: &Pipeline, entries: &[TableEntry]) -> String {
    ddsr_proto::text::to_text(&write_request(p, entries))
        .expect("generated messages have descriptors in the embedded pool")
}

/// One entry by name: table, match fields by key name, priority, action and parameters.
pub fn entry_json(p: &Pipeline, e: &TableEntry) -> Value {
    let table = &p.tables[e.table];
    let mut m = Map::new();
    for (k, fm) in table.keys.iter().zip(&e.matches) {
        let v = match fm {
            FieldMatch::Exact { value } => json!({ "exact": hex(value) }),
            FieldMatch::Lpm { value, prefix_len } => {
                json!({ "lpm": hex(value), "prefix_len": prefix_len })
            }
            FieldMatch::Ternary { value, mask } => {
                json!({ "ternary": hex(value), "mask": hex(mask) })
            }
            FieldMatch::Range { low, high } => json!({ "low": hex(low), "high": hex(high) }),
            FieldMatch::Optional { value } => json!({ "optional": value.as_deref().map(hex) }),
        };
        m.insert(k.name.clone(), v);
    }
    let (action, params) = match &e.action {
        EntryAction::Action(call) => {
            let a = &p.actions[call.action];
            let params: Map<String, Value> = a
                .params
                .iter()
                .zip(&call.args)
                .map(|(prm, v)| (prm.name.clone(), Value::String(hex(v))))
                .collect();
            (a.name.clone(), params)
        }
        EntryAction::Member { member } => (format!("member {member}"), Map::new()),
        EntryAction::Group { group } => (format!("group {group}"), Map::new()),
    };
    json!({
        "table": table.name,
        "table_id": table.id,
        "match": m,
        "priority": e.priority,
        "action": action,
        "params": params,
    })
}

/// `entries.json`: `{"program": role, "entries": [...]}`.
pub fn json(p: &Pipeline, entries: &[TableEntry]) -> String {
    let v = json!({
        "program": p.program,
        "entries": entries.iter().map(|e| entry_json(p, e)).collect::<Vec<_>>(),
    });
    let mut s = serde_json::to_string_pretty(&v).expect("JSON values serialise");
    s.push('\n');
    s
}

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

fn insert(p: &Pipeline, e: &TableEntry) -> p4rt::Update {
    p4rt::Update {
        r#type: p4rt::update::Type::Insert as i32,
        entity: Some(p4rt::Entity {
            entity: Some(p4rt::entity::Entity::TableEntry(table_entry(p, e))),
        }),
    }
}

/// The request's fields other than `updates`.
fn header() -> p4rt::WriteRequest {
    p4rt::WriteRequest {
        device_id: 1,
        election_id: Some(ddsr_proto::uint128(1)),
        ..Default::default()
    }
}

/// A `WriteRequest` inserting every entry, in order.
pub fn write_request(p: &Pipeline, entries: &[TableEntry]) -> p4rt::WriteRequest {
    p4rt::WriteRequest {
        updates: entries.iter().map(|e| insert(p, e)).collect(),
        ..header()
    }
}

fn to_text<M: prost::Message + prost::Name>(m: &M) -> String {
    ddsr_proto::text::to_text(m).expect("generated messages have descriptors in the embedded pool")
}

/// `entries.txtpb`: the text of [`write_request`], printed one update at a time. `updates` is
/// the request's last field in field-number order and the printer nests blocks by two spaces,
/// so this is byte for byte the whole message's text (the snapshot tests compare with it)
/// without building a million-entry message in memory.
pub fn text(p: &Pipeline, entries: &[TableEntry]) -> String {
    let mut out = to_text(&header());
    for e in entries {
        out.push_str("updates {\n");
        for line in to_text(&insert(p, e)).lines() {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
        out.push_str("}\n");
    }
    out
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

/// `entries.json`: `{"entries": [...], "program": role}`, printed one entry at a time in
/// serde_json's pretty layout (the same bytes as pretty-printing the whole value, without
/// holding every entry as a JSON tree).
pub fn json(p: &Pipeline, entries: &[TableEntry]) -> String {
    let program = serde_json::to_string(&p.program).expect("strings serialise");
    if entries.is_empty() {
        return format!("{{\n  \"entries\": [],\n  \"program\": {program}\n}}\n");
    }
    let mut out = String::from("{\n  \"entries\": [\n");
    for (i, e) in entries.iter().enumerate() {
        let text = serde_json::to_string_pretty(&entry_json(p, e)).expect("JSON values serialise");
        for (j, line) in text.lines().enumerate() {
            if j > 0 {
                out.push('\n');
            }
            out.push_str("    ");
            out.push_str(line);
        }
        out.push_str(if i + 1 < entries.len() { ",\n" } else { "\n" });
    }
    out.push_str(&format!("  ],\n  \"program\": {program}\n}}\n"));
    out
}

//! `bfrt.json`: a Tofino host's table entries for BF Runtime (BfRt), by name, so a script using
//! the SDE's `bfrt_grpc` client or `bfrt_python` can add them without P4Runtime
//! (`docs/compile.md` has the shape and a loader).
//!
//! Names follow BfRt: a table is `<pipe>.<P4Info name>` (the programs instantiate their
//! `Pipeline` as [`PIPE`]), an action is its P4Info name, key fields are the P4Info match field
//! names and data fields the action's parameter names. Every key field is written, wildcards
//! included (mask 0, prefix length 0, full range), because BfRt has no "absent means don't
//! care" rule.
//!
//! Priorities: BfRt's `$MATCH_PRIORITY` key field orders ternary and range entries with the
//! *lower* value winning, over 24 bits. Each entry gets [`MAX_PRIORITY`] minus its P4Runtime
//! priority (where higher wins), the mapping Stratum applies to a Tofino, so an entry loaded
//! through `bfrt.json` ranks exactly as the same entry written through P4Runtime.
//!
//! Values are `0x` hex strings of the key's full byte width, as in `entries.json`; JSON numbers
//! cannot hold a 128-bit address in most readers.

use ddsr_pipeline::{EntryAction, FieldMatch, Pipeline, TableEntry};
use serde_json::{Map, Value, json};

use super::hex;

/// The instance name of the TNA programs' `Pipeline` (`Pipeline(...) pipe;` in `p4/tna/`).
pub const PIPE: &str = "pipe";

/// Largest BfRt match priority (24 bits), the BfRt value of P4Runtime priority 0.
pub const MAX_PRIORITY: i64 = (1 << 24) - 1;

/// The BfRt name of `table` (a P4Info name).
pub fn table_name(table: &str) -> String {
    format!("{PIPE}.{table}")
}

/// BfRt's `$MATCH_PRIORITY` for a P4Runtime priority; `None` when it does not fit BfRt's
/// 24 bits (the plan keeps Tofino priorities within them).
pub fn bfrt_priority(p4runtime: i32) -> Option<i64> {
    let p = i64::from(p4runtime);
    (0..=MAX_PRIORITY).contains(&p).then(|| MAX_PRIORITY - p)
}

fn priority_hex(p: i64) -> String {
    hex(&(p as u32).to_be_bytes()[1..])
}

/// One entry: `{"key": {field: {...}}, "action", "data": {param: hex}}`; an entry pointing at an
/// action-profile member or group has no action and the member or group id as data, as BfRt
/// writes it (the role programs have no action profiles).
fn entry(p: &Pipeline, e: &TableEntry) -> Value {
    let table = &p.tables[e.table];
    let mut key = Map::new();
    for (k, fm) in table.keys.iter().zip(&e.matches) {
        let v = match fm {
            FieldMatch::Exact { value } => json!({ "value": hex(value) }),
            FieldMatch::Lpm { value, prefix_len } => {
                json!({ "value": hex(value), "prefix_len": prefix_len })
            }
            FieldMatch::Ternary { value, mask } => {
                json!({ "value": hex(value), "mask": hex(mask) })
            }
            FieldMatch::Range { low, high } => json!({ "low": hex(low), "high": hex(high) }),
            FieldMatch::Optional { value } => match value {
                Some(v) => json!({ "value": hex(v), "is_valid": true }),
                None => json!({ "is_valid": false }),
            },
        };
        key.insert(k.name.clone(), v);
    }
    if table.needs_priority() {
        let prio = bfrt_priority(e.priority)
            .expect("Tofino hosts' priorities are within BfRt's 24 bits (plan::acl::priority)");
        key.insert(
            "$MATCH_PRIORITY".into(),
            json!({ "value": priority_hex(prio) }),
        );
    }
    let (action, data) = match &e.action {
        EntryAction::Action(call) => {
            let a = &p.actions[call.action];
            let data: Map<String, Value> = a
                .params
                .iter()
                .zip(&call.args)
                .map(|(prm, v)| (prm.name.clone(), Value::String(hex(v))))
                .collect();
            (Value::String(a.name.clone()), data)
        }
        EntryAction::Member { member } => (
            Value::Null,
            Map::from_iter([(
                "$ACTION_MEMBER_ID".to_string(),
                Value::String(format!("{member}")),
            )]),
        ),
        EntryAction::Group { group } => (
            Value::Null,
            Map::from_iter([(
                "$SELECTOR_GROUP_ID".to_string(),
                Value::String(format!("{group}")),
            )]),
        ),
    };
    json!({ "key": key, "action": action, "data": data })
}

fn indent(out: &mut String, text: &str, by: &str) {
    for (j, line) in text.lines().enumerate() {
        if j > 0 {
            out.push('\n');
        }
        out.push_str(by);
        out.push_str(line);
    }
}

/// `bfrt.json`: `{"format": 1, "program", "tables": [{"name", "entries": [...]}]}` with the
/// tables that have entries, in the order of `entries` (the plan's: program order), printed one
/// entry at a time in serde_json's pretty layout.
pub fn json(p: &Pipeline, entries: &[TableEntry]) -> String {
    let program = serde_json::to_string(&p.program).expect("strings serialise");
    let mut out = format!("{{\n  \"format\": 1,\n  \"program\": {program},\n  \"tables\": [");
    let mut i = 0;
    let mut first_table = true;
    while i < entries.len() {
        let t = entries[i].table;
        let end = i + entries[i..].iter().take_while(|e| e.table == t).count();
        let name = serde_json::to_string(&table_name(&p.tables[t].name)).expect("strings");
        out.push_str(if first_table { "\n" } else { ",\n" });
        first_table = false;
        out.push_str(&format!(
            "    {{\n      \"name\": {name},\n      \"entries\": [\n"
        ));
        for (j, e) in entries[i..end].iter().enumerate() {
            let text = serde_json::to_string_pretty(&entry(p, e)).expect("JSON values serialise");
            indent(&mut out, &text, "        ");
            out.push_str(if i + j + 1 < end { ",\n" } else { "\n" });
        }
        out.push_str("      ]\n    }");
        i = end;
    }
    out.push_str(if first_table { "]\n}\n" } else { "\n  ]\n}\n" });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_map_as_stratum_does() {
        assert_eq!(bfrt_priority(1), Some(0xff_fffe));
        assert_eq!(bfrt_priority(0), Some(MAX_PRIORITY));
        assert_eq!(bfrt_priority(1 << 24), None);
        assert_eq!(bfrt_priority(-1), None);
        assert_eq!(priority_hex(0xfe_dcba), "0xfedcba");
    }
}

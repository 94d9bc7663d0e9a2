//! `bmv2.cli`: `simple_switch_CLI` commands that install a host's entries on BMv2.
//!
//! `table_add TABLE ACTION KEY... => ARG... [PRIORITY]` with keys as BMv2's CLI reads them:
//! exact `0x..`, LPM `0x../len`, ternary `0x..&&&0x..`, range `0x..->0x..`. BMv2's priority is
//! lower-wins while P4Runtime's (the plan's) is higher-wins, so each table's priorities are
//! mirrored: `bmv2 = top + 1 - p4runtime` where `top` is the table's highest P4Runtime priority,
//! which keeps the order and the gaps.

use std::collections::HashMap;
use std::fmt::Write;

use ddsr_pipeline::{EntryAction, FieldMatch, Pipeline, TableEntry};

use super::hex;

/// The commands for `entries`, one per line, after a comment naming the program.
pub fn commands(p: &Pipeline, entries: &[TableEntry]) -> String {
    let mut top: HashMap<u32, i32> = HashMap::new();
    for e in entries {
        let t = top.entry(e.table.raw()).or_insert(0);
        *t = (*t).max(e.priority);
    }
    let mut out = format!(
        "// simple_switch_CLI commands for the {} program\n",
        p.program
    );
    for e in entries {
        let table = &p.tables[e.table];
        let EntryAction::Action(call) = &e.action else {
            continue;
        };
        let action = &p.actions[call.action];
        let _ = write!(out, "table_add {} {}", table.name, action.name);
        for m in &e.matches {
            let k = match m {
                FieldMatch::Exact { value } => hex(value),
                FieldMatch::Lpm { value, prefix_len } => format!("{}/{prefix_len}", hex(value)),
                FieldMatch::Ternary { value, mask } => format!("{}&&&{}", hex(value), hex(mask)),
                FieldMatch::Range { low, high } => format!("{}->{}", hex(low), hex(high)),
                FieldMatch::Optional { value } => value.as_deref().map(hex).unwrap_or_default(),
            };
            let _ = write!(out, " {k}");
        }
        out.push_str(" =>");
        for a in &call.args {
            let _ = write!(out, " {}", hex(a));
        }
        if table.needs_priority() {
            let _ = write!(out, " {}", top[&e.table.raw()] + 1 - e.priority);
        }
        out.push('\n');
    }
    out
}

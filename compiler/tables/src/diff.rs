//! `ddsr diff`: the entry-level change between two compiled policies, per host and table, as a
//! controller would apply it: inserts, modifies (same key, other action or arguments) and
//! deletes. Entries are compared by name (table, key fields, priority), so ids and table sizes
//! that differ between the two compiles do not show as changes.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::back::p4runtime::entry_json;
use crate::compile::Output;

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct TableDiff {
    pub table: String,
    pub inserts: Vec<Value>,
    pub modifies: Vec<Modify>,
    pub deletes: Vec<Value>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Modify {
    pub old: Value,
    pub new: Value,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct HostDiff {
    pub host: String,
    /// `added` or `removed` when the host exists on one side only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<&'static str>,
    pub tables: Vec<TableDiff>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Diff {
    pub hosts: Vec<HostDiff>,
}

type Keyed = BTreeMap<String, BTreeMap<String, Value>>;

/// Entries of one host by table, then by identity (key fields and priority).
fn keyed(out: &Output, host: &str) -> Option<Keyed> {
    let h = out.hosts.iter().find(|h| h.plan.name == host)?;
    let mut m: Keyed = BTreeMap::new();
    for e in &h.entries {
        let v = entry_json(&h.pipeline, e);
        let id = format!("{}|{}", v["match"], v["priority"]);
        m.entry(v["table"].as_str().unwrap_or_default().to_string())
            .or_default()
            .insert(id, v);
    }
    Some(m)
}

fn same_action(a: &Value, b: &Value) -> bool {
    a["action"] == b["action"] && a["params"] == b["params"]
}

pub fn diff(old: &Output, new: &Output) -> Diff {
    let mut names: Vec<String> = old.hosts.iter().map(|h| h.plan.name.clone()).collect();
    for h in &new.hosts {
        if !names.contains(&h.plan.name) {
            names.push(h.plan.name.clone());
        }
    }
    let mut d = Diff::default();
    for name in names {
        let (o, n) = (keyed(old, &name), keyed(new, &name));
        let change = match (&o, &n) {
            (None, Some(_)) => Some("added"),
            (Some(_), None) => Some("removed"),
            _ => None,
        };
        let (o, n) = (o.unwrap_or_default(), n.unwrap_or_default());
        let mut tables: Vec<&String> = o.keys().chain(n.keys()).collect();
        tables.sort();
        tables.dedup();
        let mut hd = HostDiff {
            host: name.clone(),
            change,
            tables: Vec::new(),
        };
        for t in tables {
            let empty = BTreeMap::new();
            let (ot, nt) = (o.get(t).unwrap_or(&empty), n.get(t).unwrap_or(&empty));
            let mut td = TableDiff {
                table: t.clone(),
                ..Default::default()
            };
            for (id, nv) in nt {
                match ot.get(id) {
                    None => td.inserts.push(nv.clone()),
                    Some(ov) if !same_action(ov, nv) => td.modifies.push(Modify {
                        old: ov.clone(),
                        new: nv.clone(),
                    }),
                    Some(_) => {}
                }
            }
            for (id, ov) in ot {
                if !nt.contains_key(id) {
                    td.deletes.push(ov.clone());
                }
            }
            if !(td.inserts.is_empty() && td.modifies.is_empty() && td.deletes.is_empty()) {
                hd.tables.push(td);
            }
        }
        if !hd.tables.is_empty() || hd.change.is_some() {
            d.hosts.push(hd);
        }
    }
    d
}

fn brief(v: &Value) -> String {
    format!(
        "{} {} => {} {}",
        v["match"], v["priority"], v["action"], v["params"]
    )
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }

    /// One summary line per host and table, then the changed entries.
    pub fn text(&self) -> String {
        let mut s = String::new();
        if self.hosts.is_empty() {
            s.push_str("no entry changes\n");
        }
        for h in &self.hosts {
            s.push_str(&format!(
                "host {}{}\n",
                h.host,
                h.change.map(|c| format!(" ({c})")).unwrap_or_default()
            ));
            for t in &h.tables {
                s.push_str(&format!(
                    "  {}: {} inserts, {} modifies, {} deletes\n",
                    t.table,
                    t.inserts.len(),
                    t.modifies.len(),
                    t.deletes.len()
                ));
                for v in &t.inserts {
                    s.push_str(&format!("    + {}\n", brief(v)));
                }
                for m in &t.modifies {
                    s.push_str(&format!(
                        "    ~ {}\n      -> {}\n",
                        brief(&m.old),
                        brief(&m.new)
                    ));
                }
                for v in &t.deletes {
                    s.push_str(&format!("    - {}\n", brief(v)));
                }
            }
        }
        s
    }

    pub fn json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("JSON values serialise");
        s.push('\n');
        s
    }
}

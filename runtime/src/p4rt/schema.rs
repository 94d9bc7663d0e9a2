//! The P4Info as lookup tables: names and widths by id, so that entries can be canonicalised
//! (full ranges need a field's width) and shown by name in diffs and errors.

use std::collections::HashMap;
use std::fmt::Write as _;

use ddsr_proto::p4::config::v1::P4Info;
use ddsr_proto::p4::v1;
use v1::field_match::FieldMatchType as Fm;

/// A match field of a table.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub bitwidth: u32,
}

/// A table: its name, match fields by id and capacity.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub fields: HashMap<u32, Field>,
    /// Entries the table holds at most; 0 when the P4Info does not say.
    pub size: u64,
}

/// An action: its name and parameter names by id.
#[derive(Debug, Clone)]
pub struct Action {
    pub name: String,
    pub params: HashMap<u32, String>,
}

/// Tables and actions of one P4Info by id.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// Table ids in P4Info order, the order reads and diffs go in.
    pub table_ids: Vec<u32>,
    pub tables: HashMap<u32, Table>,
    pub actions: HashMap<u32, Action>,
}

impl Schema {
    pub fn new(info: &P4Info) -> Schema {
        let mut schema = Schema::default();
        for t in &info.tables {
            let Some(pre) = &t.preamble else { continue };
            let fields = t
                .match_fields
                .iter()
                .map(|f| {
                    let bitwidth = u32::try_from(f.bitwidth).unwrap_or(0);
                    let field = Field {
                        name: f.name.clone(),
                        bitwidth,
                    };
                    (f.id, field)
                })
                .collect();
            schema.table_ids.push(pre.id);
            schema.tables.insert(
                pre.id,
                Table {
                    name: pre.name.clone(),
                    fields,
                    size: u64::try_from(t.size).unwrap_or(0),
                },
            );
        }
        for a in &info.actions {
            let Some(pre) = &a.preamble else { continue };
            let params = a.params.iter().map(|p| (p.id, p.name.clone())).collect();
            schema.actions.insert(
                pre.id,
                Action {
                    name: pre.name.clone(),
                    params,
                },
            );
        }
        schema
    }

    /// A table's name, or its id in hex when the P4Info does not list it.
    pub fn table_name(&self, id: u32) -> String {
        self.tables
            .get(&id)
            .map_or_else(|| format!("table {id:#010x}"), |t| t.name.clone())
    }

    /// One line naming an entry: `table {field=value ...} priority P -> action(param=value)`.
    pub fn show(&self, e: &v1::TableEntry) -> String {
        let table = self.tables.get(&e.table_id);
        let mut out = self.table_name(e.table_id);
        if e.is_default_action {
            out.push_str(" default");
        } else {
            out.push_str(" {");
            for (i, m) in e.r#match.iter().enumerate() {
                let name = table
                    .and_then(|t| t.fields.get(&m.field_id))
                    .map_or_else(|| format!("field {}", m.field_id), |f| f.name.clone());
                let sep = if i == 0 { "" } else { " " };
                let _ = write!(out, "{sep}{name}={}", show_match(m));
            }
            out.push('}');
        }
        if e.priority != 0 {
            let _ = write!(out, " priority {}", e.priority);
        }
        out.push_str(" -> ");
        out.push_str(&self.show_action(e.action.as_ref()));
        out
    }

    /// An entry's action: `name(param=0x.., ...)`.
    pub fn show_action(&self, a: Option<&v1::TableAction>) -> String {
        use v1::table_action::Type;
        match a.and_then(|a| a.r#type.as_ref()) {
            None => "(no action)".into(),
            Some(Type::Action(a)) => {
                let action = self.actions.get(&a.action_id);
                let mut out = action.map_or_else(
                    || format!("action {:#010x}", a.action_id),
                    |x| x.name.clone(),
                );
                out.push('(');
                for (i, p) in a.params.iter().enumerate() {
                    let name = action
                        .and_then(|x| x.params.get(&p.param_id))
                        .map_or_else(|| format!("param {}", p.param_id), Clone::clone);
                    let sep = if i == 0 { "" } else { ", " };
                    let _ = write!(out, "{sep}{name}={}", hex(&p.value));
                }
                out.push(')');
                out
            }
            Some(Type::ActionProfileMemberId(m)) => format!("member {m}"),
            Some(Type::ActionProfileGroupId(g)) => format!("group {g}"),
            Some(Type::ActionProfileActionSet(s)) => {
                format!("one-shot set of {}", s.action_profile_actions.len())
            }
        }
    }
}

fn show_match(m: &v1::FieldMatch) -> String {
    match &m.field_match_type {
        None => "(empty)".into(),
        Some(Fm::Exact(x)) => hex(&x.value),
        Some(Fm::Lpm(x)) => format!("{}/{}", hex(&x.value), x.prefix_len),
        Some(Fm::Ternary(x)) => format!("{}&&&{}", hex(&x.value), hex(&x.mask)),
        Some(Fm::Range(x)) => format!("{}..{}", hex(&x.low), hex(&x.high)),
        Some(Fm::Optional(x)) => hex(&x.value),
        Some(Fm::Other(_)) => "(other match)".into(),
    }
}

/// `0x` and the bytes in lower-case hex; `0x` alone for an empty string.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + 2 * bytes.len());
    s.push_str("0x");
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

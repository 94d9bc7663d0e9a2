//! Names to handles: logical [`Entry`]s become the shared table-entry model
//! ([`ddsr_pipeline::TableEntry`]) of a role program's pipeline, each checked against its table
//! (key kinds, canonical widths, priority rules, action and argument widths).

use ddsr_pipeline::value::to_bytes;
use ddsr_pipeline::{ActionCall, EntryAction, EntryError, FieldMatch, Pipeline, TableEntry};

use super::{Entry, Match};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("no table `{0}` in the role program")]
    Table(String),
    #[error("no action `{0}` in the role program")]
    Action(String),
    #[error("table `{table}`: {source}")]
    Entry {
        table: String,
        #[source]
        source: EntryError,
    },
}

/// Resolves and checks one entry.
pub fn entry(p: &Pipeline, e: &Entry) -> Result<TableEntry, Error> {
    let t = p
        .table_by_name(e.table)
        .ok_or_else(|| Error::Table(e.table.to_string()))?;
    let a = p
        .action_by_name(e.action)
        .ok_or_else(|| Error::Action(e.action.to_string()))?;
    let table = &p.tables[t];
    let matches = table
        .keys
        .iter()
        .zip(&e.matches)
        .map(|(k, m)| {
            let b = |v: u128| to_bytes(v, k.width);
            match *m {
                Match::Exact(v) => FieldMatch::Exact { value: b(v) },
                Match::Lpm { value, len } => FieldMatch::Lpm {
                    value: b(value),
                    prefix_len: len,
                },
                Match::Ternary { value, mask } => FieldMatch::Ternary {
                    value: b(value),
                    mask: b(mask),
                },
                Match::Range { lo, hi } => FieldMatch::Range {
                    low: b(lo),
                    high: b(hi),
                },
            }
        })
        .collect();
    let action = &p.actions[a];
    let args = action
        .params
        .iter()
        .zip(&e.args)
        .map(|(param, v)| to_bytes(*v, param.width))
        .collect();
    let resolved = TableEntry {
        table: t,
        matches,
        priority: e.priority,
        action: EntryAction::Action(ActionCall { action: a, args }),
    };
    // Counts are checked too: a missing key or argument must not be papered over by `zip`.
    if e.matches.len() != table.keys.len() || e.args.len() != action.params.len() {
        let source = if e.matches.len() != table.keys.len() {
            EntryError::KeyCount {
                table: table.name.clone(),
                expected: table.keys.len(),
                found: e.matches.len(),
            }
        } else {
            EntryError::ArgCount {
                action: action.name.clone(),
                expected: action.params.len(),
                found: e.args.len(),
            }
        };
        return Err(Error::Entry {
            table: e.table.to_string(),
            source,
        });
    }
    resolved.check(p).map_err(|source| Error::Entry {
        table: e.table.to_string(),
        source,
    })?;
    Ok(resolved)
}

/// Resolves all entries, stopping at the first error (an error here is a compiler bug: the plan
/// only uses names of its own schema).
pub fn all(p: &Pipeline, entries: &[Entry]) -> Result<Vec<TableEntry>, Error> {
    entries.iter().map(|e| entry(p, e)).collect()
}

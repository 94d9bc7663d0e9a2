//! Match-action tables as the compiler describes them (the entries live in [`crate::entry`]).

use serde::{Deserialize, Serialize};

use crate::arena::Handle;
use crate::entry::{ActionCall, TableEntry};
use crate::expr::Expr;
use crate::externs::Extern;
use crate::program::Action;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// Control-plane name as p4c gives it, e.g. `MyIngress.ipv4_lpm`.
    pub name: String,
    /// P4Info id when known, 0 otherwise.
    #[serde(default)]
    pub id: u32,
    pub keys: Vec<Key>,
    /// Expressions hashed by the action selector (keys of match kind `selector`).
    #[serde(default)]
    pub selector_keys: Vec<Expr>,
    pub actions: Vec<ActionRef>,
    pub default_action: ActionCall,
    /// `const default_action`: the control plane may not change it.
    #[serde(default)]
    pub default_const: bool,
    /// `entries` / `const entries`, in the entry model; their `table` is this table.
    #[serde(default)]
    pub entries: Vec<TableEntry>,
    /// Whether `entries` were declared `const` (the control plane may not change them).
    #[serde(default)]
    pub entries_const: bool,
    pub size: u32,
    #[serde(default)]
    pub implementation: Implementation,
    #[serde(default)]
    pub direct_counter: Option<Handle<Extern>>,
    #[serde(default)]
    pub direct_meter: Option<Handle<Extern>>,
    /// `support_timeout = true`.
    #[serde(default)]
    pub idle_timeout: bool,
}

impl Table {
    /// Whether entries carry a priority (P4Runtime: any ternary, range or optional key).
    pub fn needs_priority(&self) -> bool {
        self.keys.iter().any(|k| {
            matches!(
                k.match_kind,
                MatchKind::Ternary | MatchKind::Range | MatchKind::Optional
            )
        })
    }
}

/// One match key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Key {
    /// Control-plane name, e.g. `hdr.ipv4.dstAddr` (or the `@name` annotation).
    pub name: String,
    pub expr: Expr,
    pub match_kind: MatchKind,
    /// Width of `expr` in bits (checked by validation); entry values have `ceil(width / 8)` bytes.
    pub width: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    Exact,
    Lpm,
    Ternary,
    Range,
    Optional,
}

/// An action a table may run, with its P4Runtime scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRef {
    pub action: Handle<Action>,
    #[serde(default)]
    pub scope: ActionScope,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionScope {
    #[default]
    TableAndDefault,
    /// `@tableonly`.
    TableOnly,
    /// `@defaultonly`.
    DefaultOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", content = "extern", rename_all = "snake_case")]
pub enum Implementation {
    /// Entries carry their action.
    #[default]
    Direct,
    /// Entries name a member of this `action_profile`.
    ActionProfile(Handle<Extern>),
    /// Entries name a member or a group of this `action_selector`.
    ActionSelector(Handle<Extern>),
}

//! The table-entry model shared by the compiler, the runtime and the softswitch.
//!
//! Entries use integer handles (resolved once from names) and canonical big-endian byte strings
//! of exactly `ceil(width / 8)` bytes per value. A key lists one [`FieldMatch`] per table key in
//! key order, wildcards included (P4Runtime leaves them out; [`FieldMatch::wildcard`] fills them
//! in). Priorities follow P4Runtime: tables with a ternary, range or optional key need
//! `priority > 0` and the higher number wins; other tables use priority 0.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::arena::Handle;
use crate::externs::{Extern, ExternKind};
use crate::program::{Action, Pipeline};
use crate::table::{ActionScope, Implementation, MatchKind, Table};
use crate::value::{self, hex_bytes, hex_bytes_opt, hex_bytes_vec};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TableEntry {
    pub table: Handle<Table>,
    pub matches: Vec<FieldMatch>,
    #[serde(default)]
    pub priority: i32,
    pub action: EntryAction,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FieldMatch {
    Exact {
        #[serde(with = "hex_bytes")]
        value: Vec<u8>,
    },
    /// Bits below the prefix are zero in `value`.
    Lpm {
        #[serde(with = "hex_bytes")]
        value: Vec<u8>,
        prefix_len: u16,
    },
    /// `value & !mask == 0`; an all-zero mask matches anything.
    Ternary {
        #[serde(with = "hex_bytes")]
        value: Vec<u8>,
        #[serde(with = "hex_bytes")]
        mask: Vec<u8>,
    },
    /// Inclusive, unsigned.
    Range {
        #[serde(with = "hex_bytes")]
        low: Vec<u8>,
        #[serde(with = "hex_bytes")]
        high: Vec<u8>,
    },
    /// `None` matches anything.
    Optional {
        #[serde(with = "hex_bytes_opt", default)]
        value: Option<Vec<u8>>,
    },
}

impl FieldMatch {
    /// The match-anything value of a key (exact keys have none).
    pub fn wildcard(kind: MatchKind, width: u16) -> Option<FieldMatch> {
        let zero = vec![0; value::byte_len(width)];
        match kind {
            MatchKind::Exact => None,
            MatchKind::Lpm => Some(FieldMatch::Lpm {
                value: zero,
                prefix_len: 0,
            }),
            MatchKind::Ternary => Some(FieldMatch::Ternary {
                value: zero.clone(),
                mask: zero,
            }),
            MatchKind::Range => Some(FieldMatch::Range {
                low: zero,
                high: value::to_bytes(value::mask(width), width),
            }),
            MatchKind::Optional => Some(FieldMatch::Optional { value: None }),
        }
    }

    pub fn kind(&self) -> MatchKind {
        match self {
            FieldMatch::Exact { .. } => MatchKind::Exact,
            FieldMatch::Lpm { .. } => MatchKind::Lpm,
            FieldMatch::Ternary { .. } => MatchKind::Ternary,
            FieldMatch::Range { .. } => MatchKind::Range,
            FieldMatch::Optional { .. } => MatchKind::Optional,
        }
    }

    /// Whether the `width`-bit key value `v` matches (the entry must be valid for that width).
    pub fn matches(&self, v: u128, width: u16) -> bool {
        match self {
            FieldMatch::Exact { value } => value::from_bytes(value) == v,
            FieldMatch::Lpm { value, prefix_len } => {
                let m = prefix_mask(*prefix_len, width);
                v & m == value::from_bytes(value)
            }
            FieldMatch::Ternary { value, mask } => {
                v & value::from_bytes(mask) == value::from_bytes(value)
            }
            FieldMatch::Range { low, high } => {
                (value::from_bytes(low)..=value::from_bytes(high)).contains(&v)
            }
            FieldMatch::Optional { value } => {
                value.as_ref().is_none_or(|x| value::from_bytes(x) == v)
            }
        }
    }
}

/// The mask of the top `prefix_len` bits of a `width`-bit value.
pub fn prefix_mask(prefix_len: u16, width: u16) -> u128 {
    if prefix_len == 0 {
        0
    } else {
        value::mask(width) & !value::mask(width - prefix_len.min(width))
    }
}

/// What an entry does when it matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EntryAction {
    Action(ActionCall),
    /// A member of the table's action profile or selector.
    Member {
        member: u32,
    },
    /// A group of the table's action selector.
    Group {
        group: u32,
    },
}

/// An action with its arguments as canonical byte strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ActionCall {
    pub action: Handle<Action>,
    #[serde(with = "hex_bytes_vec", default)]
    pub args: Vec<Vec<u8>>,
}

/// A member of an action profile or selector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileMember {
    pub profile: Handle<Extern>,
    pub member: u32,
    pub action: ActionCall,
}

/// A group of an action selector; members may repeat to weigh them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileGroup {
    pub profile: Handle<Extern>,
    pub group: u32,
    pub members: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EntryError {
    #[error("no table #{0}")]
    NoTable(u32),
    #[error("table `{table}` has {expected} keys, the entry gives {found}")]
    KeyCount {
        table: String,
        expected: usize,
        found: usize,
    },
    #[error("key `{key}`: expected a {expected:?} match, found {found:?}")]
    MatchKind {
        key: String,
        expected: MatchKind,
        found: MatchKind,
    },
    #[error("key `{key}`: expected {expected} bytes holding {width} bits, found `{found}`")]
    ValueWidth {
        key: String,
        width: u16,
        expected: usize,
        found: String,
    },
    #[error("key `{key}`: prefix length {prefix_len} exceeds the width {width}")]
    PrefixTooLong {
        key: String,
        prefix_len: u16,
        width: u16,
    },
    #[error("key `{key}`: the value has bits set outside the {what}")]
    MaskedBits { key: String, what: &'static str },
    #[error("key `{key}`: the range is empty (low > high)")]
    EmptyRange { key: String },
    #[error(
        "table `{table}` has ternary, range or optional keys: expected a priority > 0, found {found}"
    )]
    PriorityMissing { table: String, found: i32 },
    #[error("table `{table}` takes no priority, found {found}")]
    PriorityUnexpected { table: String, found: i32 },
    #[error("action #{action} is not an action of table `{table}`")]
    ActionNotInTable { table: String, action: u32 },
    #[error("action `{action}` is {scope} in table `{table}`")]
    ActionScope {
        table: String,
        action: String,
        scope: &'static str,
    },
    #[error("action `{action}` takes {expected} arguments, found {found}")]
    ArgCount {
        action: String,
        expected: usize,
        found: usize,
    },
    #[error(
        "action `{action}` parameter `{param}`: expected {expected} bytes holding {width} bits, found `{found}`"
    )]
    ArgWidth {
        action: String,
        param: String,
        width: u16,
        expected: usize,
        found: String,
    },
    #[error("table `{table}` {expected}, found {found}")]
    ActionKind {
        table: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error("`{name}` is not an action profile or selector")]
    NotAProfile { name: String },
}

impl TableEntry {
    /// Checks the entry against its table: key count, kinds, canonical widths, P4Runtime
    /// canonical values (no bits outside the mask or prefix), priority rules and the action.
    pub fn check(&self, p: &Pipeline) -> Result<(), EntryError> {
        let table = p
            .tables
            .get(self.table)
            .ok_or(EntryError::NoTable(self.table.raw()))?;
        if self.matches.len() != table.keys.len() {
            return Err(EntryError::KeyCount {
                table: table.name.clone(),
                expected: table.keys.len(),
                found: self.matches.len(),
            });
        }
        for (key, m) in table.keys.iter().zip(&self.matches) {
            if m.kind() != key.match_kind {
                return Err(EntryError::MatchKind {
                    key: key.name.clone(),
                    expected: key.match_kind,
                    found: m.kind(),
                });
            }
            let w = key.width;
            let canon = |b: &[u8]| {
                if value::is_canonical(b, w) {
                    Ok(value::from_bytes(b))
                } else {
                    Err(EntryError::ValueWidth {
                        key: key.name.clone(),
                        width: w,
                        expected: value::byte_len(w),
                        found: value::encode(b),
                    })
                }
            };
            match m {
                FieldMatch::Exact { value } => {
                    canon(value)?;
                }
                FieldMatch::Lpm { value, prefix_len } => {
                    let v = canon(value)?;
                    if *prefix_len > w {
                        return Err(EntryError::PrefixTooLong {
                            key: key.name.clone(),
                            prefix_len: *prefix_len,
                            width: w,
                        });
                    }
                    if v & !prefix_mask(*prefix_len, w) != 0 {
                        return Err(EntryError::MaskedBits {
                            key: key.name.clone(),
                            what: "prefix",
                        });
                    }
                }
                FieldMatch::Ternary { value, mask } => {
                    let (v, m) = (canon(value)?, canon(mask)?);
                    if v & !m != 0 {
                        return Err(EntryError::MaskedBits {
                            key: key.name.clone(),
                            what: "mask",
                        });
                    }
                }
                FieldMatch::Range { low, high } => {
                    if canon(low)? > canon(high)? {
                        return Err(EntryError::EmptyRange {
                            key: key.name.clone(),
                        });
                    }
                }
                FieldMatch::Optional { value } => {
                    if let Some(v) = value {
                        canon(v)?;
                    }
                }
            }
        }
        if table.needs_priority() {
            if self.priority <= 0 {
                return Err(EntryError::PriorityMissing {
                    table: table.name.clone(),
                    found: self.priority,
                });
            }
        } else if self.priority != 0 {
            return Err(EntryError::PriorityUnexpected {
                table: table.name.clone(),
                found: self.priority,
            });
        }
        match (&self.action, table.implementation) {
            (EntryAction::Action(call), Implementation::Direct) => {
                check_call(p, table, call, false)
            }
            (EntryAction::Member { .. }, Implementation::ActionProfile(_))
            | (
                EntryAction::Member { .. } | EntryAction::Group { .. },
                Implementation::ActionSelector(_),
            ) => Ok(()),
            (found, imp) => Err(EntryError::ActionKind {
                table: table.name.clone(),
                expected: match imp {
                    Implementation::Direct => "takes actions directly",
                    Implementation::ActionProfile(_) => "takes action profile members",
                    Implementation::ActionSelector(_) => "takes action selector members or groups",
                },
                found: match found {
                    EntryAction::Action(_) => "an action",
                    EntryAction::Member { .. } => "a member",
                    EntryAction::Group { .. } => "a group",
                },
            }),
        }
    }

    /// Whether two entries of the same table have the same key (P4Runtime's entry identity).
    pub fn same_key(&self, other: &TableEntry) -> bool {
        self.table == other.table
            && self.priority == other.priority
            && self.matches == other.matches
    }
}

/// Checks an action call for `table`: the action belongs to the table with a scope that allows
/// this use, and the arguments are canonical for the parameters.
pub fn check_call(
    p: &Pipeline,
    table: &Table,
    call: &ActionCall,
    as_default: bool,
) -> Result<(), EntryError> {
    let Some(r) = table.actions.iter().find(|r| r.action == call.action) else {
        return Err(EntryError::ActionNotInTable {
            table: table.name.clone(),
            action: call.action.raw(),
        });
    };
    let action = &p.actions[call.action];
    match (r.scope, as_default) {
        (ActionScope::DefaultOnly, false) => {
            return Err(EntryError::ActionScope {
                table: table.name.clone(),
                action: action.name.clone(),
                scope: "default only",
            });
        }
        (ActionScope::TableOnly, true) => {
            return Err(EntryError::ActionScope {
                table: table.name.clone(),
                action: action.name.clone(),
                scope: "table only",
            });
        }
        _ => {}
    }
    check_args(action, &call.args)
}

/// Checks that `args` are canonical values for `action`'s parameters.
pub fn check_args(action: &Action, args: &[Vec<u8>]) -> Result<(), EntryError> {
    if args.len() != action.params.len() {
        return Err(EntryError::ArgCount {
            action: action.name.clone(),
            expected: action.params.len(),
            found: args.len(),
        });
    }
    for (param, a) in action.params.iter().zip(args) {
        if !value::is_canonical(a, param.width) {
            return Err(EntryError::ArgWidth {
                action: action.name.clone(),
                param: param.name.clone(),
                width: param.width,
                expected: value::byte_len(param.width),
                found: value::encode(a),
            });
        }
    }
    Ok(())
}

impl ProfileMember {
    /// Checks that the profile exists and the action is one of a table using that profile.
    pub fn check(&self, p: &Pipeline) -> Result<(), EntryError> {
        let ext = p
            .externs
            .get(self.profile)
            .ok_or(EntryError::NoTable(self.profile.raw()))?;
        if !matches!(
            ext.kind,
            ExternKind::ActionProfile { .. } | ExternKind::ActionSelector { .. }
        ) {
            return Err(EntryError::NotAProfile {
                name: ext.name.clone(),
            });
        }
        let mut last = Err(EntryError::ActionNotInTable {
            table: ext.name.clone(),
            action: self.action.action.raw(),
        });
        for (_, t) in p.tables.iter().filter(|(_, t)| {
            matches!(t.implementation, Implementation::ActionProfile(h) | Implementation::ActionSelector(h) if h == self.profile)
        }) {
            last = check_call(p, t, &self.action, false);
            if last.is_ok() {
                break;
            }
        }
        last
    }
}

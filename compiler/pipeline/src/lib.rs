//! The pipeline IR the softswitch executes (ddsr's equivalent of BMv2's JSON) and the
//! table-entry model shared by the compiler, the runtime and the softswitch.
//!
//! The central structure is [`Pipeline`]: arenas of header types, header instances, actions,
//! tables, extern instances, parser states and controls, addressed by typed [`Handle`]s, plus the
//! package binding ([`program::Package`]: v1model's `V1Switch` or TNA's `Pipeline`), which
//! records the architecture the program was written for. Controls and actions are
//! straight-line statements on resolved field references (`header handle`, `field index`),
//! never on names; names are kept only as control-plane names (`MyIngress.ipv4_lpm`) and for
//! traces.
//!
//! Invariants: a pipeline that passed [`valid::validate`] (which [`Pipeline::from_json`] always
//! runs) has every handle in range, every expression well typed with explicit casts, widths
//! within [`value::MAX_WIDTH`] and nesting within [`valid::MAX_DEPTH`]; consumers may index
//! without checks. Table entries ([`entry::TableEntry`]) hold canonical big-endian byte strings
//! and are checked against their table with [`entry::TableEntry::check`]; [`lookup`] is the
//! linear-scan oracle for every table implementation.
//!
//! The JSON format is described in `docs/pipeline-ir.md` and versioned by
//! [`program::FORMAT_VERSION`].

pub mod arena;
pub mod builder;
pub mod entry;
pub mod expr;
pub mod externs;
pub mod lookup;
pub mod parser;
pub mod pre;
pub mod program;
pub mod stmt;
pub mod table;
pub mod types;
pub mod v1model;
pub mod valid;
pub mod value;

pub use arena::{Arena, Handle};
pub use builder::Builder;
pub use entry::{ActionCall, EntryAction, EntryError, FieldMatch, TableEntry};
pub use expr::{BinOp, Expr, LValue, UnOp};
pub use program::{Action, Control, Pipeline};
pub use stmt::{ExternCall, Stmt};
pub use table::{MatchKind, Table};
pub use types::{FieldRef, Header, HeaderRef, HeaderType, Ty};
pub use valid::{LoadError, ValidationError};

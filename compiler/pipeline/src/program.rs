//! The whole pipeline: arenas of every IR item and the v1model package binding.

use serde::{Deserialize, Serialize};

use crate::arena::{Arena, Handle};
use crate::externs::{Extern, FieldList};
use crate::parser::Parser;
use crate::stmt::Stmt;
use crate::types::{Header, HeaderType, Stack, Ty, Union};

pub use crate::table::Table;

/// Version of the JSON format; loading any other version is an error.
pub const FORMAT_VERSION: u32 = 1;

/// The errors every P4 program has (`core.p4`), in this order, as indices 0..7 of
/// [`Pipeline::errors`]; programs append their own after them.
pub const CORE_ERRORS: [&str; 7] = [
    "NoError",
    "PacketTooShort",
    "NoMatch",
    "StackOutOfBounds",
    "HeaderTooShort",
    "ParserTimeout",
    "ParserInvalidArgument",
];

/// Width of values of type `error` (e.g. `standard_metadata.parser_error`).
pub const ERROR_WIDTH: u16 = 32;

/// A lowered P4 program for the v1model architecture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    pub format_version: u32,
    /// The program's name (its file stem).
    pub program: String,
    pub header_types: Arena<HeaderType>,
    pub headers: Arena<Header>,
    #[serde(default)]
    pub stacks: Arena<Stack>,
    #[serde(default)]
    pub unions: Arena<Union>,
    /// Names of the `error` values; starts with [`CORE_ERRORS`].
    pub errors: Vec<String>,
    #[serde(default)]
    pub value_sets: Arena<ValueSet>,
    #[serde(default)]
    pub field_lists: Vec<FieldList>,
    pub actions: Arena<Action>,
    pub tables: Arena<Table>,
    #[serde(default)]
    pub externs: Arena<Extern>,
    pub parser: Parser,
    pub controls: Arena<Control>,
    pub deparser: Deparser,
    pub package: V1Switch,
}

/// An action: control-plane name, parameters and body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// Control-plane name as p4c gives it, e.g. `MyIngress.set_nhop` or `NoAction`.
    pub name: String,
    #[serde(default)]
    pub id: u32,
    pub params: Vec<Param>,
    pub body: Vec<Stmt>,
}

/// An action parameter, `bit<width>` (directionless parameters come from the control plane).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Param {
    pub name: String,
    pub width: u16,
}

/// A control block lowered to statements; its locals are metadata instances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Control {
    pub name: String,
    pub body: Vec<Stmt>,
}

/// The deparser: headers emitted in order; invalid ones are skipped.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Deparser {
    pub name: String,
    pub emit: Vec<Emit>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Emit {
    Header(Handle<Header>),
    /// Every valid element in index order.
    Stack(Handle<Stack>),
    /// The valid member, if any.
    Union(Handle<Union>),
}

/// A parser `value_set<T>(size)`; members are value/mask pairs over the select key tuple.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueSet {
    pub name: String,
    #[serde(default)]
    pub id: u32,
    pub size: u32,
    /// Types of the tuple's elements, matching the select keys.
    pub fields: Vec<Ty>,
}

/// `V1Switch(parser, verify_checksum, ingress, egress, compute_checksum, deparser)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct V1Switch {
    /// The `standard_metadata_t` instance; see [`crate::v1model`] for the fields it must have.
    pub standard_metadata: Handle<Header>,
    pub verify_checksum: Handle<Control>,
    pub ingress: Handle<Control>,
    pub egress: Handle<Control>,
    pub compute_checksum: Handle<Control>,
}

impl Pipeline {
    /// Reads a pipeline from JSON and validates it.
    pub fn from_json(text: &str) -> Result<Pipeline, crate::valid::LoadError> {
        let p: Pipeline =
            serde_json::from_str(text).map_err(|e| crate::valid::LoadError::Syntax {
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })?;
        crate::valid::validate(&p)?;
        Ok(p)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the IR has only string map keys")
    }

    pub fn table_by_name(&self, name: &str) -> Option<Handle<Table>> {
        self.tables
            .iter()
            .find(|(_, t)| t.name == name)
            .map(|(h, _)| h)
    }

    pub fn action_by_name(&self, name: &str) -> Option<Handle<Action>> {
        self.actions
            .iter()
            .find(|(_, a)| a.name == name)
            .map(|(h, _)| h)
    }

    pub fn extern_by_name(&self, name: &str) -> Option<Handle<Extern>> {
        self.externs
            .iter()
            .find(|(_, e)| e.name == name)
            .map(|(h, _)| h)
    }

    pub fn error_code(&self, name: &str) -> Option<u32> {
        self.errors
            .iter()
            .position(|e| e == name)
            .and_then(|i| u32::try_from(i).ok())
    }
}

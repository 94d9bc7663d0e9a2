//! The whole pipeline: arenas of every IR item and the package binding (v1model's `V1Switch`
//! or TNA's `Pipeline`), which says which architecture the program was written for.

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

/// A lowered P4 program for the v1model or the TNA architecture.
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
    /// The parser; for TNA the ingress parser.
    pub parser: Parser,
    pub controls: Arena<Control>,
    /// The deparser; for TNA the ingress deparser's emits.
    pub deparser: Deparser,
    pub package: Package,
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

/// The architecture a pipeline was written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Architecture {
    V1model,
    Tna,
}

impl Architecture {
    pub fn name(self) -> &'static str {
        match self {
            Architecture::V1model => "v1model",
            Architecture::Tna => "tna",
        }
    }
}

/// How the program's blocks are bound to the architecture's package. The JSON of a v1model
/// binding is the bare [`V1Switch`] object (as in every pipeline written before TNA was
/// lowered); a TNA binding is a [`Tna`] object, told apart by its `"architecture": "tna"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Package {
    Tna(Box<Tna>),
    V1Switch(V1Switch),
}

impl Package {
    pub fn architecture(&self) -> Architecture {
        match self {
            Package::V1Switch(_) => Architecture::V1model,
            Package::Tna(_) => Architecture::Tna,
        }
    }

    /// The v1model binding, `None` for other architectures.
    pub fn v1switch(&self) -> Option<V1Switch> {
        match self {
            Package::V1Switch(v) => Some(*v),
            Package::Tna(_) => None,
        }
    }

    /// The TNA binding, `None` for other architectures.
    pub fn tna(&self) -> Option<&Tna> {
        match self {
            Package::Tna(t) => Some(t),
            Package::V1Switch(_) => None,
        }
    }
}

/// The tag of a [`Tna`] binding's JSON; only `tna` is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TnaTag {
    Tna,
}

/// TNA's `Switch(Pipeline(ingress_parser, ingress, ingress_deparser, egress_parser, egress,
/// egress_deparser) pipe)`: one pipe, run by every port. The ingress parser is
/// [`Pipeline::parser`] and the ingress deparser's emits [`Pipeline::deparser`]; the egress
/// half has its own parser and emits, since Tofino parses the packet again in egress.
/// Statements of a deparser other than `emit` (checksum updates, digests) are the control
/// `ingress_deparser` / `egress_deparser`, run before the emits. Each intrinsic metadata
/// parameter is one instance (headers for the two parser-extracted ones, metadata for the
/// others) shared by every block that declares it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tna {
    pub architecture: TnaTag,
    /// Name of the pipe (the `Pipeline` instance, or `pipe0` when constructed in place);
    /// control-plane names of its objects start with it, as bf-p4c names them.
    pub pipe: String,
    pub ingress: Handle<Control>,
    pub ingress_deparser: Handle<Control>,
    pub egress_parser: Parser,
    pub egress: Handle<Control>,
    pub egress_deparser: Handle<Control>,
    pub egress_emit: Deparser,
    /// `ingress_intrinsic_metadata_t` (a header the ingress parser extracts).
    pub ingress_intrinsic_metadata: Handle<Header>,
    pub ingress_intrinsic_metadata_from_parser: Handle<Header>,
    pub ingress_intrinsic_metadata_for_deparser: Handle<Header>,
    pub ingress_intrinsic_metadata_for_tm: Handle<Header>,
    /// `egress_intrinsic_metadata_t` (a header the egress parser extracts).
    pub egress_intrinsic_metadata: Handle<Header>,
    pub egress_intrinsic_metadata_from_parser: Handle<Header>,
    pub egress_intrinsic_metadata_for_deparser: Handle<Header>,
    pub egress_intrinsic_metadata_for_output_port: Handle<Header>,
}

/// `V1Switch(parser, verify_checksum, ingress, egress, compute_checksum, deparser)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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

    /// The architecture the program was written for.
    pub fn architecture(&self) -> Architecture {
        self.package.architecture()
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

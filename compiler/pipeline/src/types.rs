//! Types, header layouts and references to header fields.
//!
//! Everything the packet parser extracts and every piece of metadata is a *header instance* with a
//! fixed layout ([`HeaderType`]): packet headers are deparsed, metadata instances
//! (`metadata: true`, e.g. `standard_metadata` and the lowered user metadata and locals) never
//! are and are always valid. Stacks and unions group instances that also exist on their own.

use serde::{Deserialize, Serialize};

use crate::arena::Handle;

/// The type of a field or an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ty {
    Bool,
    /// `bit<N>`, 1 <= N <= 128.
    Bit(u16),
    /// `int<N>` in two's complement, 1 <= N <= 128.
    Int(u16),
    /// `varbit<N>`: a field whose size is given at extraction, at most N bits (N <= 2048).
    Varbit(u16),
}

impl Ty {
    /// Bits the type occupies (the maximum for varbit).
    pub const fn width(self) -> u16 {
        match self {
            Ty::Bool => 1,
            Ty::Bit(w) | Ty::Int(w) | Ty::Varbit(w) => w,
        }
    }

    pub const fn is_signed(self) -> bool {
        matches!(self, Ty::Int(_))
    }

    /// `bit<N>` or `int<N>`: the types arithmetic applies to.
    pub const fn is_numeric(self) -> bool {
        matches!(self, Ty::Bit(_) | Ty::Int(_))
    }
}

/// One field of a header type, in wire order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub ty: Ty,
}

/// The layout of a header or metadata struct; fields are laid out most significant bit first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeaderType {
    pub name: String,
    pub fields: Vec<Field>,
}

impl HeaderType {
    /// Fixed bits of the layout (varbit fields count as zero).
    pub fn fixed_width(&self) -> u32 {
        self.fields
            .iter()
            .filter(|f| !matches!(f.ty, Ty::Varbit(_)))
            .map(|f| u32::from(f.ty.width()))
            .sum()
    }

    pub fn field_index(&self, name: &str) -> Option<u16> {
        self.fields
            .iter()
            .position(|f| f.name == name)
            .and_then(|i| u16::try_from(i).ok())
    }
}

/// A header or metadata instance, e.g. `hdr.ipv4`, `meta`, `standard_metadata`, `hdr.mpls[2]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The name used in traces and by the STF runner, e.g. `hdr.ipv4`.
    pub name: String,
    pub ty: Handle<HeaderType>,
    /// Metadata is always valid, starts zeroed and is never deparsed.
    #[serde(default)]
    pub metadata: bool,
}

/// A header stack `T[n]`; its elements are ordinary instances listed in index order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stack {
    pub name: String,
    pub elements: Vec<Handle<Header>>,
}

/// A header union: at most one member is valid at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Union {
    pub name: String,
    pub members: Vec<Handle<Header>>,
}

/// Which header an operation addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeaderRef {
    /// A header, metadata or stack element instance.
    Instance(Handle<Header>),
    /// `stack.next`: the element at the stack's next index (parser only).
    Next(Handle<Stack>),
    /// `stack.last`: the element before the next index (parser only).
    Last(Handle<Stack>),
}

/// A field of a header: the header and the field's index in its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FieldRef {
    pub header: HeaderRef,
    pub field: u16,
}

impl FieldRef {
    pub const fn new(header: Handle<Header>, field: u16) -> Self {
        FieldRef {
            header: HeaderRef::Instance(header),
            field,
        }
    }
}

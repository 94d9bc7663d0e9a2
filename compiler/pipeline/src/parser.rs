//! Parser state machines.

use serde::{Deserialize, Serialize};

use crate::arena::{Arena, Handle};
use crate::expr::Expr;
use crate::program::ValueSet;
use crate::stmt::Stmt;
use crate::types::HeaderRef;
use crate::value::hex_u128;

/// The parser: states in an arena, `start` first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parser {
    pub name: String,
    pub states: Arena<State>,
    pub start: Handle<State>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub name: String,
    pub ops: Vec<ParserOp>,
    pub transition: Transition,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "parser_op", rename_all = "snake_case")]
pub enum ParserOp {
    /// `packet.extract(h)`: a header without varbit field. Fails with `PacketTooShort`;
    /// extracting `stack.next` past the end fails with `StackOutOfBounds`.
    Extract { header: HeaderRef },
    /// `packet.extract(h, size)`: `size` (any `bit<N>`) is the bit length of the header's varbit
    /// field; more than the field's maximum fails with `HeaderTooShort`.
    ExtractVarbit { header: HeaderRef, size: Expr },
    /// `packet.advance(bits)`; fails with `PacketTooShort`.
    Advance { bits: Expr },
    /// `verify(cond, error)`: `error` is an index into [`crate::Pipeline::errors`].
    Verify { condition: Expr, error: u32 },
    /// Assignments, validity changes and extern calls inside a state.
    Stmt { stmt: Stmt },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "transition", rename_all = "snake_case")]
pub enum Transition {
    Accept,
    Reject,
    Goto {
        state: Handle<State>,
    },
    /// `select (keys) { cases }`; no matching case is the error `NoMatch`.
    Select {
        keys: Vec<Expr>,
        cases: Vec<SelectCase>,
    },
}

/// Where a select case leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Next {
    Accept,
    Reject,
    State(Handle<State>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectCase {
    pub keyset: CaseKeys,
    pub next: Next,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseKeys {
    /// `default` or a tuple of `_`.
    Default,
    /// One keyset per select key.
    Tuple(Vec<KeySet>),
    /// A `value_set` the control plane fills; its width is the select keys' total width.
    ValueSet(Handle<ValueSet>),
}

/// One element of a select case; values have the width of the matching key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "match", rename_all = "snake_case")]
pub enum KeySet {
    /// `_`.
    Any,
    Value {
        #[serde(with = "hex_u128")]
        value: u128,
    },
    /// `value &&& mask`.
    Mask {
        #[serde(with = "hex_u128")]
        value: u128,
        #[serde(with = "hex_u128")]
        mask: u128,
    },
    /// `lo .. hi`, inclusive, unsigned.
    Range {
        #[serde(with = "hex_u128")]
        lo: u128,
        #[serde(with = "hex_u128")]
        hi: u128,
    },
}

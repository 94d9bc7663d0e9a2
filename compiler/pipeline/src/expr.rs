//! Expressions with P4_16 arithmetic.
//!
//! Expressions are strictly typed: the lowering inserts every implicit cast, so both operands of
//! an arithmetic or comparison operator have the same [`Ty`], a shift amount is any `bit<N>`, and
//! conditions are `bool`. Validation computes each expression's type ([`crate::valid`]) and
//! rejects anything else, so the executor never has to guess a width.

use serde::{Deserialize, Serialize};

use crate::arena::Handle;
use crate::types::{FieldRef, HeaderRef, Stack, Ty, Union};
use crate::value::hex_u128;

/// A pure expression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Expr {
    /// A literal; `value` is reduced to the type's width (two's complement for `int`).
    Const {
        ty: Ty,
        #[serde(with = "hex_u128")]
        value: u128,
    },
    /// A header or metadata field.
    Field {
        field: FieldRef,
    },
    /// Parameter `index` of the enclosing action (actions only); typed `bit<width>`.
    Param {
        index: u16,
    },
    /// `h.isValid()`.
    IsValid {
        header: HeaderRef,
    },
    /// `u.isValid()` for a header union: whether any member is valid.
    UnionIsValid {
        union: Handle<Union>,
    },
    /// `stack.nextIndex` (`bit<32>`); `lastIndex` is `nextIndex - 1`.
    NextIndex {
        stack: Handle<Stack>,
    },
    /// `packet.lookahead<T>()` (parsers only): the next `T`-width bits, not consumed.
    Lookahead {
        ty: Ty,
    },
    Unary {
        un: UnOp,
        arg: Box<Expr>,
    },
    Binary {
        bin: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `arg[hi:lo]`, a `bit<hi - lo + 1>`.
    Slice {
        arg: Box<Expr>,
        hi: u16,
        lo: u16,
    },
    /// `hi ++ lo`; the result's signedness is that of `hi`.
    Concat {
        hi: Box<Expr>,
        lo: Box<Expr>,
    },
    /// `(ty) arg`: between `bit`/`int` of any widths (extension follows the source's signedness,
    /// truncation keeps the low bits) and between `bool` and `bit<1>`.
    Cast {
        ty: Ty,
        arg: Box<Expr>,
    },
    /// `cond ? then : els`.
    Mux {
        cond: Box<Expr>,
        then: Box<Expr>,
        els: Box<Expr>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnOp {
    /// `-x`, wrapping.
    Neg,
    /// `~x`.
    BitNot,
    /// `!b`.
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BinOp {
    /// Wrapping `+`, `-`, `*`.
    Add,
    Sub,
    Mul,
    /// Unsigned `/` and `%` (P4_16 allows them on `bit<N>` only); division by zero yields 0.
    Div,
    Mod,
    /// `|+|` and `|-|`: clamp to the type's range.
    AddSat,
    SubSat,
    BitAnd,
    BitOr,
    BitXor,
    /// `<<`; the amount may exceed the width, which yields 0.
    Shl,
    /// `>>`, arithmetic for `int`.
    Shr,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `&&`, `||` with short-circuit evaluation.
    And,
    Or,
}

/// The target of an assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LValue {
    Field(FieldRef),
    /// `f[hi:lo] = ...`.
    Slice {
        field: FieldRef,
        hi: u16,
        lo: u16,
    },
}

impl LValue {
    pub const fn field(self) -> FieldRef {
        match self {
            LValue::Field(f) | LValue::Slice { field: f, .. } => f,
        }
    }
}

impl Expr {
    pub fn bits(width: u16, value: u128) -> Expr {
        Expr::Const {
            ty: Ty::Bit(width),
            value: value & crate::value::mask(width),
        }
    }

    pub fn bool(b: bool) -> Expr {
        Expr::Const {
            ty: Ty::Bool,
            value: u128::from(b),
        }
    }

    pub fn field(f: FieldRef) -> Expr {
        Expr::Field { field: f }
    }

    pub fn binary(bin: BinOp, lhs: Expr, rhs: Expr) -> Expr {
        Expr::Binary {
            bin,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        }
    }

    pub fn unary(un: UnOp, arg: Expr) -> Expr {
        Expr::Unary {
            un,
            arg: Box::new(arg),
        }
    }

    pub fn cast(ty: Ty, arg: Expr) -> Expr {
        Expr::Cast {
            ty,
            arg: Box::new(arg),
        }
    }

    pub fn slice(arg: Expr, hi: u16, lo: u16) -> Expr {
        Expr::Slice {
            arg: Box::new(arg),
            hi,
            lo,
        }
    }

    pub fn concat(hi: Expr, lo: Expr) -> Expr {
        Expr::Concat {
            hi: Box::new(hi),
            lo: Box::new(lo),
        }
    }
}

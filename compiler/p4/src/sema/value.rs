//! Compile-time values and the arithmetic on them.
//!
//! Integers are kept as [`BigInt`]: `int` values are exact, and a value of type `bit<w>`/`int<w>`
//! is always already wrapped into that type's range (two's complement for `int<w>`), so two
//! equal values of one type compare equal.

use num_bigint::{BigInt, Sign};

use crate::ast::{Decl, Handle};

/// The widest `bit<w>`/`int<w>` the checker accepts; keeps constant arithmetic bounded.
pub const MAX_WIDTH: u32 = 65536;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Int(BigInt),
    Bool(bool),
    String(String),
    /// `error.name`.
    Error(String),
    /// A `match_kind` member.
    MatchKind(String),
    /// Member `member` of enum `decl`; a serializable member's number is in
    /// [`super::Checked::enum_values`].
    Enum {
        decl: Handle<Decl>,
        member: u32,
    },
    /// A list, tuple or header stack initializer.
    List(Vec<Value>),
    /// A struct or header initializer, fields in declaration order when typed.
    Struct(Vec<(String, Value)>),
}

impl Value {
    pub fn as_int(&self) -> Option<&BigInt> {
        match self {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

/// `2^w`.
pub fn pow2(w: u32) -> BigInt {
    BigInt::from(1u8) << (w as usize)
}

/// Wraps `v` into the range of `bit<w>` (`signed == false`) or `int<w>`.
pub fn wrap(v: &BigInt, w: u32, signed: bool) -> BigInt {
    if w == 0 {
        return BigInt::ZERO;
    }
    let m = pow2(w);
    let mut r = v % &m;
    if r.sign() == Sign::Minus {
        r += &m;
    }
    if signed && r >= pow2(w - 1) {
        r -= m;
    }
    r
}

/// Whether `v` is representable in `bit<w>`/`int<w>` without wrapping.
pub fn fits(v: &BigInt, w: u32, signed: bool) -> bool {
    if signed {
        if w == 0 {
            return v == &BigInt::ZERO;
        }
        let half = pow2(w - 1);
        v >= &-half.clone() && v < &half
    } else {
        v.sign() != Sign::Minus && v < &pow2(w)
    }
}

/// Bits `hi..=lo` of `v` (taken from its two's complement), as an unsigned number.
pub fn slice(v: &BigInt, hi: u32, lo: u32) -> BigInt {
    let width = hi - lo + 1;
    let shifted = wrap(v, hi + 1, false) >> (lo as usize);
    wrap(&shifted, width, false)
}

/// `u32` of a non-negative value that fits, for widths, sizes and indices.
pub fn to_u32(v: &BigInt) -> Option<u32> {
    u32::try_from(v).ok()
}

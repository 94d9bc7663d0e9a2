//! Statements: the straight-line primitive operations of controls, actions and parser states.

use serde::{Deserialize, Serialize};

use crate::arena::Handle;
use crate::expr::{Expr, LValue};
use crate::externs::{CloneKind, Extern, HashAlgorithm};
use crate::program::{Action, Table};
use crate::types::{HeaderRef, Stack};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "stmt", rename_all = "snake_case")]
pub enum Stmt {
    /// `dst = src`; `src` has the type of `dst` (for slices: `bit<hi - lo + 1>`).
    Assign {
        dst: LValue,
        src: Expr,
    },
    /// `dst = src` for whole headers of the same type, validity included.
    CopyHeader {
        dst: HeaderRef,
        src: HeaderRef,
    },
    SetValid {
        header: HeaderRef,
    },
    SetInvalid {
        header: HeaderRef,
    },
    /// `stack.push_front(count)`, `stack.pop_front(count)`.
    PushFront {
        stack: Handle<Stack>,
        count: u32,
    },
    PopFront {
        stack: Handle<Stack>,
        count: u32,
    },
    If {
        cond: Expr,
        then: Vec<Stmt>,
        #[serde(default)]
        els: Vec<Stmt>,
    },
    /// `t.apply()` and what the control does with its result.
    Apply {
        table: Handle<Table>,
        #[serde(default)]
        arms: ApplyArms,
    },
    /// A direct action call from a control body; `args` match the parameters' widths.
    Call {
        action: Handle<Action>,
        args: Vec<Expr>,
    },
    /// An extern method or function.
    Extern {
        call: ExternCall,
    },
    /// `exit`: ends the current control (and, as P4 says, the rest of ingress or egress).
    Exit,
    /// `return` from an action or control body.
    Return,
}

/// Branches taken on a table's result.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "on", rename_all = "snake_case")]
pub enum ApplyArms {
    /// A plain `t.apply();`.
    #[default]
    None,
    /// `if (t.apply().hit) { hit } else { miss }`; `.miss` is written with the arms swapped.
    Hit { hit: Vec<Stmt>, miss: Vec<Stmt> },
    /// `switch (t.apply().action_run) { ... }`: the first case listing the executed action runs;
    /// `default` otherwise.
    ActionRun {
        cases: Vec<ActionCase>,
        #[serde(default)]
        default: Vec<Stmt>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionCase {
    pub actions: Vec<Handle<Action>>,
    pub body: Vec<Stmt>,
}

/// v1model extern methods and functions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "extern", rename_all = "snake_case")]
pub enum ExternCall {
    /// `counter.count(index)`; an index out of range does nothing (as BMv2 logs and ignores).
    Count {
        counter: Handle<Extern>,
        index: Expr,
    },
    /// `meter.execute_meter(index, dst)`: writes the colour (0 green, 1 yellow, 2 red).
    ExecuteMeter {
        meter: Handle<Extern>,
        index: Expr,
        dst: LValue,
    },
    /// `direct_meter.read(dst)`: the colour computed when the owning table hit.
    ReadDirectMeter { meter: Handle<Extern>, dst: LValue },
    /// `register.read(dst, index)`; an index out of range reads 0.
    RegisterRead {
        register: Handle<Extern>,
        dst: LValue,
        index: Expr,
    },
    /// `register.write(index, value)`; an index out of range does nothing.
    RegisterWrite {
        register: Handle<Extern>,
        index: Expr,
        value: Expr,
    },
    /// `hash(dst, algo, base, data, max)`: `dst = base + h(data) % max` (`max == 0`: `base`).
    Hash {
        dst: LValue,
        algorithm: HashAlgorithm,
        base: Expr,
        data: Vec<Expr>,
        max: Expr,
    },
    /// `random(dst, lo, hi)`: uniform in `[lo, hi]`.
    Random { dst: LValue, lo: Expr, hi: Expr },
    /// `verify_checksum[_with_payload](cond, data, checksum, algo)`: on mismatch sets
    /// `standard_metadata.checksum_error`.
    VerifyChecksum {
        condition: Expr,
        data: Vec<Expr>,
        checksum: Expr,
        algorithm: HashAlgorithm,
        #[serde(default)]
        with_payload: bool,
    },
    /// `update_checksum[_with_payload](cond, data, checksum, algo)`.
    UpdateChecksum {
        condition: Expr,
        data: Vec<Expr>,
        checksum: LValue,
        algorithm: HashAlgorithm,
        #[serde(default)]
        with_payload: bool,
    },
    /// `digest(receiver, data)`: `data` matches the digest's fields.
    Digest {
        digest: Handle<Extern>,
        receiver: u32,
        data: Vec<Expr>,
    },
    /// `clone(kind, session)` and `clone_preserving_field_list(kind, session, list)`.
    Clone {
        kind: CloneKind,
        session: Expr,
        #[serde(default)]
        field_list: Option<u8>,
    },
    /// `resubmit_preserving_field_list(list)` (ingress only).
    Resubmit {
        #[serde(default)]
        field_list: Option<u8>,
    },
    /// `recirculate_preserving_field_list(list)` (egress only).
    Recirculate {
        #[serde(default)]
        field_list: Option<u8>,
    },
    /// `truncate(length)`: emit at most `length` bytes.
    Truncate { length: Expr },
    /// `mark_to_drop(standard_metadata)`.
    MarkToDrop,
    /// `log_msg(format, {args})`; each `{}` in `format` takes the next argument.
    LogMsg { format: String, args: Vec<Expr> },
    /// `assert(cond)`: a failing assert drops the packet with reason `assert`.
    Assert { condition: Expr },
    /// `assume(cond)`: as assert at run time.
    Assume { condition: Expr },
}

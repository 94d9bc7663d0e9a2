//! Controls and actions compiled once at load into a form the hot path runs without looking
//! anything up: [`Code`] holds one [`Op`] block per control and per action.
//!
//! Compilation resolves what the interpreter ([`crate::exec`]) recomputes per packet: the PHV
//! slot of every field of a fixed header instance, the mask and header of every assignment
//! target, and the static type (width, signedness) of every operator, so a [`Val`] evaluates
//! to a bare `u128`. Constructs that depend on run-time state the compiler cannot fix (stack
//! `next`/`last` references, lookahead, varbit copies) and the extern calls other than hashes
//! and checksums stay [`Op::Interp`] / [`Val::Interp`] nodes that hand the original IR to the
//! interpreter, so both paths share one definition of every semantic detail; the interpreter
//! stays the oracle that tests compare this path against.
//!
//! Invariant: built only from a validated pipeline, whose expressions are strictly typed (both
//! operands of an operator have one type), so the types computed here are the ones the
//! interpreter would find at run time.

use ddsr_pipeline::expr::{BinOp, Expr, LValue, UnOp};
use ddsr_pipeline::externs::HashAlgorithm;
use ddsr_pipeline::stmt::{ApplyArms, ExternCall, Stmt};
use ddsr_pipeline::types::{FieldRef, HeaderRef, Ty};
use ddsr_pipeline::value::{mask, sign_extend};
use ddsr_pipeline::{Action, Handle, Pipeline, Table};

use crate::bits;
use crate::exec::{Exec, Flow, arith};
use crate::externs::hash;
use crate::layout::Layout;

/// A compiled expression: evaluates to its value reduced to its static type's width.
#[derive(Debug, Clone)]
pub enum Val {
    Const(u128),
    /// A field of a fixed instance.
    Slot(u32),
    /// An action parameter.
    Param(u16),
    /// `isValid()` of a fixed instance.
    Valid(u32),
    Not(Box<Val>),
    /// `~a` or `-a` reduced by `mask`.
    BitNot(u128, Box<Val>),
    Neg(u128, Box<Val>),
    /// Short-circuit `&&` / `||`.
    And(Box<Val>, Box<Val>),
    Or(Box<Val>, Box<Val>),
    Bin {
        op: BinOp,
        width: u16,
        signed: bool,
        lhs: Box<Val>,
        rhs: Box<Val>,
    },
    /// `(a >> lo) & mask`.
    Slice(u16, u128, Box<Val>),
    /// `hi ++ lo` where `lo` is `low` bits wide; the result is reduced by `mask`.
    Concat {
        low: u16,
        mask: u128,
        hi: Box<Val>,
        lo: Box<Val>,
    },
    /// A cast from a `from`-bit type (signed: sign-extend first) to a type reduced by `mask`.
    Cast {
        from: u16,
        signed: bool,
        mask: u128,
        arg: Box<Val>,
    },
    Mux(Box<Val>, Box<Val>, Box<Val>),
    /// Left to the interpreter.
    Interp(Box<Expr>),
}

/// A compiled assignment target: a field of a fixed instance, or a slice of it.
#[derive(Debug, Clone, Copy)]
pub struct Dst {
    pub slot: u32,
    /// The field's width mask.
    pub mask: u128,
    /// The header to mark for the deparser.
    pub header: u32,
    /// For a slice `[hi:lo]`: its bits shifted into place, and `lo`.
    pub slice: Option<(u128, u16)>,
}

/// A compiled statement.
#[derive(Debug, Clone)]
pub enum Op {
    Set(Dst, Val),
    SetValid(Handle<ddsr_pipeline::Header>, bool),
    If(Val, Block, Block),
    Apply {
        table: Handle<Table>,
        keys: Box<[Val]>,
        arms: Arms,
    },
    Call(Handle<Action>, Box<[Val]>),
    /// `hash(dst, algorithm, base, data, max)`.
    Hash {
        dst: Dst,
        algorithm: HashAlgorithm,
        base: Val,
        max: Val,
        data: Packed,
    },
    /// `verify_checksum[_with_payload]`: sets `checksum_error` (slot) on a mismatch of the
    /// checksum reduced by `mask`.
    Verify {
        condition: Val,
        data: Packed,
        checksum: Val,
        mask: u128,
        algorithm: HashAlgorithm,
        with_payload: bool,
        error: Option<Dst>,
    },
    /// `update_checksum[_with_payload]`.
    Update {
        condition: Val,
        data: Packed,
        dst: Dst,
        algorithm: HashAlgorithm,
        with_payload: bool,
    },
    Exit,
    Return,
    /// Left to the interpreter.
    Interp(Box<Stmt>),
}

pub type Block = Box<[Op]>;

/// A field list packed MSB first for a hash or checksum: each value with its width.
pub type Packed = Box<[(Val, u16)]>;

/// What follows a table apply.
#[derive(Debug, Clone)]
pub enum Arms {
    None,
    Hit(Block, Block),
    /// `switch (t.apply().action_run)`: the cases and the default body.
    ActionRun(Box<[Case]>, Block),
}

/// A case of an `action_run` switch: the actions that select it and its body.
pub type Case = (Box<[Handle<Action>]>, Block);

/// Every control and action of a pipeline, compiled.
#[derive(Debug, Clone, Default)]
pub struct Code {
    /// Indexed like `Pipeline::controls`.
    pub controls: Vec<Block>,
    /// Indexed like `Pipeline::actions`.
    pub actions: Vec<Block>,
}

impl Code {
    pub fn new(p: &Pipeline, layout: &Layout) -> Code {
        let c = Compiler { p, layout };
        Code {
            controls: p
                .controls
                .iter()
                .map(|(_, ctl)| c.block(&ctl.body, None))
                .collect(),
            actions: p
                .actions
                .iter()
                .map(|(h, a)| c.block(&a.body, Some(h)))
                .collect(),
        }
    }
}

struct Compiler<'a> {
    p: &'a Pipeline,
    layout: &'a Layout,
}

impl Compiler<'_> {
    fn block(&self, body: &[Stmt], action: Option<Handle<Action>>) -> Block {
        body.iter().map(|s| self.stmt(s, action)).collect()
    }

    /// The slot of a field of a fixed instance (`None`: a stack reference, resolved per packet).
    fn fixed(&self, f: FieldRef) -> Option<u32> {
        match f.header {
            HeaderRef::Instance(h) => Some(self.layout.slot(h, f.field)),
            HeaderRef::Next(_) | HeaderRef::Last(_) => None,
        }
    }

    /// The target of an assignment to a fixed, non-varbit field.
    fn dst(&self, l: &LValue) -> Option<Dst> {
        let slot = self.fixed(l.field())?;
        let ty = self.layout.slot_ty[slot as usize];
        if let Ty::Varbit(_) = ty {
            return None;
        }
        Some(Dst {
            slot,
            mask: mask(ty.width().min(128)),
            header: self.layout.slot_header[slot as usize],
            slice: match *l {
                LValue::Field(_) => None,
                LValue::Slice { hi, lo, .. } => Some((mask(hi - lo + 1) << lo, lo)),
            },
        })
    }

    fn packed(&self, data: &[Expr], action: Option<Handle<Action>>) -> Packed {
        data.iter()
            .map(|e| (self.expr(e, action), self.ty(e, action).width()))
            .collect()
    }

    fn stmt(&self, s: &Stmt, action: Option<Handle<Action>>) -> Op {
        let interp = || Op::Interp(Box::new(s.clone()));
        match s {
            Stmt::Assign { dst, src } => match self.dst(dst) {
                Some(d) => Op::Set(d, self.expr(src, action)),
                None => interp(),
            },
            Stmt::Extern { call } => self.call(call, action).unwrap_or_else(interp),
            Stmt::SetValid {
                header: HeaderRef::Instance(h),
            } => Op::SetValid(*h, true),
            Stmt::SetInvalid {
                header: HeaderRef::Instance(h),
            } => Op::SetValid(*h, false),
            Stmt::If { cond, then, els } => Op::If(
                self.expr(cond, action),
                self.block(then, action),
                self.block(els, action),
            ),
            Stmt::Apply { table, arms } => Op::Apply {
                table: *table,
                keys: self.p.tables[*table]
                    .keys
                    .iter()
                    .map(|k| self.expr(&k.expr, action))
                    .collect(),
                arms: match arms {
                    ApplyArms::None => Arms::None,
                    ApplyArms::Hit { hit, miss } => {
                        Arms::Hit(self.block(hit, action), self.block(miss, action))
                    }
                    ApplyArms::ActionRun { cases, default } => Arms::ActionRun(
                        cases
                            .iter()
                            .map(|c| (c.actions.clone().into(), self.block(&c.body, action)))
                            .collect(),
                        self.block(default, action),
                    ),
                },
            },
            Stmt::Call { action: a, args } => {
                Op::Call(*a, args.iter().map(|e| self.expr(e, action)).collect())
            }
            Stmt::Exit => Op::Exit,
            Stmt::Return => Op::Return,
            _ => interp(),
        }
    }

    /// The hash and checksum externs (the per-packet field packing); `None`: interpret.
    fn call(&self, c: &ExternCall, action: Option<Handle<Action>>) -> Option<Op> {
        Some(match c {
            ExternCall::Hash {
                dst,
                algorithm,
                base,
                data,
                max,
            } => Op::Hash {
                dst: self.dst(dst)?,
                algorithm: *algorithm,
                base: self.expr(base, action),
                max: self.expr(max, action),
                data: self.packed(data, action),
            },
            ExternCall::VerifyChecksum {
                condition,
                data,
                checksum,
                algorithm,
                with_payload,
            } => Op::Verify {
                condition: self.expr(condition, action),
                data: self.packed(data, action),
                checksum: self.expr(checksum, action),
                mask: mask(self.ty(checksum, action).width()),
                algorithm: *algorithm,
                with_payload: *with_payload,
                error: self.layout.std.checksum_error.map(|slot| Dst {
                    slot,
                    mask: mask(self.layout.slot_ty[slot as usize].width().min(128)),
                    header: self.layout.slot_header[slot as usize],
                    slice: None,
                }),
            },
            ExternCall::UpdateChecksum {
                condition,
                data,
                checksum,
                algorithm,
                with_payload,
            } => Op::Update {
                condition: self.expr(condition, action),
                data: self.packed(data, action),
                dst: self.dst(checksum)?,
                algorithm: *algorithm,
                with_payload: *with_payload,
            },
            _ => return None,
        })
    }

    fn expr(&self, e: &Expr, action: Option<Handle<Action>>) -> Val {
        let sub = |e: &Expr| Box::new(self.expr(e, action));
        match e {
            Expr::Const { value, .. } => Val::Const(*value),
            Expr::Field { field } => match self.fixed(*field) {
                Some(s) => Val::Slot(s),
                None => Val::Interp(Box::new(e.clone())),
            },
            // Outside an action the interpreter reads parameters with width 1; keep that path.
            Expr::Param { index } if action.is_some() => Val::Param(*index),
            Expr::IsValid {
                header: HeaderRef::Instance(h),
            } => Val::Valid(h.raw()),
            Expr::Unary { un, arg } => {
                let m = mask(self.ty(arg, action).width());
                match un {
                    UnOp::Not => Val::Not(sub(arg)),
                    UnOp::BitNot => Val::BitNot(m, sub(arg)),
                    UnOp::Neg => Val::Neg(m, sub(arg)),
                }
            }
            Expr::Binary { bin, lhs, rhs } => match bin {
                BinOp::And => Val::And(sub(lhs), sub(rhs)),
                BinOp::Or => Val::Or(sub(lhs), sub(rhs)),
                _ => {
                    let t = self.ty(lhs, action);
                    Val::Bin {
                        op: *bin,
                        width: t.width(),
                        signed: t.is_signed(),
                        lhs: sub(lhs),
                        rhs: sub(rhs),
                    }
                }
            },
            Expr::Slice { arg, hi, lo } => Val::Slice(*lo, mask(hi - lo + 1), sub(arg)),
            Expr::Concat { hi, lo } => {
                let (ta, tb) = (self.ty(hi, action), self.ty(lo, action));
                Val::Concat {
                    low: tb.width(),
                    mask: mask(ta.width() + tb.width()),
                    hi: sub(hi),
                    lo: sub(lo),
                }
            }
            Expr::Cast { ty, arg } => {
                let from = self.ty(arg, action);
                Val::Cast {
                    from: from.width(),
                    signed: from.is_signed(),
                    mask: mask(ty.width()),
                    arg: sub(arg),
                }
            }
            Expr::Mux { cond, then, els } => Val::Mux(sub(cond), sub(then), sub(els)),
            _ => Val::Interp(Box::new(e.clone())),
        }
    }

    /// The type the interpreter's `eval` returns for `e`.
    fn ty(&self, e: &Expr, action: Option<Handle<Action>>) -> Ty {
        match e {
            Expr::Const { ty, .. } | Expr::Lookahead { ty } | Expr::Cast { ty, .. } => *ty,
            Expr::Field { field } => crate::exec::field_ty(self.p, *field),
            Expr::Param { index } => {
                Ty::Bit(action.map_or(1, |a| self.p.actions[a].params[usize::from(*index)].width))
            }
            Expr::IsValid { .. } | Expr::UnionIsValid { .. } => Ty::Bool,
            Expr::NextIndex { .. } => Ty::Bit(32),
            Expr::Unary { arg, .. } => self.ty(arg, action),
            Expr::Binary { bin, lhs, .. } => match bin {
                BinOp::And
                | BinOp::Or
                | BinOp::Eq
                | BinOp::Ne
                | BinOp::Lt
                | BinOp::Le
                | BinOp::Gt
                | BinOp::Ge => Ty::Bool,
                _ => self.ty(lhs, action),
            },
            Expr::Slice { hi, lo, .. } => Ty::Bit(hi - lo + 1),
            Expr::Concat { hi, lo } => {
                let (ta, tb) = (self.ty(hi, action), self.ty(lo, action));
                let w = ta.width() + tb.width();
                if ta.is_signed() {
                    Ty::Int(w)
                } else {
                    Ty::Bit(w)
                }
            }
            Expr::Mux { then, .. } => self.ty(then, action),
        }
    }
}

impl Exec<'_> {
    /// Runs a compiled block.
    pub fn run(&mut self, ops: &[Op]) -> Flow {
        for op in ops {
            let f = self.op(op);
            if f != Flow::Next {
                return f;
            }
        }
        Flow::Next
    }

    fn op(&mut self, op: &Op) -> Flow {
        match op {
            Op::Set(d, src) => {
                let v = self.val(src);
                self.put(d, v);
            }
            Op::Hash {
                dst,
                algorithm,
                base,
                max,
                data,
            } => {
                let b = self.val(base);
                let m = self.val(max);
                self.pack_vals(data);
                let h = hash::compute(*algorithm, self.bytes, self.rng);
                let v = if m == 0 {
                    b.wrapping_add(h)
                } else {
                    b.wrapping_add(h % m)
                };
                self.put(dst, v);
            }
            Op::Verify {
                condition,
                data,
                checksum,
                mask,
                algorithm,
                with_payload,
                error,
            } => {
                if self.val(condition) != 0 {
                    let want = self.val(checksum);
                    let got = self.packed_checksum(data, *algorithm, *with_payload) & mask;
                    if got != want
                        && let Some(e) = error
                    {
                        self.put(e, 1);
                    }
                }
            }
            Op::Update {
                condition,
                data,
                dst,
                algorithm,
                with_payload,
            } => {
                if self.val(condition) != 0 {
                    let v = self.packed_checksum(data, *algorithm, *with_payload);
                    self.put(dst, v);
                }
            }
            Op::SetValid(h, valid) => self.set_valid(*h, *valid),
            Op::If(cond, then, els) => {
                return if self.val(cond) != 0 {
                    self.run(then)
                } else {
                    self.run(els)
                };
            }
            Op::Apply { table, keys, arms } => {
                self.key.clear();
                for k in keys.iter() {
                    let v = self.val(k);
                    self.key.push(v);
                }
                let (hit, action) = self.lookup(*table);
                if self.run_compiled_action(action) == Flow::Exit {
                    return Flow::Exit;
                }
                return match arms {
                    Arms::None => Flow::Next,
                    Arms::Hit(h, m) => self.run(if hit { h } else { m }),
                    Arms::ActionRun(cases, default) => {
                        let body = cases
                            .iter()
                            .find(|(acts, _)| acts.contains(&action))
                            .map_or(default, |(_, b)| b);
                        self.run(body)
                    }
                };
            }
            Op::Call(action, args) => {
                self.args.clear();
                for a in args.iter() {
                    let v = self.val(a);
                    self.args.push(v);
                }
                return self.run_compiled_action(*action);
            }
            Op::Exit => return Flow::Exit,
            Op::Return => return Flow::Return,
            Op::Interp(s) => return self.stmt(s),
        }
        Flow::Next
    }

    /// Writes a compiled target as the interpreter's `store` does.
    #[inline]
    fn put(&mut self, d: &Dst, v: u128) {
        let s = &mut self.phv.slots[d.slot as usize];
        *s = match d.slice {
            None => v,
            Some((bits, lo)) => (*s & !bits) | ((v << lo) & bits),
        } & d.mask;
        self.phv.dirty[d.header as usize] = true;
    }

    /// Packs values MSB first into `self.bytes`, as the interpreter's `pack`.
    fn pack_vals(&mut self, data: &[(Val, u16)]) {
        self.bytes.clear();
        let mut total = 0usize;
        for (e, w) in data {
            let v = self.val(e);
            let w = *w;
            if total.is_multiple_of(8) && w.is_multiple_of(8) {
                let n = usize::from(w / 8);
                self.bytes.extend_from_slice(&v.to_be_bytes()[16 - n..]);
            } else {
                let need = (total + usize::from(w)).div_ceil(8);
                if self.bytes.len() < need {
                    self.bytes.resize(need, 0);
                }
                bits::write(self.bytes, total, w, v);
            }
            total += usize::from(w);
        }
    }

    fn packed_checksum(
        &mut self,
        data: &[(Val, u16)],
        algorithm: HashAlgorithm,
        with_payload: bool,
    ) -> u128 {
        self.pack_vals(data);
        if with_payload {
            let (p, e) = (self.pkt.payload, self.pkt.end);
            self.bytes.extend_from_slice(&self.pkt.buf[p..e]);
        }
        hash::compute(algorithm, self.bytes, self.rng)
    }

    fn run_compiled_action(&mut self, a: Handle<Action>) -> Flow {
        let Some(code) = self.code else {
            return self.run_action(a);
        };
        let prev = self.action.replace(a);
        let f = self.run(&code.actions[a.index()]);
        self.action = prev;
        if f == Flow::Exit {
            Flow::Exit
        } else {
            Flow::Next
        }
    }

    /// Evaluates a compiled expression.
    pub fn val(&mut self, v: &Val) -> u128 {
        match v {
            Val::Const(c) => *c,
            Val::Slot(s) => self.phv.slots[*s as usize],
            Val::Param(i) => self.args.get(usize::from(*i)).copied().unwrap_or(0),
            Val::Valid(h) => u128::from(self.phv.valid[*h as usize]),
            Val::Not(a) => self.val(a) ^ 1,
            Val::BitNot(m, a) => !self.val(a) & m,
            Val::Neg(m, a) => self.val(a).wrapping_neg() & m,
            Val::And(a, b) => u128::from(self.val(a) != 0 && self.val(b) != 0),
            Val::Or(a, b) => u128::from(self.val(a) != 0 || self.val(b) != 0),
            Val::Bin {
                op,
                width,
                signed,
                lhs,
                rhs,
            } => {
                let a = self.val(lhs);
                let b = self.val(rhs);
                arith(*op, a, b, *width, *signed)
            }
            Val::Slice(lo, m, a) => (self.val(a) >> lo) & m,
            Val::Concat { low, mask, hi, lo } => {
                let a = self.val(hi);
                let b = self.val(lo);
                (if *low >= 128 { b } else { (a << *low) | b }) & mask
            }
            Val::Cast {
                from,
                signed,
                mask,
                arg,
            } => {
                let a = self.val(arg);
                if *signed {
                    (sign_extend(a, *from) as u128) & mask
                } else {
                    a & mask
                }
            }
            Val::Mux(c, t, e) => {
                if self.val(c) != 0 {
                    self.val(t)
                } else {
                    self.val(e)
                }
            }
            Val::Interp(e) => self.eval(e).0,
        }
    }
}

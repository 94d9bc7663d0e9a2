//! The interpreter: parser, controls, actions, expressions and the deparser, over one packet's
//! [`Phv`] and byte buffer.
//!
//! It walks the validated IR directly; field references become slot indices through the
//! [`Layout`] computed at load time, and every expression evaluates to a value reduced to its
//! type's width together with that type, so P4_16 arithmetic (wrap, saturation, signed shifts
//! and comparisons, casts) needs no type side table. Nothing here allocates unless a trace, a
//! digest or a log message is produced.

use ddsr_pipeline::expr::{BinOp, Expr, LValue, UnOp};
use ddsr_pipeline::externs::{CloneKind, CounterUnit, ExternKind, HashAlgorithm, MeterUnit};
use ddsr_pipeline::parser::{CaseKeys, KeySet, Next, ParserOp, Transition};
use ddsr_pipeline::program::Emit;
use ddsr_pipeline::stmt::{ApplyArms, ExternCall, Stmt};
use ddsr_pipeline::table::Implementation;
use ddsr_pipeline::types::{FieldRef, HeaderRef, Ty};
use ddsr_pipeline::v1model::DROP_PORT;
use ddsr_pipeline::value::{mask, sign_extend};
use ddsr_pipeline::{Action, Handle, Header, Pipeline, Table};

use crate::bits;
use crate::code::Code;
use crate::externs::ExternState;
use crate::externs::hash::{self, Rng};
use crate::layout::{Layout, resolve_header};
use crate::phv::Phv;
use crate::table::{TableState, Target};
use crate::trace::{Event, Trace};

/// Parser state transitions allowed per packet before `ParserTimeout`.
pub const MAX_PARSER_STEPS: usize = 1024;

/// Bytes kept free in front of a packet so the deparser can grow headers in place.
pub const HEADROOM: usize = 256;

/// Largest packet the deparser produces.
pub const MAX_PACKET: usize = 16 * 1024;

/// A packet's bytes: `buf[head..end]`, the parsed headers ending at `payload`.
#[derive(Debug, Clone, Default)]
pub struct Pkt {
    pub buf: Vec<u8>,
    pub head: usize,
    pub payload: usize,
    pub end: usize,
    /// Headers in extraction order with their bit offset from `head` and their bit size.
    pub parsed: Vec<(Handle<Header>, usize, usize)>,
}

impl Pkt {
    /// Loads `data` behind the headroom, reusing the buffer.
    pub fn load(&mut self, data: &[u8]) {
        let need = HEADROOM + data.len();
        if self.buf.len() < need {
            self.buf.resize(need.max(HEADROOM + 2048), 0);
        }
        self.buf[HEADROOM..need].copy_from_slice(data);
        self.head = HEADROOM;
        self.payload = HEADROOM;
        self.end = need;
        self.parsed.clear();
    }

    pub fn bytes(&self) -> &[u8] {
        &self.buf[self.head..self.end]
    }

    pub fn payload_bytes(&self) -> &[u8] {
        &self.buf[self.payload..self.end]
    }

    pub fn len(&self) -> usize {
        self.end - self.head
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.head
    }

    pub fn copy_from(&mut self, other: &Pkt) {
        self.buf.clear();
        self.buf.extend_from_slice(&other.buf[..other.end]);
        self.head = other.head;
        self.payload = other.payload;
        self.end = other.end;
        self.parsed.clear();
        self.parsed.extend_from_slice(&other.parsed);
    }
}

/// A digest produced by a packet.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Digest {
    pub digest: Handle<ddsr_pipeline::externs::Extern>,
    pub receiver: u32,
    pub values: Vec<u128>,
}

/// What a pass asked the traffic manager for, besides the metadata.
#[derive(Debug, Clone, Default)]
pub struct Effects {
    pub clone: Option<(CloneKind, u32, Option<u8>)>,
    pub resubmit: Option<Option<u8>>,
    pub recirculate: Option<Option<u8>>,
    pub truncate: Option<u32>,
    pub assert_failed: bool,
    pub digests: Vec<Digest>,
    pub logs: Vec<String>,
    /// Colour of each direct meter from the last hit of its table (indexed like externs).
    pub direct_colors: Vec<u128>,
}

impl Effects {
    pub fn reset(&mut self, externs: usize) {
        self.clone = None;
        self.resubmit = None;
        self.recirculate = None;
        self.truncate = None;
        self.assert_failed = false;
        self.direct_colors.clear();
        self.direct_colors.resize(externs, 0);
    }
}

/// Value sets' members: value and mask per element.
pub type ValueSetState = Vec<Vec<(Vec<u128>, Vec<u128>)>>;

/// How a block of statements ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Next,
    Return,
    Exit,
}

/// Everything one pass of a packet through the pipeline touches.
pub struct Exec<'s> {
    pub p: &'s Pipeline,
    pub layout: &'s Layout,
    pub tables: &'s mut [TableState],
    pub externs: &'s mut [ExternState],
    pub value_sets: &'s ValueSetState,
    pub rng: &'s mut Rng,
    pub phv: &'s mut Phv,
    pub pkt: &'s mut Pkt,
    pub fx: &'s mut Effects,
    pub trace: Option<&'s mut Trace>,
    /// The compiled controls and actions (`None`: interpret the IR, the oracle).
    pub code: Option<&'s Code>,
    pub now: u64,
    /// Scratch buffers reused across packets.
    pub args: &'s mut Vec<u128>,
    pub key: &'s mut Vec<u128>,
    pub bytes: &'s mut Vec<u8>,
    pub action: Option<Handle<Action>>,
    /// Parser cursor in bits from `pkt.head`, and an error raised inside an expression.
    pub cursor: usize,
    pub parse_error: Option<u32>,
}

impl Exec<'_> {
    #[inline]
    fn slot(&self, f: FieldRef) -> Option<u32> {
        self.layout.resolve(self.p, &self.phv.next, f)
    }

    #[inline]
    pub fn get(&self, slot: u32) -> u128 {
        self.phv.slots[slot as usize]
    }

    /// Writes a slot, reducing to its width and marking its header for the deparser.
    #[inline]
    pub fn set(&mut self, slot: u32, v: u128) {
        let s = slot as usize;
        self.phv.slots[s] = v & mask(self.layout.slot_ty[s].width().min(128));
        self.phv.dirty[self.layout.slot_header[s] as usize] = true;
    }

    fn trace(&mut self, e: impl FnOnce(&Self) -> Event) {
        if self.trace.is_some() {
            let ev = e(self);
            if let Some(t) = self.trace.as_deref_mut() {
                t.push(ev);
            }
        }
    }

    // ----- expressions -----

    /// Evaluates `e` to its value (reduced to the type's width) and type.
    pub fn eval(&mut self, e: &Expr) -> (u128, Ty) {
        match e {
            Expr::Const { ty, value } => (*value, *ty),
            Expr::Field { field } => match self.slot(*field) {
                Some(s) => (self.get(s), self.layout.slot_ty[s as usize]),
                None => {
                    self.parse_error.get_or_insert(3);
                    let ty = field_ty(self.p, *field);
                    (0, ty)
                }
            },
            Expr::Param { index } => {
                let w = self
                    .action
                    .map_or(1, |a| self.p.actions[a].params[usize::from(*index)].width);
                (
                    self.args.get(usize::from(*index)).copied().unwrap_or(0),
                    Ty::Bit(w),
                )
            }
            Expr::IsValid { header } => {
                let v = resolve_header(self.p, &self.phv.next, *header)
                    .is_some_and(|h| self.phv.valid[h.index()]);
                (u128::from(v), Ty::Bool)
            }
            Expr::UnionIsValid { union } => {
                let v = self.p.unions[*union]
                    .members
                    .iter()
                    .any(|h| self.phv.valid[h.index()]);
                (u128::from(v), Ty::Bool)
            }
            Expr::NextIndex { stack } => (u128::from(self.phv.next[stack.index()]), Ty::Bit(32)),
            Expr::Lookahead { ty } => {
                let w = usize::from(ty.width());
                if self.cursor + w > self.pkt.len() * 8 {
                    self.parse_error.get_or_insert(1);
                    return (0, *ty);
                }
                let v = bits::read(self.pkt.bytes(), self.cursor, ty.width());
                (v, *ty)
            }
            Expr::Unary { un, arg } => {
                let (a, t) = self.eval(arg);
                let m = mask(t.width());
                let v = match un {
                    UnOp::Neg => a.wrapping_neg() & m,
                    UnOp::BitNot => !a & m,
                    UnOp::Not => a ^ 1,
                };
                (v, t)
            }
            Expr::Binary { bin, lhs, rhs } => self.binary(*bin, lhs, rhs),
            Expr::Slice { arg, hi, lo } => {
                let (a, _) = self.eval(arg);
                let w = hi - lo + 1;
                ((a >> lo) & mask(w), Ty::Bit(w))
            }
            Expr::Concat { hi, lo } => {
                let (a, ta) = self.eval(hi);
                let (b, tb) = self.eval(lo);
                let w = ta.width() + tb.width();
                let v = if tb.width() >= 128 {
                    b
                } else {
                    (a << tb.width()) | b
                } & mask(w);
                (
                    v,
                    if ta.is_signed() {
                        Ty::Int(w)
                    } else {
                        Ty::Bit(w)
                    },
                )
            }
            Expr::Cast { ty, arg } => {
                let (a, from) = self.eval(arg);
                let v = if from.is_signed() {
                    (sign_extend(a, from.width()) as u128) & mask(ty.width())
                } else {
                    a & mask(ty.width())
                };
                (v, *ty)
            }
            Expr::Mux { cond, then, els } => {
                if self.eval(cond).0 != 0 {
                    self.eval(then)
                } else {
                    self.eval(els)
                }
            }
        }
    }

    fn binary(&mut self, bin: BinOp, lhs: &Expr, rhs: &Expr) -> (u128, Ty) {
        use BinOp::*;
        if matches!(bin, And | Or) {
            let a = self.eval(lhs).0 != 0;
            let v = match bin {
                And => a && self.eval(rhs).0 != 0,
                _ => a || self.eval(rhs).0 != 0,
            };
            return (u128::from(v), Ty::Bool);
        }
        let (a, t) = self.eval(lhs);
        let (b, _) = self.eval(rhs);
        let v = arith(bin, a, b, t.width(), t.is_signed());
        if matches!(bin, Eq | Ne | Lt | Le | Gt | Ge) {
            (v, Ty::Bool)
        } else {
            (v, t)
        }
    }

    /// Writes `v` to an lvalue.
    pub fn store(&mut self, l: &LValue, v: u128) {
        let Some(s) = self.slot(l.field()) else {
            return;
        };
        match *l {
            LValue::Field(_) => self.set(s, v),
            LValue::Slice { hi, lo, .. } => {
                let m = mask(hi - lo + 1) << lo;
                let old = self.get(s);
                self.set(s, (old & !m) | ((v << lo) & m));
            }
        }
    }

    /// Packs values MSB first into `self.bytes` (the last byte padded with zero bits).
    fn pack(&mut self, data: &[Expr]) {
        self.bytes.clear();
        let mut total = 0usize;
        for e in data {
            let (v, t) = self.eval(e);
            let w = t.width();
            if total.is_multiple_of(8) && w.is_multiple_of(8) {
                // Byte-aligned: append the big-endian bytes directly.
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

    // ----- statements -----

    /// Runs a control's body: compiled when the switch compiled its code, else interpreted.
    pub fn control(&mut self, c: Handle<ddsr_pipeline::Control>) -> Flow {
        match self.code {
            Some(code) => self.run(&code.controls[c.index()]),
            None => self.block(&self.p.controls[c].body),
        }
    }

    pub fn block(&mut self, body: &[Stmt]) -> Flow {
        for s in body {
            let f = self.stmt(s);
            if f != Flow::Next {
                return f;
            }
        }
        Flow::Next
    }

    pub fn stmt(&mut self, s: &Stmt) -> Flow {
        match s {
            Stmt::Assign { dst, src } => {
                if let (LValue::Field(df), Expr::Field { field: sf }) = (dst, src)
                    && let (Some(d), Some(sv)) = (self.slot(*df), self.slot(*sf))
                    && let Ty::Varbit(_) = self.layout.slot_ty[d as usize]
                {
                    self.copy_varbit(d, sv);
                    return Flow::Next;
                }
                let (v, _) = self.eval(src);
                self.store(dst, v);
            }
            Stmt::CopyHeader { dst, src } => {
                let (Some(d), Some(s)) = (
                    resolve_header(self.p, &self.phv.next, *dst),
                    resolve_header(self.p, &self.phv.next, *src),
                ) else {
                    return Flow::Next;
                };
                self.copy_header(d, s);
            }
            Stmt::SetValid { header } => {
                if let Some(h) = resolve_header(self.p, &self.phv.next, *header) {
                    self.set_valid(h, true);
                }
            }
            Stmt::SetInvalid { header } => {
                if let Some(h) = resolve_header(self.p, &self.phv.next, *header) {
                    self.set_valid(h, false);
                }
            }
            Stmt::PushFront { stack, count } => {
                let el = &self.p.stacks[*stack].elements;
                let n = el.len();
                let c = (*count as usize).min(n);
                for i in (c..n).rev() {
                    self.copy_header(el[i], el[i - c]);
                }
                for h in &el[..c] {
                    self.set_valid(*h, false);
                }
                let nx = &mut self.phv.next[stack.index()];
                *nx = (*nx as usize + c).min(n) as u32;
            }
            Stmt::PopFront { stack, count } => {
                let el = &self.p.stacks[*stack].elements;
                let n = el.len();
                let c = (*count as usize).min(n);
                for i in 0..n - c {
                    self.copy_header(el[i], el[i + c]);
                }
                for h in &el[n - c..] {
                    self.set_valid(*h, false);
                }
                let nx = &mut self.phv.next[stack.index()];
                *nx = nx.saturating_sub(c as u32);
            }
            Stmt::If { cond, then, els } => {
                return if self.eval(cond).0 != 0 {
                    self.block(then)
                } else {
                    self.block(els)
                };
            }
            Stmt::Apply { table, arms } => return self.apply(*table, arms),
            Stmt::Call { action, args } => {
                self.args.clear();
                for a in args {
                    let (v, _) = self.eval(a);
                    self.args.push(v);
                }
                return self.run_action(*action);
            }
            Stmt::Extern { call } => return self.extern_call(call),
            Stmt::Exit => return Flow::Exit,
            Stmt::Return => return Flow::Return,
        }
        Flow::Next
    }

    pub(crate) fn set_valid(&mut self, h: Handle<Header>, valid: bool) {
        let hl = &self.layout.headers[h.index()];
        if hl.metadata {
            return;
        }
        if valid && let Some(u) = hl.union {
            for m in &self.p.unions[Handle::new(u)].members {
                self.phv.valid[m.index()] = false;
            }
        }
        self.phv.valid[h.index()] = valid;
        self.phv.dirty[h.index()] = true;
    }

    fn copy_header(&mut self, d: Handle<Header>, s: Handle<Header>) {
        if d == s {
            return;
        }
        let (dl, sl) = (
            &self.layout.headers[d.index()],
            &self.layout.headers[s.index()],
        );
        let (db, sb, n) = (dl.base as usize, sl.base as usize, usize::from(dl.fields));
        self.phv.slots.copy_within(sb..sb + n, db);
        if let (Some((_, doff)), Some((_, soff)), Some((vf, _))) = (dl.varbit, sl.varbit, dl.varbit)
        {
            let w = self.layout.slot_ty[db + usize::from(vf)].width();
            let len = usize::from(w).div_ceil(8);
            self.phv
                .varbit
                .copy_within(soff as usize..soff as usize + len, doff as usize);
        }
        let v = self.phv.valid[s.index()];
        self.phv.valid[d.index()] = v;
        self.phv.dirty[d.index()] = true;
    }

    fn copy_varbit(&mut self, d: u32, s: u32) {
        let (dh, sh) = (
            self.layout.slot_header[d as usize] as usize,
            self.layout.slot_header[s as usize] as usize,
        );
        let (Some((_, doff)), Some((_, soff))) = (
            self.layout.headers[dh].varbit,
            self.layout.headers[sh].varbit,
        ) else {
            return;
        };
        let len = usize::from(self.layout.slot_ty[d as usize].width()).div_ceil(8);
        self.phv
            .varbit
            .copy_within(soff as usize..soff as usize + len, doff as usize);
        let v = self.get(s);
        self.set(d, v);
    }

    pub(crate) fn run_action(&mut self, a: Handle<Action>) -> Flow {
        let prev = self.action.replace(a);
        let f = self.block(&self.p.actions[a].body);
        self.action = prev;
        if f == Flow::Exit {
            Flow::Exit
        } else {
            Flow::Next
        }
    }

    fn apply(&mut self, th: Handle<Table>, arms: &ApplyArms) -> Flow {
        self.key.clear();
        for k in &self.p.tables[th].keys {
            let (v, _) = self.eval(&k.expr);
            self.key.push(v);
        }
        let (hit, action) = self.lookup(th);
        if self.run_action(action) == Flow::Exit {
            return Flow::Exit;
        }
        match arms {
            ApplyArms::None => Flow::Next,
            ApplyArms::Hit { hit: h, miss } => self.block(if hit { h } else { miss }),
            ApplyArms::ActionRun { cases, default } => {
                let body = cases
                    .iter()
                    .find(|c| c.actions.contains(&action))
                    .map_or(default, |c| &c.body);
                self.block(body)
            }
        }
    }

    /// Looks up the key in `self.key` in table `th`: updates the hit entry's direct counter and
    /// meter, loads the action arguments into `self.args` and returns (hit, action to run).
    pub(crate) fn lookup(&mut self, th: Handle<Table>) -> (bool, Handle<Action>) {
        let t = &self.p.tables[th];
        let found = self.tables[th.index()].lookup(self.key);
        let mut hit = false;
        let mut chosen: Option<Handle<Action>> = None;
        self.args.clear();
        if let Some(f) = found {
            let len = self.pkt.len() as u64;
            let now = self.now;
            let st = self.tables[th.index()].hit(f);
            if let (Some(dc), Some(c)) = (t.direct_counter, st.counter) {
                let unit = match self.p.externs[dc].kind {
                    ExternKind::DirectCounter { unit } => unit,
                    _ => CounterUnit::PacketsAndBytes,
                };
                if unit != CounterUnit::Bytes {
                    c.packets += 1;
                }
                if unit != CounterUnit::Packets {
                    c.bytes += len;
                }
            }
            if let (Some(dm), Some(m)) = (t.direct_meter, st.meter) {
                let units = match self.p.externs[dm].kind {
                    ExternKind::DirectMeter {
                        unit: MeterUnit::Bytes,
                    } => len,
                    _ => 1,
                };
                self.fx.direct_colors[dm.index()] = m.execute(units, now);
            }
            let (member, group) = match st.target {
                Target::Action(b) => {
                    self.args.extend_from_slice(&b.args);
                    chosen = Some(b.action);
                    (None, None)
                }
                Target::Member(m) => (Some(*m), None),
                Target::Group(g) => (None, Some(*g)),
            };
            if member.is_some() || group.is_some() {
                chosen = self.profile_member(t, member, group);
            }
            hit = chosen.is_some();
        }
        if chosen.is_none() {
            let d = &self.tables[th.index()].default;
            self.args.extend_from_slice(&d.args);
            chosen = Some(d.action);
        }
        let action = chosen.expect("set above");
        if self.trace.is_some() {
            let key: Vec<String> = match (hit, found) {
                (true, Some(f)) => self.tables[th.index()]
                    .found_entry(f, self.key)
                    .matches
                    .iter()
                    .map(show_match)
                    .collect(),
                _ => Vec::new(),
            };
            let ev = Event::Table {
                table: t.name.clone(),
                hit,
                action: self.p.actions[action].name.clone(),
                args: self.args.iter().map(|a| format!("{a:#x}")).collect(),
                key,
            };
            self.trace(|_| ev);
        }
        (hit, action)
    }

    /// Loads the arguments of the member an entry of a profile table names, or of the one a
    /// selector picks in a group, and returns its action (`None`: no such member or group).
    fn profile_member(
        &mut self,
        t: &Table,
        member: Option<u32>,
        group: Option<u32>,
    ) -> Option<Handle<Action>> {
        let prof = match t.implementation {
            Implementation::ActionProfile(h) | Implementation::ActionSelector(h) => h,
            Implementation::Direct => return None,
        };
        let hash = match (group, &self.p.externs[prof].kind) {
            (
                Some(_),
                ExternKind::ActionSelector {
                    algorithm,
                    output_width,
                    ..
                },
            ) => {
                self.pack(&t.selector_keys);
                (hash::compute(*algorithm, self.bytes, self.rng) & mask(*output_width)) as u64
            }
            _ => 0,
        };
        let ExternState::Profile(p) = &self.externs[prof.index()] else {
            return None;
        };
        let b = match (member, group) {
            (Some(m), _) => p.member(m)?,
            (None, Some(g)) => p.select(g, hash)?,
            (None, None) => return None,
        };
        self.args.extend_from_slice(&b.args);
        Some(b.action)
    }

    fn std_set(&mut self, slot: Option<u32>, v: u128) {
        if let Some(s) = slot {
            self.set(s, v);
        }
    }

    fn extern_call(&mut self, c: &ExternCall) -> Flow {
        match c {
            ExternCall::Count { counter, index } => {
                let i = self.eval(index).0;
                let len = self.pkt.len() as u64;
                if let ExternState::Counter(cells) = &mut self.externs[counter.index()]
                    && let Some(cell) = usize::try_from(i).ok().and_then(|i| cells.get_mut(i))
                {
                    let unit = match self.p.externs[*counter].kind {
                        ExternKind::Counter { unit, .. } => unit,
                        _ => CounterUnit::PacketsAndBytes,
                    };
                    if unit != CounterUnit::Bytes {
                        cell.packets += 1;
                    }
                    if unit != CounterUnit::Packets {
                        cell.bytes += len;
                    }
                }
            }
            ExternCall::ExecuteMeter { meter, index, dst } => {
                let i = self.eval(index).0;
                let units = match self.p.externs[*meter].kind {
                    ExternKind::Meter {
                        unit: MeterUnit::Bytes,
                        ..
                    } => self.pkt.len() as u64,
                    _ => 1,
                };
                let now = self.now;
                let color = match &mut self.externs[meter.index()] {
                    ExternState::Meter(cells) => usize::try_from(i)
                        .ok()
                        .and_then(|i| cells.get_mut(i))
                        .map_or(0, |m| m.execute(units, now)),
                    _ => 0,
                };
                self.store(dst, color);
            }
            ExternCall::ReadDirectMeter { meter, dst } => {
                let c = self
                    .fx
                    .direct_colors
                    .get(meter.index())
                    .copied()
                    .unwrap_or(0);
                self.store(dst, c);
            }
            ExternCall::RegisterRead {
                register,
                dst,
                index,
            } => {
                let i = self.eval(index).0;
                let v = match &self.externs[register.index()] {
                    ExternState::Register(cells) => usize::try_from(i)
                        .ok()
                        .and_then(|i| cells.get(i))
                        .copied()
                        .unwrap_or(0),
                    _ => 0,
                };
                self.store(dst, v);
            }
            ExternCall::RegisterWrite {
                register,
                index,
                value,
            } => {
                let i = self.eval(index).0;
                let (v, _) = self.eval(value);
                if let ExternState::Register(cells) = &mut self.externs[register.index()]
                    && let Some(c) = usize::try_from(i).ok().and_then(|i| cells.get_mut(i))
                {
                    *c = v;
                }
            }
            ExternCall::Hash {
                dst,
                algorithm,
                base,
                data,
                max,
            } => {
                let (b, _) = self.eval(base);
                let (m, _) = self.eval(max);
                self.pack(data);
                let h = hash::compute(*algorithm, self.bytes, self.rng);
                let v = if m == 0 {
                    b.wrapping_add(h)
                } else {
                    b.wrapping_add(h % m)
                };
                self.store(dst, v);
            }
            ExternCall::Random { dst, lo, hi } => {
                let (l, _) = self.eval(lo);
                let (h, _) = self.eval(hi);
                let r = u128::from(self.rng.next_u64());
                let v = if h <= l {
                    l
                } else {
                    l + r % (h - l + 1).max(1)
                };
                self.store(dst, v);
            }
            ExternCall::VerifyChecksum {
                condition,
                data,
                checksum,
                algorithm,
                with_payload,
            } => {
                if self.eval(condition).0 != 0 {
                    let (want, t) = self.eval(checksum);
                    let got = self.checksum(data, *algorithm, *with_payload) & mask(t.width());
                    if got != want {
                        self.std_set(self.layout.std.checksum_error, 1);
                    }
                }
            }
            ExternCall::UpdateChecksum {
                condition,
                data,
                checksum,
                algorithm,
                with_payload,
            } => {
                if self.eval(condition).0 != 0 {
                    let v = self.checksum(data, *algorithm, *with_payload);
                    self.store(checksum, v);
                }
            }
            ExternCall::Digest {
                digest,
                receiver,
                data,
            } => {
                let values = data.iter().map(|e| self.eval(e).0).collect();
                self.fx.digests.push(Digest {
                    digest: *digest,
                    receiver: *receiver,
                    values,
                });
                let name = self.p.externs[*digest].name.clone();
                self.trace(|_| Event::Digest { digest: name });
            }
            ExternCall::Clone {
                kind,
                session,
                field_list,
            } => {
                let s = self.eval(session).0 as u32;
                self.fx.clone = Some((*kind, s, *field_list));
            }
            ExternCall::Resubmit { field_list } => self.fx.resubmit = Some(*field_list),
            ExternCall::Recirculate { field_list } => self.fx.recirculate = Some(*field_list),
            ExternCall::Truncate { length } => {
                let l = self.eval(length).0;
                self.fx.truncate = Some(u32::try_from(l).unwrap_or(u32::MAX));
            }
            ExternCall::MarkToDrop => {
                let s = self.layout.std.egress_spec;
                self.set(s, u128::from(DROP_PORT));
                self.std_set(self.layout.std.mcast_grp, 0);
            }
            ExternCall::LogMsg { format, args } => {
                let mut out = String::new();
                let mut parts = format.split("{}");
                out.push_str(parts.next().unwrap_or(""));
                for (part, a) in parts.zip(args) {
                    let (v, _) = self.eval(a);
                    out.push_str(&v.to_string());
                    out.push_str(part);
                }
                self.trace(|_| Event::Log {
                    message: out.clone(),
                });
                self.fx.logs.push(out);
            }
            ExternCall::Assert { condition } | ExternCall::Assume { condition } => {
                if self.eval(condition).0 == 0 {
                    self.fx.assert_failed = true;
                    return Flow::Exit;
                }
            }
        }
        Flow::Next
    }

    fn checksum(&mut self, data: &[Expr], algorithm: HashAlgorithm, with_payload: bool) -> u128 {
        self.pack(data);
        if with_payload {
            let (p, e) = (self.pkt.payload, self.pkt.end);
            self.bytes.extend_from_slice(&self.pkt.buf[p..e]);
        }
        hash::compute(algorithm, self.bytes, self.rng)
    }

    // ----- parser -----

    /// Runs the parser from the start of the packet; returns the error code (0: none).
    pub fn parse(&mut self) -> u32 {
        let parser = &self.p.parser;
        let mut state = parser.start;
        self.cursor = 0;
        self.parse_error = None;
        let err = 'run: {
            for _ in 0..MAX_PARSER_STEPS {
                let st = &parser.states[state];
                let name = &st.name;
                self.trace(|_| Event::State {
                    parser_state: name.clone(),
                });
                for op in &st.ops {
                    if let Err(e) = self.parser_op(op) {
                        break 'run e;
                    }
                    if let Some(e) = self.parse_error {
                        break 'run e;
                    }
                }
                let next = match &st.transition {
                    Transition::Accept => Next::Accept,
                    Transition::Reject => Next::Reject,
                    Transition::Goto { state } => Next::State(*state),
                    Transition::Select { keys, cases } => match self.select(keys, cases) {
                        Some(n) => n,
                        None => break 'run 2,
                    },
                };
                if let Some(e) = self.parse_error {
                    break 'run e;
                }
                match next {
                    Next::Accept | Next::Reject => break 'run 0,
                    Next::State(s) => state = s,
                }
            }
            5
        };
        self.pkt.payload = (self.pkt.head + self.cursor.div_ceil(8)).min(self.pkt.end);
        if err != 0 {
            self.std_set(self.layout.std.parser_error, u128::from(err));
            let name = self.p.errors[err as usize].clone();
            self.trace(|_| Event::ParserError { error: name });
        }
        err
    }

    fn select(
        &mut self,
        keys: &[Expr],
        cases: &[ddsr_pipeline::parser::SelectCase],
    ) -> Option<Next> {
        let mut vals = [0u128; 16];
        let mut many = Vec::new();
        let n = keys.len();
        for (i, k) in keys.iter().enumerate() {
            let (v, _) = self.eval(k);
            if i < vals.len() {
                vals[i] = v;
            } else {
                many.push(v);
            }
        }
        let key = |i: usize| if i < 16 { vals[i] } else { many[i - 16] };
        for c in cases {
            let hit = match &c.keyset {
                CaseKeys::Default => true,
                CaseKeys::Tuple(sets) => sets.iter().enumerate().all(|(i, ks)| {
                    let v = key(i);
                    match ks {
                        KeySet::Any => true,
                        KeySet::Value { value } => v == *value,
                        KeySet::Mask { value, mask } => v & mask == value & mask,
                        KeySet::Range { lo, hi } => *lo <= v && v <= *hi,
                    }
                }),
                CaseKeys::ValueSet(vs) => self.value_sets[vs.index()]
                    .iter()
                    .any(|(val, m)| (0..n).all(|i| key(i) & m[i] == val[i] & m[i])),
            };
            if hit {
                return Some(c.next);
            }
        }
        None
    }

    fn parser_op(&mut self, op: &ParserOp) -> Result<(), u32> {
        match op {
            ParserOp::Extract { header } => self.extract(*header, None),
            ParserOp::ExtractVarbit { header, size } => {
                let (s, _) = self.eval(size);
                self.extract(*header, Some(s))
            }
            ParserOp::Advance { bits } => {
                let (b, _) = self.eval(bits);
                let end = usize::try_from(b)
                    .ok()
                    .and_then(|b| self.cursor.checked_add(b))
                    .filter(|e| *e <= self.pkt.len() * 8)
                    .ok_or(1u32)?;
                self.cursor = end;
                Ok(())
            }
            ParserOp::Verify { condition, error } => {
                if self.eval(condition).0 == 0 {
                    Err(*error)
                } else {
                    Ok(())
                }
            }
            ParserOp::Stmt { stmt } => {
                self.stmt(stmt);
                Ok(())
            }
        }
    }

    fn extract(&mut self, r: HeaderRef, varbit: Option<u128>) -> Result<(), u32> {
        let h = resolve_header(self.p, &self.phv.next, r).ok_or(3u32)?;
        let hl = &self.layout.headers[h.index()];
        let var_bits = match (varbit, hl.varbit) {
            (Some(v), Some((vf, _))) => {
                let max = self.layout.slot_ty[(hl.base + u32::from(vf)) as usize].width();
                if v > u128::from(max) {
                    return Err(4);
                }
                v as usize
            }
            _ => 0,
        };
        let total = hl.fixed_bits as usize + var_bits;
        if self.cursor + total > self.pkt.len() * 8 {
            return Err(1);
        }
        let (base, nfields, vinfo) = (hl.base as usize, usize::from(hl.fields), hl.varbit);
        let start = self.cursor;
        let mut off = start;
        for i in 0..nfields {
            let ty = self.layout.slot_ty[base + i];
            if let Ty::Varbit(max) = ty {
                let voff = vinfo.map_or(0, |(_, o)| o as usize);
                let area = &mut self.phv.varbit[voff..voff + usize::from(max).div_ceil(8)];
                area.fill(0);
                let mut done = 0;
                while done < var_bits {
                    let chunk = (var_bits - done).min(8);
                    let v = bits::read(
                        &self.pkt.buf[self.pkt.head..self.pkt.end],
                        off + done,
                        chunk as u16,
                    );
                    bits::write(area, done, chunk as u16, v);
                    done += chunk;
                }
                self.phv.slots[base + i] = var_bits as u128;
                off += var_bits;
            } else {
                let w = ty.width();
                self.phv.slots[base + i] =
                    bits::read(&self.pkt.buf[self.pkt.head..self.pkt.end], off, w);
                off += usize::from(w);
            }
        }
        self.cursor = off;
        self.set_valid(h, true);
        self.phv.dirty[h.index()] = false;
        self.pkt.parsed.push((h, start, total));
        if let HeaderRef::Next(s) = r {
            self.phv.next[s.index()] += 1;
        }
        if self.trace.is_some() {
            let ty = &self.p.header_types[self.p.headers[h].ty];
            let fields = ty
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| (f.name.clone(), format!("{:#x}", self.phv.slots[base + i])))
                .collect();
            let header = self.p.headers[h].name.clone();
            self.trace(|_| Event::Extract { header, fields });
        }
        Ok(())
    }

    // ----- deparser -----

    /// Emits the valid headers in deparser order in front of the payload, in place when the
    /// header sequence is unchanged (only modified headers are rewritten). Returns `false` when
    /// the result would exceed [`MAX_PACKET`].
    pub fn deparse(&mut self) -> bool {
        let mut same = true;
        let mut idx = 0;
        let mut total_bits = 0usize;
        let parsed_len = self.pkt.parsed.len();
        for e in &self.p.deparser.emit {
            let mut visit = |this: &mut Self, h: Handle<Header>| {
                if !this.phv.valid[h.index()] {
                    return;
                }
                let bits = this.header_bits(h);
                if idx >= parsed_len
                    || this.pkt.parsed[idx].0 != h
                    || this.pkt.parsed[idx].2 != bits
                    || this.pkt.parsed[idx].1 != total_bits
                {
                    same = false;
                }
                idx += 1;
                total_bits += bits;
            };
            match *e {
                Emit::Header(h) => visit(self, h),
                Emit::Stack(s) => {
                    for h in &self.p.stacks[s].elements {
                        visit(self, *h);
                    }
                }
                Emit::Union(u) => {
                    for h in &self.p.unions[u].members {
                        visit(self, *h);
                    }
                }
            }
        }
        let parsed_bits = (self.pkt.payload - self.pkt.head) * 8;
        if same && idx == parsed_len && total_bits == parsed_bits {
            for i in 0..parsed_len {
                let (h, off, _) = self.pkt.parsed[i];
                if self.phv.dirty[h.index()] {
                    self.write_header(h, self.pkt.head, off);
                }
            }
            return true;
        }
        let len = total_bits.div_ceil(8);
        let payload_len = self.pkt.end - self.pkt.payload;
        if len + payload_len > MAX_PACKET {
            return false;
        }
        if len > self.pkt.payload {
            // Not enough headroom: move the payload back.
            let shift = len - self.pkt.payload + HEADROOM;
            let new_end = self.pkt.end + shift;
            if self.pkt.buf.len() < new_end {
                self.pkt.buf.resize(new_end, 0);
            }
            self.pkt
                .buf
                .copy_within(self.pkt.payload..self.pkt.end, self.pkt.payload + shift);
            self.pkt.payload += shift;
            self.pkt.end = new_end;
        }
        let head = self.pkt.payload - len;
        self.pkt.buf[head..self.pkt.payload].fill(0);
        self.pkt.head = head;
        let mut off = 0usize;
        self.pkt.parsed.clear();
        for e in &self.p.deparser.emit {
            let mut put = |this: &mut Self, h: Handle<Header>| {
                if this.phv.valid[h.index()] {
                    let bits = this.header_bits(h);
                    this.write_header(h, head, off);
                    this.pkt.parsed.push((h, off, bits));
                    off += bits;
                }
            };
            match *e {
                Emit::Header(h) => put(self, h),
                Emit::Stack(s) => {
                    for h in &self.p.stacks[s].elements {
                        put(self, *h);
                    }
                }
                Emit::Union(u) => {
                    for h in &self.p.unions[u].members {
                        put(self, *h);
                    }
                }
            }
        }
        true
    }

    fn header_bits(&self, h: Handle<Header>) -> usize {
        let hl = &self.layout.headers[h.index()];
        let var = hl.varbit.map_or(0, |(f, _)| {
            self.phv.slots[(hl.base + u32::from(f)) as usize] as usize
        });
        hl.fixed_bits as usize + var
    }

    fn write_header(&mut self, h: Handle<Header>, head: usize, mut off: usize) {
        let hl = &self.layout.headers[h.index()];
        let (base, n, vinfo) = (hl.base as usize, usize::from(hl.fields), hl.varbit);
        let buf = &mut self.pkt.buf[head..];
        for i in 0..n {
            let ty = self.layout.slot_ty[base + i];
            let v = self.phv.slots[base + i];
            if let Ty::Varbit(_) = ty {
                let len = v as usize;
                let voff = vinfo.map_or(0, |(_, o)| o as usize);
                let mut done = 0;
                while done < len {
                    let chunk = (len - done).min(8);
                    let b = bits::read(&self.phv.varbit[voff..], done, chunk as u16);
                    bits::write(buf, off + done, chunk as u16, b);
                    done += chunk;
                }
                off += len;
            } else {
                bits::write(buf, off, ty.width(), v);
                off += usize::from(ty.width());
            }
        }
    }
}

/// A binary operator on values reduced to `width` bits (both operands of type `bit<width>`, or
/// `int<width>` when `signed`); comparisons and `&&`/`||` give 0 or 1. Shared by the
/// interpreter and the compiled code so both have one definition of P4_16 arithmetic.
#[inline]
pub fn arith(bin: BinOp, a: u128, b: u128, w: u16, signed: bool) -> u128 {
    use BinOp::*;
    let m = mask(w);
    let (sa, sb) = (sign_extend(a, w), sign_extend(b, w));
    match bin {
        Add => a.wrapping_add(b) & m,
        Sub => a.wrapping_sub(b) & m,
        Mul => a.wrapping_mul(b) & m,
        Div => a.checked_div(b).unwrap_or(0),
        Mod => a.checked_rem(b).unwrap_or(0),
        AddSat | SubSat => {
            if signed {
                let (lo, hi) = signed_range(w);
                let r = if bin == AddSat {
                    sa.saturating_add(sb)
                } else {
                    sa.saturating_sub(sb)
                };
                (r.clamp(lo, hi) as u128) & m
            } else if bin == AddSat {
                a.checked_add(b).filter(|v| *v <= m).unwrap_or(m)
            } else {
                a.saturating_sub(b)
            }
        }
        BitAnd => a & b,
        BitOr => a | b,
        BitXor => a ^ b,
        Shl => {
            if b >= u128::from(w) {
                0
            } else {
                (a << b) & m
            }
        }
        Shr => {
            if signed {
                let s = if b >= u128::from(w) { 127 } else { b as u32 };
                ((sa >> s.min(127)) as u128) & m
            } else if b >= u128::from(w) {
                0
            } else {
                a >> b
            }
        }
        Eq => u128::from(a == b),
        Ne => u128::from(a != b),
        Lt => u128::from(if signed { sa < sb } else { a < b }),
        Le => u128::from(if signed { sa <= sb } else { a <= b }),
        Gt => u128::from(if signed { sa > sb } else { a > b }),
        Ge => u128::from(if signed { sa >= sb } else { a >= b }),
        And => u128::from(a != 0 && b != 0),
        Or => u128::from(a != 0 || b != 0),
    }
}

fn signed_range(w: u16) -> (i128, i128) {
    if w >= 128 {
        (i128::MIN, i128::MAX)
    } else {
        (-(1i128 << (w - 1)), (1i128 << (w - 1)) - 1)
    }
}

pub(crate) fn field_ty(p: &Pipeline, f: FieldRef) -> Ty {
    let h = match f.header {
        HeaderRef::Instance(h) => h,
        HeaderRef::Next(s) | HeaderRef::Last(s) => p.stacks[s].elements[0],
    };
    p.header_types[p.headers[h].ty].fields[usize::from(f.field)].ty
}

/// Human text of a field match for traces (`0a000000/8`, `0x0a&&&0xff`, `1..5`, `*`).
pub fn show_match(m: &ddsr_pipeline::FieldMatch) -> String {
    use ddsr_pipeline::FieldMatch as M;
    use ddsr_pipeline::value::encode;
    match m {
        M::Exact { value } => format!("0x{}", encode(value)),
        M::Lpm { value, prefix_len } => format!("0x{}/{prefix_len}", encode(value)),
        M::Ternary { value, mask } => format!("0x{}&&&0x{}", encode(value), encode(mask)),
        M::Range { low, high } => format!("0x{}..0x{}", encode(low), encode(high)),
        M::Optional { value: Some(v) } => format!("0x{}", encode(v)),
        M::Optional { value: None } => "*".into(),
    }
}

//! TNA's externs (`tna.p4`) lowered to the pipeline IR's operations.
//!
//! Stateful ones become IR extern instances (`Counter`, `DirectCounter`, `Meter`,
//! `DirectMeter`, `Register`, `ActionProfile`, `ActionSelector`, `Digest`); `Hash`, `Random`
//! and `Checksum` have no IR instance and lower to operations at each call. A `Checksum`
//! keeps a `bit<16>` ones'-complement accumulator in its block's locals (zeroed per packet):
//! `add` adds the data's words, `subtract` adds their complement, `subtract_all_and_deposit`
//! writes the accumulator (Tofino's residual: with the old checksum subtracted, it is the sum
//! of every word not subtracted, payload included, so the deparser's `update` with the new
//! fields and the residual gives the new checksum without reading the payload). Meters give
//! TNA's colours (`GREEN` 0, `YELLOW` 1, `RED` 3) from the IR's v1model ones (red 2). What has
//! no lowering (`RegisterAction`, `Mirror`, `Resubmit`, colour-aware meters, byte
//! adjustments) is E0400 at the call or the instance.

use ddsr_pipeline::Stmt as IrStmt;
use ddsr_pipeline::expr::{BinOp, Expr as IrExpr, LValue, UnOp};
use ddsr_pipeline::externs::{CounterUnit, DigestField, ExternKind, HashAlgorithm, MeterUnit};
use ddsr_pipeline::stmt::ExternCall;
use ddsr_pipeline::types::{FieldRef, Ty};

use super::expr::{Operand, coerce};
use super::storage::{Binding, Place};
use super::{Error, ErrorKind, Lowerer, Result};
use crate::ast::{Decl, Expr, Handle, Loc};
use crate::sema::{Def, Type, TypeId, Value};

/// TNA's meter colour RED (v1model's is 2).
const TNA_RED: u128 = 3;
const V1MODEL_RED: u128 = 2;

/// What a TNA extern instance lowers to.
pub(super) enum TnaInstance {
    /// An IR extern instance.
    Extern(ExternKind),
    /// No IR instance: calls lower to operations.
    Binding(Binding),
}

impl Lowerer<'_> {
    /// The lowering of an instance of TNA extern `ext` with constructor arguments `args` and
    /// type arguments `targs`; `None` when `ext` is not one of TNA's.
    pub(super) fn tna_instance(
        &mut self,
        decl: Option<Handle<Decl>>,
        ext: &str,
        args: &[Handle<Expr>],
        targs: &[TypeId],
        loc: Loc,
    ) -> Result<Option<TnaInstance>> {
        let arg = |i: usize| {
            args.get(i).copied().ok_or_else(|| {
                Error::unsupported(format!("`{ext}` without argument {}", i + 1), loc)
            })
        };
        let kind = match ext {
            "Counter" => ExternKind::Counter {
                size: self.const_u32(arg(0)?, "the counter size")?,
                unit: self.tna_counter_unit(arg(1)?)?,
            },
            "DirectCounter" => ExternKind::DirectCounter {
                unit: self.tna_counter_unit(arg(0)?)?,
            },
            "Meter" | "DirectMeter" => {
                let (unit_arg, colours) = if ext == "Meter" { (1, 2) } else { (0, 1) };
                if let Some(c) = args.get(colours) {
                    return Err(Error::unsupported(
                        format!("`{ext}` with its own colour encodings"),
                        self.loc(*c),
                    ));
                }
                let unit = self.tna_meter_unit(arg(unit_arg)?)?;
                if ext == "Meter" {
                    ExternKind::Meter {
                        size: self.const_u32(arg(0)?, "the meter size")?,
                        unit,
                    }
                } else {
                    ExternKind::DirectMeter { unit }
                }
            }
            "Register" => {
                if let Some(init) = args.get(1)
                    && !matches!(self.c.value_of(*init), Some(Value::Int(i)) if u32::try_from(i).ok() == Some(0))
                {
                    return Err(Error::unsupported(
                        "a `Register` initial value other than 0",
                        self.loc(*init),
                    ));
                }
                let width = match targs.first().map(|t| self.scalar_ty(*t, loc)) {
                    Some(Ok(Some(ty))) if ty.is_numeric() => ty.width(),
                    _ => {
                        return Err(Error::unsupported(
                            "a `Register` of a non-numeric type",
                            loc,
                        ));
                    }
                };
                ExternKind::Register {
                    size: self.const_u32(arg(0)?, "the register size")?,
                    width,
                }
            }
            "ActionProfile" => ExternKind::ActionProfile {
                size: self.const_u32(arg(0)?, "the action profile size")?,
            },
            "ActionSelector" => {
                // (profile, hash, mode, max_group_size, num_groups) or (size, hash, mode).
                let size = if args.len() == 5 {
                    let profile = self.instance_args(arg(0)?);
                    match profile.first() {
                        Some(s) => self.const_u32(*s, "the action profile size")?,
                        None => {
                            return Err(Error::unsupported(
                                "an `ActionSelector` whose profile is not an instance",
                                self.loc(arg(0)?),
                            ));
                        }
                    }
                } else {
                    self.const_u32(arg(0)?, "the action selector size")?
                };
                let hash = arg(1)?;
                let (algorithm, ty) = self.tna_hash_of(hash)?;
                ExternKind::ActionSelector {
                    size,
                    algorithm,
                    output_width: ty.width(),
                }
            }
            "Digest" => {
                let Some(t) = targs.first() else {
                    return Err(Error::unsupported("a `Digest` without its type", loc));
                };
                ExternKind::Digest {
                    fields: self.digest_fields(*t, loc)?,
                }
            }
            "Hash" => {
                let algorithm = self.tna_algorithm(arg(0)?)?;
                let ty = self.tna_width(targs, "Hash", loc)?;
                return Ok(Some(TnaInstance::Binding(Binding::TnaHash {
                    algorithm,
                    ty,
                })));
            }
            "Random" => {
                let ty = self.tna_width(targs, "Random", loc)?;
                return Ok(Some(TnaInstance::Binding(Binding::TnaRandom { ty })));
            }
            "Checksum" => {
                let acc = self.temp("checksum_acc", Ty::Bit(16));
                return Ok(Some(TnaInstance::Binding(Binding::TnaChecksum { acc })));
            }
            "RegisterAction" => {
                let reg = arg(0)?;
                let register = match self.extern_binding(reg)? {
                    Some(Binding::Extern(h))
                        if matches!(self.externs[h].kind, ExternKind::Register { .. }) =>
                    {
                        h
                    }
                    _ => {
                        return Err(Error::unsupported(
                            "a `RegisterAction` of something other than a `Register` instance",
                            self.loc(reg),
                        ));
                    }
                };
                let Some(action) = decl else {
                    return Err(Error::unsupported("this `RegisterAction`", loc));
                };
                return Ok(Some(TnaInstance::Binding(Binding::TnaRegisterAction {
                    register,
                    action,
                })));
            }
            _ => return Ok(None),
        };
        Ok(Some(TnaInstance::Extern(kind)))
    }

    /// The constructor arguments of the instance `e` names (empty when it names none).
    fn instance_args(&self, e: Handle<Expr>) -> Vec<Handle<Expr>> {
        match self.c.def_of(e) {
            Some(Def::Decl(d)) => match &self.p.decls[d] {
                Decl::Instance(i) => i.args.iter().map(|a| a.value).collect(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    /// The algorithm and result type of the `Hash<W>` instance `e` names.
    fn tna_hash_of(&self, e: Handle<Expr>) -> Result<(HashAlgorithm, Ty)> {
        let loc = self.loc(e);
        let not_hash = || Error::unsupported("a selector hash that is not a `Hash` instance", loc);
        let Some(Def::Decl(d)) = self.c.def_of(e) else {
            return Err(not_hash());
        };
        let Some(Type::Extern { args, .. }) = self.c.decl(d).ty.map(|t| self.c.types.get(t)) else {
            return Err(not_hash());
        };
        let ty = self.tna_width(args, "Hash", loc)?;
        let algo = self.instance_args(e);
        let Some(a) = algo.first() else {
            return Err(not_hash());
        };
        Ok((self.tna_algorithm(*a)?, ty))
    }

    /// The `bit<W>` type argument of `Hash<W>` or `Random<W>`.
    fn tna_width(&self, targs: &[TypeId], ext: &str, loc: Loc) -> Result<Ty> {
        match targs.first().map(|t| self.scalar_ty(*t, loc)) {
            Some(Ok(Some(ty @ Ty::Bit(_)))) => Ok(ty),
            Some(Err(e)) => Err(e),
            _ => Err(Error::unsupported(
                format!("`{ext}` of a type other than `bit<W>`"),
                loc,
            )),
        }
    }

    fn tna_algorithm(&self, e: Handle<Expr>) -> Result<HashAlgorithm> {
        Ok(match self.enum_member(e).as_deref() {
            Some("CRC32") => HashAlgorithm::Crc32,
            Some("CRC16") => HashAlgorithm::Crc16,
            Some("IDENTITY") => HashAlgorithm::Identity,
            Some("RANDOM") => HashAlgorithm::Random,
            other => {
                return Err(Error::unsupported(
                    format!("hash algorithm `{}`", other.unwrap_or("?")),
                    self.loc(e),
                ));
            }
        })
    }

    fn tna_counter_unit(&self, e: Handle<Expr>) -> Result<CounterUnit> {
        Ok(match self.enum_member(e).as_deref() {
            Some("PACKETS") => CounterUnit::Packets,
            Some("BYTES") => CounterUnit::Bytes,
            Some("PACKETS_AND_BYTES") => CounterUnit::PacketsAndBytes,
            _ => {
                return Err(Error::new(
                    ErrorKind::NotConstant {
                        what: "a CounterType_t".into(),
                    },
                    self.loc(e),
                ));
            }
        })
    }

    fn tna_meter_unit(&self, e: Handle<Expr>) -> Result<MeterUnit> {
        Ok(match self.enum_member(e).as_deref() {
            Some("PACKETS") => MeterUnit::Packets,
            Some("BYTES") => MeterUnit::Bytes,
            _ => {
                return Err(Error::new(
                    ErrorKind::NotConstant {
                        what: "a MeterType_t".into(),
                    },
                    self.loc(e),
                ));
            }
        })
    }

    /// A call of method `method` of TNA extern `ext` on the instance `base` names; the value
    /// for methods that return one.
    pub(super) fn tna_method(
        &mut self,
        base: Handle<Expr>,
        ext: &str,
        method: &str,
        args: &[Option<Handle<Expr>>],
        loc: Loc,
        out: &mut Vec<IrStmt>,
    ) -> Result<Option<Operand>> {
        let binding = self.extern_binding(base)?;
        let a = |l: &Self, i: usize| l.need(args, i, method, loc);
        let given = |i: usize| args.get(i).copied().flatten();
        let no_lowering =
            || Error::unsupported(format!("method `{method}` of TNA extern `{ext}`"), loc);
        match (binding, method) {
            (Some(Binding::Extern(h)), _) => {
                let kind = self.externs[h].kind.clone();
                match (kind, method) {
                    (ExternKind::Counter { .. }, "count") => {
                        self.no_adjust(given(1))?;
                        let index = self.value(a(self, 0)?, out)?.0;
                        out.push(IrStmt::Extern {
                            call: ExternCall::Count { counter: h, index },
                        });
                        Ok(None)
                    }
                    // Direct counters count every hit of their table's entries (as BMv2's).
                    (ExternKind::DirectCounter { .. }, "count") => {
                        self.no_adjust(given(0))?;
                        Ok(None)
                    }
                    (ExternKind::Meter { .. }, "execute") => {
                        self.colour_blind(args)?;
                        let index = self.value(a(self, 0)?, out)?.0;
                        let dst = self.temp("color", Ty::Bit(8));
                        out.push(IrStmt::Extern {
                            call: ExternCall::ExecuteMeter {
                                meter: h,
                                index,
                                dst: LValue::Field(dst),
                            },
                        });
                        Ok(Some(Self::tna_colour(dst, out)))
                    }
                    (ExternKind::DirectMeter { .. }, "execute") => {
                        self.colour_blind(args)?;
                        let dst = self.temp("color", Ty::Bit(8));
                        out.push(IrStmt::Extern {
                            call: ExternCall::ReadDirectMeter {
                                meter: h,
                                dst: LValue::Field(dst),
                            },
                        });
                        Ok(Some(Self::tna_colour(dst, out)))
                    }
                    (ExternKind::Register { width, .. }, "read") => {
                        let index = self.value(a(self, 0)?, out)?.0;
                        let ty = Ty::Bit(width);
                        let dst = self.temp("register", ty);
                        out.push(IrStmt::Extern {
                            call: ExternCall::RegisterRead {
                                register: h,
                                dst: LValue::Field(dst),
                                index,
                            },
                        });
                        Ok(Some(Operand::Place(Place::Scalar {
                            field: dst,
                            ty,
                            slice: None,
                        })))
                    }
                    (ExternKind::Register { width, .. }, "write") => {
                        let index = self.value(a(self, 0)?, out)?.0;
                        let (v, ty) = self.value(a(self, 1)?, out)?;
                        let want = if ty.is_signed() {
                            Ty::Int(width)
                        } else {
                            Ty::Bit(width)
                        };
                        out.push(IrStmt::Extern {
                            call: ExternCall::RegisterWrite {
                                register: h,
                                index,
                                value: coerce(v, ty, want),
                            },
                        });
                        Ok(None)
                    }
                    (ExternKind::Digest { .. }, "pack") => {
                        let data = self.flatten(a(self, 0)?, out)?;
                        out.push(IrStmt::Extern {
                            call: ExternCall::Digest {
                                digest: h,
                                receiver: 0,
                                data,
                            },
                        });
                        Ok(None)
                    }
                    _ => Err(no_lowering()),
                }
            }
            (Some(Binding::TnaHash { algorithm, ty }), "get") => {
                let data = self.flatten(a(self, 0)?, out)?;
                let dst = self.temp("hash", ty);
                out.push(IrStmt::Extern {
                    call: ExternCall::Hash {
                        dst: LValue::Field(dst),
                        algorithm,
                        base: IrExpr::bits(ty.width(), 0),
                        data,
                        max: IrExpr::bits(ty.width(), 0),
                    },
                });
                Ok(Some(Operand::Place(Place::Scalar {
                    field: dst,
                    ty,
                    slice: None,
                })))
            }
            (Some(Binding::TnaRandom { ty }), "get") => {
                let dst = self.temp("random", ty);
                out.push(IrStmt::Extern {
                    call: ExternCall::Random {
                        dst: LValue::Field(dst),
                        lo: IrExpr::bits(ty.width(), 0),
                        hi: IrExpr::bits(ty.width(), u128::MAX),
                    },
                });
                Ok(Some(Operand::Place(Place::Scalar {
                    field: dst,
                    ty,
                    slice: None,
                })))
            }
            (Some(Binding::TnaChecksum { acc }), _) => {
                self.tna_checksum(acc, method, args, loc, out)
            }
            (Some(Binding::TnaRegisterAction { register, action }), "execute") => {
                let index = a(self, 0)?;
                self.register_action(register, action, index, loc, out)
                    .map(Some)
            }
            _ => Err(no_lowering()),
        }
    }

    /// The binding of the extern instance `base` names (created on first use).
    pub(super) fn extern_binding(&mut self, base: Handle<Expr>) -> Result<Option<Binding>> {
        Ok(match self.c.def_of(base) {
            Some(Def::Decl(d)) => {
                self.instance(d)?;
                self.vars.get(&d).cloned()
            }
            Some(Def::Param { owner, index }) => self.params.get(&(owner, index)).cloned(),
            _ => None,
        })
    }

    fn no_adjust(&self, adjust: Option<Handle<Expr>>) -> Result<()> {
        match adjust {
            Some(e) => Err(Error::unsupported(
                "`adjust_byte_count` of a TNA counter or meter",
                self.loc(e),
            )),
            None => Ok(()),
        }
    }

    /// Refuses colour-aware meter calls and byte adjustments: the IR's meters are colour blind.
    fn colour_blind(&self, args: &[Option<Handle<Expr>>]) -> Result<()> {
        // `execute(index, color, adjust)` or `execute(index, adjust)` for `Meter`,
        // `execute(color, adjust)` or `execute(adjust)` for `DirectMeter`: whatever follows
        // the index is a colour or an adjustment.
        let extra = args.iter().skip(1).flatten().next();
        match extra {
            Some(e) => Err(Error::unsupported(
                "a colour-aware or byte-adjusted TNA meter call",
                self.loc(*e),
            )),
            None => Ok(()),
        }
    }

    /// TNA's colour from the IR meter's result in `dst`.
    fn tna_colour(dst: FieldRef, out: &mut Vec<IrStmt>) -> Operand {
        let ty = Ty::Bit(8);
        let v = IrExpr::field(dst);
        out.push(IrStmt::Assign {
            dst: LValue::Field(dst),
            src: IrExpr::Mux {
                cond: Box::new(IrExpr::binary(
                    BinOp::Eq,
                    v.clone(),
                    IrExpr::bits(8, V1MODEL_RED),
                )),
                then: Box::new(IrExpr::bits(8, TNA_RED)),
                els: Box::new(v),
            },
        });
        Operand::Place(Place::Scalar {
            field: dst,
            ty,
            slice: None,
        })
    }

    /// `Checksum` methods on accumulator `acc`.
    fn tna_checksum(
        &mut self,
        acc: FieldRef,
        method: &str,
        args: &[Option<Handle<Expr>>],
        loc: Loc,
        out: &mut Vec<IrStmt>,
    ) -> Result<Option<Operand>> {
        let a = |l: &Self, i: usize| l.need(args, i, method, loc);
        let b16 = Ty::Bit(16);
        let scalar = |field| {
            Operand::Place(Place::Scalar {
                field,
                ty: b16,
                slice: None,
            })
        };
        match method {
            "add" | "subtract" => {
                // csum16 is the complement of the data's ones'-complement sum: what
                // `subtract` adds; `add` adds its complement, the sum itself.
                let sum = self.csum16(a(self, 0)?, out)?;
                let word = if method == "add" {
                    IrExpr::unary(UnOp::BitNot, IrExpr::field(sum))
                } else {
                    IrExpr::field(sum)
                };
                self.ones_complement_add(acc, word, out);
                Ok(None)
            }
            "subtract_all_and_deposit" => {
                let (dst, ty) = self.lvalue(a(self, 0)?, out)?;
                out.push(IrStmt::Assign {
                    dst,
                    src: coerce(IrExpr::field(acc), b16, ty),
                });
                Ok(None)
            }
            "get" => {
                let dst = self.temp("checksum", b16);
                out.push(IrStmt::Assign {
                    dst: LValue::Field(dst),
                    src: IrExpr::unary(UnOp::BitNot, IrExpr::field(acc)),
                });
                Ok(Some(scalar(dst)))
            }
            // The sum over data that includes its checksum is all ones when it is right.
            "verify" => Ok(Some(Operand::Value(
                IrExpr::binary(BinOp::Eq, IrExpr::field(acc), IrExpr::bits(16, 0xffff)),
                Ty::Bool,
            ))),
            "update" => {
                let dst = self.csum16(a(self, 0)?, out)?;
                if let Some(z) = args.get(1).copied().flatten() {
                    let zeros_as_ones = match self.c.value_of(z) {
                        Some(Value::Bool(b)) => *b,
                        _ => {
                            return Err(Error::new(
                                ErrorKind::NotConstant {
                                    what: "`zeros_as_ones`".into(),
                                },
                                self.loc(z),
                            ));
                        }
                    };
                    if zeros_as_ones {
                        let v = IrExpr::field(dst);
                        out.push(IrStmt::Assign {
                            dst: LValue::Field(dst),
                            src: IrExpr::Mux {
                                cond: Box::new(IrExpr::binary(
                                    BinOp::Eq,
                                    v.clone(),
                                    IrExpr::bits(16, 0),
                                )),
                                then: Box::new(IrExpr::bits(16, 0xffff)),
                                els: Box::new(v),
                            },
                        });
                    }
                }
                Ok(Some(scalar(dst)))
            }
            _ => Err(Error::unsupported(
                format!("method `{method}` of TNA extern `Checksum`"),
                loc,
            )),
        }
    }

    /// A fresh `bit<16>` holding the `csum16` (complemented ones'-complement sum) of `data`.
    fn csum16(&mut self, data: Handle<Expr>, out: &mut Vec<IrStmt>) -> Result<FieldRef> {
        let data = self.flatten(data, out)?;
        let dst = self.temp("checksum", Ty::Bit(16));
        out.push(IrStmt::Extern {
            call: ExternCall::Hash {
                dst: LValue::Field(dst),
                algorithm: HashAlgorithm::Csum16,
                base: IrExpr::bits(16, 0),
                data,
                max: IrExpr::bits(16, 0),
            },
        });
        Ok(dst)
    }

    /// `acc = acc + word` in ones'-complement arithmetic (end-around carry).
    fn ones_complement_add(&mut self, acc: FieldRef, word: IrExpr, out: &mut Vec<IrStmt>) {
        let b17 = Ty::Bit(17);
        let t = self.temp("checksum_carry", b17);
        out.push(IrStmt::Assign {
            dst: LValue::Field(t),
            src: IrExpr::binary(
                BinOp::Add,
                IrExpr::cast(b17, IrExpr::field(acc)),
                IrExpr::cast(b17, word),
            ),
        });
        out.push(IrStmt::Assign {
            dst: LValue::Field(acc),
            src: IrExpr::binary(
                BinOp::Add,
                IrExpr::slice(IrExpr::field(t), 15, 0),
                IrExpr::cast(Ty::Bit(16), IrExpr::slice(IrExpr::field(t), 16, 16)),
            ),
        });
    }

    /// `action.execute(index)` of a `RegisterAction`: the cell is read into a fresh field,
    /// the action's `apply(inout value, out rv)` is inlined on it, and the cell written back;
    /// the value is `rv` (what the stateful ALU does in one pass).
    fn register_action(
        &mut self,
        register: ddsr_pipeline::Handle<ddsr_pipeline::externs::Extern>,
        action: Handle<Decl>,
        index: Handle<Expr>,
        loc: Loc,
        out: &mut Vec<IrStmt>,
    ) -> Result<Operand> {
        let p = self.p;
        let ExternKind::Register { width, .. } = self.externs[register].kind else {
            return Err(Error::unsupported("this `RegisterAction`", loc));
        };
        let apply = match &p.decls[action] {
            Decl::Instance(i) => i.initializer.iter().flatten().copied().find(
                |d| matches!(&p.decls[*d], Decl::Function(f) if f.signature.name.name == "apply"),
            ),
            _ => None,
        };
        let Some(apply) = apply else {
            return Err(Error::unsupported(
                "a `RegisterAction` without an `apply` function",
                p.decls.loc(action),
            ));
        };
        let Decl::Function(f) = &p.decls[apply] else {
            return Err(Error::unsupported("this `RegisterAction`", loc));
        };
        if f.body.stmts.iter().any(|s| super::block::has_return(p, *s)) {
            return Err(Error::unsupported(
                "`return` in a `RegisterAction`'s `apply`",
                p.decls.loc(apply),
            ));
        }
        let (index, index_ty) = self.value(index, out)?;
        let idx = self.temp("register_index", index_ty);
        out.push(IrStmt::Assign {
            dst: LValue::Field(idx),
            src: index,
        });
        let cell_ty = Ty::Bit(width);
        let cell = self.temp("register_value", cell_ty);
        out.push(IrStmt::Extern {
            call: ExternCall::RegisterRead {
                register,
                dst: LValue::Field(cell),
                index: IrExpr::field(idx),
            },
        });
        let rv_ty = match self.c.decl(action).ty.map(|t| self.c.types.get(t)) {
            Some(Type::Extern { args, .. }) => match args.get(2) {
                Some(t) => self.scalar_ty(*t, loc)?,
                None => None,
            },
            _ => None,
        };
        let rv = match rv_ty {
            Some(ty) if ty.is_numeric() || ty == Ty::Bool => {
                let field = self.temp("register_result", ty);
                Some(Place::Scalar {
                    field,
                    ty,
                    slice: None,
                })
            }
            _ => None,
        };
        let mut places = vec![Place::Scalar {
            field: cell,
            ty: cell_ty,
            slice: None,
        }];
        places.extend(rv.clone());
        let saved: Vec<_> = (0..f.signature.params.len())
            .map(|i| self.params.remove(&(apply, i as u32)))
            .collect();
        for (i, place) in places
            .into_iter()
            .enumerate()
            .take(f.signature.params.len())
        {
            self.params.insert((apply, i as u32), Binding::Place(place));
        }
        let outer = self.inline.replace(super::Inline {
            value: None,
            flag: None,
        });
        let body = self.stmts(&f.body.stmts);
        self.inline = outer;
        for (i, s) in saved.into_iter().enumerate() {
            match s {
                Some(b) => self.params.insert((apply, i as u32), b),
                None => self.params.remove(&(apply, i as u32)),
            };
        }
        out.extend(body);
        out.push(IrStmt::Extern {
            call: ExternCall::RegisterWrite {
                register,
                index: IrExpr::field(idx),
                value: IrExpr::field(cell),
            },
        });
        match rv {
            Some(place) => Ok(Operand::Place(place)),
            None => Ok(Operand::Value(IrExpr::bits(1, 0), Ty::Bit(1))),
        }
    }

    /// The fields of a digest of type `t` (a struct or header of scalars).
    pub(super) fn digest_fields(&self, t: TypeId, loc: Loc) -> Result<Vec<DigestField>> {
        let decl = match self.c.types.get(self.concrete(t)) {
            Type::Struct(d) | Type::Header(d) => *d,
            _ => {
                return Err(Error::unsupported(
                    "a digest of a value that is not a struct or header",
                    loc,
                ));
            }
        };
        let mut fields = Vec::new();
        for (name, ft, floc) in self.fields_of(decl) {
            match self.scalar_ty(ft, floc)? {
                Some(ty) => fields.push(DigestField { name, ty }),
                None => {
                    return Err(Error::unsupported(
                        "a digest field of an aggregate type",
                        floc,
                    ));
                }
            }
        }
        Ok(fields)
    }
}

//! Extern instances (counters, meters, registers, action profiles and selectors) and calls of
//! v1model's extern functions and methods.

use ddsr_pipeline::Stmt as IrStmt;
use ddsr_pipeline::externs::{
    CloneKind, CounterUnit, Extern, ExternKind, HashAlgorithm, MeterUnit,
};
use ddsr_pipeline::stmt::ExternCall;
use ddsr_pipeline::types::Ty;

use super::storage::Binding;
use super::tna_externs::TnaInstance;
use super::{Error, ErrorKind, Lowerer, Result};
use crate::ast::{Decl, Expr, Handle, Loc};
use crate::sema::{Type, Value};

impl Lowerer<'_> {
    /// The name of the enum member a constant argument names (`HashAlgorithm.crc16`).
    pub(super) fn enum_member(&self, e: Handle<Expr>) -> Option<String> {
        match self.c.value_of(e)? {
            Value::Enum { decl, member } => match &self.p.decls[*decl] {
                Decl::Enum(en) => en
                    .members
                    .get(*member as usize)
                    .map(|m| m.name.name.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    pub(super) fn const_u32(&self, e: Handle<Expr>, what: &str) -> Result<u32> {
        match self.c.value_of(e) {
            Some(Value::Int(i)) => u32::try_from(i).ok(),
            _ => None,
        }
        .ok_or_else(|| {
            Error::new(
                ErrorKind::NotConstant {
                    what: what.to_string(),
                },
                self.loc(e),
            )
        })
    }

    fn algorithm(&self, e: Handle<Expr>) -> Result<HashAlgorithm> {
        Ok(match self.enum_member(e).as_deref() {
            Some("crc32") => HashAlgorithm::Crc32,
            Some("crc32_custom") => HashAlgorithm::Crc32Custom,
            Some("crc16") => HashAlgorithm::Crc16,
            Some("crc16_custom") => HashAlgorithm::Crc16Custom,
            Some("random") => HashAlgorithm::Random,
            Some("identity") => HashAlgorithm::Identity,
            Some("csum16") => HashAlgorithm::Csum16,
            Some("xor16") => HashAlgorithm::Xor16,
            other => {
                return Err(Error::unsupported(
                    format!("hash algorithm `{}`", other.unwrap_or("?")),
                    self.loc(e),
                ));
            }
        })
    }

    fn counter_unit(&self, e: Handle<Expr>) -> Result<CounterUnit> {
        Ok(match self.enum_member(e).as_deref() {
            Some("packets") => CounterUnit::Packets,
            Some("bytes") => CounterUnit::Bytes,
            Some("packets_and_bytes") => CounterUnit::PacketsAndBytes,
            _ => {
                return Err(Error::new(
                    ErrorKind::NotConstant {
                        what: "a CounterType".into(),
                    },
                    self.loc(e),
                ));
            }
        })
    }

    fn meter_unit(&self, e: Handle<Expr>) -> Result<MeterUnit> {
        Ok(match self.enum_member(e).as_deref() {
            Some("packets") => MeterUnit::Packets,
            Some("bytes") => MeterUnit::Bytes,
            _ => {
                return Err(Error::new(
                    ErrorKind::NotConstant {
                        what: "a MeterType".into(),
                    },
                    self.loc(e),
                ));
            }
        })
    }

    /// Creates the IR extern for instance declaration `d` (once) and binds it.
    pub(super) fn instance(&mut self, d: Handle<Decl>) -> Result<()> {
        if self.vars.contains_key(&d) {
            return Ok(());
        }
        let p = self.p;
        let loc = p.decls.loc(d);
        let Decl::Instance(inst) = &p.decls[d] else {
            return Ok(());
        };
        let t = self.c.decl(d).ty.unwrap_or(crate::sema::TypeId::UNKNOWN);
        let (ext, targs) = match self.c.types.get(t) {
            Type::Extern { decl, args } => (*decl, args.clone()),
            // Parser and control instances are applied by name; nothing to allocate.
            _ => return Ok(()),
        };
        let ext_name = p.decls[ext]
            .name()
            .map(|n| n.name.clone())
            .unwrap_or_default();
        let args: Vec<Handle<Expr>> = inst.args.iter().map(|a| a.value).collect();
        let tna = if self.pipe.is_some() {
            self.tna_instance(Some(d), &ext_name, &args, &targs, loc)?
        } else {
            None
        };
        let arg = |i: usize| {
            args.get(i).copied().ok_or_else(|| {
                Error::unsupported(format!("`{ext_name}` without argument {}", i + 1), loc)
            })
        };
        let kind = match (tna, ext_name.as_str()) {
            (Some(TnaInstance::Extern(kind)), _) => kind,
            (Some(TnaInstance::Binding(b)), _) => {
                self.vars.insert(d, b);
                return Ok(());
            }
            (None, "counter") => ExternKind::Counter {
                size: self.const_u32(arg(0)?, "the counter size")?,
                unit: self.counter_unit(arg(1)?)?,
            },
            (None, "direct_counter") => ExternKind::DirectCounter {
                unit: self.counter_unit(arg(0)?)?,
            },
            (None, "meter") => ExternKind::Meter {
                size: self.const_u32(arg(0)?, "the meter size")?,
                unit: self.meter_unit(arg(1)?)?,
            },
            (None, "direct_meter") => ExternKind::DirectMeter {
                unit: self.meter_unit(arg(0)?)?,
            },
            (None, "register") => {
                let width = match targs.first().map(|t| self.scalar_ty(*t, loc)) {
                    Some(Ok(Some(ty))) if ty.is_numeric() => ty.width(),
                    _ => return Err(Error::unsupported("a register of a non-numeric type", loc)),
                };
                ExternKind::Register {
                    size: self.const_u32(arg(0)?, "the register size")?,
                    width,
                }
            }
            (None, "action_profile") => ExternKind::ActionProfile {
                size: self.const_u32(arg(0)?, "the action profile size")?,
            },
            (None, "action_selector") => ExternKind::ActionSelector {
                algorithm: self.algorithm(arg(0)?)?,
                size: self.const_u32(arg(1)?, "the action selector size")?,
                output_width: u16::try_from(self.const_u32(arg(2)?, "the selector output width")?)
                    .unwrap_or(u16::MAX),
            },
            // Instances without state of their own: `Checksum16.get` lowers to a checksum
            // computation; a user-declared extern may be declared and instantiated, and only
            // calling its methods is refused (the softswitch cannot run them).
            _ => {
                self.vars.insert(d, Binding::Stateless);
                return Ok(());
            }
        };
        let key = (d, self.scope_of(d));
        if let Some(h) = self.extern_of.get(&key) {
            self.vars.insert(d, Binding::Extern(*h));
            return Ok(());
        }
        let name = self.cp_name(d);
        let h = self.externs.append(Extern { name, id: 0, kind });
        self.origins.externs.push(Some(d));
        self.extern_of.insert(key, h);
        self.vars.insert(d, Binding::Extern(h));
        Ok(())
    }

    pub(super) fn need(
        &self,
        args: &[Option<Handle<Expr>>],
        i: usize,
        what: &str,
        loc: Loc,
    ) -> Result<Handle<Expr>> {
        args.get(i)
            .copied()
            .flatten()
            .ok_or_else(|| Error::unsupported(format!("`{what}` without argument {}", i + 1), loc))
    }

    /// A call of a v1model or core extern function.
    pub(super) fn extern_function(
        &mut self,
        name: &str,
        args: &[Option<Handle<Expr>>],
        loc: Loc,
        out: &mut Vec<IrStmt>,
    ) -> Result<()> {
        let a = |l: &Self, i: usize| l.need(args, i, name, loc);
        let call = match name {
            "mark_to_drop" => ExternCall::MarkToDrop,
            "hash" => {
                let (dst, ty) = self.lvalue(a(self, 0)?, out)?;
                let (base, _) = self.value(a(self, 2)?, out)?;
                let data = self.flatten(a(self, 3)?, out)?;
                let (max, _) = self.value(a(self, 4)?, out)?;
                let _ = ty;
                ExternCall::Hash {
                    dst,
                    algorithm: self.algorithm(a(self, 1)?)?,
                    base,
                    data,
                    max,
                }
            }
            "random" => {
                let (dst, ty) = self.lvalue(a(self, 0)?, out)?;
                ExternCall::Random {
                    dst,
                    lo: self.value_as(a(self, 1)?, ty, out)?,
                    hi: self.value_as(a(self, 2)?, ty, out)?,
                }
            }
            "verify_checksum" | "verify_checksum_with_payload" => ExternCall::VerifyChecksum {
                condition: self.value_as(a(self, 0)?, Ty::Bool, out)?,
                data: self.flatten(a(self, 1)?, out)?,
                checksum: self.value(a(self, 2)?, out)?.0,
                algorithm: self.algorithm(a(self, 3)?)?,
                with_payload: name.ends_with("_with_payload"),
            },
            "update_checksum" | "update_checksum_with_payload" => ExternCall::UpdateChecksum {
                condition: self.value_as(a(self, 0)?, Ty::Bool, out)?,
                data: self.flatten(a(self, 1)?, out)?,
                checksum: self.lvalue(a(self, 2)?, out)?.0,
                algorithm: self.algorithm(a(self, 3)?)?,
                with_payload: name.ends_with("_with_payload"),
            },
            "digest" => {
                let data_expr = a(self, 1)?;
                let digest = self.digest(data_expr)?;
                ExternCall::Digest {
                    digest,
                    receiver: self.const_u32(a(self, 0)?, "the digest receiver")?,
                    data: self.flatten(data_expr, out)?,
                }
            }
            "clone" | "clone3" | "clone_preserving_field_list" => {
                let kind = match self.enum_member(a(self, 0)?).as_deref() {
                    Some("I2E") => CloneKind::I2E,
                    Some("E2E") => CloneKind::E2E,
                    _ => {
                        return Err(Error::new(
                            ErrorKind::NotConstant {
                                what: "a CloneType".into(),
                            },
                            loc,
                        ));
                    }
                };
                let field_list = if name == "clone_preserving_field_list" {
                    Some(self.field_list_index(a(self, 2)?)?)
                } else {
                    None
                };
                ExternCall::Clone {
                    kind,
                    session: self.value_as(a(self, 1)?, Ty::Bit(32), out)?,
                    field_list,
                }
            }
            "resubmit" => ExternCall::Resubmit { field_list: None },
            "resubmit_preserving_field_list" => ExternCall::Resubmit {
                field_list: Some(self.field_list_index(a(self, 0)?)?),
            },
            "recirculate" => ExternCall::Recirculate { field_list: None },
            "recirculate_preserving_field_list" => ExternCall::Recirculate {
                field_list: Some(self.field_list_index(a(self, 0)?)?),
            },
            "truncate" => ExternCall::Truncate {
                length: self.value_as(a(self, 0)?, Ty::Bit(32), out)?,
            },
            "assert" => ExternCall::Assert {
                condition: self.value_as(a(self, 0)?, Ty::Bool, out)?,
            },
            "assume" => ExternCall::Assume {
                condition: self.value_as(a(self, 0)?, Ty::Bool, out)?,
            },
            "log_msg" => {
                let format = match &self.p.exprs[a(self, 0)?] {
                    Expr::String(s) => s.clone(),
                    _ => {
                        return Err(Error::new(
                            ErrorKind::NotConstant {
                                what: "the log format".into(),
                            },
                            loc,
                        ));
                    }
                };
                let args = match args.get(1).copied().flatten() {
                    Some(d) => self.flatten(d, out)?,
                    None => Vec::new(),
                };
                ExternCall::LogMsg { format, args }
            }
            _ => {
                return Err(Error::new(
                    ErrorKind::UnknownExtern {
                        name: name.to_string(),
                    },
                    loc,
                ));
            }
        };
        out.push(IrStmt::Extern { call });
        Ok(())
    }

    fn field_list_index(&self, e: Handle<Expr>) -> Result<u8> {
        u8::try_from(self.const_u32(e, "the field list index")?).map_err(|_| {
            Error::new(
                ErrorKind::NotConstant {
                    what: "a field list index below 256".into(),
                },
                self.loc(e),
            )
        })
    }

    /// The digest extern for the type of `data` (named after the type, as p4c names it).
    fn digest(&mut self, data: Handle<Expr>) -> Result<ddsr_pipeline::Handle<Extern>> {
        let loc = self.loc(data);
        let t = self.c.type_of(data);
        let decl = match self.c.types.get(t) {
            Type::Struct(d) | Type::Header(d) => *d,
            _ => {
                return Err(Error::unsupported(
                    "a digest of a value that is not a struct or header",
                    loc,
                ));
            }
        };
        let name = self.p.decls[decl]
            .name()
            .map(|n| n.name.clone())
            .unwrap_or_default();
        if let Some(h) = self.digest_of.get(&name) {
            return Ok(*h);
        }
        let fields = self.digest_fields(t, loc)?;
        let h = self.externs.append(Extern {
            name: name.clone(),
            id: 0,
            kind: ExternKind::Digest { fields },
        });
        self.origins.externs.push(Some(decl));
        self.digest_of.insert(name, h);
        Ok(h)
    }

    /// A method call on an extern instance.
    pub(super) fn method_call(
        &mut self,
        base: Handle<Expr>,
        ext: &str,
        method: &str,
        args: &[Option<Handle<Expr>>],
        loc: Loc,
        out: &mut Vec<IrStmt>,
    ) -> Result<()> {
        if self.pipe.is_some() {
            return self
                .tna_method(base, ext, method, args, loc, out)
                .map(|_| ());
        }
        let h = match self.extern_binding(base)? {
            Some(Binding::Extern(h)) => h,
            Some(Binding::Stateless) => {
                return Err(Error::new(
                    ErrorKind::UnknownMethod {
                        ext: ext.to_string(),
                        method: method.to_string(),
                    },
                    loc,
                ));
            }
            _ => {
                return Err(Error::unsupported(
                    format!("method `{ext}.{method}` here"),
                    loc,
                ));
            }
        };
        let a = |l: &Self, i: usize| l.need(args, i, method, loc);
        let call = match (&self.externs[h].kind, method) {
            (ExternKind::Counter { .. }, "count") => ExternCall::Count {
                counter: h,
                index: self.value(a(self, 0)?, out)?.0,
            },
            // BMv2 counts direct counters on every hit; the call itself does nothing.
            (ExternKind::DirectCounter { .. }, "count") => return Ok(()),
            (ExternKind::Meter { .. }, "execute_meter") => ExternCall::ExecuteMeter {
                meter: h,
                index: self.value(a(self, 0)?, out)?.0,
                dst: self.lvalue(a(self, 1)?, out)?.0,
            },
            (ExternKind::DirectMeter { .. }, "read") => ExternCall::ReadDirectMeter {
                meter: h,
                dst: self.lvalue(a(self, 0)?, out)?.0,
            },
            (ExternKind::Register { width, .. }, "read") => {
                let _ = width;
                ExternCall::RegisterRead {
                    register: h,
                    dst: self.lvalue(a(self, 0)?, out)?.0,
                    index: self.value(a(self, 1)?, out)?.0,
                }
            }
            (ExternKind::Register { width, .. }, "write") => {
                let w = *width;
                let index = self.value(a(self, 0)?, out)?.0;
                let (v, ty) = self.value(a(self, 1)?, out)?;
                let want = if ty.is_signed() {
                    Ty::Int(w)
                } else {
                    Ty::Bit(w)
                };
                ExternCall::RegisterWrite {
                    register: h,
                    index,
                    value: super::expr::coerce(v, ty, want),
                }
            }
            _ => return Err(Error::unsupported(format!("method `{ext}.{method}`"), loc)),
        };
        out.push(IrStmt::Extern { call });
        Ok(())
    }
}

//! Tables and the actions they run; const entries become entries of the shared entry model.

use ddsr_pipeline::Handle as IrHandle;
use ddsr_pipeline::entry::{ActionCall, EntryAction, FieldMatch, TableEntry};
use ddsr_pipeline::program::{Action as IrAction, Param as IrParam};
use ddsr_pipeline::table::{
    ActionRef, ActionScope, Implementation, Key, MatchKind, Table as IrTable,
};
use ddsr_pipeline::types::Ty;
use ddsr_pipeline::value::{mask, to_bytes};

use super::expr::coerce;
use super::storage::Binding;
use super::{Ctx, Error, ErrorKind, Lowerer, Result};
use crate::ast::{Decl, Direction, Expr, Handle, Loc};
use crate::sema::TableInfo;

/// p4c's and BMv2's size of a table without a `size` property.
const DEFAULT_SIZE: u32 = 1024;

impl Lowerer<'_> {
    /// The IR action for action declaration `a`; `dir_args` bind its directional parameters
    /// (from a table's action list).
    pub(super) fn action(
        &mut self,
        a: Handle<Decl>,
        dir_args: &[Handle<Expr>],
    ) -> Result<IrHandle<IrAction>> {
        let key = (a, self.scope_of(a));
        if let Some(h) = self.action_of.get(&key) {
            // One IR action serves every table; its directional parameters are bound once.
            let first = self.action_args.get(&key).map(Vec::as_slice).unwrap_or(&[]);
            if !dir_args.is_empty() && first != dir_args {
                return Err(Error::unsupported(
                    "an action with directional parameters listed with different arguments",
                    self.loc(dir_args[0]),
                ));
            }
            return Ok(*h);
        }
        let p = self.p;
        let loc = p.decls.loc(a);
        let Decl::Action(action) = &p.decls[a] else {
            return Err(Error::unsupported(
                "a table action that is not an action",
                loc,
            ));
        };
        let mut params = Vec::new();
        let mut prelude = Vec::new();
        let mut dir = dir_args.iter();
        for (i, prm) in action.params.iter().enumerate() {
            let t = self.c.type_ref(prm.ty);
            match prm.direction {
                None => {
                    let ty = match self.scalar_ty(t, prm.loc)? {
                        Some(ty) if !matches!(ty, Ty::Varbit(_)) => ty,
                        _ => {
                            return Err(Error::unsupported(
                                "action data of an aggregate type",
                                prm.loc,
                            ));
                        }
                    };
                    let index = u16::try_from(params.len()).unwrap_or(u16::MAX);
                    params.push(IrParam {
                        name: prm.name.name.clone(),
                        width: ty.width(),
                    });
                    self.params
                        .insert((a, i as u32), Binding::ActionParam { index, ty });
                }
                Some(d) => {
                    let Some(arg) = dir.next() else {
                        return Err(Error::unsupported(
                            "an action with directional parameters used without arguments",
                            prm.loc,
                        ));
                    };
                    let binding = if d == Direction::In {
                        let (v, ty) = self.value(*arg, &mut prelude)?;
                        Binding::Value(v, ty)
                    } else {
                        Binding::Place(self.place(*arg, &mut prelude)?)
                    };
                    self.params.insert((a, i as u32), binding);
                }
            }
        }
        let saved_ctx = std::mem::replace(&mut self.ctx, Ctx::Action);
        let saved_inline = self.inline.take();
        let mut body = prelude;
        body.extend(self.stmts(&action.body.stmts));
        self.ctx = saved_ctx;
        self.inline = saved_inline;
        let name = self.cp_name(a);
        let h = self.actions.append(IrAction {
            name,
            id: 0,
            params,
            body,
        });
        self.origins.actions.push(a);
        self.action_args.insert(key.clone(), dir_args.to_vec());
        self.action_of.insert(key, h);
        Ok(h)
    }

    /// The IR action of `a` as listed by `table` (for `switch` labels).
    pub(super) fn table_action_handle(
        &mut self,
        table: Handle<Decl>,
        a: Handle<Decl>,
        loc: Loc,
    ) -> Result<IrHandle<IrAction>> {
        self.table(table, loc)?;
        self.action_of
            .get(&(a, self.scope_of(a)))
            .copied()
            .ok_or_else(|| {
                Error::unsupported("a switch label that is not an action of the table", loc)
            })
    }

    fn no_action(&self) -> Option<Handle<Decl>> {
        self.p
            .items
            .iter()
            .copied()
            .find(|h| matches!(&self.p.decls[*h], Decl::Action(a) if a.name.name == "NoAction"))
    }

    /// The IR table of table declaration `d`, lowered on first use.
    pub(super) fn table(&mut self, d: Handle<Decl>, loc: Loc) -> Result<IrHandle<IrTable>> {
        let key = (d, self.scope_of(d));
        if let Some(h) = self.table_of.get(&key) {
            return Ok(*h);
        }
        let Some(info) = self.c.decl(d).table.clone() else {
            return Err(Error::unsupported(
                "a table the checker did not summarise",
                loc,
            ));
        };
        let name = self.cp_name(d);
        let mut prelude = Vec::new();
        let mut keys = Vec::new();
        let mut selector_keys = Vec::new();
        for k in &info.keys {
            let kloc = self.loc(k.expr);
            let (e, ty) = self.value(k.expr, &mut prelude)?;
            let width = ty.width();
            let e = coerce(e, ty, Ty::Bit(width));
            let match_kind = match k.match_kind.as_str() {
                "exact" => MatchKind::Exact,
                "lpm" => MatchKind::Lpm,
                "ternary" => MatchKind::Ternary,
                "range" => MatchKind::Range,
                "optional" => MatchKind::Optional,
                "selector" => {
                    selector_keys.push(e);
                    continue;
                }
                other => return Err(Error::unsupported(format!("match kind `{other}`"), kloc)),
            };
            keys.push(Key {
                name: k.name.clone(),
                expr: e,
                match_kind,
                width,
            });
        }
        if !prelude.is_empty() {
            return Err(Error::unsupported("a table key that calls a function", loc));
        }
        let mut actions = Vec::new();
        for u in &info.actions {
            let h = self.action(u.action, &u.args)?;
            let scope = match (u.table_only, u.default_only) {
                (true, _) => ActionScope::TableOnly,
                (_, true) => ActionScope::DefaultOnly,
                _ => ActionScope::TableAndDefault,
            };
            actions.push(ActionRef { action: h, scope });
        }
        let default_action = match &info.default_action {
            Some((i, args)) => {
                let a = info.actions[*i].action;
                let h = self.action(a, &[])?;
                ActionCall {
                    action: h,
                    args: self.action_data(a, args, true)?,
                }
            }
            None => {
                let Some(na) = self.no_action() else {
                    return Err(Error::unsupported(
                        "a table without default action when `NoAction` is not declared",
                        loc,
                    ));
                };
                let h = self.action(na, &[])?;
                if !actions.iter().any(|r| r.action == h) {
                    actions.push(ActionRef {
                        action: h,
                        scope: ActionScope::DefaultOnly,
                    });
                }
                ActionCall {
                    action: h,
                    args: Vec::new(),
                }
            }
        };
        let size = match info.size {
            Some(n) => u32::try_from(n).map_err(|_| {
                Error::new(
                    ErrorKind::TooWide {
                        what: "the table size".into(),
                        width: 64,
                        max: 32,
                    },
                    loc,
                )
            })?,
            None => DEFAULT_SIZE,
        };
        let ext = |l: &mut Self,
                   d: Option<Handle<Decl>>|
         -> Result<Option<IrHandle<ddsr_pipeline::externs::Extern>>> {
            let Some(d) = d else { return Ok(None) };
            l.instance(d)?;
            match l.vars.get(&d) {
                Some(Binding::Extern(h)) => Ok(Some(*h)),
                _ => Err(Error::unsupported("this table property", loc)),
            }
        };
        let implementation = match ext(self, info.implementation)? {
            None => Implementation::Direct,
            Some(h) => match self.externs[h].kind {
                ddsr_pipeline::externs::ExternKind::ActionSelector { .. } => {
                    Implementation::ActionSelector(h)
                }
                _ => Implementation::ActionProfile(h),
            },
        };
        let direct_counter = ext(self, info.counters)?;
        let direct_meter = ext(self, info.meters)?;
        let handle = self.tables.append(IrTable {
            name,
            id: 0,
            keys,
            selector_keys,
            actions,
            default_action,
            default_const: info.default_is_const,
            entries: Vec::new(),
            entries_const: info.entries_const,
            size,
            implementation,
            direct_counter,
            direct_meter,
            idle_timeout: info.support_timeout,
        });
        self.origins.tables.push(d);
        self.table_of.insert(key, handle);
        let entries = self.entries(handle, &info)?;
        self.tables[handle].entries = entries;
        Ok(handle)
    }

    /// Canonical bytes of the directionless arguments of action `a`.
    fn action_data(
        &self,
        a: Handle<Decl>,
        args: &[Handle<Expr>],
        all_params: bool,
    ) -> Result<Vec<Vec<u8>>> {
        let Decl::Action(action) = &self.p.decls[a] else {
            return Ok(Vec::new());
        };
        let data: Vec<_> = if all_params {
            action
                .params
                .iter()
                .zip(args)
                .filter(|(p, _)| p.direction.is_none())
                .collect()
        } else {
            action
                .params
                .iter()
                .filter(|p| p.direction.is_none())
                .zip(args)
                .collect()
        };
        let mut out = Vec::new();
        for (prm, arg) in data {
            let t = self.c.type_ref(prm.ty);
            let width = self.scalar_ty(t, prm.loc)?.map_or(1, Ty::width);
            let v = self.const_value(*arg)?;
            out.push(to_bytes(v & mask(width), width));
        }
        Ok(out)
    }

    fn const_value(&self, e: Handle<Expr>) -> Result<u128> {
        match self.c.value_of(e) {
            Some(v) => self.const_bits(v, self.loc(e)),
            None => Err(Error::new(
                ErrorKind::NotConstant {
                    what: "an entry value".into(),
                },
                self.loc(e),
            )),
        }
    }

    fn entries(&self, table: IrHandle<IrTable>, info: &TableInfo) -> Result<Vec<TableEntry>> {
        let t = &self.tables[table];
        let needs_priority = t.needs_priority();
        let n = info.entries.len();
        let mut out = Vec::new();
        for (i, entry) in info.entries.iter().enumerate() {
            let mut matches = Vec::new();
            let all_wild = entry.keys.len() == 1
                && t.keys.len() > 1
                && matches!(self.p.exprs[entry.keys[0]], Expr::DontCare | Expr::Default);
            for (j, key) in t.keys.iter().enumerate() {
                let k = if all_wild {
                    entry.keys[0]
                } else {
                    entry.keys[j]
                };
                matches.push(self.field_match(k, key.match_kind, key.width)?);
            }
            let u = &info.actions[entry.action];
            let action = self.action_of[&(u.action, self.scope_of(u.action))];
            let priority = if needs_priority {
                match &entry.priority {
                    Some(p) => i32::try_from(p).unwrap_or(i32::MAX),
                    None => i32::try_from(n - i).unwrap_or(i32::MAX),
                }
            } else {
                0
            };
            out.push(TableEntry {
                table,
                matches,
                priority,
                action: EntryAction::Action(ActionCall {
                    action,
                    args: self.action_data(u.action, &entry.args, false)?,
                }),
            });
        }
        Ok(out)
    }

    fn field_match(&self, k: Handle<Expr>, kind: MatchKind, width: u16) -> Result<FieldMatch> {
        let bytes = |v: u128| to_bytes(v & mask(width), width);
        Ok(match &self.p.exprs[k] {
            Expr::DontCare | Expr::Default => FieldMatch::wildcard(kind, width)
                .ok_or_else(|| Error::unsupported("`_` for an exact key", self.loc(k)))?,
            Expr::Mask { value, mask: m } => {
                let (v, m) = (self.const_value(*value)?, self.const_value(*m)?);
                match kind {
                    MatchKind::Lpm => FieldMatch::Lpm {
                        value: bytes(v & m),
                        prefix_len: u16::try_from(m.count_ones()).unwrap_or(0),
                    },
                    _ => FieldMatch::Ternary {
                        value: bytes(v & m),
                        mask: bytes(m),
                    },
                }
            }
            Expr::Range { lo, hi } => FieldMatch::Range {
                low: bytes(self.const_value(*lo)?),
                high: bytes(self.const_value(*hi)?),
            },
            _ => {
                let v = self.const_value(k)?;
                match kind {
                    MatchKind::Exact => FieldMatch::Exact { value: bytes(v) },
                    MatchKind::Lpm => FieldMatch::Lpm {
                        value: bytes(v),
                        prefix_len: width,
                    },
                    MatchKind::Ternary => FieldMatch::Ternary {
                        value: bytes(v),
                        mask: bytes(mask(width)),
                    },
                    MatchKind::Range => FieldMatch::Range {
                        low: bytes(v),
                        high: bytes(v),
                    },
                    MatchKind::Optional => FieldMatch::Optional {
                        value: Some(bytes(v)),
                    },
                }
            }
        })
    }
}

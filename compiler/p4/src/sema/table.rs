//! Tables: keys and match kinds, the action list, default action, entries, size and the
//! properties naming extern instances. The result is a [`TableInfo`] per table, which is all
//! that lowering and P4Info need to know about a table.

use std::collections::HashMap;

use num_bigint::BigInt;

use crate::ast::{
    self, ActionRef, Decl, Expr, Handle, Keyset, Loc, Table, TablePropertyKind, find_annotation,
};

use super::call::Subst;
use super::error::{Error, ErrorKind};
use super::ty::{Type, TypeId};
use super::value::Value;
use super::{Checker, Def, Place};

/// One key element.
#[derive(Debug, Clone)]
pub struct KeyInfo {
    pub expr: Handle<Expr>,
    pub ty: TypeId,
    /// `exact`, `lpm`, `ternary`, `range`, `optional`, `selector`...
    pub match_kind: String,
    /// The control-plane name: `@name` or the expression as written (`hdr.ipv4.dstAddr`).
    pub name: String,
}

/// An action of the table's `actions` list.
#[derive(Debug, Clone)]
pub struct ActionUse {
    pub action: Handle<Decl>,
    /// Arguments bound in the list, one per directional parameter (empty when none).
    pub args: Vec<Handle<Expr>>,
    /// `@defaultonly`: only usable as the default action.
    pub default_only: bool,
    /// `@tableonly`: never usable as the default action.
    pub table_only: bool,
    pub loc: Loc,
}

/// One entry of `entries`.
#[derive(Debug, Clone)]
pub struct EntryInfo {
    /// One keyset expression per key element (a value, mask, range, `_` or `default`); a
    /// single `_`/`default` covers all keys.
    pub keys: Vec<Handle<Expr>>,
    /// Index into [`TableInfo::actions`].
    pub action: usize,
    /// Action data, one constant per directionless parameter.
    pub args: Vec<Handle<Expr>>,
    /// `priority = N:` or `@priority(N)`.
    pub priority: Option<BigInt>,
    pub is_const: bool,
}

#[derive(Debug, Clone, Default)]
pub struct TableInfo {
    pub keys: Vec<KeyInfo>,
    pub actions: Vec<ActionUse>,
    /// Index into `actions` and its arguments (all parameters).
    pub default_action: Option<(usize, Vec<Handle<Expr>>)>,
    pub default_is_const: bool,
    pub size: Option<u64>,
    pub entries: Vec<EntryInfo>,
    pub entries_const: bool,
    /// The `action_profile`/`action_selector` instance of `implementation`.
    pub implementation: Option<Handle<Decl>>,
    /// The `direct_counter` of `counters`.
    pub counters: Option<Handle<Decl>>,
    /// The `direct_meter` of `meters`.
    pub meters: Option<Handle<Decl>>,
    pub support_timeout: bool,
}

const PROFILE_EXTERNS: &[&str] = &[
    "action_profile",
    "action_selector",
    "ActionProfile",
    "ActionSelector",
];
const COUNTER_EXTERNS: &[&str] = &["direct_counter", "DirectCounter"];
const METER_EXTERNS: &[&str] = &["direct_meter", "DirectMeter"];

impl Checker<'_> {
    pub(super) fn table(&mut self, h: Handle<Decl>, t: &Table) {
        let p = self.p;
        let saved = self.place;
        self.place = Place::Top;
        let mut info = TableInfo::default();
        let mut seen: HashMap<&str, Loc> = HashMap::new();
        for prop in &t.properties {
            if let Some(first) = seen.insert(&prop.name.name, prop.name.loc) {
                self.push_err(
                    Error::new(
                        ErrorKind::TableProperty {
                            message: format!(
                                "table property `{}` is given more than once",
                                prop.name.name
                            ),
                        },
                        prop.name.loc,
                    )
                    .related(first, "first given here"),
                );
            }
        }
        if let Some(prop) = t.property("key")
            && let TablePropertyKind::Key(elems) = &prop.kind
        {
            for k in elems {
                info.keys.push(self.key_element(k));
            }
        }
        match t.property("actions").map(|p| &p.kind) {
            Some(TablePropertyKind::Actions(refs)) => {
                for r in refs {
                    if let Some(u) = self.action_use(r, &info.actions) {
                        info.actions.push(u);
                    }
                }
            }
            _ => self.err(
                ErrorKind::TableProperty {
                    message: format!("table `{}` has no `actions` property", t.name.name),
                },
                t.name.loc,
            ),
        }
        // Later properties refer to the key and actions; checking them after keeps one
        // diagnostic per mistake whatever the order they were written in.
        for prop in &t.properties {
            let TablePropertyKind::Value(e) = &prop.kind else {
                continue;
            };
            let e = *e;
            match prop.name.name.as_str() {
                "default_action" => {
                    info.default_action = self.default_action(t, e, &info);
                    info.default_is_const = prop.is_const;
                }
                "size" => {
                    self.expr(e, None);
                    let v = self.out.values[e.index()].clone();
                    let ty = self.out.expr_types[e.index()];
                    match v
                        .as_ref()
                        .and_then(Value::as_int)
                        .and_then(|v| u64::try_from(v).ok())
                    {
                        Some(n) if n > 0 && self.out.types.is_numeric(ty) => info.size = Some(n),
                        _ if ty == TypeId::UNKNOWN => {}
                        _ => {
                            let found = match v {
                                Some(Value::Int(v)) => v.to_string(),
                                Some(_) => self.display(ty),
                                None => "a run-time value".into(),
                            };
                            self.err(ErrorKind::TableSize { found }, p.exprs.loc(e));
                        }
                    }
                }
                "implementation" => {
                    info.implementation = self.instance_property(
                        e,
                        PROFILE_EXTERNS,
                        "an action_profile or action_selector instance",
                    )
                }
                "counters" => {
                    info.counters =
                        self.instance_property(e, COUNTER_EXTERNS, "a direct_counter instance")
                }
                "meters" => {
                    info.meters =
                        self.instance_property(e, METER_EXTERNS, "a direct_meter instance")
                }
                "support_timeout" => {
                    self.expr_as(e, TypeId::BOOL);
                    info.support_timeout =
                        self.out.values[e.index()].as_ref().and_then(Value::as_bool) == Some(true);
                }
                _ => {
                    self.expr(e, None);
                }
            }
        }
        if let Some(prop) = t.property("entries")
            && let TablePropertyKind::Entries(entries) = &prop.kind
        {
            info.entries_const = prop.is_const;
            if info.keys.is_empty() {
                self.err(
                    ErrorKind::EntryKeyset {
                        message: format!("table `{}` has entries but no key", t.name.name),
                    },
                    prop.name.loc,
                );
            } else {
                for entry in entries {
                    if let Some(e) = self.entry(t, entry, &info, prop.is_const) {
                        info.entries.push(e);
                    }
                }
            }
        }
        self.place = saved;
        self.out.decls[h.index()].table = Some(info);
    }

    fn key_element(&mut self, k: &ast::KeyElement) -> KeyInfo {
        let ty = self.expr(k.expr, None);
        let ok = matches!(
            self.get(ty),
            Type::Bit(_)
                | Type::Int(_)
                | Type::Bool
                | Type::Error
                | Type::Enum(_)
                | Type::NewType(_)
                | Type::Varbit(_)
                | Type::Unknown
        );
        if !ok {
            let found = self.display(ty);
            self.err(
                ErrorKind::Mismatch {
                    expected: "bit<N>, int<N>, bool, error or an enum as a key".into(),
                    found,
                },
                self.p.exprs.loc(k.expr),
            );
        }
        let path = ast::Path {
            global: false,
            name: k.match_kind.clone(),
        };
        let is_kind = matches!(
            self.lookup(&path).and_then(|d| d.first()),
            Some((Def::MatchKind { .. }, _))
        );
        if !is_kind {
            let mut e = Error::new(
                ErrorKind::UnknownMatchKind {
                    found: k.match_kind.name.clone(),
                },
                k.match_kind.loc,
            );
            if let Some(s) = ddsr_diag::suggest(
                &k.match_kind.name,
                self.out.match_kinds.iter().map(String::as_str),
            ) {
                e = e.help(format!("a match kind that exists: `{s}`"));
            }
            self.push_err(e);
        }
        let name = super::names::annotation_string(self.p, &k.annotations, "name")
            .unwrap_or_else(|| self.expr_text(k.expr));
        KeyInfo {
            expr: k.expr,
            ty,
            match_kind: k.match_kind.name.clone(),
            name,
        }
    }

    /// The name of an action reference if it names an action, else E0231/E0200.
    fn resolve_action(&mut self, path: &ast::Path) -> Option<Handle<Decl>> {
        let Some(&(def, _)) = self.lookup(path).and_then(|d| d.first()) else {
            self.undefined("action", &path.name);
            return None;
        };
        match def {
            Def::Decl(h) if matches!(self.p.decls[h], Decl::Action(_)) => Some(h),
            Def::Decl(h) => {
                self.err(
                    ErrorKind::NotAnAction {
                        name: path.name.name.clone(),
                        found: super::decl_kind(&self.p.decls[h]),
                    },
                    path.name.loc,
                );
                None
            }
            _ => {
                self.err(
                    ErrorKind::NotAnAction {
                        name: path.name.name.clone(),
                        found: "value",
                    },
                    path.name.loc,
                );
                None
            }
        }
    }

    fn action_use(&mut self, r: &ActionRef, earlier: &[ActionUse]) -> Option<ActionUse> {
        let a = self.resolve_action(&r.name)?;
        if let Some(first) = earlier.iter().find(|u| u.action == a) {
            self.push_err(
                Error::new(
                    ErrorKind::DuplicateAction {
                        action: r.name.name.name.clone(),
                    },
                    r.loc,
                )
                .related(first.loc, "first listed here"),
            );
            return None;
        }
        let Decl::Action(action) = &self.p.decls[a] else {
            return None;
        };
        let directional: Vec<ast::Param> = action
            .params
            .iter()
            .filter(|p| p.direction.is_some())
            .cloned()
            .collect();
        let given = r.args.as_deref().unwrap_or(&[]);
        let mut args = Vec::new();
        if given.len() != directional.len() {
            self.err(
                ErrorKind::ArgCount {
                    expected: format!(
                        "{} (the action's parameters with a direction)",
                        directional.len()
                    ),
                    found: given.len(),
                },
                r.loc,
            );
        } else {
            let bound = self.args(r.loc, &directional, given, &mut Subst::new());
            args = bound.into_iter().flatten().collect();
        }
        Some(ActionUse {
            action: a,
            args,
            default_only: find_annotation(&r.annotations, "defaultonly").is_some(),
            table_only: find_annotation(&r.annotations, "tableonly").is_some(),
            loc: r.loc,
        })
    }

    fn default_action(
        &mut self,
        t: &Table,
        e: Handle<Expr>,
        info: &TableInfo,
    ) -> Option<(usize, Vec<Handle<Expr>>)> {
        let p = self.p;
        let (callee, args): (Handle<Expr>, &[ast::Argument]) = match &p.exprs[e] {
            Expr::Call { callee, args, .. } => (*callee, args),
            Expr::Path(_) => (e, &[]),
            _ => {
                self.expr(e, None);
                self.err(
                    ErrorKind::NotAnAction {
                        name: self.expr_text(e),
                        found: "expression",
                    },
                    p.exprs.loc(e),
                );
                return None;
            }
        };
        let Expr::Path(path) = &p.exprs[callee] else {
            self.err(
                ErrorKind::NotAnAction {
                    name: self.expr_text(callee),
                    found: "expression",
                },
                p.exprs.loc(callee),
            );
            return None;
        };
        let a = self.resolve_action(path)?;
        self.out.defs[callee.index()] = Some(Def::Decl(a));
        self.out.expr_types[e.index()] = TypeId::VOID;
        if callee != e {
            self.out.calls[e.index()] = Some(super::CallTarget::Action(a));
        }
        let Some(index) = info.actions.iter().position(|u| u.action == a) else {
            self.err(
                ErrorKind::DefaultNotListed {
                    action: path.name.name.clone(),
                    table: t.name.name.clone(),
                },
                p.exprs.loc(e),
            );
            return None;
        };
        if info.actions[index].table_only {
            self.push_err(
                Error::new(
                    ErrorKind::ActionScope {
                        message: format!(
                            "action `{}` is @tableonly and cannot be the default action",
                            path.name.name
                        ),
                    },
                    p.exprs.loc(e),
                )
                .related(info.actions[index].loc, "marked @tableonly here"),
            );
        }
        let Decl::Action(action) = &p.decls[a] else {
            return None;
        };
        let bound = self.args(p.exprs.loc(e), &action.params, args, &mut Subst::new());
        for (prm, arg) in action.params.iter().zip(&bound) {
            if let (None, Some(arg)) = (prm.direction, arg)
                && self.out.values[arg.index()].is_none()
                && self.out.expr_types[arg.index()] != TypeId::UNKNOWN
            {
                self.err(
                    ErrorKind::NotConstant {
                        found: "a run-time value as action data".into(),
                    },
                    p.exprs.loc(*arg),
                );
            }
        }
        Some((index, bound.into_iter().flatten().collect()))
    }

    fn entry(
        &mut self,
        t: &Table,
        entry: &ast::Entry,
        info: &TableInfo,
        list_const: bool,
    ) -> Option<EntryInfo> {
        let p = self.p;
        let types: Vec<TypeId> = info.keys.iter().map(|k| k.ty).collect();
        let keys = match &entry.keyset {
            Keyset::Single(e)
                if types.len() > 1 && matches!(p.exprs[*e], Expr::Default | Expr::DontCare) =>
            {
                self.out.expr_types[e.index()] = TypeId::DONT_CARE;
                vec![*e]
            }
            ks => self.keyset(ks, entry.keyset_loc, &types, false),
        };
        if keys.len() == info.keys.len() {
            for (k, key) in keys.iter().zip(&info.keys) {
                self.entry_key_kind(*k, &key.match_kind);
            }
        }
        let annotated = super::names::annotation_int(p, &entry.annotations, "priority");
        let priority = entry.priority.and_then(|pe| {
            self.expr(pe, None);
            let v = self.const_int(pe)?;
            if v < BigInt::ZERO {
                self.err(
                    ErrorKind::EntryKeyset {
                        message: format!("expected a non-negative priority, found {v}"),
                    },
                    p.exprs.loc(pe),
                );
                return None;
            }
            Some(v)
        });
        let priority = priority.or_else(|| annotated.map(BigInt::from));
        let a = self.resolve_action(&entry.action.name)?;
        let Some(index) = info.actions.iter().position(|u| u.action == a) else {
            self.err(
                ErrorKind::ActionScope {
                    message: format!(
                        "action `{}` is not in the actions of table `{}`",
                        entry.action.name.name.name, t.name.name
                    ),
                },
                entry.action.loc,
            );
            return None;
        };
        if info.actions[index].default_only {
            self.push_err(
                Error::new(
                    ErrorKind::ActionScope {
                        message: format!(
                            "action `{}` is @defaultonly and cannot be used in an entry",
                            entry.action.name.name.name
                        ),
                    },
                    entry.action.loc,
                )
                .related(info.actions[index].loc, "marked @defaultonly here"),
            );
        }
        let Decl::Action(action) = &p.decls[a] else {
            return None;
        };
        let data: Vec<ast::Param> = action
            .params
            .iter()
            .filter(|p| p.direction.is_none())
            .cloned()
            .collect();
        let given = entry.action.args.as_deref().unwrap_or(&[]);
        let bound = self.args(entry.action.loc, &data, given, &mut Subst::new());
        for arg in bound.iter().flatten() {
            if self.out.values[arg.index()].is_none()
                && self.out.expr_types[arg.index()] != TypeId::UNKNOWN
            {
                self.err(
                    ErrorKind::NotConstant {
                        found: "a run-time value as action data".into(),
                    },
                    p.exprs.loc(*arg),
                );
            }
        }
        Some(EntryInfo {
            keys,
            action: index,
            args: bound.into_iter().flatten().collect(),
            priority,
            is_const: list_const || entry.is_const,
        })
    }

    /// Masks only for `ternary` and `lpm` keys (and a prefix mask for `lpm`), ranges only for
    /// `range` keys, `_` and `default` for every kind but `exact`.
    fn entry_key_kind(&mut self, k: Handle<Expr>, kind: &str) {
        let p = self.p;
        let problem = match (&p.exprs[k], kind) {
            (Expr::Mask { .. }, "ternary") => None,
            (Expr::Mask { value, mask }, "lpm") => {
                let ty = self.out.expr_types[value.index()];
                match (
                    self.out.values[mask.index()]
                        .as_ref()
                        .and_then(Value::as_int),
                    self.out.types.fixed_width(ty),
                ) {
                    (Some(m), Some((w, _))) if !is_prefix_mask(m, w) => Some(format!(
                        "expected a prefix mask for an `lpm` key, found {m:#x}"
                    )),
                    _ => None,
                }
            }
            (Expr::Mask { .. }, _) => {
                Some(format!("`&&&` masks are not allowed for a `{kind}` key"))
            }
            (Expr::Range { .. }, "range") => None,
            (Expr::Range { .. }, _) => {
                Some(format!("`..` ranges are not allowed for a `{kind}` key"))
            }
            (Expr::DontCare | Expr::Default, "exact") => {
                Some("`_` and `default` are not allowed for an `exact` key".to_string())
            }
            _ => None,
        };
        if let Some(message) = problem {
            self.err(ErrorKind::EntryKeyset { message }, p.exprs.loc(k));
        }
    }

    /// `implementation`, `counters` and `meters`: an instance of one of `externs`.
    fn instance_property(
        &mut self,
        e: Handle<Expr>,
        externs: &[&str],
        expected: &str,
    ) -> Option<Handle<Decl>> {
        let p = self.p;
        let ty = self.expr(e, None);
        if ty == TypeId::UNKNOWN {
            return None;
        }
        let ext_name = match self.get(ty) {
            Type::Extern { decl, .. } => p.decls[*decl].name().map(|n| n.name.as_str()),
            _ => None,
        };
        let inst = match self.out.defs[e.index()] {
            Some(Def::Decl(h)) if matches!(p.decls[h], Decl::Instance(_)) => Some(h),
            _ => None,
        };
        match (ext_name, inst) {
            (Some(n), Some(h)) if externs.contains(&n) => Some(h),
            // An inline instantiation (`implementation = action_profile(32w128);`) has no
            // declaration of its own to point at.
            (Some(n), None) if externs.contains(&n) => None,
            _ => {
                let found = self.display(ty);
                self.err(
                    ErrorKind::Mismatch {
                        expected: expected.into(),
                        found,
                    },
                    p.exprs.loc(e),
                );
                None
            }
        }
    }

    /// An expression as p4c prints it in control-plane names: `hdr.ipv4.dstAddr`,
    /// `hdr.ipv4.isValid()`, `meta.f[7:0]`.
    pub(super) fn expr_text(&self, e: Handle<Expr>) -> String {
        let mut s = String::new();
        self.write_expr(&mut s, e, 0);
        s
    }

    fn write_expr(&self, s: &mut String, e: Handle<Expr>, depth: u32) {
        if depth > 32 {
            s.push_str("...");
            return;
        }
        match &self.p.exprs[e] {
            Expr::Path(path) => {
                if path.global {
                    s.push('.');
                }
                s.push_str(&path.name.name);
            }
            Expr::Member { base, member } => {
                self.write_expr(s, *base, depth + 1);
                s.push('.');
                s.push_str(&member.name);
            }
            Expr::Index { base, index } => {
                self.write_expr(s, *base, depth + 1);
                s.push('[');
                self.write_expr(s, *index, depth + 1);
                s.push(']');
            }
            Expr::Slice { base, hi, lo } => {
                self.write_expr(s, *base, depth + 1);
                s.push('[');
                self.write_expr(s, *hi, depth + 1);
                s.push(':');
                self.write_expr(s, *lo, depth + 1);
                s.push(']');
            }
            Expr::Call { callee, args, .. } => {
                self.write_expr(s, *callee, depth + 1);
                s.push('(');
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    self.write_expr(s, a.value, depth + 1);
                }
                s.push(')');
            }
            Expr::Int(lit) => {
                if lit.negative {
                    s.push('-');
                }
                s.push_str(&lit.value.to_string());
            }
            Expr::Bool(b) => s.push_str(if *b { "true" } else { "false" }),
            _ => s.push_str("<expr>"),
        }
    }
}

/// Whether `m` has the form `1...10...0` within `w` bits.
fn is_prefix_mask(m: &BigInt, w: u32) -> bool {
    if m.sign() == num_bigint::Sign::Minus {
        return false;
    }
    let Ok(ones) = u32::try_from(m.magnitude().count_ones()) else {
        return false;
    };
    if ones > w {
        return false;
    }
    let expected = (super::value::pow2(ones) - 1u8) << ((w - ones) as usize);
    &expected == m
}

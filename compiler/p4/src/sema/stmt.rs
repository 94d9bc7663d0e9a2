//! Statements, lvalues, and parser state machines.

use std::collections::HashMap;

use crate::ast::{Block, Decl, Direction, Expr, Handle, Keyset, Stmt, SwitchLabel, Transition};

use super::error::{Error, ErrorKind};
use super::ty::{Type, TypeId};
use super::{Checker, Def, Member, Place, StateRef};

impl Checker<'_> {
    /// Why `e` cannot be written, or `None` when it is an lvalue.
    pub(super) fn lvalue(&self, e: Handle<Expr>) -> Option<String> {
        let p = self.p;
        match &p.exprs[e] {
            Expr::Path(path) => {
                let name = &path.name.name;
                match self.out.defs[e.index()] {
                    None => None,
                    Some(Def::Decl(h)) => match &p.decls[h] {
                        Decl::Var(_) => None,
                        Decl::Const(_) => Some(format!("constant `{name}`")),
                        other => Some(format!("{} `{name}`", super::decl_kind(other))),
                    },
                    Some(def @ Def::Param { .. }) => {
                        match self.param(def).and_then(|p| p.direction) {
                            Some(Direction::Out | Direction::InOut) => None,
                            Some(Direction::In) => Some(format!("`in` parameter `{name}`")),
                            None => Some(format!("directionless parameter `{name}`")),
                        }
                    }
                    Some(Def::CtorParam { .. }) => Some(format!("constructor parameter `{name}`")),
                    Some(Def::ForVar(_)) => None,
                    Some(_) => Some(format!("`{name}`")),
                }
            }
            Expr::Member { base, member } => match self.out.members[e.index()] {
                Some(Member::Field(_) | Member::StackNext | Member::StackLast) => {
                    self.lvalue(*base)
                }
                None if self.out.expr_types[e.index()] == TypeId::UNKNOWN => None,
                _ => Some(format!("member `{}`", member.name)),
            },
            Expr::Index { base, .. } | Expr::Slice { base, .. } => self.lvalue(*base),
            _ if self.out.expr_types[e.index()] == TypeId::UNKNOWN => None,
            _ => Some("an expression that is not a variable".into()),
        }
    }

    pub(super) fn block(&mut self, b: &Block) {
        self.push_scope();
        for s in &b.stmts {
            self.stmt(*s);
        }
        self.pop_scope();
    }

    pub(super) fn stmt(&mut self, s: Handle<Stmt>) {
        let p = self.p;
        let loc = p.stmts.loc(s);
        if !self.enter(loc) {
            return;
        }
        match &p.stmts[s] {
            Stmt::Assign { lhs, rhs } => {
                let lt = self.expr(*lhs, None);
                if let Some(what) = self.lvalue(*lhs) {
                    self.err(ErrorKind::NotAssignable { what }, p.exprs.loc(*lhs));
                }
                let spec = match self.get(lt) {
                    Type::Struct(d) | Type::Header(d) | Type::HeaderUnion(d) => {
                        self.spec_of(*lhs, *d)
                    }
                    _ => None,
                };
                let saved = std::mem::replace(&mut self.spec, spec);
                self.expr_as(*rhs, lt);
                self.spec = saved;
            }
            Stmt::Call(e) => {
                if !matches!(p.exprs[*e], Expr::Call { .. }) {
                    self.err(
                        ErrorKind::Mismatch {
                            expected: "a call".into(),
                            found: "an expression".into(),
                        },
                        p.exprs.loc(*e),
                    );
                }
                self.expr(*e, None);
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                self.expr_as(*cond, TypeId::BOOL);
                self.scoped_stmt(*then);
                if let Some(o) = otherwise {
                    self.scoped_stmt(*o);
                }
            }
            Stmt::Block(b) => self.block(b),
            Stmt::Switch { expr, cases } => {
                // The parser statement grammar (P4_16 13.4) has no `switch`; `select` and
                // `if` take its place there.
                if self.place == Place::Parser {
                    self.err(
                        ErrorKind::Misplaced {
                            what: "`switch`".into(),
                            place: self.place.describe().into(),
                        },
                        loc,
                    );
                }
                self.switch(*expr, cases)
            }
            Stmt::Return(value) => self.return_stmt(*value, loc),
            Stmt::Exit => {
                if matches!(self.place, Place::Parser | Place::Function) {
                    self.err(
                        ErrorKind::Misplaced {
                            what: "`exit`".into(),
                            place: self.place.describe().into(),
                        },
                        loc,
                    );
                }
            }
            Stmt::Empty => {}
            Stmt::Decl(d) => self.decl(*d),
            Stmt::For {
                init,
                cond,
                update,
                body,
            } => {
                self.push_scope();
                for s in init {
                    self.stmt(*s);
                }
                if let Some(c) = cond {
                    self.expr_as(*c, TypeId::BOOL);
                }
                for s in update {
                    self.stmt(*s);
                }
                self.loops += 1;
                self.scoped_stmt(*body);
                self.loops -= 1;
                self.pop_scope();
            }
            Stmt::ForIn {
                ty,
                var,
                collection,
                body,
                ..
            } => {
                let ct = self.expr(*collection, None);
                let elem = match self.get(ct) {
                    _ if matches!(p.exprs[*collection], Expr::Range { .. }) => ct,
                    Type::Stack { elem, .. } | Type::List(elem) => *elem,
                    Type::Tuple(_) | Type::ListExpr(_) | Type::Unknown => TypeId::UNKNOWN,
                    _ => {
                        let found = self.display(ct);
                        self.err(
                            ErrorKind::Mismatch {
                                expected: "a header stack, list or range".into(),
                                found,
                            },
                            p.exprs.loc(*collection),
                        );
                        TypeId::UNKNOWN
                    }
                };
                let vt = match ty {
                    Some(t) => self.type_ref(*t),
                    None => elem,
                };
                self.for_vars.insert(s, vt);
                self.push_scope();
                self.define(var, Def::ForVar(s));
                self.loops += 1;
                self.scoped_stmt(*body);
                self.loops -= 1;
                self.pop_scope();
            }
            Stmt::Break | Stmt::Continue => {
                if self.loops == 0 {
                    let what = if matches!(p.stmts[s], Stmt::Break) {
                        "`break`"
                    } else {
                        "`continue`"
                    };
                    self.err(
                        ErrorKind::Misplaced {
                            what: what.into(),
                            place: "code outside a loop".into(),
                        },
                        loc,
                    );
                }
            }
        }
        self.leave();
    }

    /// A statement in its own scope (the branch of an `if`, a loop body).
    fn scoped_stmt(&mut self, s: Handle<Stmt>) {
        self.push_scope();
        self.stmt(s);
        self.pop_scope();
    }

    fn return_stmt(&mut self, value: Option<Handle<Expr>>, loc: crate::ast::Loc) {
        match (self.place, self.return_type, value) {
            (Place::Function, Some(rt), Some(v)) if rt != TypeId::VOID => {
                self.expr_as(v, rt);
            }
            (Place::Function, Some(rt), None) if rt != TypeId::VOID => {
                let expected = self.display(rt);
                self.err(
                    ErrorKind::BadReturn {
                        message: format!("expected a return value of type {expected}, found none"),
                    },
                    loc,
                );
            }
            (Place::Parser, _, _) => self.err(
                ErrorKind::Misplaced {
                    what: "`return`".into(),
                    place: Place::Parser.describe().into(),
                },
                loc,
            ),
            (_, _, Some(v)) => {
                self.expr(v, None);
                self.err(
                    ErrorKind::BadReturn {
                        message: format!(
                            "expected `return;` without a value in {}, found a value",
                            self.place.describe()
                        ),
                    },
                    self.p.exprs.loc(v),
                );
            }
            _ => {}
        }
    }

    fn switch(&mut self, expr: Handle<Expr>, cases: &[crate::ast::SwitchCase]) {
        let p = self.p;
        let t = self.expr(expr, None);
        let table = match self.get(t) {
            Type::ActionRun(table) => Some(*table),
            Type::Bit(_) | Type::Int(_) | Type::Enum(_) | Type::Error | Type::Unknown => None,
            _ => {
                let found = self.display(t);
                self.err(
                    ErrorKind::Mismatch {
                        expected: "`t.apply().action_run`, bit<N>, int<N>, an enum or error".into(),
                        found,
                    },
                    p.exprs.loc(expr),
                );
                return;
            }
        };
        let mut seen: HashMap<String, crate::ast::Loc> = HashMap::new();
        for (i, case) in cases.iter().enumerate() {
            match &case.label {
                SwitchLabel::Default => {
                    if i + 1 != cases.len() {
                        self.err(
                            ErrorKind::SwitchLabel {
                                message: "`default` must be the last switch label".into(),
                            },
                            case.label_loc,
                        );
                    }
                }
                SwitchLabel::Expr(le) => {
                    let key = match table {
                        Some(tbl) => self.action_label(*le, tbl),
                        None => {
                            self.expr_as(*le, t);
                            match self.out.values[le.index()].clone() {
                                Some(v) => Some(format!("{v:?}")),
                                None => {
                                    self.const_int(*le);
                                    None
                                }
                            }
                        }
                    };
                    if let Some(key) = key {
                        if let Some(first) = seen.get(&key) {
                            self.push_err(
                                Error::new(
                                    ErrorKind::SwitchLabel {
                                        message: "switch label is used more than once".into(),
                                    },
                                    case.label_loc,
                                )
                                .related(*first, "first used here"),
                            );
                        } else {
                            seen.insert(key, case.label_loc);
                        }
                    }
                }
            }
            if let Some(body) = &case.body {
                self.block(body);
            }
        }
    }

    /// A label of `switch (t.apply().action_run)`: an action of table `tbl`.
    fn action_label(&mut self, le: Handle<Expr>, tbl: Handle<Decl>) -> Option<String> {
        let p = self.p;
        let Expr::Path(path) = &p.exprs[le] else {
            self.err(
                ErrorKind::SwitchLabel {
                    message: "expected an action name as the label".into(),
                },
                p.exprs.loc(le),
            );
            return None;
        };
        let Some(&(def, _)) = self.lookup(path).and_then(|d| d.first()) else {
            self.undefined("action", &path.name);
            return None;
        };
        self.out.defs[le.index()] = Some(def);
        let run = self.ty(Type::ActionRun(tbl));
        self.out.expr_types[le.index()] = run;
        let listed = match (def, &self.out.decls[tbl.index()].table) {
            (Def::Decl(a), Some(info)) => info.actions.iter().any(|u| u.action == a),
            (_, None) => true,
            _ => false,
        };
        if !listed {
            let table = p.decls[tbl]
                .name()
                .map(|n| n.name.clone())
                .unwrap_or_default();
            self.err(
                ErrorKind::SwitchLabel {
                    message: format!(
                        "expected an action of table `{table}`, found `{}`",
                        path.name.name
                    ),
                },
                p.exprs.loc(le),
            );
            return None;
        }
        Some(path.name.name.clone())
    }

    /// The states of parser `owner`: statements, transitions and select cases.
    pub(super) fn parser_states(
        &mut self,
        owner: Handle<Decl>,
        states: &[crate::ast::ParserState],
    ) {
        let p = self.p;
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, st) in states.iter().enumerate() {
            let name = st.name.name.as_str();
            if matches!(name, "accept" | "reject") {
                self.err(ErrorKind::Duplicate { name: name.into() }, st.name.loc);
            } else if let Some(&first) = index.get(name) {
                self.push_err(
                    Error::new(ErrorKind::Duplicate { name: name.into() }, st.name.loc)
                        .related(states[first].name.loc, "first defined here"),
                );
            } else {
                index.insert(name, i);
            }
        }
        if !states.is_empty() && !index.contains_key("start") {
            self.err(
                ErrorKind::Undefined {
                    what: "state",
                    name: "start".into(),
                },
                p.decls[owner].name().map_or(states[0].loc, |n| n.loc),
            );
        }
        let resolve = |c: &mut Self, id: &crate::ast::Ident| -> StateRef {
            match id.name.as_str() {
                "accept" => StateRef::Accept,
                "reject" => StateRef::Reject,
                n => match index.get(n) {
                    Some(i) => StateRef::State(*i as u32),
                    None => {
                        let mut e = Error::new(
                            ErrorKind::Undefined {
                                what: "state",
                                name: n.into(),
                            },
                            id.loc,
                        );
                        let names = index.keys().copied().chain(["accept", "reject"]);
                        if let Some(s) = ddsr_diag::suggest(n, names) {
                            e = e.help(format!("a state that exists: `{s}`"));
                        }
                        c.push_err(e);
                        StateRef::Reject
                    }
                },
            }
        };
        let mut transitions = Vec::with_capacity(states.len());
        for st in states {
            self.push_scope();
            for s in &st.stmts {
                self.stmt(*s);
            }
            let targets = match &st.transition {
                None => vec![StateRef::Reject],
                Some(Transition::Direct(next)) => vec![resolve(self, next)],
                Some(Transition::Select { exprs, cases }) => {
                    let types: Vec<TypeId> = exprs.iter().map(|e| self.expr(*e, None)).collect();
                    let mut targets = Vec::with_capacity(cases.len());
                    for case in cases {
                        self.keyset(&case.keyset, case.keyset_loc, &types, true);
                        targets.push(resolve(self, &case.next));
                    }
                    targets
                }
            };
            transitions.push(targets);
            self.pop_scope();
        }
        self.out.decls[owner.index()].transitions = transitions;
    }

    /// A keyset of a select case (`in_parser`) or table entry against the key types.
    pub(super) fn keyset(
        &mut self,
        keyset: &Keyset,
        loc: crate::ast::Loc,
        types: &[TypeId],
        in_parser: bool,
    ) -> Vec<Handle<Expr>> {
        let p = self.p;
        let elems: Vec<Handle<Expr>> = match keyset {
            Keyset::Single(e) => {
                if matches!(p.exprs[*e], Expr::Default | Expr::DontCare) {
                    self.out.expr_types[e.index()] = TypeId::DONT_CARE;
                    return vec![*e];
                }
                vec![*e]
            }
            Keyset::Tuple(es) => es.clone(),
        };
        // A value set of structs or tuples matches all select expressions at once.
        if in_parser
            && types.len() > 1
            && let [e] = elems.as_slice()
            && let Some(h) = self.value_set(*e)
        {
            let vt = self.out.decls[h.index()].ty.unwrap_or(TypeId::UNKNOWN);
            self.out.defs[e.index()] = Some(Def::Decl(h));
            self.out.expr_types[e.index()] = vt;
            let fields: Option<Vec<TypeId>> = match self.get(vt) {
                Type::ValueSet(elem) => match self.get(*elem) {
                    Type::Struct(d) => Some(self.field_types(*d).iter().map(|(_, t)| *t).collect()),
                    Type::Tuple(ts) => Some(ts.clone()),
                    _ => None,
                },
                _ => None,
            };
            let fits = fields.is_some_and(|fs| {
                fs.len() == types.len()
                    && fs.iter().zip(types).all(|(f, t)| self.assignable(*f, *t))
            });
            if !fits {
                let expected = format!("a value set of {} fields", types.len());
                let found = self.display(vt);
                self.err(ErrorKind::Mismatch { expected, found }, p.exprs.loc(*e));
            }
            return elems;
        }
        if elems.len() != types.len() {
            self.err(
                ErrorKind::KeysetArity {
                    expected: types.len(),
                    found: elems.len(),
                },
                loc,
            );
            for e in &elems {
                self.expr(*e, None);
            }
            return elems;
        }
        for (e, want) in elems.iter().zip(types) {
            // A value set name stands for all its members.
            if in_parser && let Some(h) = self.value_set(*e) {
                self.out.defs[e.index()] = Some(Def::Decl(h));
                let vt = self.out.decls[h.index()].ty.unwrap_or(TypeId::UNKNOWN);
                self.out.expr_types[e.index()] = vt;
                if let Type::ValueSet(elem) = *self.get(vt)
                    && !self.assignable(elem, *want)
                {
                    let expected = self.display(*want);
                    let found = self.display(elem);
                    self.err(ErrorKind::Mismatch { expected, found }, p.exprs.loc(*e));
                }
                continue;
            }
            let t = self.expr(*e, Some(*want));
            self.require(*e, t, *want);
            if !matches!(p.exprs[*e], Expr::Default | Expr::DontCare) && !self.keyset_constant(*e) {
                self.err(
                    ErrorKind::NotConstant {
                        found: "a run-time value".into(),
                    },
                    p.exprs.loc(*e),
                );
            }
        }
        elems
    }

    /// The value set a keyset element names, if it is one.
    fn value_set(&self, e: Handle<Expr>) -> Option<Handle<Decl>> {
        let Expr::Path(path) = &self.p.exprs[e] else {
            return None;
        };
        match self.lookup(path).and_then(|d| d.first()) {
            Some(&(Def::Decl(h), _)) if matches!(self.p.decls[h], Decl::ValueSet(_)) => Some(h),
            _ => None,
        }
    }

    /// Whether a keyset element (a value, mask or range) is made of constants.
    fn keyset_constant(&self, e: Handle<Expr>) -> bool {
        match &self.p.exprs[e] {
            Expr::Mask { value, mask } => {
                self.keyset_constant(*value) && self.keyset_constant(*mask)
            }
            Expr::Range { lo, hi } => self.keyset_constant(*lo) && self.keyset_constant(*hi),
            Expr::Default | Expr::DontCare => true,
            _ => {
                self.out.values[e.index()].is_some()
                    || self.out.expr_types[e.index()] == TypeId::UNKNOWN
            }
        }
    }
}

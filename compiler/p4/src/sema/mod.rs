//! Semantic analysis of a parsed P4_16 program: name resolution, types, compile-time constants,
//! directions and lvalues, table properties and control-plane names.
//!
//! The input is an [`ast::Program`] the parser produced without errors. The output is a
//! [`Checked`] program: side tables indexed by AST handles (`Handle::index()`), never maps keyed
//! by nodes:
//! - [`Checked::expr_types`]: the [`TypeId`] of every expression (types interned in
//!   [`Checked::types`]);
//! - [`Checked::defs`]: the [`Def`] each `Expr::Path` names; [`Checked::members`]: what each
//!   `a.b` is; [`Checked::calls`]: the target of each call;
//! - [`Checked::values`]: the value of every expression that is a compile-time constant;
//! - [`Checked::type_refs`]: the type every written [`ast::TypeRef`] denotes;
//! - [`Checked::decls`]: per declaration its type, constant value, control-plane name, table
//!   summary ([`TableInfo`]) and parser transitions.
//!
//! Invariants when [`check`] reports no error: every `Expr::Path` in a checked body has a def,
//! every expression a type other than [`TypeId::UNKNOWN`] (except `_`, `default`, callees,
//! which are resolved in [`Checked::calls`], and annotation arguments), every table a
//! [`TableInfo`] whose action handles name `Decl::Action`s, and every parser state transition a
//! resolved target. Errors are all reported (later checks run only where names resolved); the
//! checker never panics and limits its recursion depth ([`MAX_DEPTH`]).

mod call;
mod decl;
mod error;
mod expr;
mod names;
mod stmt;
mod table;
mod ty;
mod typeref;
pub(crate) mod value;

use std::collections::HashMap;

use ddsr_diag::Diagnostic;

use crate::ast::{self, Decl, Expr, Handle, Loc, Program, Stmt};

pub use error::{Error, ErrorKind};
pub use names::{annotation_int, annotation_string};
pub use table::{ActionUse, EntryInfo, KeyInfo, TableInfo};
pub use ty::{Type, TypeId, Types, VarId};
pub use value::Value;

/// How deeply expressions and statements may nest before the checker stops with E0299.
pub const MAX_DEPTH: u32 = 500;

/// What a name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Def {
    Decl(Handle<Decl>),
    /// The `index`-th runtime parameter of a parser, control, action or function.
    Param {
        owner: Handle<Decl>,
        index: u32,
    },
    /// The `index`-th constructor parameter of a parser or control.
    CtorParam {
        owner: Handle<Decl>,
        index: u32,
    },
    TypeParam(VarId),
    /// Member `index` of a `match_kind` declaration.
    MatchKind {
        decl: Handle<Decl>,
        index: u32,
    },
    /// The variable of `for (T x in e)`.
    ForVar(Handle<Stmt>),
}

/// What `base.name` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Member {
    /// Field `index` of a header, header union or struct, in declaration order.
    Field(u32),
    /// Member `index` of an enum.
    EnumMember(u32),
    /// `error.name`.
    Error,
    StackNext,
    StackLast,
    StackLastIndex,
    StackSize,
    Hit,
    Miss,
    ActionRun,
    /// A method, resolved with the call around it (see [`Checked::calls`]).
    Method,
}

/// Built-in methods of headers, unions and stacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Builtin {
    IsValid,
    SetValid,
    SetInvalid,
    PushFront,
    PopFront,
    MinSizeInBits,
    MinSizeInBytes,
    MaxSizeInBits,
    MaxSizeInBytes,
}

/// What a call expression calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallTarget {
    Action(Handle<Decl>),
    /// A P4 function or an extern function.
    Function(Handle<Decl>),
    /// Method `method` (index into `Extern::methods`) of extern `ext`.
    Method {
        ext: Handle<Decl>,
        method: u32,
    },
    /// `t.apply()` of a table, or `p.apply(...)` of a parser or control instance (the decl is
    /// the table, or the parser/control declaration or type).
    Apply(Handle<Decl>),
    Builtin(Builtin),
    /// `E(args)`: a constructor call of an extern, parser, control or package.
    Construct(Handle<Decl>),
}

/// Where a parser transition goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StateRef {
    /// Index into `Parser::states`.
    State(u32),
    Accept,
    Reject,
}

/// Per-declaration results.
#[derive(Debug, Clone, Default)]
pub struct DeclInfo {
    /// Type of a constant, variable or instance; the declared type of a type declaration.
    pub ty: Option<TypeId>,
    /// Value of a `const`.
    pub value: Option<Value>,
    /// Fully qualified control-plane name of tables, actions, extern instances and value sets
    /// (`MyIngress.ipv4_lpm`, honouring `@name`).
    pub control_plane_name: Option<String>,
    pub table: Option<TableInfo>,
    /// For parsers: per state (in `Parser::states` order) its direct target, or per select case
    /// the target (in case order) when the transition is a `select`.
    pub transitions: Vec<Vec<StateRef>>,
    /// For serializable enums: each member's value, in member order.
    pub enum_values: Vec<Value>,
}

/// A checked program: the AST plus side tables, read by lowering and P4Info generation.
#[derive(Debug, Clone)]
pub struct Checked {
    pub types: Types,
    pub expr_types: Vec<TypeId>,
    pub defs: Vec<Option<Def>>,
    pub members: Vec<Option<Member>>,
    pub calls: Vec<Option<CallTarget>>,
    pub values: Vec<Option<Value>>,
    pub type_refs: Vec<TypeId>,
    pub decls: Vec<DeclInfo>,
    /// `error` members in declaration order (core.p4's first).
    pub errors: Vec<String>,
    /// `match_kind` members in declaration order.
    pub match_kinds: Vec<String>,
    /// The top-level instance named `main`, if any.
    pub main: Option<Handle<Decl>>,
}

impl Checked {
    fn new(program: &Program) -> Self {
        Checked {
            types: Types::new(),
            expr_types: vec![TypeId::UNKNOWN; program.exprs.len()],
            defs: vec![None; program.exprs.len()],
            members: vec![None; program.exprs.len()],
            calls: vec![None; program.exprs.len()],
            values: vec![None; program.exprs.len()],
            type_refs: vec![TypeId::UNKNOWN; program.types.len()],
            decls: vec![DeclInfo::default(); program.decls.len()],
            errors: Vec::new(),
            match_kinds: Vec::new(),
            main: None,
        }
    }

    pub fn type_of(&self, e: Handle<Expr>) -> TypeId {
        self.expr_types[e.index()]
    }

    pub fn value_of(&self, e: Handle<Expr>) -> Option<&Value> {
        self.values[e.index()].as_ref()
    }

    pub fn def_of(&self, e: Handle<Expr>) -> Option<Def> {
        self.defs[e.index()]
    }

    pub fn decl(&self, d: Handle<Decl>) -> &DeclInfo {
        &self.decls[d.index()]
    }

    /// The resolved type of a written type.
    pub fn type_ref(&self, t: Handle<ast::TypeRef>) -> TypeId {
        self.type_refs[t.index()]
    }

    /// Every table with its summary, in declaration order.
    pub fn tables(&self) -> impl Iterator<Item = (usize, &TableInfo)> {
        self.decls
            .iter()
            .enumerate()
            .filter_map(|(i, d)| d.table.as_ref().map(|t| (i, t)))
    }
}

/// Checks `program`. Diagnostics are sorted by position; when none is an error, the side
/// tables of the result are complete (see the module invariants).
pub fn check(program: &Program) -> (Checked, Vec<Diagnostic>) {
    // The walk recurses once per nesting level, up to MAX_DEPTH; a thread of its own gives it
    // a stack that is large enough whatever thread the caller runs on.
    std::thread::scope(|s| {
        let spawned = std::thread::Builder::new()
            .name("p4-sema".into())
            .stack_size(STACK_SIZE)
            .spawn_scoped(s, || check_here(program));
        match spawned {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => check_here(program),
        }
    })
}

/// Stack for the checker thread: MAX_DEPTH levels of the deepest recursion (about 40 KiB
/// each in a debug build) with room to spare.
const STACK_SIZE: usize = 64 << 20;

fn check_here(program: &Program) -> (Checked, Vec<Diagnostic>) {
    let mut c = Checker::new(program);
    for &item in &program.items {
        c.decl(item);
    }
    names::assign(&mut c);
    let mut diags: Vec<Diagnostic> = c.errors.iter().map(Error::to_diagnostic).collect();
    diags.sort_by_key(|d| d.position().map(|(f, s)| (f, s.start, s.end)));
    (c.out, diags)
}

/// Where statements are being checked, for rules such as "no `exit` in a parser".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Top,
    Parser,
    ControlApply,
    Action,
    Function,
}

impl Place {
    fn describe(self) -> &'static str {
        match self {
            Place::Top => "a top-level declaration",
            Place::Parser => "a parser",
            Place::ControlApply => "a control's apply block",
            Place::Action => "an action",
            Place::Function => "a function",
        }
    }
}

struct Checker<'a> {
    p: &'a Program,
    out: Checked,
    errors: Vec<Error>,
    /// Innermost scope last; each name maps to every definition (extern functions and methods
    /// overload by arity).
    scopes: Vec<HashMap<String, Vec<(Def, Loc)>>>,
    place: Place,
    /// Return type of the function being checked.
    return_type: Option<TypeId>,
    loops: u32,
    /// The parser or control whose body is being checked.
    block_owner: Option<Handle<Decl>>,
    depth: u32,
    /// Type of `this` inside an instance initializer.
    this_type: Option<TypeId>,
    /// Types of `for (T x in e)` variables.
    for_vars: HashMap<Handle<Stmt>, TypeId>,
    /// Where each `error` member was declared, for duplicate reports.
    error_locs: HashMap<String, Loc>,
    /// Type arguments of each written type that denotes a specialised generic struct, header
    /// or header union (`S<bit<8>>`, or a typedef of one).
    spec_refs: HashMap<Handle<ast::TypeRef>, Vec<TypeId>>,
    /// The specialisation whose field types [`Checker::field_types`] gives: the generic
    /// declaration and its type arguments, while an initializer or member of a value of
    /// that type is checked.
    spec: Option<(Handle<Decl>, Vec<TypeId>)>,
}

impl<'a> Checker<'a> {
    fn new(p: &'a Program) -> Self {
        Checker {
            p,
            out: Checked::new(p),
            errors: Vec::new(),
            scopes: vec![HashMap::new()],
            place: Place::Top,
            return_type: None,
            loops: 0,
            block_owner: None,
            depth: 0,
            this_type: None,
            for_vars: HashMap::new(),
            error_locs: HashMap::new(),
            spec_refs: HashMap::new(),
            spec: None,
        }
    }

    fn err(&mut self, kind: ErrorKind, loc: Loc) {
        self.errors.push(Error::new(kind, loc));
    }

    fn push_err(&mut self, e: Error) {
        self.errors.push(e);
    }

    fn push_scope(&mut self) {
        self.scopes.push(HashMap::new());
    }

    fn pop_scope(&mut self) {
        if self.scopes.len() > 1 {
            self.scopes.pop();
        }
    }

    /// Defines `name` in the innermost scope. A second definition of a name in one scope is an
    /// error unless both are overloadable (functions, extern functions) with different arity.
    fn define(&mut self, name: &ast::Ident, def: Def) {
        let overloadable = |c: &Self, d: Def| match d {
            Def::Decl(h) => matches!(c.p.decls[h], Decl::ExternFunction(_) | Decl::Function(_)),
            _ => false,
        };
        let arity = |c: &Self, d: Def| match d {
            Def::Decl(h) => match &c.p.decls[h] {
                Decl::ExternFunction(s) => Some(s.params.len()),
                Decl::Function(f) => Some(f.signature.params.len()),
                _ => None,
            },
            _ => None,
        };
        let existing = self
            .scopes
            .last()
            .and_then(|s| s.get(&name.name))
            .cloned()
            .unwrap_or_default();
        for (old, old_loc) in &existing {
            let same_arity = arity(self, *old) == arity(self, def);
            if !(overloadable(self, *old) && overloadable(self, def)) || same_arity {
                self.push_err(
                    Error::new(
                        ErrorKind::Duplicate {
                            name: name.name.clone(),
                        },
                        name.loc,
                    )
                    .related(*old_loc, "first defined here"),
                );
                return;
            }
        }
        if let Some(scope) = self.scopes.last_mut() {
            scope
                .entry(name.name.clone())
                .or_default()
                .push((def, name.loc));
        }
    }

    /// Every definition of `path` visible here, innermost scope first.
    fn lookup(&self, path: &ast::Path) -> Option<&[(Def, Loc)]> {
        if path.global {
            return self.scopes[0].get(&path.name.name).map(Vec::as_slice);
        }
        self.scopes
            .iter()
            .rev()
            .find_map(|s| s.get(&path.name.name))
            .map(Vec::as_slice)
    }

    /// Reports an unknown name, with the closest visible name as a hint.
    fn undefined(&mut self, what: &'static str, ident: &ast::Ident) {
        let candidates: Vec<&str> = self
            .scopes
            .iter()
            .flat_map(|s| s.keys().map(String::as_str))
            .collect();
        let mut e = Error::new(
            ErrorKind::Undefined {
                what,
                name: ident.name.clone(),
            },
            ident.loc,
        );
        if let Some(s) = ddsr_diag::suggest(&ident.name, candidates) {
            e = e.help(format!("a name that exists: `{s}`"));
        }
        self.push_err(e);
    }

    fn display(&self, t: TypeId) -> String {
        self.out.types.display(t, self.p)
    }

    fn ty(&mut self, t: Type) -> TypeId {
        self.out.types.intern(t)
    }

    fn get(&self, t: TypeId) -> &Type {
        self.out.types.get(t)
    }

    /// Enters one nesting level; `false` (after reporting E0299 once) when too deep.
    fn enter(&mut self, loc: Loc) -> bool {
        if self.depth >= MAX_DEPTH {
            if !self
                .errors
                .iter()
                .any(|e| matches!(e.kind, ErrorKind::TooDeep { .. }))
            {
                self.err(ErrorKind::TooDeep { limit: MAX_DEPTH }, loc);
            }
            return false;
        }
        self.depth += 1;
        true
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// The parameter a [`Def::Param`] or [`Def::CtorParam`] names.
    fn param(&self, def: Def) -> Option<&'a ast::Param> {
        let p = self.p;
        let (owner, index, ctor) = match def {
            Def::Param { owner, index } => (owner, index, false),
            Def::CtorParam { owner, index } => (owner, index, true),
            _ => return None,
        };
        let params: &'a [ast::Param] = match (&p.decls[owner], ctor) {
            (Decl::Parser(x), false) => &x.ty.params,
            (Decl::Parser(x), true) => &x.ctor_params,
            (Decl::Control(x), false) => &x.ty.params,
            (Decl::Control(x), true) => &x.ctor_params,
            (Decl::Action(a), _) => &a.params,
            (Decl::Function(f), _) => &f.signature.params,
            _ => return None,
        };
        params.get(index as usize)
    }
}

/// Kind of a declaration, for messages like "expected a type, found action `a`".
fn decl_kind(d: &Decl) -> &'static str {
    match d {
        Decl::Const(_) => "constant",
        Decl::Var(_) => "variable",
        Decl::Instance(_) => "instance",
        Decl::Typedef(_) => "typedef",
        Decl::Header(_) => "header",
        Decl::HeaderUnion(_) => "header union",
        Decl::Struct(_) => "struct",
        Decl::Enum(_) => "enum",
        Decl::Error(_) => "error",
        Decl::MatchKind(_) => "match kind",
        Decl::ExternFunction(_) => "extern function",
        Decl::Extern(_) => "extern",
        Decl::Function(_) => "function",
        Decl::Action(_) => "action",
        Decl::ParserType(_) => "parser type",
        Decl::Parser(_) => "parser",
        Decl::ControlType(_) => "control type",
        Decl::Control(_) => "control",
        Decl::Package(_) => "package",
        Decl::Table(_) => "table",
        Decl::ValueSet(_) => "value set",
    }
}

#[cfg(test)]
mod tests;

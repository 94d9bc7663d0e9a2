//! Semantic types, interned: every distinct [`Type`] is stored once in [`Types`] and named by a
//! `Copy` [`TypeId`], so side tables hold one `u32` per node and equality is an integer compare.
//!
//! Named types (headers, structs, enums, externs, parsers, controls, packages, new types) are
//! identified by the declaration that introduced them; their fields and parameters are read from
//! the AST and from the checker's per-declaration side tables. Typedefs are transparent: a
//! typedef name resolves to its target's id.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::ast::{Decl, Handle, Program};

/// An interned type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TypeId(u32);

impl TypeId {
    /// The type of an expression whose checking already failed; compatible with everything so
    /// that one mistake gives one diagnostic.
    pub const UNKNOWN: TypeId = TypeId(0);
    pub const VOID: TypeId = TypeId(1);
    pub const BOOL: TypeId = TypeId(2);
    pub const STRING: TypeId = TypeId(3);
    pub const ERROR: TypeId = TypeId(4);
    pub const MATCH_KIND: TypeId = TypeId(5);
    /// `int`: arbitrary precision, compile time only.
    pub const INF_INT: TypeId = TypeId(6);
    /// `_`.
    pub const DONT_CARE: TypeId = TypeId(7);

    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A type parameter: the `index`-th parameter of a declaration, or of one of its methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VarId {
    pub owner: Handle<Decl>,
    /// Index of the extern method declaring the parameter, `None` for the declaration's own.
    pub method: Option<u32>,
    pub index: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    Unknown,
    Void,
    Bool,
    String,
    Error,
    MatchKind,
    InfInt,
    DontCare,
    Bit(u32),
    Int(u32),
    Varbit(u32),
    Var(VarId),
    Header(Handle<Decl>),
    HeaderUnion(Handle<Decl>),
    Struct(Handle<Decl>),
    /// Plain or serializable enum; the representation of a serializable one is in
    /// [`super::Checked::enum_repr`].
    Enum(Handle<Decl>),
    /// `type T N;`: a distinct type with the same representation as `T`.
    NewType(Handle<Decl>),
    /// `T[size]`.
    Stack {
        elem: TypeId,
        size: u32,
    },
    Tuple(Vec<TypeId>),
    /// `list<T>`.
    List(TypeId),
    /// `{a, b}` before its context gives it a tuple, struct, header or stack type.
    ListExpr(Vec<TypeId>),
    /// `{f = a, g = b}` before its context gives it a struct or header type.
    StructExpr(Vec<(String, TypeId)>),
    Extern {
        decl: Handle<Decl>,
        args: Vec<TypeId>,
    },
    /// A parser type or parser declaration (the instance type of `P()`).
    Parser {
        decl: Handle<Decl>,
        args: Vec<TypeId>,
    },
    Control {
        decl: Handle<Decl>,
        args: Vec<TypeId>,
    },
    Package {
        decl: Handle<Decl>,
        args: Vec<TypeId>,
    },
    Table(Handle<Decl>),
    /// What `t.apply()` returns: `hit`, `miss`, `action_run`.
    ApplyResult(Handle<Decl>),
    /// The type of `t.apply().action_run`: one value per action of table `t`.
    ActionRun(Handle<Decl>),
    /// `value_set<T>`.
    ValueSet(TypeId),
    /// An expression that names a type, such as `E` in `E.a` or `error` in `error.NoMatch`.
    TypeName(TypeId),
}

/// The interner.
#[derive(Debug, Clone)]
pub struct Types {
    items: Vec<Type>,
    ids: HashMap<Type, TypeId>,
}

impl Default for Types {
    fn default() -> Self {
        Self::new()
    }
}

impl Types {
    pub fn new() -> Self {
        let mut t = Types {
            items: Vec::new(),
            ids: HashMap::new(),
        };
        // The order matches the `TypeId` constants.
        for ty in [
            Type::Unknown,
            Type::Void,
            Type::Bool,
            Type::String,
            Type::Error,
            Type::MatchKind,
            Type::InfInt,
            Type::DontCare,
        ] {
            t.intern(ty);
        }
        t
    }

    pub fn intern(&mut self, ty: Type) -> TypeId {
        if let Some(&id) = self.ids.get(&ty) {
            return id;
        }
        let id = TypeId(u32::try_from(self.items.len()).unwrap_or(u32::MAX));
        self.items.push(ty.clone());
        self.ids.insert(ty, id);
        id
    }

    pub fn get(&self, id: TypeId) -> &Type {
        &self.items[id.index()]
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// `bit<w>`, `int<w>` or `int`: a type arithmetic applies to.
    pub fn is_numeric(&self, id: TypeId) -> bool {
        matches!(self.get(id), Type::Bit(_) | Type::Int(_) | Type::InfInt)
    }

    /// Width and signedness of `bit<w>`/`int<w>`.
    pub fn fixed_width(&self, id: TypeId) -> Option<(u32, bool)> {
        match self.get(id) {
            Type::Bit(w) => Some((*w, false)),
            Type::Int(w) => Some((*w, true)),
            Type::Bool => Some((1, false)),
            _ => None,
        }
    }

    /// How the type is written in diagnostics: `bit<8>`, `header ipv4_t`, `tuple<bit<8>, bool>`.
    pub fn display(&self, id: TypeId, program: &Program) -> String {
        let mut s = String::new();
        self.write(&mut s, id, program, 0);
        s
    }

    fn write(&self, s: &mut String, id: TypeId, program: &Program, depth: u32) {
        if depth > 8 {
            s.push_str("...");
            return;
        }
        let name = |d: Handle<Decl>| {
            program.decls[d]
                .name()
                .map(|i| i.name.clone())
                .unwrap_or_default()
        };
        let list = |s: &mut String, ids: &[TypeId]| {
            for (i, t) in ids.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                self.write(s, *t, program, depth + 1);
            }
        };
        match self.get(id) {
            Type::Unknown => s.push_str("{unknown}"),
            Type::Void => s.push_str("void"),
            Type::Bool => s.push_str("bool"),
            Type::String => s.push_str("string"),
            Type::Error => s.push_str("error"),
            Type::MatchKind => s.push_str("match_kind"),
            Type::InfInt => s.push_str("int"),
            Type::DontCare => s.push('_'),
            Type::Bit(w) => {
                let _ = write!(s, "bit<{w}>");
            }
            Type::Int(w) => {
                let _ = write!(s, "int<{w}>");
            }
            Type::Varbit(w) => {
                let _ = write!(s, "varbit<{w}>");
            }
            Type::Var(v) => {
                let owner = &program.decls[v.owner];
                let params: &[crate::ast::Ident] = match (owner, v.method) {
                    (Decl::Extern(e), Some(m)) => e
                        .methods
                        .get(m as usize)
                        .map(|m| m.signature.type_params.as_slice())
                        .unwrap_or(&[]),
                    (Decl::Extern(e), None) => &e.type_params,
                    (Decl::ExternFunction(f), _) => &f.type_params,
                    (Decl::Function(f), _) => &f.signature.type_params,
                    (Decl::ParserType(t) | Decl::ControlType(t) | Decl::Package(t), _) => {
                        &t.type_params
                    }
                    (Decl::Parser(p), _) => &p.ty.type_params,
                    (Decl::Control(c), _) => &c.ty.type_params,
                    (Decl::Header(a) | Decl::Struct(a) | Decl::HeaderUnion(a), _) => &a.type_params,
                    _ => &[],
                };
                match params.get(v.index as usize) {
                    Some(p) => s.push_str(&p.name),
                    None => s.push('?'),
                }
            }
            Type::Header(d) => {
                let _ = write!(s, "header {}", name(*d));
            }
            Type::HeaderUnion(d) => {
                let _ = write!(s, "header_union {}", name(*d));
            }
            Type::Struct(d) => {
                let _ = write!(s, "struct {}", name(*d));
            }
            Type::Enum(d) => {
                let _ = write!(s, "enum {}", name(*d));
            }
            Type::NewType(d) => {
                let _ = write!(s, "type {}", name(*d));
            }
            Type::Stack { elem, size } => {
                self.write(s, *elem, program, depth + 1);
                let _ = write!(s, "[{size}]");
            }
            Type::Tuple(ids) => {
                s.push_str("tuple<");
                list(s, ids);
                s.push('>');
            }
            Type::List(t) => {
                s.push_str("list<");
                self.write(s, *t, program, depth + 1);
                s.push('>');
            }
            Type::ListExpr(ids) => {
                s.push_str("list expression {");
                list(s, ids);
                s.push('}');
            }
            Type::StructExpr(fields) => {
                s.push_str("struct expression {");
                for (i, (n, t)) in fields.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    let _ = write!(s, "{n}: ");
                    self.write(s, *t, program, depth + 1);
                }
                s.push('}');
            }
            Type::Extern { decl, args }
            | Type::Parser { decl, args }
            | Type::Control { decl, args }
            | Type::Package { decl, args } => {
                let kind = match self.get(id) {
                    Type::Extern { .. } => "extern",
                    Type::Parser { .. } => "parser",
                    Type::Control { .. } => "control",
                    _ => "package",
                };
                let _ = write!(s, "{kind} {}", name(*decl));
                if !args.is_empty() {
                    s.push('<');
                    list(s, args);
                    s.push('>');
                }
            }
            Type::Table(d) => {
                let _ = write!(s, "table {}", name(*d));
            }
            Type::ApplyResult(d) => {
                let _ = write!(s, "result of {}.apply()", name(*d));
            }
            Type::ActionRun(d) => {
                let _ = write!(s, "action_run of table {}", name(*d));
            }
            Type::ValueSet(t) => {
                s.push_str("value_set<");
                self.write(s, *t, program, depth + 1);
                s.push('>');
            }
            Type::TypeName(t) => {
                s.push_str("type ");
                self.write(s, *t, program, depth + 1);
            }
        }
    }
}

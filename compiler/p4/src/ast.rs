//! The syntax tree of one P4_16 program, exactly as written (after preprocessing).
//!
//! Storage: every expression, statement, type reference and declaration lives in an arena of
//! [`Program`] ([`Program::exprs`], [`Program::stmts`], [`Program::types`], [`Program::decls`])
//! and is referred to by a [`Handle`]; the arena also holds each node's [`Loc`] (file and byte
//! span in the ORIGINAL file, mapped back through `#include` and macro expansion). Small
//! structural parts (names, parameters, table properties, parser states, cases) are plain
//! structs inside their parent and carry their own `loc` field.
//!
//! Invariants the parser guarantees:
//! - every handle in a [`Program`] indexes that program's arenas;
//! - a child node is allocated before its parent, so a handle's index is smaller than that of
//!   any node that contains it (analyses may fill side tables in one forward pass);
//! - nothing is resolved: names are [`Path`]s, the meaning of `a.b` (field, enum member, error,
//!   method) is left to semantic analysis, and `(T){...}` is a [`Expr::Cast`] of a list.

use num_bigint::BigUint;
use serde::Serialize;

pub use crate::arena::{Arena, Handle, Loc};
use crate::token::Token;

/// A parsed program: top-level declarations in source order, and the arenas holding all nodes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Program {
    pub items: Vec<Handle<Decl>>,
    pub decls: Arena<Decl>,
    pub stmts: Arena<Stmt>,
    pub exprs: Arena<Expr>,
    pub types: Arena<TypeRef>,
}

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Ident {
    pub name: String,
    pub loc: Loc,
}

/// A reference to a named thing. `global` is the leading dot of `.x`, which looks `x` up at
/// top level only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Path {
    pub global: bool,
    pub name: Ident,
}

/// `@name`, `@name(tokens)`, `@name[expr, ...]` or `@name[k = v, ...]`.
#[derive(Debug, Clone, Serialize)]
pub struct Annotation {
    pub name: Ident,
    pub body: AnnotationBody,
    pub loc: Loc,
}

#[derive(Debug, Clone, Serialize)]
pub enum AnnotationBody {
    /// `@hidden`.
    Empty,
    /// `@name("x")`, `@id(3)`, `@pragma ...`: the balanced tokens between the parentheses, and
    /// the same tokens read as a comma-separated expression list when they form one (which is
    /// how `@name`, `@id`, `@priority` and friends are used).
    Unstructured {
        tokens: Vec<Token>,
        exprs: Option<Vec<Handle<Expr>>>,
    },
    /// `@name[1, "a"]`.
    ExprList(Vec<Handle<Expr>>),
    /// `@name[k = 1, j = "a"]`.
    KeyValue(Vec<NamedExpr>),
}

/// `name = value` in key-value annotations and struct expressions `{ a = 1, b = 2 }`.
#[derive(Debug, Clone, Serialize)]
pub struct NamedExpr {
    pub name: Ident,
    pub value: Handle<Expr>,
    pub loc: Loc,
}

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/// A type as written where a type is expected.
#[derive(Debug, Clone, Serialize)]
pub enum TypeRef {
    Bool,
    Error,
    MatchKind,
    String,
    Void,
    /// `int`: arbitrary precision (compile-time only).
    InfInt,
    /// `bit` (width 1) or `bit<W>`; the width is an expression (`bit<(W + 1)>` is legal).
    Bit(Option<Handle<Expr>>),
    /// `int<W>`.
    SignedInt(Handle<Expr>),
    /// `varbit<W>` (W is the maximum width).
    Varbit(Handle<Expr>),
    /// `_` as a type argument (`Register<bit<32>, _>`): inferred.
    DontCare,
    /// A named type: typedef, header, struct, enum, extern, parser, control, package or type
    /// variable.
    Name(Path),
    /// `Name<T1, T2>`.
    Specialized {
        base: Path,
        args: Vec<Handle<TypeRef>>,
    },
    /// `T[size]`: a header stack (or array of structs and unions in P4_16 1.2).
    Stack {
        elem: Handle<TypeRef>,
        size: Handle<Expr>,
    },
    /// `tuple<T1, T2>`.
    Tuple(Vec<Handle<TypeRef>>),
    /// `list<T>`.
    List(Handle<TypeRef>),
}

/// `<T, U>` after a declaration's name.
pub type TypeParams = Vec<Ident>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Direction {
    In,
    Out,
    InOut,
}

/// A parameter of an action, function, method, parser, control or package.
#[derive(Debug, Clone, Serialize)]
pub struct Param {
    pub annotations: Vec<Annotation>,
    /// `None` for directionless parameters (action data, constructor parameters).
    pub direction: Option<Direction>,
    pub ty: Handle<TypeRef>,
    pub name: Ident,
    /// `= value` (optional parameters with a default, P4_16 1.2).
    pub default: Option<Handle<Expr>>,
    pub loc: Loc,
}

// ---------------------------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------------------------

/// An integer literal: `42`, `0x2A`, `8w0xFF`, `4s-1`, `16w0b_1010`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntLit {
    /// Magnitude as written (without the sign of `4s-1`).
    pub value: BigUint,
    /// The `-` inside `4s-1`; a unary minus before a literal is an [`Expr::Unary`] instead.
    pub negative: bool,
    /// `Some((8, false))` for `8w...`, `Some((4, true))` for `4s...`, `None` for plain `42`.
    pub width: Option<(u32, bool)>,
    /// 2, 8, 10 or 16.
    pub base: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum UnaryOp {
    /// `!`
    Not,
    /// `~`
    Complement,
    /// `-`
    Neg,
    /// `+`
    Plus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum BinaryOp {
    Mul,
    Div,
    Mod,
    Add,
    Sub,
    /// `|+|`
    SatAdd,
    /// `|-|`
    SatSub,
    Shl,
    Shr,
    Le,
    Ge,
    Lt,
    Gt,
    Eq,
    Ne,
    BitAnd,
    BitXor,
    BitOr,
    /// `++`
    Concat,
    And,
    Or,
}

impl BinaryOp {
    /// As written in P4.
    pub fn symbol(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Mul => "*",
            Div => "/",
            Mod => "%",
            Add => "+",
            Sub => "-",
            SatAdd => "|+|",
            SatSub => "|-|",
            Shl => "<<",
            Shr => ">>",
            Le => "<=",
            Ge => ">=",
            Lt => "<",
            Gt => ">",
            Eq => "==",
            Ne => "!=",
            BitAnd => "&",
            BitXor => "^",
            BitOr => "|",
            Concat => "++",
            And => "&&",
            Or => "||",
        }
    }
}

/// An argument of a call or instantiation: positional `e`, named `name = e`, or `_` (a
/// [`Expr::DontCare`] value) for an unused `out` argument.
#[derive(Debug, Clone, Serialize)]
pub struct Argument {
    pub name: Option<Ident>,
    pub value: Handle<Expr>,
    pub loc: Loc,
}

#[derive(Debug, Clone, Serialize)]
pub enum Expr {
    Bool(bool),
    Int(IntLit),
    /// The string's contents, escapes kept as written.
    String(String),
    /// A name: variable, constant, action, table, instance, enum or error type, state...
    Path(Path),
    This,
    /// `_` as a value or keyset ("don't care").
    DontCare,
    /// `default` in a keyset or switch label position where an expression is parsed.
    Default,
    /// `{#}`: the invalid header or union.
    InvalidHeader,
    /// `...` at the end of a list or struct expression (P4_16 1.2.4).
    Dots,
    /// `e.name`: field, enum member, error (`error.NoMatch`), method (`h.isValid`), table
    /// `apply`, header stack `next`/`last`, `t.apply().hit`...
    Member {
        base: Handle<Expr>,
        member: Ident,
    },
    /// `T.name` where the base is a type that is not a plain name, e.g. `bit<8>.minSizeInBits`.
    TypeMember {
        ty: Handle<TypeRef>,
        member: Ident,
    },
    /// `e[i]`.
    Index {
        base: Handle<Expr>,
        index: Handle<Expr>,
    },
    /// `e[hi:lo]`.
    Slice {
        base: Handle<Expr>,
        hi: Handle<Expr>,
        lo: Handle<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Handle<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Handle<Expr>,
        rhs: Handle<Expr>,
    },
    /// `c ? a : b`.
    Ternary {
        cond: Handle<Expr>,
        then: Handle<Expr>,
        otherwise: Handle<Expr>,
    },
    /// `(T) e`, including `(T) { ... }` initializers.
    Cast {
        ty: Handle<TypeRef>,
        expr: Handle<Expr>,
    },
    /// `f(args)`, `f<T>(args)`, `e.m(args)`, and constructor calls `Ctor<T>(args)` used as
    /// arguments (`V1Switch(P(), C()) main;`).
    Call {
        callee: Handle<Expr>,
        type_args: Vec<Handle<TypeRef>>,
        args: Vec<Argument>,
    },
    /// `Ctor<T>(args)` where the callee is a specialized type, `Register<bit<8>, _>(1)`; a
    /// plain-name constructor call is a [`Expr::Call`] on a [`Expr::Path`].
    Construct {
        ty: Handle<TypeRef>,
        args: Vec<Argument>,
    },
    /// `{ a, b }`: a list, tuple or header stack initializer, depending on context.
    List(Vec<Handle<Expr>>),
    /// `{ f = a, g = b }`, possibly ending with `...`.
    Struct {
        fields: Vec<NamedExpr>,
        dots: bool,
    },
    /// `value &&& mask` in a keyset.
    Mask {
        value: Handle<Expr>,
        mask: Handle<Expr>,
    },
    /// `lo .. hi` in a keyset.
    Range {
        lo: Handle<Expr>,
        hi: Handle<Expr>,
    },
}

// ---------------------------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------------------------

/// `{ ... }` with its annotations.
#[derive(Debug, Clone, Serialize)]
pub struct Block {
    pub annotations: Vec<Annotation>,
    pub stmts: Vec<Handle<Stmt>>,
    pub loc: Loc,
}

#[derive(Debug, Clone, Serialize)]
pub enum SwitchLabel {
    /// An action name (on `t.apply().action_run`) or a constant expression.
    Expr(Handle<Expr>),
    Default,
}

/// `label: { ... }` or `label:` falling through to the next case.
#[derive(Debug, Clone, Serialize)]
pub struct SwitchCase {
    pub label: SwitchLabel,
    pub label_loc: Loc,
    /// `None` for fallthrough.
    pub body: Option<Block>,
    pub loc: Loc,
}

#[derive(Debug, Clone, Serialize)]
pub enum Stmt {
    /// `lhs = rhs;`
    Assign {
        lhs: Handle<Expr>,
        rhs: Handle<Expr>,
    },
    /// `f(x);`, `t.apply();`, `h.setValid();` — the expression is an [`Expr::Call`].
    Call(Handle<Expr>),
    If {
        cond: Handle<Expr>,
        then: Handle<Stmt>,
        otherwise: Option<Handle<Stmt>>,
    },
    Block(Block),
    Switch {
        expr: Handle<Expr>,
        cases: Vec<SwitchCase>,
    },
    Return(Option<Handle<Expr>>),
    Exit,
    /// `;`
    Empty,
    /// A local constant or variable declaration ([`Decl::Const`] or [`Decl::Var`]), or in
    /// parser states also an instantiation.
    Decl(Handle<Decl>),
    /// `for (init; cond; update) body` (P4_16 1.2.5).
    For {
        init: Vec<Handle<Stmt>>,
        cond: Option<Handle<Expr>>,
        update: Vec<Handle<Stmt>>,
        body: Handle<Stmt>,
    },
    /// `for (T x in e) body` (P4_16 1.2.5).
    ForIn {
        annotations: Vec<Annotation>,
        ty: Option<Handle<TypeRef>>,
        var: Ident,
        collection: Handle<Expr>,
        body: Handle<Stmt>,
    },
    Break,
    Continue,
}

// ---------------------------------------------------------------------------------------------
// Parsers
// ---------------------------------------------------------------------------------------------

/// A keyset of one select case or table entry: one expression (which may be a `default`, `_`,
/// mask, range, or value set name) or a parenthesised tuple of them.
#[derive(Debug, Clone, Serialize)]
pub enum Keyset {
    Single(Handle<Expr>),
    Tuple(Vec<Handle<Expr>>),
}

/// `keyset: state;`
#[derive(Debug, Clone, Serialize)]
pub struct SelectCase {
    pub annotations: Vec<Annotation>,
    pub keyset: Keyset,
    pub keyset_loc: Loc,
    pub next: Ident,
    pub loc: Loc,
}

#[derive(Debug, Clone, Serialize)]
pub enum Transition {
    /// `transition next;` (including `accept` and `reject`).
    Direct(Ident),
    /// `transition select (exprs) { cases }`.
    Select {
        exprs: Vec<Handle<Expr>>,
        cases: Vec<SelectCase>,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct ParserState {
    pub annotations: Vec<Annotation>,
    pub name: Ident,
    pub stmts: Vec<Handle<Stmt>>,
    /// `None` when the state has no `transition` (which the spec treats as `reject`).
    pub transition: Option<Transition>,
    pub transition_loc: Option<Loc>,
    pub loc: Loc,
}

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

/// `expr : match_kind @annotations;` in a table key.
#[derive(Debug, Clone, Serialize)]
pub struct KeyElement {
    pub expr: Handle<Expr>,
    pub match_kind: Ident,
    pub annotations: Vec<Annotation>,
    pub loc: Loc,
}

/// An action named in `actions = { ... }` or in an entry: `@anno a` or `a(args)`.
#[derive(Debug, Clone, Serialize)]
pub struct ActionRef {
    pub annotations: Vec<Annotation>,
    pub name: Path,
    /// `None` when written without parentheses.
    pub args: Option<Vec<Argument>>,
    pub loc: Loc,
}

/// One entry of `entries = { ... }`.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub annotations: Vec<Annotation>,
    /// `const` before one entry of a non-const `entries` list (P4_16 1.2.4).
    pub is_const: bool,
    /// `priority = N :`
    pub priority: Option<Handle<Expr>>,
    pub keyset: Keyset,
    pub keyset_loc: Loc,
    pub action: ActionRef,
    pub loc: Loc,
}

#[derive(Debug, Clone, Serialize)]
pub enum TablePropertyKind {
    /// `key = { ... }`
    Key(Vec<KeyElement>),
    /// `actions = { ... }`
    Actions(Vec<ActionRef>),
    /// `[const] entries = { ... }`
    Entries(Vec<Entry>),
    /// Every other `[const] name = value;`: `default_action` (value is a path or call
    /// expression), `size`, `implementation`, `counters`, `meters`, `support_timeout`,
    /// `idle_timeout_with_auto_delete`, `psa_*` and custom properties.
    Value(Handle<Expr>),
}

#[derive(Debug, Clone, Serialize)]
pub struct TableProperty {
    pub annotations: Vec<Annotation>,
    pub is_const: bool,
    pub name: Ident,
    pub kind: TablePropertyKind,
    pub loc: Loc,
}

#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub annotations: Vec<Annotation>,
    pub name: Ident,
    pub properties: Vec<TableProperty>,
}

impl Table {
    /// The first property of this name (duplicates are a semantic error, reported there).
    pub fn property(&self, name: &str) -> Option<&TableProperty> {
        self.properties.iter().find(|p| p.name.name == name)
    }
}

// ---------------------------------------------------------------------------------------------
// Declarations
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub annotations: Vec<Annotation>,
    pub ty: Handle<TypeRef>,
    pub name: Ident,
    pub loc: Loc,
}

/// `header`, `header_union` and `struct` share one shape.
#[derive(Debug, Clone, Serialize)]
pub struct Aggregate {
    pub annotations: Vec<Annotation>,
    pub name: Ident,
    pub type_params: TypeParams,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnumMember {
    pub annotations: Vec<Annotation>,
    pub name: Ident,
    /// `= value` in serializable enums.
    pub value: Option<Handle<Expr>>,
    pub loc: Loc,
}

#[derive(Debug, Clone, Serialize)]
pub struct Enum {
    pub annotations: Vec<Annotation>,
    pub name: Ident,
    /// `enum bit<8> E { ... }`: the representation of a serializable enum.
    pub repr: Option<Handle<TypeRef>>,
    pub members: Vec<EnumMember>,
}

#[derive(Debug, Clone, Serialize)]
pub enum TypedefTarget {
    Type(Handle<TypeRef>),
    /// `typedef header H { ... } T;`: a derived type declared in place.
    Decl(Handle<Decl>),
}

#[derive(Debug, Clone, Serialize)]
pub struct Typedef {
    pub annotations: Vec<Annotation>,
    /// `type T N;` declares a new type; `typedef T N;` an alias.
    pub is_new_type: bool,
    pub target: TypedefTarget,
    pub name: Ident,
}

/// `[annotations] [const] T name [= value];` Constants always have a value.
#[derive(Debug, Clone, Serialize)]
pub struct Var {
    pub annotations: Vec<Annotation>,
    pub ty: Handle<TypeRef>,
    pub name: Ident,
    pub init: Option<Handle<Expr>>,
}

/// The signature shared by functions, extern functions and methods.
#[derive(Debug, Clone, Serialize)]
pub struct Signature {
    pub annotations: Vec<Annotation>,
    /// `None` only for extern constructors.
    pub return_type: Option<Handle<TypeRef>>,
    pub name: Ident,
    pub type_params: TypeParams,
    pub params: Vec<Param>,
    pub loc: Loc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum MethodKind {
    /// Named like the extern, without a return type.
    Constructor,
    /// `abstract T m(...)`: implemented by each instance's initializer block.
    Abstract,
    Normal,
}

#[derive(Debug, Clone, Serialize)]
pub struct Method {
    pub kind: MethodKind,
    pub signature: Signature,
}

#[derive(Debug, Clone, Serialize)]
pub struct Extern {
    pub annotations: Vec<Annotation>,
    pub name: Ident,
    pub type_params: TypeParams,
    /// Overloads are separate entries with the same name.
    pub methods: Vec<Method>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Function {
    pub signature: Signature,
    pub body: Block,
}

#[derive(Debug, Clone, Serialize)]
pub struct Action {
    pub annotations: Vec<Annotation>,
    pub name: Ident,
    pub params: Vec<Param>,
    pub body: Block,
}

/// `[annotations] T(args) name [= { abstract method bodies }];`
#[derive(Debug, Clone, Serialize)]
pub struct Instance {
    pub annotations: Vec<Annotation>,
    pub ty: Handle<TypeRef>,
    pub args: Vec<Argument>,
    pub name: Ident,
    /// The initializer block's functions and instances, `None` without `= { ... }`.
    pub initializer: Option<Vec<Handle<Decl>>>,
}

/// `parser P<T>(params)`, `control C(params)` or `package Pkg<T>(params)` as a type.
#[derive(Debug, Clone, Serialize)]
pub struct TypeDecl {
    pub annotations: Vec<Annotation>,
    pub name: Ident,
    pub type_params: TypeParams,
    pub params: Vec<Param>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Parser {
    pub ty: TypeDecl,
    pub ctor_params: Vec<Param>,
    /// Constants, variables, instantiations and value sets.
    pub locals: Vec<Handle<Decl>>,
    pub states: Vec<ParserState>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Control {
    pub ty: TypeDecl,
    pub ctor_params: Vec<Param>,
    /// Constants, variables, instantiations, actions, tables and functions.
    pub locals: Vec<Handle<Decl>>,
    pub apply: Block,
}

/// `value_set<T>(size) name;`
#[derive(Debug, Clone, Serialize)]
pub struct ValueSet {
    pub annotations: Vec<Annotation>,
    pub elem: Handle<TypeRef>,
    pub size: Handle<Expr>,
    pub name: Ident,
}

/// `error { ... }` or `match_kind { ... }`; several declarations extend one set.
#[derive(Debug, Clone, Serialize)]
pub struct Members {
    pub annotations: Vec<Annotation>,
    pub members: Vec<Ident>,
}

#[derive(Debug, Clone, Serialize)]
pub enum Decl {
    Const(Var),
    Var(Var),
    Instance(Instance),
    Typedef(Typedef),
    Header(Aggregate),
    HeaderUnion(Aggregate),
    Struct(Aggregate),
    Enum(Enum),
    Error(Members),
    MatchKind(Members),
    /// `extern T f<U>(params);`
    ExternFunction(Signature),
    Extern(Extern),
    Function(Function),
    Action(Action),
    ParserType(TypeDecl),
    Parser(Parser),
    ControlType(TypeDecl),
    Control(Control),
    Package(TypeDecl),
    Table(Table),
    ValueSet(ValueSet),
}

impl Decl {
    /// The declared name; `None` for `error` and `match_kind` lists.
    pub fn name(&self) -> Option<&Ident> {
        Some(match self {
            Decl::Const(v) | Decl::Var(v) => &v.name,
            Decl::Instance(i) => &i.name,
            Decl::Typedef(t) => &t.name,
            Decl::Header(a) | Decl::HeaderUnion(a) | Decl::Struct(a) => &a.name,
            Decl::Enum(e) => &e.name,
            Decl::Error(_) | Decl::MatchKind(_) => return None,
            Decl::ExternFunction(s) => &s.name,
            Decl::Extern(e) => &e.name,
            Decl::Function(f) => &f.signature.name,
            Decl::Action(a) => &a.name,
            Decl::ParserType(t) | Decl::ControlType(t) | Decl::Package(t) => &t.name,
            Decl::Parser(p) => &p.ty.name,
            Decl::Control(c) => &c.ty.name,
            Decl::Table(t) => &t.name,
            Decl::ValueSet(v) => &v.name,
        })
    }

    pub fn annotations(&self) -> &[Annotation] {
        match self {
            Decl::Const(v) | Decl::Var(v) => &v.annotations,
            Decl::Instance(i) => &i.annotations,
            Decl::Typedef(t) => &t.annotations,
            Decl::Header(a) | Decl::HeaderUnion(a) | Decl::Struct(a) => &a.annotations,
            Decl::Enum(e) => &e.annotations,
            Decl::Error(m) | Decl::MatchKind(m) => &m.annotations,
            Decl::ExternFunction(s) => &s.annotations,
            Decl::Extern(e) => &e.annotations,
            Decl::Function(f) => &f.signature.annotations,
            Decl::Action(a) => &a.annotations,
            Decl::ParserType(t) | Decl::ControlType(t) | Decl::Package(t) => &t.annotations,
            Decl::Parser(p) => &p.ty.annotations,
            Decl::Control(c) => &c.ty.annotations,
            Decl::Table(t) => &t.annotations,
            Decl::ValueSet(v) => &v.annotations,
        }
    }
}

/// Looks up an annotation by name.
pub fn find_annotation<'a>(annotations: &'a [Annotation], name: &str) -> Option<&'a Annotation> {
    annotations.iter().find(|a| a.name.name == name)
}

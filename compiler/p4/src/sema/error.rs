//! The checker's typed errors, and their one conversion into [`Diagnostic`]s.
//!
//! Every error carries the location of the offending node (the primary label) and optional
//! related locations ("declared here"). Codes E0200-E0399 are stable; each has a page in
//! `docs/errors/`.

use ddsr_diag::{Code, Diagnostic, Severity};

use crate::ast::Loc;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    #[error("cannot find {what} `{name}` in this scope")]
    Undefined { what: &'static str, name: String },
    #[error("`{name}` is defined more than once")]
    Duplicate { name: String },
    #[error("expected a type, found {found} `{name}`")]
    NotAType { name: String, found: &'static str },
    #[error("expected {expected}, found {found}")]
    Mismatch { expected: String, found: String },
    #[error("operator `{op}` cannot be applied to {found}")]
    BadOperand { op: String, found: String },
    #[error("value {value} does not fit in {ty}")]
    Overflow { value: String, ty: String },
    #[error("{ty} has no member `{member}`")]
    NoMember { ty: String, member: String },
    #[error("expected {expected} arguments, found {found}")]
    ArgCount { expected: String, found: usize },
    #[error("expected a function, action, method or constructor, found {found}")]
    NotCallable { found: String },
    #[error("cannot assign to {what}")]
    NotAssignable { what: String },
    #[error("expected a writable value for `{direction}` parameter `{param}`, found {found}")]
    OutArgument {
        direction: &'static str,
        param: String,
        found: String,
    },
    #[error("expected a compile-time constant, found {found}")]
    NotConstant { found: String },
    #[error("{message}")]
    Evaluation { message: String },
    #[error("slice [{hi}:{lo}] is out of range for {ty}")]
    SliceRange { hi: String, lo: String, ty: String },
    #[error("expected a width between {min} and {max}, found {found}")]
    BadWidth { min: u32, max: u32, found: String },
    #[error("cannot cast {from} to {to}")]
    BadCast { from: String, to: String },
    #[error("{message}")]
    BadReturn { message: String },
    #[error("{what} is not allowed in {place}")]
    Misplaced { what: String, place: String },
    #[error("expected {expected} type arguments, found {found}")]
    TypeArgCount { expected: usize, found: usize },
    #[error("expected {expected} in {container}, found {found}")]
    BadMemberType {
        expected: &'static str,
        container: String,
        found: String,
    },
    #[error("expected {expected} keyset elements, found {found}")]
    KeysetArity { expected: usize, found: usize },
    #[error("{message}")]
    SwitchLabel { message: String },
    #[error("expected a match kind, found `{found}`")]
    UnknownMatchKind { found: String },
    #[error("expected an action, found {found} `{name}`")]
    NotAnAction { name: String, found: &'static str },
    #[error("default action `{action}` is not in the actions of table `{table}`")]
    DefaultNotListed { action: String, table: String },
    #[error("action `{action}` is listed more than once")]
    DuplicateAction { action: String },
    #[error("{message}")]
    TableProperty { message: String },
    #[error("expected a positive compile-time integer for `size`, found {found}")]
    TableSize { found: String },
    #[error("{message}")]
    EntryKeyset { message: String },
    #[error("{message}")]
    ActionScope { message: String },
    #[error("{message}")]
    ParamOrder { message: String },
    #[error("{message}")]
    Annotation { message: String },
    #[error("control-plane name `{name}` is used by more than one object")]
    DuplicateControlPlaneName { name: String },
    #[error("expected an extern, parser, control or package type, found {found}")]
    NotInstantiable { found: String },
    #[error("expected a fixed-width type for `{name}`, found {found}")]
    NeedsFixedWidth { name: String, found: String },
    #[error("{message}")]
    AbstractMethod { message: String },
    #[error("expression nested more than {limit} levels deep")]
    TooDeep { limit: u32 },
}

impl ErrorKind {
    /// The stable code of this kind of error.
    pub fn code(&self) -> Code {
        use ErrorKind::*;
        Code(match self {
            Undefined { .. } => 200,
            Duplicate { .. } => 201,
            NotAType { .. } => 202,
            Mismatch { .. } => 203,
            BadOperand { .. } => 204,
            Overflow { .. } => 205,
            NoMember { .. } => 206,
            ArgCount { .. } => 207,
            NotCallable { .. } => 208,
            NotAssignable { .. } => 209,
            OutArgument { .. } => 210,
            NotConstant { .. } => 211,
            Evaluation { .. } => 212,
            SliceRange { .. } => 213,
            BadWidth { .. } => 214,
            BadCast { .. } => 215,
            BadReturn { .. } => 216,
            Misplaced { .. } => 217,
            TypeArgCount { .. } => 218,
            BadMemberType { .. } => 219,
            KeysetArity { .. } => 220,
            SwitchLabel { .. } => 221,
            UnknownMatchKind { .. } => 230,
            NotAnAction { .. } => 231,
            DefaultNotListed { .. } => 232,
            DuplicateAction { .. } => 233,
            TableProperty { .. } => 234,
            TableSize { .. } => 235,
            EntryKeyset { .. } => 236,
            ActionScope { .. } => 237,
            ParamOrder { .. } => 240,
            Annotation { .. } => 241,
            DuplicateControlPlaneName { .. } => 242,
            NotInstantiable { .. } => 243,
            NeedsFixedWidth { .. } => 245,
            AbstractMethod { .. } => 246,
            TooDeep { .. } => 299,
        })
    }

    fn severity(&self) -> Severity {
        match self {
            // p4c also only warns and truncates.
            ErrorKind::Overflow { .. } => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// Text of the primary label.
    fn label(&self) -> &'static str {
        use ErrorKind::*;
        match self {
            Undefined { .. } => "not found",
            Duplicate { .. } => "defined again here",
            Mismatch { .. } | BadOperand { .. } | BadCast { .. } => "wrong type",
            NotConstant { .. } => "not a constant",
            Overflow { .. } => "truncated",
            _ => "here",
        }
    }
}

/// One problem found by the checker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub loc: Loc,
    /// Secondary labels such as "declared here".
    pub related: Vec<(Loc, String)>,
    pub help: Option<String>,
}

impl Error {
    pub fn new(kind: ErrorKind, loc: Loc) -> Self {
        Error {
            kind,
            loc,
            related: Vec::new(),
            help: None,
        }
    }

    pub fn related(mut self, loc: Loc, message: impl Into<String>) -> Self {
        self.related.push((loc, message.into()));
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The one place checker errors become diagnostics.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let mut d = Diagnostic::new(
            self.kind.severity(),
            self.kind.code(),
            self.kind.to_string(),
        )
        .primary(self.loc.file, self.loc.span, self.kind.label());
        for (loc, msg) in &self.related {
            d = d.secondary(loc.file, loc.span, msg.clone());
        }
        if let Some(h) = &self.help {
            d = d.help(h.clone());
        }
        d
    }
}

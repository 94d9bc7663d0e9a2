//! Lowering errors and their one conversion into [`Diagnostic`]s.
//!
//! Lowering runs only on programs the checker accepted, so its errors are about what the
//! pipeline IR (and the softswitch behind it) cannot express: widths above 128 bits, run-time
//! header stack indices, externs without an implementation. Codes E0400-E0409 are stable.

use ddsr_diag::{Code, Diagnostic};

use crate::ast::Loc;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    #[error("{what} is not supported by the pipeline IR")]
    Unsupported { what: String },
    #[error("{what} is {width} bits wide; the pipeline IR supports at most {max}")]
    TooWide { what: String, width: u32, max: u32 },
    #[error("expected a compile-time constant for {what}")]
    NotConstant { what: String },
    #[error("the program has no `V1Switch` instance named `main`")]
    NoMain,
    #[error("extern `{name}` has no implementation in the softswitch")]
    UnknownExtern { name: String },
    #[error("method `{method}` of extern `{ext}` has no implementation in the softswitch")]
    UnknownMethod { ext: String, method: String },
    #[error("the lowered pipeline is invalid: {message}")]
    Invalid { message: String },
    #[error("{message}")]
    Id { message: String },
}

impl ErrorKind {
    pub fn code(&self) -> Code {
        use ErrorKind::*;
        Code(match self {
            Unsupported { .. } => 400,
            TooWide { .. } => 401,
            NotConstant { .. } => 402,
            NoMain => 403,
            UnknownExtern { .. } | UnknownMethod { .. } => 404,
            Invalid { .. } => 405,
            Id { .. } => 406,
        })
    }
}

/// One lowering problem, at the node that caused it when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub loc: Option<Loc>,
}

impl Error {
    pub fn new(kind: ErrorKind, loc: Loc) -> Self {
        Error {
            kind,
            loc: Some(loc),
        }
    }

    pub fn unsupported(what: impl Into<String>, loc: Loc) -> Self {
        Error::new(ErrorKind::Unsupported { what: what.into() }, loc)
    }

    /// The one place lowering errors become diagnostics.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::error(self.kind.code(), self.kind.to_string());
        match self.loc {
            Some(loc) => d.primary(loc.file, loc.span, "here"),
            None => d,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

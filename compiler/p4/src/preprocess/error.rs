//! Preprocessor errors, turned into diagnostics E0100-E0119 in one place.

use ddsr_diag::{Code, Diagnostic};
use thiserror::Error;

use super::macros::ExpandError;
use crate::arena::Loc;

#[derive(Debug, Clone, Error)]
pub enum PpError {
    #[error("cannot find include file `{name}`")]
    IncludeNotFound {
        name: String,
        loc: Loc,
        searched: Vec<String>,
    },
    #[error("cannot read `{path}`: {reason}")]
    Read {
        path: String,
        reason: String,
        loc: Option<Loc>,
    },
    #[error("`#include` nested deeper than {limit} levels")]
    IncludeDepth { limit: usize, loc: Loc },
    #[error("expected {expected} after `#{directive}`, found {found}")]
    Malformed {
        directive: String,
        expected: &'static str,
        found: String,
        loc: Loc,
    },
    #[error("unknown preprocessor directive `#{name}`")]
    UnknownDirective { name: String, loc: Loc },
    #[error("`#{directive}` without a matching `#if`")]
    Unmatched { directive: String, loc: Loc },
    #[error("`#{directive}` after `#else`")]
    AfterElse {
        directive: String,
        loc: Loc,
        else_loc: Loc,
    },
    #[error("`#{directive}` is never closed")]
    Unterminated { directive: String, loc: Loc },
    #[error("{message}")]
    Condition { message: String, loc: Loc },
    #[error("{}", expand_message(.error))]
    Expand { error: ExpandError, loc: Loc },
    #[error("#error {message}")]
    ErrorDirective { message: String, loc: Loc },
    #[error("macro `{name}` redefined differently")]
    Redefined { name: String, loc: Loc, first: Loc },
    #[error("#warning {message}")]
    WarningDirective { message: String, loc: Loc },
    #[error("preprocessed text is larger than {limit} bytes")]
    OutputTooLarge { limit: usize, loc: Loc },
}

fn expand_message(e: &ExpandError) -> String {
    match e {
        ExpandError::ArgCount {
            name,
            expected,
            found,
            variadic,
        } => {
            let at_least = if *variadic { "at least " } else { "" };
            let s = if *expected == 1 { "" } else { "s" };
            format!("expected {at_least}{expected} argument{s} for macro `{name}`, found {found}")
        }
        ExpandError::Unterminated { name } => {
            format!("expected `)` to close the arguments of macro `{name}`, found end of input")
        }
        ExpandError::TooDeep { limit } => {
            format!("macro expansion nested deeper than {limit} levels")
        }
        ExpandError::TooLarge { limit } => {
            format!("macro expansions produced more than {limit} tokens")
        }
    }
}

impl PpError {
    pub fn code(&self) -> Code {
        Code(match self {
            PpError::IncludeNotFound { .. } | PpError::Read { .. } => 100,
            PpError::IncludeDepth { .. } => 101,
            PpError::Malformed { .. } => 102,
            PpError::UnknownDirective { .. } => 103,
            PpError::Unmatched { .. } | PpError::AfterElse { .. } => 104,
            PpError::Unterminated { .. } => 105,
            PpError::Condition { .. } => 106,
            PpError::Expand {
                error: ExpandError::ArgCount { .. } | ExpandError::Unterminated { .. },
                ..
            } => 107,
            PpError::Expand { .. } | PpError::OutputTooLarge { .. } => 108,
            PpError::ErrorDirective { .. } => 109,
            PpError::Redefined { .. } => 110,
            PpError::WarningDirective { .. } => 111,
        })
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        let message = self.to_string();
        let warning = matches!(
            self,
            PpError::Redefined { .. } | PpError::WarningDirective { .. }
        );
        let d = if warning {
            Diagnostic::warning(self.code(), message)
        } else {
            Diagnostic::error(self.code(), message)
        };
        match self {
            PpError::IncludeNotFound { loc, searched, .. } => {
                let d = d.primary(loc.file, loc.span, "not found");
                if searched.is_empty() {
                    d.help("add the directory holding it to the include path with `-I DIR`")
                } else {
                    d.note(format!("searched: {}", searched.join(", ")))
                        .help("add the directory holding it to the include path with `-I DIR`")
                }
            }
            PpError::Read { loc, reason, .. } => match loc {
                Some(loc) => d.primary(loc.file, loc.span, reason.clone()),
                None => d,
            },
            PpError::IncludeDepth { loc, .. } => d
                .primary(loc.file, loc.span, "included from here")
                .help("a file probably includes itself; guard it with `#ifndef`/`#define`"),
            PpError::Malformed { loc, expected, .. } => {
                d.primary(loc.file, loc.span, format!("expected {expected}"))
            }
            PpError::UnknownDirective { loc, .. } => d
                .primary(loc.file, loc.span, "unknown directive")
                .note("known directives: include, define, undef, if, ifdef, ifndef, elif, else, endif, line, error, warning, pragma"),
            PpError::Unmatched { loc, .. } => d.primary(loc.file, loc.span, "no open `#if`"),
            PpError::AfterElse { loc, else_loc, .. } => d
                .primary(loc.file, loc.span, "after `#else`")
                .secondary(else_loc.file, else_loc.span, "`#else` is here"),
            PpError::Unterminated { loc, .. } => d
                .primary(loc.file, loc.span, "opened here")
                .help("add `#endif` before the end of this file"),
            PpError::Condition { loc, .. } => d.primary(loc.file, loc.span, "in this condition"),
            PpError::Expand { loc, .. } => d.primary(loc.file, loc.span, "in this macro use"),
            PpError::ErrorDirective { loc, .. } | PpError::WarningDirective { loc, .. } => {
                d.primary(loc.file, loc.span, "")
            }
            PpError::Redefined { loc, first, .. } => d
                .primary(loc.file, loc.span, "redefined here")
                .secondary(first.file, first.span, "first defined here")
                .help("`#undef` the macro first if the new definition is intended"),
            PpError::OutputTooLarge { loc, .. } => d.primary(loc.file, loc.span, "while expanding this"),
        }
    }
}

//! The syntax half of the front end in one call: preprocess, lex, parse.
//!
//! [`parse_file`] and [`parse_str`] return a [`Parsed`]: the [`Program`], the [`SourceMap`]
//! holding every file read (diagnostics point into it), and all preprocessor and syntax
//! diagnostics (codes E0100-E0199), sorted by position.

use std::path::Path;

use ddsr_diag::{Code, Diagnostic, Diagnostics, SourceMap};
use thiserror::Error;

use crate::arena::Loc;
use crate::ast::Program;
use crate::lex::{self, Tok};
use crate::parse;
use crate::preprocess::{self, Preprocessed};
pub use crate::preprocess::{Limits, Options};
use crate::token::Token;

/// Lexical and grammatical errors (E0120-E0139).
#[derive(Debug, Clone, Error)]
pub enum SyntaxError {
    #[error("unexpected character `{}`", .ch.escape_default())]
    UnexpectedChar { ch: char, loc: Loc },
    #[error("unterminated string literal")]
    UnterminatedString { loc: Loc },
    #[error("unterminated block comment")]
    UnterminatedComment { loc: Loc },
    #[error("{message}")]
    BadInteger { message: String, loc: Loc },
    #[error("expected {expected}, found {found}")]
    Expected {
        expected: String,
        found: String,
        loc: Loc,
        /// Where the construct being parsed started, when that helps ("this block").
        context: Option<(Loc, &'static str)>,
    },
    #[error("nesting deeper than {limit} levels")]
    TooDeep { limit: usize, loc: Loc },
    #[error("too many syntax errors; stopping after {limit}")]
    TooManyErrors { limit: usize, loc: Loc },
}

impl SyntaxError {
    pub fn code(&self) -> Code {
        Code(match self {
            SyntaxError::UnexpectedChar { .. } => 120,
            SyntaxError::UnterminatedString { .. } => 121,
            SyntaxError::UnterminatedComment { .. } => 122,
            SyntaxError::BadInteger { .. } => 123,
            SyntaxError::Expected { .. } => 130,
            SyntaxError::TooDeep { .. } => 131,
            SyntaxError::TooManyErrors { .. } => 132,
        })
    }

    pub fn loc(&self) -> Loc {
        match self {
            SyntaxError::UnexpectedChar { loc, .. }
            | SyntaxError::UnterminatedString { loc }
            | SyntaxError::UnterminatedComment { loc }
            | SyntaxError::BadInteger { loc, .. }
            | SyntaxError::Expected { loc, .. }
            | SyntaxError::TooDeep { loc, .. }
            | SyntaxError::TooManyErrors { loc, .. } => *loc,
        }
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        let loc = self.loc();
        let d = Diagnostic::error(self.code(), self.to_string());
        match self {
            SyntaxError::UnexpectedChar { .. } => {
                d.primary(loc.file, loc.span, "not part of any P4 token")
            }
            SyntaxError::UnterminatedString { .. } => d
                .primary(loc.file, loc.span, "string starts here")
                .help("close the string with `\"` on the same line"),
            SyntaxError::UnterminatedComment { .. } => d
                .primary(loc.file, loc.span, "comment starts here")
                .help("close the comment with `*/`"),
            SyntaxError::BadInteger { .. } => d.primary(loc.file, loc.span, "invalid literal"),
            SyntaxError::Expected {
                expected, context, ..
            } => {
                let d = d.primary(loc.file, loc.span, format!("expected {expected}"));
                match context {
                    Some((c, what)) => d.secondary(c.file, c.span, *what),
                    None => d,
                }
            }
            SyntaxError::TooDeep { .. } => d
                .primary(loc.file, loc.span, "too deeply nested")
                .help("split the expression or block into smaller parts"),
            SyntaxError::TooManyErrors { .. } => d.primary(loc.file, loc.span, "stopped here"),
        }
    }
}

/// The result of the syntax stages.
pub struct Parsed {
    pub program: Program,
    pub sources: SourceMap,
    pub diagnostics: Diagnostics,
    pub preprocessed: Preprocessed,
    /// The tokens the parser read, each with its original location.
    pub tokens: Vec<Tok>,
}

impl Parsed {
    /// Tokens with their text, for `--emit tokens`.
    pub fn token_list(&self) -> Vec<Token> {
        lex::tokens_with_text(&self.tokens, &self.preprocessed.text)
    }
}

/// Preprocesses, lexes and parses the file at `path`. A file that cannot be read gives an
/// empty program and an E0100 diagnostic.
pub fn parse_file(path: &Path, options: &Options) -> Parsed {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_source(&path.display().to_string(), &text, path.parent(), options),
        Err(e) => {
            let mut sources = SourceMap::new();
            let mut diagnostics = Diagnostics::new();
            diagnostics.push(
                preprocess::PpError::Read {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                    loc: None,
                }
                .to_diagnostic(),
            );
            let main = sources.add(path.display().to_string(), "");
            Parsed {
                program: Program::default(),
                sources,
                diagnostics,
                preprocessed: Preprocessed {
                    text: String::new(),
                    origins: preprocess::OriginMap::default(),
                    main,
                },
                tokens: Vec::new(),
            }
        }
    }
}

/// Preprocesses, lexes and parses `text`, named `name` in diagnostics. Quoted includes are
/// looked up in `options.include_dirs` only.
pub fn parse_str(name: &str, text: &str, options: &Options) -> Parsed {
    parse_source(name, text, None, options)
}

fn parse_source(name: &str, text: &str, dir: Option<&Path>, options: &Options) -> Parsed {
    let mut sources = SourceMap::new();
    let (pre, pp_errors) = preprocess::run(name, text, dir, options, &mut sources);
    let (tokens, lex_errors) = lex::lex(&pre.text, &pre.origins);
    let (program, parse_errors) = parse::parse(&tokens, &pre.text, options.limits.nesting);
    let mut diagnostics = Diagnostics::new();
    diagnostics.extend(pp_errors.iter().map(preprocess::PpError::to_diagnostic));
    diagnostics.extend(lex_errors.iter().map(SyntaxError::to_diagnostic));
    diagnostics.extend(parse_errors.iter().map(SyntaxError::to_diagnostic));
    diagnostics.sort();
    Parsed {
        program,
        sources,
        diagnostics,
        preprocessed: pre,
        tokens,
    }
}

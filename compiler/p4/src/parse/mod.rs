//! Recursive-descent parser from [`Tok`]s to an [`ast::Program`].
//!
//! The grammar is the P4_16 1.2 one. Two things need more than one token of context and are
//! resolved as the spec does, by knowing which names are types at each point: `<` after an
//! expression starts type arguments only when a type follows and the matching `>` is followed by
//! `(` (`f<T>(x)` versus `a < b`), and `(` starts a cast only when a type and `)` follow
//! (`(T) x` versus `(a) - x`). Type names are collected as declarations are parsed (headers,
//! structs, enums, typedefs, externs, parsers, controls, packages) plus the type parameters in
//! scope; the included architecture headers declare theirs before the program uses them.
//!
//! Error recovery: a failed declaration, statement, field or table property records one error
//! and skips to the next `;` or to the `}` closing what it opened, so one run reports many
//! errors. A depth counter bounds recursion, so deeply nested input is an error, not a stack
//! overflow.

mod decl;
mod expr;
mod stmt;
mod types;

use std::collections::HashSet;

use crate::arena::{Handle, Loc};
use crate::ast::{Expr, Ident, Program, Stmt};
use crate::lex::Tok;
use crate::syntax::SyntaxError;
use crate::token::TokenKind;

/// Longest run of tokens a lookahead scans; keeps pathological input linear.
const SCAN_LIMIT: usize = 512;

/// Errors past this many end parsing; the rest are usually consequences of the first ones.
const MAX_ERRORS: usize = 100;

/// Marker that an error was recorded; the caller recovers.
#[derive(Debug, Clone, Copy)]
pub struct Fail;

pub type PResult<T> = Result<T, Fail>;

/// Parses `toks` (which end with [`TokenKind::Eof`]) of preprocessed `text`.
pub fn parse(toks: &[Tok], text: &str, max_depth: usize) -> (Program, Vec<SyntaxError>) {
    if toks.is_empty() {
        return (Program::default(), Vec::new());
    }
    let mut p = Parser {
        toks,
        text,
        pos: 0,
        limit: toks.len() - 1,
        prog: Program::default(),
        errors: Vec::new(),
        scopes: vec![HashSet::new()],
        depth: 0,
        max_depth,
        last_error_pos: None,
        quiet: false,
    };
    p.program();
    (p.prog, p.errors)
}

pub(crate) struct Parser<'t> {
    toks: &'t [Tok],
    text: &'t str,
    pos: usize,
    /// Index of the token read as end of input: the real `Eof`, or the end of an annotation
    /// body while it is read as expressions.
    limit: usize,
    prog: Program,
    errors: Vec<SyntaxError>,
    /// Type names: `scopes[0]` holds top-level declarations, inner scopes type parameters.
    scopes: Vec<HashSet<String>>,
    depth: usize,
    max_depth: usize,
    /// Token index of the last error, so one bad token is reported once.
    last_error_pos: Option<usize>,
    /// Speculative parsing: errors are not recorded.
    quiet: bool,
}

impl<'t> Parser<'t> {
    // ---- cursor -------------------------------------------------------------------------

    fn peek(&self) -> TokenKind {
        self.peek_at(0)
    }

    fn peek_at(&self, n: usize) -> TokenKind {
        let i = self.pos + n;
        if i >= self.limit {
            TokenKind::Eof
        } else {
            self.toks[i].kind
        }
    }

    fn tok_at(&self, n: usize) -> &Tok {
        &self.toks[(self.pos + n).min(self.limit)]
    }

    fn at(&self, k: TokenKind) -> bool {
        self.peek() == k
    }

    fn bump(&mut self) -> Tok {
        let t = *self.tok_at(0);
        if self.pos < self.limit {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, k: TokenKind) -> Option<Tok> {
        if self.at(k) { Some(self.bump()) } else { None }
    }

    fn expect(&mut self, k: TokenKind) -> PResult<Tok> {
        match self.eat(k) {
            Some(t) => Ok(t),
            None => Err(self.expected(k.describe())),
        }
    }

    fn text_of(&self, t: &Tok) -> &'t str {
        t.text(self.text)
    }

    /// Location from the token at index `start` to the last token consumed.
    fn loc_from(&self, start: usize) -> Loc {
        let first = self.toks[start.min(self.toks.len() - 1)].loc;
        if self.pos > start {
            first.to(self.toks[self.pos - 1].loc)
        } else {
            first
        }
    }

    // ---- errors -------------------------------------------------------------------------

    fn describe_current(&self) -> String {
        let t = self.tok_at(0);
        let kind = if self.pos >= self.limit {
            TokenKind::Eof
        } else {
            t.kind
        };
        match kind {
            TokenKind::Ident => format!("identifier `{}`", self.text_of(t)),
            TokenKind::Int => format!("integer `{}`", self.text_of(t)),
            TokenKind::String => format!("string {}", self.text_of(t)),
            k => k.describe().to_string(),
        }
    }

    /// Records "expected X, found <current token>" at the current token.
    fn expected(&mut self, expected: impl Into<String>) -> Fail {
        let loc = self.tok_at(0).loc;
        let found = self.describe_current();
        self.error(SyntaxError::Expected {
            expected: expected.into(),
            found,
            loc,
            context: None,
        });
        Fail
    }

    /// Like [`Self::expected`], with a secondary label at `ctx`.
    fn expected_in(&mut self, expected: impl Into<String>, ctx: Loc, what: &'static str) -> Fail {
        let loc = self.tok_at(0).loc;
        let found = self.describe_current();
        self.error(SyntaxError::Expected {
            expected: expected.into(),
            found,
            loc,
            context: Some((ctx, what)),
        });
        Fail
    }

    fn error(&mut self, e: SyntaxError) {
        if self.quiet || self.last_error_pos == Some(self.pos) {
            return;
        }
        self.last_error_pos = Some(self.pos);
        self.errors.push(e);
        if self.errors.len() >= MAX_ERRORS {
            let loc = self.tok_at(0).loc;
            self.errors.push(SyntaxError::TooManyErrors {
                limit: MAX_ERRORS,
                loc,
            });
            // Jump to the end: every loop stops at end of input.
            self.pos = self.limit;
            self.quiet = true;
        }
    }

    /// Runs `f` one nesting level deeper, failing past the limit.
    fn deeper<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.depth >= self.max_depth {
            let loc = self.tok_at(0).loc;
            self.error(SyntaxError::TooDeep {
                limit: self.max_depth,
                loc,
            });
            return Err(Fail);
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    /// Skips to a place where parsing can resume: after a `;` or a balanced `{...}`, or before a
    /// `}` closing an enclosing construct. With `top`, also before a keyword that starts a
    /// top-level declaration.
    fn recover(&mut self, top: bool) {
        let mut depth = 0usize;
        loop {
            match self.peek() {
                TokenKind::Eof => return,
                TokenKind::Semi if depth == 0 => {
                    self.bump();
                    return;
                }
                TokenKind::LBrace => depth += 1,
                TokenKind::RBrace => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                    if depth == 0 {
                        self.bump();
                        return;
                    }
                }
                k if depth == 0 && top && starts_top_level(k) => return,
                // The next element of a control or parser body.
                TokenKind::Action | TokenKind::Table if depth == 0 => return,
                TokenKind::Apply if depth == 0 && self.peek_at(1) == TokenKind::LBrace => return,
                TokenKind::State
                    if depth == 0
                        && Self::is_name(self.peek_at(1))
                        && self.peek_at(2) == TokenKind::LBrace =>
                {
                    return;
                }
                _ => {}
            }
            self.bump();
        }
    }

    /// Parses items until `}` (not consumed) or end of input, recovering after each failure.
    fn items_until_brace<T>(
        &mut self,
        out: &mut Vec<T>,
        stop: &[TokenKind],
        mut item: impl FnMut(&mut Self) -> PResult<Option<T>>,
    ) {
        while !self.at(TokenKind::RBrace)
            && !self.at(TokenKind::Eof)
            && !stop.contains(&self.peek())
            // A keyword that only starts top-level declarations means a `}` is missing; the
            // caller reports it and top-level parsing resumes there.
            && !starts_top_level_only(self.peek())
        {
            let start = self.pos;
            match item(self) {
                Ok(Some(x)) => out.push(x),
                Ok(None) => {}
                Err(Fail) => {
                    self.recover(false);
                    if self.pos == start && !self.at(TokenKind::RBrace) {
                        self.bump();
                    }
                }
            }
        }
    }

    // ---- names --------------------------------------------------------------------------

    fn is_name(k: TokenKind) -> bool {
        k == TokenKind::Ident || k.is_contextual_name()
    }

    /// A name: an identifier or a keyword the grammar accepts as a name.
    fn ident(&mut self) -> PResult<Ident> {
        if Self::is_name(self.peek()) {
            let t = self.bump();
            Ok(Ident {
                name: self.text_of(&t).to_string(),
                loc: t.loc,
            })
        } else {
            Err(self.expected("an identifier"))
        }
    }

    /// A member name after `.`: any word, keywords included (`t.apply`, `h.type`).
    fn member_name(&mut self) -> PResult<Ident> {
        let t = *self.tok_at(0);
        let word = self.pos < self.limit && {
            let s = self.text_of(&t);
            s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && t.kind != TokenKind::Int
                && t.kind != TokenKind::String
        };
        if word {
            self.bump();
            Ok(Ident {
                name: self.text_of(&t).to_string(),
                loc: t.loc,
            })
        } else {
            Err(self.expected("a member name"))
        }
    }

    fn is_type_name(&self, name: &str) -> bool {
        self.scopes.iter().any(|s| s.contains(name))
    }

    fn declare_type(&mut self, name: &str) {
        if let Some(global) = self.scopes.first_mut() {
            global.insert(name.to_string());
        }
    }

    fn push_type_params(&mut self, params: &[Ident]) {
        self.scopes
            .push(params.iter().map(|p| p.name.clone()).collect());
    }

    fn pop_scope(&mut self) {
        if self.scopes.len() > 1 {
            self.scopes.pop();
        }
    }

    // ---- allocation ---------------------------------------------------------------------

    fn alloc_expr(&mut self, e: Expr, start: usize) -> Handle<Expr> {
        let loc = self.loc_from(start);
        self.prog.exprs.alloc(e, loc)
    }

    fn alloc_stmt(&mut self, s: Stmt, start: usize) -> Handle<Stmt> {
        let loc = self.loc_from(start);
        self.prog.stmts.alloc(s, loc)
    }

    /// Whether a newline separates the previous token from the current one (for `@pragma`,
    /// whose body runs to the end of the line).
    fn newline_before_current(&self) -> bool {
        if self.pos == 0 {
            return false;
        }
        let prev = &self.toks[self.pos - 1];
        let cur = self.tok_at(0);
        self.text
            .get(prev.end as usize..cur.start as usize)
            .is_some_and(|gap| gap.contains('\n'))
    }
}

/// Keywords that begin a declaration allowed only at top level.
fn starts_top_level_only(k: TokenKind) -> bool {
    use TokenKind::*;
    matches!(
        k,
        Header
            | HeaderUnion
            | Struct
            | Enum
            | Typedef
            | Extern
            | Parser
            | Control
            | Package
            | MatchKind
    )
}

/// Keywords that begin a top-level declaration, where top-level recovery stops.
fn starts_top_level(k: TokenKind) -> bool {
    use TokenKind::*;
    matches!(
        k,
        Header
            | HeaderUnion
            | Struct
            | Enum
            | Typedef
            | Extern
            | Parser
            | Control
            | Package
            | MatchKind
            | Const
            | Action
            | At
    )
}

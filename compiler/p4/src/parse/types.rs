//! Types, type parameters and arguments, parameters, annotations, call arguments.

use super::{Fail, PResult, Parser, SCAN_LIMIT};
use crate::arena::Handle;
use crate::ast::{
    Annotation, AnnotationBody, Argument, Direction, Expr, Ident, NamedExpr, Param, Path,
    TypeParams, TypeRef,
};
use crate::lex::Tok;
use crate::token::{Token, TokenKind};

impl Parser<'_> {
    /// Whether the token `n` ahead can start a type where an expression could also start:
    /// type keywords, `.T` and names known to be types.
    fn type_start_at(&self, n: usize) -> bool {
        use TokenKind::*;
        match self.peek_at(n) {
            Bit | Int_ | Varbit | Bool | String_ | MatchKind | Tuple | Void | List => true,
            Error => self.peek_at(n + 1) != Dot,
            Ident => self.is_type_name(self.text_of(self.tok_at(n))),
            Dot => {
                self.peek_at(n + 1) == Ident && self.is_type_name(self.text_of(self.tok_at(n + 1)))
            }
            _ => false,
        }
    }

    /// Token offset just past the type starting `n` tokens ahead, if one is there. With
    /// `lenient`, any name counts as a type name (used where a declaration is likely).
    pub(super) fn scan_type(&self, n: usize, lenient: bool) -> Option<usize> {
        use TokenKind::*;
        let mut i = n;
        match self.peek_at(i) {
            Bit | Int_ | Varbit | Bool | String_ | MatchKind | Tuple | Void | List | Error
            | DontCare => i += 1,
            Dot if Self::is_name(self.peek_at(i + 1)) => i += 2,
            k if Self::is_name(k)
                && (lenient || self.is_type_name(self.text_of(self.tok_at(i)))) =>
            {
                i += 1
            }
            _ => return None,
        }
        if self.peek_at(i) == Lt {
            i = self.skip_balanced(i, Lt, Gt)?;
        }
        while self.peek_at(i) == LBracket {
            i = self.skip_balanced(i, LBracket, RBracket)?;
        }
        Some(i)
    }

    /// Offset after the `close` matching the `open` at offset `i`, within [`SCAN_LIMIT`] tokens
    /// and without crossing `;`, `{` or `}`.
    pub(super) fn skip_balanced(
        &self,
        i: usize,
        open: TokenKind,
        close: TokenKind,
    ) -> Option<usize> {
        let mut depth = 0usize;
        for j in i..i + SCAN_LIMIT {
            let k = self.peek_at(j);
            if k == open {
                depth += 1;
            } else if k == close {
                depth -= 1;
                if depth == 0 {
                    return Some(j + 1);
                }
            } else if matches!(
                k,
                TokenKind::Semi | TokenKind::LBrace | TokenKind::RBrace | TokenKind::Eof
            ) {
                return None;
            }
        }
        None
    }

    /// Whether `<` at offset `n` opens type arguments followed by `(`: `f<bit<8>>(x)`.
    pub(super) fn type_args_then_paren(&self, n: usize) -> bool {
        if self.peek_at(n) != TokenKind::Lt {
            return false;
        }
        let first_is_type = self.type_start_at(n + 1) || self.peek_at(n + 1) == TokenKind::DontCare;
        first_is_type
            && self
                .skip_balanced(n, TokenKind::Lt, TokenKind::Gt)
                .is_some_and(|end| self.peek_at(end) == TokenKind::LParen)
    }

    pub(super) fn ty(&mut self) -> PResult<Handle<TypeRef>> {
        self.deeper(|p| {
            let start = p.pos;
            let mut t = p.type_base()?;
            while p.eat(TokenKind::LBracket).is_some() {
                let size = p.expr()?;
                p.expect(TokenKind::RBracket)?;
                let loc = p.loc_from(start);
                t = p.prog.types.alloc(TypeRef::Stack { elem: t, size }, loc);
            }
            Ok(t)
        })
    }

    fn type_base(&mut self) -> PResult<Handle<TypeRef>> {
        use TokenKind::*;
        let start = self.pos;
        let t = match self.peek() {
            Bit => {
                self.bump();
                if self.at(Lt) {
                    TypeRef::Bit(Some(self.width()?))
                } else {
                    TypeRef::Bit(None)
                }
            }
            Int_ => {
                self.bump();
                if self.at(Lt) {
                    TypeRef::SignedInt(self.width()?)
                } else {
                    TypeRef::InfInt
                }
            }
            Varbit => {
                self.bump();
                TypeRef::Varbit(self.width()?)
            }
            Bool => self.simple(TypeRef::Bool),
            String_ => self.simple(TypeRef::String),
            Error => self.simple(TypeRef::Error),
            MatchKind => self.simple(TypeRef::MatchKind),
            Void => self.simple(TypeRef::Void),
            DontCare => self.simple(TypeRef::DontCare),
            Tuple => {
                self.bump();
                TypeRef::Tuple(self.type_args()?)
            }
            List => {
                self.bump();
                self.expect(Lt)?;
                let elem = self.ty()?;
                self.expect(Gt)?;
                TypeRef::List(elem)
            }
            k if k == Dot || Self::is_name(k) => {
                let global = self.eat(Dot).is_some();
                let name = self.ident()?;
                let base = Path { global, name };
                if self.at(Lt) {
                    let args = self.type_args()?;
                    TypeRef::Specialized { base, args }
                } else {
                    TypeRef::Name(base)
                }
            }
            _ => return Err(self.expected("a type")),
        };
        let loc = self.loc_from(start);
        Ok(self.prog.types.alloc(t, loc))
    }

    fn simple(&mut self, t: TypeRef) -> TypeRef {
        self.bump();
        t
    }

    /// `<W>` of `bit<W>`: an integer, a name, or a parenthesised expression.
    fn width(&mut self) -> PResult<Handle<Expr>> {
        self.expect(TokenKind::Lt)?;
        let w = match self.peek() {
            TokenKind::Int | TokenKind::LParen => self.primary_expr()?,
            k if Self::is_name(k) || k == TokenKind::Dot => self.primary_expr()?,
            _ => return Err(self.expected("a width (an integer or a parenthesised expression)")),
        };
        self.expect(TokenKind::Gt)?;
        Ok(w)
    }

    /// `<T1, T2>`.
    pub(super) fn type_args(&mut self) -> PResult<Vec<Handle<TypeRef>>> {
        self.expect(TokenKind::Lt)?;
        let mut args = Vec::new();
        if self.eat(TokenKind::Gt).is_some() {
            return Ok(args);
        }
        loop {
            args.push(self.ty()?);
            if self.eat(TokenKind::Comma).is_none() {
                break;
            }
        }
        if self.eat(TokenKind::Gt).is_none() {
            return Err(self.expected("`,` or `>`"));
        }
        Ok(args)
    }

    /// `<T, U>` after a declared name, or nothing.
    pub(super) fn type_params(&mut self) -> PResult<TypeParams> {
        let mut params = Vec::new();
        if self.eat(TokenKind::Lt).is_none() {
            return Ok(params);
        }
        loop {
            params.push(self.ident()?);
            if self.eat(TokenKind::Comma).is_none() {
                break;
            }
        }
        if self.eat(TokenKind::Gt).is_none() {
            return Err(self.expected("`,` or `>`"));
        }
        Ok(params)
    }

    /// `(params)`.
    pub(super) fn params(&mut self) -> PResult<Vec<Param>> {
        self.expect(TokenKind::LParen)?;
        let mut params = Vec::new();
        if self.eat(TokenKind::RParen).is_some() {
            return Ok(params);
        }
        loop {
            params.push(self.param()?);
            if self.eat(TokenKind::Comma).is_none() {
                break;
            }
        }
        if self.eat(TokenKind::RParen).is_none() {
            return Err(self.expected("`,` or `)`"));
        }
        Ok(params)
    }

    fn param(&mut self) -> PResult<Param> {
        let start = self.pos;
        let annotations = self.annotations()?;
        let direction = match self.peek() {
            TokenKind::In => Some(Direction::In),
            TokenKind::Out => Some(Direction::Out),
            TokenKind::Inout => Some(Direction::InOut),
            _ => None,
        };
        if direction.is_some() {
            self.bump();
        }
        let ty = self.ty()?;
        let name = self.ident()?;
        let default = if self.eat(TokenKind::Assign).is_some() {
            Some(self.expr()?)
        } else {
            None
        };
        Ok(Param {
            annotations,
            direction,
            ty,
            name,
            default,
            loc: self.loc_from(start),
        })
    }

    /// `(args)` of a call or instantiation.
    pub(super) fn args(&mut self) -> PResult<Vec<Argument>> {
        self.expect(TokenKind::LParen)?;
        let mut args = Vec::new();
        if self.eat(TokenKind::RParen).is_some() {
            return Ok(args);
        }
        loop {
            let start = self.pos;
            let name = if Self::is_name(self.peek()) && self.peek_at(1) == TokenKind::Assign {
                let n = self.ident()?;
                self.bump();
                Some(n)
            } else {
                None
            };
            let value = self.expr()?;
            args.push(Argument {
                name,
                value,
                loc: self.loc_from(start),
            });
            if self.eat(TokenKind::Comma).is_none() {
                break;
            }
        }
        if self.eat(TokenKind::RParen).is_none() {
            return Err(self.expected("`,` or `)`"));
        }
        Ok(args)
    }

    /// Zero or more annotations.
    pub(super) fn annotations(&mut self) -> PResult<Vec<Annotation>> {
        let mut out = Vec::new();
        while self.at(TokenKind::At) {
            out.push(self.annotation()?);
        }
        Ok(out)
    }

    fn annotation(&mut self) -> PResult<Annotation> {
        let start = self.pos;
        self.expect(TokenKind::At)?;
        let name = self.member_name().map_err(|Fail| Fail)?;
        let body = if name.name == "pragma" {
            let mut tokens = Vec::new();
            while !self.at(TokenKind::Eof) && !self.newline_before_current() {
                let t = self.bump();
                tokens.push(self.token(&t));
            }
            AnnotationBody::Unstructured {
                tokens,
                exprs: None,
            }
        } else if self.at(TokenKind::LParen) {
            self.unstructured_body()?
        } else if self.eat(TokenKind::LBracket).is_some() {
            self.structured_body()?
        } else {
            AnnotationBody::Empty
        };
        Ok(Annotation {
            name,
            body,
            loc: self.loc_from(start),
        })
    }

    fn token(&self, t: &Tok) -> Token {
        Token {
            kind: t.kind,
            text: self.text_of(t).to_string(),
            loc: t.loc,
        }
    }

    /// `( balanced tokens )`, also read as an expression list when it is one.
    fn unstructured_body(&mut self) -> PResult<AnnotationBody> {
        let open = self.pos;
        let Some(end) = self.skip_balanced_any(open) else {
            // Everything to the end is inside the parentheses; report it there.
            let open_loc = self.tok_at(0).loc;
            self.pos = self.limit;
            return Err(self.expected_in("`)`", open_loc, "this annotation is not closed"));
        };
        let close = open + end - 1;
        let tokens: Vec<Token> = self.toks[open + 1..close]
            .iter()
            .map(|t| self.token(t))
            .collect();
        let exprs = if tokens.is_empty() {
            Some(Vec::new())
        } else {
            self.speculative_exprs(open + 1, close)
        };
        self.pos = close + 1;
        Ok(AnnotationBody::Unstructured { tokens, exprs })
    }

    /// Token count up to and including the `)` matching the `(` at absolute index `open`,
    /// crossing anything (annotation bodies are free-form), bounded by the end of input.
    fn skip_balanced_any(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for j in open..self.limit {
            match self.toks[j].kind {
                TokenKind::LParen => depth += 1,
                TokenKind::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(j + 1 - open);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Parses tokens `from..to` as a comma-separated expression list without reporting errors.
    fn speculative_exprs(&mut self, from: usize, to: usize) -> Option<Vec<Handle<Expr>>> {
        let (saved_pos, saved_limit, saved_quiet) = (self.pos, self.limit, self.quiet);
        self.pos = from;
        self.limit = to;
        self.quiet = true;
        let mut exprs = Vec::new();
        let ok = loop {
            match self.expr() {
                Ok(e) => exprs.push(e),
                Err(Fail) => break false,
            }
            if self.eat(TokenKind::Comma).is_none() {
                break self.pos == to;
            }
        };
        self.pos = saved_pos;
        self.limit = saved_limit;
        self.quiet = saved_quiet;
        ok.then_some(exprs)
    }

    /// `[expr, ...]` or `[k = v, ...]` after `[`.
    fn structured_body(&mut self) -> PResult<AnnotationBody> {
        let kv = Self::is_name(self.peek()) && self.peek_at(1) == TokenKind::Assign;
        let body = if kv {
            let mut pairs = Vec::new();
            loop {
                if self.at(TokenKind::RBracket) {
                    break;
                }
                let start = self.pos;
                let name = self.ident()?;
                self.expect(TokenKind::Assign)?;
                let value = self.expr()?;
                pairs.push(NamedExpr {
                    name,
                    value,
                    loc: self.loc_from(start),
                });
                if self.eat(TokenKind::Comma).is_none() {
                    break;
                }
            }
            AnnotationBody::KeyValue(pairs)
        } else {
            let mut exprs = Vec::new();
            while !self.at(TokenKind::RBracket) {
                exprs.push(self.expr()?);
                if self.eat(TokenKind::Comma).is_none() {
                    break;
                }
            }
            AnnotationBody::ExprList(exprs)
        };
        if self.eat(TokenKind::RBracket).is_none() {
            return Err(self.expected("`,` or `]`"));
        }
        Ok(body)
    }

    /// A name, possibly with the leading `.` of a top-level reference.
    pub(super) fn path(&mut self) -> PResult<Path> {
        let global = self.eat(TokenKind::Dot).is_some();
        Ok(Path {
            global,
            name: self.ident()?,
        })
    }

    pub(super) fn ident_list_in_braces(&mut self) -> PResult<Vec<Ident>> {
        self.expect(TokenKind::LBrace)?;
        let mut out = Vec::new();
        while !self.at(TokenKind::RBrace) {
            out.push(self.ident()?);
            if self.eat(TokenKind::Comma).is_none() {
                break;
            }
        }
        if self.eat(TokenKind::RBrace).is_none() {
            return Err(self.expected("`,` or `}`"));
        }
        Ok(out)
    }
}

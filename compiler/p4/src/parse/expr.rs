//! Expressions, by precedence climbing with the P4_16 operator table (loosest first):
//! `?:`, `||`, `&&`, `== !=`, `< > <= >=`, `|`, `^`, `&`, `<< >>`,
//! `++ + - |+| |-|`, `* / %`, prefix operators and casts, postfix `.` `[]` `()`.
//! Unlike C, the bitwise operators bind tighter than the comparisons.

use super::{PResult, Parser};
use crate::arena::Handle;
use crate::ast::{BinaryOp, Expr, IntLit, Keyset, NamedExpr, Path, UnaryOp};
use crate::lex::int_literal;
use crate::token::TokenKind;

impl Parser<'_> {
    pub(super) fn expr(&mut self) -> PResult<Handle<Expr>> {
        self.deeper(|p| {
            let start = p.pos;
            let cond = p.binary(1)?;
            if p.eat(TokenKind::Question).is_none() {
                return Ok(cond);
            }
            let then = p.expr()?;
            p.expect(TokenKind::Colon)?;
            let otherwise = p.expr()?;
            Ok(p.alloc_expr(
                Expr::Ternary {
                    cond,
                    then,
                    otherwise,
                },
                start,
            ))
        })
    }

    /// The binary operator at the cursor: operator, binding power, tokens it spans.
    fn binary_op(&self) -> Option<(BinaryOp, u8, usize)> {
        use BinaryOp as B;
        use TokenKind::*;
        Some(match self.peek() {
            OrOr => (B::Or, 1, 1),
            AndAnd => (B::And, 2, 1),
            Eq => (B::Eq, 3, 1),
            Ne => (B::Ne, 3, 1),
            Lt => (B::Lt, 4, 1),
            Le => (B::Le, 4, 1),
            Ge => (B::Ge, 4, 1),
            // `>>` is two adjacent `>` tokens.
            Gt if self.peek_at(1) == Gt && self.tok_at(1).start == self.tok_at(0).end => {
                (B::Shr, 8, 2)
            }
            Gt => (B::Gt, 4, 1),
            Pipe => (B::BitOr, 5, 1),
            Caret => (B::BitXor, 6, 1),
            Amp => (B::BitAnd, 7, 1),
            Shl => (B::Shl, 8, 1),
            PlusPlus => (B::Concat, 9, 1),
            Plus => (B::Add, 9, 1),
            Minus => (B::Sub, 9, 1),
            SatAdd => (B::SatAdd, 9, 1),
            SatSub => (B::SatSub, 9, 1),
            Star => (B::Mul, 10, 1),
            Slash => (B::Div, 10, 1),
            Percent => (B::Mod, 10, 1),
            _ => return None,
        })
    }

    fn binary(&mut self, min_bp: u8) -> PResult<Handle<Expr>> {
        let start = self.pos;
        let mut lhs = self.unary()?;
        while let Some((op, bp, len)) = self.binary_op() {
            if bp < min_bp {
                break;
            }
            for _ in 0..len {
                self.bump();
            }
            let rhs = self.deeper(|p| p.binary(bp + 1))?;
            lhs = self.alloc_expr(Expr::Binary { op, lhs, rhs }, start);
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> PResult<Handle<Expr>> {
        let start = self.pos;
        let op = match self.peek() {
            TokenKind::Not => UnaryOp::Not,
            TokenKind::Tilde => UnaryOp::Complement,
            TokenKind::Minus => UnaryOp::Neg,
            TokenKind::Plus => UnaryOp::Plus,
            TokenKind::LParen if self.cast_ahead() => {
                self.bump();
                let ty = self.ty()?;
                self.expect(TokenKind::RParen)?;
                let expr = self.deeper(|p| p.unary())?;
                return Ok(self.alloc_expr(Expr::Cast { ty, expr }, start));
            }
            _ => return self.postfix(),
        };
        self.bump();
        let operand = self.deeper(|p| p.unary())?;
        Ok(self.alloc_expr(Expr::Unary { op, operand }, start))
    }

    /// `(` followed by a type and `)`: a cast.
    fn cast_ahead(&self) -> bool {
        if !self.type_start_at_offset(1) {
            return false;
        }
        self.scan_type(1, false)
            .is_some_and(|end| self.peek_at(end) == TokenKind::RParen)
    }

    fn type_start_at_offset(&self, n: usize) -> bool {
        use TokenKind::*;
        match self.peek_at(n) {
            Bit | Int_ | Varbit | Bool | String_ | MatchKind | Tuple | List => true,
            Error => self.peek_at(n + 1) == RParen,
            Ident => self.is_type_name(self.text_of(self.tok_at(n))),
            Dot => {
                self.peek_at(n + 1) == Ident && self.is_type_name(self.text_of(self.tok_at(n + 1)))
            }
            _ => false,
        }
    }

    fn postfix(&mut self) -> PResult<Handle<Expr>> {
        let start = self.pos;
        let mut e = self.primary_expr()?;
        loop {
            match self.peek() {
                TokenKind::Dot => {
                    self.bump();
                    let member = self.member_name()?;
                    e = self.alloc_expr(Expr::Member { base: e, member }, start);
                }
                TokenKind::LBracket => {
                    self.bump();
                    let index = self.expr()?;
                    if self.eat(TokenKind::Colon).is_some() {
                        let lo = self.expr()?;
                        self.expect(TokenKind::RBracket)?;
                        e = self.alloc_expr(
                            Expr::Slice {
                                base: e,
                                hi: index,
                                lo,
                            },
                            start,
                        );
                    } else {
                        self.expect(TokenKind::RBracket)?;
                        e = self.alloc_expr(Expr::Index { base: e, index }, start);
                    }
                }
                TokenKind::LParen => {
                    let args = self.args()?;
                    e = self.alloc_expr(
                        Expr::Call {
                            callee: e,
                            type_args: Vec::new(),
                            args,
                        },
                        start,
                    );
                }
                TokenKind::Lt if self.type_args_then_paren(0) => {
                    let type_args = self.type_args()?;
                    let args = self.args()?;
                    e = self.alloc_expr(
                        Expr::Call {
                            callee: e,
                            type_args,
                            args,
                        },
                        start,
                    );
                }
                _ => return Ok(e),
            }
        }
    }

    /// Literals, names, parenthesised expressions, lists and struct expressions.
    pub(super) fn primary_expr(&mut self) -> PResult<Handle<Expr>> {
        use TokenKind::*;
        let start = self.pos;
        let e = match self.peek() {
            Int => {
                let t = self.bump();
                // A malformed literal was reported by the lexer; 0 keeps the tree whole.
                Expr::Int(int_literal(self.text_of(&t)).unwrap_or(IntLit {
                    value: 0u8.into(),
                    negative: false,
                    width: None,
                    base: 10,
                }))
            }
            String => {
                let t = self.bump();
                let s = self.text_of(&t);
                let inner = s
                    .strip_prefix('"')
                    .map(|s| s.strip_suffix('"').unwrap_or(s))
                    .unwrap_or(s);
                Expr::String(inner.to_string())
            }
            True => self.word(Expr::Bool(true)),
            False => self.word(Expr::Bool(false)),
            This => self.word(Expr::This),
            DontCare => self.word(Expr::DontCare),
            Default => self.word(Expr::Default),
            InvalidHeader => self.word(Expr::InvalidHeader),
            Dots => self.word(Expr::Dots),
            Error => {
                let t = self.bump();
                Expr::Path(Path {
                    global: false,
                    name: crate::ast::Ident {
                        name: "error".to_string(),
                        loc: t.loc,
                    },
                })
            }
            LParen => {
                self.bump();
                let e = self.expr()?;
                self.expect(RParen)?;
                return Ok(e);
            }
            LBrace => return self.brace_expr(),
            Bit | Int_ | Varbit | Bool | String_ | Tuple | List | MatchKind => {
                // `bit<8>.minSizeInBits()` and the like.
                let ty = self.ty()?;
                self.expect(Dot)?;
                let member = self.member_name()?;
                Expr::TypeMember { ty, member }
            }
            k if Self::is_name(k) || k == Dot => {
                // `Register<bit<32>, _>(n)`: a constructor call with type arguments.
                let name_at = usize::from(k == Dot);
                if self.peek_at(name_at + 1) == Lt
                    && self.is_type_name(self.text_of(self.tok_at(name_at)))
                    && self.type_args_then_paren(name_at + 1)
                {
                    let ty = self.ty()?;
                    let args = self.args()?;
                    Expr::Construct { ty, args }
                } else {
                    Expr::Path(self.path()?)
                }
            }
            _ => return Err(self.expected("an expression")),
        };
        Ok(self.alloc_expr(e, start))
    }

    fn word(&mut self, e: Expr) -> Expr {
        self.bump();
        e
    }

    /// `{ a, b }`, `{ f = a, g = b }`, `{}`, each possibly ending with `...` or `,`.
    fn brace_expr(&mut self) -> PResult<Handle<Expr>> {
        let start = self.pos;
        self.expect(TokenKind::LBrace)?;
        let is_struct = Self::is_name(self.peek()) && self.peek_at(1) == TokenKind::Assign;
        let e = if is_struct {
            let mut fields = Vec::new();
            let mut dots = false;
            while !self.at(TokenKind::RBrace) {
                if self.eat(TokenKind::Dots).is_some() {
                    dots = true;
                    break;
                }
                let fstart = self.pos;
                let name = self.ident()?;
                self.expect(TokenKind::Assign)?;
                let value = self.expr()?;
                fields.push(NamedExpr {
                    name,
                    value,
                    loc: self.loc_from(fstart),
                });
                if self.eat(TokenKind::Comma).is_none() {
                    break;
                }
            }
            Expr::Struct { fields, dots }
        } else {
            let mut items = Vec::new();
            while !self.at(TokenKind::RBrace) {
                items.push(self.expr()?);
                if self.eat(TokenKind::Comma).is_none() {
                    break;
                }
            }
            Expr::List(items)
        };
        if self.eat(TokenKind::RBrace).is_none() {
            return Err(self.expected("`,` or `}`"));
        }
        Ok(self.alloc_expr(e, start))
    }

    /// A keyset: one element or a parenthesised tuple of elements.
    pub(super) fn keyset(&mut self) -> PResult<Keyset> {
        if self.at(TokenKind::LParen) {
            let has_comma = self.top_level_comma_in_parens();
            if has_comma || !self.simple_paren_expr() {
                self.bump();
                let mut items = Vec::new();
                loop {
                    items.push(self.keyset_element()?);
                    if self.eat(TokenKind::Comma).is_none() {
                        break;
                    }
                }
                if self.eat(TokenKind::RParen).is_none() {
                    return Err(self.expected("`,` or `)`"));
                }
                return Ok(if items.len() == 1 {
                    Keyset::Single(items[0])
                } else {
                    Keyset::Tuple(items)
                });
            }
        }
        Ok(Keyset::Single(self.keyset_element()?))
    }

    /// Whether the parentheses at the cursor hold a comma at their top level.
    fn top_level_comma_in_parens(&self) -> bool {
        let mut depth = 0usize;
        for j in 0..super::SCAN_LIMIT {
            match self.peek_at(j) {
                TokenKind::LParen | TokenKind::LBrace | TokenKind::LBracket => depth += 1,
                TokenKind::RParen | TokenKind::RBrace | TokenKind::RBracket => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return false;
                    }
                }
                TokenKind::Comma if depth == 1 => return true,
                TokenKind::Eof | TokenKind::Semi => return false,
                _ => {}
            }
        }
        false
    }

    /// Whether the parentheses at the cursor are an ordinary parenthesised expression (the
    /// keyset continues after them, `(a + b) &&& m`) rather than a one-element keyset
    /// `(default)`, `(_)`, `(a &&& m)`, `(lo .. hi)`.
    fn simple_paren_expr(&self) -> bool {
        !matches!(self.peek_at(1), TokenKind::Default | TokenKind::DontCare)
            && !self.contains_keyset_operator()
    }

    fn contains_keyset_operator(&self) -> bool {
        let mut depth = 0usize;
        for j in 0..super::SCAN_LIMIT {
            match self.peek_at(j) {
                TokenKind::LParen => depth += 1,
                TokenKind::RParen => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return false;
                    }
                }
                TokenKind::Mask | TokenKind::Range if depth == 1 => return true,
                TokenKind::Eof | TokenKind::Semi | TokenKind::LBrace => return false,
                _ => {}
            }
        }
        false
    }

    /// `default`, `_`, `e`, `e &&& m`, `lo .. hi`.
    fn keyset_element(&mut self) -> PResult<Handle<Expr>> {
        let start = self.pos;
        let value = self.expr()?;
        if self.eat(TokenKind::Mask).is_some() {
            let mask = self.expr()?;
            return Ok(self.alloc_expr(Expr::Mask { value, mask }, start));
        }
        if self.eat(TokenKind::Range).is_some() {
            let hi = self.expr()?;
            return Ok(self.alloc_expr(Expr::Range { lo: value, hi }, start));
        }
        Ok(value)
    }
}

//! Statements and blocks.

use super::{PResult, Parser};
use crate::arena::Handle;
use crate::ast::{Annotation, Block, Decl, Expr, Stmt, SwitchCase, SwitchLabel, Var};
use crate::token::TokenKind;

impl Parser<'_> {
    /// `{ statements }`.
    pub(super) fn block(&mut self, annotations: Vec<Annotation>) -> PResult<Block> {
        self.deeper(|p| {
            let start = p.pos;
            let open = p.expect(TokenKind::LBrace)?;
            let mut stmts = Vec::new();
            p.items_until_brace(&mut stmts, &[], |p| p.stmt().map(Some));
            if p.eat(TokenKind::RBrace).is_none() {
                return Err(p.expected_in("`}`", open.loc, "this block is not closed"));
            }
            Ok(Block {
                annotations,
                stmts,
                loc: p.loc_from(start),
            })
        })
    }

    /// Statements of a parser state, up to `transition` or `}`.
    pub(super) fn state_stmts(&mut self) -> Vec<Handle<Stmt>> {
        let mut stmts = Vec::new();
        self.items_until_brace(&mut stmts, &[TokenKind::Transition], |p| p.stmt().map(Some));
        stmts
    }

    pub(super) fn stmt(&mut self) -> PResult<Handle<Stmt>> {
        self.deeper(|p| p.stmt_inner())
    }

    fn stmt_inner(&mut self) -> PResult<Handle<Stmt>> {
        use TokenKind::*;
        let start = self.pos;
        let annotations = self.annotations()?;
        if !annotations.is_empty() {
            if self.at(LBrace) {
                let b = self.block(annotations)?;
                return Ok(self.alloc_stmt(Stmt::Block(b), start));
            }
            if self.at(Const) || self.declaration_ahead() {
                let d = self.local_var(annotations, start, true)?;
                return Ok(self.alloc_stmt(Stmt::Decl(d), start));
            }
            return Err(self.expected("`{` or a declaration after annotations"));
        }
        let s = match self.peek() {
            LBrace => Stmt::Block(self.block(Vec::new())?),
            If => {
                self.bump();
                self.expect(LParen)?;
                let cond = self.expr()?;
                self.expect(RParen)?;
                let then = self.stmt()?;
                let otherwise = if self.eat(Else).is_some() {
                    Some(self.stmt()?)
                } else {
                    None
                };
                Stmt::If {
                    cond,
                    then,
                    otherwise,
                }
            }
            Switch => self.switch()?,
            Return => {
                self.bump();
                let value = if self.at(Semi) {
                    None
                } else {
                    Some(self.expr()?)
                };
                self.expect(Semi)?;
                Stmt::Return(value)
            }
            Exit => self.keyword_stmt(Stmt::Exit)?,
            Break => self.keyword_stmt(Stmt::Break)?,
            Continue => self.keyword_stmt(Stmt::Continue)?,
            Semi => {
                self.bump();
                Stmt::Empty
            }
            Const => Stmt::Decl(self.local_var(Vec::new(), start, true)?),
            For => self.for_stmt()?,
            _ if self.declaration_ahead() => Stmt::Decl(self.local_var(Vec::new(), start, true)?),
            _ => {
                let s = self.simple_stmt()?;
                self.expect(Semi)?;
                s
            }
        };
        Ok(self.alloc_stmt(s, start))
    }

    fn keyword_stmt(&mut self, s: Stmt) -> PResult<Stmt> {
        self.bump();
        self.expect(TokenKind::Semi)?;
        Ok(s)
    }

    /// Whether a local variable declaration starts here: a type keyword, a known type name
    /// not used as a value (`E.A`), or any type-shaped tokens followed by a name (`T x`,
    /// `H[2] hs`), which can never begin an expression statement.
    pub(super) fn declaration_ahead(&self) -> bool {
        use TokenKind::*;
        match self.peek() {
            Bit | Int_ | Varbit | Bool | String_ | MatchKind | Tuple | List => return true,
            Error => return self.peek_at(1) != Dot,
            _ => {}
        }
        if Self::is_name(self.peek())
            && self.is_type_name(self.text_of(self.tok_at(0)))
            && !matches!(self.peek_at(1), Dot | LParen | Assign)
        {
            return true;
        }
        self.scan_type(0, true)
            .is_some_and(|end| Self::is_name(self.peek_at(end)))
    }

    /// `[const] T name [= value]` and, with `semi`, the `;`.
    pub(super) fn local_var(
        &mut self,
        annotations: Vec<Annotation>,
        start: usize,
        semi: bool,
    ) -> PResult<Handle<Decl>> {
        let is_const = self.eat(TokenKind::Const).is_some();
        let ty = self.ty()?;
        let name = self.ident()?;
        let init = if self.eat(TokenKind::Assign).is_some() {
            Some(self.expr()?)
        } else if is_const {
            return Err(self.expected("`=` and the constant's value"));
        } else {
            None
        };
        if semi {
            self.expect(TokenKind::Semi)?;
        }
        let v = Var {
            annotations,
            ty,
            name,
            init,
        };
        let d = if is_const {
            Decl::Const(v)
        } else {
            Decl::Var(v)
        };
        let loc = self.loc_from(start);
        Ok(self.prog.decls.alloc(d, loc))
    }

    /// An assignment or a call, without its `;`.
    fn simple_stmt(&mut self) -> PResult<Stmt> {
        let lhs = self.expr()?;
        if self.eat(TokenKind::Assign).is_some() {
            let rhs = self.expr()?;
            return Ok(Stmt::Assign { lhs, rhs });
        }
        if matches!(self.prog.exprs[lhs], Expr::Call { .. }) {
            return Ok(Stmt::Call(lhs));
        }
        Err(self.expected("`=` or a call"))
    }

    fn switch(&mut self) -> PResult<Stmt> {
        self.expect(TokenKind::Switch)?;
        self.expect(TokenKind::LParen)?;
        let expr = self.expr()?;
        self.expect(TokenKind::RParen)?;
        let open = self.expect(TokenKind::LBrace)?;
        let mut cases = Vec::new();
        self.items_until_brace(&mut cases, &[], |p| p.switch_case().map(Some));
        if self.eat(TokenKind::RBrace).is_none() {
            return Err(self.expected_in("`}`", open.loc, "this switch is not closed"));
        }
        Ok(Stmt::Switch { expr, cases })
    }

    fn switch_case(&mut self) -> PResult<SwitchCase> {
        let start = self.pos;
        let label = if self.eat(TokenKind::Default).is_some() {
            SwitchLabel::Default
        } else {
            SwitchLabel::Expr(self.expr()?)
        };
        let label_loc = self.loc_from(start);
        self.expect(TokenKind::Colon)?;
        let body = if self.at(TokenKind::LBrace) {
            Some(self.block(Vec::new())?)
        } else {
            None
        };
        Ok(SwitchCase {
            label,
            label_loc,
            body,
            loc: self.loc_from(start),
        })
    }

    /// `for (init; cond; update) body` or `for (T x in e) body`.
    fn for_stmt(&mut self) -> PResult<Stmt> {
        use TokenKind::*;
        self.expect(For)?;
        self.expect(LParen)?;
        if self.for_in_ahead() {
            let annotations = self.annotations()?;
            let ty = if self.peek_at(1) == In {
                None
            } else {
                Some(self.ty()?)
            };
            let var = self.ident()?;
            self.expect(In)?;
            let cstart = self.pos;
            let mut collection = self.expr()?;
            if self.eat(Range).is_some() {
                let hi = self.expr()?;
                collection = self.alloc_expr(Expr::Range { lo: collection, hi }, cstart);
            }
            self.expect(RParen)?;
            let body = self.stmt()?;
            return Ok(Stmt::ForIn {
                annotations,
                ty,
                var,
                collection,
                body,
            });
        }
        let init = self.for_clause(Semi)?;
        self.expect(Semi)?;
        let cond = if self.at(Semi) {
            None
        } else {
            Some(self.expr()?)
        };
        self.expect(Semi)?;
        let update = self.for_clause(RParen)?;
        self.expect(RParen)?;
        let body = self.stmt()?;
        Ok(Stmt::For {
            init,
            cond,
            update,
            body,
        })
    }

    /// Whether `in` comes before the first `;` or `)` of a `for` header.
    fn for_in_ahead(&self) -> bool {
        let mut depth = 0usize;
        for j in 0..super::SCAN_LIMIT {
            match self.peek_at(j) {
                TokenKind::In if depth == 0 => return true,
                TokenKind::LParen | TokenKind::Lt | TokenKind::LBracket => depth += 1,
                TokenKind::RParen if depth == 0 => return false,
                TokenKind::RParen | TokenKind::Gt | TokenKind::RBracket => {
                    depth = depth.saturating_sub(1)
                }
                TokenKind::Semi | TokenKind::Eof | TokenKind::LBrace => return false,
                _ => {}
            }
        }
        false
    }

    /// Comma-separated declarations, assignments or calls up to `end` (not consumed).
    fn for_clause(&mut self, end: TokenKind) -> PResult<Vec<Handle<Stmt>>> {
        let mut out = Vec::new();
        while !self.at(end) {
            let start = self.pos;
            let s = if self.declaration_ahead() {
                Stmt::Decl(self.local_var(Vec::new(), start, false)?)
            } else {
                self.simple_stmt()?
            };
            out.push(self.alloc_stmt(s, start));
            if self.eat(TokenKind::Comma).is_none() {
                break;
            }
        }
        Ok(out)
    }
}

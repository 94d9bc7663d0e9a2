//! Declarations: top level, parser and control bodies, externs, tables.

use super::{Fail, PResult, Parser};
use crate::arena::Handle;
use crate::ast::{
    Action, ActionRef, Aggregate, Annotation, Control, Decl, Entry, Enum, EnumMember, Extern,
    Field, Function, Instance, KeyElement, Members, Method, MethodKind, Parser as ParserDecl,
    ParserState, SelectCase, Signature, Table, TableProperty, TablePropertyKind, Transition,
    TypeDecl, Typedef, TypedefTarget, ValueSet,
};
use crate::token::TokenKind;

impl Parser<'_> {
    pub(super) fn program(&mut self) {
        while !self.at(TokenKind::Eof) {
            let start = self.pos;
            match self.top_decl() {
                Ok(Some(d)) => self.prog.items.push(d),
                Ok(None) => {}
                Err(Fail) => {
                    self.recover(true);
                    if self.pos == start {
                        self.bump();
                    }
                }
            }
        }
    }

    fn alloc_decl(&mut self, d: Decl, start: usize) -> Handle<Decl> {
        let loc = self.loc_from(start);
        self.prog.decls.alloc(d, loc)
    }

    fn top_decl(&mut self) -> PResult<Option<Handle<Decl>>> {
        use TokenKind::*;
        let start = self.pos;
        let annotations = self.annotations()?;
        let d = match self.peek() {
            Semi if annotations.is_empty() => {
                self.bump();
                return Ok(None);
            }
            Const => return self.local_var(annotations, start, true).map(Some),
            Header | HeaderUnion | Struct => self.aggregate(annotations)?,
            Enum => self.enum_decl(annotations)?,
            Error if self.peek_at(1) == LBrace => {
                self.bump();
                Decl::Error(Members {
                    annotations,
                    members: self.ident_list_in_braces()?,
                })
            }
            MatchKind if self.peek_at(1) == LBrace => {
                self.bump();
                Decl::MatchKind(Members {
                    annotations,
                    members: self.ident_list_in_braces()?,
                })
            }
            Typedef | Type => self.typedef(annotations)?,
            Extern => self.extern_decl(annotations, start)?,
            Parser => self.parser_decl(annotations)?,
            Control => self.control_decl(annotations)?,
            Package => {
                self.bump();
                let ty = self.type_decl_head(annotations)?;
                self.pop_scope();
                self.expect(Semi)?;
                Decl::Package(ty)
            }
            Action => self.action(annotations)?,
            _ if self.scan_type(0, true).is_some() => {
                return self.typed_decl(annotations, start, true).map(Some);
            }
            _ => return Err(self.expected("a declaration")),
        };
        Ok(Some(self.alloc_decl(d, start)))
    }

    /// A declaration starting with a type: instantiation `T(args) name;`, function
    /// `T name(params) { }`, or (inside controls and parsers, `functions == false`) a variable.
    fn typed_decl(
        &mut self,
        annotations: Vec<Annotation>,
        start: usize,
        functions: bool,
    ) -> PResult<Handle<Decl>> {
        let ty = self.ty()?;
        if self.at(TokenKind::LParen) {
            let args = self.args()?;
            let name = self.ident()?;
            let initializer = if self.eat(TokenKind::Assign).is_some() {
                Some(self.initializer()?)
            } else {
                None
            };
            self.expect(TokenKind::Semi)?;
            let d = Decl::Instance(Instance {
                annotations,
                ty,
                args,
                name,
                initializer,
            });
            return Ok(self.alloc_decl(d, start));
        }
        let name = self.ident()?;
        if functions {
            let sig_start = start;
            let type_params = self.type_params()?;
            self.push_type_params(&type_params);
            let params = self.params();
            let params = match params {
                Ok(p) => p,
                Err(f) => {
                    self.pop_scope();
                    return Err(f);
                }
            };
            let signature = Signature {
                annotations,
                return_type: Some(ty),
                name,
                type_params,
                params,
                loc: self.loc_from(sig_start),
            };
            let body = self.block(Vec::new());
            self.pop_scope();
            let d = Decl::Function(Function {
                signature,
                body: body?,
            });
            return Ok(self.alloc_decl(d, start));
        }
        let init = if self.eat(TokenKind::Assign).is_some() {
            Some(self.expr()?)
        } else {
            None
        };
        self.expect(TokenKind::Semi)?;
        let d = Decl::Var(crate::ast::Var {
            annotations,
            ty,
            name,
            init,
        });
        Ok(self.alloc_decl(d, start))
    }

    /// `= { functions and instances }` of an instance with abstract methods.
    fn initializer(&mut self) -> PResult<Vec<Handle<Decl>>> {
        let open = self.expect(TokenKind::LBrace)?;
        let mut out = Vec::new();
        self.items_until_brace(&mut out, &[], |p| {
            let start = p.pos;
            let annotations = p.annotations()?;
            p.typed_decl(annotations, start, true).map(Some)
        });
        if self.eat(TokenKind::RBrace).is_none() {
            return Err(self.expected_in("`}`", open.loc, "this initializer is not closed"));
        }
        Ok(out)
    }

    fn aggregate(&mut self, annotations: Vec<Annotation>) -> PResult<Decl> {
        let kw = self.bump().kind;
        let name = self.ident()?;
        self.declare_type(&name.name);
        let type_params = self.type_params()?;
        self.push_type_params(&type_params);
        let fields = self.fields();
        self.pop_scope();
        let a = Aggregate {
            annotations,
            name,
            type_params,
            fields: fields?,
        };
        Ok(match kw {
            TokenKind::Header => Decl::Header(a),
            TokenKind::HeaderUnion => Decl::HeaderUnion(a),
            _ => Decl::Struct(a),
        })
    }

    fn fields(&mut self) -> PResult<Vec<Field>> {
        let open = self.expect(TokenKind::LBrace)?;
        let mut fields = Vec::new();
        self.items_until_brace(&mut fields, &[], |p| {
            let start = p.pos;
            let annotations = p.annotations()?;
            let ty = p.ty()?;
            let name = p.ident()?;
            p.expect(TokenKind::Semi)?;
            Ok(Some(Field {
                annotations,
                ty,
                name,
                loc: p.loc_from(start),
            }))
        });
        if self.eat(TokenKind::RBrace).is_none() {
            return Err(self.expected_in("`}`", open.loc, "these fields are not closed"));
        }
        Ok(fields)
    }

    fn enum_decl(&mut self, annotations: Vec<Annotation>) -> PResult<Decl> {
        self.expect(TokenKind::Enum)?;
        let repr = if Self::is_name(self.peek()) && self.peek_at(1) == TokenKind::LBrace {
            None
        } else {
            Some(self.ty()?)
        };
        let name = self.ident()?;
        self.declare_type(&name.name);
        self.expect(TokenKind::LBrace)?;
        let mut members = Vec::new();
        while !self.at(TokenKind::RBrace) {
            let start = self.pos;
            let annotations = self.annotations()?;
            let name = self.ident()?;
            let value = if self.eat(TokenKind::Assign).is_some() {
                Some(self.expr()?)
            } else {
                None
            };
            members.push(EnumMember {
                annotations,
                name,
                value,
                loc: self.loc_from(start),
            });
            if self.eat(TokenKind::Comma).is_none() {
                break;
            }
        }
        if self.eat(TokenKind::RBrace).is_none() {
            return Err(self.expected("`,` or `}`"));
        }
        Ok(Decl::Enum(Enum {
            annotations,
            name,
            repr,
            members,
        }))
    }

    fn typedef(&mut self, annotations: Vec<Annotation>) -> PResult<Decl> {
        let is_new_type = self.bump().kind == TokenKind::Type;
        let target = match self.peek() {
            TokenKind::Header | TokenKind::HeaderUnion | TokenKind::Struct | TokenKind::Enum => {
                let start = self.pos;
                let d = if self.at(TokenKind::Enum) {
                    self.enum_decl(Vec::new())?
                } else {
                    self.aggregate(Vec::new())?
                };
                TypedefTarget::Decl(self.alloc_decl(d, start))
            }
            _ => TypedefTarget::Type(self.ty()?),
        };
        let name = self.ident()?;
        self.declare_type(&name.name);
        self.expect(TokenKind::Semi)?;
        Ok(Decl::Typedef(Typedef {
            annotations,
            is_new_type,
            target,
            name,
        }))
    }

    /// `extern Name<T> { methods }` or `extern T f<U>(params);`.
    fn extern_decl(&mut self, annotations: Vec<Annotation>, start: usize) -> PResult<Decl> {
        self.expect(TokenKind::Extern)?;
        let mut after_name = 1;
        if self.peek_at(1) == TokenKind::Lt {
            match self.skip_balanced(1, TokenKind::Lt, TokenKind::Gt) {
                Some(end) => after_name = end,
                None => return Err(self.expected("an extern declaration")),
            }
        }
        let is_object = Self::is_name(self.peek()) && self.peek_at(after_name) == TokenKind::LBrace;
        if !is_object {
            let sig = self.signature(annotations, start)?;
            self.expect(TokenKind::Semi)?;
            return Ok(Decl::ExternFunction(sig));
        }
        let name = self.ident()?;
        self.declare_type(&name.name);
        let type_params = self.type_params()?;
        self.push_type_params(&type_params);
        let methods = self.methods(&name.name);
        self.pop_scope();
        Ok(Decl::Extern(Extern {
            annotations,
            name,
            type_params,
            methods: methods?,
        }))
    }

    fn methods(&mut self, extern_name: &str) -> PResult<Vec<Method>> {
        let open = self.expect(TokenKind::LBrace)?;
        let mut methods = Vec::new();
        self.items_until_brace(&mut methods, &[], |p| {
            let start = p.pos;
            let annotations = p.annotations()?;
            let abstract_ = p.eat(TokenKind::Abstract).is_some();
            let is_ctor = !abstract_
                && Self::is_name(p.peek())
                && p.text_of(p.tok_at(0)) == extern_name
                && p.peek_at(1) == TokenKind::LParen;
            let m = if is_ctor {
                let name = p.ident()?;
                let params = p.params()?;
                Method {
                    kind: MethodKind::Constructor,
                    signature: Signature {
                        annotations,
                        return_type: None,
                        name,
                        type_params: Vec::new(),
                        params,
                        loc: p.loc_from(start),
                    },
                }
            } else {
                Method {
                    kind: if abstract_ {
                        MethodKind::Abstract
                    } else {
                        MethodKind::Normal
                    },
                    signature: p.signature(annotations, start)?,
                }
            };
            p.expect(TokenKind::Semi)?;
            Ok(Some(m))
        });
        if self.eat(TokenKind::RBrace).is_none() {
            return Err(self.expected_in("`}`", open.loc, "this extern is not closed"));
        }
        Ok(methods)
    }

    /// `T name<U>(params)`. The return type may name type parameters declared after it.
    fn signature(&mut self, annotations: Vec<Annotation>, start: usize) -> PResult<Signature> {
        let return_type = self.ty()?;
        let name = self.ident()?;
        let type_params = self.type_params()?;
        self.push_type_params(&type_params);
        let params = self.params();
        self.pop_scope();
        Ok(Signature {
            annotations,
            return_type: Some(return_type),
            name,
            type_params,
            params: params?,
            loc: self.loc_from(start),
        })
    }

    /// `name<T>(params)` of a parser, control or package, leaving the type parameters in
    /// scope (the caller pops them).
    fn type_decl_head(&mut self, annotations: Vec<Annotation>) -> PResult<TypeDecl> {
        let name = self.ident()?;
        self.declare_type(&name.name);
        let type_params = self.type_params()?;
        self.push_type_params(&type_params);
        let params = match self.params() {
            Ok(p) => p,
            Err(f) => {
                self.pop_scope();
                return Err(f);
            }
        };
        Ok(TypeDecl {
            annotations,
            name,
            type_params,
            params,
        })
    }

    fn parser_decl(&mut self, annotations: Vec<Annotation>) -> PResult<Decl> {
        self.expect(TokenKind::Parser)?;
        let ty = self.type_decl_head(annotations)?;
        let r = self.parser_rest(ty);
        self.pop_scope();
        r
    }

    fn parser_rest(&mut self, ty: TypeDecl) -> PResult<Decl> {
        if self.eat(TokenKind::Semi).is_some() {
            return Ok(Decl::ParserType(ty));
        }
        let ctor_params = if self.at(TokenKind::LParen) {
            self.params()?
        } else {
            Vec::new()
        };
        let open = self.expect(TokenKind::LBrace)?;
        let mut locals = Vec::new();
        self.items_until_brace(&mut locals, &[TokenKind::State], |p| {
            p.parser_local().map(Some)
        });
        let mut states = Vec::new();
        self.items_until_brace(&mut states, &[], |p| p.state().map(Some));
        if self.eat(TokenKind::RBrace).is_none() {
            return Err(self.expected_in("`}`", open.loc, "this parser is not closed"));
        }
        Ok(Decl::Parser(ParserDecl {
            ty,
            ctor_params,
            locals,
            states,
        }))
    }

    fn parser_local(&mut self) -> PResult<Handle<Decl>> {
        let start = self.pos;
        let annotations = self.annotations()?;
        match self.peek() {
            TokenKind::Const => self.local_var(annotations, start, true),
            TokenKind::ValueSet => {
                self.bump();
                self.expect(TokenKind::Lt)?;
                let elem = self.ty()?;
                self.expect(TokenKind::Gt)?;
                self.expect(TokenKind::LParen)?;
                let size = self.expr()?;
                self.expect(TokenKind::RParen)?;
                let name = self.ident()?;
                self.expect(TokenKind::Semi)?;
                let d = Decl::ValueSet(ValueSet {
                    annotations,
                    elem,
                    size,
                    name,
                });
                Ok(self.alloc_decl(d, start))
            }
            _ if self.scan_type(0, true).is_some() => self.typed_decl(annotations, start, false),
            _ => Err(self.expected("a declaration or `state`")),
        }
    }

    fn state(&mut self) -> PResult<ParserState> {
        let start = self.pos;
        let annotations = self.annotations()?;
        if self.eat(TokenKind::State).is_none() {
            return Err(self.expected("`state`"));
        }
        let name = self.ident()?;
        let open = self.expect(TokenKind::LBrace)?;
        let stmts = self.state_stmts();
        let (transition, transition_loc) = if self.at(TokenKind::Transition) {
            let tstart = self.pos;
            match self.transition() {
                Ok(t) => (Some(t), Some(self.loc_from(tstart))),
                Err(Fail) => {
                    // Stay inside the state so that its `}` is not taken for the parser's.
                    self.recover(false);
                    (None, None)
                }
            }
        } else {
            (None, None)
        };
        if self.eat(TokenKind::RBrace).is_none() {
            return Err(self.expected_in("`}`", open.loc, "this state is not closed"));
        }
        Ok(ParserState {
            annotations,
            name,
            stmts,
            transition,
            transition_loc,
            loc: self.loc_from(start),
        })
    }

    fn transition(&mut self) -> PResult<Transition> {
        self.expect(TokenKind::Transition)?;
        if self.eat(TokenKind::Select).is_none() {
            let next = self.ident()?;
            self.expect(TokenKind::Semi)?;
            return Ok(Transition::Direct(next));
        }
        self.expect(TokenKind::LParen)?;
        let mut exprs = Vec::new();
        loop {
            exprs.push(self.expr()?);
            if self.eat(TokenKind::Comma).is_none() {
                break;
            }
        }
        if self.eat(TokenKind::RParen).is_none() {
            return Err(self.expected("`,` or `)`"));
        }
        let open = self.expect(TokenKind::LBrace)?;
        let mut cases = Vec::new();
        self.items_until_brace(&mut cases, &[], |p| {
            let start = p.pos;
            let annotations = p.annotations()?;
            let kstart = p.pos;
            let keyset = p.keyset()?;
            let keyset_loc = p.loc_from(kstart);
            p.expect(TokenKind::Colon)?;
            let next = p.ident()?;
            p.expect(TokenKind::Semi)?;
            Ok(Some(SelectCase {
                annotations,
                keyset,
                keyset_loc,
                next,
                loc: p.loc_from(start),
            }))
        });
        if self.eat(TokenKind::RBrace).is_none() {
            return Err(self.expected_in("`}`", open.loc, "this select is not closed"));
        }
        // `transition select(...) { ... };` is common; the `;` is an empty statement.
        self.eat(TokenKind::Semi);
        Ok(Transition::Select { exprs, cases })
    }

    fn control_decl(&mut self, annotations: Vec<Annotation>) -> PResult<Decl> {
        self.expect(TokenKind::Control)?;
        let ty = self.type_decl_head(annotations)?;
        let r = self.control_rest(ty);
        self.pop_scope();
        r
    }

    fn control_rest(&mut self, ty: TypeDecl) -> PResult<Decl> {
        if self.eat(TokenKind::Semi).is_some() {
            return Ok(Decl::ControlType(ty));
        }
        let ctor_params = if self.at(TokenKind::LParen) {
            self.params()?
        } else {
            Vec::new()
        };
        let open = self.expect(TokenKind::LBrace)?;
        let mut locals = Vec::new();
        self.items_until_brace(&mut locals, &[TokenKind::Apply], |p| {
            p.control_local().map(Some)
        });
        if self.eat(TokenKind::Apply).is_none() {
            return Err(self.expected_in("`apply`", open.loc, "in this control"));
        }
        let apply = self.block(Vec::new())?;
        if self.eat(TokenKind::RBrace).is_none() {
            return Err(self.expected_in("`}`", open.loc, "this control is not closed"));
        }
        Ok(Decl::Control(Control {
            ty,
            ctor_params,
            locals,
            apply,
        }))
    }

    fn control_local(&mut self) -> PResult<Handle<Decl>> {
        let start = self.pos;
        let annotations = self.annotations()?;
        match self.peek() {
            TokenKind::Const => self.local_var(annotations, start, true),
            TokenKind::Action => {
                let d = self.action(annotations)?;
                Ok(self.alloc_decl(d, start))
            }
            TokenKind::Table => {
                let d = self.table(annotations)?;
                Ok(self.alloc_decl(d, start))
            }
            _ if self.scan_type(0, true).is_some() => self.typed_decl(annotations, start, false),
            _ => Err(self.expected("a declaration or `apply`")),
        }
    }

    fn action(&mut self, annotations: Vec<Annotation>) -> PResult<Decl> {
        self.expect(TokenKind::Action)?;
        let name = self.ident()?;
        let params = self.params()?;
        let body = self.block(Vec::new())?;
        Ok(Decl::Action(Action {
            annotations,
            name,
            params,
            body,
        }))
    }

    fn table(&mut self, annotations: Vec<Annotation>) -> PResult<Decl> {
        self.expect(TokenKind::Table)?;
        let name = self.ident()?;
        let open = self.expect(TokenKind::LBrace)?;
        let mut properties = Vec::new();
        self.items_until_brace(&mut properties, &[], |p| p.table_property().map(Some));
        if self.eat(TokenKind::RBrace).is_none() {
            return Err(self.expected_in("`}`", open.loc, "this table is not closed"));
        }
        Ok(Decl::Table(Table {
            annotations,
            name,
            properties,
        }))
    }

    fn table_property(&mut self) -> PResult<TableProperty> {
        let start = self.pos;
        let annotations = self.annotations()?;
        let is_const = self.eat(TokenKind::Const).is_some();
        let name = self.member_name()?;
        self.expect(TokenKind::Assign)?;
        let kind = match name.name.as_str() {
            "key" => {
                let open = self.expect(TokenKind::LBrace)?;
                let mut keys = Vec::new();
                self.items_until_brace(&mut keys, &[], |p| p.key_element().map(Some));
                if self.eat(TokenKind::RBrace).is_none() {
                    return Err(self.expected_in("`}`", open.loc, "this key is not closed"));
                }
                TablePropertyKind::Key(keys)
            }
            "actions" => {
                let open = self.expect(TokenKind::LBrace)?;
                let mut actions = Vec::new();
                self.items_until_brace(&mut actions, &[], |p| {
                    let a = p.action_ref()?;
                    p.expect(TokenKind::Semi)?;
                    Ok(Some(a))
                });
                if self.eat(TokenKind::RBrace).is_none() {
                    return Err(self.expected_in("`}`", open.loc, "these actions are not closed"));
                }
                TablePropertyKind::Actions(actions)
            }
            "entries" => {
                let open = self.expect(TokenKind::LBrace)?;
                let mut entries = Vec::new();
                self.items_until_brace(&mut entries, &[], |p| p.entry().map(Some));
                if self.eat(TokenKind::RBrace).is_none() {
                    return Err(self.expected_in("`}`", open.loc, "these entries are not closed"));
                }
                TablePropertyKind::Entries(entries)
            }
            _ => {
                let value = self.expr()?;
                self.expect(TokenKind::Semi)?;
                TablePropertyKind::Value(value)
            }
        };
        // `key = { ... };` with a stray `;` is accepted by p4c too.
        if !matches!(kind, TablePropertyKind::Value(_)) {
            self.eat(TokenKind::Semi);
        }
        Ok(TableProperty {
            annotations,
            is_const,
            name,
            kind,
            loc: self.loc_from(start),
        })
    }

    fn key_element(&mut self) -> PResult<KeyElement> {
        let start = self.pos;
        let expr = self.expr()?;
        self.expect(TokenKind::Colon)?;
        let match_kind = self.ident()?;
        let annotations = self.annotations()?;
        self.expect(TokenKind::Semi)?;
        Ok(KeyElement {
            expr,
            match_kind,
            annotations,
            loc: self.loc_from(start),
        })
    }

    /// `@annotations name` or `name(args)`.
    fn action_ref(&mut self) -> PResult<ActionRef> {
        let start = self.pos;
        let annotations = self.annotations()?;
        let name = self.path()?;
        let args = if self.at(TokenKind::LParen) {
            Some(self.args()?)
        } else {
            None
        };
        Ok(ActionRef {
            annotations,
            name,
            args,
            loc: self.loc_from(start),
        })
    }

    /// `[const] [priority = N :] keyset : action(args) [annotations];`
    fn entry(&mut self) -> PResult<Entry> {
        let start = self.pos;
        let mut annotations = self.annotations()?;
        let is_const = self.eat(TokenKind::Const).is_some();
        let priority = if self.eat(TokenKind::Priority).is_some() {
            self.expect(TokenKind::Assign)?;
            let p = self.primary_expr()?;
            self.expect(TokenKind::Colon)?;
            Some(p)
        } else {
            None
        };
        let kstart = self.pos;
        let keyset = self.keyset()?;
        let keyset_loc = self.loc_from(kstart);
        self.expect(TokenKind::Colon)?;
        let action = self.action_ref()?;
        annotations.extend(self.annotations()?);
        self.expect(TokenKind::Semi)?;
        Ok(Entry {
            annotations,
            is_const,
            priority,
            keyset,
            keyset_loc,
            action,
            loc: self.loc_from(start),
        })
    }
}

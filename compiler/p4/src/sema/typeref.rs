//! Resolving written types ([`TypeRef`]) to interned [`TypeId`]s.

use crate::ast::{Decl, Expr, Handle, Loc, Path, TypeRef};

use super::error::ErrorKind;
use super::ty::{Type, TypeId};
use super::value::{MAX_WIDTH, to_u32};
use super::{Checker, Def, decl_kind};

impl Checker<'_> {
    /// Resolves `t` and records the result in [`super::Checked::type_refs`].
    pub(super) fn type_ref(&mut self, t: Handle<TypeRef>) -> TypeId {
        let id = self.resolve_type(t);
        self.out.type_refs[t.index()] = id;
        id
    }

    fn resolve_type(&mut self, t: Handle<TypeRef>) -> TypeId {
        let p = self.p;
        let loc = p.types.loc(t);
        match &p.types[t] {
            TypeRef::Bool => TypeId::BOOL,
            TypeRef::Error => TypeId::ERROR,
            TypeRef::MatchKind => TypeId::MATCH_KIND,
            TypeRef::String => TypeId::STRING,
            TypeRef::Void => TypeId::VOID,
            TypeRef::InfInt => TypeId::INF_INT,
            TypeRef::DontCare => TypeId::DONT_CARE,
            TypeRef::Bit(None) => self.ty(Type::Bit(1)),
            TypeRef::Bit(Some(w)) => match self.width(*w, 0) {
                Some(w) => self.ty(Type::Bit(w)),
                None => TypeId::UNKNOWN,
            },
            TypeRef::SignedInt(w) => match self.width(*w, 1) {
                Some(w) => self.ty(Type::Int(w)),
                None => TypeId::UNKNOWN,
            },
            TypeRef::Varbit(w) => match self.width(*w, 0) {
                Some(w) => self.ty(Type::Varbit(w)),
                None => TypeId::UNKNOWN,
            },
            TypeRef::Name(path) => {
                let id = self.named_type(path, &[], loc);
                // A typedef of a specialised generic type keeps its type arguments.
                if let Some(&(Def::Decl(h), _)) = self.lookup(path).and_then(|d| d.first())
                    && let Decl::Typedef(td) = &p.decls[h]
                    && let crate::ast::TypedefTarget::Type(r) = &td.target
                    && let Some(args) = self.spec_refs.get(r).cloned()
                {
                    self.spec_refs.insert(t, args);
                }
                id
            }
            TypeRef::Specialized { base, args } => {
                let args: Vec<TypeId> = args.iter().map(|a| self.type_ref(*a)).collect();
                let id = self.named_type(base, &args, loc);
                if matches!(
                    self.get(id),
                    Type::Struct(_) | Type::Header(_) | Type::HeaderUnion(_)
                ) {
                    self.spec_refs.insert(t, args);
                }
                id
            }
            TypeRef::Stack { elem, size } => {
                let elem_ty = self.type_ref(*elem);
                let size = self.positive_const(*size);
                match self.get(elem_ty) {
                    Type::Header(_) | Type::HeaderUnion(_) | Type::Struct(_) | Type::Unknown => {}
                    _ => {
                        let found = self.display(elem_ty);
                        self.err(
                            ErrorKind::BadMemberType {
                                expected: "a header, header union or struct",
                                container: "a stack".into(),
                                found,
                            },
                            p.types.loc(*elem),
                        );
                        return TypeId::UNKNOWN;
                    }
                }
                match size {
                    Some(size) => self.ty(Type::Stack {
                        elem: elem_ty,
                        size,
                    }),
                    None => TypeId::UNKNOWN,
                }
            }
            TypeRef::Tuple(items) => {
                let items: Vec<TypeId> = items.iter().map(|a| self.type_ref(*a)).collect();
                self.ty(Type::Tuple(items))
            }
            TypeRef::List(elem) => {
                let elem = self.type_ref(*elem);
                self.ty(Type::List(elem))
            }
        }
    }

    /// A width of `bit<W>`, `int<W>` or `varbit<W>`: a constant in `min..=MAX_WIDTH`.
    fn width(&mut self, e: Handle<Expr>, min: u32) -> Option<u32> {
        self.expr(e, None);
        let v = self.const_int(e)?;
        match to_u32(&v).filter(|w| (min..=MAX_WIDTH).contains(w)) {
            Some(w) => Some(w),
            None => {
                self.err(
                    ErrorKind::BadWidth {
                        min,
                        max: MAX_WIDTH,
                        found: v.to_string(),
                    },
                    self.p.exprs.loc(e),
                );
                None
            }
        }
    }

    /// A compile-time integer of at least 1 that fits `u32` (stack sizes, value set sizes).
    pub(super) fn positive_const(&mut self, e: Handle<Expr>) -> Option<u32> {
        self.expr(e, None);
        let v = self.const_int(e)?;
        match to_u32(&v).filter(|n| *n >= 1) {
            Some(n) => Some(n),
            None => {
                self.err(
                    ErrorKind::Mismatch {
                        expected: "a positive integer".into(),
                        found: v.to_string(),
                    },
                    self.p.exprs.loc(e),
                );
                None
            }
        }
    }

    /// The type a name denotes, with type arguments `args` (empty when none were written).
    fn named_type(&mut self, path: &Path, args: &[TypeId], loc: Loc) -> TypeId {
        let Some(&(def, _)) = self.lookup(path).and_then(|d| d.first()) else {
            self.undefined("type", &path.name);
            return TypeId::UNKNOWN;
        };
        let Def::Decl(h) = def else {
            if let Def::TypeParam(v) = def {
                return self.ty(Type::Var(v));
            }
            self.err(
                ErrorKind::NotAType {
                    name: path.name.name.clone(),
                    found: "value",
                },
                path.name.loc,
            );
            return TypeId::UNKNOWN;
        };
        let p = self.p;
        let decl = &p.decls[h];
        let params = match decl {
            Decl::Extern(e) => e.type_params.len(),
            Decl::ParserType(t) | Decl::ControlType(t) | Decl::Package(t) => t.type_params.len(),
            Decl::Parser(x) => x.ty.type_params.len(),
            Decl::Control(x) => x.ty.type_params.len(),
            Decl::Header(a) | Decl::HeaderUnion(a) | Decl::Struct(a) => a.type_params.len(),
            _ => 0,
        };
        if !args.is_empty() && args.len() != params {
            self.err(
                ErrorKind::TypeArgCount {
                    expected: params,
                    found: args.len(),
                },
                loc,
            );
            return TypeId::UNKNOWN;
        }
        // A generic struct, header or union has no constructor to infer its arguments from.
        if args.is_empty()
            && params > 0
            && matches!(
                decl,
                Decl::Header(_) | Decl::HeaderUnion(_) | Decl::Struct(_)
            )
        {
            self.err(
                ErrorKind::TypeArgCount {
                    expected: params,
                    found: 0,
                },
                loc,
            );
            return TypeId::UNKNOWN;
        }
        // Without written arguments the type keeps its own parameters, to be inferred from a
        // constructor call or a package argument.
        let args: Vec<TypeId> = if args.is_empty() {
            (0..params)
                .map(|i| {
                    self.ty(Type::Var(super::VarId {
                        owner: h,
                        method: None,
                        index: i as u32,
                    }))
                })
                .collect()
        } else {
            args.to_vec()
        };
        match decl {
            Decl::Typedef(_) => self.out.decls[h.index()].ty.unwrap_or(TypeId::UNKNOWN),
            Decl::Header(_) => self.ty(Type::Header(h)),
            Decl::HeaderUnion(_) => self.ty(Type::HeaderUnion(h)),
            Decl::Struct(_) => self.ty(Type::Struct(h)),
            Decl::Enum(_) => self.ty(Type::Enum(h)),
            Decl::Extern(_) => self.ty(Type::Extern { decl: h, args }),
            Decl::ParserType(_) | Decl::Parser(_) => self.ty(Type::Parser { decl: h, args }),
            Decl::ControlType(_) | Decl::Control(_) => self.ty(Type::Control { decl: h, args }),
            Decl::Package(_) => self.ty(Type::Package { decl: h, args }),
            other => {
                self.err(
                    ErrorKind::NotAType {
                        name: path.name.name.clone(),
                        found: decl_kind(other),
                    },
                    path.name.loc,
                );
                TypeId::UNKNOWN
            }
        }
    }
}

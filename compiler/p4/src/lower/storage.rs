//! Storage of P4 values in the pipeline IR.
//!
//! Headers become header instances, header stacks and unions groups of instances, and every
//! scalar (`bit`, `int`, `bool`, `error`, enums) a field of a metadata instance (an [`Area`]):
//! user metadata, `standard_metadata` and one area per parser or control for its locals, as
//! p4c's `scalars`. Structs and tuples have no storage of their own: a [`Place`] for them is
//! the tree of their members' places.

use ddsr_pipeline::Handle as IrHandle;
use ddsr_pipeline::types::{Field, FieldRef, Header, HeaderRef, HeaderType, Stack, Ty, Union};

use super::{Error, ErrorKind, Lowerer, Result};
use crate::ast::{Decl, Handle, Loc, TypedefTarget};
use crate::sema::{Type, TypeId};

/// Where a P4 value lives.
#[derive(Debug, Clone)]
pub(super) enum Place {
    /// A scalar field; `slice` narrows it to bits `hi..=lo`.
    Scalar {
        field: FieldRef,
        ty: Ty,
        slice: Option<(u16, u16)>,
    },
    Header {
        header: HeaderRef,
        ty: IrHandle<HeaderType>,
        decl: Handle<Decl>,
    },
    Struct(Vec<(String, Place)>),
    Stack {
        stack: IrHandle<Stack>,
        elements: Vec<Place>,
    },
    Union {
        union: IrHandle<Union>,
        members: Vec<(String, Place)>,
    },
}

/// What a name stands for while lowering.
#[derive(Debug, Clone)]
pub(super) enum Binding {
    Place(Place),
    /// A constant argument of an inlined call.
    Value(ddsr_pipeline::Expr, Ty),
    /// Directionless parameter `index` of the IR action being lowered, of P4 type `ty`.
    ActionParam {
        index: u16,
        ty: Ty,
    },
    /// The `packet_in`/`packet_out` parameter.
    Packet,
    Extern(IrHandle<ddsr_pipeline::externs::Extern>),
    ValueSet(IrHandle<ddsr_pipeline::program::ValueSet>),
    /// An instance of an extern that has no state in the IR (`Checksum16`).
    Stateless,
    /// TNA's `Hash<W>`: each `get` is a hash into a fresh `W`-bit field.
    TnaHash {
        algorithm: ddsr_pipeline::externs::HashAlgorithm,
        ty: Ty,
    },
    /// TNA's `Random<W>`.
    TnaRandom {
        ty: Ty,
    },
    /// TNA's `Checksum`, with its ones'-complement accumulator.
    TnaChecksum {
        acc: FieldRef,
    },
    /// TNA's `RegisterAction` instance `action` on register `register`.
    TnaRegisterAction {
        register: IrHandle<ddsr_pipeline::externs::Extern>,
        action: Handle<Decl>,
    },
}

/// A metadata instance collecting scalars, created on its first field.
#[derive(Debug, Clone)]
pub(super) struct Area {
    pub instance: String,
    pub type_name: String,
    pub slot: Option<(IrHandle<Header>, IrHandle<HeaderType>)>,
}

impl Area {
    pub fn new(instance: impl Into<String>, type_name: impl Into<String>) -> Self {
        Area {
            instance: instance.into(),
            type_name: type_name.into(),
            slot: None,
        }
    }
}

impl Lowerer<'_> {
    /// The IR type of a scalar P4 type; `None` for aggregates and compile-time-only types.
    pub(super) fn scalar_ty(&self, t: TypeId, loc: Loc) -> Result<Option<Ty>> {
        let wide = |what: &str, w: u32, max: u16| {
            Error::new(
                ErrorKind::TooWide {
                    what: what.to_string(),
                    width: w,
                    max: u32::from(max),
                },
                loc,
            )
        };
        let max = ddsr_pipeline::value::MAX_WIDTH;
        Ok(Some(match self.c.types.get(t) {
            Type::Bool => Ty::Bool,
            Type::Bit(w) => Ty::Bit(
                u16::try_from(*w)
                    .ok()
                    .filter(|w| *w <= max)
                    .ok_or_else(|| wide("a `bit` value", *w, max))?,
            ),
            Type::Int(w) => Ty::Int(
                u16::try_from(*w)
                    .ok()
                    .filter(|w| *w <= max)
                    .ok_or_else(|| wide("an `int` value", *w, max))?,
            ),
            Type::Varbit(w) => {
                let vmax = ddsr_pipeline::value::MAX_VARBIT_WIDTH;
                Ty::Varbit(
                    u16::try_from(*w)
                        .ok()
                        .filter(|w| *w <= vmax)
                        .ok_or_else(|| wide("a `varbit` field", *w, vmax))?,
                )
            }
            Type::Error => Ty::Bit(ddsr_pipeline::program::ERROR_WIDTH),
            Type::Enum(d) => match &self.p.decls[*d] {
                Decl::Enum(e) => match e.repr {
                    Some(r) => return self.scalar_ty(self.c.type_ref(r), loc),
                    None => Ty::Bit(32),
                },
                _ => return Ok(None),
            },
            Type::NewType(d) => match &self.p.decls[*d] {
                Decl::Typedef(td) => match td.target {
                    TypedefTarget::Type(r) => return self.scalar_ty(self.c.type_ref(r), loc),
                    TypedefTarget::Decl(_) => return Ok(None),
                },
                _ => return Ok(None),
            },
            _ => return Ok(None),
        }))
    }

    /// The fields of a header, struct or union declaration with their types.
    pub(super) fn fields_of(&self, d: Handle<Decl>) -> Vec<(String, TypeId, Loc)> {
        match &self.p.decls[d] {
            Decl::Header(a) | Decl::Struct(a) | Decl::HeaderUnion(a) => a
                .fields
                .iter()
                .map(|f| (f.name.name.clone(), self.c.type_ref(f.ty), f.loc))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn decl_name(&self, d: Handle<Decl>) -> String {
        self.p.decls[d]
            .name()
            .map(|n| n.name.clone())
            .unwrap_or_default()
    }

    /// The IR layout of header declaration `d`, made once.
    pub(super) fn header_type(&mut self, d: Handle<Decl>) -> Result<IrHandle<HeaderType>> {
        if let Some(h) = self.header_type_of.get(&d) {
            return Ok(*h);
        }
        let mut fields = Vec::new();
        for (name, t, loc) in self.fields_of(d) {
            match self.scalar_ty(t, loc)? {
                Some(ty) => fields.push(Field { name, ty }),
                None => {
                    return Err(Error::unsupported(
                        format!("header field `{name}` of a struct or header type"),
                        loc,
                    ));
                }
            }
        }
        let h = self.header_types.append(HeaderType {
            name: self.decl_name(d),
            fields,
        });
        self.header_type_of.insert(d, h);
        Ok(h)
    }

    /// A new field named `name` in `area` (suffixed to stay unique).
    pub(super) fn slot(&mut self, area: &mut Area, name: &str, ty: Ty) -> FieldRef {
        let (header, ht) = match area.slot {
            Some(s) => s,
            None => {
                let ht = self.header_types.append(HeaderType {
                    name: area.type_name.clone(),
                    fields: Vec::new(),
                });
                let h = self.headers.append(Header {
                    name: area.instance.clone(),
                    ty: ht,
                    metadata: true,
                });
                area.slot = Some((h, ht));
                (h, ht)
            }
        };
        let fields = &mut self.header_types[ht].fields;
        let mut unique = name.to_string();
        let mut n = 1;
        while fields.iter().any(|f| f.name == unique) {
            unique = format!("{name}_{n}");
            n += 1;
        }
        fields.push(Field { name: unique, ty });
        let index = u16::try_from(fields.len() - 1).unwrap_or(u16::MAX);
        FieldRef::new(header, index)
    }

    /// Storage for a value of type `t`: header instances named from `instance`, scalars as
    /// fields of `area` named from `field`.
    pub(super) fn alloc(
        &mut self,
        area: &mut Area,
        instance: &str,
        field: &str,
        t: TypeId,
        loc: Loc,
    ) -> Result<Place> {
        let t = self.concrete(t);
        if let Some(ty) = self.scalar_ty(t, loc)? {
            if matches!(ty, Ty::Varbit(_)) {
                return Err(Error::unsupported("a `varbit` value outside a header", loc));
            }
            return Ok(Place::Scalar {
                field: self.slot(area, field, ty),
                ty,
                slice: None,
            });
        }
        let join = |a: &str, b: &str| {
            if a.is_empty() {
                b.to_string()
            } else {
                format!("{a}.{b}")
            }
        };
        match self.c.types.get(t).clone() {
            Type::Header(d) => {
                let ty = self.header_type(d)?;
                let h = self.headers.append(Header {
                    name: instance.to_string(),
                    ty,
                    metadata: false,
                });
                Ok(Place::Header {
                    header: HeaderRef::Instance(h),
                    ty,
                    decl: d,
                })
            }
            Type::Struct(d) => {
                let mut members = Vec::new();
                for (name, ft, floc) in self.fields_of(d) {
                    let place =
                        self.alloc(area, &join(instance, &name), &join(field, &name), ft, floc)?;
                    members.push((name, place));
                }
                Ok(Place::Struct(members))
            }
            Type::Tuple(ts) => {
                let mut members = Vec::new();
                for (i, ft) in ts.iter().enumerate() {
                    let name = i.to_string();
                    let place =
                        self.alloc(area, &join(instance, &name), &join(field, &name), *ft, loc)?;
                    members.push((name, place));
                }
                Ok(Place::Struct(members))
            }
            Type::Stack { elem, size } => {
                if !matches!(self.c.types.get(elem), Type::Header(_)) {
                    return Err(Error::unsupported("a stack of non-header elements", loc));
                }
                let mut elements = Vec::new();
                let mut handles = Vec::new();
                for i in 0..size {
                    let place = self.alloc(
                        area,
                        &format!("{instance}[{i}]"),
                        &format!("{field}[{i}]"),
                        elem,
                        loc,
                    )?;
                    if let Place::Header {
                        header: HeaderRef::Instance(h),
                        ..
                    } = place
                    {
                        handles.push(h);
                    }
                    elements.push(place);
                }
                let stack = self.stacks.append(Stack {
                    name: instance.to_string(),
                    elements: handles,
                });
                Ok(Place::Stack { stack, elements })
            }
            Type::HeaderUnion(d) => {
                let mut members = Vec::new();
                let mut handles = Vec::new();
                for (name, ft, floc) in self.fields_of(d) {
                    let place =
                        self.alloc(area, &join(instance, &name), &join(field, &name), ft, floc)?;
                    if let Place::Header {
                        header: HeaderRef::Instance(h),
                        ..
                    } = place
                    {
                        handles.push(h);
                    }
                    members.push((name, place));
                }
                let union = self.unions.append(Union {
                    name: instance.to_string(),
                    members: handles,
                });
                Ok(Place::Union { union, members })
            }
            _ => Err(Error::unsupported(
                format!("storage of type `{}`", self.c.types.display(t, self.p)),
                loc,
            )),
        }
    }

    /// `t` with the type arguments of the generic code being lowered substituted.
    pub(super) fn concrete(&self, t: TypeId) -> TypeId {
        match self.c.types.get(t) {
            Type::Var(v) => self.subst.get(v).copied().unwrap_or(t),
            _ => t,
        }
    }

    /// Records the type arguments of a written `S<T1, T2>` of a generic struct or header.
    pub(super) fn bind_type_args(&mut self, r: Handle<crate::ast::TypeRef>) {
        let p = self.p;
        let crate::ast::TypeRef::Specialized { args, .. } = &p.types[r] else {
            return;
        };
        if let Type::Struct(d) | Type::Header(d) = *self.c.types.get(self.c.type_ref(r)) {
            for (i, a) in args.iter().enumerate() {
                let v = crate::sema::VarId {
                    owner: d,
                    method: None,
                    index: i as u32,
                };
                let t = self.concrete(self.c.type_ref(*a));
                self.subst.insert(v, t);
            }
        }
    }

    /// Storage for a local of the current block (its area must be set).
    pub(super) fn alloc_local(&mut self, name: &str, t: TypeId, loc: Loc) -> Result<Place> {
        let mut area = self
            .area
            .take()
            .unwrap_or_else(|| Area::new("locals", "locals_t"));
        let instance = format!("{}.{name}", area.instance);
        let r = self.alloc(&mut area, &instance, name, t, loc);
        self.area = Some(area);
        r
    }

    /// The type of header field `index` of layout `ty`.
    pub(super) fn field_ty(&self, ty: IrHandle<HeaderType>, index: u16) -> Ty {
        self.header_types[ty].fields[usize::from(index)].ty
    }
}

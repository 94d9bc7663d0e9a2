//! A builder that makes hand-written pipelines readable (tests, benches, and a possible target
//! for lowering): names instead of handles, fields looked up as `"hdr.ipv4.ttl"`.

use crate::arena::{Arena, Handle};
use crate::entry::ActionCall;
use crate::expr::{Expr, LValue};
use crate::externs::{Extern, ExternKind, FieldList};
use crate::parser::{Parser, State, Transition};
use crate::program::{
    Action, CORE_ERRORS, Control, Deparser, Emit, FORMAT_VERSION, Package, Param, Pipeline,
    V1Switch, ValueSet,
};
use crate::stmt::Stmt;
use crate::table::{ActionRef, Implementation, Key, MatchKind, Table};
use crate::types::{Field, FieldRef, Header, HeaderType, Stack, Ty, Union};
use crate::v1model::standard_metadata_type;
use crate::valid::{ValidationError, validate};

/// Builds a [`Pipeline`]; [`Builder::build`] validates it.
pub struct Builder {
    p: Pipeline,
    /// The pipeline's binding (builders make v1model pipelines only).
    pk: V1Switch,
}

impl Builder {
    /// A pipeline named `program` with `standard_metadata`, the core errors, four empty controls
    /// (`verify_checksum`, `ingress`, `egress`, `compute_checksum`) and no parser states yet.
    pub fn new(program: &str) -> Builder {
        let mut header_types = Arena::new();
        let smt = header_types.append(standard_metadata_type());
        let mut headers = Arena::new();
        let sm = headers.append(Header {
            name: "standard_metadata".into(),
            ty: smt,
            metadata: true,
        });
        let mut controls = Arena::new();
        let mut control = |name: &str| {
            controls.append(Control {
                name: name.into(),
                body: Vec::new(),
            })
        };
        let package = V1Switch {
            standard_metadata: sm,
            verify_checksum: control("MyVerifyChecksum"),
            ingress: control("MyIngress"),
            egress: control("MyEgress"),
            compute_checksum: control("MyComputeChecksum"),
        };
        Builder {
            p: Pipeline {
                format_version: FORMAT_VERSION,
                program: program.into(),
                header_types,
                headers,
                stacks: Arena::new(),
                unions: Arena::new(),
                errors: CORE_ERRORS.iter().map(|e| (*e).to_string()).collect(),
                value_sets: Arena::new(),
                field_lists: Vec::new(),
                actions: Arena::new(),
                tables: Arena::new(),
                externs: Arena::new(),
                parser: Parser {
                    name: "MyParser".into(),
                    states: Arena::new(),
                    start: Handle::new(0),
                },
                controls,
                deparser: Deparser {
                    name: "MyDeparser".into(),
                    emit: Vec::new(),
                },
                package: Package::V1Switch(package),
            },
            pk: package,
        }
    }

    /// A header type of `bit<N>` fields.
    pub fn header_type(&mut self, name: &str, fields: &[(&str, u16)]) -> Handle<HeaderType> {
        let fields: Vec<(&str, Ty)> = fields.iter().map(|(n, w)| (*n, Ty::Bit(*w))).collect();
        self.header_type_of(name, &fields)
    }

    pub fn header_type_of(&mut self, name: &str, fields: &[(&str, Ty)]) -> Handle<HeaderType> {
        self.p.header_types.append(HeaderType {
            name: name.into(),
            fields: fields
                .iter()
                .map(|(n, ty)| Field {
                    name: (*n).into(),
                    ty: *ty,
                })
                .collect(),
        })
    }

    pub fn header(&mut self, name: &str, ty: Handle<HeaderType>) -> Handle<Header> {
        self.p.headers.append(Header {
            name: name.into(),
            ty,
            metadata: false,
        })
    }

    pub fn metadata(&mut self, name: &str, ty: Handle<HeaderType>) -> Handle<Header> {
        self.p.headers.append(Header {
            name: name.into(),
            ty,
            metadata: true,
        })
    }

    /// A stack `name[size]` whose elements are named `name[i]`.
    pub fn stack(&mut self, name: &str, ty: Handle<HeaderType>, size: u32) -> Handle<Stack> {
        let elements = (0..size)
            .map(|i| self.header(&format!("{name}[{i}]"), ty))
            .collect();
        self.p.stacks.append(Stack {
            name: name.into(),
            elements,
        })
    }

    pub fn union(&mut self, name: &str, members: Vec<Handle<Header>>) -> Handle<Union> {
        self.p.unions.append(Union {
            name: name.into(),
            members,
        })
    }

    /// Appends a program-defined error and returns its code.
    pub fn error(&mut self, name: &str) -> u32 {
        self.p.errors.push(name.into());
        (self.p.errors.len() - 1) as u32
    }

    pub fn standard_metadata(&self) -> Handle<Header> {
        self.pk.standard_metadata
    }

    /// The field `header.field` (the header name may contain dots, e.g. `hdr.ipv4.ttl`).
    ///
    /// # Panics
    /// When no such field exists: builder users write the names themselves.
    pub fn f(&self, path: &str) -> FieldRef {
        let (h, f) = path
            .rsplit_once('.')
            .unwrap_or_else(|| panic!("`{path}` is not `header.field`"));
        let (hh, hd) = self
            .p
            .headers
            .iter()
            .find(|(_, x)| x.name == h)
            .unwrap_or_else(|| panic!("no header `{h}`"));
        let idx = self.p.header_types[hd.ty]
            .field_index(f)
            .unwrap_or_else(|| panic!("no field `{f}` in `{h}`"));
        FieldRef::new(hh, idx)
    }

    /// `Expr::Field` of [`Builder::f`].
    pub fn e(&self, path: &str) -> Expr {
        Expr::field(self.f(path))
    }

    /// `LValue::Field` of [`Builder::f`].
    pub fn lv(&self, path: &str) -> LValue {
        LValue::Field(self.f(path))
    }

    /// `standard_metadata.<field>`.
    pub fn sm(&self, field: &str) -> FieldRef {
        self.f(&format!("standard_metadata.{field}"))
    }

    /// The type of a field.
    pub fn ty(&self, f: FieldRef) -> Ty {
        let crate::types::HeaderRef::Instance(h) = f.header else {
            panic!("builder field types are for instances")
        };
        self.p.header_types[self.p.headers[h].ty].fields[usize::from(f.field)].ty
    }

    /// `dst = src`.
    pub fn assign(&self, dst: &str, src: Expr) -> Stmt {
        Stmt::Assign {
            dst: self.lv(dst),
            src,
        }
    }

    /// A constant of the field's type.
    pub fn c(&self, path: &str, value: u128) -> Expr {
        let ty = self.ty(self.f(path));
        Expr::Const {
            ty,
            value: value & crate::value::mask(ty.width()),
        }
    }

    pub fn action(
        &mut self,
        name: &str,
        params: &[(&str, u16)],
        body: Vec<Stmt>,
    ) -> Handle<Action> {
        self.p.actions.append(Action {
            name: name.into(),
            id: 0,
            params: params
                .iter()
                .map(|(n, w)| Param {
                    name: (*n).into(),
                    width: *w,
                })
                .collect(),
            body,
        })
    }

    /// A table with `keys` as (expression, match kind) pairs named after their field paths;
    /// `default` is called with no arguments unless changed through [`Builder::table_mut`].
    pub fn table(
        &mut self,
        name: &str,
        keys: &[(&str, MatchKind)],
        actions: &[Handle<Action>],
        default: Handle<Action>,
        size: u32,
    ) -> Handle<Table> {
        let keys = keys
            .iter()
            .map(|(path, mk)| {
                let f = self.f(path);
                Key {
                    name: (*path).into(),
                    expr: Expr::field(f),
                    match_kind: *mk,
                    width: self.ty(f).width(),
                }
            })
            .collect();
        self.p.tables.append(Table {
            name: name.into(),
            id: 0,
            keys,
            selector_keys: Vec::new(),
            actions: actions
                .iter()
                .map(|a| ActionRef {
                    action: *a,
                    scope: Default::default(),
                })
                .collect(),
            default_action: ActionCall {
                action: default,
                args: Vec::new(),
            },
            default_const: false,
            entries: Vec::new(),
            entries_const: false,
            size,
            implementation: Implementation::Direct,
            direct_counter: None,
            direct_meter: None,
            idle_timeout: false,
        })
    }

    pub fn table_mut(&mut self, t: Handle<Table>) -> &mut Table {
        &mut self.p.tables[t]
    }

    pub fn extern_instance(&mut self, name: &str, kind: ExternKind) -> Handle<Extern> {
        self.p.externs.append(Extern {
            name: name.into(),
            id: 0,
            kind,
        })
    }

    pub fn value_set(&mut self, name: &str, fields: Vec<Ty>, size: u32) -> Handle<ValueSet> {
        self.p.value_sets.append(ValueSet {
            name: name.into(),
            id: 0,
            size,
            fields,
        })
    }

    pub fn field_list(&mut self, id: u8, fields: &[&str]) {
        let fields = fields.iter().map(|f| self.f(f)).collect();
        self.p.field_lists.push(FieldList { id, fields });
    }

    /// Declares a parser state (accepting until [`Builder::set_state`]); the first is the start.
    pub fn state(&mut self, name: &str) -> Handle<State> {
        self.p.parser.states.append(State {
            name: name.into(),
            ops: Vec::new(),
            transition: Transition::Accept,
        })
    }

    pub fn set_state(
        &mut self,
        s: Handle<State>,
        ops: Vec<crate::parser::ParserOp>,
        transition: Transition,
    ) {
        let st = &mut self.p.parser.states[s];
        st.ops = ops;
        st.transition = transition;
    }

    pub fn ingress(&mut self, body: Vec<Stmt>) {
        self.p.controls[self.pk.ingress].body = body;
    }

    pub fn egress(&mut self, body: Vec<Stmt>) {
        self.p.controls[self.pk.egress].body = body;
    }

    pub fn verify_checksum(&mut self, body: Vec<Stmt>) {
        self.p.controls[self.pk.verify_checksum].body = body;
    }

    pub fn compute_checksum(&mut self, body: Vec<Stmt>) {
        self.p.controls[self.pk.compute_checksum].body = body;
    }

    /// The `compute_checksum` control, for callers that add to its body.
    pub fn compute_checksum_control(&self) -> Handle<Control> {
        self.pk.compute_checksum
    }

    pub fn emit(&mut self, e: Emit) {
        self.p.deparser.emit.push(e);
    }

    /// The pipeline so far, for lookups while building.
    pub fn pipeline(&self) -> &Pipeline {
        &self.p
    }

    /// Validates and returns the pipeline.
    pub fn build(mut self) -> Result<Pipeline, Vec<ValidationError>> {
        if self.p.parser.states.is_empty() {
            self.state("start");
        }
        validate(&self.p)?;
        Ok(self.p)
    }
}

//! Lowering of a checked v1model or TNA program to the pipeline IR
//! ([`ddsr_pipeline::Pipeline`]).
//!
//! The central structure is [`Lowerer`]: it walks the blocks that `main = V1Switch(...)` (or
//! TNA's `main = Switch(Pipeline(...))`, see `tna.rs`) binds,
//! gives every P4 value a storage [`storage::Place`] (header instances for headers, fields of
//! metadata instances for everything scalar) and rewrites statements and expressions into the
//! IR's straight-line, strictly typed operations on resolved field references. Side tables are
//! keyed by AST handles: `vars` (declaration -> storage or extern instance), `params`
//! (parameter of a block, action or function -> what it is bound to), `tables` and `actions`
//! (declaration -> IR handle), so each table and action is lowered once, on first use, as p4c
//! drops the unused ones.
//!
//! Invariants: the input passed [`crate::sema::check`] without errors (lowering reads its side
//! tables and treats a missing entry as an internal limitation reported as E0400, never a
//! panic); the output passes [`ddsr_pipeline::valid::validate`] or lowering fails with E0405.
//! Functions, actions called from controls with directional parameters, and extern-free helper
//! calls are inlined: scalar `in` parameters are copied into fresh metadata fields, `out` and
//! `inout` arguments and aggregate parameters are bound to the caller's storage.

mod block;
mod error;
mod expr;
mod externs;
mod loops;
mod package;
mod parser;
mod stmt;
mod storage;
mod table;
mod tna;
mod tna_externs;

use std::collections::HashMap;

use ddsr_pipeline::arena::Arena;
use ddsr_pipeline::externs::Extern;
use ddsr_pipeline::parser::{Parser as IrParser, State};
use ddsr_pipeline::program::{
    Action as IrAction, CORE_ERRORS, Control as IrControl, Deparser, FORMAT_VERSION, Package,
    Pipeline, ValueSet as IrValueSet,
};
use ddsr_pipeline::table::Table as IrTable;
use ddsr_pipeline::types::{Header, HeaderType};
use ddsr_pipeline::{Handle as IrHandle, parser::Transition};

use crate::ast::{Decl, Handle, Program};
use crate::sema::Checked;

pub(crate) use block::bind_args;
pub use error::{Error, ErrorKind, Result};
use storage::{Area, Binding};

/// Where each IR object came from, for P4Info (annotations, `@id`, types of digests).
#[derive(Debug, Clone, Default)]
pub struct Origins {
    /// Per IR action, its `Decl::Action`.
    pub actions: Vec<Handle<Decl>>,
    /// Per IR table, its `Decl::Table`.
    pub tables: Vec<Handle<Decl>>,
    /// Per IR extern instance: the `Decl::Instance`, or for digests the struct or header
    /// declaration of the digested type.
    pub externs: Vec<Option<Handle<Decl>>>,
    /// Per IR value set, its `Decl::ValueSet`.
    pub value_sets: Vec<Handle<Decl>>,
    /// Header declarations annotated `@controller_header`, in program order.
    pub controller_headers: Vec<Handle<Decl>>,
}

/// A lowered program: the pipeline (ids still 0) and where its objects came from.
#[derive(Debug, Clone)]
pub struct Lowered {
    pub pipeline: Pipeline,
    pub origins: Origins,
}

/// Lowers `program` (checked without errors into `checked`) to a validated pipeline named
/// `name`. All errors found are returned, not just the first.
pub fn lower(
    program: &Program,
    checked: &Checked,
    name: &str,
) -> std::result::Result<Lowered, Vec<Error>> {
    let mut l = Lowerer::new(program, checked);
    let binding = match l.main() {
        Ok(b) => b,
        Err(e) => return Err(vec![e]),
    };
    let pipeline = l.finish(name, binding);
    if !l.errors.is_empty() {
        return Err(l.errors);
    }
    if let Err(problems) = ddsr_pipeline::valid::validate(&pipeline) {
        return Err(problems
            .into_iter()
            .map(|p| Error {
                kind: ErrorKind::Invalid {
                    message: p.to_string(),
                },
                loc: None,
            })
            .collect());
    }
    Ok(Lowered {
        pipeline,
        origins: l.origins,
    })
}

/// The package's blocks, lowered: the (ingress) parser and deparser and the binding.
struct Bound {
    parser: IrParser,
    deparser: Deparser,
    package: Package,
}

/// Inlining state of the function or action body being lowered into its caller.
#[derive(Debug, Clone)]
struct Inline {
    /// Storage of the return value (functions with a result).
    value: Option<storage::Place>,
    /// A `bool` field set by `return`, when a `return` is followed by more statements.
    flag: Option<ddsr_pipeline::FieldRef>,
}

/// What a body is being lowered for: it decides how `return`, parameters and calls lower.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Parser,
    Control,
    /// The body of an IR action: directionless parameters are `Expr::Param`.
    Action,
}

pub(crate) struct Lowerer<'a> {
    p: &'a Program,
    c: &'a Checked,
    header_types: Arena<HeaderType>,
    headers: Arena<Header>,
    stacks: Arena<ddsr_pipeline::types::Stack>,
    unions: Arena<ddsr_pipeline::types::Union>,
    value_sets: Arena<IrValueSet>,
    actions: Arena<IrAction>,
    tables: Arena<IrTable>,
    externs: Arena<Extern>,
    controls: Arena<IrControl>,
    errors_list: Vec<String>,
    /// Header type of each header declaration.
    header_type_of: HashMap<Handle<Decl>, IrHandle<HeaderType>>,
    vars: HashMap<Handle<Decl>, Binding>,
    params: HashMap<(Handle<Decl>, u32), Binding>,
    /// Constructor parameters of the parser or control instances being lowered.
    ctor_params: HashMap<(Handle<Decl>, u32), Binding>,
    /// Type arguments of the generic functions and structs being lowered.
    subst: HashMap<crate::sema::VarId, crate::sema::TypeId>,
    /// Tables and actions by declaration and instance scope: a control instantiated twice
    /// has two copies of its tables.
    table_of: HashMap<(Handle<Decl>, String), IrHandle<IrTable>>,
    action_of: HashMap<(Handle<Decl>, String), IrHandle<IrAction>>,
    /// The arguments bound to the directional parameters of each lowered action.
    action_args: HashMap<(Handle<Decl>, String), Vec<Handle<crate::ast::Expr>>>,
    /// Extern instances by declaration and instance scope.
    extern_of: HashMap<(Handle<Decl>, String), IrHandle<Extern>>,
    /// Fully qualified name of the parser or control instance being lowered (`MyIngress`,
    /// `MyIngress.acl` inside an inlined sub-control instance `acl`).
    scope: String,
    /// While inlining an instance: the declaration's name prefix in sema's control-plane
    /// names, and the instance's fully qualified name that replaces it.
    rename: Option<(String, String)>,
    digest_of: HashMap<String, IrHandle<Extern>>,
    /// Where scalar locals of the block being lowered go.
    area: Option<Area>,
    inline: Option<Inline>,
    ctx: Ctx,
    /// What each `for (x in ...)` variable is bound to in the iteration being unrolled.
    for_vars: HashMap<Handle<crate::ast::Stmt>, Binding>,
    /// The `break`/`continue` flags of the innermost loop being unrolled.
    loop_flags: Option<loops::LoopFlags>,
    /// The element chosen for each run-time stack index in the branch being lowered.
    index_choice: HashMap<Handle<crate::ast::Expr>, usize>,
    /// The TNA pipe being lowered: control-plane names of its blocks' objects start with it.
    pipe: Option<String>,
    /// The user metadata struct and its storage, for `@field_list`.
    meta: Option<(Handle<Decl>, storage::Place)>,
    origins: Origins,
    errors: Vec<Error>,
}

impl<'a> Lowerer<'a> {
    fn new(p: &'a Program, c: &'a Checked) -> Self {
        let mut errors_list: Vec<String> = CORE_ERRORS.iter().map(|s| s.to_string()).collect();
        for e in &c.errors {
            if !errors_list.contains(e) {
                errors_list.push(e.clone());
            }
        }
        Lowerer {
            p,
            c,
            header_types: Arena::new(),
            headers: Arena::new(),
            stacks: Arena::new(),
            unions: Arena::new(),
            value_sets: Arena::new(),
            actions: Arena::new(),
            tables: Arena::new(),
            externs: Arena::new(),
            controls: Arena::new(),
            errors_list,
            header_type_of: HashMap::new(),
            vars: HashMap::new(),
            params: HashMap::new(),
            ctor_params: HashMap::new(),
            subst: HashMap::new(),
            table_of: HashMap::new(),
            action_of: HashMap::new(),
            action_args: HashMap::new(),
            extern_of: HashMap::new(),
            scope: String::new(),
            rename: None,
            digest_of: HashMap::new(),
            area: None,
            inline: None,
            ctx: Ctx::Control,
            for_vars: HashMap::new(),
            loop_flags: None,
            index_choice: HashMap::new(),
            pipe: None,
            meta: None,
            origins: Origins::default(),
            errors: Vec::new(),
        }
    }

    /// Records an error and goes on, so one run reports every problem.
    fn report(&mut self, e: Error) {
        if !self.errors.contains(&e) {
            self.errors.push(e);
        }
    }

    /// The control-plane name of table, action, extern instance or value set `d` in the
    /// current instance scope.
    fn cp_name(&self, d: Handle<Decl>) -> String {
        let own = || {
            self.p.decls[d]
                .name()
                .map(|n| n.name.clone())
                .unwrap_or_default()
        };
        let Some(name) = self.c.decl(d).control_plane_name.clone() else {
            return own();
        };
        match &self.rename {
            Some((from, to)) => match name
                .strip_prefix(from.as_str())
                .and_then(|r| r.strip_prefix('.'))
            {
                Some(rest) => format!("{to}.{rest}"),
                None => name,
            },
            None => name,
        }
    }

    /// The cache scope of declaration `d`: empty for top-level declarations.
    fn scope_of(&self, d: Handle<Decl>) -> String {
        if self.p.items.contains(&d) {
            String::new()
        } else {
            self.scope.clone()
        }
    }

    fn finish(&mut self, name: &str, b: Bound) -> Pipeline {
        self.origins.controller_headers = self
            .p
            .items
            .iter()
            .copied()
            .filter(|h| {
                matches!(self.p.decls[*h], Decl::Header(_))
                    && crate::ast::find_annotation(
                        self.p.decls[*h].annotations(),
                        "controller_header",
                    )
                    .is_some()
            })
            .collect();
        Pipeline {
            format_version: FORMAT_VERSION,
            program: name.to_string(),
            header_types: std::mem::take(&mut self.header_types),
            headers: std::mem::take(&mut self.headers),
            stacks: std::mem::take(&mut self.stacks),
            unions: std::mem::take(&mut self.unions),
            errors: self.errors_list.clone(),
            value_sets: std::mem::take(&mut self.value_sets),
            field_lists: self.field_lists(),
            actions: std::mem::take(&mut self.actions),
            tables: std::mem::take(&mut self.tables),
            externs: std::mem::take(&mut self.externs),
            parser: b.parser,
            controls: std::mem::take(&mut self.controls),
            deparser: b.deparser,
            package: b.package,
        }
    }

    /// An empty parser, used when the real one could not be lowered (errors are reported).
    fn empty_parser(name: &str) -> IrParser {
        let mut states = Arena::new();
        let start = states.append(State {
            name: "start".into(),
            ops: Vec::new(),
            transition: Transition::Accept,
        });
        IrParser {
            name: name.to_string(),
            states,
            start,
        }
    }
}

//! Control-plane names and the annotations the control plane reads.
//!
//! The fully qualified name of a table, action, extern instance or value set is its enclosing
//! parser or control's name, a dot, and its own name (`MyIngress.ipv4_lpm`); top-level objects
//! keep their plain name (`NoAction`). `@name("x")` replaces the own name, and a name starting
//! with `.` (`@name(".x")`) is global. Objects marked `@hidden` get no name.

use std::collections::HashMap;

use crate::ast::{Annotation, AnnotationBody, Decl, Expr, Handle, Loc, Program};

use super::Checker;
use super::error::{Error, ErrorKind};
use super::ty::TypeId;
use super::value::Value;

/// The string argument of annotation `name` (`@name("x")` gives `x`).
pub fn annotation_string(p: &Program, annotations: &[Annotation], name: &str) -> Option<String> {
    let a = crate::ast::find_annotation(annotations, name)?;
    match single_expr(a).map(|e| &p.exprs[e]) {
        Some(Expr::String(s)) => Some(s.clone()),
        _ => None,
    }
}

/// The integer argument of annotation `name` (`@id(5)`, `@priority(2)`).
pub fn annotation_int(p: &Program, annotations: &[Annotation], name: &str) -> Option<u64> {
    let a = crate::ast::find_annotation(annotations, name)?;
    match single_expr(a).map(|e| &p.exprs[e]) {
        Some(Expr::Int(lit)) if !lit.negative => u64::try_from(&lit.value).ok(),
        _ => None,
    }
}

fn single_expr(a: &Annotation) -> Option<Handle<Expr>> {
    match &a.body {
        AnnotationBody::Unstructured {
            exprs: Some(es), ..
        }
        | AnnotationBody::ExprList(es)
            if es.len() == 1 =>
        {
            Some(es[0])
        }
        _ => None,
    }
}

fn has_args(a: &Annotation) -> bool {
    match &a.body {
        AnnotationBody::Empty => false,
        AnnotationBody::Unstructured { tokens, .. } => !tokens.is_empty(),
        AnnotationBody::ExprList(es) => !es.is_empty(),
        AnnotationBody::KeyValue(kv) => !kv.is_empty(),
    }
}

/// Checks the arguments of the annotations with a fixed meaning.
fn check_annotations(c: &mut Checker<'_>, annotations: &[Annotation]) {
    let p = c.p;
    for a in annotations {
        let problem = match a.name.name.as_str() {
            "name" | "controller_header" | "noWarn"
                if annotation_string(p, std::slice::from_ref(a), &a.name.name).is_none() =>
            {
                Some(format!("expected one string argument for @{}", a.name.name))
            }
            "id" | "priority"
                if annotation_int(p, std::slice::from_ref(a), &a.name.name).is_none() =>
            {
                Some(format!(
                    "expected one non-negative integer argument for @{}",
                    a.name.name
                ))
            }
            "hidden" | "defaultonly" | "tableonly" if has_args(a) => {
                Some(format!("expected no arguments for @{}", a.name.name))
            }
            _ => None,
        };
        if let Some(message) = problem {
            c.err(ErrorKind::Annotation { message }, a.loc);
        } else if let Some(e) = single_expr(a) {
            // Give the arguments the control plane reads a type and value like any constant.
            match &p.exprs[e] {
                Expr::String(s) => {
                    c.out.expr_types[e.index()] = TypeId::STRING;
                    c.out.values[e.index()] = Some(Value::String(s.clone()));
                }
                Expr::Int(lit) if !lit.negative && lit.width.is_none() => {
                    c.out.expr_types[e.index()] = TypeId::INF_INT;
                    c.out.values[e.index()] = Some(Value::Int(lit.value.clone().into()));
                }
                _ => {}
            }
        }
    }
}

/// Assigns control-plane names (after checking, so every declaration is known) and reports
/// annotation mistakes and names used twice for one kind of object.
pub(super) fn assign(c: &mut Checker<'_>) {
    let p = c.p;
    let mut seen: HashMap<(u8, String), Loc> = HashMap::new();
    for &item in &p.items {
        let decl = &p.decls[item];
        check_annotations(c, decl.annotations());
        name_object(c, item, None, &mut seen);
        let (prefix, locals) = match decl {
            Decl::Parser(x) => (&x.ty.name, &x.locals),
            Decl::Control(x) => (&x.ty.name, &x.locals),
            _ => continue,
        };
        for &l in locals {
            check_annotations(c, p.decls[l].annotations());
            if let Decl::Table(t) = &p.decls[l] {
                for prop in &t.properties {
                    check_annotations(c, &prop.annotations);
                    match &prop.kind {
                        crate::ast::TablePropertyKind::Key(ks) => {
                            for k in ks {
                                check_annotations(c, &k.annotations);
                            }
                        }
                        crate::ast::TablePropertyKind::Actions(rs) => {
                            for r in rs {
                                check_annotations(c, &r.annotations);
                            }
                        }
                        crate::ast::TablePropertyKind::Entries(es) => {
                            for e in es {
                                check_annotations(c, &e.annotations);
                            }
                        }
                        _ => {}
                    }
                }
            }
            name_object(c, l, Some(&prefix.name), &mut seen);
        }
    }
}

fn name_object(
    c: &mut Checker<'_>,
    h: Handle<crate::ast::Decl>,
    prefix: Option<&str>,
    seen: &mut HashMap<(u8, String), Loc>,
) {
    let p = c.p;
    let decl = &p.decls[h];
    let kind = match decl {
        Decl::Table(_) => 0u8,
        Decl::Action(_) => 1,
        Decl::Instance(_) => 2,
        Decl::ValueSet(_) => 3,
        _ => return,
    };
    let annotations = decl.annotations();
    if crate::ast::find_annotation(annotations, "hidden").is_some() {
        return;
    }
    let Some(ident) = decl.name() else {
        return;
    };
    let own = annotation_string(p, annotations, "name").unwrap_or_else(|| ident.name.clone());
    let full = match (own.strip_prefix('.'), prefix) {
        (Some(global), _) => global.to_string(),
        (None, Some(pre)) => format!("{pre}.{own}"),
        (None, None) => own,
    };
    if let Some(first) = seen.get(&(kind, full.clone())) {
        c.push_err(
            Error::new(
                ErrorKind::DuplicateControlPlaneName { name: full.clone() },
                ident.loc,
            )
            .related(*first, "first used here"),
        );
    } else {
        seen.insert((kind, full.clone()), ident.loc);
    }
    c.out.decls[h.index()].control_plane_name = Some(full);
}

//! Checker tests: the built-in architecture headers and small programs check clean, and every
//! program under `compiler/tests/p4/bad/sema/` gets exactly the diagnostics its
//! `// Error: CODE line:column` lines announce.

use std::path::{Path, PathBuf};

use ddsr_diag::{Diagnostic, Severity};

use num_bigint::BigInt;

use super::{Checked, StateRef, TypeId, Value, check};
use crate::ast::{Decl, Expr, Handle};
use crate::syntax::{Options, Parsed, parse_file, parse_str};

fn run(parsed: &Parsed) -> (Checked, Vec<Diagnostic>) {
    let errors: Vec<String> = parsed
        .diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(
        !parsed.diagnostics.has_errors(),
        "syntax errors: {errors:?}"
    );
    check(&parsed.program)
}

/// `(code, line, column)` of each diagnostic, in the main file.
fn positions(parsed: &Parsed, diags: &[Diagnostic]) -> Vec<(String, usize, usize)> {
    diags
        .iter()
        .filter_map(|d| {
            let (file, span) = d.position()?;
            let (line, col) = parsed.sources.line_col(file, span.start);
            Some((d.code.to_string(), line, col))
        })
        .collect()
}

fn render(parsed: &Parsed, diags: &[Diagnostic]) -> String {
    ddsr_diag::render_text(&parsed.sources, diags, false)
}

/// Checks `text` and requires no error; warnings are returned for the test to inspect.
fn check_ok(name: &str, text: &str) -> (Parsed, Checked, Vec<Diagnostic>) {
    let parsed = parse_str(name, text, &Options::default());
    let (checked, diags) = run(&parsed);
    assert!(
        diags.iter().all(|d| d.severity == Severity::Warning),
        "{name}:\n{}",
        render(&parsed, &diags)
    );
    (parsed, checked, diags)
}

fn check_clean(name: &str, text: &str) -> (Parsed, Checked) {
    let parsed = parse_str(name, text, &Options::default());
    let (checked, diags) = run(&parsed);
    assert!(diags.is_empty(), "{name}:\n{}", render(&parsed, &diags));
    (parsed, checked)
}

fn corpus_dir(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

fn p4_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "p4"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The `// Error: E0203 4:10` and `// Warning: E0205 7:3` lines of a bad program.
fn expected(text: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let Some(rest) = line
            .strip_prefix("// Error: ")
            .or_else(|| line.strip_prefix("// Warning: "))
        else {
            continue;
        };
        let mut parts = rest.split_whitespace();
        let code = parts.next().unwrap_or_default().to_string();
        let pos = parts.next().unwrap_or_default();
        let (l, c) = pos.split_once(':').unwrap_or(("0", "0"));
        out.push((code, l.parse().unwrap_or(0), c.parse().unwrap_or(0)));
    }
    out.sort();
    out
}

#[test]
fn bad_programs_get_their_diagnostics() {
    let files = p4_files(&corpus_dir("tests/p4/bad/sema"));
    assert!(files.len() >= 30, "the bad corpus is missing");
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("corpus file is readable");
        let want = expected(&text);
        assert!(!want.is_empty(), "{} announces no diagnostic", f.display());
        let parsed = parse_file(f, &Options::default());
        if parsed.diagnostics.has_errors() {
            failures.push(format!(
                "{}: syntax errors\n{}",
                f.display(),
                render(&parsed, &parsed.diagnostics.clone().into_vec())
            ));
            continue;
        }
        let (_, diags) = check(&parsed.program);
        let mut got = positions(&parsed, &diags);
        got.sort();
        if got != want {
            failures.push(format!(
                "{}: expected {want:?}, got {got:?}\n{}",
                f.display(),
                render(&parsed, &diags)
            ));
        }
        let warnings_only = want.iter().all(|(c, _, _)| c == "E0205");
        assert_eq!(
            diags.iter().all(|d| d.severity == Severity::Warning),
            warnings_only,
            "{}",
            f.display()
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_code_has_a_page_and_a_bad_program() {
    let mut tested = std::collections::BTreeSet::new();
    for f in p4_files(&corpus_dir("tests/p4/bad/sema")) {
        let text = std::fs::read_to_string(&f).expect("corpus file is readable");
        tested.extend(expected(&text).into_iter().map(|(code, _, _)| code));
    }
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/errors");
    let mut documented = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&docs).expect("docs/errors exists") {
        let name = entry
            .expect("readable")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if let Some(n) = name.strip_prefix("E0").and_then(|n| n.strip_suffix(".md"))
            && n.parse::<u16>().is_ok_and(|n| (200..400).contains(&n))
        {
            documented.insert(format!("E0{n}"));
        }
    }
    assert_eq!(tested, documented);
}

#[test]
fn good_corpus_checks_clean() {
    for f in p4_files(&corpus_dir("tests/p4/good")) {
        let parsed = parse_file(&f, &Options::default());
        let (_, diags) = run(&parsed);
        assert!(
            diags.is_empty(),
            "{}:\n{}",
            f.display(),
            render(&parsed, &diags)
        );
    }
}

#[test]
fn project_programs_check_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../p4");
    let options = Options {
        include_dirs: vec![root.join("include")],
        ..Options::default()
    };
    let files: Vec<PathBuf> = ["v1model", "tna"]
        .iter()
        .flat_map(|arch| p4_files(&root.join(arch)))
        .collect();
    assert!(files.len() >= 6, "the project's P4 programs are missing");
    for f in files {
        let parsed = parse_file(&f, &options);
        let (checked, diags) = run(&parsed);
        assert!(
            diags.is_empty(),
            "{}:\n{}",
            f.display(),
            render(&parsed, &diags)
        );
        assert!(checked.main.is_some(), "{} has no main", f.display());
        assert!(checked.tables().count() > 0, "{} has no table", f.display());
    }
}

#[test]
fn generated_program_checks_clean() {
    let text = crate::generate::v1model_program(10_000);
    let parsed = parse_str("generated.p4", &text, &Options::default());
    let (checked, diags) = run(&parsed);
    assert!(diags.is_empty(), "{}", render(&parsed, &diags));
    assert!(checked.tables().count() > 10);
}

/// The checker must not panic on any tree the parser produces, even one recovered from syntax
/// errors: every bad program, and every good program with one line removed, is checked.
#[test]
fn never_panics_on_damaged_programs() {
    for f in p4_files(&corpus_dir("tests/p4/bad/syntax"))
        .into_iter()
        .chain(p4_files(&corpus_dir("tests/p4/bad/sema")))
    {
        let parsed = parse_file(&f, &Options::default());
        check(&parsed.program);
    }
    for name in ["34_switch_action_run.p4"] {
        let Ok(text) = std::fs::read_to_string(corpus_dir("tests/p4/good").join(name)) else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        for skip in 0..lines.len() {
            let damaged: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, l)| *l)
                .collect();
            let parsed = parse_str(name, &damaged.join("\n"), &Options::default());
            check(&parsed.program);
        }
    }
}

#[test]
fn diagnostics_name_the_place_and_the_first_definition() {
    let parsed = parse_str(
        "dup.p4",
        "#include <core.p4>
control C(inout bit<8> x) {
    table t { actions = { NoAction; NoAction; } }
    apply { t.apply(); x = xx; }
}
",
        &Options::default(),
    );
    let (_, diags) = run(&parsed);
    let text = render(&parsed, &diags);
    let expected = "\
error[E0233]: action `NoAction` is listed more than once
  ┌─ dup.p4:3:37
  │
3 │     table t { actions = { NoAction; NoAction; } }
  │                           --------  ^^^^^^^^ here
  │                           │          
  │                           first listed here

error[E0200]: cannot find name `xx` in this scope
  ┌─ dup.p4:4:28
  │
4 │     apply { t.apply(); x = xx; }
  │                            ^^ not found
  │
  = help: a name that exists: `x`

";
    assert_eq!(text, expected);
}

#[test]
fn architecture_headers_check_clean() {
    for name in ["core.p4", "v1model.p4", "tna.p4"] {
        check_clean(name, &format!("#include <{name}>\n"));
    }
}

/// The top-level or control-local declaration called `name`.
fn find(parsed: &Parsed, name: &str) -> Handle<Decl> {
    let p = &parsed.program;
    p.decls
        .iter()
        .find(|(_, d)| d.name().is_some_and(|n| n.name == name))
        .map(|(h, _)| h)
        .unwrap_or_else(|| panic!("no declaration `{name}`"))
}

fn const_int(parsed: &Parsed, checked: &Checked, name: &str) -> BigInt {
    match &checked.decl(find(parsed, name)).value {
        Some(Value::Int(v)) => v.clone(),
        other => panic!("`{name}` has value {other:?}"),
    }
}

#[test]
fn constants_wrap_to_their_type() {
    let (parsed, checked, warnings) = check_ok(
        "consts.p4",
        "#include <core.p4>
const bit<8> A = 8w255 + 1;
const int<8> B = -128 - 1;
const bit<16> C = 8w0xAB ++ 8w0xCD;
const bit<4> D = (8w0xF3)[7:4];
const int E = (1 << 70) / 3;
const bit<8> F = (bit<8>) -1;
const bool G = 3 > 2 && !false;
const bit<8> H = 8w250 |+| 8w10;
const int<8> I = (int<8>) 8w200;
const bit<8> J = 8w3 |-| 8w5;
const bit<32> K = ~32w0 >> 28;
const int<4> L = 4s7 + 4s1;
enum bit<8> Proto { TCP = 6, UDP = 17 }
const bit<8> M = (bit<8>) Proto.UDP + 1;
const bit<8> N = true ? 8w1 : 8w2;
const bit<8> O = 8w7 % 3 * 5 - 1;
",
    );
    // `-128 - 1` leaves int<8>: p4c and ddsr warn, and wrap.
    assert_eq!(
        positions(&parsed, &warnings),
        [("E0205".to_string(), 3, 18)]
    );
    let v = |n: &str| const_int(&parsed, &checked, n);
    assert_eq!(v("A"), BigInt::from(0));
    assert_eq!(v("B"), BigInt::from(127));
    assert_eq!(v("C"), BigInt::from(0xABCD));
    assert_eq!(v("D"), BigInt::from(0xF));
    assert_eq!(v("E"), (BigInt::from(1) << 70usize) / 3);
    assert_eq!(v("F"), BigInt::from(255));
    assert_eq!(
        checked.decl(find(&parsed, "G")).value,
        Some(Value::Bool(true))
    );
    assert_eq!(v("H"), BigInt::from(255));
    assert_eq!(v("I"), BigInt::from(-56));
    assert_eq!(v("J"), BigInt::from(0));
    assert_eq!(v("K"), BigInt::from(15));
    assert_eq!(v("L"), BigInt::from(-8));
    assert_eq!(v("M"), BigInt::from(18));
    assert_eq!(v("N"), BigInt::from(1));
    assert_eq!(v("O"), BigInt::from(4));
    let proto = find(&parsed, "Proto");
    assert_eq!(
        checked.decl(proto).enum_values,
        vec![Value::Int(BigInt::from(6)), Value::Int(BigInt::from(17))]
    );
}

#[test]
fn literals_take_the_width_of_the_other_operand() {
    let (parsed, checked) = check_clean(
        "lit.p4",
        "#include <core.p4>
control C(inout bit<8> x) { apply { x = x + 200; } }
",
    );
    let p = &parsed.program;
    let (lit, _) = p
        .exprs
        .iter()
        .find(|(_, e)| matches!(e, Expr::Int(l) if l.value == 200u32.into()))
        .expect("a literal");
    let bit8 = checked.types.display(checked.type_of(lit), p);
    assert_eq!(bit8, "bit<8>");
    assert_eq!(checked.value_of(lit), Some(&Value::Int(BigInt::from(200))));
}

#[test]
fn v1model_program_resolves_tables_names_and_package() {
    let (parsed, checked) = check_clean(
        "v1model_basic.p4",
        include_str!("testdata/v1model_basic.p4"),
    );
    let p = &parsed.program;
    let table = find(&parsed, "ipv4_lpm");
    let info = checked.decl(table);
    assert_eq!(
        info.control_plane_name.as_deref(),
        Some("MyIngress.ipv4_lpm_table")
    );
    let t = info.table.as_ref().expect("table info");
    let keys: Vec<(&str, &str)> = t
        .keys
        .iter()
        .map(|k| (k.name.as_str(), k.match_kind.as_str()))
        .collect();
    assert_eq!(keys, [("hdr.ipv4.dstAddr", "lpm"), ("proto", "ternary")]);
    let actions: Vec<&str> = t
        .actions
        .iter()
        .map(|a| {
            checked
                .decl(a.action)
                .control_plane_name
                .as_deref()
                .unwrap_or("")
        })
        .collect();
    assert_eq!(
        actions,
        ["MyIngress.ipv4_forward", "MyIngress.drop", "NoAction"]
    );
    assert!(t.actions[2].default_only && !t.actions[0].default_only);
    assert_eq!(t.size, Some(1024));
    assert_eq!(
        t.default_action.as_ref().map(|(i, args)| (*i, args.len())),
        Some((1, 0))
    );
    assert_eq!(t.counters, Some(find(&parsed, "hits")));
    assert!(t.entries_const);
    assert_eq!(t.entries.len(), 2);
    let first = &t.entries[0];
    assert_eq!(first.action, 0);
    let Expr::Mask { value, .. } = &p.exprs[first.keys[0]] else {
        panic!("a masked key")
    };
    assert_eq!(
        checked.value_of(*value),
        Some(&Value::Int(BigInt::from(0x0a00_0001)))
    );
    assert_eq!(
        first
            .args
            .iter()
            .map(|a| checked.value_of(*a).cloned())
            .collect::<Vec<_>>(),
        [
            Some(Value::Int(BigInt::from(1))),
            Some(Value::Int(BigInt::from(1)))
        ]
    );
    assert_eq!(
        checked
            .decl(find(&parsed, "pkts"))
            .control_plane_name
            .as_deref(),
        Some("MyIngress.pkts")
    );
    let main = checked.main.expect("main");
    let ty = checked.decl(main).ty.expect("main has a type");
    assert_eq!(
        checked.types.display(ty, p).split('<').next(),
        Some("package V1Switch")
    );
    // The parser's states: start selects between parse_ipv4 and accept.
    let parser = find(&parsed, "MyParser");
    assert_eq!(
        checked.decl(parser).transitions,
        vec![
            vec![StateRef::State(1), StateRef::Accept],
            vec![StateRef::Accept]
        ]
    );
}

#[test]
fn checked_bodies_leave_no_expression_untyped() {
    for f in p4_files(&corpus_dir("tests/p4/good"))
        .into_iter()
        .chain([Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sema/testdata/v1model_basic.p4")])
    {
        let parsed = parse_file(&f, &Options::default());
        let (checked, diags) = run(&parsed);
        assert!(diags.is_empty(), "{}", f.display());
        let p = &parsed.program;
        let mut in_annotations = vec![false; p.exprs.len()];
        let mut mark = |annos: &[crate::ast::Annotation]| {
            for a in annos {
                if let crate::ast::AnnotationBody::Unstructured {
                    exprs: Some(es), ..
                }
                | crate::ast::AnnotationBody::ExprList(es) = &a.body
                {
                    for e in es {
                        in_annotations[e.index()] = true;
                    }
                }
                if let crate::ast::AnnotationBody::KeyValue(kv) = &a.body {
                    for e in kv {
                        in_annotations[e.value.index()] = true;
                    }
                }
            }
        };
        for (_, d) in p.decls.iter() {
            mark(d.annotations());
            match d {
                Decl::Header(a) | Decl::HeaderUnion(a) | Decl::Struct(a) => {
                    a.fields.iter().for_each(|f| mark(&f.annotations));
                }
                Decl::Action(a) => a.params.iter().for_each(|x| mark(&x.annotations)),
                Decl::Enum(e) => e.members.iter().for_each(|m| mark(&m.annotations)),
                _ => {}
            }
        }
        // Callees are resolved into `calls` and `defs`, not typed.
        let mut callee = vec![false; p.exprs.len()];
        for (_, e) in p.exprs.iter() {
            if let Expr::Call { callee: c, .. } = e {
                callee[c.index()] = true;
            }
        }
        let untyped: Vec<String> = p
            .exprs
            .iter()
            .filter(|(h, e)| {
                !in_annotations[h.index()]
                    && !callee[h.index()]
                    && checked.type_of(*h) == TypeId::UNKNOWN
                    && !matches!(e, Expr::DontCare | Expr::Default)
            })
            .map(|(h, _)| {
                let loc = p.exprs.loc(h);
                let (l, c) = parsed.sources.line_col(loc.file, loc.span.start);
                format!("{}:{l}:{c}", parsed.sources.name(loc.file))
            })
            .collect();
        assert!(untyped.is_empty(), "{}: untyped {untyped:?}", f.display());
    }
}

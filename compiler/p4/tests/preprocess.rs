//! The preprocessor: macros, conditionals, includes, and diagnostics that point at the line
//! the user wrote.

use std::fs;

use ddsr_p4::ast::{BinaryOp, Decl, Expr, IntLit, Program};
use ddsr_p4::syntax::{Options, Parsed, parse_file, parse_str};

/// (code, file name, line, column, message) of every diagnostic.
fn diags(p: &Parsed) -> Vec<(String, String, usize, usize, String)> {
    p.diagnostics
        .iter()
        .map(|d| {
            let (f, s) = d.position().expect("a position");
            let (l, c) = p.sources.line_col(f, s.start);
            (
                d.code.to_string(),
                p.sources.name(f).to_string(),
                l,
                c,
                d.message.clone(),
            )
        })
        .collect()
}

fn parse(src: &str) -> Parsed {
    parse_str("main.p4", src, &Options::default())
}

fn const_value(prog: &Program, name: &str) -> Expr {
    for &h in &prog.items {
        if let Decl::Const(v) = &prog.decls[h]
            && v.name.name == name
            && let Some(init) = v.init
        {
            return prog.exprs[init].clone();
        }
    }
    panic!("no constant {name}");
}

fn int(prog: &Program, name: &str) -> u64 {
    match const_value(prog, name) {
        Expr::Int(IntLit { value, .. }) => value.try_into().expect("small"),
        e => panic!("{name} is {e:?}"),
    }
}

#[test]
fn object_and_function_like_macros_expand() {
    let p = parse(
        "#define A 7\n#define TWICE(x) ((x) + (x))\n#define CAT(a, b) a ## b\n\
         #define STR(x) #x\n\
         const bit<8> a = A;\nconst bit<8> b = TWICE(A);\nconst bit<8> CAT(c, d) = 1;\n\
         const string s = STR(hello world);\n",
    );
    assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
    assert_eq!(int(&p.program, "a"), 7);
    assert!(matches!(
        const_value(&p.program, "b"),
        Expr::Binary {
            op: BinaryOp::Add,
            ..
        }
    ));
    assert_eq!(int(&p.program, "cd"), 1);
    assert!(matches!(const_value(&p.program, "s"), Expr::String(s) if s == "hello world"));
}

#[test]
fn macro_arguments_may_span_lines_and_nest() {
    let p = parse(
        "#define ADD(a, b) a + b\n#define ONE 1\nconst bit<8> x = ADD(ONE,\n    ADD(2, 3));\n\
         const bit<8> y = 4;\n",
    );
    assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
    assert_eq!(int(&p.program, "y"), 4);
    // The constant `x` lies on line 3 (its macro use), and `y` on line 5.
    let y = p.program.items[1];
    let loc = p.program.decls.loc(y);
    assert_eq!(p.sources.line_col(loc.file, loc.span.start), (5, 1));
}

#[test]
fn self_reference_terminates_and_explosion_is_an_error() {
    let p = parse("#define x x + 1\nconst bit<8> x = 2;\n");
    // `x` in the declaration expands to `x + 1`, which is not a name: one syntax error.
    assert_eq!(diags(&p)[0].0, "E0130");
    let mut src = String::from("#define A0 x x\n");
    for i in 1..40 {
        src.push_str(&format!("#define A{i} A{0} A{0}\n", i - 1));
    }
    src.push_str("A39\n");
    let d = diags(&parse(&src));
    assert_eq!(d[0].0, "E0108", "{d:?}");
    assert_eq!((d[0].2, d[0].3), (41, 1));
}

#[test]
fn conditionals_select_lines() {
    let p = parse(
        "#define V 2\n#if V > 1 && defined(V) && !defined NOPE\nconst bit<8> a = 1;\n\
         #elif V == 1\nconst bit<8> a = 2;\n#else\n this is $ not P4\n#endif\n\
         #ifdef NOPE\n@@@\n#elif (V * 3) % 4 == 2\nconst bit<8> b = 3;\n#endif\n\
         #ifndef V\n#error unreachable\n#endif\n#if 0\n#bogus directive\n#endif\n",
    );
    assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
    assert_eq!(int(&p.program, "a"), 1);
    assert_eq!(int(&p.program, "b"), 3);
}

#[test]
fn conditional_errors_name_the_directive() {
    let d = diags(&parse("#if 1\nconst bit<8> a = 1;\n"));
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].0.as_str(), d[0].2, d[0].3), ("E0105", 1, 1));
    assert_eq!(d[0].4, "`#if` is never closed");

    let d = diags(&parse("#endif\n#if 1\n#else\n#else\n#endif\n"));
    assert_eq!(
        d.iter()
            .map(|x| (x.0.as_str(), x.2, x.4.as_str()))
            .collect::<Vec<_>>(),
        [
            ("E0104", 1, "`#endif` without a matching `#if`"),
            ("E0104", 4, "`#else` after `#else`"),
        ]
    );

    let d = diags(&parse(
        "#if 1 +\n#endif\n#if 4 / 0\n#endif\n#if defined(\n#endif\n",
    ));
    assert_eq!(
        d.iter()
            .map(|x| (x.0.as_str(), x.2, x.3, x.4.as_str()))
            .collect::<Vec<_>>(),
        [
            ("E0106", 1, 5, "expected an operand, found end of line"),
            ("E0106", 3, 5, "division by zero in `#if`"),
            (
                "E0106",
                5,
                5,
                "expected a macro name after `defined`, found end of line"
            ),
        ]
    );
}

#[test]
fn directive_errors() {
    let d = diags(&parse(
        "#frobnicate\n#define\n#define F(a, b) a\nconst bit<8> x = F(1);\n#error stop here\n\
         #define G 1\n#define G 2\n#warning careful\n#include nothing\n",
    ));
    let got: Vec<_> = d
        .iter()
        .map(|x| (x.0.as_str(), x.2, x.3, x.4.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "E0103",
                1,
                1,
                "unknown preprocessor directive `#frobnicate`"
            ),
            (
                "E0102",
                2,
                1,
                "expected a macro name after `#define`, found end of line"
            ),
            (
                "E0107",
                4,
                18,
                "expected 2 arguments for macro `F`, found 1"
            ),
            // The failed macro use expands to nothing, leaving `x = ;`.
            ("E0130", 4, 22, "expected an expression, found `;`"),
            ("E0109", 5, 1, "#error stop here"),
            ("E0110", 7, 9, "macro `G` redefined differently"),
            ("E0111", 8, 1, "#warning careful"),
            (
                "E0102",
                9,
                10,
                "expected `\"file\"` or `<file>` after `#include`, found `nothing`"
            ),
        ]
    );
}

#[test]
fn continued_definitions_and_command_line_defines() {
    let opts = Options {
        defines: vec![("WIDTH".into(), "16".into()), ("ON".into(), String::new())],
        ..Options::default()
    };
    let p = parse_str(
        "m.p4",
        "#define SUM(a, b) \\\n   ((a) + \\\n    (b))\n#ifdef ON\nconst bit<WIDTH> w = SUM(1, 2);\n#endif\n",
        &opts,
    );
    assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
    assert!(matches!(
        const_value(&p.program, "w"),
        Expr::Binary {
            op: BinaryOp::Add,
            ..
        }
    ));
}

#[test]
fn errors_in_included_files_point_into_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(
        dir.path().join("inc.p4"),
        "#ifndef INC\n#define INC\nheader h_t {\n    bit<8> a\n}\n#endif\n",
    )
    .expect("write");
    fs::create_dir(dir.path().join("sub")).expect("mkdir");
    fs::write(dir.path().join("sub/lib.p4"), "const bit<8> LIB = 5;\n").expect("write");
    let main = dir.path().join("main.p4");
    fs::write(
        &main,
        "#include \"inc.p4\"\n#include \"inc.p4\"\n#include <lib.p4>\nconst bit<8> x = LIB +;\n",
    )
    .expect("write");
    let opts = Options {
        include_dirs: vec![dir.path().join("sub")],
        ..Options::default()
    };
    let p = parse_file(&main, &opts);
    let mut d = diags(&p);
    assert_eq!(d.len(), 2, "{d:?}");
    // Diagnostics are sorted by file (in the order files were read), then position.
    d.reverse();
    assert_eq!(d[0].0, "E0130");
    assert!(d[0].1.ends_with("inc.p4"), "{d:?}");
    assert_eq!((d[0].2, d[0].3), (5, 1));
    assert_eq!(d[0].4, "expected `;`, found `}`");
    assert!(d[1].1.ends_with("main.p4"), "{d:?}");
    assert_eq!(
        (d[1].2, d[1].3, d[1].4.as_str()),
        (4, 23, "expected an expression, found `;`")
    );
    // The guarded header is read once, and kept despite its bad field; `x` is lost.
    assert_eq!(p.program.items.len(), 2);
    assert!(matches!(&p.program.decls[p.program.items[0]], Decl::Header(h) if h.fields.is_empty()));
}

#[test]
fn missing_and_recursive_includes() {
    let d = diags(&parse("\n#include \"nowhere.p4\"\n"));
    assert_eq!(d.len(), 1);
    assert_eq!(
        (d[0].0.as_str(), d[0].2, d[0].3, d[0].4.as_str()),
        ("E0100", 2, 10, "cannot find include file `nowhere.p4`")
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let me = dir.path().join("me.p4");
    fs::write(&me, "#include \"me.p4\"\n").expect("write");
    let d = diags(&parse_file(&me, &Options::default()));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].0, "E0101");
    assert_eq!(d[0].4, "`#include` nested deeper than 64 levels");

    let once = dir.path().join("once.p4");
    fs::write(&once, "#pragma once\nconst bit<8> ONCE = 1;\n").expect("write");
    let main = dir.path().join("main.p4");
    fs::write(&main, "#include \"once.p4\"\n#include \"once.p4\"\n").expect("write");
    let p = parse_file(&main, &Options::default());
    assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
    assert_eq!(p.program.items.len(), 1);
}

#[test]
fn built_in_headers_are_found_without_setup() {
    for (name, _) in ddsr_p4::include::HEADERS {
        let p = parse(&format!("#include <{name}>\n"));
        assert!(
            p.diagnostics.is_empty(),
            "{name}: {}",
            ddsr_diag::render_text(&p.sources, &p.diagnostics.clone().into_vec(), false)
        );
        assert!(!p.program.items.is_empty(), "{name} declares nothing");
    }
    assert!(ddsr_p4::include::builtin("core.p4").is_some());
}

//! The parser: precedence, the `<` and cast ambiguities, every construct's shape, literals,
//! and recovery from several errors in one run.

use ddsr_p4::ast::{
    AnnotationBody, Decl, Expr, Handle, Keyset, MethodKind, Program, Stmt, SwitchLabel,
    TablePropertyKind, Transition, TypeRef, TypedefTarget,
};
use ddsr_p4::lex::int_literal;
use ddsr_p4::syntax::{Options, Parsed, parse_str};

fn parse(src: &str) -> Parsed {
    parse_str("t.p4", src, &Options::default())
}

fn diags(p: &Parsed) -> Vec<(String, usize, usize, String)> {
    p.diagnostics
        .iter()
        .map(|d| {
            let (f, s) = d.position().expect("a position");
            let (l, c) = p.sources.line_col(f, s.start);
            (d.code.to_string(), l, c, d.message.clone())
        })
        .collect()
}

fn ok(src: &str) -> Program {
    let p = parse(src);
    assert!(
        p.diagnostics.is_empty(),
        "{}",
        ddsr_diag::render_text(&p.sources, &p.diagnostics.clone().into_vec(), false)
    );
    p.program
}

/// An expression as a fully parenthesised string, to check how it was grouped.
fn show(p: &Program, e: Handle<Expr>) -> String {
    match &p.exprs[e] {
        Expr::Bool(b) => b.to_string(),
        Expr::Int(i) => {
            let v = i.value.to_string();
            match i.width {
                Some((w, s)) => format!(
                    "{w}{}{}{v}",
                    if s { "s" } else { "w" },
                    if i.negative { "-" } else { "" }
                ),
                None => v,
            }
        }
        Expr::String(s) => format!("{s:?}"),
        Expr::Path(path) => format!("{}{}", if path.global { "." } else { "" }, path.name.name),
        Expr::This => "this".into(),
        Expr::DontCare => "_".into(),
        Expr::Default => "default".into(),
        Expr::InvalidHeader => "{#}".into(),
        Expr::Dots => "...".into(),
        Expr::Member { base, member } => format!("{}.{}", show(p, *base), member.name),
        Expr::TypeMember { member, .. } => format!("<type>.{}", member.name),
        Expr::Index { base, index } => format!("{}[{}]", show(p, *base), show(p, *index)),
        Expr::Slice { base, hi, lo } => {
            format!("{}[{}:{}]", show(p, *base), show(p, *hi), show(p, *lo))
        }
        Expr::Unary { op, operand } => format!("({op:?} {})", show(p, *operand)),
        Expr::Binary { op, lhs, rhs } => {
            format!("({} {} {})", show(p, *lhs), op.symbol(), show(p, *rhs))
        }
        Expr::Ternary {
            cond,
            then,
            otherwise,
        } => format!(
            "({} ? {} : {})",
            show(p, *cond),
            show(p, *then),
            show(p, *otherwise)
        ),
        Expr::Cast { ty, expr } => format!("(cast {} {})", show_ty(p, *ty), show(p, *expr)),
        Expr::Call {
            callee,
            type_args,
            args,
        } => {
            let targs: Vec<_> = type_args.iter().map(|t| show_ty(p, *t)).collect();
            let args: Vec<_> = args
                .iter()
                .map(|a| match &a.name {
                    Some(n) => format!("{} = {}", n.name, show(p, a.value)),
                    None => show(p, a.value),
                })
                .collect();
            let targs = if targs.is_empty() {
                String::new()
            } else {
                format!("<{}>", targs.join(", "))
            };
            format!("{}{targs}({})", show(p, *callee), args.join(", "))
        }
        Expr::Construct { ty, args } => {
            let args: Vec<_> = args.iter().map(|a| show(p, a.value)).collect();
            format!("new {}({})", show_ty(p, *ty), args.join(", "))
        }
        Expr::List(items) => {
            let items: Vec<_> = items.iter().map(|i| show(p, *i)).collect();
            format!("{{{}}}", items.join(", "))
        }
        Expr::Struct { fields, dots } => {
            let mut f: Vec<_> = fields
                .iter()
                .map(|f| format!("{} = {}", f.name.name, show(p, f.value)))
                .collect();
            if *dots {
                f.push("...".into());
            }
            format!("{{{}}}", f.join(", "))
        }
        Expr::Mask { value, mask } => format!("({} &&& {})", show(p, *value), show(p, *mask)),
        Expr::Range { lo, hi } => format!("({} .. {})", show(p, *lo), show(p, *hi)),
    }
}

fn show_ty(p: &Program, t: Handle<TypeRef>) -> String {
    match &p.types[t] {
        TypeRef::Bool => "bool".into(),
        TypeRef::Error => "error".into(),
        TypeRef::MatchKind => "match_kind".into(),
        TypeRef::String => "string".into(),
        TypeRef::Void => "void".into(),
        TypeRef::InfInt => "int".into(),
        TypeRef::Bit(None) => "bit".into(),
        TypeRef::Bit(Some(w)) => format!("bit<{}>", show(p, *w)),
        TypeRef::SignedInt(w) => format!("int<{}>", show(p, *w)),
        TypeRef::Varbit(w) => format!("varbit<{}>", show(p, *w)),
        TypeRef::DontCare => "_".into(),
        TypeRef::Name(path) => path.name.name.clone(),
        TypeRef::Specialized { base, args } => {
            let a: Vec<_> = args.iter().map(|t| show_ty(p, *t)).collect();
            format!("{}<{}>", base.name.name, a.join(", "))
        }
        TypeRef::Stack { elem, size } => format!("{}[{}]", show_ty(p, *elem), show(p, *size)),
        TypeRef::Tuple(ts) => {
            let a: Vec<_> = ts.iter().map(|t| show_ty(p, *t)).collect();
            format!("tuple<{}>", a.join(", "))
        }
        TypeRef::List(t) => format!("list<{}>", show_ty(p, *t)),
    }
}

/// The initializers of the program's constants, shown.
fn consts(p: &Program) -> Vec<String> {
    p.items
        .iter()
        .filter_map(|&h| match &p.decls[h] {
            Decl::Const(v) => v.init.map(|e| show(p, e)),
            _ => None,
        })
        .collect()
}

/// The statements of the apply block of the first control, shown (assignments and calls).
fn apply_stmts(p: &Program) -> Vec<String> {
    let c = p
        .items
        .iter()
        .find_map(|&h| match &p.decls[h] {
            Decl::Control(c) => Some(c),
            _ => None,
        })
        .expect("a control");
    c.apply.stmts.iter().map(|&s| show_stmt(p, s)).collect()
}

fn show_stmt(p: &Program, s: Handle<Stmt>) -> String {
    match &p.stmts[s] {
        Stmt::Assign { lhs, rhs } => format!("{} = {}", show(p, *lhs), show(p, *rhs)),
        Stmt::Call(e) => show(p, *e),
        Stmt::Decl(d) => match &p.decls[*d] {
            Decl::Var(v) | Decl::Const(v) => format!(
                "{} {}{}",
                show_ty(p, v.ty),
                v.name.name,
                v.init
                    .map(|e| format!(" = {}", show(p, e)))
                    .unwrap_or_default()
            ),
            other => format!("{other:?}"),
        },
        other => format!("{other:?}"),
    }
}

#[test]
fn precedence_follows_the_p4_table() {
    let p = ok("const int a = 1 | 2 == 3;\n\
         const int b = 1 + 2 << 3;\n\
         const int c = 1 ++ 2 + 3 * 4;\n\
         const int d = 1 && 2 || 3 && 4;\n\
         const int e = 1 & 2 ^ 3 | 4;\n\
         const int f = -1 * ~2 - !3;\n\
         const int g = 1 < 2 == 3 >= 4;\n\
         const int h = 1 ? 2 : 3 ? 4 : 5;\n\
         const int i = 1 |+| 2 |-| 3 - 4;\n\
         const int j = 8 >> 2 >> 1;\n\
         const int k = 1 == 2 ? 3 + 4 : 5;\n");
    assert_eq!(
        consts(&p),
        [
            "((1 | 2) == 3)",
            "((1 + 2) << 3)",
            "((1 ++ 2) + (3 * 4))",
            "((1 && 2) || (3 && 4))",
            "(((1 & 2) ^ 3) | 4)",
            "(((Neg 1) * (Complement 2)) - (Not 3))",
            "((1 < 2) == (3 >= 4))",
            "(1 ? 2 : (3 ? 4 : 5))",
            "(((1 |+| 2) |-| 3) - 4)",
            "((8 >> 2) >> 1)",
            "((1 == 2) ? (3 + 4) : 5)",
        ]
    );
}

#[test]
fn angle_brackets_and_casts_are_resolved_by_type_names() {
    let p = ok("typedef bit<8> T;\n\
         extern E<X> { E(); X get<Y>(in Y y); }\n\
         extern Y f<Y>(in Y y);\n\
         control C(inout bit<8> a, inout bit<8> b) {\n\
           E<bit<8>>() e;\n\
           apply {\n\
             bool lt = a < b;\n\
             bool gt = a > b;\n\
             a = f<bit<8>>(a);\n\
             a = e.get<T>(b);\n\
             a = (T) - b;\n\
             b = (a) - b;\n\
             a = (bit<8>)(b >> 1);\n\
             lt = a < b && b > a;\n\
             a = (T) b + 1;\n\
             T[2] stack;\n\
             a = a >> 2;\n\
           }\n\
         }\n");
    assert_eq!(
        apply_stmts(&p),
        [
            "bool lt = (a < b)",
            "bool gt = (a > b)",
            "a = f<bit<8>>(a)",
            "a = e.get<T>(b)",
            "a = (cast T (Neg b))",
            "b = (a - b)",
            "a = (cast bit<8> (b >> 1))",
            "lt = ((a < b) && (b > a))",
            "a = ((cast T b) + 1)",
            "T[2] stack",
            "a = (a >> 2)",
        ]
    );
}

#[test]
fn shift_needs_adjacent_angle_brackets() {
    let d = diags(&parse("const int x = 8 > > 1;\n"));
    assert_eq!(
        d,
        [(
            "E0130".into(),
            1,
            19,
            "expected an expression, found `>`".into()
        )]
    );
}

#[test]
fn postfix_and_primary_forms() {
    let p = ok("extern Reg<A, B> { Reg(bit<32> n); }\n\
         const int a = h.x[3:0];\n\
         const int b = s[1].f.isValid();\n\
         const int c = .g;\n\
         const int d = {1, {2, 3}};\n\
         const int e = {x = 1, y = 2, ...};\n\
         const int f = Reg<bit<8>, _>(4);\n\
         const int g = h(x = 1, _);\n\
         const int i = error.NoMatch;\n\
         const int j = {#};\n\
         const int k = bit<8>.minSizeInBits();\n\
         const int l = this.m();\n");
    assert_eq!(
        consts(&p),
        [
            "h.x[3:0]",
            "s[1].f.isValid()",
            ".g",
            "{1, {2, 3}}",
            "{x = 1, y = 2, ...}",
            "new Reg<bit<8>, _>(4)",
            "h(x = 1, _)",
            "error.NoMatch",
            "{#}",
            "<type>.minSizeInBits()",
            "this.m()",
        ]
    );
}

#[test]
fn integer_literals() {
    let cases = [
        ("42", 42u64, None, 10, false),
        ("0x2A", 42, None, 16, false),
        ("0b1010_1010", 170, None, 2, false),
        ("0o17", 15, None, 8, false),
        ("8w0xFF", 255, Some((8, false)), 16, false),
        ("16w0d1_000", 1000, Some((16, false)), 10, false),
        ("4s-1", 1, Some((4, true)), 10, true),
        ("32s0x7fff_ffff", 0x7fff_ffff, Some((32, true)), 16, false),
    ];
    for (text, value, width, base, negative) in cases {
        let lit = int_literal(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(u64::try_from(lit.value).expect("fits"), value, "{text}");
        assert_eq!(lit.width, width, "{text}");
        assert_eq!(lit.base, base, "{text}");
        assert_eq!(lit.negative, negative, "{text}");
    }
    let big = int_literal("128w0xffffffffffffffffffffffffffffffff").expect("big");
    assert_eq!(big.value.bits(), 128);
    assert_eq!(
        int_literal("8w0xZZ").unwrap_err(),
        "expected a base-16 digit in integer literal `8w0xZZ`, found `Z`"
    );
    assert_eq!(
        int_literal("0b102").unwrap_err(),
        "expected a base-2 digit in integer literal `0b102`, found `2`"
    );
    assert_eq!(
        int_literal("8w").unwrap_err(),
        "expected digits in integer literal `8w`"
    );
}

#[test]
fn lexical_errors_are_reported_and_lexing_goes_on() {
    let d = diags(&parse(
        "const bit<8> a = 8w0x1G;\nconst bit<8> b = 1 $ 2;\nconst string s = \"open\n/* never closed",
    ));
    assert_eq!(
        d.iter()
            .map(|x| (x.0.as_str(), x.1, x.2))
            .collect::<Vec<_>>(),
        [
            ("E0123", 1, 18),
            ("E0120", 2, 20),
            // The parser never sees `$`: `1 2` lacks a `;`.
            ("E0130", 2, 22),
            ("E0121", 3, 18),
            ("E0122", 4, 1),
            ("E0130", 4, 16),
        ],
        "{d:?}"
    );
    assert_eq!(d[1].3, "unexpected character `$`");
}

#[test]
fn several_errors_in_one_run() {
    let src = "header h_t {\n    bit<8> a\n    bit<8> b;\n}\n\
               struct s_t { h_t h; }\n\
               control C(inout s_t s) {\n\
                   action a() { s.h.a = ; s.h.b = 1; }\n\
                   table t { key = { s.h.a exact; } actions = { a; } }\n\
                   apply { if (s.h.isValid() { a(); } t.apply(); }\n\
               }\n\
               const bit<8> after = 1;\n";
    let p = parse(src);
    let d = diags(&p);
    assert_eq!(
        d,
        [
            ("E0130".into(), 3, 5, "expected `;`, found `bit`".into()),
            (
                "E0130".into(),
                7,
                22,
                "expected an expression, found `;`".into()
            ),
            (
                "E0130".into(),
                8,
                25,
                "expected `:`, found identifier `exact`".into()
            ),
            ("E0130".into(), 9, 27, "expected `)`, found `{`".into()),
        ]
    );
    // Everything around the errors was still parsed.
    let names: Vec<_> = p
        .program
        .items
        .iter()
        .filter_map(|&h| p.program.decls[h].name().map(|n| n.name.clone()))
        .collect();
    assert_eq!(names, ["h_t", "s_t", "C", "after"]);
}

#[test]
fn recovery_stops_at_the_next_body_element() {
    let d = diags(&parse(
        "control C() {\n  bit<8> x\n  action a() { }\n  bit<8> y\n  apply { }\n}\n\
         parser P() {\n  bit<8> z\n  state start { transition accept; }\n}\n",
    ));
    assert_eq!(
        d,
        [
            ("E0130".into(), 3, 3, "expected `;`, found `action`".into()),
            ("E0130".into(), 5, 3, "expected `;`, found `apply`".into()),
            ("E0130".into(), 9, 3, "expected `;`, found `state`".into()),
        ]
    );
}

#[test]
fn missing_brace_before_a_top_level_declaration() {
    let p = parse("extern E {\n  void f();\n\nheader h_t { bit<8> a; }\n");
    assert_eq!(
        diags(&p),
        [("E0130".into(), 4, 1, "expected `}`, found `header`".into())]
    );
    let d = p.diagnostics.iter().next().expect("one");
    assert_eq!(d.labels[1].message, "this extern is not closed");
    assert!(matches!(
        p.program.decls[p.program.items[0]],
        Decl::Header(_)
    ));
}

#[test]
fn error_wording_names_expected_and_found() {
    let d = diags(&parse(
        "control C() {\n  apply {\n    x = 1\n  }\n}\nparser P() { state s { transition } }\n",
    ));
    assert_eq!(
        d,
        [
            ("E0130".into(), 4, 3, "expected `;`, found `}`".into()),
            (
                "E0130".into(),
                6,
                35,
                "expected an identifier, found `}`".into()
            ),
        ]
    );
    let d = diags(&parse("control C() {\n  apply {\n"));
    assert_eq!(
        d,
        [(
            "E0130".into(),
            3,
            1,
            "expected `}`, found end of input".into()
        )]
    );
    let p = parse("control C() {\n  apply {\n");
    let diag = p.diagnostics.iter().next().expect("one");
    assert_eq!(diag.labels.len(), 2);
    assert_eq!(diag.labels[1].message, "this block is not closed");
}

/// Every construct of the grammar, written for this test (tests/data/constructs.p4).
#[test]
fn constructs_file_has_the_expected_shape() {
    let p = ok(include_str!("data/constructs.p4"));
    let by_name = |name: &str| {
        p.items
            .iter()
            .map(|&h| &p.decls[h])
            .find(|d| d.name().is_some_and(|n| n.name == name))
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let Decl::Extern(reg) = by_name("Register") else {
        panic!("Register is not an extern")
    };
    let kinds: Vec<_> = reg.methods.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        [
            MethodKind::Constructor,
            MethodKind::Constructor,
            MethodKind::Normal,
            MethodKind::Normal
        ]
    );
    let Decl::Extern(v) = by_name("Virtual") else {
        panic!()
    };
    assert_eq!(v.methods[1].kind, MethodKind::Abstract);
    let Decl::Enum(proto) = by_name("Proto") else {
        panic!()
    };
    assert!(proto.repr.is_some());
    assert_eq!(proto.members.len(), 3);
    let Decl::Typedef(mac) = by_name("mac_t") else {
        panic!()
    };
    let TypedefTarget::Type(t) = mac.target else {
        panic!()
    };
    assert_eq!(show_ty(&p, t), "bit<48>");
    let Decl::Typedef(ip4) = by_name("ip4_t") else {
        panic!()
    };
    assert!(ip4.is_new_type);

    let Decl::Parser(parser) = by_name("MyParser") else {
        panic!()
    };
    assert_eq!(parser.locals.len(), 2);
    assert!(matches!(p.decls[parser.locals[0]], Decl::ValueSet(_)));
    let Some(Transition::Select { exprs, cases }) = &parser.states[1].transition else {
        panic!()
    };
    assert_eq!(exprs.len(), 2);
    let keysets: Vec<_> = cases
        .iter()
        .map(|c| match &c.keyset {
            Keyset::Single(e) => show(&p, *e),
            Keyset::Tuple(es) => {
                let v: Vec<_> = es.iter().map(|e| show(&p, *e)).collect();
                format!("({})", v.join(", "))
            }
        })
        .collect();
    assert_eq!(
        keysets,
        [
            "(6, _)",
            "(_, 0)",
            "((8w17 &&& 8w255), (1 .. 2))",
            "default"
        ]
    );
    let Some(Transition::Select { cases, .. }) = &parser.states[0].transition else {
        panic!()
    };
    assert_eq!(cases[1].next.name, "accept");
    assert!(matches!(&cases[2].keyset, Keyset::Single(e) if show(&p, *e) == "(33024 &&& 61439)"));

    let Decl::Control(ingress) = by_name("MyIngress") else {
        panic!()
    };
    let Decl::Instance(virt) = &p.decls[ingress.locals[1]] else {
        panic!()
    };
    assert_eq!(virt.initializer.as_ref().map(Vec::len), Some(1));
    let table = ingress
        .locals
        .iter()
        .find_map(|&h| match &p.decls[h] {
            Decl::Table(t) => Some(t),
            _ => None,
        })
        .expect("table");
    let names: Vec<_> = table
        .properties
        .iter()
        .map(|pr| (pr.name.name.as_str(), pr.is_const))
        .collect();
    assert_eq!(
        names,
        [
            ("key", false),
            ("actions", false),
            ("default_action", true),
            ("size", false),
            ("support_timeout", false),
            ("my_custom_property", false),
            ("entries", true),
        ]
    );
    let Some(TablePropertyKind::Key(keys)) = table.property("key").map(|p| &p.kind) else {
        panic!()
    };
    assert_eq!(keys[0].match_kind.name, "lpm");
    assert!(matches!(&keys[0].annotations[0].body,
        AnnotationBody::Unstructured { exprs: Some(e), .. } if show(&p, e[0]) == "\"dst\""));
    let Some(TablePropertyKind::Entries(entries)) = table.property("entries").map(|p| &p.kind)
    else {
        panic!()
    };
    assert_eq!(entries.len(), 3);
    assert_eq!(
        entries[1].priority.map(|e| show(&p, e)),
        Some("10".to_string())
    );
    assert_eq!(entries[0].action.name.name.name, "set_port");
    assert_eq!(entries[0].action.args.as_ref().map(Vec::len), Some(2));
    let Some(TablePropertyKind::Value(size)) = table.property("size").map(|p| &p.kind) else {
        panic!()
    };
    assert_eq!(show(&p, *size), "1024");

    // The switch on action_run, with a fallthrough label.
    let Some(Stmt::If { then, .. }) = ingress
        .apply
        .stmts
        .iter()
        .map(|&s| &p.stmts[s])
        .find(|s| matches!(s, Stmt::If { .. }))
    else {
        panic!("no if")
    };
    let Stmt::Block(b) = &p.stmts[*then] else {
        panic!()
    };
    let Stmt::Switch { expr, cases } = &p.stmts[b.stmts[0]] else {
        panic!()
    };
    assert_eq!(show(&p, *expr), "fwd.apply().action_run");
    assert!(cases[0].body.is_none());
    assert!(matches!(cases[2].label, SwitchLabel::Default));
    let Decl::Instance(main) = by_name("main") else {
        panic!()
    };
    assert_eq!(main.args.len(), 2);
}

#[test]
fn annotations_in_all_forms() {
    let p = ok("@hidden @name(\"a.b\") @id(3) @pragma my stuff here\n\
         @structured[1, \"x\"] @kv[k = 1, j = \"v\"] @free(not an expression:)\n\
         const bit<8> x = 1;\n");
    let Decl::Const(v) = &p.decls[p.items[0]] else {
        panic!()
    };
    let names: Vec<_> = v.annotations.iter().map(|a| a.name.name.as_str()).collect();
    assert_eq!(
        names,
        ["hidden", "name", "id", "pragma", "structured", "kv", "free"]
    );
    assert!(matches!(v.annotations[0].body, AnnotationBody::Empty));
    assert!(matches!(&v.annotations[3].body,
        AnnotationBody::Unstructured { tokens, exprs: None } if tokens.len() == 3));
    assert!(matches!(&v.annotations[4].body, AnnotationBody::ExprList(e) if e.len() == 2));
    assert!(
        matches!(&v.annotations[5].body, AnnotationBody::KeyValue(kv) if kv[1].name.name == "j")
    );
    assert!(matches!(&v.annotations[6].body,
        AnnotationBody::Unstructured { tokens, exprs: None } if tokens.len() == 4));
}

#[test]
fn locations_are_exact() {
    let p = ok("const bit<8> x =\n    1 + 23;\n");
    let Decl::Const(v) = &p.decls[p.items[0]] else {
        panic!()
    };
    let init = v.init.expect("init");
    let loc = p.exprs.loc(init);
    assert_eq!((loc.span.start, loc.span.end), (21, 27));
    assert_eq!(v.name.loc.span.start, 13);
    let decl = p.decls.loc(p.items[0]);
    assert_eq!((decl.span.start, decl.span.end), (0, 28));
}

#[test]
fn generated_benchmark_program_parses() {
    use ddsr_p4::generate::{FIXED_LINES, LINES_PER_UNIT, v1model_program};
    assert_eq!(
        v1model_program(1).lines().count(),
        FIXED_LINES + LINES_PER_UNIT
    );
    let src = v1model_program(10_000);
    let lines = src.lines().count();
    assert!(
        lines <= 10_000 && lines > 10_000 - LINES_PER_UNIT,
        "{lines} lines"
    );
    let p = ok(&src);
    // Headers, a struct per unit, and the fixed declarations of the architecture headers.
    assert!(p.items.len() > 180, "{}", p.items.len());
}

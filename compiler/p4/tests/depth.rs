//! Deeply nested input is an error, never a stack overflow. Each test runs on the default test
//! thread (2 MiB stack), smaller than a main thread's.

use ddsr_p4::syntax::{Options, parse_str};

fn codes(src: &str) -> Vec<(String, usize, usize)> {
    let parsed = parse_str("deep.p4", src, &Options::default());
    parsed
        .diagnostics
        .iter()
        .map(|d| {
            let (f, s) = d.position().expect("syntax diagnostics have a position");
            let (l, c) = parsed.sources.line_col(f, s.start);
            (d.code.to_string(), l, c)
        })
        .collect()
}

#[test]
fn ten_thousand_nested_parentheses_are_one_error() {
    let n = 10_000;
    let src = format!(
        "const bit<8> x = {}1{};\nconst bit<8> y = 2;\n",
        "(".repeat(n),
        ")".repeat(n)
    );
    let got = codes(&src);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "E0131");
    assert_eq!(got[0].1, 1);
}

#[test]
fn ten_thousand_nested_blocks_are_one_error() {
    let n = 10_000;
    let src = format!(
        "control C() {{ apply {{ {} {} }} }}\n",
        "{".repeat(n),
        "}".repeat(n)
    );
    let got = codes(&src);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "E0131");
}

#[test]
fn deep_unary_and_if_chains_are_errors() {
    let n = 10_000;
    let src = format!("const bit<8> x = {}1;\n", "-".repeat(n));
    assert_eq!(codes(&src)[0].0, "E0131");
    let src = format!(
        "control C() {{ apply {{ {} x = 1; }} }}\n",
        "if (true) ".repeat(n)
    );
    assert_eq!(codes(&src)[0].0, "E0131");
    let src = format!("typedef {}bit<8>{} t;\n", "tuple<".repeat(n), ">".repeat(n));
    assert_eq!(codes(&src)[0].0, "E0131");
}

#[test]
fn deep_preprocessor_conditions_are_errors() {
    let n = 10_000;
    let src = format!("#if {}1{}\n#endif\n", "(".repeat(n), ")".repeat(n));
    let got = codes(&src);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "E0106");
}

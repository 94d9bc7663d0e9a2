use ddsr_p4::syntax::{Options, parse_str};

#[test]
fn smoke() {
    let src = include_str!("data/constructs.p4");
    let parsed = parse_str("constructs.p4", src, &Options::default());
    let diags: Vec<_> = parsed.diagnostics.iter().cloned().collect();
    let text = ddsr_diag::render_text(&parsed.sources, &diags, false);
    assert!(diags.is_empty(), "{text}");
}

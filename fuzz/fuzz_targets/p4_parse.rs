//! The P4 preprocessor, lexer and parser on arbitrary text: whatever the input, they must
//! return a program and diagnostics, never panic, hang, overflow the stack or exhaust memory,
//! every location must lie inside a file of the source map, and every diagnostic must render.
#![no_main]

use ddsr_diag::{render_json, render_text};
use ddsr_p4::syntax::{Options, parse_str};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // No include directories: only the built-in headers can be included.
    let parsed = parse_str("fuzz.p4", text, &Options::default());
    for (h, _) in parsed.program.exprs.iter() {
        let loc = parsed.program.exprs.loc(h);
        let len = parsed.sources.source(loc.file).len() as u32;
        assert!(
            loc.span.start <= loc.span.end && loc.span.end <= len,
            "{loc:?}"
        );
    }
    assert_eq!(
        parsed.diagnostics.has_errors(),
        parsed
            .diagnostics
            .iter()
            .any(|d| d.severity == ddsr_diag::Severity::Error)
    );
    let diags = parsed.diagnostics.into_vec();
    let _ = render_text(&parsed.sources, &diags, false);
    let _ = render_json(&parsed.sources, &diags);
});

//! The policy front end on arbitrary bytes: whatever the input, checking it must return
//! diagnostics or a policy, never panic, hang or exhaust memory, and every diagnostic must
//! render, both as text and as JSON.
#![no_main]

use ddsr_diag::{SourceMap, render_json, render_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sources = SourceMap::new();
    let (policy, diags) = ddsr_policy::check_source(&mut sources, "fuzz.yaml", text);
    assert_eq!(policy.is_some(), !diags.has_errors());
    let diags = diags.into_vec();
    let _ = render_text(&sources, &diags, false);
    let _ = render_json(&sources, &diags);
});

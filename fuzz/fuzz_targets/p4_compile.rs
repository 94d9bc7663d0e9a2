//! The whole P4 front end on arbitrary text: preprocess, parse, semantic checks, lowering to the
//! pipeline IR and P4Info (for programs lowering refuses, such as TNA ones, the P4Info read
//! from the checked program). Whatever the input it must return diagnostics or a pipeline, never
//! panic, hang or overflow the stack; a pipeline it returns must pass the IR validator (the
//! contract the softswitch relies on), and every diagnostic must render.
#![no_main]

use ddsr_diag::{render_json, render_text};
use ddsr_p4::syntax::{Options, parse_str};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse_str("fuzz.p4", text, &Options::default());
    if parsed.diagnostics.has_errors() {
        return;
    }
    match ddsr_p4::p4info::compile(&parsed.program, "fuzz") {
        Ok(compiled) => {
            if let Err(errors) = ddsr_pipeline::valid::validate(&compiled.lowered.pipeline) {
                panic!("lowered pipeline fails validation: {errors:?}");
            }
        }
        Err(diags) => {
            let _ = render_text(&parsed.sources, &diags, false);
            let _ = render_json(&parsed.sources, &diags);
            if let Err(diags) = ddsr_p4::p4info::info(&parsed.program, "fuzz") {
                let _ = render_text(&parsed.sources, &diags, false);
            }
        }
    }
});

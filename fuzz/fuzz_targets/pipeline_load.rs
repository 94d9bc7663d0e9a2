//! Random pipeline JSON into the IR loader and, when it loads, into the softswitch with a few
//! packets: validation must reject what the executor cannot run, so nothing may panic.
#![no_main]

use ddsr_pipeline::Pipeline;
use ddsr_softswitch::{Output, Switch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(p) = Pipeline::from_json(text) else {
        return;
    };
    let Ok(mut sw) = Switch::new(p) else { return };
    let mut out = Output::default();
    for pkt in [
        &[][..],
        &[0u8; 1][..],
        &[0xffu8; 64][..],
        &data[..data.len().min(256)],
    ] {
        out.clear();
        sw.process(1, pkt, 0, &mut out, None);
    }
});

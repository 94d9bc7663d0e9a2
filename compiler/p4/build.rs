//! Embeds the architecture headers of `include/` (core.p4, v1model.p4, tna.p4...) so that
//! `#include <core.p4>` works with no installation. Generates a table of (name, contents) for
//! every `.p4` file present, so adding a header needs no code change.

use std::fs;
use std::path::Path;

fn main() {
    // Read at run time, not with env!(): a build script compiled for one checkout must not keep
    // pointing into it when another checkout shares the target directory.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("include");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = match fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".p4"))
            .collect(),
        Err(e) => panic!("cannot read the built-in headers in {}: {e}", dir.display()),
    };
    // An empty table would make every `#include <core.p4>` fail far from the cause.
    assert!(!names.is_empty(), "no .p4 headers in {}", dir.display());
    names.sort();
    let mut code = String::from("&[\n");
    for n in &names {
        let path = dir.join(n);
        println!("cargo:rerun-if-changed={}", path.display());
        code.push_str(&format!(
            "    ({n:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    code.push_str("]\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("builtin_headers.rs");
    fs::write(out, code).expect("OUT_DIR is writable");
}

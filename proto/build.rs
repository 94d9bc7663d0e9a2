//! Compiles the P4Runtime protobuf definitions in `proto/` with protox (a
//! protobuf compiler written in Rust, so no system `protoc` is needed), then
//! generates the prost messages and the tonic client and server from the
//! resulting descriptors. The encoded descriptor set is also written to
//! OUT_DIR so the library can embed it for reflection (text format, JSON).

use std::path::PathBuf;

/// Roots of the build; every other file is reached through imports.
const ROOTS: [&str; 2] = ["p4/v1/p4runtime.proto", "google/rpc/code.proto"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);

    let mut compiler = protox::Compiler::new(["proto"])?;
    // Imports are kept so the embedded set is self-contained (google.protobuf.Any
    // included); source info carries the comments into the generated docs.
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(ROOTS)?;
    std::fs::write(
        out_dir.join("p4runtime_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;

    let mut config = tonic_prost_build::Config::new();
    // `prost::Name` impls let `text::to_text` find a message's descriptor by
    // its full protobuf name.
    config.enable_type_names();
    // Any.type_url of our messages then reads as every other implementation
    // writes it.
    config.type_name_domain(["."], "type.googleapis.com");
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds_with_config(compiler.file_descriptor_set(), config)?;
    Ok(())
}

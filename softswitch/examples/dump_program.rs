//! Prints a hand-built program as `pipeline.json` (for trying `ddsr softswitch run` before the
//! P4 front end lowers programs): `cargo run -p ddsr-softswitch --example dump_program -- router`.

use ddsr_softswitch::programs::{l2_switch, l4_lb, router};

fn main() {
    let which = std::env::args().nth(1).unwrap_or_else(|| "router".into());
    let p = match which.as_str() {
        "router" => router(),
        "l4_lb" => l4_lb(),
        "l2_switch" => l2_switch(),
        other => {
            eprintln!("error: expected router, l4_lb or l2_switch, found `{other}`");
            std::process::exit(2);
        }
    };
    println!("{}", p.to_json());
}

//! A generator of large, valid v1model programs, for benchmarks of the whole front end.
//!
//! The program is built from repeated units, each a header, a parser state that extracts it, a
//! few actions, and two tables (exact and ternary keys, const entries with priorities, a
//! selector of counters and registers); the units chain through `select` on a type field. Every
//! unit uses only declarations of `core.p4` and `v1model.p4`, so the program is meant to pass
//! semantic checks and lowering as well as parsing.

use std::fmt::Write;

/// Lines one unit adds, and lines of the rest (checked by the tests).
pub const LINES_PER_UNIT: usize = 78;
pub const FIXED_LINES: usize = 66;

/// A v1model program of at most `target_lines` lines and more than `target_lines -
/// LINES_PER_UNIT` (never fewer than one unit).
pub fn v1model_program(target_lines: usize) -> String {
    let units = (target_lines.saturating_sub(FIXED_LINES) / LINES_PER_UNIT).max(1);
    let mut s = String::with_capacity(target_lines * 40);
    s.push_str("#include <core.p4>\n#include <v1model.p4>\n\n");
    s.push_str("#define TABLE_SIZE 1024\n#define PORT_DROP 511\n\n");
    s.push_str(
        "header ethernet_t {\n    bit<48> dst;\n    bit<48> src;\n    bit<16> ether_type;\n}\n\n",
    );
    for u in 0..units {
        let _ = write!(
            s,
            "header h{u}_t {{\n    bit<16> next_type;\n    bit<8>  kind;\n    bit<8>  flags;\n    \
             bit<32> value;\n    bit<32> addr;\n}}\n\n"
        );
    }
    s.push_str("struct headers_t {\n    ethernet_t eth;\n");
    for u in 0..units {
        let _ = writeln!(s, "    h{u}_t h{u};");
    }
    s.push_str(
        "}\n\nstruct meta_t {\n    bit<32> acc;\n    bit<16> port;\n    bit<8> hits;\n}\n\n",
    );

    s.push_str(
        "parser GenParser(packet_in pkt, out headers_t hdr, inout meta_t meta,\n                 \
         inout standard_metadata_t std) {\n    state start {\n        pkt.extract(hdr.eth);\n        \
         transition select(hdr.eth.ether_type) {\n            16w0x9000: parse_h0;\n            \
         default: accept;\n        }\n    }\n",
    );
    for u in 0..units {
        let next = if u + 1 < units {
            format!("parse_h{}", u + 1)
        } else {
            "accept".to_string()
        };
        let _ = write!(
            s,
            "    state parse_h{u} {{\n        pkt.extract(hdr.h{u});\n        \
             meta.acc = meta.acc + (bit<32>)hdr.h{u}.kind;\n        \
             transition select(hdr.h{u}.next_type, hdr.h{u}.flags) {{\n            \
             (16w{tag}, 8w0 &&& 8w0x80): {next};\n            (16w{tag}, _): {next};\n            \
             (16w0x0000 .. 16w0x00FF, _): reject;\n            default: accept;\n        }}\n    }}\n",
            tag = 0x9001 + u
        );
    }
    s.push_str("}\n\n");

    s.push_str(
        "control GenVerify(inout headers_t hdr, inout meta_t meta) {\n    apply { }\n}\n\n\
         control GenIngress(inout headers_t hdr, inout meta_t meta,\n                   \
         inout standard_metadata_t std) {\n",
    );
    for u in 0..units {
        let _ = write!(
            s,
            "    counter(32w{size}, CounterType.packets) hits{u};\n    \
             register<bit<32>>(32w64) seen{u};\n\n    \
             action set_port{u}(bit<9> port, bit<32> value) {{\n        \
             std.egress_spec = port;\n        hdr.h{u}.value = value;\n        \
             meta.hits = meta.hits + 8w1;\n        hits{u}.count((bit<32>)hdr.h{u}.kind);\n    }}\n\n    \
             action rewrite{u}(bit<32> addr) {{\n        hdr.h{u}.addr = addr;\n        \
             hdr.h{u}.flags = hdr.h{u}.flags | 8w0x01;\n        bit<32> old;\n        \
             seen{u}.read(old, (bit<32>)hdr.h{u}.kind & 32w63);\n        \
             seen{u}.write((bit<32>)hdr.h{u}.kind & 32w63, old + 32w1);\n    }}\n\n    \
             action drop{u}() {{\n        mark_to_drop(std);\n    }}\n\n    \
             table route{u} {{\n        key = {{\n            hdr.h{u}.addr: exact;\n            \
             hdr.h{u}.kind: exact;\n        }}\n        actions = {{\n            set_port{u};\n            \
             drop{u};\n            NoAction;\n        }}\n        size = TABLE_SIZE;\n        \
             default_action = NoAction();\n    }}\n\n    \
             table filter{u} {{\n        key = {{\n            hdr.h{u}.flags: ternary;\n            \
             hdr.h{u}.value: ternary;\n        }}\n        actions = {{\n            rewrite{u};\n            \
             drop{u};\n        }}\n        const default_action = drop{u}();\n        \
             const entries = {{\n            priority = 10: (8w0x01 &&& 8w0x01, _): rewrite{u}(32w{u});\n            \
             priority = 5: (_, 32w0 &&& 32w0xFFFF0000): drop{u}();\n        }}\n    }}\n\n",
            size = 64
        );
    }
    s.push_str(
        "    apply {\n        if (hdr.eth.isValid()) {\n            meta.port = 16w0;\n        }\n",
    );
    for u in 0..units {
        let _ = write!(
            s,
            "        if (hdr.h{u}.isValid()) {{\n            switch (route{u}.apply().action_run) {{\n                \
             set_port{u}: {{ filter{u}.apply(); }}\n                default: {{ }}\n            }}\n        }}\n"
        );
    }
    s.push_str(
        "        if (std.egress_spec == PORT_DROP) {\n            mark_to_drop(std);\n        }\n    }\n}\n\n",
    );
    s.push_str(
        "control GenEgress(inout headers_t hdr, inout meta_t meta,\n                  \
         inout standard_metadata_t std) {\n    apply { }\n}\n\n\
         control GenCompute(inout headers_t hdr, inout meta_t meta) {\n    apply { }\n}\n\n\
         control GenDeparser(packet_out pkt, in headers_t hdr) {\n    apply {\n        \
         pkt.emit(hdr.eth);\n",
    );
    for u in 0..units {
        let _ = writeln!(s, "        pkt.emit(hdr.h{u});");
    }
    s.push_str(
        "    }\n}\n\nV1Switch(GenParser(), GenVerify(), GenIngress(), GenEgress(), GenCompute(),\n         \
         GenDeparser()) main;\n",
    );
    s
}

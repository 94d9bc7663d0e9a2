//! The whole front end on a generated 10,000-line v1model program: preprocess + parse + check
//! + lower + P4Info (the built-in `core.p4` and `v1model.p4` included). Budget: 300 ms.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ddsr_p4::generate::v1model_program;
use ddsr_p4::syntax::{Options, parse_str};

fn compile(c: &mut Criterion) {
    let src = v1model_program(10_000);
    let lines = src.lines().count() as u64;
    let options = Options::default();
    let mut g = c.benchmark_group("p4_compile");
    g.throughput(Throughput::Elements(lines));
    g.bench_function("parse_check_lower_p4info_10k_lines", |b| {
        b.iter(|| {
            let parsed = parse_str("gen.p4", &src, &options);
            assert!(parsed.diagnostics.is_empty());
            let compiled = ddsr_p4::p4info::compile(&parsed.program, "gen")
                .unwrap_or_else(|d| panic!("{d:?}"));
            compiled.p4info.tables.len()
        })
    });
    g.finish();
}

criterion_group!(benches, compile);
criterion_main!(benches);

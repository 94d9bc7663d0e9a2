//! Preprocess + lex + parse of a generated 10,000-line v1model program (the built-in
//! `core.p4` and `v1model.p4` included), the syntax share of the front end's 300 ms budget.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ddsr_p4::generate::v1model_program;
use ddsr_p4::syntax::{Options, parse_str};

fn syntax(c: &mut Criterion) {
    let src = v1model_program(10_000);
    let lines = src.lines().count() as u64;
    let options = Options::default();
    let mut g = c.benchmark_group("p4_syntax");
    g.throughput(Throughput::Elements(lines));
    g.bench_function("preprocess_lex_parse_10k_lines", |b| {
        b.iter(|| {
            let parsed = parse_str("gen.p4", &src, &options);
            assert!(parsed.diagnostics.is_empty());
            parsed.program.items.len()
        })
    });
    g.finish();
}

criterion_group!(benches, syntax);
criterion_main!(benches);

//! `check_source` on generated policies: the whole front end (parse, lower, validate, shadowing).
//! The full-size comparison with PyYAML is a documented measurement (docs/notes/policy.md); these
//! smaller sizes keep `cargo bench` short while showing the same costs per VIP and per rule.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ddsr_policy::synth::{Params, generate};

fn bench(c: &mut Criterion) {
    let cases = [
        (
            "1000 vips x 16 backends",
            Params {
                vips: 1000,
                backends: 16,
                rules: 0,
                acls: 1,
                seed: 1,
            },
        ),
        (
            "5000 rules in 1 acl",
            Params {
                vips: 1,
                backends: 1,
                rules: 5000,
                acls: 1,
                seed: 1,
            },
        ),
        (
            "5000 rules in 100 acls",
            Params {
                vips: 100,
                backends: 1,
                rules: 5000,
                acls: 100,
                seed: 1,
            },
        ),
    ];
    let mut g = c.benchmark_group("check");
    g.sample_size(10);
    for (name, p) in cases {
        let text = generate(&p);
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut sm = ddsr_diag::SourceMap::new();
                let (policy, diags) = ddsr_policy::check_source(&mut sm, "bench.yaml", &text);
                assert!(policy.is_some() && diags.is_empty());
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

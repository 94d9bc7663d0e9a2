//! Prints ternary entries after compression versus the naive range-to-prefix expansion for
//! generated firewalls (the figure in the notes). Usage: `acl_compression [RULES...]`.

use std::time::Instant;

use ddsr_tables::passes::acl::{Matching, Options, Preserve, Verdict, lower};
use ddsr_tables::synth::firewall;

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap_or_else(|e| panic!("{a}: {e}")))
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1000, 10_000]
    } else {
        sizes
    };
    println!(
        "rules\tseed\tnaive\trule-kept\tratio\tverdict-kept\tratio\tunreachable\trange-entries\tseconds"
    );
    for n in sizes {
        for seed in [1u64, 2, 3] {
            let rules = firewall::generate(seed, n);
            let start = Instant::now();
            let t = lower(
                &firewall::layout(Matching::Ternary),
                &rules,
                &Options::default(),
            )
            .unwrap_or_else(|e| panic!("{e}"));
            let secs = start.elapsed().as_secs_f64();
            let verdict = Options {
                preserve: Preserve::Verdict {
                    miss: Verdict::Deny,
                },
                ..Options::default()
            };
            let v = lower(&firewall::layout(Matching::Ternary), &rules, &verdict)
                .unwrap_or_else(|e| panic!("{e}"));
            let r = lower(
                &firewall::layout(Matching::Range),
                &rules,
                &Options::default(),
            )
            .unwrap_or_else(|e| panic!("{e}"));
            println!(
                "{n}\t{seed}\t{}\t{}\t{:.3}\t{}\t{:.3}\t{}\t{}\t{secs:.2}",
                t.naive,
                t.entries.len(),
                t.entries.len() as f64 / t.naive as f64,
                v.entries.len(),
                v.entries.len() as f64 / t.naive as f64,
                t.unreachable.len(),
                r.entries.len(),
            );
        }
    }
}

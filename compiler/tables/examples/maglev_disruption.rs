//! Prints the share of buckets plain Maglev moves when one of N equal backends is removed, for
//! several table sizes (the figure in the notes).

use ddsr_tables::passes::maglev::{Backend, populate};

fn main() {
    println!("size\tN\tmoved%\tbound% (1/N + 1)");
    for size in [251u32, 1021, 4093, 16381, 65537] {
        for n in [4usize, 8, 16, 32, 64] {
            if (size as usize) < n {
                continue;
            }
            let pool: Vec<Backend> = (0..n)
                .map(|i| Backend::new(format!("backend-{i}"), 1))
                .collect();
            let full = populate(size, &pool).unwrap_or_else(|e| panic!("{e}"));
            let mut worst = 0.0f64;
            for removed in 0..n {
                let mut rest = pool.clone();
                rest.remove(removed);
                let t = populate(size, &rest).unwrap_or_else(|e| panic!("{e}"));
                let moved = (0..size)
                    .filter(|&k| {
                        full.backend_of(k).map(|b| &b.name) != t.backend_of(k).map(|b| &b.name)
                    })
                    .count();
                worst = worst.max(moved as f64 / f64::from(size));
            }
            println!(
                "{size}\t{n}\t{:.2}\t{:.2}",
                worst * 100.0,
                100.0 / n as f64 + 1.0
            );
        }
    }
}

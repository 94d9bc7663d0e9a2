//! Maglev population and minimal-disruption update: balance, weights, disruption, determinism.

use ddsr_tables::passes::maglev::{Backend, Error, Table, populate, update};

fn pool(n: usize) -> Vec<Backend> {
    (0..n)
        .map(|i| Backend::new(format!("10.1.{}.{}", i / 250, i % 250 + 1), 1))
        .collect()
}

/// Fraction of buckets whose backend name differs between two tables of the same size.
fn moved(a: &Table, b: &Table) -> f64 {
    let changed = (0..a.size())
        .filter(|&k| a.backend_of(k).map(|x| &x.name) != b.backend_of(k).map(|x| &x.name))
        .count();
    changed as f64 / f64::from(a.size())
}

#[test]
fn equal_weights_balance_within_one() {
    for size in [251u32, 4093, 65537, 1024] {
        for n in [1usize, 2, 3, 7, 16, 100] {
            let t = populate(size, &pool(n)).unwrap();
            let counts = t.counts();
            let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
            assert!(max - min <= 1, "size {size} n {n}: {counts:?}");
            assert_eq!(counts.iter().sum::<u32>(), size);
        }
    }
}

#[test]
fn order_of_backends_does_not_matter() {
    let mut backends = pool(16);
    backends[3].weight = 3;
    let a = populate(4093, &backends).unwrap();
    backends.reverse();
    backends.swap(2, 9);
    let b = populate(4093, &backends).unwrap();
    assert_eq!(a, b);
}

/// Plain Maglev meets the bound once the table is large against the pool (about 1000 buckets per
/// backend; with fewer, see `examples/maglev_disruption.rs`), which is why the compiler prefers
/// [`update`] between revisions.
#[test]
fn plain_maglev_removal_moves_at_most_one_nth_plus_one_point() {
    for (size, n) in [
        (65537u32, 4usize),
        (65537, 8),
        (65537, 16),
        (65537, 32),
        (65537, 64),
        (16381, 16),
    ] {
        let before = pool(n);
        let full = populate(size, &before).unwrap();
        for removed in [0, n / 2, n - 1] {
            let mut after = before.clone();
            after.remove(removed);
            let fresh = populate(size, &after).unwrap();
            let frac = moved(&full, &fresh);
            let bound = 1.0 / n as f64 + 0.01;
            assert!(
                frac <= bound,
                "size {size} n {n} removed {removed}: moved {frac} > {bound}"
            );
        }
    }
}

#[test]
fn update_after_removal_moves_only_the_removed_backends_buckets() {
    for (size, n) in [(65537u32, 10usize), (4093, 16), (251, 8), (1024, 16)] {
        let before = pool(n);
        let full = populate(size, &before).unwrap();
        let mut after = before.clone();
        let gone = after.remove(n / 3);
        let next = update(&full, &after).unwrap();
        for k in 0..size {
            let old = &full.backend_of(k).unwrap().name;
            let new = &next.backend_of(k).unwrap().name;
            if *old == gone.name {
                assert_ne!(new, &gone.name);
            } else {
                assert_eq!(old, new, "size {size} n {n}: bucket {k} moved");
            }
        }
        let counts = next.counts();
        assert!(counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1);
    }
}

#[test]
fn update_after_addition_moves_exactly_the_new_share() {
    let size = 4093;
    let before = pool(9);
    let full = populate(size, &before).unwrap();
    let mut after = before.clone();
    after.push(Backend::new("10.9.9.9", 1));
    let next = update(&full, &after).unwrap();
    let changed: Vec<u32> = (0..size)
        .filter(|&k| full.backend_of(k).unwrap().name != next.backend_of(k).unwrap().name)
        .collect();
    // 4093 / 10 rounds to 409 or 410.
    assert!(
        changed.len() == 409 || changed.len() == 410,
        "{}",
        changed.len()
    );
    assert!(
        changed
            .iter()
            .all(|&k| next.backend_of(k).unwrap().name == "10.9.9.9")
    );
    let counts = next.counts();
    assert!(counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1);
}

#[test]
fn weights_are_proportional() {
    let backends = vec![
        Backend::new("a", 1),
        Backend::new("b", 2),
        Backend::new("c", 3),
        Backend::new("d", 4),
    ];
    let size = 65537u32;
    let t = populate(size, &backends).unwrap();
    for (b, &c) in t.backends().iter().zip(&t.counts()) {
        let want = f64::from(size) * f64::from(b.weight) / 10.0;
        assert!(
            (f64::from(c) - want).abs() <= 0.005 * f64::from(size),
            "{}: {c} vs {want}",
            b.name
        );
    }
    // The update lands on the exact largest-remainder shares.
    let mut reweighted = backends.clone();
    reweighted[0].weight = 6;
    let u = update(&t, &reweighted).unwrap();
    // 65537 * w / 15 for w = 6, 2, 3, 4, remainders 12, 4, 6, 8: a and d get the two extra.
    assert_eq!(u.counts(), vec![26215, 8738, 13107, 17477]);
}

#[test]
fn zero_weight_backends_own_nothing() {
    let mut backends = pool(4);
    backends[1].weight = 0;
    let t = populate(251, &backends).unwrap();
    assert_eq!(t.counts()[1], 0);
    let u = update(&populate(251, &pool(4)).unwrap(), &backends).unwrap();
    assert_eq!(u.counts()[1], 0);
}

#[test]
fn bad_input_is_an_error() {
    assert_eq!(populate(100, &pool(3)), Err(Error::BadSize { size: 100 }));
    assert_eq!(populate(1, &pool(1)), Err(Error::BadSize { size: 1 }));
    assert_eq!(populate(7, &[]), Err(Error::NoBackends));
    assert_eq!(populate(7, &[Backend::new("a", 0)]), Err(Error::NoWeight));
    assert_eq!(
        populate(7, &[Backend::new("a", 1), Backend::new("a", 2)]),
        Err(Error::DuplicateBackend { name: "a".into() })
    );
    assert_eq!(
        populate(7, &pool(8)),
        Err(Error::TooSmall {
            size: 7,
            backends: 8
        })
    );
}

//! Random and mutated input never panics, and every diagnostic and node location lies inside
//! its file. A cheap, deterministic companion of the `p4_parse` fuzz target that runs with the
//! ordinary tests.

use ddsr_p4::syntax::{Options, Parsed, parse_str};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn check(src: &str) -> Parsed {
    let p = parse_str("r.p4", src, &Options::default());
    for d in p.diagnostics.iter() {
        for l in &d.labels {
            let len = p.sources.source(l.file).len() as u32;
            assert!(
                l.span.start <= l.span.end && l.span.end <= len,
                "{d:?}\n{src}"
            );
        }
    }
    for (h, _) in p.program.exprs.iter() {
        let loc = p.program.exprs.loc(h);
        assert!(
            loc.span.end as usize <= p.sources.source(loc.file).len(),
            "{src}"
        );
    }
    for (h, _) in p.program.stmts.iter() {
        let loc = p.program.stmts.loc(h);
        assert!(
            loc.span.end as usize <= p.sources.source(loc.file).len(),
            "{src}"
        );
    }
    p
}

const VOCAB: &[&str] = &[
    "control",
    "parser",
    "state",
    "transition",
    "select",
    "apply",
    "table",
    "key",
    "actions",
    "entries",
    "action",
    "header",
    "struct",
    "enum",
    "extern",
    "const",
    "typedef",
    "if",
    "else",
    "switch",
    "default",
    "return",
    "exit",
    "bit",
    "<",
    ">",
    ">>",
    "8",
    "8w1",
    "4s-1",
    "x",
    "T",
    "h",
    ".",
    ",",
    ";",
    ":",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "=",
    "==",
    "+",
    "++",
    "&&&",
    "..",
    "_",
    "@name",
    "(\"n\")",
    "?",
    "!",
    "-",
    "{#}",
    "...",
    "#define M(a) a +",
    "M(",
    "\n#if 1\n",
    "\n#endif\n",
    "\n#else\n",
    "\"s\"",
    "/*",
    "*/",
    "//",
    "\n",
    "error",
    "this",
    "in",
    "out",
    "inout",
    "package",
    "value_set",
    "tuple",
    "list",
    "for",
    "priority",
];

#[test]
fn random_token_soup_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..1500 {
        let n = rng.below(60);
        let mut s = String::new();
        for _ in 0..n {
            s.push_str(VOCAB[rng.below(VOCAB.len())]);
            s.push(if rng.below(4) == 0 { '\n' } else { ' ' });
        }
        check(&s);
    }
}

#[test]
fn mutated_programs_never_panic() {
    let base = include_str!("data/constructs.p4");
    let lines: Vec<&str> = base.lines().collect();
    let mut rng = Rng(42);
    for _ in 0..200 {
        let mut l = lines.clone();
        for _ in 0..1 + rng.below(4) {
            let i = rng.below(l.len());
            match rng.below(4) {
                0 => {
                    l.remove(i);
                }
                1 => {
                    let j = rng.below(l.len());
                    l.insert(i, l[j]);
                }
                2 => l[i] = &l[i][..l[i].len() / 2],
                _ => l.insert(i, VOCAB[rng.below(VOCAB.len())]),
            }
        }
        let src = l.join("\n");
        let p = check(&src);
        // Recovery keeps most of the program: a few edits lose a few declarations at most.
        assert!(
            p.program.items.len() >= 10,
            "{}\n{src}",
            p.program.items.len()
        );
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut rng = Rng(7);
    for _ in 0..1000 {
        let n = rng.below(200);
        let bytes: Vec<u8> = (0..n).map(|_| (rng.next() >> 24) as u8).collect();
        check(&String::from_utf8_lossy(&bytes));
    }
}

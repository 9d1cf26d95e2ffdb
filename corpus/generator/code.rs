//! Code in two dialects at once: the program as a user writes it (`f64`), and the same
//! program over hyper-dual numbers (`D`), the reference. Every generated fragment is a
//! [`Code`], so the two can never drift apart.

/// One fragment, in both dialects.
#[derive(Clone, Debug)]
pub struct Code {
    pub plain: String,
    pub dual: String,
}

impl Code {
    /// The same text in both dialects (integer code, names, statements over reals that
    /// `D` supports as written).
    pub fn same(s: impl Into<String>) -> Code {
        let s = s.into();
        Code {
            plain: s.clone(),
            dual: s,
        }
    }

    /// A real constant: `D::from(..)` in the reference, since `f64 * D` has no impl.
    pub fn real(plain: impl Into<String>) -> Code {
        let plain = plain.into();
        Code {
            dual: format!("D::from({plain})"),
            plain,
        }
    }
}

/// Fills each `{}` of `template` with the next argument, dialect by dialect.
pub fn tpl(template: &str, args: &[&Code]) -> Code {
    tpl2(template, template, args)
}

/// As [`tpl`], with a template of its own for the reference.
pub fn tpl2(plain: &str, dual: &str, args: &[&Code]) -> Code {
    Code {
        plain: fill(plain, args.iter().map(|c| c.plain.as_str())),
        dual: fill(dual, args.iter().map(|c| c.dual.as_str())),
    }
}

fn fill<'a>(template: &str, mut args: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    let mut parts = template.split("{}");
    out.push_str(parts.next().unwrap_or(""));
    for part in parts {
        out.push_str(args.next().expect("an argument per {}"));
        out.push_str(part);
    }
    assert!(
        args.next().is_none(),
        "more arguments than {{}} in {template}"
    );
    out
}

/// Lines of code, indented, in both dialects.
#[derive(Default)]
pub struct Lines {
    pub plain: String,
    pub dual: String,
    pub depth: usize,
}

impl Lines {
    pub fn push(&mut self, code: Code) {
        let pad = "    ".repeat(self.depth);
        for (out, text) in [(&mut self.plain, code.plain), (&mut self.dual, code.dual)] {
            out.push_str(&pad);
            out.push_str(&text);
            out.push('\n');
        }
    }

    pub fn line(&mut self, template: &str, args: &[&Code]) {
        self.push(tpl(template, args));
    }

    pub fn line2(&mut self, plain: &str, dual: &str, args: &[&Code]) {
        self.push(tpl2(plain, dual, args));
    }

    /// `target op= value;`, spelled `target = target op (value);` in the reference: a
    /// `D`'s `op=` is a method call, which borrows an indexed target before the value.
    pub fn compound(&mut self, target: &Code, op: &str, value: &Code) {
        self.push(Code {
            plain: format!("{} {op}= {};", target.plain, value.plain),
            dual: format!("{} = {} {op} ({});", target.dual, target.dual, value.dual),
        });
    }

    /// `head {`, the body at one more level, `}`.
    pub fn block(&mut self, head: Code, body: impl FnOnce(&mut Lines)) {
        self.push(tpl("{} {", &[&head]));
        self.depth += 1;
        body(self);
        self.depth -= 1;
        self.push(Code::same("}"));
    }
}

/// splitmix64: small, fast, and the same on every machine, so a seed names a corpus.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// A literal in (-2, 2) with two decimals, never zero.
    pub fn literal(&mut self) -> String {
        let v = (self.below(399) as i64 - 199) as f64 / 100.0;
        let v = if v == 0.0 { 0.5 } else { v };
        format!("{v:?}")
    }
}

//! Why an output depends on an input: the first-order tracer run over [`Why`] instead
//! of [`IndexSet`] (both are a [`TraceSet`]) keeps, for the one input it seeds, a chain
//! of the statements through which each value came to depend on it. The generated
//! `f_explain(x, c.., i, j)` runs it and returns the [`Explanation`] of entry `(i, j)`.

use std::fmt;
use std::rc::Rc;

use crate::trace::Join;
use crate::IndexSet;

/// What the generated first-order tracers compute with: a set of the inputs a real
/// depends on, or anything that unites like one. The tracers are generic over it, so
/// the pattern ([`IndexSet`]) and its explanation ([`Why`]) are one generated function.
pub trait TraceSet: Clone + Default + Join {
    /// The value of a constant: depends on nothing.
    fn new() -> Self;
    /// `a ∪ b`, as a new value.
    fn union(a: &Self, b: &Self) -> Self;
    /// `self ∪= other`.
    fn union_with(&mut self, other: &Self);
    /// `self = a ∪ b`, reusing `self`'s storage.
    fn assign_union(&mut self, a: &Self, b: &Self);
    /// Called after the statement at `site` wrote this value. Sets ignore it; [`Why`]
    /// records it.
    #[inline(always)]
    fn step(&mut self, site: &'static Site) {
        let _ = site;
    }
}

impl TraceSet for IndexSet {
    #[inline(always)]
    fn new() -> Self {
        IndexSet::new()
    }
    #[inline(always)]
    fn union(a: &Self, b: &Self) -> Self {
        IndexSet::union(a, b)
    }
    #[inline(always)]
    fn union_with(&mut self, other: &Self) {
        IndexSet::union_with(self, other)
    }
    #[inline(always)]
    fn assign_union(&mut self, a: &Self, b: &Self) {
        IndexSet::assign_union(self, a, b)
    }
}

/// A statement of an annotated function, as a generated tracer names it.
#[derive(Debug, PartialEq, Eq)]
pub struct Site {
    /// The source file (`file!()`).
    pub file: &'static str,
    /// The function the statement is in.
    pub function: &'static str,
    /// Its line in `file`.
    pub line: u32,
    /// The statement, as the compiler lowered it (temporaries and desugared iterators
    /// show as such).
    pub text: &'static str,
}

impl fmt::Display for Site {
    /// `src/lib.rs:7 (f): z[i] = y[i + 1] - y[i]`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{} ({}): {}",
            self.file, self.line, self.function, self.text
        )
    }
}

/// The input itself, where every chain starts.
static INPUT: Site = Site {
    file: "",
    function: "",
    line: 0,
    text: "",
};

/// One statement of a chain, and the chain before it (`None`: the input itself).
#[derive(Debug)]
struct Link {
    site: &'static Site,
    /// Statements from the input to here: a shorter chain is the better explanation.
    len: usize,
    from: Option<Rc<Link>>,
}

/// Whether a real depends on the one input traced, and if so through which statements.
///
/// The union of two values keeps the shorter chain; a statement that writes a value
/// adds itself to its chain, unless the chain already ends with it (an accumulation in
/// a loop is named once).
#[derive(Clone, Debug, Default)]
pub struct Why(Option<Rc<Link>>);

impl Why {
    /// The input traced: a chain of no statement.
    pub fn input() -> Self {
        Why(Some(Rc::new(Link {
            site: &INPUT,
            len: 0,
            from: None,
        })))
    }

    fn len(&self) -> usize {
        self.0.as_ref().map_or(usize::MAX, |l| l.len)
    }

    /// The statements from the input to this value, first to last.
    fn statements(&self) -> Vec<&'static Site> {
        let mut out = Vec::new();
        let mut at = self.0.as_deref();
        while let Some(link) = at {
            if link.from.is_some() {
                out.push(link.site);
            }
            at = link.from.as_deref();
        }
        out.reverse();
        out
    }
}

impl Join for Why {
    fn join(&mut self, other: Self) {
        if other.len() < self.len() {
            *self = other;
        }
    }
}

impl TraceSet for Why {
    fn new() -> Self {
        Why(None)
    }
    fn union(a: &Self, b: &Self) -> Self {
        if b.len() < a.len() { b } else { a }.clone()
    }
    fn union_with(&mut self, other: &Self) {
        if other.len() < self.len() {
            *self = other.clone();
        }
    }
    fn assign_union(&mut self, a: &Self, b: &Self) {
        *self = Self::union(a, b);
    }
    fn step(&mut self, site: &'static Site) {
        if let Some(last) = &self.0 {
            if std::ptr::eq(last.site, site) {
                return;
            }
            let len = last.len + 1;
            self.0 = Some(Rc::new(Link {
                site,
                len,
                from: self.0.take(),
            }));
        }
    }
}

/// Why output `i` of a function depends on its input `j`, or that it does not: the
/// statements, with their source lines, through which `x[j]` reaches `y[i]` (one
/// chain, the shortest the tracer met). Made by the generated `f_explain(x, c.., i, j)`;
/// printing it shows the chain.
///
/// Like the pattern, it is global: a chain through a branch on a real is explained
/// whichever way the branch goes at `x`.
///
/// What a generated tracer does, by hand: input 2 reaches `z`, then `y`.
///
/// ```
/// use asd_runtime::{Explanation, Site, TraceSet, Why};
///
/// static Z: Site = Site { file: "src/lib.rs", function: "f", line: 7, text: "z = x[2].sin()" };
/// static Y: Site = Site { file: "src/lib.rs", function: "f", line: 8, text: "y[0] = z * 2.0" };
/// let x = [Why::new(), Why::new(), Why::input()];
/// let mut z = TraceSet::union(&x[1], &x[2]); // x[1] does not lead to input 2; x[2] does
/// z.step(&Z);
/// let mut y = z.clone();
/// y.step(&Y);
/// let e = Explanation::new("f", (0, 2), &y);
/// assert!(e.depends());
/// assert_eq!(e.statements(), [&Z, &Y]);
/// assert_eq!(
///     e.to_string(),
///     "y[0] of f depends on x[2]:\n  src/lib.rs:7 (f): z = x[2].sin()\n  src/lib.rs:8 (f): y[0] = z * 2.0"
/// );
/// assert!(!Explanation::new("f", (0, 1), &Why::new()).depends());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    function: &'static str,
    entry: (usize, usize),
    /// `None`: `(i, j)` is not in the pattern.
    chain: Option<Vec<&'static Site>>,
}

impl Explanation {
    /// The explanation of entry `(i, j)` of `function` from the traced value of output
    /// `i`, with input `j` seeded by [`Why::input`].
    pub fn new(function: &'static str, entry: (usize, usize), output: &Why) -> Self {
        Explanation {
            function,
            entry,
            chain: output.0.as_ref().map(|_| output.statements()),
        }
    }

    /// `(i, j)`.
    pub fn entry(&self) -> (usize, usize) {
        self.entry
    }

    /// Whether output `i` depends on input `j`: whether `(i, j)` is in the pattern.
    pub fn depends(&self) -> bool {
        self.chain.is_some()
    }

    /// The statements from the input to the output, first to last; empty when the
    /// entry is not in the pattern (or the output is the input itself).
    pub fn statements(&self) -> &[&'static Site] {
        self.chain.as_deref().unwrap_or(&[])
    }
}

impl fmt::Display for Explanation {
    /// ```text
    /// y[3] of iter_diff depends on x[2]:
    ///   src/main.rs:7 (iter_diff): z[i] = y[i + 1] - y[i]
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (i, j) = self.entry;
        let Some(chain) = &self.chain else {
            return write!(
                f,
                "y[{i}] of {} does not depend on x[{j}]: ({i}, {j}) is not in the pattern",
                self.function
            );
        };
        write!(f, "y[{i}] of {} depends on x[{j}]", self.function)?;
        if chain.is_empty() {
            return write!(f, ": it is x[{j}]");
        }
        write!(f, ":")?;
        for site in chain {
            write!(f, "\n  {site}")?;
        }
        Ok(())
    }
}

//! Zero-filled vectors that the loops right after them wholly write before reading:
//! `let mut z = vec![0.0; len];` then a loop nest that stores every element of
//! `0..len`. Such a vector, and its derivative, is taken from the pool without zeroing
//! ([`VecExpr::Overwritten`]): an `L`-lane derivative is `L` times the primal's memory,
//! and zeroing it was a quarter of a prepared Jacobian of iter_diff and 8% of the
//! brusselator's (whose `du[c]`, `c = i + n * j`, fills `0..2 * nn` in two loops).
//!
//! The proof is over integer polynomials of the loop variables and of the integers that
//! keep their value while the nest runs:
//! - a store counts if it always runs: in the body of the nest's loops (ranges `0..end`),
//!   outside any `if` or `while`;
//! - its index is `offset + Σ stride_k · i_k`, linear in each loop around it, and the
//!   strides form a mixed radix: one is 1, and each next one is the last times that
//!   loop's trip count. It then writes exactly `offset .. offset + Π trips`, for every
//!   value of the integers;
//! - the stores' ranges chain from 0 to `len`;
//! - the nest reads `z` only at an index that a store before it in the same iteration
//!   wrote, and has no `return`.
//!
//! Anything the proof does not follow keeps the zeros.

use std::collections::BTreeMap;

use proc_macro2::{Delimiter, TokenTree};

use crate::ir::*;

/// A symbol of an index polynomial: an integer variable, or tokens taken whole (a
/// `const`, or a length like `y.len() - 1` compared as written).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Sym {
    Var(VarId),
    Atom(String),
}

/// An integer polynomial: coefficient of each monomial (its symbols, sorted), none zero.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Poly(BTreeMap<Vec<Sym>, i64>);

impl Poly {
    fn constant(c: i64) -> Poly {
        Poly(BTreeMap::from([(Vec::new(), c)])).normal()
    }

    fn sym(s: Sym) -> Poly {
        Poly(BTreeMap::from([(vec![s], 1)]))
    }

    fn normal(mut self) -> Poly {
        self.0.retain(|_, c| *c != 0);
        self
    }

    fn add(&self, other: &Poly, sign: i64) -> Option<Poly> {
        let mut sum = self.0.clone();
        for (m, c) in &other.0 {
            let at = sum.entry(m.clone()).or_insert(0);
            *at = at.checked_add(c.checked_mul(sign)?)?;
        }
        Some(Poly(sum).normal())
    }

    fn mul(&self, other: &Poly) -> Option<Poly> {
        let mut product = Poly::default();
        for (m, c) in &self.0 {
            for (n, d) in &other.0 {
                let mut mono = m.clone();
                mono.extend(n.iter().cloned());
                mono.sort();
                let term = Poly(BTreeMap::from([(mono, c.checked_mul(*d)?)]));
                product = product.add(&term, 1)?;
            }
        }
        Some(product)
    }

    fn reads(&self, s: &Sym) -> bool {
        self.0.keys().any(|m| m.contains(s))
    }
}

/// How an integer variable may appear in an index polynomial.
#[derive(Clone)]
enum Fixed {
    /// It changes where the proof cannot follow: an index reading it is not used.
    No,
    /// A parameter or a loop variable, never assigned.
    Symbol,
    /// Set once, by `let v = <tokens>;`.
    Let(Opaque),
    /// Set once otherwise (a call's result).
    Once,
}

/// The integer variables of one function and where each is set.
pub(super) struct Ints<'f> {
    vars: &'f [Var],
    fixed: Vec<Fixed>,
}

impl<'f> Ints<'f> {
    pub(super) fn new(body: &[Stmt], vars: &'f [Var]) -> Self {
        let mut sets = vec![0usize; vars.len()];
        let mut fixed: Vec<Fixed> = vars
            .iter()
            .map(|v| {
                if v.is_param() {
                    Fixed::Symbol
                } else {
                    Fixed::Once
                }
            })
            .collect();
        visit_stmts(body, &mut |s| {
            s.for_each_write(|v| sets[v] += 1);
            match s {
                Stmt::Let {
                    var,
                    init: Some(rhs),
                } => {
                    sets[*var] += 1;
                    if let Rhs::Opaque(o) = rhs {
                        fixed[*var] = Fixed::Let(o.clone());
                    }
                }
                Stmt::For { var, .. } => {
                    sets[*var] += 1;
                    fixed[*var] = Fixed::Symbol;
                }
                _ => {}
            }
        });
        for (v, var) in vars.iter().enumerate() {
            let most = if var.is_param() { 0 } else { 1 };
            if var.ty != Ty::Int || sets[v] > most {
                fixed[v] = Fixed::No;
            }
        }
        Ints { vars, fixed }
    }

    /// Whether `s` (the statement right after `let z = vec![0.0; len];`) writes every
    /// element of `z` before the nest reads it: see the [module](self).
    pub(super) fn writes_all(&self, z: VarId, len: &Opaque, s: &Stmt) -> bool {
        let Stmt::For { .. } = s else {
            return false;
        };
        let mut inside = Vec::new();
        visit_stmts(std::slice::from_ref(s), &mut |s| match s {
            Stmt::Let { var, .. } | Stmt::For { var, .. } => inside.push(*var),
            Stmt::Call { results, .. } => inside.extend(results),
            _ => {}
        });
        let nest = Nest {
            ints: self,
            z,
            inside,
            stores: Vec::new(),
        };
        nest.covers(len, s)
    }
}

/// One loop nest being followed.
struct Nest<'n, 'f> {
    ints: &'n Ints<'f>,
    z: VarId,
    /// The variables the nest declares: they may change between its iterations.
    inside: Vec<VarId>,
    /// The stores that always run: index, and the loops around them (variable, trips).
    stores: Vec<(Poly, Vec<(VarId, Poly)>)>,
}

impl Nest<'_, '_> {
    fn covers(mut self, len: &Opaque, top: &Stmt) -> bool {
        let Some(len) = self.poly(len).or_else(|| whole(len)) else {
            return false;
        };
        if self.walk(
            std::slice::from_ref(top),
            true,
            &mut Vec::new(),
            &mut Vec::new(),
        ) != Some(())
        {
            return false;
        }
        let mut ranges: Vec<Option<(Poly, Poly)>> =
            ranges(&self.stores).into_iter().map(Some).collect();
        let mut end = Poly::default();
        while end != len {
            let next = ranges
                .iter_mut()
                .find(|r| matches!(r, Some((offset, _)) if *offset == end));
            let Some(Some((_, size))) = next.map(Option::take) else {
                return false;
            };
            let Some(e) = end.add(&size, 1) else {
                return false;
            };
            end = e;
        }
        true
    }

    /// Walks `body`, checking what reads `z` and collecting the stores that always run
    /// (`always`) with `loops` around them; `stored` holds the indices written earlier
    /// in this iteration. `None` when the nest reads `z` anywhere else or returns.
    fn walk(
        &mut self,
        body: &[Stmt],
        always: bool,
        loops: &mut Vec<(VarId, Poly)>,
        stored: &mut Vec<Opaque>,
    ) -> Option<()> {
        let depth = stored.len();
        for s in body {
            match s {
                Stmt::Store { vec, index, value } => {
                    (!index.reads.contains(&self.z) && self.reads_ok(value, stored))
                        .then_some(())?;
                    if *vec == self.z {
                        if always {
                            if let Some(i) = self.poly(index) {
                                self.stores.push((i, loops.clone()));
                            }
                        }
                        stored.push(index.clone());
                    }
                }
                Stmt::Let { .. } | Stmt::Assign { .. } if matches!(s.real_assignment(), Some((var, _, None)) if var != self.z) =>
                {
                    let (_, e, _) = s.real_assignment().expect("a real assignment");
                    self.reads_ok(e, stored).then_some(())?
                }
                Stmt::Push { vec, value } if *vec != self.z => {
                    self.reads_ok(value, stored).then_some(())?
                }
                Stmt::For { var, range, body } => {
                    self.clean(s)?;
                    let counted = always
                        && range.adapters.is_empty()
                        && !range.inclusive
                        && self.poly(&range.start) == Some(Poly::default());
                    let trips = match self.poly(&range.end) {
                        // The outermost bound is read right after `len`: as written will do.
                        None if loops.is_empty() => whole(&range.end),
                        trips => trips,
                    };
                    match trips.filter(|_| counted) {
                        Some(trips) => {
                            loops.push((*var, trips));
                            self.walk(body, true, loops, stored)?;
                            loops.pop();
                        }
                        None => self.walk(body, false, loops, stored)?,
                    }
                }
                Stmt::Block(body) => self.walk(body, always, loops, stored)?,
                Stmt::If { then, els, .. } => {
                    self.clean(s)?;
                    self.walk(then, false, loops, stored)?;
                    self.walk(els, false, loops, stored)?;
                }
                Stmt::While { body, .. } => {
                    self.clean(s)?;
                    self.walk(body, false, loops, stored)?;
                }
                Stmt::Return(_) => return None,
                _ => self.clean(s)?,
            }
        }
        stored.truncate(depth);
        Some(())
    }

    /// `Some` when the statement itself (not its bodies) does not name `z`.
    fn clean(&self, s: &Stmt) -> Option<()> {
        let mut names = false;
        s.for_each_var(&mut |v| names |= v == self.z);
        (!names).then_some(())
    }

    /// Whether `e` reads `z` only at indices in `stored`, each reading only variables
    /// that keep their value through an iteration.
    fn reads_ok(&self, e: &Expr, stored: &[Opaque]) -> bool {
        match e {
            Expr::Var(v) => *v != self.z,
            Expr::Index(v, i) => {
                let same =
                    |s: &Opaque| s.reads == i.reads && s.tokens.to_string() == i.tokens.to_string();
                !i.reads.contains(&self.z)
                    && (*v != self.z
                        || (stored.iter().any(same)
                            && i.reads
                                .iter()
                                .all(|&r| !matches!(self.ints.fixed[r], Fixed::No))))
            }
            Expr::Lit(_) => true,
            Expr::Const(o) | Expr::Int(o) => !o.reads.contains(&self.z),
            Expr::Apply(_, args) => args.iter().all(|a| self.reads_ok(a, stored)),
        }
    }

    /// The tokens of `o` as a polynomial, or `None` where they are not `+`, `-`, `*` of
    /// integer literals, parentheses and variables the proof follows.
    fn poly(&self, o: &Opaque) -> Option<Poly> {
        let tokens: Vec<TokenTree> = o.tokens.clone().into_iter().collect();
        self.sum(&tokens, o, 0)
    }

    fn sum(&self, tokens: &[TokenTree], o: &Opaque, depth: usize) -> Option<Poly> {
        let mut total = Poly::default();
        let (mut start, mut sign) = (0, 1);
        for k in 0..=tokens.len() {
            let op = match tokens.get(k) {
                Some(TokenTree::Punct(p)) if matches!(p.as_char(), '+' | '-') => p.as_char(),
                Some(_) => continue,
                None => '+',
            };
            let term = self.product(&tokens[start..k], o, depth)?;
            total = total.add(&term, sign)?;
            sign = if op == '-' { -1 } else { 1 };
            start = k + 1;
        }
        Some(total)
    }

    fn product(&self, tokens: &[TokenTree], o: &Opaque, depth: usize) -> Option<Poly> {
        let mut factors = tokens.split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == '*'));
        let first = self.factor(factors.next()?, o, depth)?;
        factors.try_fold(first, |p, f| p.mul(&self.factor(f, o, depth)?))
    }

    fn factor(&self, tokens: &[TokenTree], o: &Opaque, depth: usize) -> Option<Poly> {
        match tokens {
            [TokenTree::Literal(l)] => {
                let text = l.to_string().replace('_', "");
                let digits = [
                    "usize", "u64", "u32", "u16", "u8", "isize", "i64", "i32", "i16", "i8",
                ]
                .iter()
                .find_map(|suffix| text.strip_suffix(suffix))
                .unwrap_or(&text);
                Some(Poly::constant(digits.parse().ok()?))
            }
            [TokenTree::Group(g)]
                if matches!(g.delimiter(), Delimiter::Parenthesis | Delimiter::None) =>
            {
                let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                self.sum(&inner, o, depth)
            }
            [TokenTree::Ident(name)] => {
                let mut ids: Vec<VarId> = o
                    .reads
                    .iter()
                    .copied()
                    .filter(|&r| self.ints.vars[r].name == *name)
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                match ids[..] {
                    [v] => self.var(v, depth),
                    // A `const` (by Rust's naming convention): the same value throughout.
                    [] => {
                        let text = name.to_string();
                        text.chars()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                            .then(|| Poly::sym(Sym::Atom(text)))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Variable `v` in an index: its `let`'s polynomial, or itself as a symbol when it
    /// keeps its value while the nest runs.
    fn var(&self, v: VarId, depth: usize) -> Option<Poly> {
        let outside = !self.inside.contains(&v);
        match &self.ints.fixed[v] {
            Fixed::No => None,
            Fixed::Symbol => Some(Poly::sym(Sym::Var(v))),
            Fixed::Let(o) if depth < 16 => {
                let tokens: Vec<TokenTree> = o.tokens.clone().into_iter().collect();
                self.sum(&tokens, o, depth + 1)
                    .or_else(|| outside.then(|| Poly::sym(Sym::Var(v))))
            }
            Fixed::Let(_) | Fixed::Once => outside.then(|| Poly::sym(Sym::Var(v))),
        }
    }
}

/// Tokens taken whole, as a symbol.
fn whole(o: &Opaque) -> Option<Poly> {
    Some(Poly::sym(Sym::Atom(o.tokens.to_string())))
}

/// A store's loops (variable, trips), its index's strides along them (in that order)
/// and its offset.
struct Linear<'s> {
    loops: &'s [(VarId, Poly)],
    strides: Vec<Poly>,
    offsets: Vec<Poly>,
}

/// The elements the stores write, as `(offset, count)` ranges. Stores in the same loops
/// with the same strides and offsets `o, o + 1, .. o + s - 1` (`y[2 * i]` and `y[2 * i
/// + 1]`) write as one store would in one more loop, of `s` trips and stride 1.
fn ranges(stores: &[(Poly, Vec<(VarId, Poly)>)]) -> Vec<(Poly, Poly)> {
    let mut groups: Vec<Linear<'_>> = Vec::new();
    for (index, loops) in stores {
        let Some((offset, strides)) = linear(index, loops) else {
            continue;
        };
        match groups
            .iter_mut()
            .find(|g| g.loops == &loops[..] && g.strides == strides)
        {
            Some(g) => g.offsets.push(offset),
            None => groups.push(Linear {
                loops,
                strides,
                offsets: vec![offset],
            }),
        }
    }
    let mut ranges = Vec::new();
    for g in &groups {
        let trips: Vec<&Poly> = g.loops.iter().map(|(_, t)| t).collect();
        match interleaved(g) {
            Some((first, s)) => {
                let mut strides = g.strides.clone();
                strides.push(Poly::constant(1));
                let mut trips = trips;
                trips.push(&s);
                ranges.extend(radix(&strides, &trips).map(|size| (first, size)));
            }
            None => ranges.extend(
                g.offsets
                    .iter()
                    .filter_map(|o| Some((o.clone(), radix(&g.strides, &trips)?))),
            ),
        }
    }
    ranges
}

/// `index` as `offset + Σ strides[k] · loops[k].0`, each loop variable read once per
/// term and no trip count reading one: `(offset, strides)`.
fn linear(index: &Poly, loops: &[(VarId, Poly)]) -> Option<(Poly, Vec<Poly>)> {
    let syms: Vec<Sym> = loops.iter().map(|(v, _)| Sym::Var(*v)).collect();
    if loops
        .iter()
        .any(|(_, trips)| syms.iter().any(|s| trips.reads(s)))
    {
        return None;
    }
    let mut offset = Poly::default();
    let mut strides = vec![Poly::default(); loops.len()];
    for (mono, c) in &index.0 {
        let at: Vec<usize> = (0..syms.len())
            .filter(|&k| mono.contains(&syms[k]))
            .collect();
        match at[..] {
            [] => offset = offset.add(&Poly(BTreeMap::from([(mono.clone(), *c)])), 1)?,
            [k] if mono.iter().filter(|s| **s == syms[k]).count() == 1 => {
                let mut rest = mono.clone();
                rest.retain(|s| *s != syms[k]);
                strides[k] = strides[k].add(&Poly(BTreeMap::from([(rest, *c)])), 1)?;
            }
            _ => return None,
        }
    }
    Some((offset, strides))
}

/// When a group's offsets are `first + 0, first + 1, .. first + s - 1`, with `s > 1`:
/// `(first, s)`.
fn interleaved(g: &Linear<'_>) -> Option<(Poly, Poly)> {
    let (base, rest) = g.offsets.split_first()?;
    let mut shifts = vec![0];
    for o in rest {
        let d = o.add(base, -1)?;
        shifts.push(match d.0.len() {
            0 => 0,
            1 => *d.0.get(&Vec::new())?,
            _ => return None,
        });
    }
    let low = *shifts.iter().min()?;
    let mut shifts: Vec<i64> = shifts.iter().map(|d| d - low).collect();
    shifts.sort_unstable();
    let consecutive = shifts.iter().zip(0..).all(|(&d, k)| d == k);
    if shifts.len() < 2 || !consecutive {
        return None;
    }
    let s = Poly::constant(i64::try_from(shifts.len()).ok()?);
    Some((base.add(&Poly::constant(low), 1)?, s))
}

/// The count of elements an index of these strides writes over loops of these trips,
/// when the strides are a mixed radix: one is 1, each next the last times its loop's
/// trips. The index then takes each value of `offset .. offset + count` exactly once.
fn radix(strides: &[Poly], trips: &[&Poly]) -> Option<Poly> {
    let mut left: Vec<usize> = (0..strides.len()).collect();
    let mut stride = Poly::constant(1);
    while !left.is_empty() {
        let at = left.iter().position(|&k| strides[k] == stride)?;
        let k = left.remove(at);
        stride = stride.mul(trips[k])?;
    }
    Some(stride)
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;

    use crate::errors::Errors;
    use crate::ir::*;
    use crate::lower::tests::lower_item;

    /// The vectors of `item` taken from the pool without zeroing.
    fn unzeroed(item: TokenStream) -> Vec<String> {
        let mut f = lower_item(item).expect("lowers");
        let mut errors = Errors::default();
        super::super::analyse(&mut f, &mut errors);
        assert!(errors.is_empty());
        let mut found = Vec::new();
        visit_stmts(&f.body, &mut |s| match s {
            Stmt::Let {
                var,
                init: Some(Rhs::Vec(VecExpr::Overwritten(_))),
            }
            | Stmt::Assign {
                var,
                rhs: Rhs::Vec(VecExpr::Overwritten(_)),
                ..
            } => found.push(f.vars[*var].name.to_string()),
            _ => {}
        });
        found
    }

    #[test]
    fn loop_nests_that_write_every_element_first_skip_the_zeros() {
        // The brusselator: two stores of `c = i + n * j` fill `0..2 * nn`.
        let got = unzeroed(quote! {
            fn f(u: &[f64], n: usize) -> Vec<f64> {
                let nn = n * n;
                let mut du = vec![0.0; 2 * nn];
                for j in 0..n {
                    let jp1 = (j + 1) % n;
                    for i in 0..n {
                        let c = i + n * j;
                        du[c] = u[c] * u[i + n * jp1];
                        du[c + nn] = u[c + nn] - du[c];
                    }
                }
                du
            }
        });
        assert_eq!(got, ["du"]);
        // Row-major, a constant stride, the length as written, a vector per iteration.
        let got = unzeroed(quote! {
            fn f(x: &[f64], rows: usize, cols: usize) -> f64 {
                const K: usize = 3;
                let mut a = vec![0.0; rows * (cols + 1)];
                for r in 0..rows {
                    for c in 0..cols + 1 {
                        a[(cols + 1) * r + c] = x[r] * x[c];
                    }
                }
                let mut y = x.to_vec();
                for _ in 0..K {
                    let mut z = vec![0.0; y.len() - 1];
                    for i in 0..y.len() - 1 {
                        z[i] = y[i + 1] - y[i];
                    }
                    y = z;
                }
                let mut b = vec![0.0; K * rows];
                for k in 0..K {
                    for r in 0..rows {
                        b[r * K + k] = a[r] * y[0];
                    }
                }
                b[0]
            }
        });
        assert_eq!(got, ["a", "z", "b"]);
        // Interleaved: (x, y) pairs, and three coordinates stored out of order.
        let got = unzeroed(quote! {
            fn f(p: &[f64]) -> f64 {
                let n = p.len() / 3;
                let mut v = vec![0.0; 2 * n];
                for i in 0..n {
                    v[2 * i] = p[i];
                    v[2 * i + 1] = -p[i];
                }
                let mut force = vec![0.0; 3 * n];
                for i in 0..n {
                    force[3 * i + 2] = p[3 * i] * v[i];
                    force[3 * i] = p[3 * i + 1];
                    force[3 * i + 1] = p[3 * i + 2];
                }
                force[0]
            }
        });
        assert_eq!(got, ["v", "force"]);
    }

    #[test]
    fn anything_the_proof_does_not_follow_keeps_the_zeros() {
        let got = unzeroed(quote! {
            fn f(x: &[f64], n: usize) -> f64 {
                // Reads an element a later iteration writes.
                let mut a = vec![0.0; n];
                for i in 0..n {
                    a[i] = x[i];
                    a[i] = a[i] + a[n - 1 - i];
                }
                // Stores under a branch.
                let mut b = vec![0.0; n];
                for i in 0..n {
                    if x[i] > 0.0 {
                        b[i] = x[i];
                    }
                }
                // One element short.
                let mut c = vec![0.0; n];
                for i in 0..n - 1 {
                    c[i] = x[i];
                }
                // A triangle of the square.
                let mut d = vec![0.0; n * n];
                for j in 0..n {
                    for i in 0..j {
                        d[i + n * j] = x[i];
                    }
                }
                // An index the loop counts itself.
                let mut e = vec![0.0; n];
                let mut k = 0;
                for i in 0..n {
                    e[k] = x[i];
                    k += 1;
                }
                // A loop whose variable the index does not read (it may run no time).
                let mut g = vec![0.0; n];
                for t in 0..n {
                    for i in 0..n {
                        g[i] = x[t];
                    }
                }
                // Two strides where one is needed.
                let mut h = vec![0.0; 2 * n];
                for i in 0..n {
                    h[2 * i] = x[i];
                }
                // Every other element, twice.
                let mut w = vec![0.0; 2 * n];
                for i in 0..n {
                    w[2 * i] = x[i];
                    w[2 * i + 2] = x[i];
                }
                a[0] + b[0] + c[0] + d[0] + e[0] + g[0] + h[0] + w[0]
            }
        });
        assert!(got.is_empty(), "{got:?}");
    }
}

//! Mutation testing of the whole macro: every `#[sparse_diff]` function of the
//! repository's tests is a seed, and small deterministic edits of the seeds (a token
//! dropped, swapped or duplicated, an identifier, literal, type or operator replaced, a
//! statement deleted, an expression wrapped) are the mutants. [`expand`] must never panic
//! on one, must emit a file that parses, and must point every error it gives at the
//! user's tokens: a `compile_error!` at the call site tells the user nothing.
//!
//! The seeds are read from the test files at test time, so new tests become new seeds.
//! The random choices come from one seeded [`SplitMix64`]: the set of mutants is fixed.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::panic;
use std::path::Path;

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::{quote_spanned, ToTokens};
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{Expr, ItemFn};

use crate::expand;

/// The test files whose `#[sparse_diff]` functions are the seeds.
const SOURCES: &[(&str, &str)] = &[
    (
        "rust_as_written",
        include_str!("../../tests/rust_as_written.rs"),
    ),
    ("language", include_str!("../../tests/language.rs")),
    ("regressions", include_str!("../../tests/regressions.rs")),
    ("reverse", include_str!("../../tests/reverse.rs")),
    ("hessians", include_str!("../../tests/hessians.rs")),
    ("methods", include_str!("../../tests/methods.rs")),
    (
        "hessian_sparsity",
        include_str!("../../tests/hessian_sparsity.rs"),
    ),
    ("problems", include_str!("../../tests/problems/mod.rs")),
    ("user_rules", include_str!("../../tests/user_rules.rs")),
];

/// The macros of `tests/common` that put their last argument under `#[sparse_diff]`.
const ANNOTATING_MACROS: &[&str] = &["vector", "scalar", "in_place"];

/// One function to mutate: the attribute's arguments, the function without the
/// attribute, and the lines of the source file it spans (errors must point there).
#[derive(Clone)]
pub(crate) struct Seed {
    pub name: String,
    pub attr: TokenStream,
    pub item: TokenStream,
    pub lines: (usize, usize),
}

/// Every seed of [`SOURCES`], in file order.
pub(crate) fn seeds() -> Vec<Seed> {
    let mut seeds = Vec::new();
    for (file, text) in SOURCES {
        let parsed = syn::parse_file(text).unwrap_or_else(|e| panic!("tests/{file}.rs: {e}"));
        let mut finder = Finder {
            file,
            seeds: &mut seeds,
        };
        finder.visit_file(&parsed);
    }
    seeds
}

/// Collects the annotated functions of a file, in modules, function bodies and the
/// bodies of [`ANNOTATING_MACROS`].
struct Finder<'a> {
    file: &'a str,
    seeds: &'a mut Vec<Seed>,
}

impl Finder<'_> {
    fn push(&mut self, mut f: ItemFn, attr: TokenStream, first_line: usize) {
        let last_line = f.block.brace_token.span.close().end().line;
        f.attrs.retain(|a| !is_sparse_diff(a.path()));
        self.seeds.push(Seed {
            name: format!("{}::{}", self.file, f.sig.ident),
            attr,
            item: f.into_token_stream(),
            lines: (first_line, last_line),
        });
    }
}

fn is_sparse_diff(path: &syn::Path) -> bool {
    path.segments
        .last()
        .is_some_and(|s| s.ident == "sparse_diff")
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_item_fn(&mut self, f: &'ast ItemFn) {
        if let Some(a) = f.attrs.iter().find(|a| is_sparse_diff(a.path())) {
            let attr = match &a.meta {
                syn::Meta::List(l) => l.tokens.clone(),
                _ => TokenStream::new(),
            };
            let first = a.pound_token.span.start().line;
            self.push(f.clone(), attr, first);
        }
        syn::visit::visit_item_fn(self, f);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if !ANNOTATING_MACROS.iter().any(|n| m.path.is_ident(n)) {
            return;
        }
        // `name at (x, c..), item`: the item follows the last top-level comma.
        let tokens: Vec<TokenTree> = m.tokens.clone().into_iter().collect();
        let comma = tokens
            .iter()
            .rposition(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ','));
        let Some(comma) = comma else { return };
        let item: TokenStream = tokens[comma + 1..].iter().cloned().collect();
        // `name with (attr) at (..)`: the attribute's arguments.
        let attr = match tokens.get(1..3) {
            Some([TokenTree::Ident(w), TokenTree::Group(g)]) if w == "with" => g.stream(),
            _ => TokenStream::new(),
        };
        if let Ok(f) = syn::parse2::<ItemFn>(item) {
            let first = tokens[comma + 1].span().start().line;
            self.push(f, attr, first);
        }
    }
}

/// The PRNG of the mutants (Steele, Lea and Flood's SplitMix64): a few lines, no
/// dependency, and the same sequence everywhere.
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`; the bias of the modulo does not matter here).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// A token tree that can be edited in place: groups are vectors.
#[derive(Clone)]
enum Tok {
    Leaf(TokenTree),
    Group(Delimiter, Span, Vec<Tok>),
}

fn tree(ts: TokenStream) -> Vec<Tok> {
    ts.into_iter()
        .map(|t| match t {
            TokenTree::Group(g) => Tok::Group(g.delimiter(), g.span(), tree(g.stream())),
            t => Tok::Leaf(t),
        })
        .collect()
}

fn stream(v: &[Tok]) -> TokenStream {
    v.iter()
        .map(|t| match t {
            Tok::Leaf(t) => t.clone(),
            Tok::Group(d, span, inner) => {
                let mut g = Group::new(*d, stream(inner));
                g.set_span(*span);
                TokenTree::Group(g)
            }
        })
        .collect()
}

/// The path (child indices) of every node, in pre-order.
fn paths(v: &[Tok], prefix: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    for (i, t) in v.iter().enumerate() {
        prefix.push(i);
        out.push(prefix.clone());
        if let Tok::Group(_, _, inner) = t {
            paths(inner, prefix, out);
        }
        prefix.pop();
    }
}

/// The vector that holds the node at `path`.
fn parent<'a>(v: &'a mut Vec<Tok>, path: &[usize]) -> &'a mut Vec<Tok> {
    match path {
        [] | [_] => v,
        [i, rest @ ..] => match &mut v[*i] {
            Tok::Group(_, _, inner) => parent(inner, rest),
            Tok::Leaf(_) => unreachable!("a path runs through groups"),
        },
    }
}

fn node<'a>(v: &'a [Tok], path: &[usize]) -> &'a Tok {
    match path {
        [i] => &v[*i],
        [i, rest @ ..] => match &v[*i] {
            Tok::Group(_, _, inner) => node(inner, rest),
            Tok::Leaf(_) => unreachable!("a path runs through groups"),
        },
        [] => unreachable!("an empty path"),
    }
}

fn span_of(t: &Tok) -> Span {
    match t {
        Tok::Leaf(t) => t.span(),
        Tok::Group(_, s, _) => *s,
    }
}

fn ident(name: &str, span: Span) -> Tok {
    Tok::Leaf(TokenTree::Ident(Ident::new(name, span)))
}

fn punct(c: char, spacing: Spacing, span: Span) -> Tok {
    let mut p = Punct::new(c, spacing);
    p.set_span(span);
    Tok::Leaf(TokenTree::Punct(p))
}

/// `s` as puncts (an operator), every one at `span`.
fn operator(s: &str, span: Span) -> Vec<Tok> {
    let n = s.chars().count();
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            let spacing = if i + 1 < n {
                Spacing::Joint
            } else {
                Spacing::Alone
            };
            punct(c, spacing, span)
        })
        .collect()
}

const OPERATORS: &[&str] = &[
    "+", "-", "*", "/", "%", "<", ">", "<=", ">=", "==", "!=", "&&", "||", "+=", "-=", "*=", "/=",
    "=", "..", "..=",
];
const LITERALS: &[&str] = &[
    "0",
    "0.0",
    "1",
    "2.5",
    "1e300",
    "18446744073709551615",
    "340282366920938463463374607431768211456",
    "3usize",
    "1.5f32",
    "2i32",
    "255u8",
    "'c'",
    "\"s\"",
];
const TYPES: &[&str] = &["f32", "usize", "i32", "bool", "f64", "u8", "T"];
const METHODS: &[&str] = &[
    "clone", "abs", "sqrt", "exp", "len", "iter", "to_vec", "sum",
];

/// The kinds of mutation, each of which may not apply to a given function.
const KINDS: usize = 12;

/// One mutation of `item` of kind `kind`, or `None` when it does not apply.
fn mutate(item: &TokenStream, kind: usize, rng: &mut SplitMix64) -> Option<TokenStream> {
    let mut v = tree(item.clone());
    let mut all = Vec::new();
    paths(&v, &mut Vec::new(), &mut all);
    let leaf = |v: &[Tok], p: &Vec<usize>, pred: &dyn Fn(&TokenTree) -> bool| matches!(node(v, p), Tok::Leaf(t) if pred(t));
    let choose = |rng: &mut SplitMix64, ps: Vec<Vec<usize>>| -> Option<Vec<usize>> {
        (!ps.is_empty()).then(|| ps[rng.below(ps.len())].clone())
    };
    match kind {
        // Drop a token (a group with everything in it).
        0 => {
            let p = rng.pick(&all).clone();
            parent(&mut v, &p).remove(*p.last()?);
        }
        // Swap two adjacent tokens.
        1 => {
            let p = rng.pick(&all).clone();
            let i = *p.last()?;
            let siblings = parent(&mut v, &p);
            if i + 1 >= siblings.len() {
                return None;
            }
            siblings.swap(i, i + 1);
        }
        // Duplicate a token.
        2 => {
            let p = rng.pick(&all).clone();
            let i = *p.last()?;
            let siblings = parent(&mut v, &p);
            let t = siblings[i].clone();
            siblings.insert(i, t);
        }
        // An identifier by another identifier of the function.
        3 => {
            let ids: Vec<_> = all
                .iter()
                .filter(|p| leaf(&v, p, &|t| matches!(t, TokenTree::Ident(_))))
                .cloned()
                .collect();
            let names: Vec<String> = ids
                .iter()
                .map(|p| match node(&v, p) {
                    Tok::Leaf(t) => t.to_string(),
                    Tok::Group(..) => String::new(),
                })
                .collect();
            let p = choose(rng, ids)?;
            let name = rng.pick(&names).clone();
            let span = span_of(node(&v, &p));
            parent(&mut v, &p)[*p.last()?] = ident(&name, span);
        }
        // A literal by another literal; or negated.
        4 => {
            let lits: Vec<_> = all
                .iter()
                .filter(|p| leaf(&v, p, &|t| matches!(t, TokenTree::Literal(_))))
                .cloned()
                .collect();
            let p = choose(rng, lits)?;
            let old = node(&v, &p).clone();
            let span = span_of(&old);
            let i = *p.last()?;
            let siblings = parent(&mut v, &p);
            match rng.below(4) {
                0 => siblings.insert(i, punct('-', Spacing::Alone, span)),
                1 => {
                    // int ↔ float
                    let s = tok_string(&old);
                    let new = if s.contains('.') || s.contains('e') {
                        s.split(['.', 'e']).next().unwrap_or("0").to_string()
                    } else {
                        format!("{}.0", s.trim_end_matches(char::is_alphabetic))
                    };
                    let mut lit: Literal = new.parse().ok()?;
                    lit.set_span(span);
                    siblings[i] = Tok::Leaf(TokenTree::Literal(lit));
                }
                _ => {
                    let mut lit: Literal = rng.pick(LITERALS).parse().ok()?;
                    lit.set_span(span);
                    siblings[i] = Tok::Leaf(TokenTree::Literal(lit));
                }
            }
        }
        // A scalar type by another.
        5 => {
            let tys: Vec<_> = all
                .iter()
                .filter(|p| {
                    leaf(&v, p, &|t| {
                        matches!(t, TokenTree::Ident(i) if ["f64", "usize", "f32", "i32", "T", "bool"].iter().any(|n| i == n))
                    })
                })
                .cloned()
                .collect();
            let p = choose(rng, tys)?;
            let span = span_of(node(&v, &p));
            let ty = TYPES[rng.below(TYPES.len())];
            parent(&mut v, &p)[*p.last()?] = ident(ty, span);
        }
        // A slice reference `&[..]` by `&mut [..]`, `Vec<..>`, or a reference dropped.
        6 => {
            let refs: Vec<_> = all
                .iter()
                .filter(|p| {
                    leaf(
                        &v,
                        p,
                        &|t| matches!(t, TokenTree::Punct(q) if q.as_char() == '&'),
                    ) && next_sibling(&v, p)
                        .is_some_and(|t| matches!(t, Tok::Group(Delimiter::Bracket, ..)))
                })
                .cloned()
                .collect();
            let p = choose(rng, refs)?;
            let i = *p.last()?;
            let span = span_of(node(&v, &p));
            let siblings = parent(&mut v, &p);
            match rng.below(3) {
                0 => siblings.insert(i + 1, ident("mut", span)),
                1 => {
                    let Tok::Group(_, _, inner) = siblings.remove(i + 1) else {
                        return None;
                    };
                    let mut new = vec![ident("Vec", span), punct('<', Spacing::Alone, span)];
                    new.extend(inner);
                    new.push(punct('>', Spacing::Alone, span));
                    siblings.splice(i..=i, new);
                }
                _ => {
                    siblings.remove(i);
                }
            }
        }
        // An operator by another.
        7 => {
            let ops: Vec<_> = all
                .iter()
                .filter(|p| {
                    leaf(&v, p, &|t| matches!(t, TokenTree::Punct(_)))
                        && !prev_is_joint(&v, p)
                        && OPERATORS.contains(&operator_at(&v, p).as_str())
                })
                .cloned()
                .collect();
            let p = choose(rng, ops)?;
            let len = operator_at(&v, &p).chars().count();
            let i = *p.last()?;
            let span = span_of(node(&v, &p));
            let op = OPERATORS[rng.below(OPERATORS.len())];
            let new = operator(op, span);
            parent(&mut v, &p).splice(i..i + len, new);
        }
        // Delete a statement.
        8 => return syn_edit(item, rng, delete_stmt),
        // Wrap an expression in a block, a closure called at once, or a method call.
        9..=11 => {
            let how = kind - 9;
            let method = *rng.pick(METHODS);
            return syn_edit(item, rng, |f, k| wrap_expr(f, k, how, method));
        }
        _ => unreachable!("{KINDS} kinds"),
    }
    Some(stream(&v))
}

fn tok_string(t: &Tok) -> String {
    stream(std::slice::from_ref(t)).to_string()
}

fn next_sibling<'a>(v: &'a [Tok], p: &[usize]) -> Option<&'a Tok> {
    let mut q = p.to_vec();
    *q.last_mut()? += 1;
    let (last, init) = q.split_last()?;
    let siblings = if init.is_empty() {
        v
    } else {
        match node(v, init) {
            Tok::Group(_, _, inner) => inner,
            Tok::Leaf(_) => return None,
        }
    };
    siblings.get(*last)
}

fn prev_is_joint(v: &[Tok], p: &[usize]) -> bool {
    let Some((&last, init)) = p.split_last() else {
        return false;
    };
    if last == 0 {
        return false;
    }
    let mut q = init.to_vec();
    q.push(last - 1);
    matches!(node(v, &q), Tok::Leaf(TokenTree::Punct(q)) if q.spacing() == Spacing::Joint)
}

/// The operator that starts at the punct at `p`: the puncts joined to it.
fn operator_at(v: &[Tok], p: &[usize]) -> String {
    let mut s = String::new();
    let mut q = p.to_vec();
    while let Some(Tok::Leaf(TokenTree::Punct(c))) = get(v, &q) {
        s.push(c.as_char());
        if c.spacing() == Spacing::Alone {
            break;
        }
        *q.last_mut().expect("a path") += 1;
    }
    s
}

/// The node at `p`, or `None` past the end of its group.
fn get<'a>(v: &'a [Tok], p: &[usize]) -> Option<&'a Tok> {
    let (last, init) = p.split_last()?;
    if init.is_empty() {
        return v.get(*last);
    }
    match node(v, init) {
        Tok::Group(_, _, inner) => inner.get(*last),
        Tok::Leaf(_) => None,
    }
}

/// An edit of the parsed function: `edit(f, k)` changes the `k`-th site and says
/// whether there was one; a site is chosen among those counted by a dry run.
fn syn_edit(
    item: &TokenStream,
    rng: &mut SplitMix64,
    edit: impl Fn(&mut ItemFn, usize) -> usize,
) -> Option<TokenStream> {
    let mut f: ItemFn = syn::parse2(item.clone()).ok()?;
    let sites = edit(&mut f.clone(), usize::MAX);
    if sites == 0 {
        return None;
    }
    edit(&mut f, rng.below(sites));
    Some(f.into_token_stream())
}

/// Deletes the `k`-th statement (in pre-order over blocks); the number of statements.
fn delete_stmt(f: &mut ItemFn, k: usize) -> usize {
    struct Delete {
        k: usize,
        seen: usize,
    }
    impl VisitMut for Delete {
        fn visit_block_mut(&mut self, b: &mut syn::Block) {
            let mut i = 0;
            while i < b.stmts.len() {
                if self.seen == self.k {
                    b.stmts.remove(i);
                    self.seen += 1;
                    continue;
                }
                self.seen += 1;
                self.visit_stmt_mut(&mut b.stmts[i]);
                i += 1;
            }
        }
    }
    let mut d = Delete { k, seen: 0 };
    d.visit_block_mut(&mut f.block);
    d.seen
}

/// Wraps the `k`-th expression (in pre-order) as `how` says: 0 a block, 1 a closure
/// called at once, 2 a call of `method`; the number of expressions.
fn wrap_expr(f: &mut ItemFn, k: usize, how: usize, method: &str) -> usize {
    struct Wrap<'a> {
        k: usize,
        seen: usize,
        how: usize,
        method: &'a str,
    }
    impl VisitMut for Wrap<'_> {
        fn visit_expr_mut(&mut self, e: &mut Expr) {
            if self.seen == self.k {
                self.seen += 1;
                let tokens = e.to_token_stream();
                let at = tokens
                    .clone()
                    .into_iter()
                    .next()
                    .map_or_else(Span::call_site, |t| t.span());
                let m = Ident::new(self.method, at);
                let new = match self.how {
                    0 => quote_spanned!(at=> { #tokens }),
                    1 => quote_spanned!(at=> (|| #tokens)()),
                    _ => quote_spanned!(at=> (#tokens).#m()),
                };
                if let Ok(new) = syn::parse2(new) {
                    *e = new;
                }
                return;
            }
            self.seen += 1;
            syn::visit_mut::visit_expr_mut(self, e);
        }
    }
    let mut w = Wrap {
        k,
        seen: 0,
        how,
        method,
    };
    w.visit_block_mut(&mut f.block);
    w.seen
}

/// One mutant: its seed, and the function after one or two mutations.
pub(crate) struct Mutant {
    pub seed: usize,
    pub attr: TokenStream,
    pub item: TokenStream,
}

/// `n` distinct mutants of `seeds` that parse as functions, the same on every run. A
/// seed is drawn with a weight inverse to its length, so that each seed's mutants cost
/// about the same time to expand: the small functions get more mutants.
pub(crate) fn mutants(seeds: &[Seed], n: usize, seed: u64) -> Vec<Mutant> {
    let mut rng = SplitMix64(seed);
    let originals: HashSet<String> = seeds.iter().map(|s| s.item.to_string()).collect();
    let lengths: Vec<usize> = seeds.iter().map(|s| length(&s.item)).collect();
    let longest = lengths.iter().copied().max().unwrap_or(1);
    // Cumulative weights `longest / length`, for drawing a seed.
    let cumulative: Vec<usize> = lengths
        .iter()
        .scan(0, |acc, l| {
            *acc += longest / l.max(&1);
            Some(*acc)
        })
        .collect();
    let total = cumulative.last().copied().unwrap_or(0);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut tries = 0;
    while out.len() < n && tries < 20 * n {
        tries += 1;
        let r = rng.below(total);
        let seed = cumulative.partition_point(|&c| c <= r);
        let mut item = seeds[seed].item.clone();
        let edits = if rng.below(4) == 0 { 2 } else { 1 };
        let mut changed = false;
        for _ in 0..edits {
            let kind = rng.below(KINDS);
            if let Some(m) = mutate(&item, kind, &mut rng) {
                item = m;
                changed = true;
            }
        }
        if !changed {
            continue;
        }
        let item = respan(item, seeds[seed].item.clone().into_iter().next());
        let text = item.to_string();
        if originals.contains(&text) || !seen.insert(text) {
            continue;
        }
        if syn::parse2::<ItemFn>(item.clone()).is_err() {
            continue;
        }
        out.push(Mutant {
            seed,
            attr: seeds[seed].attr.clone(),
            item,
        });
    }
    out
}

/// The number of tokens of `ts`, at every depth.
fn length(ts: &TokenStream) -> usize {
    ts.clone()
        .into_iter()
        .map(|t| match t {
            TokenTree::Group(g) => 1 + length(&g.stream()),
            _ => 1,
        })
        .sum()
}

/// `ts` with every token syn's printer made up (parentheses it adds, at the call site)
/// at the place of the token before it: the mutants' tokens are all the user's, so an
/// error at the call site is the macro's fault.
fn respan(ts: TokenStream, first: Option<TokenTree>) -> TokenStream {
    fn go(ts: TokenStream, last: &mut Span) -> TokenStream {
        ts.into_iter()
            .map(|mut t| {
                if is_call_site(t.span()) {
                    t.set_span(*last);
                } else {
                    *last = t.span();
                }
                if let TokenTree::Group(g) = &t {
                    let mut new = Group::new(g.delimiter(), go(g.stream(), last));
                    new.set_span(g.span());
                    t = TokenTree::Group(new);
                }
                t
            })
            .collect()
    }
    let mut last = first.map_or_else(Span::call_site, |t| t.span());
    go(ts, &mut last)
}

/// A span made up rather than read: the call site, at the start of no file.
fn is_call_site(s: Span) -> bool {
    s.byte_range() == (0..0)
}

thread_local! {
    /// Set while mutants run: the panic hook keeps quiet and records where it was.
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

/// What became of one mutant.
pub(crate) enum Outcome {
    /// No `compile_error!`: the macro generated its operators.
    Accepted,
    Rejected,
    /// A broken promise, described.
    Failed(String),
}

/// Expands one mutant and checks the promises: no panic, a parsable file, and every
/// error on the lines of the seed.
pub(crate) fn run(m: &Mutant, seed: &Seed) -> Outcome {
    let (attr, item) = (m.attr.clone(), m.item.clone());
    QUIET.with(|q| q.set(true));
    let out = panic::catch_unwind(move || expand(attr, item));
    QUIET.with(|q| q.set(false));
    let out = match out {
        Ok(out) => out,
        Err(_) => {
            return Outcome::Failed(format!(
                "panicked: {}",
                LAST_PANIC.with(|p| p.borrow().clone())
            ))
        }
    };
    if let Err(e) = syn::parse2::<syn::File>(out.clone()) {
        return Outcome::Failed(format!("unparsable output ({e}): {out}"));
    }
    let errors = compile_errors(&out);
    for (line, msg) in &errors {
        if *line < seed.lines.0 || *line > seed.lines.1 {
            return Outcome::Failed(format!(
                "error at line {line}, outside the input (lines {}..={}): {msg}",
                seed.lines.0, seed.lines.1
            ));
        }
    }
    if errors.is_empty() {
        Outcome::Accepted
    } else {
        Outcome::Rejected
    }
}

/// The line and message of every `compile_error!` in `out`: the driver emits them at
/// the top level.
fn compile_errors(out: &TokenStream) -> Vec<(usize, String)> {
    let tokens: Vec<TokenTree> = out.clone().into_iter().collect();
    let mut found = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if let TokenTree::Ident(id) = t {
            if id == "compile_error" {
                let msg = tokens.get(i + 2).map_or(String::new(), |g| g.to_string());
                found.push((id.span().start().line, msg));
            }
        }
    }
    found
}

/// Runs `f` with a panic hook that is silent (and records the panic) on threads running
/// mutants, and the previous hook's everywhere else, since tests run in parallel. The
/// hook is installed once and stays: removing it could remove another test's.
pub(crate) fn quietly<T>(f: impl FnOnce() -> T) -> T {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if QUIET.with(|q| q.get()) {
                let msg = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                let at = info.location().map_or(String::new(), |l| l.to_string());
                LAST_PANIC.with(|p| *p.borrow_mut() = format!("{msg} at {at}"));
            } else {
                previous(info);
            }
        }));
    });
    f()
}

/// How many mutants the CI test runs, and the seed of their PRNG: 10^4 take about 70 s
/// of CPU in the debug profile (half of it parsing the expansions), split over up to
/// four threads. A longer hunt:
/// `ASD_MUTANTS=100000 ASD_MUTANTS_SEED=7 cargo test -p asd-macros no_mutant`.
fn config() -> (usize, u64) {
    let var = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
    (
        var("ASD_MUTANTS").map_or(10_000, |n: u64| n as usize),
        var("ASD_MUTANTS_SEED").unwrap_or(0x5eed_a5d0_0000_0001),
    )
}

/// What one thread found: counts, and the broken promises described.
#[derive(Default)]
struct Tally {
    seeds: usize,
    accepted: usize,
    rejected: usize,
    failures: Vec<String>,
}

/// Every `shards`-th mutant from `shard` on. Spans refer to a thread's own source map, so
/// each thread reads the seeds and makes the (same) mutants itself.
fn run_shard(shard: usize, shards: usize) -> Tally {
    let seeds = seeds();
    let (n, seed) = config();
    let mutants = mutants(&seeds, n, seed);
    assert_eq!(mutants.len(), n, "too few distinct mutants");
    let mut tally = Tally {
        seeds: seeds.len(),
        ..Tally::default()
    };
    for m in mutants.iter().skip(shard).step_by(shards) {
        match run(m, &seeds[m.seed]) {
            Outcome::Accepted => tally.accepted += 1,
            Outcome::Rejected => tally.rejected += 1,
            Outcome::Failed(why) => tally.failures.push(format!(
                "{} mutated:\n  #[sparse_diff({})] {}\n  {why}",
                seeds[m.seed].name, m.attr, m.item
            )),
        }
    }
    tally
}

#[test]
fn no_mutant_panics_or_gives_an_error_without_a_place() {
    let start = std::time::Instant::now();
    let shards = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let tallies: Vec<Tally> = quietly(|| {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..shards)
                .map(|i| s.spawn(move || run_shard(i, shards)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a shard of mutants"))
                .collect()
        })
    });
    let accepted: usize = tallies.iter().map(|t| t.accepted).sum();
    let rejected: usize = tallies.iter().map(|t| t.rejected).sum();
    let failures: Vec<&String> = tallies.iter().flat_map(|t| &t.failures).collect();
    let seeds = tallies[0].seeds;
    eprintln!(
        "{seeds} seeds, {} mutants: {accepted} accepted, {rejected} rejected, {} broke a promise; {:?} on {shards} threads",
        config().0,
        failures.len(),
        start.elapsed()
    );
    for f in &failures {
        eprintln!("{f}\n");
    }
    assert!(seeds >= 100, "the seeds were not all found: {seeds}");
    assert_eq!(accepted + rejected + failures.len(), config().0);
    assert!(
        failures.is_empty(),
        "{} mutants broke a promise (see above); the first:\n{}",
        failures.len(),
        failures[0]
    );
}

/// The lines and messages of the errors of expanding `src`, read from a string so that
/// its tokens have lines (those of `quote!` are all at the call site).
fn error_lines(src: &str) -> Vec<(usize, String)> {
    let item: TokenStream = src.parse().expect("tokens");
    compile_errors(&expand(TokenStream::new(), item))
}

// The smallest inputs of the mutants that broke a promise.

#[test]
fn an_empty_statement_is_accepted() {
    let src = "fn f(x: &[f64]) -> f64 {\n    let y = x[0];;\n    y\n}";
    assert_eq!(error_lines(src), vec![]);
}

#[test]
fn an_error_at_parentheses_syn_adds_points_at_the_user_code() {
    // `*{ v }` is the element itself, `{x[i]}`, which syn prints as `({x[i]}) /= 2.0`.
    let src =
        "fn f(x: &mut [f64]) {\n    for v in x.iter_mut() {\n        *{ v } /= 2.0;\n    }\n}";
    let errors = error_lines(src);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, 3, "{errors:?}");
}

#[test]
fn an_error_in_a_chain_over_rows_points_at_the_user_code() {
    // `row` is `(&x[..])`, and the chain's sum is bound to a name of the macro's.
    let src = "fn f(x: &[f64]) -> Vec<f64> {\n    x.chunks(2).map(|row| row.iter().zip.sum()).collect()\n}";
    let errors = error_lines(src);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, 2, "{errors:?}");
}

#[test]
fn an_integer_read_from_a_sub_slice_points_at_the_user_code() {
    let src = "fn f(x: &[f64]) -> Vec<f64> {\n    let inner = &x[1..3];\n    let mut y = Vec::with_capacity(inner.len);\n    y.push(inner[0]);\n    y\n}";
    let errors = error_lines(src);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!((2..=3).contains(&errors[0].0), "{errors:?}");
}

/// The accepted mutants as Rust: a scratch crate of them as plain functions and one of
/// them under `#[asd::sparse_diff]`, each in a module file of its own, checked by
/// `cargo check`. A mutant that compiles plain, that the macro accepted, but whose
/// annotated module does not compile is code the macro should have rejected or
/// generated differently. Too slow for CI (it builds `asd`'s dependencies):
/// `cargo test -p asd-macros -- --ignored --nocapture accepted_mutants_compile`, with
/// `ASD_COMPILE_MUTANTS=n` for more or fewer than 300.
#[test]
#[ignore]
fn accepted_mutants_compile() {
    let limit = std::env::var("ASD_COMPILE_MUTANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let seeds = seeds();
    let (n, seed) = config();
    let all = mutants(&seeds, n, seed);
    let mut accepted = Vec::new();
    quietly(|| {
        for m in &all {
            if accepted.len() == limit {
                break;
            }
            if let Outcome::Accepted = run(m, &seeds[m.seed]) {
                accepted.push(m);
            }
        }
    });
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = root.join("target/mutants-check");
    let source = |m: &Mutant, annotated: bool| {
        let f: ItemFn = syn::parse2(m.item.clone()).expect("a function");
        let attr = &m.attr;
        let attr = annotated.then(|| quote::quote!(#[asd::sparse_diff(#attr)]));
        let file: syn::File = syn::parse_quote! {
            #[allow(unused_imports)]
            use num_traits::Float;
            #attr
            #f
        };
        prettyplease::unparse(&file)
    };
    let plain: Vec<String> = accepted.iter().map(|m| source(m, false)).collect();
    let annotated: Vec<String> = accepted.iter().map(|m| source(m, true)).collect();
    let all_modules: Vec<usize> = (0..accepted.len()).collect();
    let asd = root.canonicalize().expect("the workspace");
    let fails_plain = check_crate(&dir.join("plain"), "", &plain, &all_modules);
    let valid: Vec<usize> = all_modules
        .iter()
        .copied()
        .filter(|k| !fails_plain.contains_key(k))
        .collect();
    let dep = format!("asd = {{ path = {:?} }}\n", asd.display().to_string());
    let fails_annotated = check_crate(&dir.join("annotated"), &dep, &annotated, &valid);
    eprintln!(
        "{} accepted mutants checked: {} valid Rust, {} fail to compile under #[sparse_diff]",
        accepted.len(),
        valid.len(),
        fails_annotated.len()
    );
    for (k, errors) in &fails_annotated {
        eprintln!(
            "--- m{k} ({}):\n{}\n{}",
            seeds[accepted[*k].seed].name,
            plain[*k],
            errors.join("\n")
        );
    }
    assert!(
        fails_annotated.is_empty(),
        "{} accepted mutants that are valid Rust do not compile under #[sparse_diff] (see above)",
        fails_annotated.len()
    );
}

/// Writes a crate at `dir` with the modules `modules` of `sources` (`src/m{k}.rs`) and
/// checks it until what is left compiles: an error can hide others (a crate that fails
/// type checking is not borrow checked; some errors come one a round), so the modules
/// with errors are dropped and the rest checked again. The errors of each module that
/// had any, by module.
fn check_crate(
    dir: &std::path::Path,
    deps: &str,
    sources: &[String],
    modules: &[usize],
) -> std::collections::BTreeMap<usize, Vec<String>> {
    use std::fs;
    let _ = fs::remove_dir_all(dir.join("src"));
    fs::create_dir_all(dir.join("src")).expect("a scratch directory");
    let manifest = format!(
        "[package]\nname = \"mutants_{}\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
         [dependencies]\nnum-traits = \"0.2\"\n{deps}\n[workspace]\n",
        dir.file_name().and_then(|n| n.to_str()).unwrap_or("check")
    );
    fs::write(dir.join("Cargo.toml"), manifest).expect("a manifest");
    // The workspace's lock file: the same versions, and no registry lookup.
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    fs::copy(lock, dir.join("Cargo.lock")).expect("the lock file");
    for &k in modules {
        fs::write(dir.join(format!("src/m{k}.rs")), &sources[k]).expect("a module");
    }
    let mut failing = std::collections::BTreeMap::new();
    let mut left: Vec<usize> = modules.to_vec();
    // Each round that fails drops at least one module, so this ends.
    loop {
        let lib: String = std::iter::once("#![allow(warnings)]\n".to_string())
            .chain(left.iter().map(|k| format!("mod m{k};\n")))
            .collect();
        fs::write(dir.join("src/lib.rs"), lib).expect("lib.rs");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = std::process::Command::new(cargo)
            .args(["check", "--offline", "--message-format", "short", "--quiet"])
            .env("CARGO_TARGET_DIR", dir.join("../target"))
            .current_dir(dir)
            .output()
            .expect("cargo check");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut round = std::collections::BTreeMap::<usize, Vec<String>>::new();
        for line in stderr.lines() {
            let Some(rest) = line.strip_prefix("src/m") else {
                continue;
            };
            let Some((k, _)) = rest.split_once(".rs:") else {
                continue;
            };
            if line.contains(": error") {
                if let Ok(k) = k.parse() {
                    round.entry(k).or_default().push(line.to_string());
                }
            }
        }
        if out.status.success() {
            break;
        }
        assert!(
            !round.is_empty(),
            "cargo check failed outside the modules:\n{stderr}"
        );
        left.retain(|k| !round.contains_key(k));
        failing.extend(round);
    }
    failing
}

/// Whether expanding `item` panics or emits unparsable code: `None` when neither.
fn broken(item: TokenStream) -> Option<String> {
    let out = quietly(|| {
        QUIET.with(|q| q.set(true));
        let out = panic::catch_unwind(|| expand(TokenStream::new(), item));
        QUIET.with(|q| q.set(false));
        out
    });
    match out {
        Err(_) => Some(format!(
            "panicked: {}",
            LAST_PANIC.with(|p| p.borrow().clone())
        )),
        Ok(out) => syn::parse2::<syn::File>(out)
            .err()
            .map(|e| format!("unparsable: {e}")),
    }
}

#[test]
fn an_array_pattern_of_a_list_with_a_trailing_comma() {
    // The elements with their trailing comma, then one more: `(x[0],,)`.
    assert_eq!(
        broken(quote::quote! {
            fn f(x: &[f64]) -> f64 {
                let [a, b] = [x[0], x[1],];
                a * b
            }
        }),
        None
    );
}

#[test]
fn an_integer_that_starts_with_a_block() {
    // The adjoint restores `j` as `if false { { i } % n } else { .. }`, a block and
    // then `% n` where an expression was meant.
    assert_eq!(
        broken(quote::quote! {
            fn f(x: &[f64], n: usize) -> f64 {
                let mut s = 0.0;
                for i in 0..n {
                    let j = { i } % n;
                    s += x[j] * x[j];
                }
                s
            }
        }),
        None
    );
}

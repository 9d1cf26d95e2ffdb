//! What inlining a closure, or reading a sub-slice through its base, must keep of
//! Rust's meaning: a closure's `return` leaves the closure, not the function, and the
//! names a closure or a view reads are those in scope where it was made, not where it
//! is used.
//!
//! - Guard clauses (`if v > 1.0 { return 1.0; } v`) become `if`/`else` expressions; a
//!   `return` anywhere else in a closure is an error.
//! - Each declaration of a name gets an id, and each assignment to it is counted. A
//!   closure or view remembers the ids and counts of the outer names it reads; a use
//!   where one of them changed (declared again, or assigned) is an error rather than a
//!   different value. A `move` closure copies what it reads: one that reads a name the
//!   function assigns after it is an error too, since a loop may call it after the
//!   assignment. Bounds of a `let` sub-slice that read a name the function assigns are
//!   copied into `let`s where the slice is made, as Rust evaluates them there.

use std::collections::{HashMap, HashSet};

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::visit_mut::{self, VisitMut};
use syn::{parse_quote_spanned, Expr, ExprClosure, Ident, Stmt};

use super::{Desugar, IntoExpr, Scope, View};

/// The outer names a closure or a view reads: the declaration each stood for and how
/// often it had been assigned when the closure or view was made.
#[derive(Clone, Default)]
pub(super) struct Captures(Vec<(String, Option<usize>, usize)>);

/// The single names `e` reads, and the names it declares itself (`let`s, closure
/// parameters, loop patterns).
fn names(e: &Expr) -> (Vec<String>, HashSet<String>) {
    #[derive(Default)]
    struct Names(Vec<String>, HashSet<String>);
    impl<'ast> Visit<'ast> for Names {
        fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
            if let Some(i) = p.path.get_ident() {
                self.0.push(i.to_string());
            }
        }
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.1.insert(p.ident.to_string());
            visit::visit_pat_ident(self, p);
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            if m.path.is_ident("vec") {
                let mut m = m.clone();
                super::vec_elements(&mut m, &mut |e| self.visit_expr(e));
            }
        }
    }
    let mut n = Names::default();
    n.visit_expr(e);
    (n.0, n.1)
}

/// The names `e` declares itself.
pub(super) fn declared_in(e: &Expr) -> HashSet<String> {
    names(e).1
}

/// The single names `e` reads.
pub(super) fn read_in(e: &Expr) -> Vec<String> {
    names(e).0
}

/// Every `name` in `e`, declared or read, renamed `to` (vec! elements too).
pub(super) fn rename(e: &mut Expr, name: &str, to: &Ident) {
    struct Rename<'a>(&'a str, &'a Ident);
    impl VisitMut for Rename<'_> {
        fn visit_pat_ident_mut(&mut self, p: &mut syn::PatIdent) {
            if p.ident == self.0 {
                p.ident = self.1.clone();
            }
            visit_mut::visit_pat_ident_mut(self, p);
        }
        fn visit_expr_path_mut(&mut self, p: &mut syn::ExprPath) {
            if p.qself.is_none() && p.path.is_ident(self.0) {
                p.path = self.1.clone().into();
            }
        }
        fn visit_macro_mut(&mut self, m: &mut syn::Macro) {
            if m.path.is_ident("vec") {
                super::vec_elements(m, &mut |e| self.visit_expr_mut(e));
            }
        }
    }
    Rename(name, to).visit_expr_mut(e);
}

/// Where `item` assigns each name (`s = ..`, `s += ..`): line and column.
pub(super) fn assigned(item: &syn::ItemFn) -> HashMap<String, Vec<(usize, usize)>> {
    #[derive(Default)]
    struct Assigned(HashMap<String, Vec<(usize, usize)>>);
    impl<'ast> Visit<'ast> for Assigned {
        fn visit_expr(&mut self, e: &'ast Expr) {
            if let Some(target) = assignment_target(e) {
                let at = e.span().start();
                self.0
                    .entry(target.to_string())
                    .or_default()
                    .push((at.line, at.column));
            }
            visit::visit_expr(self, e);
        }
    }
    let mut a = Assigned::default();
    a.visit_item_fn(item);
    a.0
}

/// The name `e` assigns to, when it is `name = ..` or `name op= ..`.
pub(super) fn assignment_target(e: &Expr) -> Option<&Ident> {
    let left = match e {
        Expr::Assign(a) => &a.left,
        Expr::Binary(b) if is_compound(&b.op) => &b.left,
        _ => return None,
    };
    Desugar::ident_of(left)
}

fn is_compound(op: &syn::BinOp) -> bool {
    use syn::BinOp::*;
    matches!(
        op,
        AddAssign(_)
            | SubAssign(_)
            | MulAssign(_)
            | DivAssign(_)
            | RemAssign(_)
            | BitXorAssign(_)
            | BitAndAssign(_)
            | BitOrAssign(_)
            | ShlAssign(_)
            | ShrAssign(_)
    )
}

impl Scope {
    fn id(&self, name: &str) -> Option<usize> {
        self.ids.get(name).copied()
    }
}

impl Desugar<'_> {
    /// The declaration `name` stands for here (`None`: not a local of the function).
    pub(super) fn id_of(&self, name: &str) -> Option<usize> {
        self.scopes.iter().rev().find_map(|s| s.id(name))
    }

    /// A new declaration of `name` in the current scope.
    pub(super) fn declare(&mut self, name: &Ident) {
        self.declarations += 1;
        let id = self.declarations;
        let scope = self.scopes.last_mut().expect("a scope");
        scope.ids.insert(name.to_string(), id);
    }

    /// Counts an assignment to `target`.
    pub(super) fn note_assignment(&mut self, target: &Ident) {
        if let Some(id) = self.id_of(&target.to_string()) {
            *self.assignments.entry(id).or_default() += 1;
        }
    }

    /// A `let` sub-slice's bounds, copied into `let`s where it is made when they read a
    /// name the function assigns: Rust evaluates them there, once.
    pub(super) fn copy_bounds(&mut self, mut view: View) -> (View, Vec<Stmt>) {
        let assigned = &self.assigned;
        let reads_assigned = |e: &Expr| read_in(e).iter().any(|n| assigned.contains_key(n));
        if !view.off.as_ref().is_some_and(reads_assigned) && !reads_assigned(&view.len) {
            return (view, Vec::new());
        }
        let mut copies = Vec::new();
        for e in view.off.iter_mut().chain([&mut view.len]) {
            let t = self.fresh("b", e.span());
            copies.push(parse_quote_spanned!(e.span()=> let #t = #e;));
            *e = t.into_expr();
        }
        (view, copies)
    }

    /// The assignments seen so far to declaration `id`.
    fn assignments_to(&self, id: Option<usize>) -> usize {
        id.and_then(|id| self.assignments.get(&id).copied())
            .unwrap_or(0)
    }

    /// What the names `reads` stand for now.
    pub(super) fn captures(&self, reads: impl IntoIterator<Item = String>) -> Captures {
        let mut c = Captures::default();
        for name in reads {
            if c.0.iter().all(|(n, ..)| *n != name) {
                let id = self.id_of(&name);
                c.0.push((name, id, self.assignments_to(id)));
            }
        }
        c
    }

    /// Whether the function assigns `name` after `at` (a `move` closure's start).
    pub(super) fn assigned_after(&self, name: &str, at: Span) -> bool {
        let at = at.start();
        self.assigned
            .get(name)
            .is_some_and(|places| places.iter().any(|&p| p > (at.line, at.column)))
    }

    /// Remembers what the closure or view bound to `name` (just declared) reads.
    pub(super) fn remember(&mut self, name: &Ident, captures: Captures) {
        if let Some(id) = self.id_of(&name.to_string()) {
            self.captured.insert(id, captures);
        }
    }

    /// Whether the closure or view `name` still reads what it read when it was made;
    /// reports it once, at `at`, where it does not.
    pub(super) fn still_fresh(&mut self, name: &Ident, at: Span) -> bool {
        let Some(id) = self.id_of(&name.to_string()) else {
            return true;
        };
        let Some(captures) = self.captured.get(&id) else {
            return true;
        };
        let stale = captures.0.iter().find(|(n, was, count)| {
            let now = self.id_of(n);
            now != *was || self.assignments_to(now) != *count
        });
        let Some((stale, ..)) = stale.cloned() else {
            return true;
        };
        if self.reported_stale.insert(id) {
            self.errors.at_span(
                at,
                format!(
                    "`{name}` reads `{stale}`, which is declared again or assigned between `{name}` and \
                     here: the derivative code reads `{stale}` here, not where `{name}` was made; give \
                     one of the two `{stale}`s another name, or copy the value into a `let` first"
                ),
            );
        }
        false
    }

    /// The body of closure `c` to inline, its guard clauses turned into `if`/`else`;
    /// `None`, reported, for a `return` that is not one.
    pub(super) fn closure_body(&mut self, c: &ExprClosure) -> Option<Expr> {
        let body = (*c.body).clone();
        let Some(at) = first_return(&body) else {
            return Some(body);
        };
        let Expr::Block(b) = super::strip(&body) else {
            self.return_error(at);
            return None;
        };
        match without_returns(b.block.stmts.clone()) {
            Ok(stmts) => {
                let mut block = b.clone();
                block.block.stmts = stmts;
                Some(Expr::Block(block))
            }
            Err(at) => {
                self.return_error(at);
                None
            }
        }
    }

    fn return_error(&mut self, at: Span) {
        self.errors.at_span(
            at,
            "a `return` inside a closure is supported as a guard clause only (`if c { return a; } \
             rest`): write the closure's value as an `if`/`else` expression",
        );
    }

    /// `for_each`'s closure body as a loop body: a `return;` leaves the iteration, as
    /// `continue` does; one inside a nested loop is reported.
    pub(super) fn for_each_body(&mut self, body: &Expr) -> Option<Expr> {
        struct Continue<'d, 'e> {
            d: &'d mut Desugar<'e>,
            depth: usize,
            ok: bool,
        }
        impl VisitMut for Continue<'_, '_> {
            fn visit_expr_mut(&mut self, e: &mut Expr) {
                match e {
                    Expr::Closure(_) => {}
                    Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => {
                        self.depth += 1;
                        visit_mut::visit_expr_mut(self, e);
                        self.depth -= 1;
                    }
                    Expr::Return(r) if r.expr.is_none() && self.depth == 0 => {
                        let span = r.span();
                        *e = parse_quote_spanned!(span=> continue);
                    }
                    Expr::Return(r) => {
                        let span = r.span();
                        self.d.errors.at_span(span, "a `return` in a loop inside `for_each` is not supported: write the `for_each` as a `for` loop");
                        self.ok = false;
                    }
                    _ => visit_mut::visit_expr_mut(self, e),
                }
            }
        }
        let mut body = body.clone();
        let mut v = Continue {
            d: self,
            depth: 0,
            ok: true,
        };
        v.visit_expr_mut(&mut body);
        v.ok.then_some(body)
    }
}

/// Where the first `return` of `e` is, outside closures nested in it.
fn first_return(e: &Expr) -> Option<Span> {
    struct Find(Option<Span>);
    impl<'ast> Visit<'ast> for Find {
        fn visit_expr(&mut self, e: &'ast Expr) {
            match e {
                Expr::Closure(_) => {}
                Expr::Return(r) if self.0.is_none() => self.0 = Some(r.span()),
                _ => visit::visit_expr(self, e),
            }
        }
    }
    let mut f = Find(None);
    f.visit_expr(e);
    f.0
}

fn stmt_return(s: &Stmt) -> Option<Span> {
    match s {
        Stmt::Expr(e, _) => first_return(e),
        Stmt::Local(l) => l.init.as_ref().and_then(|i| {
            first_return(&i.expr).or_else(|| i.diverge.as_ref().and_then(|(_, e)| first_return(e)))
        }),
        Stmt::Item(_) | Stmt::Macro(_) => None,
    }
}

/// A closure body's statements with its guard clauses as `if`/`else`: `pre; if c { t;
/// return a; } rest` is `pre; if c { t; a } else { rest }`. `Err` at a `return` that is
/// not in such a place.
fn without_returns(stmts: Vec<Stmt>) -> Result<Vec<Stmt>, Span> {
    let Some(k) = stmts.iter().position(|s| stmt_return(s).is_some()) else {
        return Ok(stmts);
    };
    let mut stmts = stmts;
    let rest = stmts.split_off(k + 1);
    let s = stmts.pop().expect("the statement with a return");
    match s {
        // `return a;` itself: `a` is the value, and what follows never runs.
        Stmt::Expr(Expr::Return(r), _) => {
            let value = r
                .expr
                .map(|e| *e)
                .unwrap_or_else(|| parse_quote_spanned!(r.return_token.span=> ()));
            if let Some(at) = first_return(&value) {
                return Err(at);
            }
            stmts.push(Stmt::Expr(value, None));
            Ok(stmts)
        }
        Stmt::Expr(Expr::If(i), _) if first_return(&i.cond).is_none() => {
            let span = i.if_token.span;
            let then = arm(i.then_branch.stmts, &rest)?;
            let els = match i.else_branch {
                None => arm(Vec::new(), &rest)?,
                Some((_, e)) => match *e {
                    Expr::Block(b) => arm(b.block.stmts, &rest)?,
                    nested @ Expr::If(_) => arm(vec![Stmt::Expr(nested, None)], &rest)?,
                    other => return Err(first_return(&other).unwrap_or(span)),
                },
            };
            let cond = &i.cond;
            stmts.push(Stmt::Expr(
                parse_quote_spanned!(span=> if #cond { #(#then)* } else { #(#els)* }),
                None,
            ));
            Ok(stmts)
        }
        other => Err(stmt_return(&other).expect("a return")),
    }
}

/// One arm of a guard clause followed by `rest`, without returns: the arm's own
/// statements, then `rest` unless the arm ends in a `return`. The arm's `let`s stay in
/// a block of their own, so that `rest` reads what it read before. An `else if` is a
/// guard clause of its own, before `rest`.
fn arm(stmts: Vec<Stmt>, rest: &[Stmt]) -> Result<Vec<Stmt>, Span> {
    match stmts.last() {
        Some(Stmt::Expr(Expr::Return(_), _)) => return without_returns(stmts),
        Some(Stmt::Expr(Expr::If(_), _)) if stmts.len() == 1 => {
            let mut all = stmts;
            all.extend(rest.iter().cloned());
            return without_returns(all);
        }
        _ => {}
    }
    if let Some(at) = stmts.iter().find_map(stmt_return) {
        return Err(at);
    }
    let mut out = Vec::new();
    if !stmts.is_empty() {
        out.push(Stmt::Expr(
            parse_quote_spanned!(Span::call_site()=> { #(#stmts)* }),
            Some(Default::default()),
        ));
    }
    out.extend(without_returns(rest.to_vec())?);
    Ok(out)
}

/// Helper `fn`s of the body that take or return reals (`fn sq(t: f64) -> f64 { t * t }`)
/// become closures (`let sq = |t: f64| -> f64 { t * t };`), which are inlined where they
/// are called, at the top of the body with each after those it calls. A helper that
/// calls itself, directly or through others, a generic one or one that takes `&mut`
/// stays an item, which a call on constants may use.
pub(super) fn helper_fns(block: &mut syn::Block) {
    let mut helpers = Vec::new();
    let mut rest = Vec::new();
    for s in block.stmts.drain(..) {
        match s {
            Stmt::Item(syn::Item::Fn(f)) if on_reals(&f) => helpers.push(f),
            s => rest.push(s),
        }
    }
    let names: Vec<String> = helpers.iter().map(|f| f.sig.ident.to_string()).collect();
    let calls: Vec<HashSet<String>> = helpers
        .iter()
        .map(|f| {
            let body = Expr::Block(syn::ExprBlock {
                attrs: Vec::new(),
                label: None,
                block: (*f.block).clone(),
            });
            read_in(&body)
                .into_iter()
                .filter(|n| names.contains(n))
                .collect()
        })
        .collect();
    let mut placed: Vec<String> = Vec::new();
    let mut lets = Vec::new();
    while let Some(k) = (0..helpers.len())
        .find(|&k| !placed.contains(&names[k]) && calls[k].iter().all(|c| placed.contains(c)))
    {
        placed.push(names[k].clone());
        lets.push(closure_let(&helpers[k]));
    }
    let items = helpers
        .into_iter()
        .filter(|f| !placed.contains(&f.sig.ident.to_string()))
        .map(|f| Stmt::Item(syn::Item::Fn(f)));
    block.stmts = items.chain(lets).chain(rest).collect();
}

/// Whether a helper `fn` takes or returns reals, and can be a closure.
fn on_reals(f: &syn::ItemFn) -> bool {
    fn flat(t: proc_macro2::TokenStream, out: &mut Vec<String>) {
        for t in t {
            match t {
                proc_macro2::TokenTree::Group(g) => flat(g.stream(), out),
                t => out.push(t.to_string()),
            }
        }
    }
    let sig = &f.sig;
    let mut tokens = Vec::new();
    flat(quote::quote!(#sig), &mut tokens);
    // A helper under `#[cfg(..)]` may have a twin under another: both stay items.
    f.attrs.iter().all(|a| !a.path().is_ident("cfg"))
        && sig.generics.params.is_empty()
        && sig.asyncness.is_none()
        && tokens.iter().any(|t| t == "f64")
        && !tokens.windows(2).any(|w| w[0] == "&" && w[1] == "mut")
        && !tokens.iter().any(|t| t == "impl")
}

/// `let f = |params| -> ret { body };` of a helper `fn f(params) -> ret { body }`.
fn closure_let(f: &syn::ItemFn) -> Stmt {
    let (name, span) = (&f.sig.ident, f.span());
    let params = f.sig.inputs.iter();
    let body = &f.block;
    match &f.sig.output {
        syn::ReturnType::Type(_, ty) => {
            parse_quote_spanned!(span=> let #name = |#(#params),*| -> #ty #body;)
        }
        syn::ReturnType::Default => parse_quote_spanned!(span=> let #name = |#(#params),*| #body;),
    }
}

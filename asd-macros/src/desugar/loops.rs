//! `loop`, `break` and `continue` as flags: a loop with a `break` runs while its flag
//! is down, and what follows a statement that may break or continue runs under
//! `if !flag`, as the adjoint's return elimination does for `return`.
//!
//! ```text
//! loop {                         let mut __asd_brk0 = false;
//!     i += 1;                    while !__asd_brk0 {
//!     if i >= n { break; }           let mut __asd_cont1 = false;
//!     s += x[i];                     i += 1;
//! }                                  if i >= n { __asd_brk0 = true; }
//!                                    if !__asd_brk0 { s += x[i]; }
//!                                }
//! ```

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::{self, VisitMut};
use syn::{parse_quote_spanned, Block, Expr, Ident, Stmt};

use super::Fresh;
use crate::errors::Errors;

/// The prefixes of the flags of `break` and `continue`.
const BREAK: &str = "__asd_brk";
const CONTINUE: &str = "__asd_cont";

/// `break` or `continue`, when `name` is the flag one became: for messages.
pub fn loop_exit(name: &str) -> Option<&'static str> {
    if name.starts_with(BREAK) {
        Some("break")
    } else if name.starts_with(CONTINUE) {
        Some("continue")
    } else {
        None
    }
}

/// Rewrites every loop of `block` that breaks or continues, inner loops first.
pub fn eliminate(block: &mut Block, errors: &mut Errors) {
    let mut names = Fresh::default();
    Labels { names: &mut names }.visit_block_mut(block);
    Loops { errors, names }.visit_block_mut(block);
}

/// Labeled exits as unlabeled ones and flags: `continue 'outer` in an inner loop sets
/// a flag and breaks; after each loop that holds it, the flag breaks again, and in the
/// labeled loop's own body it continues. (`break 'outer` likewise.)
///
/// ```text
/// 'outer: for i in 0..n {            for i in 0..n {
///     for j in 0..n {                    let mut __asd_cont1 = false;
///         if j > i {                     for j in 0..n {
///             continue 'outer;               if j > i { __asd_cont1 = true; break; }
///         }                                  s += x[i] * x[j];
///         s += x[i] * x[j];              }
///     }                                  if __asd_cont1 { continue; }
/// }                                  }
/// ```
struct Labels<'n> {
    names: &'n mut Fresh,
}

impl VisitMut for Labels<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        visit_mut::visit_expr_mut(self, e);
        let span = e.span();
        let (label, body) = match e {
            Expr::ForLoop(f) => (&mut f.label, &mut f.body),
            Expr::While(w) => (&mut w.label, &mut w.body),
            Expr::Loop(l) => (&mut l.label, &mut l.body),
            _ => return,
        };
        let Some(l) = label.take() else { return };
        let mut exits = Labeled {
            label: l.name.ident.clone(),
            brk: self.names.next(BREAK, span),
            cont: self.names.next(CONTINUE, span),
            depth: 0,
            used: (false, false),
        };
        exits.block(&mut body.stmts);
        // Both flags, as the checks in inner loops read both.
        if exits.used != (false, false) {
            let (brk, cont) = (&exits.brk, &exits.cont);
            body.stmts
                .insert(0, parse_quote_spanned!(span=> let mut #cont = false;));
            body.stmts
                .insert(0, parse_quote_spanned!(span=> let mut #brk = false;));
        }
    }
}

/// The exits to one label, in its loop's body: those of inner loops become flags.
struct Labeled {
    label: Ident,
    brk: Ident,
    cont: Ident,
    /// How many inner loops the visit is in.
    depth: usize,
    /// Whether an inner loop breaks (`.0`) or continues (`.1`) the labeled loop.
    used: (bool, bool),
}

impl Labeled {
    /// The statements rewritten; after an inner loop that sets a flag, the exit it
    /// stands for: `break` out of the next loop, or the labeled loop's own exit.
    fn block(&mut self, stmts: &mut Vec<Stmt>) {
        let mut k = 0;
        while k < stmts.len() {
            // What this statement alone sets, not the loops before it.
            let before = std::mem::take(&mut self.used);
            let is_loop = matches!(
                &stmts[k],
                Stmt::Expr(Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_), _)
            );
            self.visit_stmt_mut(&mut stmts[k]);
            let sets = self.used;
            self.used = (before.0 || sets.0, before.1 || sets.1);
            k += 1;
            if !is_loop || sets == (false, false) {
                continue;
            }
            let span = stmts[k - 1].span();
            let (brk, cont) = (&self.brk, &self.cont);
            let checks: Vec<Stmt> = if self.depth > 0 {
                vec![parse_quote_spanned!(span=> if #brk || #cont { break; })]
            } else {
                let mut c = Vec::new();
                if sets.0 {
                    c.push(parse_quote_spanned!(span=> if #brk { break; }));
                }
                if sets.1 {
                    c.push(parse_quote_spanned!(span=> if #cont { continue; }));
                }
                c
            };
            for c in checks {
                stmts.insert(k, c);
                k += 1;
            }
        }
    }
}

impl VisitMut for Labeled {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        let span = e.span();
        let mine =
            |l: &Option<syn::Lifetime>, me: &Ident| l.as_ref().is_some_and(|l| l.ident == *me);
        match e {
            Expr::Closure(_) => {}
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => {
                self.depth += 1;
                let body = match e {
                    Expr::ForLoop(f) => &mut f.body,
                    Expr::While(w) => &mut w.body,
                    Expr::Loop(l) => &mut l.body,
                    _ => unreachable!("a loop"),
                };
                self.block(&mut body.stmts);
                self.depth -= 1;
            }
            Expr::Break(b) if mine(&b.label, &self.label) && b.expr.is_none() => {
                if self.depth == 0 {
                    b.label = None;
                } else {
                    self.used.0 = true;
                    let f = &self.brk;
                    *e = parse_quote_spanned!(span=> { #f = true; break; });
                }
            }
            Expr::Continue(c) if mine(&c.label, &self.label) => {
                if self.depth == 0 {
                    c.label = None;
                } else {
                    self.used.1 = true;
                    let f = &self.cont;
                    *e = parse_quote_spanned!(span=> { #f = true; break; });
                }
            }
            Expr::Block(b) => self.block(&mut b.block.stmts),
            Expr::If(i) => {
                self.visit_expr_mut(&mut i.cond);
                self.block(&mut i.then_branch.stmts);
                if let Some((_, els)) = &mut i.else_branch {
                    self.visit_expr_mut(els);
                }
            }
            _ => visit_mut::visit_expr_mut(self, e),
        }
    }
}

struct Loops<'e> {
    errors: &'e mut Errors,
    names: Fresh,
}

impl Loops<'_> {
    /// The loop's body with its own `break`s and `continue`s made flag assignments; the
    /// flags it needs (`break`, `continue`).
    fn body(&mut self, body: &mut Block, span: Span) -> (Option<Ident>, Option<Ident>) {
        continue_guards(&mut body.stmts);
        let mut found = Exits::default();
        found.visit_block(body);
        for label in &found.labels {
            self.errors.at_span(*label, "a `break` out of a labeled block is not supported (labeled loops are): use a flag the loop checks");
        }
        for value in &found.values {
            self.errors.at_span(*value, "`break` with a value is not supported: assign the value to a variable, then `break`");
        }
        let brk = found.breaks.then(|| self.names.next(BREAK, span));
        let cont = found.continues.then(|| self.names.next(CONTINUE, span));
        let exits = Flags {
            brk: brk.clone(),
            cont: cont.clone(),
        };
        exits.block(&mut body.stmts);
        if let Some(c) = &cont {
            body.stmts
                .insert(0, parse_quote_spanned!(span=> let mut #c = false;));
        }
        (brk, cont)
    }
}

impl VisitMut for Loops<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        visit_mut::visit_expr_mut(self, e); // inner loops first
        let span = e.span();
        match e {
            Expr::Loop(l) => {
                let (brk, _) = self.body(&mut l.body, span);
                let body = &l.body;
                *e = match brk {
                    Some(b) => parse_quote_spanned!(span=> { let mut #b = false; while !#b #body }),
                    None => parse_quote_spanned!(span=> while true #body),
                };
            }
            Expr::While(w) => {
                let (brk, _) = self.body(&mut w.body, span);
                if let Some(b) = brk {
                    let (cond, body) = (&w.cond, &w.body);
                    *e = parse_quote_spanned!(span=> { let mut #b = false; while !#b && (#cond) #body });
                }
            }
            Expr::ForLoop(f) => {
                let (brk, _) = self.body(&mut f.body, span);
                if let Some(b) = brk {
                    let (pat, iter, stmts) = (&f.pat, &f.expr, &f.body.stmts);
                    *e = parse_quote_spanned!(span=> {
                        let mut #b = false;
                        for #pat in #iter { if !#b { #(#stmts)* } }
                    });
                }
            }
            _ => {}
        }
    }
}

/// What the body of one loop does, not counting nested loops' own exits.
#[derive(Default)]
struct Exits {
    breaks: bool,
    continues: bool,
    labels: Vec<Span>,
    values: Vec<Span>,
}

impl<'ast> Visit<'ast> for Exits {
    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            Expr::Loop(_) | Expr::While(_) | Expr::ForLoop(_) | Expr::Closure(_) => {}
            Expr::Break(b) => {
                self.breaks = true;
                if let Some(l) = &b.label {
                    self.labels.push(l.span());
                }
                if let Some(v) = &b.expr {
                    self.values.push(v.span());
                }
            }
            Expr::Continue(c) => {
                self.continues = true;
                if let Some(l) = &c.label {
                    self.labels.push(l.span());
                }
            }
            _ => syn::visit::visit_expr(self, e),
        }
    }
}

/// The flags of one loop.
struct Flags {
    brk: Option<Ident>,
    cont: Option<Ident>,
}

impl Flags {
    /// `!brk && !cont`: the rest of the body runs.
    fn running(&self, span: Span) -> Expr {
        match (&self.brk, &self.cont) {
            (Some(b), Some(c)) => parse_quote_spanned!(span=> !#b && !#c),
            (Some(f), None) | (None, Some(f)) => parse_quote_spanned!(span=> !#f),
            (None, None) => parse_quote_spanned!(span=> true),
        }
    }

    /// The statements with their exits made assignments; what follows a statement that
    /// may exit runs under [`running`](Self::running).
    fn block(&self, stmts: &mut Vec<Stmt>) {
        let mut k = 0;
        while k < stmts.len() {
            let exits = may_exit(&stmts[k]);
            self.stmt(&mut stmts[k]);
            k += 1;
            if exits && k < stmts.len() {
                let rest: Vec<Stmt> = stmts.drain(k..).collect();
                let span = rest[0].span();
                let cond = self.running(span);
                let mut guarded: Stmt = parse_quote_spanned!(span=> if #cond { #(#rest)* });
                self.stmt(&mut guarded);
                stmts.push(guarded);
                return;
            }
        }
    }

    fn stmt(&self, s: &mut Stmt) {
        struct Rewrite<'a>(&'a Flags);
        impl VisitMut for Rewrite<'_> {
            fn visit_expr_mut(&mut self, e: &mut Expr) {
                let span = e.span();
                match e {
                    Expr::Loop(_) | Expr::While(_) | Expr::ForLoop(_) | Expr::Closure(_) => {}
                    Expr::Break(_) => {
                        let b = self.0.brk.as_ref().expect("a break flag");
                        *e = parse_quote_spanned!(span=> #b = true);
                    }
                    Expr::Continue(_) => {
                        let c = self.0.cont.as_ref().expect("a continue flag");
                        *e = parse_quote_spanned!(span=> #c = true);
                    }
                    Expr::Block(b) => self.0.block(&mut b.block.stmts),
                    Expr::If(i) => {
                        self.visit_expr_mut(&mut i.cond);
                        self.0.block(&mut i.then_branch.stmts);
                        if let Some((_, els)) = &mut i.else_branch {
                            self.visit_expr_mut(els);
                        }
                    }
                    _ => visit_mut::visit_expr_mut(self, e),
                }
            }
        }
        Rewrite(self).visit_stmt_mut(s);
    }
}

/// `if c { s; continue; } rest` as `if c { s } else { rest }` (`if !(c) { rest }` when
/// `s` is empty), at the top of one loop's body, where `rest` is the rest of the
/// iteration: no flag, so `c` may read differentiated reals (the tracer runs both
/// arms). A `continue` deeper in the body, where what follows its block would still
/// run, gets a flag.
fn continue_guards(stmts: &mut Vec<Stmt>) {
    let Some(k) = stmts.iter().position(|s| continue_guard(s).is_some()) else {
        return;
    };
    let (c, then) = continue_guard(&stmts[k]).expect("found");
    let span = stmts[k].span();
    let mut rest: Vec<Stmt> = stmts.drain(k + 1..).collect();
    continue_guards(&mut rest);
    stmts[k] = if then.is_empty() {
        parse_quote_spanned!(span=> if !(#c) { #(#rest)* })
    } else {
        parse_quote_spanned!(span=> if #c { #(#then)* } else { #(#rest)* })
    };
}

/// `c` and `s` of a statement `if c { s; continue; }` whose `s` does not leave the loop.
fn continue_guard(s: &Stmt) -> Option<(Expr, Vec<Stmt>)> {
    let Stmt::Expr(Expr::If(i), _) = s else {
        return None;
    };
    let (last, before) = i.then_branch.stmts.split_last()?;
    let continues = matches!(last, Stmt::Expr(Expr::Continue(c), _) if c.label.is_none());
    (continues && i.else_branch.is_none() && !before.iter().any(may_exit))
        .then(|| ((*i.cond).clone(), before.to_vec()))
}

/// Whether a statement may break or continue the loop it is in.
fn may_exit(s: &Stmt) -> bool {
    let mut found = Exits::default();
    found.visit_stmt(s);
    found.breaks || found.continues
}

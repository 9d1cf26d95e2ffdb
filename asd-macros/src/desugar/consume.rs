//! The consumers of iterator chains: `sum`, `product`, `fold`, `max_by`, `min_by`,
//! `count`, `collect` fold the elements into a result hoisted before the statement, and
//! a `for` loop runs its body on each element.

use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{parse_quote_spanned, Expr, ExprForLoop, Ident, Pat, Stmt};

use super::iter::Item;
use super::methods::skip_copies;
use super::{as_local, strip, Desugar, IntoExpr};

impl Item {
    /// The names the item's expressions read.
    fn names(&self) -> Vec<Ident> {
        let mut out = Vec::new();
        let mut add = |e: &Expr| {
            quote::ToTokens::to_token_stream(e)
                .into_iter()
                .for_each(|t| collect_idents(&t, &mut out))
        };
        match self {
            Item::Expr(e) | Item::Elem(e) => add(e),
            Item::View(v) => add(&v.base),
            Item::Pair(a, b) => {
                out.extend(a.names());
                out.extend(b.names());
            }
        }
        out
    }
}

fn collect_idents(t: &proc_macro2::TokenTree, out: &mut Vec<Ident>) {
    match t {
        proc_macro2::TokenTree::Ident(i) => out.push(i.clone()),
        proc_macro2::TokenTree::Group(g) => {
            g.stream().into_iter().for_each(|t| collect_idents(&t, out))
        }
        _ => {}
    }
}

/// The names the `let`s of a block bind, nested blocks included.
fn declared(body: &syn::Block) -> Vec<Ident> {
    struct Lets(Vec<Ident>);
    impl<'ast> syn::visit::Visit<'ast> for Lets {
        fn visit_local(&mut self, l: &'ast syn::Local) {
            struct Names<'a>(&'a mut Vec<Ident>);
            impl<'ast> syn::visit::Visit<'ast> for Names<'_> {
                fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
                    self.0.push(p.ident.clone());
                }
            }
            syn::visit::Visit::visit_pat(&mut Names(&mut self.0), &l.pat);
            syn::visit::visit_local(self, l);
        }
    }
    let mut lets = Lets(Vec::new());
    syn::visit::Visit::visit_block(&mut lets, body);
    lets.0
}

/// How a consumer folds the elements into its result.
enum Fold {
    /// `acc += e` from `0.0` (`sum`), `acc *= e` from `1.0` (`product`).
    Sum,
    Product,
    /// `fold(init, f)`: `acc = f(acc, e)`.
    With(Expr, Expr),
    /// `max_by`, `min_by` of reals: `acc = acc.max(e)` from `-inf`.
    Max,
    Min,
    Count,
    Collect,
}

impl Desugar<'_> {
    /// A consumer method at the end of a chain (`x.iter().sum()`), as the name of the
    /// result, its loop hoisted before the statement; `None` if `e` is no such chain.
    pub(super) fn consume(&mut self, e: &Expr) -> Option<Expr> {
        let Expr::MethodCall(mc) = e else { return None };
        let name = mc.method.to_string();
        let (fold, receiver) = match (name.as_str(), mc.args.len()) {
            ("sum", 0) => (Fold::Sum, &*mc.receiver),
            ("product", 0) => (Fold::Product, &*mc.receiver),
            ("count", 0) => (Fold::Count, &*mc.receiver),
            ("collect", 0) => (Fold::Collect, &*mc.receiver),
            ("fold", 2) => (
                Fold::With(mc.args[0].clone(), mc.args[1].clone()),
                &*mc.receiver,
            ),
            ("unwrap", 0) | ("expect", 1) => {
                let inner = skip_copies(&mc.receiver);
                let Expr::MethodCall(m) = inner else {
                    return None;
                };
                match (m.method.to_string().as_str(), m.args.len()) {
                    ("max_by" | "min_by", 1) => (self.comparison(m)?, &*m.receiver),
                    _ => return None,
                }
            }
            _ => return None,
        };
        let integer = mc.turbofish.as_ref().is_some_and(|t| {
            t.args.iter().any(|a| {
                let s = quote::ToTokens::to_token_stream(a).to_string();
                crate::parse::INT_TYPES.contains(&s.as_str())
            })
        });
        let chain = self.chain(receiver, false)?;
        if self.in_while_cond {
            self.errors.at(e, "an iterator chain in a `while` condition is not supported: compute it into a variable before the loop and again at the end of its body");
            return None;
        }
        let span = e.span();
        // `fold((0.0, 0.0), |(s, q), &v| (s + v, q + v * v))`: one accumulator a part.
        if let Fold::With(Expr::Tuple(init), f) = &fold {
            return self.fold_tuple(chain, init, f, span);
        }
        let acc = self.fresh("acc", span);
        let init: Expr = match &fold {
            Fold::Sum | Fold::Count if integer => parse_quote_spanned!(span=> 0),
            Fold::Product if integer => parse_quote_spanned!(span=> 1),
            Fold::Sum => parse_quote_spanned!(span=> 0.0),
            Fold::Product => parse_quote_spanned!(span=> 1.0),
            Fold::Count => parse_quote_spanned!(span=> 0usize),
            Fold::Max => parse_quote_spanned!(span=> f64::NEG_INFINITY),
            Fold::Min => parse_quote_spanned!(span=> f64::INFINITY),
            Fold::Collect => parse_quote_spanned!(span=> Vec::new()),
            Fold::With(init, _) => {
                let mut init = init.clone();
                self.visit_expr_mut(&mut init);
                init
            }
        };
        self.pre
            .push(parse_quote_spanned!(span=> let mut #acc = #init;));
        let lp = self.emit_loop(chain, span, |d, item| {
            // `fold`'s closure takes the element as it is: a window, a pair, a value.
            if let Fold::With(_, f) = &fold {
                if let Expr::Closure(c) = strip(f) {
                    let items = [Item::Expr(acc.clone().into_expr()), item];
                    let Some(mut body) = d.apply(c, &items) else {
                        return Vec::new();
                    };
                    let mut pre = Vec::new();
                    d.rewrite_into(&mut body, &mut pre);
                    pre.push(parse_quote_spanned!(span=> #acc = #body;));
                    return pre;
                }
            }
            let Some(e) = d.item_value(item, span) else {
                return Vec::new();
            };
            let update: Stmt = match &fold {
                Fold::Sum => parse_quote_spanned!(span=> #acc += #e;),
                Fold::Product => parse_quote_spanned!(span=> #acc *= #e;),
                Fold::Count => parse_quote_spanned!(span=> #acc += 1;),
                Fold::Max => parse_quote_spanned!(span=> #acc = #acc.max(#e);),
                Fold::Min => parse_quote_spanned!(span=> #acc = #acc.min(#e);),
                Fold::Collect => parse_quote_spanned!(span=> #acc.push(#e);),
                Fold::With(_, f) => parse_quote_spanned!(span=> #acc = #f(#acc, #e);),
            };
            vec![update]
        })?;
        self.pre.push(lp);
        Some(acc.into_expr())
    }

    /// `fold` from a tuple: an accumulator for each part, updated together from the
    /// closure's tuple (through temporaries, as the closure reads them all); the
    /// result is the tuple of the accumulators.
    fn fold_tuple(
        &mut self,
        chain: super::iter::Chain,
        init: &syn::ExprTuple,
        f: &Expr,
        span: proc_macro2::Span,
    ) -> Option<Expr> {
        let Expr::Closure(c) = strip(f) else {
            self.errors.at(
                f,
                "write the function as a closure here, as in `|(a, b), v| (a + v, b * v)`",
            );
            return None;
        };
        let accs: Vec<Ident> = init.elems.iter().map(|_| self.fresh("acc", span)).collect();
        for (acc, v) in accs.iter().zip(&init.elems) {
            let mut v = v.clone();
            self.visit_expr_mut(&mut v);
            self.pre
                .push(parse_quote_spanned!(span=> let mut #acc = #v;));
        }
        let whole: Expr = parse_quote_spanned!(span=> (#(#accs),*));
        let lp = self.emit_loop(chain, span, |d, item| {
            let Some(mut body) = d.apply(c, &[Item::Expr(whole.clone()), item]) else {
                return Vec::new();
            };
            let mut pre = Vec::new();
            d.rewrite_into(&mut body, &mut pre);
            let news: Vec<Ident> = accs.iter().map(|_| d.fresh("new", span)).collect();
            let local = as_local(parse_quote_spanned!(span=> let (#(#news),*) = #body;));
            pre.extend(d.destructure(&local).unwrap_or_default());
            for (acc, new) in accs.iter().zip(&news) {
                pre.push(parse_quote_spanned!(span=> #acc = #new;));
            }
            pre
        })?;
        self.pre.push(lp);
        Some(whole)
    }

    /// `max_by(|a, b| a.partial_cmp(b).unwrap())` is a maximum, `min_by` a minimum; with
    /// the comparison's operands swapped, the other way round.
    fn comparison(&mut self, m: &syn::ExprMethodCall) -> Option<Fold> {
        let max = m.method == "max_by";
        let Expr::Closure(c) = strip(&m.args[0]) else {
            self.errors.at(
                &m.args[0],
                "write the comparison as a closure, as in `|a, b| a.partial_cmp(b).unwrap()`",
            );
            return None;
        };
        let names: Vec<Option<&Ident>> = c.inputs.iter().map(pat_ident).collect();
        let cmp = find_cmp(&c.body);
        let order = match (names.as_slice(), cmp) {
            ([Some(a), Some(b)], Some((l, r))) if l == **a && r == **b => true,
            ([Some(a), Some(b)], Some((l, r))) if l == **b && r == **a => false,
            _ => {
                self.errors.at(c, "only comparisons of the elements themselves are supported here: `|a, b| a.partial_cmp(b).unwrap()` or `a.total_cmp(b)`");
                return None;
            }
        };
        Some(if max == order { Fold::Max } else { Fold::Min })
    }

    /// A `for` loop over anything but an integer range the lowering takes as it is.
    pub(super) fn for_loop(&mut self, f: &mut ExprForLoop) -> Option<Expr> {
        if is_plain_range(&f.expr) {
            self.visit_expr_mut(&mut f.expr);
            self.scoped(|d| {
                d.shadow_pat(&f.pat);
                d.visit_block_mut(&mut f.body);
            });
            return None;
        }
        let Some(chain) = self.chain(&f.expr, true) else {
            syn::visit_mut::visit_expr_for_loop_mut(self, f);
            return None;
        };
        let span = f.span();
        let pat = (*f.pat).clone();
        let mut body = f.body.clone();
        let lp = self.emit_loop(chain, span, |d, item| {
            // The elements are read through the names of the vectors they come from: a
            // `let` of the body that hides one of those names would change what they read.
            let reads = item.names();
            for hiding in declared(&body).into_iter().filter(|n| reads.contains(n)) {
                d.errors.at(&hiding, format!("`{hiding}` hides the vector this loop reads its elements from: give it another name"));
            }
            if !d.bind_pat(&pat, item) {
                return Vec::new();
            }
            let lets = std::mem::take(&mut d.pattern_lets);
            body.stmts.splice(0..0, lets);
            d.visit_block_mut(&mut body);
            body.stmts.clone()
        })?;
        let Stmt::Expr(mut e, _) = lp else {
            return None;
        };
        // `'o: for (i, w) in x.windows(2).enumerate()`: the index loop keeps the label.
        if let Some(label) = &f.label {
            labeled(&mut e, label.clone());
        }
        Some(e)
    }
}

/// Puts `label` on the `for` loop `e` is, or ends with (a block binding its length).
fn labeled(e: &mut Expr, label: syn::Label) {
    match e {
        Expr::ForLoop(f) => f.label = Some(label),
        Expr::Block(b) => {
            if let Some(Stmt::Expr(last, _)) = b.block.stmts.last_mut() {
                labeled(last, label);
            }
        }
        _ => {}
    }
}

/// `a..b`, `a..=b`, and those with `.rev()` / `.step_by(s)`, which the lowering takes.
fn is_plain_range(e: &Expr) -> bool {
    match strip(e) {
        Expr::Range(r) => r.start.is_some() && r.end.is_some(),
        Expr::MethodCall(mc) => {
            matches!(
                (mc.method.to_string().as_str(), mc.args.len()),
                ("rev", 0) | ("step_by", 1)
            ) && is_plain_range(&mc.receiver)
        }
        _ => false,
    }
}

fn pat_ident(p: &Pat) -> Option<&Ident> {
    match p {
        Pat::Ident(i) => Some(&i.ident),
        Pat::Reference(r) => pat_ident(&r.pat),
        Pat::Type(t) => pat_ident(&t.pat),
        _ => None,
    }
}

/// The operands of `l.partial_cmp(r)` / `l.total_cmp(r)` in a comparison closure's body.
fn find_cmp(e: &Expr) -> Option<(Ident, Ident)> {
    let name = |e: &Expr| -> Option<Ident> {
        match strip(e) {
            Expr::Path(p) => p.path.get_ident().cloned(),
            Expr::Unary(u) => match strip(&u.expr) {
                Expr::Path(p) => p.path.get_ident().cloned(),
                _ => None,
            },
            Expr::Reference(r) => match strip(&r.expr) {
                Expr::Path(p) => p.path.get_ident().cloned(),
                _ => None,
            },
            _ => None,
        }
    };
    match strip(e) {
        Expr::MethodCall(mc)
            if (mc.method == "partial_cmp" || mc.method == "total_cmp") && mc.args.len() == 1 =>
        {
            Some((name(&mc.receiver)?, name(&mc.args[0])?))
        }
        Expr::MethodCall(mc) => find_cmp(&mc.receiver),
        Expr::Block(b) => match b.block.stmts.last() {
            Some(Stmt::Expr(e, None)) => find_cmp(e),
            _ => None,
        },
        _ => None,
    }
}

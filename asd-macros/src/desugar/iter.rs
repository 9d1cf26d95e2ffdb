//! Iterator chains as index loops. A chain is a source (the elements of a vector or a
//! sub-slice, an integer range, windows or chunks of a vector) and adapters; it becomes
//! `for k in 0..n`, where `n` is the chain's length and every element is an expression
//! in `k`: `x.iter().skip(1).rev()` has `n = x.len().saturating_sub(1)` and element
//! `x[n - 1 - k + 1]`. `map` binds its value with a `let`, `filter` puts what follows
//! under an `if`; the consumer (`sum`, `product`, `fold`, `max_by`, `min_by`, `count`,
//! `collect`, `for_each`, or a `for` loop) is the loop's body.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{parse_quote_spanned, Expr, ExprClosure, ExprForLoop, Ident, Pat, Stmt};

use super::methods::skip_copies;
use super::{add, is_lit, mul, paren, strip, Binding, Desugar, IntoExpr, View};

/// Where a chain's elements come from.
enum Source {
    /// The elements of a vector or a view of one.
    Slice(View),
    /// The integers `start, start + 1, ..`, `len` of them.
    Range { start: Expr, len: Expr },
    /// Views of `size` elements of a slice, every `step` elements: `windows` (step 1),
    /// `chunks_exact` (step = size), `chunks` (the last one `partial`, shorter).
    Windows {
        of: View,
        size: Expr,
        step: Expr,
        partial: bool,
    },
}

enum Adapter {
    Map(ExprClosure),
    Filter(ExprClosure),
    Zip(Box<Chain>),
    Skip(Expr),
    Take(Expr),
    StepBy(Expr),
    Rev,
    Enumerate,
}

struct Chain {
    source: Source,
    adapters: Vec<(Adapter, Span)>,
}

/// An element of a chain.
#[derive(Clone)]
enum Item {
    /// A value or a place (`x[k]`), written wherever the element is read.
    Expr(Expr),
    /// A sub-slice (a window, a chunk).
    View(View),
    /// What `zip` and `enumerate` make.
    Pair(Box<Item>, Box<Item>),
}

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
            Item::Expr(e) => add(e),
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

/// What goes in the loop body before the consumer.
enum Step {
    Stmt(Stmt),
    /// The rest of the body runs where this holds (`filter`).
    Guard(Expr),
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
                Fold::With(_, f) => match strip(f) {
                    Expr::Closure(c) => {
                        let items = [Item::Expr(acc.clone().into_expr()), Item::Expr(e)];
                        let Some(mut body) = d.apply(c, &items) else {
                            return Vec::new();
                        };
                        let mut pre = Vec::new();
                        d.rewrite_into(&mut body, &mut pre);
                        pre.push(parse_quote_spanned!(span=> #acc = #body;));
                        return pre;
                    }
                    f => parse_quote_spanned!(span=> #acc = #f(#acc, #e);),
                },
            };
            vec![update]
        })?;
        self.pre.push(lp);
        Some(acc.into_expr())
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
            d.visit_block_mut(&mut body);
            body.stmts.clone()
        })?;
        let Stmt::Expr(e, _) = lp else { return None };
        Some(e)
    }

    /// `e` rewritten where what it hoists goes into `out` (inside a loop body).
    fn rewrite_into(&mut self, e: &mut Expr, out: &mut Vec<Stmt>) {
        let outer = std::mem::take(&mut self.pre);
        self.visit_expr_mut(e);
        out.append(&mut self.pre);
        self.pre = outer;
    }

    /// The chain `e` is, if it is one. `bare`: a vector by name is one too (`for v in x`).
    fn chain(&mut self, e: &Expr, bare: bool) -> Option<Chain> {
        let e = strip(e);
        if let Expr::Range(r) = e {
            return self.range(r).map(|source| Chain {
                source,
                adapters: Vec::new(),
            });
        }
        let Expr::MethodCall(mc) = e else {
            if !bare {
                return None;
            }
            return self.slice(e).map(|v| Chain {
                source: Source::Slice(v),
                adapters: Vec::new(),
            });
        };
        let name = mc.method.to_string();
        let span = mc.method.span();
        let arg = |k: usize| mc.args.iter().nth(k).cloned();
        let rewritten = |d: &mut Self, k: usize| {
            let mut a = arg(k)?;
            d.visit_expr_mut(&mut a);
            Some(a)
        };
        let adapter = match (name.as_str(), mc.args.len()) {
            // Rayon's parallel iterators run here as the sequential ones.
            (
                "iter" | "iter_mut" | "into_iter" | "par_iter" | "par_iter_mut" | "into_par_iter",
                0,
            ) => {
                let source = match strip(&mc.receiver) {
                    Expr::Range(r) => self.range(r)?,
                    recv => Source::Slice(self.slice(recv)?),
                };
                return Some(Chain {
                    source,
                    adapters: Vec::new(),
                });
            }
            ("windows" | "chunks_exact" | "chunks", 1) => {
                let of = self.slice(&mc.receiver)?;
                let size = rewritten(self, 0)?;
                let step = if name == "windows" {
                    parse_quote_spanned!(span=> 1)
                } else {
                    size.clone()
                };
                let partial = name == "chunks";
                return Some(Chain {
                    source: Source::Windows {
                        of,
                        size,
                        step,
                        partial,
                    },
                    adapters: Vec::new(),
                });
            }
            ("copied" | "cloned", 0) => None,
            ("rev", 0) => Some(Adapter::Rev),
            ("enumerate", 0) => Some(Adapter::Enumerate),
            ("skip", 1) => Some(Adapter::Skip(rewritten(self, 0)?)),
            ("take", 1) => Some(Adapter::Take(rewritten(self, 0)?)),
            ("step_by", 1) => Some(Adapter::StepBy(rewritten(self, 0)?)),
            ("map", 1) => Some(Adapter::Map(self.closure_arg(&mc.args[0])?)),
            ("filter", 1) => Some(Adapter::Filter(self.closure_arg(&mc.args[0])?)),
            ("zip", 1) => Some(Adapter::Zip(Box::new(self.chain(&mc.args[0], true)?))),
            _ => return None,
        };
        let mut chain = self.chain(&mc.receiver, false)?;
        if let Some(a) = adapter {
            let after_filter = chain
                .adapters
                .iter()
                .any(|(a, _)| matches!(a, Adapter::Filter(_)));
            if after_filter && !matches!(a, Adapter::Map(_) | Adapter::Filter(_)) {
                self.errors.at(&mc.method, format!("`{name}` after `filter` is not supported: filter last (only `map` may follow), or write a `for` loop with an `if`"));
                return None;
            }
            chain.adapters.push((a, span));
        }
        Some(chain)
    }

    fn closure_arg(&mut self, e: &Expr) -> Option<ExprClosure> {
        match strip(e) {
            Expr::Closure(c) => Some(c.clone()),
            // `map(f64::exp)`: the function of one element.
            Expr::Path(p) => {
                let v = self.fresh("v", p.span());
                Some(parse_quote_spanned!(p.span()=> |#v| #p(#v)))
            }
            other => {
                self.errors.at(
                    other,
                    "write the function as a closure here, as in `|v| v.sin()`",
                );
                None
            }
        }
    }

    /// A named vector, a view, or a sub-slice of one, as a view.
    pub(super) fn slice(&mut self, e: &Expr) -> Option<View> {
        let e = match strip(e) {
            Expr::Reference(r) => strip(&r.expr),
            e => e,
        };
        if let Some(v) = self.view_of(e) {
            return Some(v);
        }
        if let Some(v) = self.sub_slice(e) {
            return Some(v);
        }
        match e {
            Expr::Path(p) if p.path.get_ident().is_some() => {
                if let Some(Binding::Subst(_)) = p.path.get_ident().and_then(|i| self.lookup(i)) {
                    return None;
                }
                Some(View::whole(e.clone()))
            }
            _ => None,
        }
    }

    /// `a..b`, `a..=b`, and `a..`, whose length is `usize::MAX`, as Rust's is: endless
    /// until a `zip`, `take` or `break` ends it.
    fn range(&mut self, r: &syn::ExprRange) -> Option<Source> {
        let span = r.span();
        let mut start = r.start.as_deref()?.clone();
        self.visit_expr_mut(&mut start);
        let Some(end) = &r.end else {
            let len = parse_quote_spanned!(span=> usize::MAX);
            return Some(Source::Range { start, len });
        };
        let mut end = (**end).clone();
        self.visit_expr_mut(&mut end);
        let len = match r.limits {
            syn::RangeLimits::HalfOpen(_) if is_lit(&start, 0) => end.clone(),
            syn::RangeLimits::HalfOpen(_) => {
                parse_quote_spanned!(span=> (#end).saturating_sub(#start))
            }
            syn::RangeLimits::Closed(_) => {
                let end = add(&end, &parse_quote_spanned!(span=> 1));
                parse_quote_spanned!(span=> (#end).saturating_sub(#start))
            }
        };
        Some(Source::Range { start, len })
    }

    /// The loop of a chain: `for k in 0..n { steps; body(item) }`, its lengths bound
    /// before it in `pre`.
    fn emit_loop(
        &mut self,
        chain: Chain,
        span: Span,
        body: impl FnOnce(&mut Self, Item) -> Vec<Stmt>,
    ) -> Option<Stmt> {
        let k = self.fresh("k", span);
        let mut steps = Vec::new();
        let (n, item) = self.scoped(|d| {
            let lens = d.lengths(&chain, span, true);
            let n = lens.last().expect("a source length").clone();
            let item = d.item_at(&chain, &lens, k.clone().into_expr(), &mut steps)?;
            Some((n, item))
        })?;
        let stmts = self.scoped(|d| body(d, item));
        let mut inner = stmts;
        for step in steps.into_iter().rev() {
            match step {
                Step::Stmt(s) => inner.insert(0, s),
                Step::Guard(c) => inner = vec![parse_quote_spanned!(span=> if #c { #(#inner)* })],
            }
        }
        Some(parse_quote_spanned!(span=> for #k in 0..#n { #(#inner)* }))
    }

    /// The length after the source and after each adapter; the last (the loop's bound,
    /// when `bind`) and those `rev` reads are bound in `pre` first.
    fn lengths(&mut self, chain: &Chain, span: Span, bind: bool) -> Vec<Expr> {
        let mut lens = vec![match &chain.source {
            Source::Slice(v) => v.len.clone(),
            Source::Range { len, .. } => len.clone(),
            Source::Windows {
                of,
                step,
                partial: true,
                ..
            } => {
                let n = &of.len;
                parse_quote_spanned!(span=> (#n + #step - 1) / #step)
            }
            Source::Windows { of, size, step, .. } => {
                let n = &of.len;
                let windows: Expr = parse_quote_spanned!(span=> (#n + #step).saturating_sub(#size));
                if is_lit(step, 1) {
                    windows
                } else {
                    parse_quote_spanned!(span=> #windows / #step)
                }
            }
        }];
        for (a, _) in &chain.adapters {
            let prev = lens.last().expect("a length").clone();
            let prev = if matches!(a, Adapter::Rev) {
                let bound = self.bound(prev, span);
                *lens.last_mut().expect("a length") = bound.clone();
                bound
            } else {
                prev
            };
            lens.push(match a {
                Adapter::Skip(m) => parse_quote_spanned!(span=> (#prev).saturating_sub(#m)),
                Adapter::Take(m) => parse_quote_spanned!(span=> (#prev).min(#m)),
                Adapter::StepBy(s) => parse_quote_spanned!(span=> (#prev + #s - 1) / #s),
                Adapter::Zip(other) => {
                    let m = self.lengths(other, span, false).pop().expect("a length");
                    parse_quote_spanned!(span=> (#prev).min(#m))
                }
                Adapter::Map(_) | Adapter::Filter(_) | Adapter::Rev | Adapter::Enumerate => prev,
            });
        }
        if bind {
            let last = lens.pop().expect("a length");
            lens.push(self.bound(last, span));
        }
        lens
    }

    /// `n` itself when it is a name or literal, else a new `let` of it in `pre`.
    fn bound(&mut self, n: Expr, span: Span) -> Expr {
        if matches!(strip(&n), Expr::Path(_) | Expr::Lit(_)) {
            return n;
        }
        let name = self.fresh("n", span);
        self.pre.push(parse_quote_spanned!(span=> let #name = #n;));
        name.into_expr()
    }

    /// The element at loop index `k`: the index each adapter maps it to, from the last
    /// back to the source, then the values forward from the source.
    fn item_at(
        &mut self,
        chain: &Chain,
        lens: &[Expr],
        k: Expr,
        steps: &mut Vec<Step>,
    ) -> Option<Item> {
        let span = k.span();
        let mut idx = vec![k];
        for (p, (a, _)) in chain.adapters.iter().enumerate().rev() {
            let i = idx.last().expect("an index").clone();
            let prev_len = &lens[p];
            idx.push(match a {
                Adapter::Skip(m) => add(&i, m),
                Adapter::StepBy(s) => mul(&i, s),
                Adapter::Rev => {
                    let i = paren(i);
                    parse_quote_spanned!(span=> #prev_len - 1 - #i)
                }
                Adapter::Take(_)
                | Adapter::Zip(_)
                | Adapter::Map(_)
                | Adapter::Filter(_)
                | Adapter::Enumerate => i,
            });
        }
        idx.reverse();
        let i0 = &idx[0];
        let mut item = match &chain.source {
            Source::Slice(v) => Item::Expr(v.at(i0)),
            Source::Range { start, .. } => Item::Expr(paren(add(start, i0))),
            Source::Windows {
                of,
                size,
                step,
                partial,
            } => {
                let off = mul(i0, step);
                let len = if *partial {
                    let n = &of.len;
                    parse_quote_spanned!(span=> (#size).min(#n - #off))
                } else {
                    size.clone()
                };
                let off = match &of.off {
                    None => off,
                    Some(o) => add(o, &off),
                };
                Item::View(View {
                    base: of.base.clone(),
                    off: Some(off),
                    len,
                })
            }
        };
        for (p, (a, aspan)) in chain.adapters.iter().enumerate() {
            let i = &idx[p + 1];
            item = match a {
                Adapter::Map(c) => {
                    let mut value = self.apply(c, std::slice::from_ref(&item))?;
                    let mut pre = Vec::new();
                    self.rewrite_into(&mut value, &mut pre);
                    steps.extend(pre.into_iter().map(Step::Stmt));
                    let m = self.fresh("m", *aspan);
                    steps.push(Step::Stmt(parse_quote_spanned!(*aspan=> let #m = #value;)));
                    Item::Expr(m.into_expr())
                }
                Adapter::Filter(c) => {
                    let mut cond = self.apply(c, std::slice::from_ref(&item))?;
                    let mut pre = Vec::new();
                    self.rewrite_into(&mut cond, &mut pre);
                    steps.extend(pre.into_iter().map(Step::Stmt));
                    steps.push(Step::Guard(cond));
                    item
                }
                Adapter::Zip(other) => {
                    let lens = self.lengths(other, span, false);
                    if other
                        .adapters
                        .iter()
                        .any(|(a, _)| matches!(a, Adapter::Filter(_)))
                    {
                        self.errors.at_span(*aspan, "`zip` with a filtered iterator is not supported: filter after the `zip`");
                        return None;
                    }
                    let b = self.item_at(other, &lens, i.clone(), steps)?;
                    Item::Pair(Box::new(item), Box::new(b))
                }
                Adapter::Enumerate => {
                    Item::Pair(Box::new(Item::Expr(paren(i.clone()))), Box::new(item))
                }
                Adapter::Skip(_) | Adapter::Take(_) | Adapter::StepBy(_) | Adapter::Rev => item,
            };
        }
        Some(item)
    }

    /// The body of closure `c` with its parameters bound to `items`, not yet rewritten;
    /// the bindings last for the current scope.
    fn apply(&mut self, c: &ExprClosure, items: &[Item]) -> Option<Expr> {
        if c.inputs.len() != items.len() {
            self.errors.at(
                c,
                format!("this closure takes {} argument(s) here", items.len()),
            );
            return None;
        }
        for (p, item) in c.inputs.iter().zip(items) {
            if !self.bind_pat(p, item.clone()) {
                return None;
            }
        }
        Some((*c.body).clone())
    }

    /// Binds the names of `pat` to the parts of `item` in the current scope.
    fn bind_pat(&mut self, pat: &Pat, item: Item) -> bool {
        match (pat, item) {
            (Pat::Ident(p), Item::Expr(e)) if p.subpat.is_none() => {
                self.bind(&p.ident, Binding::Subst(e));
                true
            }
            (Pat::Ident(p), Item::View(v)) if p.subpat.is_none() => {
                self.bind(&p.ident, Binding::View(v));
                true
            }
            (Pat::Reference(r), item) => self.bind_pat(&r.pat, item),
            (Pat::Type(t), item) => self.bind_pat(&t.pat, item),
            (Pat::Paren(p), item) => self.bind_pat(&p.pat, item),
            (Pat::Wild(_), _) => true,
            (Pat::Tuple(t), Item::Pair(a, b)) if t.elems.len() == 2 => {
                self.bind_pat(&t.elems[0], *a) && self.bind_pat(&t.elems[1], *b)
            }
            (Pat::Ident(p), Item::Pair(..)) => {
                self.errors.at(
                    p,
                    "an element of `zip` or `enumerate` is a pair: destructure it, as in `(i, v)`",
                );
                false
            }
            (p, _) => {
                self.errors.at(p, "this pattern does not match the iterator's elements: bind a name, `&name`, or a pair `(a, b)` of `zip` and `enumerate`");
                false
            }
        }
    }

    /// An element a consumer folds: a value, not a pair or a view.
    fn item_value(&mut self, item: Item, span: Span) -> Option<Expr> {
        match item {
            Item::Expr(e) => Some(e),
            Item::View(_) | Item::Pair(..) => {
                self.errors.at_span(
                    span,
                    "this consumer needs real elements: `map` the pairs or windows to values first",
                );
                None
            }
        }
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

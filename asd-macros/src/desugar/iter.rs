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
use syn::{parse_quote_spanned, Expr, ExprClosure, Pat, Stmt};

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
    /// `copied()` and `cloned()`: elements by value.
    Copied,
}

pub(super) struct Chain {
    source: Source,
    adapters: Vec<(Adapter, Span)>,
}

/// An element of a chain.
#[derive(Clone)]
pub(super) enum Item {
    /// A value or a place, written wherever the element is read.
    Expr(Expr),
    /// An element of a slice (`x[k]`), which Rust's iterators give by reference: read
    /// as its value, and passed to a function as the reference (`dot(x, row)` of
    /// `for row in rows` is `dot(x, &rows[k])`). `copied()` makes it an [`Item::Expr`].
    Elem(Expr),
    /// A sub-slice (a window, a chunk).
    View(View),
    /// What `zip` and `enumerate` make.
    Pair(Box<Item>, Box<Item>),
}

/// What goes in the loop body before the consumer.
pub(super) enum Step {
    Stmt(Stmt),
    /// The rest of the body runs where this holds (`filter`).
    Guard(Expr),
}

impl Desugar<'_> {
    /// `e` rewritten where what it hoists goes into `out` (inside a loop body).
    pub(super) fn rewrite_into(&mut self, e: &mut Expr, out: &mut Vec<Stmt>) {
        let outer = std::mem::take(&mut self.pre);
        self.visit_expr_mut(e);
        out.append(&mut self.pre);
        self.pre = outer;
    }

    /// The chain `e` is, if it is one. `bare`: a vector by name is one too (`for v in x`).
    pub(super) fn chain(&mut self, e: &Expr, bare: bool) -> Option<Chain> {
        let e = strip(e);
        if let Expr::Range(r) = e {
            return self.range(r).map(|source| Chain {
                source,
                adapters: Vec::new(),
            });
        }
        // `std::iter::zip(a, b)` is `a.zip(b)`.
        if let Expr::Call(c) = e {
            let zip = matches!(&*c.func, Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "zip"));
            if zip && c.args.len() == 2 {
                let mut chain = self.chain(&c.args[0], true)?;
                let other = self.chain(&c.args[1], true)?;
                chain
                    .adapters
                    .push((Adapter::Zip(Box::new(other)), c.func.span()));
                return Some(chain);
            }
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
            // A mutable chunk is written through its base, as `iter_mut`'s elements are.
            ("windows" | "chunks_exact" | "chunks" | "chunks_mut" | "chunks_exact_mut", 1) => {
                let of = self.slice(&mc.receiver)?;
                let size = rewritten(self, 0)?;
                let step = if name == "windows" {
                    parse_quote_spanned!(span=> 1)
                } else {
                    size.clone()
                };
                let partial = name == "chunks" || name == "chunks_mut";
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
            ("copied" | "cloned", 0) => Some(Adapter::Copied),
            ("rev", 0) => Some(Adapter::Rev),
            ("enumerate", 0) => Some(Adapter::Enumerate),
            ("skip", 1) => Some(Adapter::Skip(rewritten(self, 0)?)),
            ("take", 1) => Some(Adapter::Take(rewritten(self, 0)?)),
            ("step_by", 1) => Some(Adapter::StepBy(rewritten(self, 0)?)),
            ("map", 1) => Some(Adapter::Map(self.closure_arg(&mc.args[0])?)),
            ("filter", 1) => Some(Adapter::Filter(self.closure_arg(&mc.args[0])?)),
            ("zip", 1) => Some(Adapter::Zip(Box::new(self.chain(&mc.args[0], true)?))),
            (other, _) if UNSUPPORTED_ADAPTERS.contains(&other) && is_iterator(&mc.receiver) => {
                self.errors.at(&mc.method, format!("the iterator adapter `{other}` is not supported: write the loops it stands for (`for` loops over indices)"));
                return None;
            }
            _ => return None,
        };
        let mut chain = self.chain(&mc.receiver, false)?;
        if let Some(a) = adapter {
            let after_filter = chain
                .adapters
                .iter()
                .any(|(a, _)| matches!(a, Adapter::Filter(_)));
            if after_filter && !matches!(a, Adapter::Map(_) | Adapter::Filter(_) | Adapter::Copied)
            {
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
                match p.path.get_ident().and_then(|i| self.lookup(i)) {
                    // A loop's element that is a vector itself: a row of `&[Vec<f64>]`.
                    Some(Binding::Subst(v) | Binding::Elem(v)) => {
                        matches!(strip(v), Expr::Index(_) | Expr::Field(_))
                            .then(|| View::whole(v.clone()))
                    }
                    _ => Some(View::whole(e.clone())),
                }
            }
            // A vector inside a constant: `a[i]` of `&[Vec<f64>]`, `p.w`.
            Expr::Index(ix) if !matches!(strip(&ix.index), Expr::Range(_)) => {
                let mut e = e.clone();
                self.visit_expr_mut(&mut e);
                Some(View::whole(e))
            }
            Expr::Field(_) => {
                let mut e = e.clone();
                self.visit_expr_mut(&mut e);
                Some(View::whole(e))
            }
            // The vector a call returns (`g(y).iter()`), bound to a name first.
            Expr::Call(c) if !self.in_while_cond && super::mem_swap(c).is_none() => {
                let (v, span) = (self.fresh("v", e.span()), e.span());
                // A closure's (a helper `fn`'s) declared result type is the vector's.
                let ty = match Self::ident_of(&c.func).and_then(|i| self.lookup(i)) {
                    Some(Binding::Closure(cl)) => match &cl.output {
                        syn::ReturnType::Type(_, t) => Some(quote::quote_spanned!(span=> : #t)),
                        syn::ReturnType::Default => None,
                    },
                    _ => None,
                };
                let mut value = e.clone();
                self.visit_expr_mut(&mut value);
                self.pre
                    .push(parse_quote_spanned!(span=> let #v #ty = #value;));
                Some(View::whole(v.into_expr()))
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
                let end = typed(&end);
                parse_quote_spanned!(span=> (#end).saturating_sub(#start))
            }
            syn::RangeLimits::Closed(_) => {
                let end = typed(&add(&end, &parse_quote_spanned!(span=> 1)));
                parse_quote_spanned!(span=> (#end).saturating_sub(#start))
            }
        };
        Some(Source::Range { start, len })
    }

    /// The loop of a chain: `for k in 0..n { steps; body(item) }`, its lengths bound
    /// before it in `pre`.
    pub(super) fn emit_loop(
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
                Adapter::Skip(m) => {
                    let prev = typed(&prev);
                    parse_quote_spanned!(span=> (#prev).saturating_sub(#m))
                }
                Adapter::Take(m) => {
                    let prev = typed(&prev);
                    parse_quote_spanned!(span=> (#prev).min(#m))
                }
                Adapter::StepBy(s) => parse_quote_spanned!(span=> (#prev + #s - 1) / #s),
                Adapter::Zip(other) => {
                    let m = self.lengths(other, span, false).pop().expect("a length");
                    parse_quote_spanned!(span=> (#prev).min(#m))
                }
                Adapter::Map(_)
                | Adapter::Filter(_)
                | Adapter::Rev
                | Adapter::Enumerate
                | Adapter::Copied => prev,
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
                | Adapter::Enumerate
                | Adapter::Copied => i,
            });
        }
        idx.reverse();
        let i0 = &idx[0];
        let mut item = match &chain.source {
            Source::Slice(v) => Item::Elem(v.at(i0)),
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
                Adapter::Copied => item.by_value(),
                Adapter::Skip(_) | Adapter::Take(_) | Adapter::StepBy(_) | Adapter::Rev => item,
            };
        }
        Some(item)
    }

    /// The body of closure `c` with its parameters bound to `items`, not yet rewritten;
    /// the bindings last for the current scope.
    pub(super) fn apply(&mut self, c: &ExprClosure, items: &[Item]) -> Option<Expr> {
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
        let body = self.closure_body(c)?;
        let lets = std::mem::take(&mut self.pattern_lets);
        Some(if lets.is_empty() {
            body
        } else {
            let span = body.span();
            parse_quote_spanned!(span=> { #(#lets)* #body })
        })
    }

    /// Binds the names of `pat` to the parts of `item` in the current scope.
    pub(super) fn bind_pat(&mut self, pat: &Pat, item: Item) -> bool {
        match (pat, item) {
            // `mut v`: a variable of its own, not the element it starts as.
            (Pat::Ident(p), Item::Expr(e) | Item::Elem(e))
                if p.subpat.is_none() && p.mutability.is_some() =>
            {
                let span = p.span();
                let name = &p.ident;
                self.pattern_lets
                    .push(parse_quote_spanned!(span=> let mut #name = #e;));
                true
            }
            (Pat::Ident(p), Item::Expr(e)) if p.subpat.is_none() => {
                self.bind(&p.ident, Binding::Subst(e));
                true
            }
            (Pat::Ident(p), Item::Elem(e)) if p.subpat.is_none() => {
                self.bind(&p.ident, Binding::Elem(e));
                true
            }
            (Pat::Ident(p), Item::View(v)) if p.subpat.is_none() => {
                self.bind(&p.ident, Binding::View(v));
                true
            }
            (Pat::Reference(r), item) => self.bind_pat(&r.pat, item.by_value()),
            (Pat::Type(t), item) => self.bind_pat(&t.pat, item),
            (Pat::Paren(p), item) => self.bind_pat(&p.pat, item),
            (Pat::Wild(_), _) => true,
            (Pat::Tuple(t), Item::Pair(a, b)) if t.elems.len() == 2 => {
                self.bind_pat(&t.elems[0], *a) && self.bind_pat(&t.elems[1], *b)
            }
            // A tuple of names (`fold`'s accumulators): each name is its part.
            (Pat::Tuple(t), Item::Expr(Expr::Tuple(parts)))
                if t.elems.len() == parts.elems.len() =>
            {
                (t.elems.iter().zip(&parts.elems))
                    .all(|(p, e)| self.bind_pat(p, Item::Expr(e.clone())))
            }
            // An element that is a tuple itself (of a constant `&[(usize, usize, f64)]`):
            // each name is its field.
            (Pat::Tuple(t), Item::Expr(e) | Item::Elem(e)) => {
                t.elems.iter().enumerate().all(|(k, p)| {
                    let span = p.span();
                    let field = syn::Index::from(k);
                    self.bind_pat(p, Item::Expr(parse_quote_spanned!(span=> #e.#field)))
                })
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
    pub(super) fn item_value(&mut self, item: Item, span: Span) -> Option<Expr> {
        match item {
            Item::Expr(e) | Item::Elem(e) => Some(e),
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

/// Iterator adapters a chain cannot hold: named in an error, where the consumer would
/// otherwise be blamed.
const UNSUPPORTED_ADAPTERS: &[&str] = &[
    "chain",
    "flat_map",
    "flatten",
    "filter_map",
    "scan",
    "take_while",
    "skip_while",
    "map_while",
    "peekable",
    "inspect",
    "cycle",
];

/// Whether `e` is, by its shape, an iterator: a range, or a chain of iterator methods
/// from `iter()`, `windows(k)`, `chunks(k)`.
fn is_iterator(e: &Expr) -> bool {
    match strip(e) {
        Expr::Range(_) => true,
        Expr::MethodCall(mc) => {
            let name = mc.method.to_string();
            let source = [
                "iter",
                "iter_mut",
                "into_iter",
                "windows",
                "chunks",
                "chunks_exact",
            ];
            let adapter = [
                "map",
                "filter",
                "zip",
                "skip",
                "take",
                "step_by",
                "rev",
                "enumerate",
                "copied",
                "cloned",
            ];
            source.contains(&name.as_str())
                || ((adapter.contains(&name.as_str())
                    || UNSUPPORTED_ADAPTERS.contains(&name.as_str()))
                    && is_iterator(&mc.receiver))
        }
        _ => false,
    }
}

impl Item {
    /// The item with its elements by value: what `copied()` and a `&name` pattern give.
    fn by_value(self) -> Item {
        match self {
            Item::Elem(e) => Item::Expr(e),
            Item::Pair(a, b) => Item::Pair(Box::new(a.by_value()), Box::new(b.by_value())),
            item => item,
        }
    }
}

/// A length made of integer literals only (`2`, `5 + 1`, `{ 0 }`) as a `usize`: its
/// `saturating_sub` or `min` needs the receiver's type, which the literals do not give.
fn typed(e: &Expr) -> Expr {
    fn literal(e: &Expr) -> bool {
        match strip(e) {
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(_),
                ..
            }) => true,
            Expr::Binary(b) => literal(&b.left) && literal(&b.right),
            Expr::Block(b) => {
                matches!(b.block.stmts.as_slice(), [Stmt::Expr(e, None)] if literal(e))
            }
            _ => false,
        }
    }
    if literal(e) {
        let span = e.span();
        parse_quote_spanned!(span=> ((#e) as usize))
    } else {
        e.clone()
    }
}

//! Pass: trace (sparsity), IR to Rust tokens. Abstract interpretation: every active
//! real becomes an abstract value (a vector becomes a vector of them); inactive values
//! are computed as usual. The value is a [`Domain`]: here the first-order one, an
//! [`IndexSet`] of the inputs a real depends on; [`trace2`](crate::trace2) adds the
//! interacting pairs. The control flow around the values is the same for both and
//! lives here, in [`Tracer`].
//!
//! At first order an assignment's set is the union of the sets of the leaves it
//! reaches through operations whose derivative is not globally zero — worked out at
//! compile time from the table of rules, so `y[i] = x[i].signum() * x[j]` traces to
//! `y[i] = x[j].clone()`.
//!
//! A branch on an active real runs both arms and joins what they wrote, so the pattern
//! holds for every input. Every overwrite is followed exactly: a store replaces the
//! element's value, it does not add to it.
//!
//! [`IndexSet`]: https://docs.rs/asd

use std::collections::BTreeSet;
use std::marker::PhantomData;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use crate::analyse::reads_active;
use crate::emit::{
    call_args, declared_zero, let_type, passed_args, plain_args, plain_in_place, range_tokens,
    Emitter,
};
use crate::ir::*;
use crate::names::{rt, Hidden};
use crate::rules;

/// A leaf of an expression that carries a value: a variable or a vector element. Also
/// the place an active real is stored to.
#[derive(Clone)]
pub(crate) enum Leaf {
    Var(VarId),
    Elem(VarId, Opaque),
}

impl Leaf {
    /// Equal for the same variable, or the same vector and index tokens.
    pub(crate) fn key(&self) -> String {
        match self {
            Leaf::Var(v) => format!("{v}"),
            Leaf::Elem(v, i) => format!("{v}[{}]", i.tokens),
        }
    }

    /// The variable: `v` itself or the vector `v`.
    pub(crate) fn var(&self) -> VarId {
        match self {
            Leaf::Var(v) | Leaf::Elem(v, _) => *v,
        }
    }

    /// Whether the index of an element names the variable `v`: reads it, or its length
    /// (which the index's reads leave out, as no dependence).
    fn index_names(&self, f: &Function, v: VarId) -> bool {
        fn names(ts: &TokenStream, n: &Ident) -> bool {
            ts.clone().into_iter().any(|t| match t {
                proc_macro2::TokenTree::Ident(i) => i == *n,
                proc_macro2::TokenTree::Group(g) => names(&g.stream(), n),
                _ => false,
            })
        }
        matches!(self, Leaf::Elem(_, i) if names(&i.tokens, &f.vars[v].name))
    }

    /// `v` or `v[i]`.
    pub(crate) fn tokens(&self, f: &Function) -> TokenStream {
        match self {
            Leaf::Var(v) => {
                let n = &f.vars[*v].name;
                quote!(#n)
            }
            Leaf::Elem(v, i) => {
                let n = &f.vars[*v].name;
                let i = &i.tokens;
                quote!(#n[#i])
            }
        }
    }
}

/// The leaves reached through operations with a non-zero derivative.
pub(crate) fn leaves(e: &Expr, f: &Function, out: &mut Vec<Leaf>) {
    match e {
        Expr::Var(v) if f.vars[*v].active => out.push(Leaf::Var(*v)),
        Expr::Index(v, i) if f.vars[*v].active => out.push(Leaf::Elem(*v, i.clone())),
        Expr::Var(_) | Expr::Index(..) | Expr::Lit(_) | Expr::Const(_) | Expr::Int(_) => {}
        Expr::Apply(op, args) => {
            for (a, nz) in args.iter().zip(rules::nonzero_args(*op, args.len())) {
                if nz {
                    leaves(a, f, out);
                }
            }
        }
    }
}

/// [`leaves`] without repeats (by [`Leaf::key`]): `x[i] * x[i] * x[i]` unites `x[i]`
/// once. Both reads evaluate the same index tokens in the same state, so they name the
/// same element.
pub(crate) fn distinct_leaves(e: &Expr, f: &Function) -> Vec<Leaf> {
    let mut ls = Vec::new();
    leaves(e, f, &mut ls);
    let mut seen = std::collections::BTreeSet::new();
    ls.retain(|l| seen.insert(l.key()));
    ls
}

/// What a tracer computes for one active real: the only part that differs between the
/// orders. Everything else (control flow, calls, joins, returns) is [`Tracer`].
pub(crate) trait Domain {
    /// The hidden tracer every annotated function has, which calls reach.
    const HIDDEN: Hidden;
    /// The runtime type of the value; its `new()` is the empty value (a constant).
    fn ty() -> TokenStream;
    /// The value of a real expression, as a new value.
    fn value(f: &Function, e: &Expr) -> TokenStream;
    /// `target = e` for an active place: in place when `e` reaches the target itself
    /// (`s = s + t`, `g[i] = g[i] + x[j]`), which keeps accumulations linear.
    fn assign(f: &Function, target: &Leaf, e: &Expr) -> TokenStream;
    /// Whether a value is the union of its leaves' values, so that the local tracer
    /// may keep only the operand a `max`/`min` chose ([`trace_local`](crate::trace_local)).
    const SIDES: bool = false;
    /// After a statement wrote the active real `target`: what records it for
    /// explanations (`site` is a `&'static Site`), or nothing.
    fn note(target: TokenStream, site: &TokenStream) -> TokenStream {
        let _ = (target, site);
        quote!()
    }
}

/// The type parameter of the first-order tracers (`__asd_trace_f<AsdSet: TraceSet>`):
/// an `IndexSet` for patterns, a `Why` for explanations.
pub(crate) fn set_param() -> Ident {
    Ident::new("AsdSet", Span::call_site())
}

/// First order: a real's value is the `IndexSet` of the inputs it depends on.
pub struct FirstOrder;

impl Domain for FirstOrder {
    const HIDDEN: Hidden = Hidden::Trace;
    const SIDES: bool = true;

    fn ty() -> TokenStream {
        let s = set_param();
        quote!(#s)
    }

    fn note(target: TokenStream, site: &TokenStream) -> TokenStream {
        let rt = rt();
        quote!(#rt::TraceSet::step(&mut #target, #site);)
    }

    fn value(f: &Function, e: &Expr) -> TokenStream {
        let refs: Vec<TokenStream> = distinct_leaves(e, f).iter().map(|l| l.tokens(f)).collect();
        union_of::<Self>(&refs, "s")
    }

    fn assign(f: &Function, target: &Leaf, e: &Expr) -> TokenStream {
        let ls = distinct_leaves(e, f);
        let key = target.key();
        let same = |l: &Leaf| l.key() == key;
        let t = target.tokens(f);
        if !ls.iter().any(same) {
            let var = target.var();
            if let [a, b, rest @ ..] = ls.as_slice() {
                // Written in place: no temporary set to move in; unless a leaf reads
                // the target's vector, in its index (`x[(i + 1) % y.len()]`), which
                // the target's `&mut` borrow would forbid.
                if ls.iter().all(|l| l.var() != var && !l.index_names(f, var)) {
                    let (a, b) = (a.tokens(f), b.tokens(f));
                    let rest = rest.iter().map(|l| l.tokens(f));
                    let p = Ident::new("p", Span::mixed_site());
                    return quote!({
                        let #p = &mut #t;
                        #p.assign_union(&#a, &#b);
                        #(#p.union_with(&#rest);)*
                    });
                }
            }
            let set = Self::value(f, e);
            return quote!(#t = #set;);
        }
        let others: Vec<TokenStream> = ls
            .iter()
            .filter(|l| !same(l))
            .map(|l| l.tokens(f))
            .collect();
        if matches!(target, Leaf::Elem(..)) && !others.is_empty() {
            // Another element of the same vector may be read: copy before writing.
            let tmp = Ident::new("s", Span::mixed_site());
            let (first, rest) = others.split_first().expect("not empty");
            return quote!({
                let mut #tmp = #first.clone();
                #(#tmp.union_with(&#rest);)*
                #t.union_with(&#tmp);
            });
        }
        quote!(#(#t.union_with(&#others);)*)
    }
}

/// The union of the values `refs`, as a new value; `tmp` names the accumulator. The
/// first two are united by the type's `union`, which builds the result directly instead
/// of copying one of them first.
pub(crate) fn union_of<D: Domain>(refs: &[TokenStream], tmp: &str) -> TokenStream {
    let ty = D::ty();
    match refs {
        [] => quote!(#ty::new()),
        [one] => quote!(#one.clone()),
        [a, b] => quote!(#ty::union(&#a, &#b)),
        [a, b, rest @ ..] => {
            let t = Ident::new(tmp, Span::mixed_site());
            quote!({ let mut #t = #ty::union(&#a, &#b); #(#t.union_with(&#rest);)* #t })
        }
    }
}

/// The first-order tracer.
pub type Trace<'f> = Tracer<'f, FirstOrder>;

/// Emits the body of a tracer: active statements through the [`Domain`], inactive ones
/// as in the plain function.
pub struct Tracer<'f, D> {
    f: &'f Function,
    /// Emits the plain parts (inactive values).
    plain: Emitter<'f>,
    /// Whether a `return` is under a branch on an active real: then every return is
    /// joined into `ret`, since both arms of such a branch run.
    joined_returns: bool,
    /// Whether the statement being emitted is under a branch on an active real.
    active_branch: bool,
    ret: Ident,
    joins: usize,
    /// The function's name, for the statements' [`site`](Self::site)s.
    name: String,
    /// The local tracer ([`trace_local`](crate::trace_local)): the recorded decisions
    /// this `Replay` names decide branches on active reals and `max`/`min`.
    replay: Option<Ident>,
    domain: PhantomData<D>,
}

impl<'f, D: Domain> Tracer<'f, D> {
    /// The tracer of `f`, named `name` in the user's source.
    pub fn new(f: &'f Function, name: &str) -> Self {
        Tracer {
            f,
            plain: Emitter::new(f),
            joined_returns: has_return_under_active_branch(&f.body, f, false),
            active_branch: false,
            ret: Ident::new("__ret", Span::mixed_site()),
            joins: 0,
            name: name.to_string(),
            replay: None,
            domain: PhantomData,
        }
    }

    /// `&Site { .. }` of statement `s`, which writes the active real `target`: its
    /// line, from the first of its tokens that still carries a source position, and
    /// its text as lowered.
    fn site(&self, s: &Stmt) -> TokenStream {
        let rt = rt();
        let line = u32::try_from(stmt_line(self.f, s)).unwrap_or(0);
        let text = stmt_text(self.f, s);
        let name = &self.name;
        quote!(&#rt::Site { file: ::core::file!(), function: #name, line: #line, text: #text })
    }

    /// `code`, which wrote the active real `target` in statement `s`, then its note.
    fn noted(&self, code: TokenStream, target: TokenStream, s: &Stmt) -> TokenStream {
        let note = D::note(target, &self.site(s));
        if note.is_empty() {
            code
        } else {
            quote!(#code #note)
        }
    }

    /// The local tracer: it follows the decisions the `Replay` `rep` gives, one path,
    /// so a `return` returns.
    pub fn local(f: &'f Function, name: &str, rep: Ident) -> Self {
        Tracer {
            joined_returns: false,
            replay: Some(rep),
            ..Self::new(f, name)
        }
    }

    /// The value of a real expression: through the domain, or in the local tracer with
    /// its recorded `max`/`min` choices.
    fn value(&self, e: &Expr) -> TokenStream {
        match &self.replay {
            Some(rep) if crate::trace_local::has_records(e, self.f) => {
                crate::trace_local::replayed_value::<D>(self.f, e, rep)
            }
            _ => D::value(self.f, e),
        }
    }

    /// `target = e`, as [`value`](Self::value) does it.
    fn assign(&self, target: &Leaf, e: &Expr) -> TokenStream {
        match &self.replay {
            Some(rep) if crate::trace_local::has_records(e, self.f) => {
                let t = target.tokens(self.f);
                let v = crate::trace_local::replayed_value::<D>(self.f, e, rep);
                quote!(#t = #v;)
            }
            _ => D::assign(self.f, target, e),
        }
    }

    /// The body of the tracer function.
    pub fn body(&mut self) -> TokenStream {
        let rt = rt();
        let body = self.block(&self.f.body);
        let ret = &self.ret;
        if self.joined_returns {
            quote! {
                let mut #ret = ::core::option::Option::None;
                #body
                #rt::finish_return(#ret)
            }
        } else {
            body
        }
    }

    fn name(&self, v: VarId) -> &Ident {
        &self.f.vars[v].name
    }

    fn active(&self, v: VarId) -> bool {
        self.f.vars[v].active
    }

    fn block(&mut self, body: &[Stmt]) -> TokenStream {
        let mut out = TokenStream::new();
        let mut k = 0;
        while k < body.len() {
            if let Some(filled) = self.filled_by_push(&body[k], body.get(k + 1)) {
                out.extend(filled);
                k += 2;
            } else {
                out.extend(self.stmt(&body[k]));
                k += 1;
            }
        }
        out
    }

    /// A vector the next loop wholly writes ([`VecExpr::Overwritten`]) and that loop, each
    /// element pushed as it is first stored to, instead of a vector of empty sets made
    /// first (a quarter of J1's tracer).
    fn filled_by_push(&mut self, s: &Stmt, next: Option<&Stmt>) -> Option<TokenStream> {
        let (var, n, declare) = match s {
            Stmt::Let {
                var,
                init: Some(Rhs::Vec(VecExpr::Overwritten(n))),
            } => (*var, n, true),
            Stmt::Assign {
                var,
                rhs: Rhs::Vec(VecExpr::Overwritten(n)),
                ..
            } => (*var, n, false),
            _ => return None,
        };
        let Some(Stmt::For {
            var: i,
            range,
            body,
        }) = next
        else {
            return None;
        };
        // Element `i` is pushed at iteration `i`: only for `for i in 0..n` whose every
        // store to the vector is at `i`, the first statement one of them.
        let same = |o: &Opaque, t: &str| o.tokens.to_string() == t;
        let at_i = self.name(*i).to_string();
        let mut stores_at_i = range.adapters.is_empty()
            && !range.inclusive
            && same(&range.start, "0")
            && same(&range.end, &n.tokens.to_string());
        visit_stmts(body, &mut |s| match s {
            Stmt::Store { vec, index, .. } if *vec == var => stores_at_i &= same(index, &at_i),
            _ => {}
        });
        if !self.active(var)
            || !stores_at_i
            || !matches!(body.first(), Some(Stmt::Store { vec, .. }) if *vec == var)
        {
            return None;
        }
        // An empty set pushed, then the store unites into it in place: a union built
        // elsewhere and moved in stalls on its own stores.
        let (name, ty, n) = (self.name(var).clone(), D::ty(), &n.tokens);
        let (i, r) = (self.name(*i).clone(), range_tokens(range));
        let body = self.block(body);
        let fill = quote!(for #i in #r { #name.push(#ty::new()); #body });
        let v = quote!(::std::vec::Vec::<#ty>::with_capacity(#n));
        Some(if declare {
            quote!(let mut #name = #v; #fill)
        } else {
            quote!(#name = #v; #fill)
        })
    }

    fn stmt(&mut self, s: &Stmt) -> TokenStream {
        if let Some(p) = s.panic(&self.f.vars) {
            let p = &p.tokens;
            return quote!(#p;);
        }
        let ty = D::ty();
        match s {
            Stmt::Let { var, init } if self.active(*var) => {
                let name = self.name(*var).clone();
                match init {
                    // Declared now, set in the arms of a branch: the tracer may join the
                    // arms, which reads the declared value, so it starts empty.
                    None if self.f.vars[*var].ty == Ty::Real => quote!(let mut #name = #ty::new();),
                    None => quote!(let mut #name = ::std::vec::Vec::<#ty>::new();),
                    Some(Rhs::Real(e)) => {
                        let value = self.value(e);
                        self.noted(quote!(let mut #name = #value;), quote!(#name), s)
                    }
                    Some(Rhs::Vec(v)) => {
                        let v = self.vector(v);
                        quote!(let mut #name = #v;)
                    }
                    Some(Rhs::Opaque(_)) => unreachable!("active variables are reals"),
                }
            }
            Stmt::Assign { var, rhs, .. } if self.active(*var) => match rhs {
                Rhs::Real(e) => {
                    let target = Leaf::Var(*var);
                    self.noted(self.assign(&target, e), target.tokens(self.f), s)
                }
                Rhs::Vec(v) => {
                    let name = self.name(*var);
                    let v = self.vector(v);
                    quote!(#name = #v;)
                }
                Rhs::Opaque(_) => unreachable!("active variables are reals"),
            },
            Stmt::Store { vec, index, value } if self.active(*vec) => {
                let target = Leaf::Elem(*vec, index.clone());
                self.noted(self.assign(&target, value), target.tokens(self.f), s)
            }
            Stmt::Push { vec, value } if self.active(*vec) => {
                let name = self.name(*vec);
                let value = self.value(value);
                let v = Ident::new("v", Span::mixed_site());
                let pushed = self.noted(quote!(let mut #v = #value;), quote!(#v), s);
                quote!({ #pushed #name.push(#v); })
            }
            Stmt::Call {
                results,
                declare,
                call,
            } => {
                // A call that reads an active vector goes to the callee's tracer.
                if !call.traced && call.written == Written::InPlace {
                    return plain_in_place(self.f, call);
                }
                let (p, args) = if call.traced {
                    (D::HIDDEN.path(&call.path), passed_args(self.f, &call.args))
                } else {
                    (call.path.clone(), plain_args(self.f, call))
                };
                let callee = quote!(#p(#(#args),*));
                match results.as_slice() {
                    [] => quote!(#callee;),
                    [r] => {
                        let n = self.name(*r);
                        let code = if *declare {
                            quote!(let mut #n = #callee;)
                        } else {
                            quote!(#n = #callee;)
                        };
                        if !call.traced || !self.active(*r) {
                            code
                        } else if self.f.vars[*r].ty == Ty::Real {
                            self.noted(code, quote!(#n), s)
                        } else {
                            let e = Ident::new("e", Span::mixed_site());
                            let note = self.noted(quote!(), quote!(*#e), s);
                            quote!(#code for #e in #n.iter_mut() { #note })
                        }
                    }
                    _ => unreachable!("calls have at most one result"),
                }
            }
            Stmt::For { var, range, body } => {
                let name = self.name(*var).clone();
                let r = range_tokens(range);
                let body = self.block(body);
                quote!(for #name in #r { #body })
            }
            Stmt::While { cond, body } => {
                let c = &cond.tokens;
                let body = self.block(body);
                quote!(while #c { #body })
            }
            Stmt::If { cond, then, els } if reads_active(cond, &self.f.vars) => {
                match self.replay.clone() {
                    Some(rep) => {
                        let then = self.block(then);
                        let els = self.block(els);
                        quote!(if #rep.branch() { #then } else { #els })
                    }
                    None => self.both_arms(then, els),
                }
            }
            Stmt::If { cond, then, els } => {
                let c = &cond.tokens;
                let then = self.block(then);
                let els = self.block(els);
                quote!(if #c { #then } else { #els })
            }
            Stmt::Block(body) => {
                let body = self.block(body);
                quote!({ #body })
            }
            Stmt::Return(v) => self.ret(*v),
            // Everything inactive is computed as in the plain function.
            Stmt::Let { var, init } => {
                let name = self.name(*var).clone();
                let ty = match init {
                    // A vector literal's element type may not be inferable from the
                    // trace, which never does arithmetic on the values read from it.
                    Some(Rhs::Vec(_)) => quote!(: ::std::vec::Vec<f64>),
                    _ => let_type(self.f, *var),
                };
                match init {
                    None => {
                        let zero = declared_zero(self.f, *var);
                        quote!(let mut #name #ty #zero;)
                    }
                    Some(rhs) => {
                        let v = self.plain_rhs(rhs);
                        quote!(let mut #name #ty = #v;)
                    }
                }
            }
            Stmt::Assign { var, rhs, .. } => {
                let name = self.name(*var).clone();
                let v = self.plain_rhs(rhs);
                quote!(#name = #v;)
            }
            Stmt::Store { vec, index, value } => {
                let name = self.name(*vec);
                let i = &index.tokens;
                let v = self.plain.expr(value).0;
                quote!(#name[#i] = #v;)
            }
            Stmt::Push { vec, value } => {
                let name = self.name(*vec);
                let v = self.plain.expr(value).0;
                quote!(#name.push(#v);)
            }
        }
    }

    fn plain_rhs(&self, rhs: &Rhs) -> TokenStream {
        match rhs {
            Rhs::Real(e) => self.plain.expr(e).0,
            Rhs::Opaque(o) => o.tokens.clone(),
            Rhs::Vec(v) => match v {
                VecExpr::Filled(e, n) => {
                    let e = self.plain.expr(e).0;
                    let n = &n.tokens;
                    quote!(::std::vec![#e; #n])
                }
                VecExpr::Overwritten(n) => {
                    let n = &n.tokens;
                    quote!(::std::vec![0.0; #n])
                }
                VecExpr::List(items) => {
                    let items = items.iter().map(|e| self.plain.expr(e).0);
                    quote!(::std::vec![#(#items),*])
                }
                // Typed: a vector nothing is pushed to has no other type to infer.
                VecExpr::Empty(c) => {
                    let c = c.as_ref().map(|c| c.tokens.clone()).unwrap_or(quote!(0));
                    quote!(::std::vec::Vec::<f64>::with_capacity(#c))
                }
                VecExpr::Copy(u) => {
                    let u = self.name(*u);
                    quote!(#u.to_vec())
                }
                VecExpr::Move(u) => {
                    let u = self.name(*u);
                    quote!(#u)
                }
            },
        }
    }

    /// The vector of values of an active vector variable.
    fn vector(&self, v: &VecExpr) -> TokenStream {
        let ty = D::ty();
        match v {
            // Filled with a constant: every element is the empty value, built in place
            // (`vec![v; n]` would clone `v` element by element).
            VecExpr::Filled(Expr::Lit(_) | Expr::Const(_), n) | VecExpr::Overwritten(n) => {
                let n = &n.tokens;
                quote!(::core::iter::repeat_with(#ty::new).take(#n).collect::<::std::vec::Vec<#ty>>())
            }
            VecExpr::Filled(e, n) => {
                let value = self.value(e);
                let n = &n.tokens;
                quote!(::std::vec![#value; #n])
            }
            VecExpr::List(items) => {
                let values = items.iter().map(|e| self.value(e));
                quote!(::std::vec![#(#values),*])
            }
            // Typed: a vector nothing is pushed to (only its length read) has no other
            // type to infer.
            VecExpr::Empty(c) => {
                let c = c.as_ref().map(|c| c.tokens.clone()).unwrap_or(quote!(0));
                quote!(::std::vec::Vec::<#ty>::with_capacity(#c))
            }
            VecExpr::Copy(u) if self.active(*u) => {
                let u = self.name(*u);
                quote!(#u.to_vec())
            }
            VecExpr::Move(u) if self.active(*u) => {
                let u = self.name(*u);
                quote!(#u)
            }
            VecExpr::Copy(u) | VecExpr::Move(u) => {
                let n = self.name(*u);
                quote!(::std::vec![#ty::new(); #n.len()])
            }
        }
    }

    fn ret(&self, v: Option<VarId>) -> TokenStream {
        let rt = rt();
        let ty = D::ty();
        let value = match v {
            None => quote!(()),
            Some(v) if self.active(v) => {
                let n = self.name(v);
                quote!(#n)
            }
            Some(v) if self.f.vars[v].ty == Ty::Real => quote!(#ty::new()),
            Some(v) => {
                let n = self.name(v);
                quote!(::std::vec![#ty::new(); #n.len()])
            }
        };
        let ret = &self.ret;
        if self.active_branch {
            // Both arms run: record this arm's value and go on (the variable lives on,
            // so the record is a copy).
            let value = match v {
                Some(v) if self.active(v) => quote!(::core::clone::Clone::clone(&#value)),
                _ => value,
            };
            quote!(#rt::join_return(&mut #ret, #value);)
        } else if self.joined_returns {
            quote!({ #rt::join_return(&mut #ret, #value); return #rt::finish_return(#ret); })
        } else {
            quote!(return #value;)
        }
    }

    /// Both arms of a branch on an active real, each from the same state, then the
    /// join of what they wrote.
    fn both_arms(&mut self, then: &[Stmt], els: &[Stmt]) -> TokenStream {
        let rt = rt();
        let written: Vec<VarId> = written_outside(then, els)
            .into_iter()
            .filter(|&v| self.active(v))
            .collect();
        let k = self.joins;
        self.joins += 1;
        let saved = format_ident!("saved{}", k, span = Span::mixed_site());
        let first = format_ident!("first{}", k, span = Span::mixed_site());
        // Each written variable: its copy before the branch, how the `then` arm's value
        // is taken out (the state before put back), and how the two are joined. The
        // output parameter is a `&mut [_]`: its values are copied out and back.
        let (mut copies, mut take, mut join) = (Vec::new(), Vec::new(), Vec::new());
        for (v, idx) in written.iter().zip(0..) {
            let n = self.name(*v);
            let idx = syn::Index::from(idx);
            let output = self
                .f
                .params
                .iter()
                .any(|p| p.var == *v && p.role == Role::Output);
            if output {
                copies.push(quote!(#n.to_vec()));
                take.push(quote!({
                    let arm = #n.to_vec();
                    #n.clone_from_slice(&#saved.#idx);
                    arm
                }));
                join.push(quote!(
                    for (a, b) in #n.iter_mut().zip(#first.#idx) {
                        #rt::Join::join(a, b);
                    }
                ));
            } else {
                copies.push(quote!(#n.clone()));
                take.push(quote!(::core::mem::replace(&mut #n, #saved.#idx)));
                join.push(quote!(#rt::Join::join(&mut #n, #first.#idx);));
            }
        }
        let outer = self.active_branch;
        self.active_branch = true;
        let then = self.block(then);
        let els = self.block(els);
        self.active_branch = outer;
        quote! {
            {
                let #saved = (#(#copies,)*);
                { #then }
                let #first = (#(#take,)*);
                { #els }
                #(#join)*
            }
        }
    }
}

/// Variables written in either arm that were declared before the branch.
fn written_outside(then: &[Stmt], els: &[Stmt]) -> BTreeSet<VarId> {
    let mut written = BTreeSet::new();
    let mut declared = BTreeSet::new();
    for body in [then, els] {
        visit_stmts(body, &mut |s| {
            s.for_each_write(|v| {
                written.insert(v);
            });
            if let Stmt::Let { var, .. } | Stmt::For { var, .. } = s {
                declared.insert(*var);
            }
            if let Stmt::Call {
                results,
                declare: true,
                ..
            } = s
            {
                declared.extend(results.iter().copied());
            }
        });
    }
    written.difference(&declared).copied().collect()
}

fn has_return_under_active_branch(body: &[Stmt], f: &Function, under: bool) -> bool {
    body.iter().any(|s| match s {
        Stmt::Return(_) => under,
        Stmt::If { cond, then, els } => {
            let u = under || reads_active(cond, &f.vars);
            has_return_under_active_branch(then, f, u) || has_return_under_active_branch(els, f, u)
        }
        Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Block(body) => {
            has_return_under_active_branch(body, f, under)
        }
        Stmt::Let { .. }
        | Stmt::Assign { .. }
        | Stmt::Store { .. }
        | Stmt::Push { .. }
        | Stmt::Call { .. } => false,
    })
}

/// The source line of a statement that writes an active real: of its own span where
/// the lowering kept one (an assignment's target, a store's index, a `let`'s name, a
/// call), else of the elements it reads; never of the attribute's line, where what the
/// compiler made points, unless nothing else is left.
fn stmt_line(f: &Function, s: &Stmt) -> usize {
    let mut spans = Vec::new();
    let elements = |e: &Expr, spans: &mut Vec<Span>| {
        visit_leaves(e, &mut |l| {
            if let Expr::Index(_, i) = l {
                spans.push(i.span);
            }
        })
    };
    match s {
        Stmt::Store { index, value, .. } => {
            spans.push(index.span);
            elements(value, &mut spans);
        }
        Stmt::Assign { span, rhs, .. } => {
            spans.push(*span);
            if let Rhs::Real(e) = rhs {
                elements(e, &mut spans);
            }
        }
        Stmt::Let {
            var,
            init: Some(Rhs::Real(e)),
        } => {
            spans.push(f.vars[*var].name.span());
            elements(e, &mut spans);
        }
        Stmt::Push { value, .. } => elements(value, &mut spans),
        Stmt::Call { call, .. } => spans.push(call.span),
        _ => {}
    }
    let generated = Span::call_site().start().line;
    spans
        .iter()
        .map(|s| s.start().line)
        .find(|&l| l != 0 && l != generated)
        .unwrap_or(generated)
}

/// The leaves of a real expression: variables, elements, literals.
fn visit_leaves(e: &Expr, visit: &mut impl FnMut(&Expr)) {
    match e {
        Expr::Apply(_, args) => args.iter().for_each(|a| visit_leaves(a, visit)),
        leaf => visit(leaf),
    }
}

/// A statement that writes an active real, on one line as the lowering left it:
/// `z[i] = y[i + 1] - y[i]`.
fn stmt_text(f: &Function, s: &Stmt) -> String {
    let plain = Emitter::new(f);
    let name = |v: &VarId| f.vars[*v].name.to_string();
    let expr = |e: &Expr| spaced(&plain.expr(e).0);
    match s {
        Stmt::Let {
            var,
            init: Some(Rhs::Real(e)),
        } => format!("let {} = {}", name(var), expr(e)),
        Stmt::Assign {
            var,
            rhs: Rhs::Real(e),
            ..
        } => format!("{} = {}", name(var), expr(e)),
        Stmt::Store { vec, index, value } => {
            format!("{}[{}] = {}", name(vec), spaced(&index.tokens), expr(value))
        }
        Stmt::Push { vec, value } => format!("{}.push({})", name(vec), expr(value)),
        Stmt::Call { results, call, .. } => {
            let path = &call.path;
            let args = call_args(f, &call.args);
            let call = spaced(&quote!(#path(#(#args),*)));
            match results.as_slice() {
                [r] => format!("{} = {call}", name(r)),
                _ => call,
            }
        }
        _ => String::new(),
    }
}

/// Tokens as a person spaces them: `y[i + 1] - y[i]`, not `y [i + 1] - y [i]`.
fn spaced(tokens: &TokenStream) -> String {
    let raw = tokens.to_string();
    let mut out = String::with_capacity(raw.len());
    let chars: Vec<char> = raw.chars().collect();
    for (k, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = out.chars().last().unwrap_or(' ');
            let next = chars.get(k + 1).copied().unwrap_or(' ');
            let glued_after =
                matches!(prev, '(' | '[' | '.' | '!' | '&') || (prev == ':' && next == ':');
            let glued_before = matches!(next, ')' | ']' | ',' | ';' | '.' | '?')
                || (next == '(' || next == '[')
                    && (prev.is_alphanumeric()
                        || prev == '_'
                        || prev == ')'
                        || prev == ']'
                        || prev == '>')
                || (next == ':' && prev == ':')
                || (next == ':' && chars.get(k + 2) == Some(&':'));
            if glued_after || glued_before {
                continue;
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::tests::{banded, generated, iter_diff};

    #[test]
    fn a_vector_the_next_loop_fills_is_pushed_to_as_it_is_filled() {
        let t = generated(iter_diff(), "fn __asd_trace_f");
        assert!(t.contains(">::with_capacity(y.len() - 1);"), "{t}");
        assert!(t.contains("z.push(AsdSet::new());"), "{t}");
        assert!(t.contains("p.assign_union(&y[i + 1], &y[i]);"), "{t}");
    }

    /// `x[i]` read three times is united once; each distinct element still is.
    #[test]
    fn a_repeated_element_is_united_once() {
        let t = generated(banded(), "fn __asd_trace_f");
        let unions = |s: &str| t.matches(s).count();
        assert_eq!(unions("p.assign_union(&x[i - 1], &x[i]);"), 1, "{t}");
        assert_eq!(unions("p.union_with(&x[i + 1]);"), 1, "{t}");
        assert_eq!(unions("union_with(&x[i])"), 0, "{t}");
    }
}

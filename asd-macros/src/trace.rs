//! Pass: trace (first-order sparsity), IR to Rust tokens. Abstract interpretation: every
//! active real becomes an [`IndexSet`] of the inputs it depends on (a vector becomes a
//! vector of sets); inactive values are computed as usual. An assignment's set is the
//! union of the sets of the leaves it reaches through operations whose derivative is
//! not globally zero — worked out at compile time from the table of rules, so
//! `y[i] = x[i].signum() * x[j]` traces to `y[i] = x[j].clone()`.
//!
//! A branch on an active real runs both arms and joins what they wrote, so the pattern
//! holds for every input. Every overwrite is followed exactly: a store replaces the
//! element's set, it does not add to it.
//!
//! [`IndexSet`]: https://docs.rs/asd

use std::collections::BTreeSet;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use crate::analyse::reads_active;
use crate::emit::{hidden_path, range_tokens, rt, Emitter, Returns};
use crate::ir::*;
use crate::rules;

/// A leaf of an expression that carries a set: a variable or a vector element.
#[derive(Clone)]
pub(crate) enum Leaf {
    Var(VarId),
    Elem(VarId, Opaque),
}

/// The leaves reached through operations with a non-zero derivative.
pub(crate) fn leaves(e: &Expr, f: &Function, out: &mut Vec<Leaf>) {
    match e {
        Expr::Var(v) if f.vars[*v].active => out.push(Leaf::Var(*v)),
        Expr::Index(v, i) if f.vars[*v].active => out.push(Leaf::Elem(*v, i.clone())),
        Expr::Var(_) | Expr::Index(..) | Expr::Lit(_) | Expr::Const(_) => {}
        Expr::Apply(op, args) => {
            for (a, nz) in args.iter().zip(rules::nonzero_args(*op)) {
                if nz {
                    leaves(a, f, out);
                }
            }
        }
        Expr::Powi(b, _) => leaves(b, f, out),
    }
}

pub struct Trace<'f> {
    f: &'f Function,
    /// Emits the plain parts (inactive values).
    plain: Emitter<'f>,
    /// Whether a `return` is under a branch on an active real.
    active_branch: bool,
    ret: Ident,
    joins: usize,
}

impl<'f> Trace<'f> {
    pub fn new(f: &'f Function) -> Self {
        Trace {
            f,
            plain: Emitter::new(f, Returns::WithTangent),
            active_branch: false,
            ret: Ident::new("__ret", Span::mixed_site()),
            joins: 0,
        }
    }

    /// The body of the tracer function.
    pub fn body(&mut self) -> TokenStream {
        let rt = rt();
        let body = self.block(&self.f.body);
        let ret = &self.ret;
        let has_active_returns = has_return_under_active_branch(&self.f.body, self.f, false);
        if has_active_returns {
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
        body.iter().map(|s| self.stmt(s)).collect()
    }

    /// The set of a real expression, as a new `IndexSet`.
    fn set_of(&self, e: &Expr) -> TokenStream {
        let rt = rt();
        let mut ls = Vec::new();
        leaves(e, self.f, &mut ls);
        let refs: Vec<TokenStream> = ls.iter().map(|l| self.leaf(l)).collect();
        match refs.as_slice() {
            [] => quote!(#rt::IndexSet::new()),
            [one] => quote!(#one.clone()),
            [first, rest @ ..] => {
                let s = Ident::new("s", Span::mixed_site());
                quote!({ let mut #s = #first.clone(); #(#s.union_with(&#rest);)* #s })
            }
        }
    }

    fn leaf(&self, l: &Leaf) -> TokenStream {
        match l {
            Leaf::Var(v) => {
                let n = self.name(*v);
                quote!(#n)
            }
            Leaf::Elem(v, i) => {
                let n = self.name(*v);
                let i = &i.tokens;
                quote!(#n[#i])
            }
        }
    }

    /// `target = e` for an active real target: in place when `e` adds to the target
    /// itself (`s = s + t`, `g[i] = g[i] + x[j]`), which keeps accumulations linear.
    fn assign_set(
        &self,
        target: TokenStream,
        same: impl Fn(&Leaf) -> bool,
        e: &Expr,
    ) -> TokenStream {
        let mut ls = Vec::new();
        leaves(e, self.f, &mut ls);
        if !ls.iter().any(&same) {
            let set = self.set_of(e);
            return quote!(#target = #set;);
        }
        let others: Vec<TokenStream> = ls
            .iter()
            .filter(|l| !same(l))
            .map(|l| self.leaf(l))
            .collect();
        let is_elem = ls.iter().any(|l| same(l) && matches!(l, Leaf::Elem(..)));
        if is_elem && !others.is_empty() {
            // Another element of the same vector may be read: copy before writing.
            let tmp = Ident::new("s", Span::mixed_site());
            let (first, rest) = others.split_first().expect("not empty");
            return quote!({
                let mut #tmp = #first.clone();
                #(#tmp.union_with(&#rest);)*
                #target.union_with(&#tmp);
            });
        }
        quote!(#(#target.union_with(&#others);)*)
    }

    fn stmt(&mut self, s: &Stmt) -> TokenStream {
        let rt = rt();
        match s {
            Stmt::Let { var, init } if self.active(*var) => {
                let name = self.name(*var).clone();
                match init {
                    // Declared now, set in the arms of a branch: the tracer may join the
                    // arms, which reads the declared value, so it starts empty.
                    None if self.f.vars[*var].ty == Ty::Real => {
                        quote!(let mut #name = #rt::IndexSet::new();)
                    }
                    None => quote!(let mut #name = ::std::vec::Vec::<#rt::IndexSet>::new();),
                    Some(Rhs::Real(e)) => {
                        let set = self.set_of(e);
                        quote!(let mut #name = #set;)
                    }
                    Some(Rhs::Vec(v)) => {
                        let v = self.vector(*var, v);
                        quote!(let mut #name = #v;)
                    }
                    Some(Rhs::Opaque(_)) => unreachable!("active variables are reals"),
                }
            }
            Stmt::Assign { var, rhs } if self.active(*var) => {
                let name = self.name(*var).clone();
                match rhs {
                    Rhs::Real(e) => {
                        let v = *var;
                        self.assign_set(quote!(#name), |l| matches!(l, Leaf::Var(u) if *u == v), e)
                    }
                    Rhs::Vec(v) => {
                        let v = self.vector(*var, v);
                        quote!(#name = #v;)
                    }
                    Rhs::Opaque(_) => unreachable!("active variables are reals"),
                }
            }
            Stmt::Store { vec, index, value } if self.active(*vec) => {
                let name = self.name(*vec).clone();
                let i = &index.tokens;
                let key = i.to_string();
                let v = *vec;
                self.assign_set(
                    quote!(#name[#i]),
                    |l| matches!(l, Leaf::Elem(u, j) if *u == v && j.tokens.to_string() == key),
                    value,
                )
            }
            Stmt::Push { vec, value } if self.active(*vec) => {
                let name = self.name(*vec);
                let set = self.set_of(value);
                quote!(#name.push(#set);)
            }
            Stmt::Call {
                results,
                declare,
                call,
            } if call
                .args
                .iter()
                .any(|a| matches!(a, Arg::Vec(v) if self.active(*v))) =>
            {
                let args: Vec<TokenStream> = call
                    .args
                    .iter()
                    .map(|a| match a {
                        Arg::Vec(v) => {
                            let n = self.name(*v);
                            quote!(&#n)
                        }
                        Arg::Out(v) => {
                            let n = self.name(*v);
                            quote!(&mut #n)
                        }
                        Arg::Other(o) => o.tokens.clone(),
                    })
                    .collect();
                let p = hidden_path(&call.path, "__asd_trace_");
                let callee = quote!(#p(#(#args),*));
                match results.as_slice() {
                    [] => quote!(#callee;),
                    [r] if *declare => {
                        let n = self.name(*r);
                        quote!(let mut #n = #callee;)
                    }
                    [r] => {
                        let n = self.name(*r);
                        quote!(#n = #callee;)
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
                self.both_arms(then, els)
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
            Stmt::Return(v) => {
                let value = match v {
                    None => quote!(()),
                    Some(v) if self.active(*v) => {
                        let n = self.name(*v);
                        quote!(#n)
                    }
                    Some(v) if self.f.vars[*v].ty == Ty::Real => quote!(#rt::IndexSet::new()),
                    Some(v) => {
                        let n = self.name(*v);
                        quote!(::std::vec![#rt::IndexSet::new(); #n.len()])
                    }
                };
                let ret = &self.ret;
                if self.active_branch {
                    // Both arms run: record this arm's value and go on (the variable
                    // lives on, so the record is a copy).
                    let value = match v {
                        Some(v) if self.active(*v) => quote!(::core::clone::Clone::clone(&#value)),
                        _ => value,
                    };
                    quote!(#rt::join_return(&mut #ret, #value);)
                } else if has_return_under_active_branch(&self.f.body, self.f, false) {
                    quote!({ #rt::join_return(&mut #ret, #value); return #rt::finish_return(#ret); })
                } else {
                    quote!(return #value;)
                }
            }
            // Everything inactive is computed as in the plain function.
            _ => self.plain_stmt(s),
        }
    }

    pub(crate) fn plain_stmt(&mut self, s: &Stmt) -> TokenStream {
        match s {
            Stmt::Let { var, init } => {
                let name = self.name(*var).clone();
                match init {
                    None => quote!(let mut #name;),
                    Some(rhs) => {
                        let v = self.plain_rhs(rhs);
                        quote!(let mut #name = #v;)
                    }
                }
            }
            Stmt::Assign { var, rhs } => {
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
            Stmt::Call {
                results,
                declare,
                call,
            } => {
                let args: Vec<TokenStream> = call
                    .args
                    .iter()
                    .map(|a| match a {
                        Arg::Vec(v) => {
                            let n = self.name(*v);
                            quote!(&#n)
                        }
                        Arg::Out(v) => {
                            let n = self.name(*v);
                            quote!(&mut #n)
                        }
                        Arg::Other(o) => o.tokens.clone(),
                    })
                    .collect();
                let p = &call.path;
                let callee = quote!(#p(#(#args),*));
                match results.as_slice() {
                    [] => quote!(#callee;),
                    [r] if *declare => {
                        let n = self.name(*r);
                        quote!(let mut #n = #callee;)
                    }
                    [r] => {
                        let n = self.name(*r);
                        quote!(#n = #callee;)
                    }
                    _ => unreachable!("calls have at most one result"),
                }
            }
            _ => unreachable!("control flow is handled by `stmt`"),
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
                VecExpr::List(items) => {
                    let items = items.iter().map(|e| self.plain.expr(e).0);
                    quote!(::std::vec![#(#items),*])
                }
                VecExpr::Empty(c) => {
                    let c = c.as_ref().map(|c| c.tokens.clone()).unwrap_or(quote!(0));
                    quote!(::std::vec::Vec::with_capacity(#c))
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

    /// The set-valued vector for an active vector variable.
    fn vector(&self, var: VarId, v: &VecExpr) -> TokenStream {
        let rt = rt();
        let empties = |of: VarId| {
            let n = self.name(of);
            quote!(::std::vec![#rt::IndexSet::new(); #n.len()])
        };
        match v {
            VecExpr::Filled(e, n) => {
                let set = self.set_of(e);
                let n = &n.tokens;
                quote!(::std::vec![#set; #n])
            }
            VecExpr::List(items) => {
                let sets = items.iter().map(|e| self.set_of(e));
                quote!(::std::vec![#(#sets),*])
            }
            VecExpr::Empty(c) => {
                let c = c.as_ref().map(|c| c.tokens.clone()).unwrap_or(quote!(0));
                quote!(::std::vec::Vec::with_capacity(#c))
            }
            VecExpr::Copy(u) if self.active(*u) => {
                let u = self.name(*u);
                quote!(#u.to_vec())
            }
            VecExpr::Copy(u) => empties(*u),
            VecExpr::Move(u) if self.active(*u) => {
                let u = self.name(*u);
                quote!(#u)
            }
            VecExpr::Move(u) => {
                let _ = var;
                empties(*u)
            }
        }
    }

    /// Both arms of a branch on an active real, each from the same state, then the
    /// union of what they wrote.
    fn both_arms(&mut self, then: &[Stmt], els: &[Stmt]) -> TokenStream {
        let rt = rt();
        let written: Vec<VarId> = written_outside(then, els)
            .into_iter()
            .filter(|&v| self.active(v))
            .collect();
        let names: Vec<Ident> = written.iter().map(|&v| self.name(v).clone()).collect();
        let k = self.joins;
        self.joins += 1;
        let saved = format_ident!("saved{}", k, span = Span::mixed_site());
        let first = format_ident!("first{}", k, span = Span::mixed_site());
        let outer = self.active_branch;
        self.active_branch = true;
        let then = self.block(then);
        let els = self.block(els);
        self.active_branch = outer;
        let idx = (0..names.len()).map(syn::Index::from).collect::<Vec<_>>();
        quote! {
            {
                let #saved = (#(#names.clone(),)*);
                { #then }
                let #first = (#(::core::mem::replace(&mut #names, #saved.#idx),)*);
                { #els }
                #(#rt::Join::join(&mut #names, #first.#idx);)*
            }
        }
    }
}

/// Variables written in either arm that were declared before the branch.
pub(crate) fn written_outside(then: &[Stmt], els: &[Stmt]) -> BTreeSet<VarId> {
    let mut written = BTreeSet::new();
    let mut declared = BTreeSet::new();
    for body in [then, els] {
        visit_stmts(body, &mut |s| match s {
            Stmt::Let { var, .. } => {
                declared.insert(*var);
            }
            Stmt::Assign { var, .. } => {
                written.insert(*var);
            }
            Stmt::Store { vec, .. } | Stmt::Push { vec, .. } => {
                written.insert(*vec);
            }
            Stmt::Call {
                results,
                declare,
                call,
            } => {
                for &r in results {
                    if *declare {
                        declared.insert(r);
                    } else {
                        written.insert(r);
                    }
                }
                for a in &call.args {
                    if let Arg::Out(v) = a {
                        written.insert(*v);
                    }
                }
            }
            Stmt::For { var, .. } => {
                declared.insert(*var);
            }
            _ => {}
        });
    }
    written.difference(&declared).copied().collect()
}

pub(crate) fn has_return_under_active_branch(body: &[Stmt], f: &Function, under: bool) -> bool {
    body.iter().any(|s| match s {
        Stmt::Return(_) => under,
        Stmt::If { cond, then, els } => {
            let u = under || reads_active(cond, &f.vars);
            has_return_under_active_branch(then, f, u) || has_return_under_active_branch(els, f, u)
        }
        Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Block(body) => {
            has_return_under_active_branch(body, f, under)
        }
        _ => false,
    })
}

//! The reverse sweep of the adjoint: walks the statements backwards, restoring what the
//! forward sweep saved, and accumulates adjoints from the table of rules.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use super::forward::{bounds, with_bounds};
use super::record::{assigned_in, block_locals, let_init};
use super::{if_else, scoped, seed, tape, ws, Adjoint};
use crate::analyse::expr_active;
use crate::emit::{hidden_path, lane_ident, range_tokens, Emitter};
use crate::ir::*;
use crate::rules::{self, Op};

/// The input's adjoint at indices a reverse loop does not change (`x_b[n - 1]` in a sum
/// over `i`): summed in a local across the loop and added to `x_b` once after it. `x_b`
/// is only ever added to, so the order of the additions is free, and a local keeps the
/// sum in a register instead of a chain of loads and stores through memory.
pub(super) struct Hoist {
    /// The variables the loop assigns (its own included): an index reading one varies.
    assigned: Vec<bool>,
    /// `(index tokens, accumulator)`.
    sums: Vec<(String, TokenStream, Ident)>,
}

/// The temporaries of one expression's adjoint, in order: `let t = e;` for each
/// `(t, e)`.
#[derive(Default)]
struct Bindings(Vec<(VarId, Expr)>);

impl Adjoint {
    pub(super) fn rev_stmts(&mut self, body: &[Stmt]) -> TokenStream {
        body.iter().rev().map(|s| self.rev(s)).collect()
    }

    /// A nested block backwards: its locals (and the loop variable) come back from the
    /// tape, then its statements run in reverse.
    fn rev_block(&mut self, body: &[Stmt], loop_var: Option<(VarId, TokenStream)>) -> TokenStream {
        let locals = block_locals(body);
        let mut out = TokenStream::new();
        if let Some((v, like)) = &loop_var {
            out.extend(self.restore_new(*v, Some(like)));
        }
        // Popped in reverse order; recomputed afterwards, in order, from what was popped.
        for &v in locals
            .iter()
            .rev()
            .filter(|v| !self.recompute.contains_key(v))
        {
            let like = let_init(body, v);
            out.extend(self.restore_new(v, like.as_ref()));
        }
        for &v in locals.iter().filter(|v| self.recompute.contains_key(v)) {
            out.extend(self.restore_new(v, None));
        }
        out.extend(self.declare_adjoints(&locals));
        out.extend(self.rev_stmts(body));
        out
    }

    fn rev(&mut self, s: &Stmt) -> TokenStream {
        let (tape, seed) = (tape(), seed());
        match s {
            Stmt::Let {
                var,
                init: Some(rhs),
            } => match rhs {
                Rhs::Real(e) if self.active(*var) => {
                    let b = self.adj(*var);
                    let bp = self.backprop(e, &seed);
                    with_seed(quote!(#b), quote!(), bp)
                }
                Rhs::Vec(v) => self.rev_vector(*var, v),
                Rhs::Real(_) | Rhs::Opaque(_) => quote!(),
            },
            Stmt::Let { init: None, .. } => quote!(),
            Stmt::Assign { var, rhs } => {
                let restore = self.restore(*var);
                match rhs {
                    Rhs::Real(e) if self.active(*var) => {
                        let b = self.adj(*var);
                        let bp = self.backprop(e, &seed);
                        // The adjoint of the overwritten value starts from zero; what a
                        // return overwrote is read by nothing.
                        let zero = if self.returns.sets(*var) {
                            quote!()
                        } else {
                            quote!(#b = [0.0; L];)
                        };
                        with_seed(quote!(#b), quote!(#zero #restore), bp)
                    }
                    Rhs::Vec(v) => {
                        let back = self.rev_vector(*var, v);
                        // As for a real: zero for the overwritten vector's adjoint.
                        let reset = if self.active(*var) && !self.returns.sets(*var) {
                            let b = self.adj(*var);
                            let n = self.name(*var);
                            quote!(#b.reset(#n.len());)
                        } else {
                            quote!()
                        };
                        quote!({ #back #restore #reset })
                    }
                    Rhs::Real(_) | Rhs::Opaque(_) => restore,
                }
            }
            Stmt::Store { vec, index, value } => {
                let n = self.name(*vec).clone();
                let i = &index.tokens;
                let restore = if self.lanes(*vec) {
                    quote!(#tape.pop_lanes(&mut #n[#i]);)
                } else {
                    quote!(#n[#i] = #tape.pop_real();)
                };
                if self.active(*vec) {
                    let b = self.adj(*vec);
                    let bp = self.backprop(value, &seed);
                    with_seed(quote!(#b[#i]), quote!(#b[#i] = [0.0; L]; #restore), bp)
                } else {
                    restore
                }
            }
            Stmt::Push { vec, value } => {
                let n = self.name(*vec).clone();
                if self.active(*vec) {
                    let b = self.adj(*vec);
                    let bp = self.backprop(value, &seed);
                    if bp.is_empty() {
                        quote!(#n.pop(); #b.pop();)
                    } else {
                        quote!({ #n.pop(); let #seed = #b.pop(); #bp })
                    }
                } else {
                    quote!(#n.pop();)
                }
            }
            Stmt::Call {
                results,
                declare,
                call,
            } => self.rev_call(results, *declare, call),
            Stmt::For { var, range, body } if self.replayable(range, body) => {
                let n = self.name(*var).clone();
                let (lo, hi) = bounds(0);
                let (start, end) = (&range.start.tokens, &range.end.tokens);
                let r = range_tokens(&with_bounds(range, &lo, &hi));
                let the_loop = self.rev_loop(Some(*var), body, |a| {
                    let inner = a.rev_block(body, None);
                    quote!(for #n in (#r).rev() { #inner })
                });
                // The bounds have the range's integer type, which the IR does not know:
                // the dead arm gives it to the generic `pop_int` (as in `restore_new`).
                quote!({
                    let #hi = if false { #end } else { #tape.pop_int() };
                    let #lo = if false { #start } else { #tape.pop_int() };
                    #the_loop
                })
            }
            Stmt::For { var, range, body } => {
                let cnt = Ident::new("trips", Span::mixed_site());
                let like = range.start.tokens.clone();
                let the_loop = self.rev_loop(Some(*var), body, |a| {
                    let inner = a.rev_block(body, Some((*var, like)));
                    quote!(for _ in 0..#cnt { #inner })
                });
                quote!({ let #cnt: usize = #tape.pop_int(); #the_loop })
            }
            Stmt::While { body, .. } => {
                let cnt = Ident::new("trips", Span::mixed_site());
                let the_loop = self.rev_loop(None, body, |a| {
                    let inner = a.rev_block(body, None);
                    quote!(for _ in 0..#cnt { #inner })
                });
                quote!({ let #cnt: usize = #tape.pop_int(); #the_loop })
            }
            Stmt::If { then, els, .. } => {
                let then = self.rev_block(then, None);
                let els = self.rev_block(els, None);
                if_else(quote!(#tape.pop_bool()), then, els)
            }
            Stmt::Block(body) => {
                let inner = self.rev_block(body, None);
                scoped(body, inner)
            }
            Stmt::Return(_) => quote!(),
        }
    }

    /// The adjoint of `var = <vector>` (or `let`): what flows from `var_b` into the
    /// vector's sources. A moved-from vector gets its value back.
    fn rev_vector(&mut self, var: VarId, v: &VecExpr) -> TokenStream {
        let l = lane_ident();
        let seed = seed();
        let n = self.name(var).clone();
        let b = self.adj(var);
        let active = self.active(var);
        match v {
            VecExpr::Filled(e, _) if active && expr_active(e, &self.f.vars) => {
                let bp = self.backprop(e, &seed);
                if bp.is_empty() {
                    return bp;
                }
                quote!({
                    let mut #seed = [0.0; L];
                    for a in #b.iter() { for #l in 0..L { #seed[#l] += a[#l]; } }
                    #bp
                })
            }
            VecExpr::List(items) if active => {
                let mut out = TokenStream::new();
                for (k, e) in items.iter().enumerate() {
                    if expr_active(e, &self.f.vars) {
                        let bp = self.backprop(e, &seed);
                        out.extend(with_seed(quote!(#b[#k]), quote!(), bp));
                    }
                }
                out
            }
            VecExpr::Copy(u) if active && self.active(*u) => {
                let ub = self.adj(*u);
                quote!(for (a, d) in #ub.iter_mut().zip(#b.iter()) { for #l in 0..L { a[#l] += d[#l]; } })
            }
            VecExpr::Move(u) => {
                let un = self.name(*u).clone();
                let adjoint = if self.active(*u) {
                    let ub = self.adj(*u);
                    if active {
                        quote!(#ub.assign(&#b);)
                    } else {
                        quote!(#ub.reset(#un.len());)
                    }
                } else {
                    quote!()
                };
                quote!(#un.assign(&#n); #adjoint)
            }
            VecExpr::Filled(..)
            | VecExpr::List(_)
            | VecExpr::Copy(_)
            | VecExpr::Overwritten(_)
            | VecExpr::Empty(_) => quote!(),
        }
    }

    fn rev_call(&mut self, results: &[VarId], declare: bool, call: &Call) -> TokenStream {
        let (ws, tape) = (ws(), tape());
        let active = call
            .args
            .iter()
            .any(|a| matches!(a, Arg::Vec(v) if self.active(*v)));
        // Pops in the reverse order of the forward sweep's pushes.
        let mut restore_out = TokenStream::new();
        for a in call.args.iter().rev() {
            if let Arg::Out(w) = a {
                restore_out.extend(self.restore(*w));
            }
        }
        let mut restore_results = TokenStream::new();
        if !declare {
            for &r in results.iter().rev() {
                restore_results.extend(self.restore(r));
            }
        }
        if !active {
            return quote!(#restore_results #restore_out);
        }
        let mut args = Vec::new();
        let mut scratch = TokenStream::new();
        for a in &call.args {
            match a {
                Arg::Vec(v) => {
                    let n = self.name(*v);
                    args.push(quote!(&#n));
                    if self.active(*v) {
                        let b = self.adj(*v);
                        args.push(quote!(&mut *#b));
                    } else if self.lanes(*v) {
                        // Directions that are constants here: the callee's adjoint of
                        // them goes to a scratch buffer.
                        args.push(quote!(&mut *#ws.lane_zeros::<L>(#n.len())));
                    }
                }
                Arg::Out(w) => {
                    // The callee's adjoint writes its output again: give it a copy of the
                    // value before the call, which the reverse sweep goes on with.
                    let n = self.name(*w);
                    let copy = format_ident!("{}_scratch", n, span = Span::mixed_site());
                    scratch.extend(quote!(let mut #copy = #ws.copy(&#n);));
                    args.push(quote!(&mut #copy));
                    let b = self.adj(*w);
                    args.push(quote!(&mut *#b));
                }
                Arg::Other(o) => args.push(o.tokens.clone()),
            }
        }
        // The seed is taken before the result is restored: `u = g(&u)` reads the old `u`
        // and accumulates into the old `u_b`.
        let mut take_seed = TokenStream::new();
        for (k, &r) in results.iter().enumerate() {
            let seed = format_ident!("seed{}", k, span = Span::mixed_site());
            let b = self.adj(r);
            let n = self.name(r);
            if self.f.vars[r].ty == Ty::Real {
                take_seed.extend(quote!(let #seed = #b; #b = [0.0; L];));
                args.push(quote!(#seed));
            } else {
                take_seed.extend(quote!(let #seed = #ws.lane_copy::<L>(&#b);));
                restore_results.extend(quote!(#b.reset(#n.len());));
                args.push(quote!(&#seed));
            }
        }
        let prefix = match call.kind {
            CallKind::Tangent => "__asd_tangent_adjoint_",
            CallKind::Plain => "__asd_adjoint_",
        };
        let p = hidden_path(&call.path, prefix);
        let check = Emitter::new(&self.f).wrt_check(call);
        quote!({
            #check
            #take_seed
            #restore_results
            #restore_out
            #scratch
            #p::<L>(#ws, &mut *#tape, #(#args),*);
        })
    }

    // ---- adjoints of expressions ---------------------------------------------------

    /// The local that sums the adjoint of `v[index]` across the innermost reverse loop,
    /// when `v` is the input and the loop does not change `index`.
    fn hoisted(&mut self, v: VarId, index: &Opaque) -> Option<Ident> {
        if v != self.f.active_param().var {
            return None;
        }
        let hoist = self.hoists.last()?;
        if index.reads.iter().any(|&r| hoist.assigned[r]) {
            return None;
        }
        let key = index.tokens.to_string();
        if let Some((.., sum)) = hoist.sums.iter().find(|(k, ..)| *k == key) {
            return Some(sum.clone());
        }
        let t = self.temp();
        let sum = self.name(t).clone();
        let hoist = self.hoists.last_mut().expect("checked above");
        hoist.sums.push((key, index.tokens.clone(), sum.clone()));
        Some(sum)
    }

    /// A reverse loop `emit` makes, with the sums of [`Hoist`] declared before it and
    /// added to the input's adjoint after it.
    fn rev_loop(
        &mut self,
        var: Option<VarId>,
        body: &[Stmt],
        emit: impl FnOnce(&mut Self) -> TokenStream,
    ) -> TokenStream {
        let mut assigned = assigned_in(self.f.vars.len(), body);
        if let Some(v) = var {
            assigned[v] = true;
        }
        self.hoists.push(Hoist {
            assigned,
            sums: Vec::new(),
        });
        let the_loop = emit(self);
        let hoist = self.hoists.pop().expect("pushed above");
        if hoist.sums.is_empty() {
            return the_loop;
        }
        let xb = self.adj(self.f.active_param().var);
        let l = lane_ident();
        let (decl, add): (TokenStream, TokenStream) = hoist
            .sums
            .iter()
            .map(|(_, i, sum)| {
                (
                    quote!(let mut #sum = [0.0; L];),
                    quote!(for #l in 0..L { #xb[#i][#l] += #sum[#l]; }),
                )
            })
            .unzip();
        quote!({ #decl #the_loop #add })
    }

    /// `leaf_b += (d e / d leaf) * seed` for every active leaf of `e`, lane by lane; the
    /// partials come from the table of rules, evaluated once outside the lane loop.
    fn backprop(&mut self, e: &Expr, seed: &Ident) -> TokenStream {
        // Tangent code: the partials differ from lane to lane, so they are computed
        // inside the loop over lanes.
        self.lane_mode = self.reads_lanes(e);
        let mut pre = Bindings::default();
        let mut terms = Vec::new();
        self.collect(e, Expr::lit(1.0), &mut pre, &mut terms);
        if terms.is_empty() {
            self.lane_mode = false;
            return quote!();
        }
        let l = lane_ident();
        let terms: Vec<_> = merge_leaves(terms)
            .into_iter()
            .map(|(leaf, coef)| (leaf, self.bind(coef, &mut pre)))
            .collect();
        let (before, inside) = self.bindings(&pre, terms.iter().map(|(_, coef)| coef));
        let updates: Vec<TokenStream> = terms
            .into_iter()
            .map(|(leaf, coef)| match coef {
                Expr::Lit(1.0) => quote!(#leaf[#l] += #seed[#l];),
                Expr::Lit(-1.0) => quote!(#leaf[#l] -= #seed[#l];),
                c => {
                    let c = self.ex(&c);
                    quote!(#leaf[#l] += #c * #seed[#l];)
                }
            })
            .collect();
        self.lane_mode = false;
        quote!(#before for #l in 0..L { #inside #(#updates)* })
    }

    /// Binds a non-trivial scalar expression to a temporary, so it is computed once:
    /// the one already bound to it, if any.
    fn bind(&mut self, e: Expr, pre: &mut Bindings) -> Expr {
        match e {
            Expr::Var(_) | Expr::Lit(_) | Expr::Index(..) | Expr::Const(_) => e,
            Expr::Apply(..) | Expr::Powi(..) => {
                if let Some((t, _)) = pre.0.iter().find(|(_, b)| same(b, &e)) {
                    return Expr::Var(*t);
                }
                let t = self.temp();
                pre.0.push((t, e));
                Expr::Var(t)
            }
        }
    }

    /// The `let`s of the bindings that `results` read, directly or through other
    /// bindings (the partials of an inactive argument are bound before it is known
    /// that nothing reads them): `(before the lane loop, inside it)`. Inside go those
    /// that read a lane variable (tangent code), their lane-invariant parts bound
    /// before the loop: `x[i].cos()` of `x[i].cos() * x_d[i][l]` is computed once, not
    /// once per lane.
    fn bindings<'e>(
        &mut self,
        pre: &Bindings,
        results: impl Iterator<Item = &'e Expr>,
    ) -> (TokenStream, TokenStream) {
        let mut used = vec![false; self.f.vars.len()];
        results.for_each(|e| e.for_each_read(&mut |v| used[v] = true));
        // A binding reads only earlier ones: one pass backwards finds them all.
        for (t, e) in pre.0.iter().rev() {
            if used[*t] {
                e.for_each_read(&mut |v| used[v] = true);
            }
        }
        let mut before = Bindings::default();
        let mut inside = Bindings::default();
        for (t, e) in pre.0.iter().filter(|(t, _)| used[*t]) {
            if self.varies(e, &inside) {
                let e = self.bind_invariant(e.clone(), &inside, &mut before);
                inside.0.push((*t, e));
            } else {
                before.0.push((*t, e.clone()));
            }
        }
        let lets = |b: Bindings| -> TokenStream {
            b.0.iter()
                .map(|(t, e)| {
                    let (n, v) = (self.name(*t), self.ex(e));
                    quote!(let #n = #v;)
                })
                .collect()
        };
        (lets(before), lets(inside))
    }

    /// Whether `e` differs from lane to lane: it reads a lane variable or a binding of
    /// `inside` the lane loop.
    fn varies(&self, e: &Expr, inside: &Bindings) -> bool {
        let mut found = false;
        e.for_each_read(&mut |v| found |= self.lanes(v) || inside.0.iter().any(|(t, _)| *t == v));
        found
    }

    /// `e` with each largest part that does not vary by lane, and is worth a temporary,
    /// bound in `before`.
    fn bind_invariant(&mut self, e: Expr, inside: &Bindings, before: &mut Bindings) -> Expr {
        if !self.varies(&e, inside) {
            return self.bind(e, before);
        }
        match e {
            Expr::Apply(op, args) => {
                let args = args
                    .into_iter()
                    .map(|a| self.bind_invariant(a, inside, before))
                    .collect();
                Expr::Apply(op, args)
            }
            Expr::Powi(b, n) => Expr::Powi(Box::new(self.bind_invariant(*b, inside, before)), n),
            Expr::Var(_) | Expr::Index(..) | Expr::Lit(_) | Expr::Const(_) => e,
        }
    }

    fn collect(
        &mut self,
        e: &Expr,
        coef: Expr,
        pre: &mut Bindings,
        terms: &mut Vec<(TokenStream, Expr)>,
    ) {
        match e {
            Expr::Var(v) if self.active(*v) => {
                let b = self.adj(*v);
                terms.push((quote!(#b), coef));
            }
            Expr::Index(v, i) if self.active(*v) => {
                let leaf = match self.hoisted(*v, i) {
                    Some(sum) => quote!(#sum),
                    None => {
                        let b = self.adj(*v);
                        let i = &i.tokens;
                        quote!(#b[#i])
                    }
                };
                terms.push((leaf, coef));
            }
            // Sums pass the coefficient on unchanged and read no value.
            Expr::Apply(op @ (Op::Add | Op::Sub | Op::Neg), args) => {
                let signs = rules::partials(*op, args, e);
                for (a, p) in args.iter().zip(signs) {
                    if let (Some(p), true) = (p, expr_active(a, &self.f.vars)) {
                        let c = times(coef.clone(), p);
                        self.collect(a, c, pre, terms);
                    }
                }
            }
            Expr::Apply(op, args) if expr_active(e, &self.f.vars) => {
                let vals: Vec<Expr> = args.iter().map(|a| self.bind(a.clone(), pre)).collect();
                let probe = self.temp();
                let mut partials = rules::partials(*op, &vals, &Expr::Var(probe));
                if partials.iter().flatten().any(|p| p.reads(probe)) {
                    let r = self.bind(Expr::app(*op, vals.clone()), pre);
                    partials = rules::partials(*op, &vals, &r);
                }
                for (a, p) in args.iter().zip(partials) {
                    let Some(p) = p else { continue };
                    if expr_active(a, &self.f.vars) {
                        let c = self.bind(times(coef.clone(), p), pre);
                        self.collect(a, c, pre, terms);
                    }
                }
            }
            Expr::Powi(b, n) if expr_active(b, &self.f.vars) => {
                let v = self.bind((**b).clone(), pre);
                let p = rules::powi_partial(&v, n);
                let c = self.bind(times(coef, p), pre);
                self.collect(b, c, pre, terms);
            }
            // Inactive: no adjoint flows through.
            Expr::Var(_)
            | Expr::Index(..)
            | Expr::Apply(..)
            | Expr::Powi(..)
            | Expr::Lit(_)
            | Expr::Const(_) => {}
        }
    }
}

/// `{ let seed = <take>; <then> <bp> }`: the adjoint `bp` sends on from the seed taken
/// from `take`, after `then`; only `then` when nothing is sent on (`bp` is empty: the
/// value's partials are all zero, as for `floor`).
fn with_seed(take: TokenStream, then: TokenStream, bp: TokenStream) -> TokenStream {
    let seed = seed();
    if bp.is_empty() {
        then
    } else {
        quote!({ let #seed = #take; #then #bp })
    }
}

/// One term per adjoint: `x_b[i] += (a + b) * seed` instead of two updates of `x_b[i]`
/// (`x[i] * x[i]`). An adjoint updated twice in a loop is a chain through memory that
/// the sum avoids: arwhead's `x[n - 1]` made its gradient 5x the primal.
fn merge_leaves(terms: Vec<(TokenStream, Expr)>) -> Vec<(TokenStream, Expr)> {
    let mut merged: Vec<(String, TokenStream, Expr)> = Vec::with_capacity(terms.len());
    for (leaf, coef) in terms {
        let key = leaf.to_string();
        match merged.iter_mut().find(|(k, ..)| *k == key) {
            Some((_, _, sum)) => *sum = Expr::add(sum.clone(), coef),
            None => merged.push((key, leaf, coef)),
        }
    }
    merged
        .into_iter()
        .map(|(_, leaf, coef)| (leaf, coef))
        .collect()
}

/// Whether two expressions are the same computation: the same tree over the same
/// variables, told apart by id (a temporary and a user's variable may share a name).
fn same(a: &Expr, b: &Expr) -> bool {
    let same_opaque =
        |o: &Opaque, p: &Opaque| o.reads == p.reads && o.tokens.to_string() == p.tokens.to_string();
    match (a, b) {
        (Expr::Var(u), Expr::Var(v)) => u == v,
        (Expr::Index(u, i), Expr::Index(v, j)) => u == v && same_opaque(i, j),
        (Expr::Lit(x), Expr::Lit(y)) => x.to_bits() == y.to_bits(),
        (Expr::Const(o), Expr::Const(p)) => same_opaque(o, p),
        (Expr::Apply(f, xs), Expr::Apply(g, ys)) => {
            f == g && xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same(x, y))
        }
        (Expr::Powi(x, n), Expr::Powi(y, m)) => same(x, y) && same_opaque(n, m),
        (
            Expr::Var(_)
            | Expr::Index(..)
            | Expr::Lit(_)
            | Expr::Const(_)
            | Expr::Apply(..)
            | Expr::Powi(..),
            _,
        ) => false,
    }
}

/// `a * b`, with the unit and sign factors folded.
fn times(a: Expr, b: Expr) -> Expr {
    match (a, b) {
        (Expr::Lit(1.0), b) => b,
        (a, Expr::Lit(1.0)) => a,
        (Expr::Lit(-1.0), b) => Expr::app(Op::Neg, vec![b]),
        (a, Expr::Lit(-1.0)) => Expr::app(Op::Neg, vec![a]),
        (a, b) => Expr::mul(a, b),
    }
}

#[cfg(test)]
mod tests {
    use crate::tests::generated;
    use quote::quote;

    #[test]
    fn one_update_per_adjoint_and_invariant_input_adjoints_summed_outside_the_loop() {
        let a = generated(
            quote! {
                fn f(x: &[f64]) -> f64 {
                    let n = x.len();
                    let mut f = 0.0;
                    for i in 0..n - 1 {
                        let t = x[i] * x[i] + x[n - 1] * x[n - 1];
                        f += t * t - 4.0 * x[i] + 3.0;
                    }
                    f
                }
            },
            "fn __asd_adjoint_f",
        );
        // `x[i] * x[i]` updates x_b[i] once; `t * t` updates t_b once.
        assert_eq!(a.matches("x_b[i][l] +=").count(), 2, "{a}");
        assert_eq!(a.matches("t_b[l] +=").count(), 1, "{a}");
        // x_b[n - 1] is added to once, after the reverse loop.
        assert_eq!(a.matches("x_b[n - 1][l] +=").count(), 1, "{a}");
        let after_loop = a.find("x_b[n - 1][l] +=").unwrap();
        assert!(a[..after_loop].contains("for i in (lo0..hi0).rev()"), "{a}");
    }

    #[test]
    fn adjoints_at_indices_the_loop_changes_or_of_locals_stay_in_the_loop() {
        let a = generated(
            quote! {
                fn f(x: &[f64]) -> f64 {
                    let n = x.len();
                    let v = x.to_vec();
                    let mut k = 0;
                    let mut s = 0.0;
                    for i in 0..n {
                        s += x[k] * x[i] + v[0] * x[i];
                        k = (k + 1) % n;
                    }
                    s
                }
            },
            "fn __asd_adjoint_f",
        );
        let in_loop = &a[a.find("for i in").expect(&a)..];
        assert!(in_loop.contains("x_b[k][l] +="), "{a}");
        assert!(in_loop.contains("v_b[0][l] +="), "{a}");
    }

    /// The adjoint of `item`'s `f`, whitespace collapsed.
    fn adjoint_of(item: proc_macro2::TokenStream, which: &str) -> String {
        let a = generated(item, which);
        a.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn no_temporary_the_reverse_sweep_does_not_read() {
        let a = adjoint_of(
            quote! {
                fn f(x: &[f64], c: f64) -> f64 {
                    let mut s = 0.0;
                    for i in 0..x.len() {
                        s += x[i].sin() * c;
                    }
                    s
                }
            },
            "fn __asd_adjoint_f",
        );
        // `x[i].sin()` is only the partial for the constant `c`: the forward sweep
        // computes it, the reverse sweep does not.
        assert_eq!(a.matches(".sin()").count(), 1, "{a}");
        assert!(a.contains(" = c * x[i].cos();"), "{a}");
    }

    #[test]
    fn lane_invariant_partials_are_bound_before_the_lane_loop() {
        let a = adjoint_of(
            quote! {
                fn f(x: &[f64]) -> f64 {
                    let mut s = 0.0;
                    for i in 0..x.len() {
                        s += x[i].exp() * x[i].sin();
                    }
                    s
                }
            },
            "fn __asd_hvp_f",
        );
        // The adjoint of tangent code reads the directions lane by lane; the
        // transcendentals of its partials do not depend on the lane.
        let lane_loops: Vec<&str> = a
            .split("for l in 0..L {")
            .skip(1)
            .map(|rest| &rest[..rest.find('}').expect("a lane loop's end")])
            .collect();
        assert!(
            lane_loops.iter().any(|body| body.contains("x_d[i][l]")),
            "{a}"
        );
        for body in lane_loops {
            for f in [".sin()", ".cos()", ".exp()"] {
                assert!(!body.contains(f), "{f} in a lane loop: {body}\n{a}");
            }
        }
        assert!(a.contains("= -x[i].sin();"), "{a}");
    }

    #[test]
    fn an_expression_is_bound_once() {
        let a = adjoint_of(
            quote! {
                fn f(x: &[f64]) -> f64 {
                    x[0].tanh() + 1.0 / x[1] + 1.0 / x[1] * x[2]
                }
            },
            "fn __asd_hvp_f",
        );
        // The adjoint of `t0_d = (1 - u0 * u0) * x_d[0] + ...`: the product rule on
        // `u0 * u0` gives `-x_d[0][l] * u0` twice, and the partials of both quotients
        // read `1.0 / x[1]`.
        let from = a.find("let seed = t0_d_b;").expect("t0_d's adjoint");
        let to = from + a[from..].find("let seed = t0_b;").expect("t0's adjoint");
        let t0_d = &a[from..to];
        assert_eq!(t0_d.matches("= -x_d[0][l] * u0;").count(), 1, "{t0_d}");
        assert_eq!(t0_d.matches("= 1.0 / x[1];").count(), 1, "{t0_d}");
    }

    #[test]
    fn no_seed_where_no_adjoint_flows() {
        let a = adjoint_of(
            quote! {
                fn f(x: &[f64]) -> f64 {
                    let mut s = 0.0;
                    let mut v = vec![x[0].floor(); 2];
                    let mut w = vec![x[0], x[1].round()];
                    for i in 0..x.len() {
                        s += x[i];
                        v[i % 2] = x[i].signum();
                        w.push(x[i].trunc());
                    }
                    let t = s + v[0] + w[2];
                    s = x[0].ceil();
                    t + s
                }
            },
            "fn __asd_adjoint_f",
        );
        // Steps (`floor`, `signum`, ...) have no partial: nothing flows from the
        // adjoint of what they set, so no seed is taken from it; an overwritten
        // adjoint is still zeroed and an overwritten value restored.
        assert!(!a.contains("let seed = s_b; }"), "{a}");
        assert!(!a.contains("let seed = s_b; s_b = [0.0; L]; }"), "{a}");
        assert!(a.contains("s_b = [0.0; L]; {"), "{a}");
        assert!(!a.contains("let seed = v_b[i % 2];"), "{a}");
        assert!(
            a.contains("v_b[i % 2] = [0.0; L]; v[i % 2] = __tape.pop_real();"),
            "{a}"
        );
        assert!(!a.contains("let seed = w_b.pop();"), "{a}");
        assert!(a.contains("w.pop(); w_b.pop();"), "{a}");
        assert!(!a.contains("let mut seed = [0.0; L];"), "{a}");
        assert!(!a.contains("let seed = w_b[1usize];"), "{a}");
        // What does flow: `t = s + v[0] + w[2]`, `ret = t + s`, `w[0] = x[0]`.
        assert!(a.contains("let seed = t_b;"), "{a}");
        assert!(a.contains("let seed = w_b[0usize];"), "{a}");
    }

    #[test]
    fn no_empty_else() {
        let a = adjoint_of(
            quote! {
                fn f(x: &[f64]) -> f64 {
                    let mut s = 0.0;
                    for i in 0..x.len() {
                        if x[i] > 0.0 {
                            s += x[i] * x[i];
                        }
                    }
                    s
                }
            },
            "fn __asd_adjoint_f",
        );
        assert!(a.contains("if taken {"), "{a}");
        assert!(a.contains("if __tape.pop_bool() {"), "{a}");
        assert!(!a.contains("else {}"), "{a}");
    }
}

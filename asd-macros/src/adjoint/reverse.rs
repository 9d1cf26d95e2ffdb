//! The reverse sweep of the adjoint: walks the statements backwards, restoring what the
//! forward sweep saved, and sends each statement's adjoint on to what it read.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use super::forward::{bounds, with_bounds};
use super::record::{assigned_in, block_locals, let_init};
use super::{if_else, scoped, seed, tape, ws, Adjoint};
use crate::analyse::expr_active;
use crate::emit::{lane_ident, passed_args, range_tokens, Emitter};
use crate::ir::*;
use crate::names::Hidden;

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
        // Popped in order (they were pushed last first); recomputed afterwards, in
        // order, from what was popped.
        for &v in locals.iter().filter(|v| !self.recompute.contains_key(v)) {
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
                    let held = self.recompute.contains_key(var) && !self.lanes(*var);
                    let result = held.then_some(*var);
                    let bp = self.backprop_of(e, result, &seed);
                    with_seed(quote!(#b), quote!(), bp)
                }
                // Before its `let`, the vector is gone.
                Rhs::Vec(v) => self.rev_vector(*var, v, true),
                Rhs::Real(_) | Rhs::Opaque(_) => quote!(),
            },
            Stmt::Let { init: None, .. } => quote!(),
            Stmt::Assign { var, rhs, .. } => {
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
                        // Its old value is popped and its adjoint zeroed right after
                        // (not for what a return sets).
                        let put_back = !self.returns.sets(*var);
                        let back = self.rev_vector(*var, v, put_back);
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
                let restore = if !self.store_saves(*vec) {
                    quote!()
                } else if self.lanes(*vec) {
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
            Stmt::If { cond, then, els } => {
                let then = self.rev_block(then, None);
                let els = self.rev_block(els, None);
                let c = &cond.tokens;
                if self.replays_cond(cond) {
                    // In parentheses: a condition may be a struct-like path.
                    if_else(quote!((#c)), then, els)
                } else {
                    if_else(quote!(#tape.pop_bool()), then, els)
                }
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
    /// `replaced`: `var`'s value and adjoint are not read after this (backwards): it goes
    /// out of scope, or its old value is popped and its adjoint zeroed right after.
    fn rev_vector(&mut self, var: VarId, v: &VecExpr, replaced: bool) -> TokenStream {
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
            // `var = u` backwards: `u` takes back its value and adjoint. Where `var`'s
            // are replaced anyway, the buffers are swapped, not copied.
            VecExpr::Move(u) => {
                let un = self.name(*u).clone();
                let vars = &self.f.vars;
                let swap = replaced && !vars[var].is_param() && !vars[*u].is_param();
                let take = |to: &Ident, from: &Ident| {
                    if swap {
                        quote!(::core::mem::swap(&mut #to, &mut #from);)
                    } else {
                        quote!(#to.assign(&#from);)
                    }
                };
                let adjoint = if self.active(*u) {
                    let ub = self.adj(*u);
                    if active {
                        take(&ub, &b)
                    } else {
                        quote!(#ub.reset(#un.len());)
                    }
                } else {
                    quote!()
                };
                let value = take(&un, &n);
                quote!(#value #adjoint)
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
            .any(|a| matches!(a, Arg::Vec(v, _) if self.active(*v)));
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
                Arg::Vec(v, range) => {
                    let n = self.name(*v);
                    let value = Arg::slice_of(range, n, false);
                    args.extend(passed_args(&self.f, std::slice::from_ref(a)));
                    if self.active(*v) {
                        args.push(Arg::slice_of(range, &self.adj(*v), true));
                    } else if self.lanes(*v) {
                        // Directions that are constants here: the callee's adjoint of
                        // them goes to a scratch buffer.
                        args.push(quote!(&mut *#ws.lane_zeros::<L>((#value).len())));
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
        let p = match call.kind {
            CallKind::Tangent => Hidden::TangentAdjoint,
            CallKind::Plain => Hidden::Adjoint,
        }
        .path(&call.path);
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

    // ---- input adjoints summed across a loop ------------------------------------

    /// The local that sums the adjoint of `v[index]` across the innermost reverse loop,
    /// when `v` is the input and the loop does not change `index`.
    pub(super) fn hoisted(&mut self, v: VarId, index: &Opaque) -> Option<Ident> {
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

#[cfg(test)]
mod tests {
    use crate::tests::{flat, generated};
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
        assert_eq!(a.matches("&mut x_b[i];").count(), 2, "{a}");
        assert_eq!(a.matches("&mut t_b;").count(), 1, "{a}");
        // x_b[n - 1] is added to once, after the reverse loop (in it, to a sum).
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
        assert!(in_loop.contains("&mut x_b[k];"), "{a}");
        assert!(in_loop.contains("&mut v_b[0];"), "{a}");
    }

    #[test]
    fn no_seed_where_no_adjoint_flows() {
        let a = flat(&generated(
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
        ));
        // Steps (`floor`, `signum`, ...) have no partial: nothing flows from the
        // adjoint of what they set, so no seed is taken from it; an overwritten
        // adjoint is still zeroed. The elements of `v` only enter sums, so what a store
        // overwrites is neither saved nor restored.
        assert!(!a.contains("let seed = s_b; }"), "{a}");
        assert!(!a.contains("let seed = s_b; s_b = [0.0; L]; }"), "{a}");
        assert!(a.contains("s_b = [0.0; L]; {"), "{a}");
        assert!(!a.contains("let seed = v_b[i % 2];"), "{a}");
        assert!(a.contains("v_b[i % 2] = [0.0; L]; {"), "{a}");
        assert!(
            !a.contains("push_real(v[i % 2])") && !a.contains("pop_real"),
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
        let a = flat(&generated(
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
        ));
        assert!(a.contains("if taken {"), "{a}");
        // The condition reads only values that never change: evaluated again, not taped.
        assert!(a.contains("if (x[i] > 0.0) {"), "{a}");
        assert!(!a.contains("__tape.push_bool"), "{a}");
        assert!(!a.contains("else {}"), "{a}");
    }

    #[test]
    fn a_condition_on_a_changing_value_is_taped() {
        let a = flat(&generated(
            quote! {
                fn f(x: &[f64]) -> f64 {
                    let mut s = 0.0;
                    for i in 0..x.len() {
                        if s < 1.0 {
                            s += x[i] * x[i];
                        }
                    }
                    s
                }
            },
            "fn __asd_adjoint_f",
        ));
        assert!(a.contains("__tape.push_bool(taken);"), "{a}");
        assert!(a.contains("if __tape.pop_bool() {"), "{a}");
    }
}

//! The forward sweep of the adjoint: runs the primal and pushes on the tape what the
//! reverse sweep needs (overwritten values, a block's final locals, loop bounds or trip
//! counts, branches taken), and pops it back (`restore*`) for the reverse sweep.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use super::record::block_locals;
use super::{if_else, scoped, tape, value_after, ws, Adjoint};
use crate::emit::{
    declared_zero, let_type, passed_args, plain_call, plain_in_place, range_tokens, Emitter,
};
use crate::ir::*;
use crate::names::Hidden;

impl Adjoint {
    /// The statements of a block, then (except for the top block, whose locals live on)
    /// the final values of its locals, for the reverse block to start from.
    pub(super) fn fwd_block(&mut self, body: &[Stmt], top: bool) -> TokenStream {
        let mut out: TokenStream = body.iter().map(|s| self.fwd(s)).collect();
        if !top {
            // Last local first, so the reverse block pops them in order and an
            // integer's type can be read from its initializer (`let b = a + 1;`).
            for v in block_locals(body).into_iter().rev() {
                out.extend(self.save(v));
            }
        }
        out
    }

    /// A variable whose overwritten values the reverse sweep never reads, so the tape
    /// need not keep them: a real scalar that only enters sums (`s += ...`: no partial
    /// reads it), and what a return sets ([`Returns::sets`](super::returns::Returns::sets)).
    fn unneeded(&self, v: VarId) -> bool {
        let only_summed =
            self.f.vars[v].ty == Ty::Real && !self.needed.get(v).copied().unwrap_or(true);
        only_summed || self.returns.sets(v)
    }

    /// Whether a store into `vec` saves the element it overwrites, for the reverse sweep
    /// to put back: not when nothing there reads the vector's values
    /// ([`value_needed`](super::record::value_needed)), as in `z[i] = y[i + 1] - y[i]`,
    /// and `vec` is not a parameter (an output parameter is written for the caller).
    pub(super) fn store_saves(&self, vec: VarId) -> bool {
        self.needed[vec] || self.f.vars[vec].is_param()
    }

    /// Pushes the current value of `v`.
    fn save(&self, v: VarId) -> TokenStream {
        let tape = tape();
        let n = self.name(v);
        if n == "_" || self.unneeded(v) || self.recompute.contains_key(&v) {
            return quote!();
        }
        match self.f.vars[v].ty {
            Ty::Real if self.lanes(v) => quote!(#tape.push_lanes(&#n);),
            Ty::RealVec if self.lanes(v) => quote!(#tape.push_vec(#n.as_flattened());),
            Ty::Real => quote!(#tape.push_real(#n);),
            Ty::RealVec => quote!(#tape.push_vec(&#n);),
            Ty::Int => quote!(#tape.push_int(#n);),
            Ty::Bool => quote!(#tape.push_bool(#n);),
            Ty::Other => quote!(),
        }
    }

    /// Pops the value [`save`](Self::save) pushed into a new binding of `v`; `like` is
    /// an expression of `v`'s type (never evaluated) for integers.
    pub(super) fn restore_new(&self, v: VarId, like: Option<&TokenStream>) -> TokenStream {
        let (tape, ws) = (tape(), ws());
        let n = self.name(v);
        // Recomputed even where its own value is unneeded: another recomputed local
        // may read it (dead code otherwise, which the compiler drops).
        if let (false, Some(Rhs::Real(e))) = (n == "_", self.recompute.get(&v)) {
            if self.lanes(v) {
                let value = self.lane_value_loop(e);
                return quote!(let mut #n: [f64; L] = #value;);
            }
            let e = self.ex(e);
            return quote!(let mut #n: f64 = #e;);
        }
        if n == "_" || self.unneeded(v) {
            return quote!();
        }
        match self.f.vars[v].ty {
            Ty::Real if self.lanes(v) => quote!(let mut #n = [0.0; L]; #tape.pop_lanes(&mut #n);),
            Ty::RealVec if self.lanes(v) => {
                quote!(let mut #n = #ws.lane_zeros::<L>(0); #tape.pop_lanes_into(&mut #n);)
            }
            Ty::Real => quote!(let mut #n: f64 = #tape.pop_real();),
            Ty::RealVec => quote!(let mut #n = #tape.pop_vec_in(#ws);),
            Ty::Int => match like {
                // `pop_int` is generic over the integer types and the IR does not know
                // which one the user's code has: the dead arm gives it `like`'s type.
                // In parentheses: `{ i } % n` alone in a block is a block, then `% n`.
                Some(like) => quote!(let mut #n = if false { (#like) } else { #tape.pop_int() };),
                None => quote!(let mut #n: usize = #tape.pop_int();),
            },
            Ty::Bool => quote!(let mut #n: bool = #tape.pop_bool();),
            // A constant of any type cannot be taped: it is computed again.
            Ty::Other => match like {
                Some(like) => quote!(let mut #n = #like;),
                None => quote!(),
            },
        }
    }

    /// The `[f64; L]` value of a lane expression of tangent code, computed lane by lane
    /// in a loop into a local array, not by `array::from_fn` (as the tangent code has
    /// it), whose closure the compiler did not inline into the long loops of a
    /// Hessian-vector product: 20% of bdqrtic's prepared Hessian (8 lanes) went to the
    /// closure's calls, with its bounds checks.
    pub(super) fn lane_value_loop(&self, e: &Expr) -> TokenStream {
        let leaf = match e {
            Expr::Var(v) | Expr::Index(v, _) => self.lanes(*v),
            _ => false,
        };
        let mut pre = TokenStream::new();
        let mut em = Emitter::new(&self.f);
        if leaf || !self.reads_lanes(e) {
            let value = em.lane_value(e, &mut pre);
            return value_after(pre, value);
        }
        let body = em.lane_expr(e, &mut pre).0;
        let (l, v) = (
            crate::emit::lane_ident(),
            Ident::new("lanes", Span::mixed_site()),
        );
        quote!({ #pre let mut #v = [0.0; L]; for #l in 0..L { #v[#l] = #body; } #v })
    }

    /// Pops into the existing binding of `v`.
    pub(super) fn restore(&self, v: VarId) -> TokenStream {
        let (tape, ws) = (tape(), ws());
        let n = self.name(v);
        if self.unneeded(v) {
            return quote!();
        }
        match self.f.vars[v].ty {
            Ty::Real if self.lanes(v) => quote!(#tape.pop_lanes(&mut #n);),
            Ty::RealVec if self.lanes(v) => quote!(#tape.pop_lanes_into(&mut #n);),
            Ty::Real => quote!(#n = #tape.pop_real();),
            // A pooled buffer that fits, rather than the binding's own grown: a vector
            // shrunk since (`y = z` with `z` one shorter) would grow at each evaluation.
            Ty::RealVec => quote!(#n = #tape.pop_vec_in(#ws);),
            Ty::Int => quote!(#n = #tape.pop_int();),
            Ty::Bool => quote!(#n = #tape.pop_bool();),
            Ty::Other => quote!(),
        }
    }

    fn fwd(&mut self, s: &Stmt) -> TokenStream {
        let (ws, tape) = (ws(), tape());
        match s {
            Stmt::Let { var, init } => {
                let n = self.name(*var).clone();
                match init {
                    // Set later in both arms of a branch; the overwrite saves the old
                    // value, so it needs one.
                    None => match self.f.vars[*var].ty {
                        Ty::Real => {
                            let (ty, zero) =
                                (let_type(&self.f, *var), declared_zero(&self.f, *var));
                            quote!(let mut #n #ty #zero;)
                        }
                        Ty::RealVec if self.lanes(*var) => {
                            quote!(let mut #n = #ws.lane_zeros::<L>(0);)
                        }
                        Ty::RealVec => quote!(let mut #n = #ws.zeros(0);),
                        _ => quote!(let mut #n = ::core::default::Default::default();),
                    },
                    Some(rhs) => {
                        let v = self.fwd_rhs(*var, rhs);
                        let ty = let_type(&self.f, *var);
                        quote!(let mut #n #ty = #v;)
                    }
                }
            }
            Stmt::Assign { var, rhs, .. } => {
                let n = self.name(*var).clone();
                let save = self.save(*var);
                let v = self.fwd_rhs(*var, rhs);
                quote!(#save #n = #v;)
            }
            Stmt::Store { vec, index, value } => {
                let n = self.name(*vec).clone();
                let i = &index.tokens;
                let saves = self.store_saves(*vec);
                if self.lanes(*vec) {
                    let v = self.lane_value(value);
                    let save = saves.then(|| quote!(#tape.push_lanes(&#n[#i]);));
                    quote!(#save #n[#i] = #v;)
                } else {
                    let v = self.ex(value);
                    let save = saves.then(|| quote!(#tape.push_real(#n[#i]);));
                    quote!(#save #n[#i] = #v;)
                }
            }
            Stmt::Push { vec, value } => {
                let n = self.name(*vec).clone();
                let v = if self.lanes(*vec) {
                    self.lane_value(value)
                } else {
                    self.ex(value)
                };
                quote!(#n.push(#v);)
            }
            Stmt::Call {
                results,
                declare,
                call,
            } => {
                let mut pre = TokenStream::new();
                for a in &call.args {
                    if let Arg::Out(w) = a {
                        pre.extend(self.save(*w));
                    }
                }
                if !declare {
                    for &r in results {
                        pre.extend(self.save(r));
                    }
                }
                if call.kind == CallKind::Plain && call.written == Written::InPlace && !call.traced
                {
                    let call = plain_in_place(&self.f, call);
                    return quote!(#pre #call);
                }
                let callee = match call.kind {
                    CallKind::Tangent => {
                        // Tangent code calling tangent code (second order through calls).
                        let args = passed_args(&self.f, &call.args);
                        let p = Hidden::Tangent.path(&call.path);
                        quote!(#p::<L>(#ws, #(#args),*))
                    }
                    CallKind::Plain => plain_call(&self.f, call, results, &ws),
                };
                let names: Vec<&Ident> = results.iter().map(|&r| self.name(r)).collect();
                match (names.as_slice(), declare) {
                    ([], _) => quote!(#pre #callee;),
                    ([r], true) => quote!(#pre let mut #r = #callee;),
                    ([r], false) => quote!(#pre #r = #callee;),
                    (rs, true) => quote!(#pre let (#(mut #rs),*) = #callee;),
                    (rs, false) => quote!(#pre (#(#rs),*) = #callee;),
                }
            }
            Stmt::For { var, range, body } if self.replayable(range, body) => {
                // The reverse sweep walks the same range backwards: only its bounds,
                // evaluated once, go on the tape.
                let n = self.name(*var).clone();
                self.loops += 1;
                let (lo, hi) = bounds(self.loops);
                let (start, end) = (&range.start.tokens, &range.end.tokens);
                let r = range_tokens(&with_bounds(range, &lo, &hi));
                let inner = self.fwd_block(body, false);
                quote! {
                    let #lo = #start;
                    let #hi = #end;
                    for #n in #r { #inner }
                    #tape.push_int(#lo);
                    #tape.push_int(#hi);
                }
            }
            Stmt::For { var, range, body } => {
                let n = self.name(*var).clone();
                let cnt = self.loop_counter();
                let r = range_tokens(range);
                let inner = self.fwd_block(body, false);
                let save_var = self.save(*var);
                let brk = self.break_if_done(body);
                quote! {
                    let mut #cnt = 0usize;
                    for #n in #r { #inner #save_var #cnt += 1; #brk }
                    #tape.push_int(#cnt);
                }
            }
            Stmt::While { cond, body } => {
                let cnt = self.loop_counter();
                let c = &cond.tokens;
                let inner = self.fwd_block(body, false);
                let brk = self.break_if_done(body);
                quote! {
                    let mut #cnt = 0usize;
                    while #c { #inner #cnt += 1; #brk }
                    #tape.push_int(#cnt);
                }
            }
            Stmt::If { cond, then, els } => {
                let c = &cond.tokens;
                let taken = Ident::new("taken", Span::mixed_site());
                let then = self.fwd_block(then, false);
                let els = self.fwd_block(els, false);
                let branch = if_else(quote!(#taken), then, els);
                let push = if self.replays_cond(cond) {
                    quote!()
                } else {
                    quote!(#tape.push_bool(#taken);)
                };
                quote! {
                    let #taken: bool = #c;
                    #branch
                    #push
                }
            }
            Stmt::Block(body) => {
                let inner = self.fwd_block(body, false);
                scoped(body, inner)
            }
            Stmt::Return(_) => {
                quote!(::core::compile_error!("asd: returns are eliminated before the adjoint");)
            }
        }
    }

    fn loop_counter(&mut self) -> Ident {
        self.loops += 1;
        format_ident!("trips{}", self.loops, span = Span::mixed_site())
    }

    /// A loop the reverse sweep can walk backwards from its bounds alone: no early exit,
    /// and no `step_by` (whose reverse is not defined on every integer range).
    pub(super) fn replayable(&self, range: &Range, body: &[Stmt]) -> bool {
        let no_step = range.adapters.iter().all(|a| matches!(a, Adapter::Rev));
        no_step && self.break_if_done(body).is_empty()
    }

    fn break_if_done(&self, body: &[Stmt]) -> TokenStream {
        let mut returns = false;
        visit_stmts(body, &mut |s| {
            returns |= matches!(s, Stmt::Assign { var, .. } if *var == self.returns.done)
        });
        if returns {
            let done = self.name(self.returns.done);
            quote!(if #done { break; })
        } else {
            quote!()
        }
    }

    fn fwd_rhs(&mut self, var: VarId, rhs: &Rhs) -> TokenStream {
        let ws = ws();
        match rhs {
            Rhs::Vec(VecExpr::Move(u)) => {
                // The moved-from vector stays usable (emptied): blocks save their locals.
                let empty = if self.lanes(var) {
                    quote!(#ws.lane_zeros::<L>(0))
                } else {
                    quote!(#ws.zeros(0))
                };
                let u = self.name(*u);
                quote!(::core::mem::replace(&mut #u, #empty))
            }
            Rhs::Real(e) if self.lanes(var) => self.lane_value_loop(e),
            Rhs::Real(_) | Rhs::Vec(_) | Rhs::Opaque(_) if self.lanes(var) => {
                let mut pre = TokenStream::new();
                let v = Emitter::new(&self.f).rhs(var, rhs, &mut pre);
                value_after(pre, v)
            }
            Rhs::Real(e) => self.ex(e),
            Rhs::Opaque(o) => o.tokens.clone(),
            Rhs::Vec(v) => {
                let mut pre = TokenStream::new();
                let mut e = Emitter::new(&self.f);
                let v = e.vector(v, false, &mut pre);
                value_after(pre, v)
            }
        }
    }
}

/// The names of a replayed loop's saved bounds.
pub(super) fn bounds(k: usize) -> (Ident, Ident) {
    (
        format_ident!("lo{}", k, span = Span::mixed_site()),
        format_ident!("hi{}", k, span = Span::mixed_site()),
    )
}

/// The same range over bounds held in variables.
pub(super) fn with_bounds(range: &Range, lo: &Ident, hi: &Ident) -> Range {
    Range {
        start: Opaque::new(quote!(#lo), vec![]),
        end: Opaque::new(quote!(#hi), vec![]),
        ..range.clone()
    }
}

#[cfg(test)]
mod tests {
    use crate::tests::{early_return, flat, generated};
    use quote::quote;

    #[test]
    fn no_block_around_a_lone_value() {
        let a = generated(
            quote! {
                fn f(x: &[f64]) -> Vec<f64> {
                    let mut s = 0.0;
                    let mut v = vec![x[0].floor(); 2];
                    for i in 0..x.len() {
                        s += x[i] * x[i];
                    }
                    v[0] = s;
                    v
                }
            },
            "fn __asd_tangent_adjoint_f",
        );
        let a = flat(&a);
        assert!(a.contains("let mut s_d: [f64; L] = [0.0; L];"), "{a}");
        assert!(a.contains("let mut v = __ws.filled(u0, 2);"), "{a}");
        assert!(a.contains("ret = __ws.copy(&v);"), "{a}");
        // A value computed from statements keeps its block: `x[i] * x_d[i] * 2`, its
        // coefficient hoisted.
        assert!(
            a.contains("s_d = { let c0 = x[i] + x[i]; let r1 = &x_d[i];"),
            "{a}"
        );
    }

    #[test]
    fn a_block_without_locals_is_not_braced() {
        let a = generated(early_return(), "fn __asd_adjoint_f");
        let a = flat(&a);
        // A return is a block of its own in the IR.
        assert!(
            a.contains("if taken { let mut t0: f64 = s * x[i]; ret = t0; done = true; }"),
            "{a}"
        );
        let reverse = &a[a.find("let __primal").expect("the reverse sweep")..];
        assert!(
            reverse.contains("if __tape.pop_bool() { { let seed = ret_b;"),
            "{a}"
        );
        assert!(!reverse.contains("{ { { let seed = ret_b;"), "{a}");
        // A user's block with a local keeps its braces.
        assert!(a.contains("{ let mut t: f64 = s * 2.0;"), "{a}");
    }
}

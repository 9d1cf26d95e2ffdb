//! The adjoint of one real expression: `leaf_b += partial * seed` for each active leaf,
//! the partials from the table of rules, each computation bound once and, in the
//! adjoint of tangent code, before the lane loop unless it varies by lane.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use super::Adjoint;
use crate::analyse::expr_active;
use crate::emit::lane_ident;
use crate::ir::*;
use crate::rules::{self, Op};

/// The temporaries of one expression's adjoint, in order: `let t = e;` for each
/// `(t, e)`.
#[derive(Default)]
struct Bindings(Vec<(VarId, Expr)>);

impl Adjoint {
    /// `leaf_b += (d e / d leaf) * seed` for every active leaf of `e`, lane by lane; the
    /// partials come from the table of rules, evaluated once outside the lane loop.
    pub(super) fn backprop(&mut self, e: &Expr, seed: &Ident) -> TokenStream {
        self.backprop_of(e, None, seed)
    }

    /// [`backprop`](Self::backprop) of `e`, whose value `result` holds when the reverse
    /// sweep reaches it (a recomputed local): partials that read the result (`exp`,
    /// `tanh`, `sqrt`) read it there instead of computing it again, which the compiler
    /// cannot always undo (`tanh` is a call into the C math library).
    pub(super) fn backprop_of(
        &mut self,
        e: &Expr,
        result: Option<VarId>,
        seed: &Ident,
    ) -> TokenStream {
        // Tangent code: the partials differ from lane to lane, so they are computed
        // inside the loop over lanes.
        self.lane_mode = self.reads_lanes(e);
        let mut pre = Bindings::default();
        let mut terms = Vec::new();
        self.collect(e, result, Expr::lit(1.0), &mut pre, &mut terms);
        if terms.is_empty() {
            self.lane_mode = false;
            return quote!();
        }
        let l = lane_ident();
        let terms: Vec<_> = merge_leaves(terms)
            .into_iter()
            .map(|(leaf, coef)| {
                let singular = singular(&coef, &pre);
                (leaf, (self.bind(coef, &mut pre), singular))
            })
            .collect();
        let (before, inside) = self.bindings(&pre, terms.iter().map(|(_, (coef, _))| coef));
        // A coefficient that can be infinite adds nothing where the seed is 0: `0 * inf`
        // would be NaN where the value does not reach the output (`r = x.sqrt()` at 0,
        // `r` unused after a branch), and a zero lane of a compressed sweep would spread
        // it to other rows. First order guards each lane; the adjoint of tangent code,
        // whose coefficients vary by lane, skips a seed that is zero in every lane,
        // which costs a branch instead of a select per update (+40% on an HVP).
        let per_lane = self.direction.is_none();
        let any_singular = terms.iter().any(|(_, (_, singular))| *singular);
        // `to[l] += coef * seed[l]`, `to` the adjoint's lanes.
        let update = |this: &Self, to: &TokenStream, (coef, singular): (Expr, bool)| match coef {
            Expr::Lit(1.0) => quote!(#to[#l] += #seed[#l];),
            Expr::Lit(-1.0) => quote!(#to[#l] -= #seed[#l];),
            c if singular && per_lane => {
                let c = this.ex(&c);
                quote!(#to[#l] += if #seed[#l] == 0.0 { 0.0 } else { #c * #seed[#l] };)
            }
            c => {
                let c = this.ex(&c);
                quote!(#to[#l] += #c * #seed[#l];)
            }
        };
        let out = if inside.is_empty() {
            // One loop per adjoint, through a `&mut` of its lanes: the compiler then
            // tells the lanes of `y_b[i + 1]` and `y_b[i]` apart and vectorizes each.
            let to = Ident::new("to", Span::mixed_site());
            let loops = terms.into_iter().map(|(leaf, coef)| {
                let update = update(self, &quote!(#to), coef);
                quote!({ let #to = &mut #leaf; for #l in 0..L { #update } })
            });
            quote!(#before #(#loops)*)
        } else {
            // Partials that differ by lane are computed once per lane, for all updates.
            let updates: Vec<TokenStream> = terms
                .into_iter()
                .map(|(leaf, coef)| update(self, &leaf, coef))
                .collect();
            quote!(#before for #l in 0..L { #inside #(#updates)* })
        };
        let out = if any_singular && !per_lane {
            quote!(if #seed.iter().any(|s| *s != 0.0) { #out })
        } else {
            out
        };
        self.lane_mode = false;
        out
    }

    /// Binds a non-trivial scalar expression to a temporary, so it is computed once:
    /// the one already bound to it, if any.
    fn bind(&mut self, e: Expr, pre: &mut Bindings) -> Expr {
        match e {
            Expr::Var(_) | Expr::Lit(_) | Expr::Index(..) | Expr::Const(_) | Expr::Int(_) => e,
            Expr::Apply(..) => {
                if let Some((t, _)) = pre.0.iter().find(|(_, b)| b.same(&e)) {
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
            Expr::Var(_) | Expr::Index(..) | Expr::Lit(_) | Expr::Const(_) | Expr::Int(_) => e,
        }
    }

    fn collect(
        &mut self,
        e: &Expr,
        result: Option<VarId>,
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
                        let c = Expr::times(coef.clone(), p);
                        self.collect(a, None, c, pre, terms);
                    }
                }
            }
            Expr::Apply(op, args) if expr_active(e, &self.f.vars) => {
                let vals: Vec<Expr> = args.iter().map(|a| self.bind(a.clone(), pre)).collect();
                let probe = self.temp();
                let mut partials = rules::partials(*op, &vals, &Expr::Var(probe));
                if partials.iter().flatten().any(|p| p.reads(probe)) {
                    let r = match result {
                        Some(v) => Expr::Var(v),
                        None => self.bind(Expr::app(*op, vals.clone()), pre),
                    };
                    partials = rules::partials(*op, &vals, &r);
                }
                for (a, p) in args.iter().zip(partials) {
                    let Some(p) = p else { continue };
                    if expr_active(a, &self.f.vars) {
                        let c = self.bind(Expr::times(coef.clone(), p), pre);
                        self.collect(a, None, c, pre, terms);
                    }
                }
            }
            // Inactive: no adjoint flows through.
            Expr::Var(_)
            | Expr::Index(..)
            | Expr::Apply(..)
            | Expr::Lit(_)
            | Expr::Const(_)
            | Expr::Int(_) => {}
        }
    }
}

/// Whether `e`, whose temporaries are bound in `pre`, can be infinite.
fn singular(e: &Expr, pre: &Bindings) -> bool {
    let bound = |v| pre.0.iter().find(|(t, _)| *t == v).map(|(_, b)| b.clone());
    rules::can_be_infinite(e, &bound)
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

#[cfg(test)]
mod tests {
    use crate::tests::{flat, generated};
    use quote::quote;

    #[test]
    fn no_temporary_the_reverse_sweep_does_not_read() {
        let a = flat(&generated(
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
        ));
        // `x[i].sin()` is only the partial for the constant `c`: the forward sweep
        // computes it, the reverse sweep does not.
        assert_eq!(a.matches(".sin()").count(), 1, "{a}");
        assert!(a.contains(" = c * x[i].cos();"), "{a}");
    }

    #[test]
    fn lane_invariant_partials_are_bound_before_the_lane_loop() {
        let a = flat(&generated(
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
        ));
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
        let a = flat(&generated(
            quote! {
                fn f(x: &[f64]) -> f64 {
                    x[0].tanh() + 1.0 / x[1] + 1.0 / x[1] * x[2]
                }
            },
            "fn __asd_hvp_f",
        ));
        // The adjoint of `t0_d = (1 - u0 * u0) * x_d[0] + ...`: the product rule on
        // `u0 * u0` gives `-x_d[0][l] * u0` twice, and the partials of both quotients
        // read `1.0 / x[1]`.
        // The primal `t0` reaches no derivative, so it has no adjoint: `t0_d`'s is last.
        assert!(!a.contains("let seed = t0_b;"), "{a}");
        let from = a.find("let seed = t0_d_b;").expect("t0_d's adjoint");
        let to = from
            + a[from..]
                .find("{ let seed = u")
                .expect("its arguments' adjoints");
        let t0_d = &a[from..to];
        assert_eq!(t0_d.matches("= -x_d[0][l] * u0;").count(), 1, "{t0_d}");
        assert_eq!(t0_d.matches("= 1.0 / x[1];").count(), 1, "{t0_d}");
    }
}

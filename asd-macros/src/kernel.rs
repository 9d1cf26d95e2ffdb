//! Passes for the Jacobian kernel, IR to IR over tangent code: value and derivative
//! loops split apart so each vectorizes ([`split_loops`]), and the values no derivative
//! reads dropped ([`derivatives_only`]), since the kernel discards the function's value.

use crate::ir::*;

/// The tangent body with every eligible loop split in two: a loop of values, then a loop
/// of derivatives. A loop that mixes `z[i] = ...` and `z_d[i] = ...` does not vectorize
/// its value half; split, each half does (20% off a prepared Jacobian of iter_diff). A
/// loop is eligible when its body only computes reals and integers (no calls, branches,
/// inner loops or returns) and its derivatives read no real the loop writes, so they see
/// the same values in either order. Used for the tangent kernel only.
pub fn split_loops(f: &Function, body: &[Stmt]) -> Vec<Stmt> {
    let mut out = Vec::with_capacity(body.len());
    for s in body {
        match s.clone().map_bodies(&mut |body| split_loops(f, body)) {
            Stmt::For { var, range, body } => {
                match split_values_from_derivatives(f, &range, &body) {
                    Some((values, derivs)) => out.extend([values, derivs].map(|body| Stmt::For {
                        var,
                        range: range.clone(),
                        body,
                    })),
                    None => out.push(Stmt::For { var, range, body }),
                }
            }
            s => out.push(s),
        }
    }
    out
}

/// The tangent body without the value computations that no derivative, condition, loop
/// bound, length or call reads: what a Jacobian kernel runs, as it discards the value.
/// J1 is linear, so its whole value loop goes. Statements that change a vector's length
/// and every call stay; a vector whose values are not needed keeps its allocation.
pub fn derivatives_only(f: &Function, body: &[Stmt]) -> Vec<Stmt> {
    let mut needed = vec![false; f.vars.len()];
    loop {
        let before = needed.iter().filter(|&&n| n).count();
        mark_needed(f, body, &mut needed);
        if needed.iter().filter(|&&n| n).count() == before {
            break;
        }
    }
    let body = without_unneeded(f, body, &needed);
    // Declarations of dropped values that nothing names any more go, and so do the
    // loops and blocks they leave empty.
    let mut named = vec![false; f.vars.len()];
    visit_stmts(&body, &mut |s| {
        if !is_placeholder(s) {
            s.for_each_var(&mut |v| named[v] = true);
        }
        // The emitter returns a value with its derivative: `return (t, t_d)`.
        if let Stmt::Return(Some(v)) = s {
            if let Some(d) = f.vars[*v].deriv {
                named[d] = true;
            }
        }
    });
    tidy(&body, &named)
}

/// `let t = 0.0;`, which [`without_unneeded`] leaves of a dropped value.
fn is_placeholder(s: &Stmt) -> bool {
    matches!(s, Stmt::Let { init: Some(Rhs::Real(Expr::Lit(z))), .. } if *z == 0.0)
}

/// `body` without placeholders of variables nothing `named`, nor the loops, blocks and
/// branches that leaves empty.
fn tidy(body: &[Stmt], named: &[bool]) -> Vec<Stmt> {
    body.iter()
        .filter(|s| !matches!(s, Stmt::Let { var, .. } if is_placeholder(s) && !named[*var]))
        .map(|s| s.clone().map_bodies(&mut |b| tidy(b, named)))
        .filter(|s| !s.is_emptied())
        .collect()
}

/// A statement that only computes a value: `(its target, what it reads)`.
fn value_only(f: &Function, s: &Stmt) -> Option<(VarId, Vec<VarId>)> {
    let (target, e, index) = s.real_assignment()?;
    (!f.vars[target].lanes).then(|| (target, reads_of(e, index)))
}

/// Marks what the statements that stay read, and what needed values are made from.
fn mark_needed(f: &Function, body: &[Stmt], needed: &mut [bool]) {
    let opaque = |o: &Opaque, needed: &mut [bool]| o.reads.iter().for_each(|&r| needed[r] = true);
    let expr = |e: &Expr, needed: &mut [bool]| e.for_each_read(&mut |r| needed[r] = true);
    for s in body {
        if let Some((target, reads)) = value_only(f, s) {
            if needed[target] {
                reads.into_iter().for_each(|r| needed[r] = true);
            }
            continue;
        }
        match s {
            Stmt::Let {
                var,
                init: Some(rhs),
            }
            | Stmt::Assign { var, rhs, .. } => match rhs {
                // A derivative, or an integer: stays.
                Rhs::Real(e) => expr(e, needed),
                Rhs::Opaque(o) => opaque(o, needed),
                // Vectors stay for their lengths; their elements are needed only if the
                // vector is.
                Rhs::Vec(v) => {
                    let lanes_or_needed = f.vars[*var].lanes || needed[*var];
                    match v {
                        VecExpr::Filled(e, n) => {
                            opaque(n, needed);
                            if lanes_or_needed {
                                expr(e, needed);
                            }
                        }
                        VecExpr::Overwritten(n) => opaque(n, needed),
                        VecExpr::Empty(n) => n.iter().for_each(|n| opaque(n, needed)),
                        VecExpr::List(items) if lanes_or_needed => {
                            items.iter().for_each(|e| expr(e, needed))
                        }
                        VecExpr::List(_) => {}
                        VecExpr::Copy(u) | VecExpr::Move(u) => {
                            if lanes_or_needed {
                                needed[*u] = true;
                            }
                        }
                    }
                }
            },
            Stmt::Store { index, value, .. } => {
                opaque(index, needed);
                expr(value, needed);
            }
            Stmt::Push { vec, value } => {
                if f.vars[*vec].lanes || needed[*vec] {
                    expr(value, needed);
                }
            }
            Stmt::Call { call, .. } => {
                for a in &call.args {
                    match a {
                        Arg::Vec(v, range) => {
                            needed[*v] = true;
                            range.iter().for_each(|r| opaque(r, needed));
                        }
                        Arg::Out(v) => needed[*v] = true,
                        Arg::Other(o) => opaque(o, needed),
                    }
                }
            }
            Stmt::For { range, .. } => range.bounds().for_each(|b| opaque(b, needed)),
            Stmt::While { cond, .. } | Stmt::If { cond, .. } => opaque(cond, needed),
            // The returned value is discarded.
            Stmt::Let { init: None, .. } | Stmt::Block(_) | Stmt::Return(_) => {}
        }
        s.bodies().for_each(|body| mark_needed(f, body, needed));
    }
}

/// The statements computing unneeded values dropped; a dropped `let` stays as a
/// declaration (`let t = 0.0;`), since a later statement may still name its variable.
fn without_unneeded(f: &Function, body: &[Stmt], needed: &[bool]) -> Vec<Stmt> {
    body.iter()
        .filter_map(|s| match (s, value_only(f, s)) {
            (Stmt::Let { var, .. }, Some(_)) | (Stmt::Let { var, init: None }, None)
                if !needed[*var] && f.vars[*var].ty == Ty::Real && !f.vars[*var].lanes =>
            {
                // Its assignments may all be dropped: declared with a value.
                Some(Stmt::Let {
                    var: *var,
                    init: Some(Rhs::Real(Expr::lit(0.0))),
                })
            }
            (_, Some((target, _))) if !needed[target] => None,
            _ => Some(s.clone()),
        })
        .map(|s| s.map_bodies(&mut |body| without_unneeded(f, body, needed)))
        .collect()
}

/// The value and derivative halves of a loop body, when splitting it is exact. Integer
/// `let`s go in both halves.
fn split_values_from_derivatives(
    f: &Function,
    range: &Range,
    body: &[Stmt],
) -> Option<(Vec<Stmt>, Vec<Stmt>)> {
    let (mut values, mut derivs) = (Vec::new(), Vec::new());
    let mut written = vec![false; f.vars.len()];
    let mut derivs_read = Vec::new();
    let mut ints_in_both = 0;
    for s in body {
        let (target, reads) = match s {
            Stmt::Let {
                init: Some(Rhs::Opaque(o)),
                ..
            } => {
                values.push(s.clone());
                derivs.push(s.clone());
                derivs_read.extend(&o.reads);
                ints_in_both += 1;
                continue;
            }
            s => {
                let (target, e, index) = s.real_assignment()?;
                (target, reads_of(e, index))
            }
        };
        if f.vars[target].lanes {
            derivs.push(s.clone());
            derivs_read.extend(reads);
        } else {
            values.push(s.clone());
            written[target] = true;
        }
    }
    let reads_written = |v: &VarId| written[*v];
    let exact = !derivs_read.iter().any(reads_written)
        && !range.bounds().any(|o| o.reads.iter().any(reads_written));
    let both_halves = written.contains(&true) && derivs.len() > ints_in_both;
    (exact && both_halves).then_some((values, derivs))
}

/// The variables an expression reads, with those of the index it is stored at.
fn reads_of(e: &Expr, index: Option<&Opaque>) -> Vec<VarId> {
    let mut reads = index.map(|i| i.reads.clone()).unwrap_or_default();
    e.for_each_read(&mut |v| reads.push(v));
    reads
}

#[cfg(test)]
mod tests {
    use crate::tests::{generated, iter_diff};
    use quote::quote;

    #[test]
    fn a_vector_the_next_loop_fills_is_not_zeroed_and_the_loop_is_split() {
        let t = generated(iter_diff(), "fn __asd_tangent_f");
        assert!(t.contains("let mut z = __ws.scratch(y.len() - 1);"), "{t}");
        assert!(
            t.contains("let mut z_d = __ws.lane_scratch::<L>(y.len() - 1);"),
            "{t}"
        );
        let values = t.find("z[i] = y[i + 1] - y[i];").expect(&t);
        let derivs = t.find("z_d[i] = ").expect(&t);
        assert!(
            values < derivs && t.matches("for i in 0..y.len() - 1").count() == 2,
            "{t}"
        );
        // Each loop works on slices bound before it.
        assert!(t.contains("let z_d: &mut [[f64; L]] = &mut *z_d;"), "{t}");
        assert!(t.contains("let y: &[f64] = &*y;"), "{t}");
    }

    #[test]
    fn a_reassigned_vector_the_next_loop_fills_is_not_zeroed() {
        let t = generated(
            quote! {
                fn f(x: &[f64]) -> Vec<f64> {
                    let n = x.len();
                    let mut z = vec![0.0; n];
                    z[0] = x[1];
                    z = vec![0.0; n];
                    for i in 0..n {
                        z[i] = x[i] * 2.0;
                    }
                    z
                }
            },
            "fn __asd_tangent_f",
        );
        assert!(t.contains("let mut z = __ws.zeros(n);"), "{t}");
        assert!(t.contains("z = __ws.scratch(n);"), "{t}");
        assert!(t.contains("z_d = __ws.lane_scratch::<L>(n);"), "{t}");
    }

    #[test]
    fn the_jacobian_kernel_drops_values_nothing_reads() {
        let t = generated(iter_diff(), "fn __asd_derivs_f");
        assert!(!t.contains("z[i] ="), "{t}");
        assert!(t.contains("z_d[i] = "), "{t}");
        // A value a derivative reads stays.
        let t = generated(
            quote! {
                fn f(x: &[f64]) -> Vec<f64> {
                    let n = x.len();
                    let mut s = 0.0;
                    let mut y = vec![0.0; n];
                    let mut z = vec![0.0; n];
                    for i in 0..n {
                        s += x[i];
                        z[i] = x[i] * 2.0;
                        y[i] = s.sin();
                    }
                    y
                }
            },
            "fn __asd_derivs_f",
        );
        assert!(t.contains("s = u0;"), "{t}");
        assert!(!t.contains("z[i] ="), "{t}");
        assert!(!t.contains("y[i] ="), "{t}");
    }

    /// The Jacobian kernel's copy of its input shares the seed until written; the
    /// tangent, whose callers may pass a local vector's lanes, copies.
    #[test]
    fn the_jacobian_kernel_shares_its_input_lanes() {
        let t = generated(iter_diff(), "fn __asd_derivs_f");
        assert!(t.contains("x_d: &'w [[f64; L]],"), "{t}");
        assert!(t.contains("let mut y_d = __ws.lane_view::<L>(x_d);"), "{t}");
        let t = generated(iter_diff(), "fn __asd_tangent_f");
        assert!(t.contains("x_d: &[[f64; L]],"), "{t}");
        assert!(
            t.contains("let mut y_d = __ws.lane_copy::<L>(&x_d);"),
            "{t}"
        );
    }

    #[test]
    fn vectors_not_wholly_written_first_keep_their_zeros() {
        let cases = [
            // the loop misses z[0]
            quote!(for i in 1..n {
                z[i] = x[i];
            }),
            // a longer vector than the loop
            quote!(for i in 0..n - 1 {
                z[i] = x[i];
            }),
            // an element read before the iteration writes it
            quote!(for i in 0..n {
                let t = z[i];
                z[i] = x[i] + t;
            }),
            // the only store under a branch
            quote!(for i in 0..n {
                if i > 0 {
                    z[i] = x[i];
                }
            }),
            // the value reads z
            quote!(for i in 0..n {
                z[i] = z[(i + 1) % n] + x[i];
            }),
            // another index
            quote!(for i in 0..n {
                z[n - 1 - i] = x[i];
            }),
            // the loop may return early
            quote!(for i in 0..n {
                z[i] = x[i];
                if i == 2 {
                    return z;
                }
            }),
            // a statement between
            quote!(z[0] = 1.0; for i in 0..n { z[i] = x[i]; }),
        ];
        for body in cases {
            let t = generated(
                quote! {
                    fn f(x: &[f64]) -> Vec<f64> {
                        let n = x.len();
                        let mut z = vec![0.0; n];
                        #body
                        z
                    }
                },
                "fn __asd_tangent_f",
            );
            assert!(!t.contains("scratch"), "{t}");
            assert!(t.contains("let mut z = __ws.zeros(n);"), "{t}");
        }
    }

    #[test]
    fn loops_whose_derivatives_read_values_they_write_are_not_split() {
        let cases = [
            // the derivative of exp reads the stored value
            quote!(for i in 0..n {
                z[i] = x[i].exp();
            }),
            // an accumulated scalar
            quote!(for i in 0..n {
                s = s * x[i];
                z[i] = s;
            }),
            // a branch
            quote!(for i in 0..n {
                if i > 1 {
                    z[i] = x[i] - x[i - 1];
                }
            }),
        ];
        for body in cases {
            let t = generated(
                quote! {
                    fn f(x: &[f64]) -> Vec<f64> {
                        let n = x.len();
                        let mut s = 1.0;
                        let mut z = vec![0.0; n];
                        #body
                        z
                    }
                },
                "fn __asd_tangent_f",
            );
            assert_eq!(t.matches("for i in 0..n").count(), 1, "{t}");
        }
    }
}

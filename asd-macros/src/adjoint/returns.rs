//! Return elimination, IR to IR, before the sweeps: `return v` becomes
//! `ret = v; done = true;` and what may follow it runs under `if !done`, so the
//! reverse sweep replays an early return as any other branch.

use quote::quote;

use crate::ir::*;

/// The variables that stand for a return: the flag set once the function has returned,
/// the returned value and, for tangent code, the returned tangent.
pub(super) struct Returns {
    pub(super) done: VarId,
    /// `None` for a function that writes an output parameter, or whose value is not
    /// returned (Hessian-vector products return the tangent only).
    pub(super) ret: Option<VarId>,
    /// The returned tangent, for the adjoint of tangent code.
    pub(super) ret_d: Option<VarId>,
}

impl Returns {
    /// `done` and, for a function with a returned value, `ret`, declared in `f`.
    pub(super) fn new(f: &mut Function) -> Returns {
        let done = f.new_var("done", Ty::Bool, false);
        let ret = match f.output {
            Output::Scalar => Some(f.new_var("ret", Ty::Real, false)),
            Output::Vector => Some(f.new_var("ret", Ty::RealVec, false)),
            Output::Param(_) => None,
        };
        Returns {
            done,
            ret,
            ret_d: None,
        }
    }

    /// Whether `v` is one of the variables a return sets. A return runs at most once
    /// (what follows it is skipped, loops break), so the value it overwrites is always
    /// the initial one, and no partial reads them: the reverse sweep needs neither
    /// their old values nor the adjoint of those.
    pub(super) fn sets(&self, v: VarId) -> bool {
        v == self.done || self.ret == Some(v) || self.ret_d == Some(v)
    }

    /// `body` without `return`: each becomes `ret = v; done = true;`, and what follows
    /// a statement that may have returned runs under `if !done`.
    pub(super) fn eliminate(&self, f: &Function, body: &[Stmt]) -> Vec<Stmt> {
        let mut out = Vec::new();
        for (k, s) in body.iter().enumerate() {
            out.push(self.eliminate_in(f, s));
            if contains_return(s) && k + 1 < body.len() {
                let done = f.vars[self.done].name.clone();
                let rest = self.eliminate(f, &body[k + 1..]);
                let cond = Opaque::new(quote!(!#done), vec![self.done]);
                out.push(Stmt::If {
                    cond,
                    then: rest,
                    els: Vec::new(),
                });
                break;
            }
        }
        out
    }

    fn eliminate_in(&self, f: &Function, s: &Stmt) -> Stmt {
        match s {
            Stmt::Return(v) => {
                let mut stmts = Vec::new();
                if let (Some(v), Some(r)) = (v, self.ret) {
                    let rhs = match f.vars[r].ty {
                        Ty::Real => Rhs::Real(Expr::Var(*v)),
                        _ => Rhs::Vec(VecExpr::Copy(*v)),
                    };
                    stmts.push(Stmt::Assign {
                        var: r,
                        rhs,
                        span: proc_macro2::Span::call_site(),
                    });
                }
                if let (Some(v), Some(rd)) = (v, self.ret_d) {
                    let n = f.vars[*v].name.clone();
                    let rhs = match (f.vars[rd].ty, f.vars[*v].deriv) {
                        (Ty::Real, Some(d)) => Rhs::Real(Expr::Var(d)),
                        (Ty::Real, None) => Rhs::Real(Expr::lit(0.0)),
                        (_, Some(d)) => Rhs::Vec(VecExpr::Copy(d)),
                        (_, None) => Rhs::Vec(VecExpr::Filled(
                            Expr::lit(0.0),
                            Opaque::new(quote!(#n.len()), vec![]),
                        )),
                    };
                    stmts.push(Stmt::Assign {
                        var: rd,
                        rhs,
                        span: proc_macro2::Span::call_site(),
                    });
                }
                let t = Opaque::new(quote!(true), vec![]);
                stmts.push(Stmt::Assign {
                    var: self.done,
                    rhs: Rhs::Opaque(t),
                    span: proc_macro2::Span::call_site(),
                });
                Stmt::Block(stmts)
            }
            Stmt::Let { .. }
            | Stmt::Assign { .. }
            | Stmt::Store { .. }
            | Stmt::Push { .. }
            | Stmt::Call { .. }
            | Stmt::For { .. }
            | Stmt::While { .. }
            | Stmt::If { .. }
            | Stmt::Block(_) => s.clone().map_bodies(&mut |body| self.eliminate(f, body)),
        }
    }

    /// Marks `ret` (and `ret_d`) active when some value a return of the eliminated
    /// `body` assigns to it is.
    pub(super) fn mark_active(&self, f: &mut Function, body: &[Stmt]) {
        for r in [self.ret, self.ret_d].into_iter().flatten() {
            let mut active = false;
            visit_stmts(body, &mut |s| {
                if let Stmt::Assign {
                    var,
                    rhs: Rhs::Real(Expr::Var(v)) | Rhs::Vec(VecExpr::Copy(v)),
                    ..
                } = s
                {
                    active |= *var == r && f.vars[*v].active;
                }
            });
            f.vars[r].active = active;
        }
    }
}

fn contains_return(s: &Stmt) -> bool {
    let mut found = false;
    visit_stmts(std::slice::from_ref(s), &mut |s| {
        found |= matches!(s, Stmt::Return(_))
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{early_return, flat, lowered, rust};
    use quote::quote;

    /// The function of `item` with its returns eliminated, as Rust.
    fn eliminated(item: proc_macro2::TokenStream) -> (Function, Vec<Stmt>, Returns) {
        let mut f = lowered(item);
        let r = Returns::new(&mut f);
        let body = r.eliminate(&f, &f.body);
        (f, body, r)
    }

    fn no_return_left(body: &[Stmt]) -> bool {
        let mut found = false;
        visit_stmts(body, &mut |s| found |= matches!(s, Stmt::Return(_)));
        !found
    }

    #[test]
    fn a_return_in_a_loop_sets_ret_and_done_and_the_rest_runs_under_not_done() {
        let (f, body, _) = eliminated(quote! {
            fn f(x: &[f64]) -> f64 {
                let mut s = 0.0;
                for i in 0..x.len() {
                    if x[i] > 1.0 {
                        return s;
                    }
                    s += x[i];
                }
                s * 2.0
            }
        });
        assert!(no_return_left(&body));
        let r = rust(&f, &body);
        let expected = "let mut s: f64 = 0.0; \
            for i in 0..x.len() { \
                if x[i] > 1.0 { { ret = s; done = true; } } \
                if !done { s = s + x[i]; } \
            } \
            if !done { let mut t0: f64 = s * 2.0; { ret = t0; done = true; } }";
        let expected = flat(expected);
        assert!(r.contains(&expected), "{r}");
    }

    #[test]
    fn a_return_only_at_the_end_wraps_nothing() {
        let (f, body, _) = eliminated(quote! {
            fn f(x: &[f64]) -> Vec<f64> {
                let mut y = x.to_vec();
                y[0] = x[1] * x[1];
                y
            }
        });
        assert!(no_return_left(&body));
        let r = rust(&f, &body);
        assert!(!r.contains("if !done"), "{r}");
        assert!(
            r.ends_with("y[0] = x[1] * x[1]; { ret = __ws.copy(&y); done = true; }"),
            "{r}"
        );
    }

    #[test]
    fn tangent_code_returns_its_tangent_too() {
        let t = crate::tangent::tangent(&lowered(quote! {
            fn f(x: &[f64]) -> f64 {
                if x[0] > 0.0 {
                    return 3.0;
                }
                x[0] * x[1]
            }
        }));
        let mut f = t.clone();
        let mut r = Returns::new(&mut f);
        // As `tangent_adjoint` declares it.
        r.ret_d = Some(f.new_var("ret_d", Ty::Real, true));
        let body = r.eliminate(&f, &t.body);
        let s = rust(&f, &body);
        // A constant has no tangent: zero is returned for it.
        assert!(
            s.contains("{ ret = t0; ret_d = [0.0; L]; done = true; }"),
            "{s}"
        );
        assert!(
            s.contains("{ ret = t1; ret_d = t1_d; done = true; }"),
            "{s}"
        );
        assert!(
            s.contains("if !done { let mut t1: f64 = x[0] * x[1];"),
            "{s}"
        );
    }

    #[test]
    fn ret_is_active_when_some_returned_value_is() {
        let active = |item| {
            let (mut f, body, r) = eliminated(item);
            r.mark_active(&mut f, &body);
            f.vars[r.ret.expect("a returned value")].active
        };
        assert!(active(quote! {
            fn f(x: &[f64]) -> f64 {
                if x[0] > 0.0 {
                    return 1.0;
                }
                x[0] * 2.0
            }
        }));
        assert!(!active(quote! {
            fn f(x: &[f64], c: f64) -> f64 {
                if x[0] > 0.0 {
                    return 1.0;
                }
                c * 2.0
            }
        }));
    }

    #[test]
    fn what_a_return_sets_is_not_taped() {
        let early = early_return();
        let vector = quote! {
            fn f(x: &[f64]) -> Vec<f64> {
                let mut y = x.to_vec();
                y[0] = x[1] * x[1];
                y
            }
        };
        // A return runs once and no partial reads what it sets: `done`, `ret` and
        // `ret_d` need no old value back, and `ret_b` no zeroing after.
        for (item, which) in [
            (early.clone(), "fn __asd_adjoint_f"),
            (early, "fn __asd_hvp_f"),
            (vector.clone(), "fn __asd_adjoint_f"),
            (vector, "fn __asd_tangent_adjoint_f"),
        ] {
            let a = crate::tests::generated(item, which);
            assert!(a.contains("done = true;"), "{a}");
            for taped in [
                "push_bool(done)",
                "push_vec(&ret)",
                "push_lanes(&ret_d)",
                "push_vec(ret_d.as_flattened())",
            ] {
                assert!(!a.contains(taped), "{taped} in {a}");
            }
            for popped in [
                "done = __tape",
                "mut ret)",
                "mut ret_d)",
                "ret_b.reset(",
                "ret_b = [0.0; L]",
                "ret_d_b = [0.0; L]",
            ] {
                assert!(!a.contains(popped), "{popped} in {a}");
            }
        }
    }
}

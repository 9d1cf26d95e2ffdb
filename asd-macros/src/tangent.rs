//! Pass: tangent (forward mode), IR to IR. Every active real `v` gets a derivative
//! `v_d` holding `L` directions (`lanes`); every statement that writes an active value
//! is followed by the statement that writes its derivative, from the table of rules.
//!
//! ```text
//! z[i] = y[i + 1] * y[i].sin();     t0 = y[i].sin();
//!                                   z[i] = y[i + 1] * t0;
//!                                   z_d[i] = t0 * y_d[i + 1] + y[i + 1] * (y[i].cos() * y_d[i])
//! ```
//! Interior nodes with active arguments get temporaries, so a partial derivative never
//! recomputes a subtree. A statement that reads its own target (`s = s * x[i]`) computes
//! the new value into a temporary first, so the derivative sees the old one.

use crate::ir::*;
use crate::rules::{self, Op};

pub fn tangent(f: &Function) -> Function {
    let mut t = f.clone();
    for v in 0..f.vars.len() {
        let var = &f.vars[v];
        if var.active && var.ty.is_real() {
            let d = t.new_var(&format!("{}_d", var.name), var.ty, true);
            t.vars[d].active = true;
            t.vars[v].deriv = Some(d);
        }
    }
    let mut pass = Tangent { f: t, temps: 0 };
    let body = pass.block(&f.body);
    pass.f.body = body;
    pass.f
}

struct Tangent {
    f: Function,
    temps: usize,
}

impl Tangent {
    fn d(&self, v: VarId) -> Option<VarId> {
        self.f.vars[v].deriv
    }

    /// A temporary for an active subexpression (so active itself: the adjoint of this
    /// code, for Hessian-vector products, differentiates through it).
    fn temp(&mut self) -> VarId {
        let name = format!("u{}", self.temps);
        self.temps += 1;
        let t = self.f.new_var(&name, Ty::Real, false);
        self.f.vars[t].active = true;
        t
    }

    fn block(&mut self, body: &[Stmt]) -> Vec<Stmt> {
        let mut out = Vec::new();
        for s in body {
            self.stmt(s, &mut out);
        }
        out
    }

    fn stmt(&mut self, s: &Stmt, out: &mut Vec<Stmt>) {
        match s {
            Stmt::Let { var, init } => self.write(*var, init.as_ref(), true, out),
            Stmt::Assign { var, rhs, .. } => self.write(*var, Some(rhs), false, out),
            Stmt::Store { vec, index, value } => {
                let Some(vd) = self.d(*vec) else {
                    out.push(s.clone());
                    return;
                };
                let target = Expr::Index(*vec, index.clone());
                let reads_target = value.reads(*vec);
                let (value, dvalue) = self.root(value, &target, reads_target, out);
                let store = Stmt::Store {
                    vec: *vec,
                    index: index.clone(),
                    value,
                };
                let dstore = Stmt::Store {
                    vec: vd,
                    index: index.clone(),
                    value: dvalue.unwrap_or(Expr::lit(0.0)),
                };
                // A derivative that reads the target must see its old value.
                if reads_target {
                    out.extend([dstore, store]);
                } else {
                    out.extend([store, dstore]);
                }
            }
            Stmt::Push { vec, value } => {
                let Some(vd) = self.d(*vec) else {
                    out.push(s.clone());
                    return;
                };
                let (p, dp) = self.expr(value, out);
                // The derivative first: it may read the vector's length or elements
                // (`v.push(x[i] * v[i % v.len()])`), which the value's push changes.
                out.push(Stmt::Push {
                    vec: vd,
                    value: dp.unwrap_or(Expr::lit(0.0)),
                });
                out.push(Stmt::Push {
                    vec: *vec,
                    value: p,
                });
            }
            Stmt::Call {
                results,
                declare,
                call,
            } => {
                let active = call
                    .args
                    .iter()
                    .any(|a| matches!(a, Arg::Vec(v, _) if self.f.vars[*v].active));
                if !active {
                    out.push(s.clone());
                    // A result the function makes active later starts at derivative zero.
                    for &r in results {
                        if let Some(rd) = self.d(r) {
                            let zero = match self.f.vars[r].ty {
                                Ty::RealVec => Rhs::Vec(zeros_like(&self.f, r)),
                                _ => Rhs::Real(Expr::lit(0.0)),
                            };
                            out.push(match declare {
                                true => Stmt::Let {
                                    var: rd,
                                    init: Some(zero),
                                },
                                false => Stmt::Assign {
                                    var: rd,
                                    rhs: zero,
                                    span: proc_macro2::Span::call_site(),
                                },
                            });
                        }
                    }
                    return;
                }
                let mut args = Vec::new();
                for a in &call.args {
                    args.push(a.clone());
                    match a {
                        Arg::Vec(v, range) => {
                            if let Some(d) = self.d(*v) {
                                args.push(Arg::Vec(d, range.clone()));
                            }
                        }
                        Arg::Out(v) => args.push(Arg::Out(
                            self.d(*v).expect("outputs of an active call are active"),
                        )),
                        Arg::Other(_) => {}
                    }
                }
                let mut res = results.clone();
                for &r in results {
                    res.push(self.d(r).expect("results of an active call are active"));
                }
                let call = Call {
                    path: call.path.clone(),
                    args,
                    kind: CallKind::Tangent,
                    written: call.written,
                    traced: call.traced,
                    span: call.span,
                };
                out.push(Stmt::Call {
                    results: res,
                    declare: *declare,
                    call,
                });
            }
            Stmt::For { var, range, body } => {
                let body = self.block(body);
                out.push(Stmt::For {
                    var: *var,
                    range: range.clone(),
                    body,
                });
            }
            Stmt::While { cond, body } => {
                let body = self.block(body);
                out.push(Stmt::While {
                    cond: cond.clone(),
                    body,
                });
            }
            Stmt::If { cond, then, els } => {
                let then = self.block(then);
                let els = self.block(els);
                out.push(Stmt::If {
                    cond: cond.clone(),
                    then,
                    els,
                });
            }
            Stmt::Block(body) => {
                let body = self.block(body);
                out.push(Stmt::Block(body));
            }
            Stmt::Return(v) => out.push(Stmt::Return(*v)),
        }
    }

    /// `let var = rhs` / `var = rhs`, and the same for its derivative.
    fn write(&mut self, var: VarId, rhs: Option<&Rhs>, declare: bool, out: &mut Vec<Stmt>) {
        let wrap = |var, rhs| {
            if declare {
                Stmt::Let { var, init: rhs }
            } else {
                Stmt::Assign {
                    var,
                    rhs: rhs.expect("assignments have a value"),
                    span: proc_macro2::Span::call_site(),
                }
            }
        };
        let Some(vd) = self.d(var) else {
            out.push(wrap(var, rhs.cloned()));
            return;
        };
        match rhs {
            None => {
                out.push(wrap(var, None));
                out.push(wrap(vd, None));
            }
            Some(Rhs::Real(e)) => {
                let reads_target = e.reads(var);
                let (p, dp) = self.root(e, &Expr::Var(var), reads_target, out);
                let value = wrap(var, Some(Rhs::Real(p)));
                let deriv = wrap(vd, Some(Rhs::Real(dp.unwrap_or(Expr::lit(0.0)))));
                // A derivative that reads the target must see its old value.
                if reads_target {
                    out.extend([deriv, value]);
                } else {
                    out.extend([value, deriv]);
                }
            }
            Some(Rhs::Vec(v)) => {
                let (p, dp) = self.vector(var, v, out);
                out.push(wrap(var, Some(Rhs::Vec(p))));
                out.push(wrap(vd, Some(Rhs::Vec(dp))));
            }
            Some(Rhs::Opaque(_)) => unreachable!("active variables are reals"),
        }
    }

    fn vector(&mut self, var: VarId, v: &VecExpr, out: &mut Vec<Stmt>) -> (VecExpr, VecExpr) {
        match v {
            VecExpr::Filled(e, n) => {
                let (p, dp) = self.expr(e, out);
                (
                    VecExpr::Filled(p, n.clone()),
                    VecExpr::Filled(dp.unwrap_or(Expr::lit(0.0)), n.clone()),
                )
            }
            // The loop that writes every element writes its derivative too.
            VecExpr::Overwritten(_) => (v.clone(), v.clone()),
            VecExpr::List(items) => {
                let (ps, dps): (Vec<_>, Vec<_>) = items
                    .iter()
                    .map(|e| {
                        let (p, dp) = self.expr(e, out);
                        (p, dp.unwrap_or(Expr::lit(0.0)))
                    })
                    .unzip();
                (VecExpr::List(ps), VecExpr::List(dps))
            }
            VecExpr::Empty(c) => (v.clone(), VecExpr::Empty(c.clone())),
            VecExpr::Copy(u) => match self.d(*u) {
                Some(ud) => (v.clone(), VecExpr::Copy(ud)),
                None => (v.clone(), zeros_like(&self.f, *u)),
            },
            // The derivative is built after the value is moved, so measure the target.
            VecExpr::Move(u) => match self.d(*u) {
                Some(ud) => (v.clone(), VecExpr::Move(ud)),
                None => (v.clone(), zeros_like(&self.f, var)),
            },
        }
    }

    /// The root of an assigned expression: its value and derivative, with `target` (what
    /// the value is assigned to) standing for the result in the partials. When the
    /// expression reads its own target, the value goes through a temporary.
    fn root(
        &mut self,
        e: &Expr,
        target: &Expr,
        reads_target: bool,
        out: &mut Vec<Stmt>,
    ) -> (Expr, Option<Expr>) {
        let Expr::Apply(op, args) = e else {
            return self.expr(e, out);
        };
        let op = *op;
        let (ps, ds): (Vec<_>, Vec<_>) = args.iter().map(|a| self.expr(a, out)).unzip();
        let value = Expr::app(op, ps.clone());
        if ds.iter().all(Option::is_none) {
            return (value, None);
        }
        if reads_target {
            let t = self.temp();
            out.push(Stmt::Let {
                var: t,
                init: Some(Rhs::Real(value)),
            });
            let dt = combine(op, &ps, &ds, &Expr::Var(t));
            return (Expr::Var(t), dt);
        }
        let dt = combine(op, &ps, &ds, target);
        (value, dt)
    }

    /// Value and derivative of a subexpression; active interior nodes become temporaries.
    fn expr(&mut self, e: &Expr, out: &mut Vec<Stmt>) -> (Expr, Option<Expr>) {
        match e {
            Expr::Var(v) => (e.clone(), self.d(*v).map(Expr::Var)),
            Expr::Index(v, i) => (e.clone(), self.d(*v).map(|d| Expr::Index(d, i.clone()))),
            Expr::Lit(_) | Expr::Const(_) | Expr::Int(_) => (e.clone(), None),
            Expr::Apply(op, args) => {
                let (ps, ds): (Vec<_>, Vec<_>) = args.iter().map(|a| self.expr(a, out)).unzip();
                let value = Expr::app(*op, ps.clone());
                if ds.iter().all(Option::is_none) {
                    return (value, None);
                }
                let t = self.temp();
                out.push(Stmt::Let {
                    var: t,
                    init: Some(Rhs::Real(value)),
                });
                let dt = combine(*op, &ps, &ds, &Expr::Var(t));
                (Expr::Var(t), dt)
            }
        }
    }
}

/// `vec![0.0; of.len()]`: the derivative of a vector that depends on no input.
fn zeros_like(f: &Function, of: VarId) -> VecExpr {
    let n = &f.vars[of].name;
    VecExpr::Filled(Expr::lit(0.0), Opaque::new(quote::quote!(#n.len()), vec![]))
}

/// `sum_k partial_k * d_k` over the arguments that carry a derivative.
fn combine(op: Op, args: &[Expr], ds: &[Option<Expr>], r: &Expr) -> Option<Expr> {
    let partials = rules::partials(op, args, r);
    let mut sum: Option<Expr> = None;
    for (p, d) in partials.into_iter().zip(ds) {
        let (Some(p), Some(d)) = (p, d) else { continue };
        // A partial that can be infinite adds nothing in a direction that does not move
        // its argument, rather than NaN (ForwardDiff.jl's NaN-safe mode).
        let term = if rules::finite_at_infinite_slope(op) {
            Expr::app(Op::ZeroSafeMul, vec![p, d.clone()])
        } else {
            Expr::times(p, d.clone())
        };
        sum = Some(match sum {
            None => term,
            Some(s) => Expr::plus(s, term),
        });
    }
    sum
}

#[cfg(test)]
mod tests {
    use crate::tests::{banded, generated};

    /// A lane loop that indexed its vectors lane by lane was a bounds check per lane and
    /// too large to inline: `from_fn` called it once per lane (banded's prepared
    /// Jacobian was 3x slower).
    #[test]
    fn lane_values_bind_each_row_they_read_once_before_the_lanes() {
        let t = generated(banded(), "fn __asd_derivs_f");
        for row in ["x_d[i - 1]", "x_d[i]", "x_d[i + 1]"] {
            assert_eq!(t.matches(&format!("= &{row};")).count(), 1, "{row} in {t}");
        }
        assert!(!t.contains("][l]"), "{t}");
    }
}

//! Stage 3: activity. A real is active when it depends on the active input; only active
//! values get derivatives and index sets. Activity is per variable and flow-insensitive
//! (a variable is active if any of its assignments is), found by a fixpoint.
//!
//! It also rejects what no pass could do exactly: an integer computed from an active
//! real, a `while` loop whose condition reads one, an integer assigned under a branch
//! on one — the global sparsity pattern would depend on the input's values.

use crate::errors::Errors;
use crate::ir::*;

pub fn analyse(f: &mut Function, errors: &mut Errors) {
    let active_input = f.active_param().var;
    f.vars[active_input].active = true;
    if let Some(out) = f.output_param().map(|p| p.var) {
        // The output is active: it is what gets differentiated, even if written with constants.
        f.vars[out].active = true;
    }
    loop {
        let mut changed = false;
        let body = std::mem::take(&mut f.body);
        propagate(&body, &mut f.vars, &mut changed);
        f.body = body;
        if !changed {
            break;
        }
    }
    check(&f.body, &f.vars, false, errors);
    let mut body = std::mem::take(&mut f.body);
    mark_overwritten(&mut body, &f.vars);
    f.body = body;
}

/// Turns `let mut z = vec![0.0; n];` into [`VecExpr::Overwritten`] when the statement
/// right after it is `for i in 0..n { z[i] = <value not reading z>; ... }` with no
/// `return` in the loop: every element is then written before it can be read, so the
/// buffer (and its derivative's, written by the same loop) is not zeroed first. A
/// 16-lane derivative is 16 times the primal's memory, and zeroing it was a quarter of
/// a prepared Jacobian of iter_diff. The match is syntactic and strict: anything else
/// keeps the zeros.
fn mark_overwritten(body: &mut [Stmt], vars: &[Var]) {
    for k in 0..body.len() {
        let overwritten = match (&body[k], body.get(k + 1)) {
            (
                Stmt::Let {
                    var,
                    init: Some(Rhs::Vec(VecExpr::Filled(Expr::Lit(zero), n))),
                }
                | Stmt::Assign {
                    var,
                    rhs: Rhs::Vec(VecExpr::Filled(Expr::Lit(zero), n)),
                },
                Some(next),
            ) if *zero == 0.0 && writes_all_first(*var, n, next, vars) => Some(n.clone()),
            _ => None,
        };
        if let Some(n) = overwritten {
            if let Stmt::Let {
                init: Some(rhs), ..
            }
            | Stmt::Assign { rhs, .. } = &mut body[k]
            {
                *rhs = Rhs::Vec(VecExpr::Overwritten(n));
            }
        }
        body[k]
            .bodies_mut()
            .for_each(|body| mark_overwritten(body, vars));
    }
}

/// Whether `s` is `for i in 0..n { z[i] = value; ... }`, the store first, its value not
/// reading `z`, and no `return` anywhere in the loop.
fn writes_all_first(z: VarId, n: &Opaque, s: &Stmt, vars: &[Var]) -> bool {
    let Stmt::For { var, range, body } = s else {
        return false;
    };
    let same = |o: &Opaque, t: &str| o.tokens.to_string() == t;
    let full_range = same(&range.start, "0")
        && same(&range.end, &n.tokens.to_string())
        && !range.inclusive
        && range.adapters.is_empty();
    let first_stores_all = matches!(
        body.first(),
        Some(Stmt::Store { vec, index, value })
            if *vec == z && same(index, &vars[*var].name.to_string()) && !value.reads(z)
    );
    let mut returns = false;
    visit_stmts(body, &mut |s| returns |= matches!(s, Stmt::Return(_)));
    full_range && first_stores_all && !returns
}

/// Whether a real expression depends on an active variable. Integer parts (indices,
/// exponents) never carry activity: only real leaves do.
pub fn expr_active(e: &Expr, vars: &[Var]) -> bool {
    match e {
        Expr::Var(v) | Expr::Index(v, _) => vars[*v].active,
        Expr::Lit(_) | Expr::Const(_) => false,
        Expr::Apply(_, args) => args.iter().any(|a| expr_active(a, vars)),
        Expr::Powi(b, _) => expr_active(b, vars),
    }
}

fn rhs_active(rhs: &Rhs, vars: &[Var]) -> bool {
    match rhs {
        Rhs::Real(e) => expr_active(e, vars),
        Rhs::Vec(v) => match v {
            VecExpr::Filled(e, _) => expr_active(e, vars),
            VecExpr::List(items) => items.iter().any(|e| expr_active(e, vars)),
            VecExpr::Empty(_) | VecExpr::Overwritten(_) => false,
            VecExpr::Copy(u) | VecExpr::Move(u) => vars[*u].active,
        },
        Rhs::Opaque(_) => false,
    }
}

fn mark(v: VarId, vars: &mut [Var], changed: &mut bool) {
    if vars[v].ty.is_real() && !vars[v].active {
        vars[v].active = true;
        *changed = true;
    }
}

fn propagate(body: &[Stmt], vars: &mut [Var], changed: &mut bool) {
    for s in body {
        match s {
            Stmt::Let {
                var,
                init: Some(rhs),
            }
            | Stmt::Assign { var, rhs } => {
                if rhs_active(rhs, vars) {
                    mark(*var, vars, changed);
                }
            }
            Stmt::Let { init: None, .. } => {}
            Stmt::Store { vec, value, .. } | Stmt::Push { vec, value } => {
                if expr_active(value, vars) {
                    mark(*vec, vars, changed);
                }
            }
            Stmt::Call { results, call, .. } => {
                let active_in = call
                    .args
                    .iter()
                    .any(|a| matches!(a, Arg::Vec(v) if vars[*v].active));
                let has_out = call.args.iter().any(|a| matches!(a, Arg::Out(_)));
                if active_in || has_out {
                    for &r in results {
                        mark(r, vars, changed);
                    }
                    for a in &call.args {
                        if let Arg::Out(v) = a {
                            if active_in {
                                mark(*v, vars, changed);
                            }
                        }
                    }
                }
            }
            Stmt::For { .. } | Stmt::While { .. } | Stmt::Block(_) | Stmt::If { .. } => {
                s.bodies().for_each(|body| propagate(body, vars, changed))
            }
            Stmt::Return(_) => {}
        }
    }
}

/// Whether an opaque expression reads the value of an active real.
pub fn reads_active(o: &Opaque, vars: &[Var]) -> bool {
    o.reads.iter().any(|&v| vars[v].active)
}

fn check_int(o: &Opaque, vars: &[Var], errors: &mut Errors) {
    if reads_active(o, vars) {
        errors.at_span(o.span, "an integer computed from a differentiated real is not supported: derivatives do not flow through integers, and the sparsity pattern would depend on the input's values");
    }
}

fn check_expr(e: &Expr, vars: &[Var], errors: &mut Errors) {
    match e {
        Expr::Var(_) | Expr::Lit(_) => {}
        Expr::Index(_, i) => check_int(i, vars, errors),
        Expr::Const(o) => {
            if reads_active(o, vars) {
                errors.at_span(o.span, "cannot differentiate through this expression: it reads a differentiated real outside the operations #[sparse_diff] knows (`+ - * /`, the `f64` methods, calls of other #[sparse_diff] functions)");
            }
        }
        Expr::Apply(_, args) => args.iter().for_each(|a| check_expr(a, vars, errors)),
        Expr::Powi(b, n) => {
            check_expr(b, vars, errors);
            check_int(n, vars, errors);
        }
    }
}

fn check(body: &[Stmt], vars: &[Var], under_active_branch: bool, errors: &mut Errors) {
    for s in body {
        match s {
            Stmt::Let { var, init } => {
                if let Some(rhs) = init {
                    check_rhs(*var, rhs, vars, under_active_branch, errors);
                }
            }
            Stmt::Assign { var, rhs } => check_rhs(*var, rhs, vars, under_active_branch, errors),
            Stmt::Store { index, value, .. } => {
                check_int(index, vars, errors);
                check_expr(value, vars, errors);
            }
            Stmt::Push { value, .. } => check_expr(value, vars, errors),
            Stmt::Call { call, .. } => {
                let mut active_args = 0;
                for a in &call.args {
                    match a {
                        Arg::Vec(v) if vars[*v].active => active_args += 1,
                        Arg::Other(o) if reads_active(o, vars) => errors.at_span(o.span, "a differentiated real passed as a constant argument: pass it as a `&[f64]` vector, the callee's differentiated input"),
                        _ => {}
                    }
                }
                if active_args > 1 {
                    errors.at_span(call.span, "a call of a #[sparse_diff] function may have one differentiated vector argument (its `wrt` input); copy the others into one vector");
                }
            }
            Stmt::For { range, body, .. } => {
                range.bounds().for_each(|b| check_int(b, vars, errors));
                check(body, vars, under_active_branch, errors);
            }
            Stmt::While { cond, body } => {
                if reads_active(cond, vars) {
                    errors.at_span(cond.span, "a `while` condition on a differentiated real is not supported: the number of iterations, and so the sparsity pattern, would depend on the input; loop a fixed number of times with `for`");
                }
                check(body, vars, under_active_branch, errors);
            }
            Stmt::If { cond, then, els } => {
                let active = under_active_branch || reads_active(cond, vars);
                check(then, vars, active, errors);
                check(els, vars, active, errors);
            }
            Stmt::Block(body) => check(body, vars, under_active_branch, errors),
            Stmt::Return(_) => {}
        }
    }
}

fn check_rhs(var: VarId, rhs: &Rhs, vars: &[Var], under_active_branch: bool, errors: &mut Errors) {
    match rhs {
        Rhs::Real(e) => check_expr(e, vars, errors),
        Rhs::Vec(v) => match v {
            VecExpr::Filled(e, n) => {
                check_expr(e, vars, errors);
                check_int(n, vars, errors);
            }
            VecExpr::List(items) => items.iter().for_each(|e| check_expr(e, vars, errors)),
            VecExpr::Empty(Some(n)) => check_int(n, vars, errors),
            _ => {}
        },
        Rhs::Opaque(o) => {
            if matches!(vars[var].ty, Ty::Int | Ty::Bool) {
                check_int(o, vars, errors);
                if under_active_branch {
                    errors.at_span(o.span, format!("`{}` is assigned under a condition on a differentiated real: the global sparsity pattern runs both branches, so integers and booleans must not differ between them", vars[var].name));
                }
            }
        }
    }
}

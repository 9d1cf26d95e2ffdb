//! Stage 3: activity. A real is active when it depends on the active input; only active
//! values get derivatives and index sets. Activity is per variable and flow-insensitive
//! (a variable is active if any of its assignments is), found by a fixpoint.
//!
//! It also rejects what no pass could do exactly: an integer computed from an active
//! real, a `while` loop whose condition reads one, an integer assigned under a branch
//! on one — the global sparsity pattern would depend on the input's values.

use std::collections::{HashMap, HashSet};

use proc_macro2::{TokenStream, TokenTree};

use crate::errors::Errors;
use crate::ir::*;

mod overwritten;
mod scaled;

pub use scaled::scaled_rows;

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
    mark_traced(&mut f.body, &f.vars);
    drop_panics_on_reals(&mut f.body, &f.vars, false);
    drop_unneeded(f);
    check(&f.body, &f.vars, None, errors);
    let mut body = std::mem::take(&mut f.body);
    let ints = overwritten::Ints::new(&body, &f.vars);
    mark_overwritten(&mut body, &ints);
    f.body = body;
}

/// Whether the function reads its output parameter before it has written all of it:
/// its values from the caller then enter the result, and the operators, which run it
/// once per sweep, give every sweep the caller's values again. Written all first means:
/// the first statement that names it is a loop nest that stores every element before
/// reading it ([`overwritten`]). A call that writes it counts as reading it: the callee
/// may.
pub fn reads_output_first(f: &Function) -> bool {
    let Output::Param(k) = f.output else {
        return false;
    };
    let y = f.params[k].var;
    let names = |s: &Stmt| {
        let mut named = false;
        visit_stmts(std::slice::from_ref(s), &mut |s| {
            s.for_each_var(&mut |v| named |= v == y)
        });
        named
    };
    let reads = |s: &Stmt| {
        let mut named = false;
        s.for_each_var(&mut |v| named |= v == y);
        named
            && match s {
                Stmt::Store { vec, index, value } if *vec == y => {
                    index.reads.contains(&y) || value.reads(y)
                }
                // A callee that writes it may read it first.
                Stmt::Call { call, .. } => call.args.iter().any(|a| match a {
                    Arg::Vec(v, _) | Arg::Out(v) => *v == y,
                    Arg::Other(o) => o.reads.contains(&y),
                }),
                _ => true,
            }
    };
    let mut read = false;
    visit_stmts(&f.body, &mut |s| read |= reads(s));
    if !read {
        return false;
    }
    let name = &f.vars[y].name;
    let len = Opaque::new(quote::quote!(#name.len()), Vec::new());
    let ints = overwritten::Ints::new(&f.body, &f.vars);
    let written = match f.body.iter().find(|s| names(s)) {
        Some(s @ Stmt::For { .. }) => ints.writes_all(y, &len, s),
        _ => false,
    };
    !written
}

/// Which parameters can change the pattern, the constant entries or what the passes
/// decide: those control flow, an index, a length, an integer `let` or a call reads;
/// not one read only as a value in real arithmetic (a step size, a coefficient, `k as
/// f64`). A preparation holds for the values of these it was made with.
pub fn structural_params(f: &Function) -> Vec<bool> {
    let by_name = by_name(f);
    let mut steering = vec![false; f.vars.len()];
    visit_stmts(&f.body, &mut |s| {
        steering_reads(s, &by_name, false, &mut |v| steering[v] = true);
        // A constant vector passed on: the callee may index with it.
        if let Stmt::Call { call, .. } = s {
            for a in &call.args {
                match a {
                    Arg::Vec(v, _) if f.vars[*v].is_param() => steering[*v] = true,
                    _ => {}
                }
            }
        }
    });
    // And what those are computed from (`let a = 2.0 * c; if a > 0.0 {..}` reads `c`).
    let steering = reaching(f, &f.body, steering, Need::Value);
    f.params.iter().map(|p| steering[p.var]).collect()
}

/// Drops what the output does not need. A real matters if the output depends on its
/// value, or if control flow or an index reads it; statements that only compute reals
/// that matter for neither go from every pass. Beyond saving work, this keeps their
/// partials out of reverse mode, where a zero adjoint times a partial that is not finite
/// (`hypot(0, 0)`) would still make the gradient NaN.
fn drop_unneeded(f: &mut Function) {
    let useful = needed(f, Need::Value);
    prune(&mut f.body, &f.vars, &useful);
}

/// What a real is needed for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    /// Its value: the output depends on it, or a condition, bound, index or length
    /// names it.
    Value,
    /// Its derivative: the output depends on its value through arithmetic.
    Derivative,
}

/// Which variables are needed, by a backward fixpoint from the outputs.
fn needed(f: &Function, need: Need) -> Vec<bool> {
    let mut useful = vec![false; f.vars.len()];
    useful[f.active_param().var] = true;
    if let Some(p) = f.output_param() {
        useful[p.var] = true;
    }
    visit_stmts(&f.body, &mut |s| {
        if let Stmt::Return(Some(v)) = s {
            useful[*v] = true;
        }
    });
    if need == Need::Value {
        let by_name = by_name(f);
        visit_stmts(&f.body, &mut |s| {
            steering_reads(s, &by_name, true, &mut |v| useful[v] = true)
        });
    }
    reaching(f, &f.body, useful, need)
}

/// `useful` and what it is computed from in `body`, for `need`: the backward fixpoint
/// of [`needed`], from any starting set (the adjoint pass starts from its own roots).
pub(crate) fn reaching(
    f: &Function,
    body: &[Stmt],
    mut useful: Vec<bool>,
    need: Need,
) -> Vec<bool> {
    loop {
        let before = useful.iter().filter(|&&u| u).count();
        visit_stmts(body, &mut |s| mark_useful(s, &f.vars, need, &mut useful));
        if useful.iter().filter(|&&u| u).count() == before {
            return useful;
        }
    }
}

/// Sets [`Call::traced`] on the calls that read a vector depending on the input.
fn mark_traced(body: &mut [Stmt], vars: &[Var]) {
    for s in body.iter_mut() {
        if let Stmt::Call { call, .. } = s {
            call.traced = reads_active_vector(call, vars);
        }
        s.bodies_mut().for_each(|b| mark_traced(b, vars));
    }
}

/// Whether `call` passes a vector that depends on the input.
fn reads_active_vector(call: &Call, vars: &[Var]) -> bool {
    (call.args.iter()).any(|a| matches!(a, Arg::Vec(v, _) if vars[*v].active))
}

/// What `f` calls, for the hidden functions that ask their callees in turn
/// (`__asd_smooth_f`, `__asd_calls_on_constants_f`).
pub struct Calls {
    /// The annotated functions it calls on values depending on the input
    /// ([traced](Call::traced) calls).
    pub traced: Vec<syn::Path>,
    /// It has a call on constants, which its sweeps run as the user wrote it.
    pub on_constants: bool,
}

pub fn calls(f: &Function) -> Calls {
    let mut calls = Calls {
        traced: Vec::new(),
        on_constants: false,
    };
    visit_stmts(&f.body, &mut |s| {
        if let Stmt::Call { call, .. } = s {
            if call.traced {
                calls.traced.push(call.path.clone());
            } else {
                calls.on_constants = true;
            }
        }
    });
    calls
}

/// The function as the derivative passes see it: a real whose value only steers (a
/// condition, a bound) gets no derivative. Computing one would be wasted, and in
/// reverse mode its zero adjoint times a partial that overflowed (`s.powi(3)` at
/// `s = 1e200`) would make the gradient NaN. The tracers keep the full activity: a
/// branch on a real that depends on the input must run both arms there.
pub fn for_derivatives(f: &Function) -> Function {
    let mut g = f.clone();
    let useful = needed(f, Need::Derivative);
    for (var, useful) in g.vars.iter_mut().zip(useful) {
        var.active &= useful;
    }
    g
}

/// Removes the panics (`panic!`, `unreachable!`, ..) under a condition on a
/// differentiated real or whose message formats one, as desugar drops assertions: the
/// tracers run both arms of such a branch, and cannot format an abstract value. The
/// others stay, and the generated code panics where the function does.
fn drop_panics_on_reals(body: &mut Vec<Stmt>, vars: &[Var], under_real: bool) {
    body.retain(|s| match s.panic(vars) {
        Some(p) => !under_real && !reads_active(p, vars),
        None => true,
    });
    for s in body.iter_mut() {
        let under = under_real || matches!(s, Stmt::If { cond, .. } if reads_active(cond, vars));
        s.bodies_mut()
            .for_each(|b| drop_panics_on_reals(b, vars, under));
    }
}

/// Removes the statements that only write reals nothing useful reads.
fn prune(body: &mut Vec<Stmt>, vars: &[Var], useful: &[bool]) {
    let unneeded = |v: &VarId| vars[*v].ty.is_real() && !useful[*v];
    body.retain(|s| match s {
        Stmt::Let { var, .. } | Stmt::Assign { var, .. } => !unneeded(var),
        Stmt::Store { vec, .. } | Stmt::Push { vec, .. } => !unneeded(vec),
        Stmt::Call { results, call, .. } => {
            let outs: Vec<&VarId> = results.iter().chain(call.outputs()).collect();
            outs.is_empty() || !outs.into_iter().all(unneeded)
        }
        Stmt::For { .. }
        | Stmt::While { .. }
        | Stmt::If { .. }
        | Stmt::Return(_)
        | Stmt::Block(_) => true,
    });
    for s in body.iter_mut() {
        s.bodies_mut().for_each(|b| prune(b, vars, useful));
    }
    body.retain(|s| !s.is_emptied());
}

/// The variables of a function by name, for [`steering_reads`].
fn by_name(f: &Function) -> HashMap<String, Vec<VarId>> {
    let mut by_name: HashMap<String, Vec<VarId>> = HashMap::new();
    for (v, var) in f.vars.iter().enumerate() {
        by_name.entry(var.name.to_string()).or_default().push(v);
    }
    by_name
}

/// The variables a statement names in its integer and constant parts:
/// conditions, bounds, indices, lengths (`v.len()` names `v` without reading a value);
/// with `values`, also the constants and integers a real expression reads as values
/// (`p.c * x[i]`, `x[i].powi(k)`), which steer nothing.
fn steering_reads(
    s: &Stmt,
    by_name: &HashMap<String, Vec<VarId>>,
    values: bool,
    f: &mut impl FnMut(VarId),
) {
    let mut opaque = |o: &Opaque| {
        o.reads.iter().for_each(|&r| f(r));
        named(o.tokens.clone(), by_name, f);
    };
    let expr = |e: &Expr, opaque: &mut dyn FnMut(&Opaque)| expr_opaques(e, values, opaque);
    match s {
        Stmt::Let { init: None, .. } | Stmt::Block(_) => {}
        Stmt::Let {
            init: Some(rhs), ..
        }
        | Stmt::Assign { rhs, .. } => match rhs {
            Rhs::Real(e) => expr(e, &mut opaque),
            Rhs::Opaque(o) => opaque(o),
            Rhs::Vec(v) => match v {
                VecExpr::Filled(e, n) => {
                    expr(e, &mut opaque);
                    opaque(n);
                }
                VecExpr::List(items) => items.iter().for_each(|e| expr(e, &mut opaque)),
                VecExpr::Empty(c) => c.iter().for_each(&mut opaque),
                VecExpr::Overwritten(n) => opaque(n),
                VecExpr::Copy(_) | VecExpr::Move(_) => {}
            },
        },
        Stmt::Store { index, value, .. } => {
            opaque(index);
            expr(value, &mut opaque);
        }
        Stmt::Push { value, .. } => expr(value, &mut opaque),
        Stmt::Call { call, .. } => call.args.iter().for_each(|a| match a {
            Arg::Vec(_, range) => range.iter().for_each(&mut opaque),
            Arg::Other(o) => opaque(o),
            Arg::Out(_) => {}
        }),
        Stmt::For { range, .. } => range.bounds().for_each(opaque),
        Stmt::While { cond, .. } | Stmt::If { cond, .. } => opaque(cond),
        Stmt::Return(_) => {}
    }
}

/// Every variable whose name appears in `tokens`.
fn named(tokens: TokenStream, by_name: &HashMap<String, Vec<VarId>>, f: &mut impl FnMut(VarId)) {
    for t in tokens {
        match t {
            TokenTree::Ident(i) => {
                if let Some(vs) = by_name.get(&i.to_string()) {
                    vs.iter().for_each(|&v| f(v));
                }
            }
            TokenTree::Group(g) => named(g.stream(), by_name, f),
            TokenTree::Punct(_) | TokenTree::Literal(_) => {}
        }
    }
}

/// The opaque parts of a real expression: its indices, and with `values` its constants
/// and integers.
fn expr_opaques(e: &Expr, values: bool, f: &mut dyn FnMut(&Opaque)) {
    match e {
        Expr::Var(_) | Expr::Lit(_) => {}
        Expr::Index(_, o) => f(o),
        Expr::Const(o) | Expr::Int(o) => {
            if values {
                f(o)
            }
        }
        Expr::Apply(_, args) => args.iter().for_each(|a| expr_opaques(a, values, f)),
    }
}

/// One backward step: what a useful value is computed from is useful, and a call is
/// kept whole or not at all.
fn mark_useful(s: &Stmt, vars: &[Var], need: Need, useful: &mut [bool]) {
    match s {
        Stmt::Let {
            var,
            init: Some(rhs),
        }
        | Stmt::Assign { var, rhs, .. } => {
            if useful[*var] {
                match rhs {
                    Rhs::Real(e) => e.for_each_read(&mut |r| useful[r] = true),
                    Rhs::Opaque(o) => o.reads.iter().for_each(|&r| useful[r] = true),
                    Rhs::Vec(v) => match v {
                        VecExpr::Filled(e, _) => e.for_each_read(&mut |r| useful[r] = true),
                        VecExpr::List(items) => items
                            .iter()
                            .for_each(|e| e.for_each_read(&mut |r| useful[r] = true)),
                        VecExpr::Copy(u) | VecExpr::Move(u) => useful[*u] = true,
                        VecExpr::Empty(_) | VecExpr::Overwritten(_) => {}
                    },
                }
            }
        }
        Stmt::Store { vec, value, .. } | Stmt::Push { vec, value } => {
            if useful[*vec] {
                value.for_each_read(&mut |r| useful[r] = true);
            }
        }
        Stmt::Call { results, call, .. } => {
            // A call stays differentiated whole while an argument keeps its derivative.
            let differentiated = need == Need::Derivative
                && call.args.iter().any(
                    |a| matches!(a, Arg::Vec(v, _) | Arg::Out(v) if vars[*v].active && useful[*v]),
                );
            if differentiated || results.iter().chain(call.outputs()).any(|&v| useful[v]) {
                results.iter().for_each(|&v| useful[v] = true);
                call.args.iter().for_each(|a| match a {
                    Arg::Vec(v, _) | Arg::Out(v) => useful[*v] = true,
                    Arg::Other(_) => {}
                });
            }
        }
        Stmt::Let { init: None, .. }
        | Stmt::For { .. }
        | Stmt::While { .. }
        | Stmt::If { .. }
        | Stmt::Return(_)
        | Stmt::Block(_) => {}
    }
}

/// Turns `let mut z = vec![0.0; n];` into [`VecExpr::Overwritten`] when the loops right
/// after it write every element before reading it ([`overwritten`]): the buffer, and
/// its derivative's, is then not zeroed first.
fn mark_overwritten(body: &mut [Stmt], ints: &overwritten::Ints<'_>) {
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
                    ..
                },
                Some(next),
            ) if *zero == 0.0 && ints.writes_all(*var, n, next) => Some(n.clone()),
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
            .for_each(|body| mark_overwritten(body, ints));
    }
}

/// Whether a real expression depends on an active variable. Integer parts (indices,
/// exponents) never carry activity: only real leaves do.
pub fn expr_active(e: &Expr, vars: &[Var]) -> bool {
    match e {
        Expr::Var(v) | Expr::Index(v, _) => vars[*v].active,
        Expr::Lit(_) | Expr::Const(_) | Expr::Int(_) => false,
        Expr::Apply(_, args) => args.iter().any(|a| expr_active(a, vars)),
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
    visit_stmts(body, &mut |s| match s.def() {
        Some(Def::Whole(var, rhs)) if rhs_active(rhs, vars) => mark(var, vars, changed),
        Some(Def::Element(vec, value)) if expr_active(value, vars) => mark(vec, vars, changed),
        Some(Def::Call(results, call)) => {
            let active_in = reads_active_vector(call, vars);
            let has_out = call.args.iter().any(|a| matches!(a, Arg::Out(_)));
            if active_in || has_out {
                for &r in results {
                    mark(r, vars, changed);
                }
                if active_in {
                    for &v in call.outputs() {
                        mark(v, vars, changed);
                    }
                }
            }
        }
        Some(Def::Whole(..) | Def::Element(..)) | None => {}
    });
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
        Expr::Int(n) => check_int(n, vars, errors),
    }
}

/// `branch`: under a branch on a differentiated real, the variables its arms declare
/// (an integer of those, a loop's counter, cannot differ after the branch).
fn check(body: &[Stmt], vars: &[Var], branch: Option<&HashSet<VarId>>, errors: &mut Errors) {
    for s in body {
        match s {
            Stmt::Let { var, init } => {
                if let Some(rhs) = init {
                    check_rhs(*var, rhs, vars, branch, errors);
                }
            }
            Stmt::Assign { var, rhs, .. } => check_rhs(*var, rhs, vars, branch, errors),
            Stmt::Store { index, value, .. } => {
                check_int(index, vars, errors);
                check_expr(value, vars, errors);
            }
            Stmt::Push { value, .. } => check_expr(value, vars, errors),
            Stmt::Call { call, .. } => {
                let mut active_args = 0;
                for a in &call.args {
                    match a {
                        Arg::Vec(v, _) if vars[*v].active => active_args += 1,
                        Arg::Other(o) if reads_active(o, vars) => {
                            let callee = &call.path;
                            let callee = quote::quote!(#callee).to_string().replace(' ', "");
                            errors.at_span(o.span, format!("a differentiated real passed as a constant argument: pass it as a `&[f64]` vector, the callee's differentiated input; or, for a function #[sparse_diff] cannot see into, give it a derivative rule: `#[sparse_diff(rules({callee} = MyRule))]` with `impl asd::Rule<N> for MyRule`"))
                        }
                        _ => {}
                    }
                }
                if active_args > 1 {
                    let callee = &call.path;
                    let callee = quote::quote!(#callee).to_string().replace(' ', "");
                    errors.at_span(call.span, format!("`{callee}` is called with {active_args} differentiated vectors, and a #[sparse_diff] function differentiates one (its `wrt` input): pass one vector that holds them all (`&x[a..b]`, or a copy), or write `{callee}` as a closure in this function's body"));
                }
            }
            Stmt::For { range, body, .. } => {
                range.bounds().for_each(|b| check_int(b, vars, errors));
                check(body, vars, branch, errors);
            }
            Stmt::While { cond, body } => {
                if reads_active(cond, vars) {
                    errors.at_span(cond.span, "a `while` condition on a differentiated real is not supported: the number of iterations, and so the sparsity pattern, would depend on the input; loop a fixed number of times with `for`");
                }
                check(body, vars, branch, errors);
            }
            Stmt::If { cond, then, els } if reads_active(cond, vars) => {
                if branch.is_none() && (pushes_outside(then) || pushes_outside(els)) {
                    errors.at_span(cond.span, "a `push` under a condition on a differentiated real (`filter(..).collect()`, `if v > 0.0 { y.push(v); }`) is not supported: the vector's length, and so where its elements are in the sparsity pattern, would depend on the input; push in every case (`y.push(if v > 0.0 { v } else { 0.0 })`), or filter on an integer condition");
                }
                let mut declared = HashSet::new();
                for arm in [then, els] {
                    visit_stmts(arm, &mut |s| {
                        if let Stmt::Let { var, .. } | Stmt::For { var, .. } = s {
                            declared.insert(*var);
                        }
                    });
                }
                check(then, vars, Some(&declared), errors);
                check(els, vars, Some(&declared), errors);
            }
            Stmt::If { then, els, .. } => {
                check(then, vars, branch, errors);
                check(els, vars, branch, errors);
            }
            Stmt::Block(body) => check(body, vars, branch, errors),
            Stmt::Return(_) => {}
        }
    }
}

/// Whether `body` pushes onto a vector it does not declare itself: one whose length
/// then depends on whether `body` runs.
fn pushes_outside(body: &[Stmt]) -> bool {
    let mut declared = HashSet::new();
    let mut found = false;
    visit_stmts(body, &mut |s| match s {
        Stmt::Let { var, .. } => {
            declared.insert(*var);
        }
        Stmt::Push { vec, .. } => found |= !declared.contains(vec),
        _ => {}
    });
    found
}

/// The error for `name`, a value of no real type computed from differentiated reals
/// by `o`: named by the function called there if it is one (a tuple its destructuring
/// took apart has a name the compiler made).
fn opaque_of_reals(name: &proc_macro2::Ident, o: &Opaque) -> String {
    let what = if name.to_string().starts_with("__asd_") {
        "this value".to_string()
    } else {
        format!("`{name}`")
    };
    match syn::parse2::<syn::Expr>(o.tokens.clone()) {
        Ok(syn::Expr::Call(c))
            if matches!(&*c.func, syn::Expr::Path(p) if crate::lower::is_constructor(&p.path)) =>
        {
            crate::lower::CONSTRUCTOR_OF_REALS.to_string()
        }
        Ok(syn::Expr::Call(c)) if matches!(&*c.func, syn::Expr::Path(_)) => {
            let f = &c.func;
            let f = quote::quote!(#f).to_string().replace(' ', "");
            format!("{what} is computed from a differentiated real by `{f}`, a function #[sparse_diff] cannot see into: define `{f}` inside this function's body (its helper `fn`s are differentiated with it), or make it a #[sparse_diff] function of its own, returning `f64`, `Vec<f64>` or `[f64; N]`")
        }
        _ => format!("{what} is computed from a differentiated real by code #[sparse_diff] cannot differentiate (a function it cannot see into, a method of its result): make it a real (`f64`) computed by the body or by another #[sparse_diff] function"),
    }
}

fn check_rhs(
    var: VarId,
    rhs: &Rhs,
    vars: &[Var],
    branch: Option<&HashSet<VarId>>,
    errors: &mut Errors,
) {
    match rhs {
        Rhs::Real(e) => check_expr(e, vars, errors),
        Rhs::Vec(v) => match v {
            VecExpr::Filled(e, n) => {
                check_expr(e, vars, errors);
                check_int(n, vars, errors);
            }
            VecExpr::List(items) => items.iter().for_each(|e| check_expr(e, vars, errors)),
            VecExpr::Empty(Some(n)) | VecExpr::Overwritten(n) => check_int(n, vars, errors),
            VecExpr::Empty(None) | VecExpr::Copy(_) | VecExpr::Move(_) => {}
        },
        Rhs::Opaque(o) => {
            if vars[var].ty == Ty::Other && reads_active(o, vars) {
                errors.at_span(o.span, opaque_of_reals(&vars[var].name, o));
            } else if vars[var].ty == Ty::Bool && reads_active(o, vars) {
                errors.at_span(o.span, "a `bool` computed from a differentiated real (`let b = x[0] > 0.0;`) is not supported: write the comparison in the `if` itself (`if x[0] > 0.0 { .. }`), where the sparsity pattern takes both branches");
            } else if matches!(vars[var].ty, Ty::Int | Ty::Bool) {
                check_int(o, vars, errors);
                if branch.is_some_and(|declared| !declared.contains(&var)) {
                    let name = vars[var].name.to_string();
                    let msg = match crate::desugar::loop_exit(&name) {
                        Some("continue") => "`continue` under a condition on a differentiated real is supported at the top of the loop's body only (`if c { ..; continue; }`, with the rest of the body after it): move the `if` there, or write the rest of the body in its `else`".to_string(),
                        Some(exit) => format!("`{exit}` under a condition on a differentiated real is not supported: the number of iterations, and so the global sparsity pattern, would depend on the input; loop a fixed number of times, or exit on an integer condition"),
                        // A counter or flag of an iterator chain's loop.
                        None if name.starts_with("__asd_") => "an integer or boolean computed under a condition on a differentiated real (`filter(..).count()`, `any`) is not supported: the global sparsity pattern runs both branches, so integers and booleans must not differ between them".to_string(),
                        None => format!("`{name}` is assigned under a condition on a differentiated real: the global sparsity pattern runs both branches, so integers and booleans must not differ between them"),
                    };
                    errors.at_span(o.span, msg);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;

    use super::*;
    use crate::lower::tests::{lower_item, messages};

    /// `item` lowered and analysed: the names of its active variables, or every error as
    /// `line:column: message`.
    fn active(item: TokenStream) -> Result<Vec<String>, Vec<String>> {
        let mut f = lower_item(item)?;
        let mut errors = Errors::default();
        analyse(&mut f, &mut errors);
        if !errors.is_empty() {
            return Err(messages(&errors));
        }
        Ok(f.vars
            .iter()
            .filter(|v| v.active)
            .map(|v| v.name.to_string())
            .collect())
    }

    #[test]
    fn the_reals_that_depend_on_the_input_are_active() {
        let got = active(quote! {
            fn f(x: &[f64], c: f64, n: usize) -> f64 {
                let a = c * 2.0;
                let b = x[0] * a;
                let m = x.len();
                let mut s = 0.0;
                let mut t = 0.0;
                for i in 0..n {
                    // `t` reads `s` before `s` reads `x`: active on the fixpoint's second pass.
                    t = s;
                    s = s + x[i];
                }
                let z = vec![a; m];
                let w = x.to_vec();
                b + t + z[0] + w[0]
            }
        });
        assert_eq!(got.expect("no errors"), ["x", "b", "s", "t", "w", "t0"]);
    }

    #[test]
    fn the_constants_that_steer_are_structural_and_coefficients_are_not() {
        let mut f = lower_item(quote! {
            fn f(x: &[f64], w: &[f64], k: usize, c: f64, a: f64, p: usize) -> f64 {
                let mut s = 0.0;
                for i in 0..w.len() {
                    s += c * x[i] * (p as f64);
                }
                let b = 2.0 * a;
                if b > 0.0 {
                    s += x[k];
                }
                s
            }
        })
        .expect("lowers");
        let mut errors = Errors::default();
        analyse(&mut f, &mut errors);
        // x (read as values), w (its length), k (an index), c (a value), a (a
        // condition, through b), p (a value).
        assert_eq!(
            structural_params(&f),
            [false, true, true, false, true, false]
        );
    }

    #[test]
    fn what_the_output_does_not_need_is_dropped() {
        let mut f = lower_item(quote! {
            fn f(x: &[f64], n: usize) -> f64 {
                let z = x[0] - x[0];
                let unused = z.hypot(z);
                let mut v = vec![0.0; n];
                for i in 0..n {
                    v[i] = x[i] * unused;
                }
                let k = 1;
                let mut s = 0.0;
                if z > 0.0 {
                    s = x[k];
                }
                s
            }
        })
        .expect("lowers");
        analyse(&mut f, &mut Errors::default());
        let printed = f.to_string();
        // `unused` and `v` reach nothing; `z` steers a branch, `k` indexes.
        assert!(
            !printed.contains("unused") && !printed.contains("v ="),
            "{printed}"
        );
        assert!(
            printed.contains("let z:") && printed.contains("let k:"),
            "{printed}"
        );
        assert!(
            !printed.contains("for"),
            "the emptied loop goes too: {printed}"
        );
    }

    #[test]
    fn a_real_that_only_steers_gets_no_derivative() {
        let mut f = lower_item(quote! {
            fn f(x: &[f64]) -> f64 {
                let s = x[0] * x[0];
                let mut y = x[1];
                if s > 1.0 {
                    y = y * x[2];
                }
                y
            }
        })
        .expect("lowers");
        analyse(&mut f, &mut Errors::default());
        let names = |f: &Function| -> Vec<String> {
            f.vars
                .iter()
                .filter(|v| v.active)
                .map(|v| v.name.to_string())
                .collect()
        };
        // The tracers see `s` (a branch on it runs both arms); the derivatives do not.
        assert!(names(&f).contains(&"s".to_string()));
        let d = for_derivatives(&f);
        assert!(!names(&d).contains(&"s".to_string()) && names(&d).contains(&"y".to_string()));
    }

    #[test]
    fn the_output_is_active_and_a_call_is_active_through_its_arguments() {
        let got = active(quote! {
            fn f(x: &[f64], y: &mut [f64], n: usize) {
                let c = vec![1.0; n];
                let a = g(&c);
                let b = g(&x);
                let mut d = vec![0.0; n];
                h(&c, &mut d);
                let mut e = vec![0.0; n];
                h(&x, &mut e);
                for i in 0..n {
                    y[i] = a + b;
                }
            }
        });
        assert_eq!(got.expect("no errors"), ["x", "y", "b", "e"]);
    }

    #[test]
    fn integers_must_not_depend_on_an_active_real() {
        // From source text, not `quote!`, so that spans have lines and columns.
        let src = r#"
fn f(x: &[f64], n: usize) -> f64 {
    let k = x[0] as usize;
    let c = 2.0 * n as f64;
    let mut m = 0;
    if x[1] > 0.0 {
        m = 1;
    }
    while x[2] > 1.0 {}
    x[k] + x[x[3] as usize] + c
}"#;
        let got = active(src.parse().expect("tokens")).expect_err("rejected");
        assert_eq!(
            got,
            [
                "3:13: an integer computed from a differentiated real is not supported: derivatives do not flow through integers, and the sparsity pattern would depend on the input's values",
                "7:13: `m` is assigned under a condition on a differentiated real: the global sparsity pattern runs both branches, so integers and booleans must not differ between them",
                "9:11: a `while` condition on a differentiated real is not supported: the number of iterations, and so the sparsity pattern, would depend on the input; loop a fixed number of times with `for`",
                "10:14: an integer computed from a differentiated real is not supported: derivatives do not flow through integers, and the sparsity pattern would depend on the input's values",
            ]
        );
    }
}

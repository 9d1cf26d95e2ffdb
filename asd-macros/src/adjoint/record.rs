//! What the adjoint must record: pure analyses of the IR (which values the reverse
//! sweep reads, which locals it recomputes, what a block declares or assigns).

use proc_macro2::TokenStream;

use crate::ir::*;
use crate::rules::Op;

/// `assigned[v]`: whether `body` declares or assigns `v` anywhere, nested blocks included.
pub(super) fn assigned_in(nvars: usize, body: &[Stmt]) -> Vec<bool> {
    let mut assigned = vec![false; nvars];
    visit_stmts(body, &mut |s| match s {
        Stmt::Let { var, .. } | Stmt::For { var, .. } => assigned[*var] = true,
        s => for_each_written(s, |v| assigned[v] = true),
    });
    assigned
}

/// Calls `f` on every variable `s` itself writes to (not those it declares).
fn for_each_written(s: &Stmt, mut f: impl FnMut(VarId)) {
    match s {
        Stmt::Assign { var, .. } => f(*var),
        Stmt::Store { vec, .. } | Stmt::Push { vec, .. } => f(*vec),
        Stmt::Call { results, call, .. } => {
            results.iter().for_each(|&r| f(r));
            for a in &call.args {
                if let Arg::Out(w) = a {
                    f(*w);
                }
            }
        }
        _ => {}
    }
}

/// The variables a block declares itself (not in nested blocks), in order.
pub(super) fn block_locals(body: &[Stmt]) -> Vec<VarId> {
    let mut out = Vec::new();
    for s in body {
        match s {
            Stmt::Let { var, .. } => out.push(*var),
            Stmt::Call {
                results,
                declare: true,
                ..
            } => out.extend(results),
            _ => {}
        }
    }
    out
}

/// The initializer tokens of an integer `let` in `body`, to give its type to a pop.
pub(super) fn let_init(body: &[Stmt], v: VarId) -> Option<TokenStream> {
    body.iter().find_map(|s| match s {
        Stmt::Let {
            var,
            init: Some(Rhs::Opaque(o)),
        } if *var == v => Some(o.tokens.clone()),
        _ => None,
    })
}

/// Scalar locals, declared once and never assigned, whose initializer reads only values
/// that stay put for the whole call: parameters nobody assigns (not the output) and loop
/// variables. A reverse block recomputes them: cheaper than a push and a pop.
pub(super) fn recomputable(f: &Function, body: &[Stmt]) -> std::collections::HashMap<VarId, Rhs> {
    let mut assigned = vec![false; f.vars.len()];
    let mut loop_vars = vec![false; f.vars.len()];
    let mut lets = Vec::new();
    visit_stmts(body, &mut |s| match s {
        Stmt::For { var, .. } => loop_vars[*var] = true,
        Stmt::Let {
            var,
            init: Some(rhs),
        } => lets.push((*var, rhs.clone())),
        s => for_each_written(s, |v| assigned[v] = true),
    });
    let output = f.output_param().map(|p| p.var);
    let mut stable: Vec<bool> = (0..f.vars.len())
        .map(|v| {
            !assigned[v]
                && (loop_vars[v]
                    || matches!(f.vars[v].origin, Origin::Param(_)) && output != Some(v))
        })
        .collect();
    // Integers set once from stable values (`let n = x.len();`) are stable too.
    let params: Vec<String> = f
        .params
        .iter()
        .filter(|p| Some(p.var) != output)
        .map(|p| f.vars[p.var].name.to_string())
        .collect();
    loop {
        let mut changed = false;
        for (v, rhs) in &lets {
            if let (Rhs::Opaque(o), false, Ty::Int) =
                (rhs, stable[*v] || assigned[*v], f.vars[*v].ty)
            {
                let lens_ok = len_targets(&o.tokens).iter().all(|t| params.contains(t));
                if lens_ok && o.reads.iter().all(|&r| stable[r]) {
                    stable[*v] = true;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let stable = |v: VarId| stable[v];
    lets.into_iter()
        .filter(|(v, rhs)| {
            let var = &f.vars[*v];
            let reads_stable = match rhs {
                Rhs::Real(e) => {
                    let mut ok = true;
                    e.for_each_read(&mut |r| ok &= stable(r));
                    // Opaque parts do not list the vectors whose length they read.
                    ok && !mentions_len(e)
                }
                _ => false,
            };
            !assigned[*v] && !var.lanes && var.ty == Ty::Real && reads_stable
        })
        .collect()
}

/// The vectors whose `.len()` some tokens read.
fn len_targets(tokens: &TokenStream) -> Vec<String> {
    use proc_macro2::TokenTree;
    let tts: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let mut out = Vec::new();
    for (k, tt) in tts.iter().enumerate() {
        match tt {
            TokenTree::Group(g) => out.extend(len_targets(&g.stream())),
            TokenTree::Ident(id) if id == "len" && k >= 2 => {
                if let (TokenTree::Punct(p), TokenTree::Ident(v)) = (&tts[k - 1], &tts[k - 2]) {
                    if p.as_char() == '.' {
                        out.push(v.to_string());
                        continue;
                    }
                }
                out.push(String::new());
            }
            TokenTree::Ident(id) if id == "len" => out.push(String::new()),
            _ => {}
        }
    }
    out
}

fn mentions_len(e: &Expr) -> bool {
    let opaque = |o: &Opaque| !len_targets(&o.tokens).is_empty();
    match e {
        Expr::Index(_, i) | Expr::Const(i) => opaque(i),
        Expr::Powi(b, n) => opaque(n) || mentions_len(b),
        Expr::Apply(_, args) => args.iter().any(mentions_len),
        Expr::Var(_) | Expr::Lit(_) => false,
    }
}

/// Which variables' values the reverse sweep reads: every real that appears other than
/// as a term of a sum, and every variable an opaque expression reads (call arguments,
/// indices, lengths). Branch and loop conditions are replayed from the tape, not read.
pub(super) fn value_needed(f: &Function, body: &[Stmt]) -> Vec<bool> {
    fn expr(e: &Expr, linear: bool, needed: &mut [bool]) {
        match e {
            Expr::Var(v) => needed[*v] |= !linear,
            Expr::Index(_, i) => i.reads.iter().for_each(|&r| needed[r] = true),
            Expr::Lit(_) => {}
            Expr::Const(o) => o.reads.iter().for_each(|&r| needed[r] = true),
            Expr::Apply(op, args) => {
                let sum = linear && matches!(op, Op::Add | Op::Sub | Op::Neg);
                args.iter().for_each(|a| expr(a, sum, needed));
            }
            Expr::Powi(b, n) => {
                expr(b, false, needed);
                n.reads.iter().for_each(|&r| needed[r] = true);
            }
        }
    }
    let mut needed = vec![false; f.vars.len()];
    let opaque = |o: &Opaque, needed: &mut [bool]| o.reads.iter().for_each(|&r| needed[r] = true);
    visit_stmts(body, &mut |s| match s {
        Stmt::Let {
            init: Some(rhs), ..
        }
        | Stmt::Assign { rhs, .. } => match rhs {
            Rhs::Real(e) => expr(e, true, &mut needed),
            Rhs::Vec(VecExpr::Filled(e, n)) => {
                expr(e, true, &mut needed);
                opaque(n, &mut needed);
            }
            Rhs::Vec(VecExpr::List(items)) => items.iter().for_each(|e| expr(e, true, &mut needed)),
            Rhs::Vec(VecExpr::Empty(Some(n)) | VecExpr::Overwritten(n)) | Rhs::Opaque(n) => {
                opaque(n, &mut needed)
            }
            Rhs::Vec(_) => {}
        },
        Stmt::Store { index, value, .. } => {
            opaque(index, &mut needed);
            expr(value, true, &mut needed);
        }
        Stmt::Push { value, .. } => expr(value, true, &mut needed),
        Stmt::Call { call, .. } => {
            for a in &call.args {
                if let Arg::Other(o) = a {
                    opaque(o, &mut needed);
                }
            }
        }
        _ => {}
    });
    needed
}

//! What the adjoint must record: pure analyses of the IR (which values the reverse
//! sweep reads, which locals it recomputes, what a block declares or assigns).

use proc_macro2::TokenStream;

use crate::analyse::expr_active;
use crate::ir::*;
use crate::rules::{self, Op};

/// `assigned[v]`: whether `body` declares or assigns `v` anywhere, nested blocks included.
pub(super) fn assigned_in(nvars: usize, body: &[Stmt]) -> Vec<bool> {
    let mut assigned = vec![false; nvars];
    visit_stmts(body, &mut |s| {
        if let Stmt::Let { var, .. } | Stmt::For { var, .. } = s {
            assigned[*var] = true;
        }
        s.for_each_write(|v| assigned[v] = true);
    });
    assigned
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
            Stmt::Assign { .. }
            | Stmt::Store { .. }
            | Stmt::Push { .. }
            | Stmt::Call { declare: false, .. }
            | Stmt::For { .. }
            | Stmt::While { .. }
            | Stmt::If { .. }
            | Stmt::Return(_)
            | Stmt::Block(_) => {}
        }
    }
    out
}

/// The initializer tokens of an integer `let` in `body`, to give its type to a pop.
pub(super) fn let_init(body: &[Stmt], v: VarId) -> Option<TokenStream> {
    body.iter().find_map(|s| {
        let Stmt::Let {
            var,
            init: Some(Rhs::Opaque(o)),
        } = s
        else {
            return None;
        };
        (*var == v).then(|| o.tokens.clone())
    })
}

/// Values that stay put for the whole call: parameters nobody assigns (not the output)
/// and their directions, loop variables, and integers set once from such values
/// (`let n = x.len();`).
pub(super) fn stable_vars(f: &Function, body: &[Stmt]) -> Vec<bool> {
    let (assigned, lets) = writes_and_lets(f, body);
    let mut loop_vars = vec![false; f.vars.len()];
    visit_stmts(body, &mut |s| {
        if let Stmt::For { var, .. } = s {
            loop_vars[*var] = true;
        }
    });
    let output = f.output_param().map(|p| p.var);
    let mut stable: Vec<bool> = (0..f.vars.len())
        .map(|v| !assigned[v] && (loop_vars[v] || f.vars[v].is_param() && output != Some(v)))
        .collect();
    // The directions of a tangent function's input, a parameter nobody assigns.
    for p in &f.params {
        if let (true, Some(d)) = (stable[p.var], f.vars[p.var].deriv) {
            stable[d] |= !assigned[d];
        }
    }
    // Integers set once from stable values (`let n = x.len();`) are stable too.
    loop {
        let mut changed = false;
        for (v, rhs) in &lets {
            if let (Rhs::Opaque(o), false, Ty::Int) =
                (rhs, stable[*v] || assigned[*v], f.vars[*v].ty)
            {
                if stable_opaque(f, &stable, o) {
                    stable[*v] = true;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    stable
}

/// Which variables `body` writes, and its initialized `let`s in order.
fn writes_and_lets(f: &Function, body: &[Stmt]) -> (Vec<bool>, Vec<(VarId, Rhs)>) {
    let mut assigned = vec![false; f.vars.len()];
    let mut lets = Vec::new();
    visit_stmts(body, &mut |s| {
        if let Stmt::Let {
            var,
            init: Some(rhs),
        } = s
        {
            lets.push((*var, rhs.clone()));
        }
        s.for_each_write(|v| assigned[v] = true);
    });
    (assigned, lets)
}

/// Whether an opaque expression (a branch condition) reads only stable values, so the
/// reverse sweep may evaluate it again instead of reading the branch from the tape.
pub(super) fn stable_opaque(f: &Function, stable: &[bool], o: &Opaque) -> bool {
    let params: Vec<String> = f
        .params
        .iter()
        .filter(|p| Some(p.var) != f.output_param().map(|p| p.var))
        .map(|p| f.vars[p.var].name.to_string())
        .collect();
    let lens_ok = len_targets(&o.tokens).iter().all(|t| params.contains(t));
    lens_ok
        && o.reads
            .iter()
            .all(|&r| stable.get(r).copied().unwrap_or(false))
}

/// Scalar locals (and, in tangent code, their lanes), declared once and never assigned,
/// whose initializer reads only stable values ([`stable_vars`]) and other such locals.
/// A reverse block recomputes them: cheaper than a push and a pop. A local read by
/// another is declared before it, in its block or an enclosing one, and the reverse
/// block recomputes its locals in order at its start, so the chain is there to read.
pub(super) fn recomputable(
    f: &Function,
    body: &[Stmt],
    stable: &[bool],
) -> std::collections::HashMap<VarId, Rhs> {
    let (assigned, lets) = writes_and_lets(f, body);
    // Reals set from stable values or from such reals, to a fixed point.
    let mut out = std::collections::HashMap::new();
    loop {
        let mut changed = false;
        for (v, rhs) in &lets {
            let Rhs::Real(e) = rhs else { continue };
            if out.contains_key(v) || assigned[*v] || f.vars[*v].ty != Ty::Real {
                continue;
            }
            let mut ok = true;
            e.for_each_read(&mut |r| ok &= stable[r] || out.contains_key(&r));
            // Opaque parts do not list the vectors whose length they read.
            if ok && !mentions_len(e) {
                out.insert(*v, rhs.clone());
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    out
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
        Expr::Int(n) => opaque(n),
        Expr::Apply(_, args) => args.iter().any(mentions_len),
        Expr::Var(_) | Expr::Lit(_) => false,
    }
}

/// Which variables' values the reverse sweep reads: every real (or vector, for its
/// elements) that a partial of an active argument reads by the table of rules (`b` in
/// `a * b` where `a` has an adjoint; not the terms of a sum), what a needed value is
/// computed from, and every variable an opaque expression reads (call arguments,
/// indices, lengths). A vector copied or moved into a needed one is needed, and so is
/// every vector a call reads. Branch and loop conditions are replayed from the tape,
/// not read.
pub(super) fn value_needed(f: &Function, body: &[Stmt]) -> Vec<bool> {
    let mut needed = vec![false; f.vars.len()];
    let vars = &f.vars;
    let opaque = |o: &Opaque, needed: &mut [bool]| o.reads.iter().for_each(|&r| needed[r] = true);
    // `y = z` and `y = z.clone()`: `z` is needed where `y` is.
    let mut flows = Vec::new();
    visit_stmts(body, &mut |s| match s {
        Stmt::Let {
            var,
            init: Some(rhs),
        }
        | Stmt::Assign { var, rhs, .. } => match rhs {
            Rhs::Real(e) => read_by_partials(e, false, vars, &mut needed),
            Rhs::Vec(VecExpr::Filled(e, n)) => {
                read_by_partials(e, false, vars, &mut needed);
                opaque(n, &mut needed);
            }
            Rhs::Vec(VecExpr::List(items)) => items
                .iter()
                .for_each(|e| read_by_partials(e, false, vars, &mut needed)),
            Rhs::Vec(VecExpr::Empty(Some(n)) | VecExpr::Overwritten(n)) | Rhs::Opaque(n) => {
                opaque(n, &mut needed)
            }
            Rhs::Vec(VecExpr::Copy(from) | VecExpr::Move(from)) => flows.push((*from, *var)),
            Rhs::Vec(VecExpr::Empty(None)) => {}
        },
        Stmt::Store { index, value, .. } => {
            opaque(index, &mut needed);
            read_by_partials(value, false, vars, &mut needed);
        }
        Stmt::Push { value, .. } => read_by_partials(value, false, vars, &mut needed),
        Stmt::Call { call, .. } => {
            for a in &call.args {
                match a {
                    Arg::Other(o) => opaque(o, &mut needed),
                    Arg::Vec(v, range) => {
                        needed[*v] = true;
                        range.iter().for_each(|r| opaque(r, &mut needed));
                    }
                    Arg::Out(v) => needed[*v] = true,
                }
            }
        }
        Stmt::Let { init: None, .. }
        | Stmt::For { .. }
        | Stmt::While { .. }
        | Stmt::If { .. }
        | Stmt::Return(_)
        | Stmt::Block(_) => {}
    });
    while let Some(&(from, _)) = flows
        .iter()
        .find(|&&(from, to)| needed[to] && !needed[from])
    {
        needed[from] = true;
    }
    needed
}

/// Marks what the reverse sweep reads of `e`: its own value where `read` (a partial
/// outside reads it), and in its operations the arguments [`partials_read`] says.
fn read_by_partials(e: &Expr, read: bool, vars: &[Var], needed: &mut [bool]) {
    match e {
        Expr::Var(v) => needed[*v] |= read,
        Expr::Index(v, i) => {
            needed[*v] |= read;
            i.reads.iter().for_each(|&r| needed[r] = true)
        }
        Expr::Lit(_) => {}
        Expr::Const(o) | Expr::Int(o) => o.reads.iter().for_each(|&r| needed[r] = true),
        Expr::Apply(op, args) => {
            let by_partials = partials_read(*op, args, vars);
            for (a, by_partials) in args.iter().zip(by_partials) {
                // A value that is read is computed again from all its arguments.
                read_by_partials(a, read || by_partials, vars, needed);
            }
        }
    }
}

/// Which arguments of `op` the partials of its active arguments read, from the table of
/// rules: each argument stands in as a variable past the function's own, so `d(a b)/da
/// = b` reads `b`; a partial that reads the result (`exp`, `tanh`) reads them all.
fn partials_read(op: Op, args: &[Expr], vars: &[Var]) -> Vec<bool> {
    let stand_in = |k: usize| vars.len() + k;
    let result = stand_in(args.len());
    let stand_ins: Vec<Expr> = args
        .iter()
        .enumerate()
        .map(|(k, a)| match a {
            // Integer operands stay as written (`powi`'s exponent).
            Expr::Int(_) => a.clone(),
            _ => Expr::Var(stand_in(k)),
        })
        .collect();
    let partials = rules::partials(op, &stand_ins, &Expr::Var(result));
    let read: Vec<&Expr> = args
        .iter()
        .zip(&partials)
        .filter(|(a, _)| expr_active(a, vars))
        .filter_map(|(_, p)| p.as_ref())
        .collect();
    (0..args.len())
        .map(|k| read.iter().any(|p| p.reads(stand_in(k)) || p.reads(result)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::lowered;
    use quote::quote;

    /// The names of the variables `flags` marks, sorted.
    fn flagged(f: &Function, flags: &[bool]) -> Vec<String> {
        let mut names: Vec<String> = (0..flags.len())
            .filter(|&v| flags[v])
            .map(|v| f.vars[v].name.to_string())
            .collect();
        names.sort();
        names
    }

    fn find(f: &Function, name: &str) -> VarId {
        (0..f.vars.len())
            .find(|&v| f.vars[v].name == name)
            .unwrap_or_else(|| panic!("no `{name}`"))
    }

    /// A store saves what it overwrites only into a vector whose elements a partial
    /// reads, directly or through a copy or move: `z`, moved into `y`, whose elements
    /// are factors; not `w` and its copy `u`, whose elements enter a sum, nor `x`, only
    /// ever multiplied by a constant.
    #[test]
    fn a_vector_is_needed_where_a_partial_reads_its_elements_or_a_copy_of_them() {
        let f = lowered(quote! {
            fn f(x: &[f64]) -> f64 {
                let mut z = vec![0.0; x.len()];
                let mut w = vec![0.0; x.len()];
                for i in 0..x.len() {
                    z[i] = x[i] * 2.0;
                    w[i] = x[i] + 1.0;
                }
                let y = z;
                let u = w.clone();
                y[0] * y[1] + u[0]
            }
        });
        assert_eq!(flagged(&f, &value_needed(&f, &f.body)), ["i", "y", "z"]);
    }

    #[test]
    fn the_reverse_sweep_needs_what_partials_and_indices_read_not_terms_of_sums() {
        let f = lowered(quote! {
            fn f(x: &[f64], c: f64) -> f64 {
                let n = x.len();
                let mut s = 0.0;
                let mut p = 1.0;
                let mut k = 0;
                for i in 0..n {
                    let t = x[i] * x[i];
                    s += t - c;
                    p = p * x[k];
                    k = (k + 1) % n;
                }
                let r = x[1] + c;
                let q = r.powi(2);
                let m = 3;
                let v = vec![c; m];
                s + q + v[0] + p
            }
        });
        // `s`, `t`, `c` only enter sums, and so do the elements of `v`; `p` and the
        // elements of `x` are factors, `r` the base of a power; `i` and `k` index; `n`
        // and `m` are read by an integer and a length.
        assert_eq!(
            flagged(&f, &value_needed(&f, &f.body)),
            ["i", "k", "m", "n", "p", "r", "x"]
        );
    }

    #[test]
    fn locals_set_once_from_stable_values_are_recomputed() {
        let f = lowered(quote! {
            fn f(x: &[f64], y: &mut [f64], c: f64) {
                let n = x.len();
                let m = n - 1;
                let v = x.to_vec();
                let nv = v.len();
                let ny = y.len();
                let mut s = 0.0;
                let mut j = 0;
                for i in 0..n {
                    let t = x[i] * x[m] + c;
                    let u = s * 2.0;
                    let w = x[j];
                    let z = y[i];
                    let a = x[nv] + x[ny];
                    let q = x[i] * (x.len() as f64);
                    let mut r = x[i];
                    r = r * r;
                    s += t + u + w + z + a + q + r;
                    j = i;
                }
                y[0] = s;
            }
        });
        // `m` is an integer from stable values, so stable. Not recomputed: `u` reads an
        // assigned real, `w` an assigned integer, `z` the output, `a` integers from
        // lengths of a local and of the output, `q` a length (opaque parts do not list
        // it), and `r` is assigned.
        let mut names: Vec<String> = recomputable(&f, &f.body, &stable_vars(&f, &f.body))
            .keys()
            .map(|&v| f.vars[v].name.to_string())
            .collect();
        names.sort();
        assert_eq!(names, ["t"]);
        // The output is worked on as a local: never stable, even where not written.
        let f = lowered(quote! {
            fn f(x: &[f64], y: &mut [f64]) {
                for i in 0..2 {
                    let z = y[i] * x[i];
                }
            }
        });
        assert!(recomputable(&f, &f.body, &stable_vars(&f, &f.body)).is_empty());
    }

    #[test]
    fn what_a_block_declares_and_what_it_assigns() {
        let f = lowered(quote! {
            fn f(x: &[f64], y: &mut [f64]) {
                let n = x.len();
                let mut s = 0.0;
                let mut v = vec![0.0; n];
                let mut w = Vec::new();
                let mut o = vec![0.0; 2];
                let r = h(x);
                for i in 0..n {
                    let t = x[i] * x[i];
                    s += t;
                    v[i] = t;
                    w.push(t);
                    for _j in 0..2 {
                        g(x, &mut o);
                    }
                }
                y[0] = s + v[0] + w[0] + o[0] + r;
            }
        });
        let names = |vs: Vec<VarId>| -> Vec<String> {
            vs.into_iter().map(|v| f.vars[v].name.to_string()).collect()
        };
        // The top block's own locals in order (a call's result too), not the loop's.
        assert_eq!(names(block_locals(&f.body)), ["n", "s", "v", "w", "o", "r"]);
        let Some(Stmt::For { body, .. }) = f.body.iter().find(|s| matches!(s, Stmt::For { .. }))
        else {
            panic!("a loop")
        };
        assert_eq!(names(block_locals(body)), ["t"]);
        // Declared or written anywhere in the loop body, nested loops included.
        let assigned = assigned_in(f.vars.len(), body);
        assert_eq!(flagged(&f, &assigned), ["_j", "o", "s", "t", "v", "w"]);
        // An integer `let` gives its initializer, to type a pop; a real's does not.
        let init = let_init(&f.body, find(&f, "n")).map(|t| t.to_string());
        assert_eq!(init.as_deref(), Some("x . len ()"));
        assert!(let_init(&f.body, find(&f, "s")).is_none());
    }

    #[test]
    fn the_vectors_whose_length_tokens_read() {
        let targets = len_targets(&quote!(x.len() + (y.len() - g(z).len()) * len));
        assert_eq!(targets, ["x", "y", "", ""]);
        assert!(len_targets(&quote!(x[i] + n)).is_empty());
    }
}

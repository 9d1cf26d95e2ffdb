//! Local sparsity: the decisions a run makes on active reals, recorded by one hidden
//! function and replayed by another.
//!
//! - `__asd_decisions_f` is the primal ([`Emitter`](crate::emit::Emitter) with
//!   `record`) that records, in execution order, the arm every branch on an active real
//!   takes and the operand every `max`/`min` of an active real chooses:
//!
//!   ```text
//!   if x[i] > 0.0 { .. }     if Decisions::branch(rec, 12, (x[i] > 0.0)) { .. }
//!   y[i] = x[i].max(x[j]);   y[i] = ({ let a = x[i]; let b = x[j]; Decisions::max(rec, a, b) });
//!   ```
//!
//! - `__asd_trace_local_f` is the first-order [`Tracer`](crate::trace::Tracer) in replay
//!   mode: a branch on an active real takes the recorded arm instead of running both, and
//!   an expression with a recorded `max`/`min` unites only the leaves on the chosen side
//!   (both on a tie):
//!
//!   ```text
//!   if x[i] > 0.0 { .. }     if rep.branch() { .. }
//!   y[i] = x[i].max(x[j]);   y[i] = { let c0 = rep.choice(); let mut s = IndexSet::new();
//!                                     if c0.first() { s.union_with(&x[i]); }
//!                                     if c0.second() { s.union_with(&x[j]); } s };
//!   ```
//!
//! Both walk the same analysed IR, so they meet the same decisions in the same order: a
//! statement's recorded nodes in evaluation order (arguments left to right, then the
//! node), statements in the order they run. Calls of other annotated functions are not
//! followed: the recording primal calls the plain callee, the local tracer the callee's
//! global tracer, so a callee's part of the pattern is its global one.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use crate::analyse::expr_active;
use crate::emit::Prec;
use crate::ir::{Expr, Function, Opaque};
use crate::names::rt;
use crate::rules::{self, Op};
use crate::trace::{Domain, Leaf};

/// Whether `e` is a node whose decision is recorded: `max` or `min` with an active operand.
pub(crate) fn records(e: &Expr, f: &Function) -> bool {
    matches!(e, Expr::Apply(Op::Max | Op::Min, args) if args.iter().any(|a| expr_active(a, &f.vars)))
}

/// Whether `e` has a recorded node anywhere.
pub(crate) fn has_records(e: &Expr, f: &Function) -> bool {
    records(e, f) || matches!(e, Expr::Apply(_, args) if args.iter().any(|a| has_records(a, f)))
}

/// The source line of a span, `0` where the compiler does not tell.
fn line(span: Span) -> Literal {
    Literal::u32_unsuffixed(u32::try_from(span.start().line).unwrap_or(0))
}

/// The condition of a branch on an active real, recorded in `rec`.
pub(crate) fn record_branch(rec: &Ident, cond: &Opaque) -> TokenStream {
    let rt = rt();
    let c = &cond.tokens;
    let line = line(cond.span);
    quote!(#rt::Decisions::branch(#rec, #line, (#c)))
}

/// `max`/`min` of the emitted operands `parts`, recorded in `rec`. The operands are
/// bound first: they may record decisions of their own, through the same `rec`.
pub(crate) fn record_choice(
    rec: &Ident,
    op: Op,
    parts: Vec<(TokenStream, Prec)>,
) -> (TokenStream, Prec) {
    let rt = rt();
    let m = Ident::new(if op == Op::Max { "max" } else { "min" }, Span::call_site());
    let (a, b) = (
        Ident::new("a", Span::mixed_site()),
        Ident::new("b", Span::mixed_site()),
    );
    let mut parts = parts.into_iter().map(|(t, _)| t);
    let (pa, pb) = (parts.next(), parts.next());
    (
        quote!(({ let #a: f64 = #pa; let #b: f64 = #pb; #rt::Decisions::#m(#rec, #a, #b) })),
        Prec::Atom,
    )
}

/// The recorded nodes of `e` in evaluation order (arguments, then the node).
fn recorded_nodes<'e>(e: &'e Expr, f: &Function, out: &mut Vec<&'e Expr>) {
    if let Expr::Apply(_, args) = e {
        for a in args {
            recorded_nodes(a, f, out);
        }
        if records(e, f) {
            out.push(e);
        }
    }
}

/// One side of a recorded node: its position in evaluation order and the operand.
type Guard = (usize, usize);

/// The leaves [`leaves`](crate::trace::leaves) finds, each with the sides of recorded
/// nodes it is reached through.
fn guarded_leaves(
    e: &Expr,
    f: &Function,
    nodes: &[&Expr],
    guard: &mut Vec<Guard>,
    out: &mut Vec<(Leaf, Vec<Guard>)>,
) {
    match e {
        Expr::Var(v) if f.vars[*v].active => out.push((Leaf::Var(*v), guard.clone())),
        Expr::Index(v, i) if f.vars[*v].active => {
            out.push((Leaf::Elem(*v, i.clone()), guard.clone()))
        }
        Expr::Var(_) | Expr::Index(..) | Expr::Lit(_) | Expr::Const(_) | Expr::Int(_) => {}
        Expr::Apply(op, args) => {
            let node = nodes.iter().position(|n| std::ptr::eq(*n, e));
            for (k, (a, nz)) in args
                .iter()
                .zip(rules::nonzero_args(*op, args.len()))
                .enumerate()
            {
                if !nz {
                    continue;
                }
                if let Some(n) = node {
                    guard.push((n, k));
                }
                guarded_leaves(a, f, nodes, guard, out);
                if node.is_some() {
                    guard.pop();
                }
            }
        }
    }
}

/// The value of `e`, which has recorded nodes, in the local tracer: each recorded
/// choice read from `rep` in evaluation order, then the union of the leaves on the
/// chosen sides. A domain that cannot take a side ([`Domain::SIDES`] false) reads the
/// choices and keeps both: its pattern is then global in `max`/`min`, still local in
/// branches.
pub(crate) fn replayed_value<D: Domain>(f: &Function, e: &Expr, rep: &Ident) -> TokenStream {
    let mut nodes = Vec::new();
    recorded_nodes(e, f, &mut nodes);
    let choices: Vec<Ident> = (0..nodes.len())
        .map(|k| format_ident!("c{}", k, span = Span::mixed_site()))
        .collect();
    let read = quote!(#(let #choices = #rep.choice();)*);
    if !D::SIDES {
        let value = D::value(f, e);
        return quote!({ #read #value });
    }
    let mut leaves = Vec::new();
    guarded_leaves(e, f, &nodes, &mut Vec::new(), &mut leaves);
    let mut seen = std::collections::BTreeSet::new();
    leaves.retain(|(l, g)| seen.insert((l.key(), g.clone())));
    let ty = D::ty();
    let s = Ident::new("s", Span::mixed_site());
    let unions = leaves.iter().map(|(leaf, guard)| {
        let t = leaf.tokens(f);
        let conds = guard.iter().map(|&(n, side)| {
            let c = &choices[n];
            if side == 0 {
                quote!(#c.first())
            } else {
                quote!(#c.second())
            }
        });
        if guard.is_empty() {
            quote!(#s.union_with(&#t);)
        } else {
            quote!(if #(#conds)&&* { #s.union_with(&#t); })
        }
    });
    quote!({
        #read
        let mut #s = #ty::new();
        #(#unions)*
        #s
    })
}

#[cfg(test)]
mod tests {
    use crate::tests::{flat, generated};
    use quote::quote;

    fn branchy() -> proc_macro2::TokenStream {
        quote! {
            fn f(x: &[f64]) -> Vec<f64> {
                let n = x.len();
                let mut y = vec![0.0; n];
                for i in 0..n {
                    if x[i] > 0.0 {
                        y[i] = x[i] * x[(i + 1) % n];
                    } else {
                        y[i] = x[i].max(x[(i + n - 1) % n]).sin();
                    }
                }
                y
            }
        }
    }

    #[test]
    fn the_recording_primal_records_branches_and_max() {
        let t = flat(&generated(branchy(), "fn __asd_decisions_f"));
        assert!(
            t.contains("if ::asd::__private::Decisions::branch(__rec, 1, (x[i] > 0.0))"),
            "{t}"
        );
        assert!(
            t.contains("let a: f64 = x[i]; let b: f64 = x[(i + n - 1) % n]; ::asd::__private::Decisions::max(__rec, a, b)"),
            "{t}"
        );
    }

    #[test]
    fn the_local_tracer_replays_them() {
        let t = flat(&generated(branchy(), "fn __asd_trace_local_f"));
        assert!(t.contains("if __rep.branch() {"), "{t}");
        assert!(t.contains("let c0 = __rep.choice();"), "{t}");
        assert!(t.contains("if c0.first() { s.union_with(&x[i]); }"), "{t}");
        assert!(
            t.contains("if c0.second() { s.union_with(&x[(i + n - 1) % n]); }"),
            "{t}"
        );
    }
}

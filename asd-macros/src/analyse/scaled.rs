//! Scaled rows: whether every Jacobian row of `f` is a varying multiple of a constant
//! row, `J[i] = s_i(x) a_i`, which the runtime then learns once and scales
//! (`JacobianPrep::with_scaled_rows`).
//!
//! An output that is a function of one affine form of the input has such a row: `y[i] =
//! tanh(b + sum_k w_k x[..])`, and a multiple, a sum with a constant or a function of
//! such a value has one too (chain rule), be it an operation or a call of a function of
//! one real. Each real variable gets the [`Form`] of every value it ever holds, joined,
//! by a fixpoint as the activity analysis: flow-insensitive, which is exact for the
//! shapes this is for and never claims too much. The rows are constant only if which
//! operations run does not depend on the input: no condition may read an active value.

use std::collections::HashMap;

use crate::ir::*;
use crate::rules;

/// What a real value is, as a function of the input: each form contains the ones
/// before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Form {
    /// Does not depend on the input.
    Constant,
    /// `a . x + b`, `a` and `b` constant: its row is constant.
    Affine,
    /// Its row is a varying multiple of a constant one: `g(v)` of an affine or scaled `v`.
    Scaled,
    /// Anything else: `u * v`, `u + g(v)` of two varying values.
    Any,
}

/// Whether the rows of `f`'s Jacobian are varying multiples of constant rows (and not
/// all constant: affine outputs are constant entries, which cost less).
pub fn scaled_rows(f: &Function) -> bool {
    if steers_by_active(f) {
        return false;
    }
    let mut forms = vec![Form::Constant; f.vars.len()];
    forms[f.active_param().var] = Form::Affine;
    let mut changed = true;
    while changed {
        changed = false;
        join_all(f, &mut forms, &mut changed);
    }
    let mut out = Form::Constant;
    match f.output {
        Output::Param(p) => out = forms[f.params[p].var],
        Output::Scalar | Output::Vector => visit_stmts(&f.body, &mut |s| {
            if let Stmt::Return(Some(v)) = s {
                out = out.max(forms[*v]);
            }
        }),
    }
    out == Form::Scaled
}

/// Whether an integer, boolean or condition reads an active value: then which
/// operations run, and so the rows, may depend on the input.
fn steers_by_active(f: &Function) -> bool {
    let mut steers = false;
    let no_names = HashMap::new();
    visit_stmts(&f.body, &mut |s| {
        super::steering_reads(s, &no_names, true, &mut |v| steers |= f.vars[v].active)
    });
    steers
}

fn join(v: VarId, form: Form, forms: &mut [Form], changed: &mut bool) {
    if form > forms[v] {
        forms[v] = form;
        *changed = true;
    }
}

/// One round of the fixpoint: each statement's form joined into what it writes.
fn join_all(f: &Function, forms: &mut [Form], changed: &mut bool) {
    visit_stmts(&f.body, &mut |s| match s.def() {
        Some(Def::Whole(var, rhs)) => {
            let form = match rhs {
                Rhs::Real(e) | Rhs::Vec(VecExpr::Filled(e, _)) => expr(e, f, forms),
                Rhs::Vec(VecExpr::List(items)) => items
                    .iter()
                    .map(|e| expr(e, f, forms))
                    .max()
                    .unwrap_or(Form::Constant),
                Rhs::Vec(VecExpr::Copy(u) | VecExpr::Move(u)) => forms[*u],
                Rhs::Vec(VecExpr::Empty(_) | VecExpr::Overwritten(_)) | Rhs::Opaque(_) => {
                    Form::Constant
                }
            };
            join(var, form, forms, changed);
        }
        Some(Def::Element(vec, value)) => join(vec, expr(value, f, forms), forms, changed),
        // A function of one real is a function of it, whatever it does inside (a branch
        // on it picks its derivative); what another function makes of vectors is not
        // looked into.
        Some(Def::Call(results, call)) => {
            let form = match call.args.iter().find_map(|a| match a {
                Arg::Vec(v, _) => Some(*v),
                Arg::Out(_) | Arg::Other(_) => None,
            }) {
                Some(t) if call.written == Written::OnReal => forms[t].max(Form::Scaled),
                _ => Form::Any,
            };
            for &v in results.iter().chain(call.outputs()) {
                if f.vars[v].active {
                    join(v, form, forms, changed);
                }
            }
        }
        None => {}
    });
}

fn expr(e: &Expr, f: &Function, forms: &[Form]) -> Form {
    match e {
        Expr::Var(v) | Expr::Index(v, _) if f.vars[*v].active => forms[*v],
        Expr::Var(_) | Expr::Index(..) | Expr::Lit(_) | Expr::Const(_) | Expr::Int(_) => {
            Form::Constant
        }
        Expr::Apply(op, args) => {
            let of_args: Vec<Form> = args.iter().map(|a| expr(a, f, forms)).collect();
            let varying: Vec<usize> = (0..args.len())
                .filter(|&i| of_args[i] > Form::Constant)
                .collect();
            let Some(most) = varying.iter().map(|&i| of_args[i]).max() else {
                return Form::Constant;
            };
            // Linear in its varying arguments, with constant coefficients, as the table
            // of rules says: none of them interact, and it has no kink or step (`c * u`,
            // `u / c`, `u + v`, `a.mul_add(b, u)`).
            let linear = !rules::kinked(*op)
                && rules::interactions(*op, args.len())
                    .iter()
                    .all(|(i, j)| !(varying.contains(i) && varying.contains(j)));
            match (linear, varying.len()) {
                // A constant multiple or shift keeps the form; any other function of one
                // value is scaled.
                (true, 1) => most,
                (false, 1) => most.max(Form::Scaled),
                // Of several: only a combination of affine values is a form of them.
                (true, _) if most <= Form::Affine => Form::Affine,
                _ => Form::Any,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn scaled(item: proc_macro2::TokenStream) -> bool {
        scaled_rows(&crate::tests::lowered(item))
    }

    #[test]
    fn a_convolution_then_tanh_has_scaled_rows() {
        assert!(scaled(quote! {
            fn f(x: &[f64], w: &[f64]) -> Vec<f64> {
                let mut y = vec![0.0; x.len() - 2];
                for i in 0..x.len() - 2 {
                    let mut s = 0.1;
                    for k in 0..3 {
                        s += w[k] * x[i + k];
                    }
                    y[i] = 2.0 * s.tanh() + 1.0;
                }
                y
            }
        }));
    }

    #[test]
    fn functions_of_functions_and_output_parameters_have_scaled_rows() {
        assert!(scaled(quote! {
            fn f(x: &[f64], y: &mut [f64]) {
                for i in 0..y.len() {
                    let s = (x[i] - x[i + 1]) / 3.0;
                    y[i] = s.sin().exp() / 2.0;
                }
            }
        }));
    }

    #[test]
    fn a_function_of_one_real_has_scaled_rows_and_of_a_vector_not() {
        assert!(scaled(quote! {
            fn f(x: &[f64]) -> Vec<f64> {
                let mut y = vec![0.0; x.len() - 1];
                for i in 0..x.len() - 1 {
                    y[i] = softplus(x[i] - x[i + 1], 2.0);
                }
                y
            }
        }));
        assert!(!scaled(quote! {
            fn f(x: &[f64]) -> Vec<f64> {
                let v = x.to_vec();
                vec![total(&v), x[0].exp()]
            }
        }));
    }

    #[test]
    fn sums_products_and_branches_on_reals_do_not() {
        // Two functions of the input added: not a multiple of one row.
        assert!(!scaled(quote! {
            fn f(x: &[f64]) -> Vec<f64> {
                let mut y = vec![0.0; x.len() - 1];
                for i in 0..x.len() - 1 {
                    y[i] = x[i].sin() + x[i + 1].cos();
                }
                y
            }
        }));
        // A product of two varying values.
        assert!(!scaled(quote! {
            fn f(x: &[f64]) -> Vec<f64> {
                vec![x[0] * x[1], x[1].exp()]
            }
        }));
        // Which form a row has depends on the input.
        assert!(!scaled(quote! {
            fn f(x: &[f64]) -> Vec<f64> {
                let mut y = vec![0.0; 2];
                if x[0] > 0.0 {
                    y[0] = x[1].tanh();
                } else {
                    y[0] = x[2].tanh();
                }
                y
            }
        }));
        // Affine: constant rows, which constant entries handle.
        assert!(!scaled(quote! {
            fn f(x: &[f64]) -> Vec<f64> {
                vec![x[0] + 2.0 * x[1], x[1]]
            }
        }));
        // A value reassigned with another function of the input added.
        assert!(!scaled(quote! {
            fn f(x: &[f64]) -> f64 {
                let mut s = x[0].tanh();
                for i in 1..x.len() {
                    s = s + x[i];
                }
                s
            }
        }));
    }
}

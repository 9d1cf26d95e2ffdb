//! The `#[sparse_diff]` compiler. One stage per module, and [`expand`] is the list of
//! them: the numeric Rust people write into the core subset ([`desugar`]) → the
//! attribute's arguments and the signature ([`parse`]) → the body into the IR
//! ([`lower`]) → activity ([`analyse`]) → the passes into one [`Generated`] (the
//! [`tangent`] IR, split for the Jacobian kernel by [`kernel`] and emitted by [`emit`]; the [`adjoint`], which also gives Hessian-vector
//! products; the tracers [`trace`] and [`trace2`], and the recording primal and local
//! tracer of [`trace_local`]) → the items ([`items`]).
//!
//! Every pass reads the one table of derivative rules ([`rules`]), in which a call of a
//! user's rule (`rules(g = G)` of the attribute) is one more operation. Errors are collected
//! through every stage and reported together; the driver stops only between stages. On
//! error the original function is emitted unchanged with stub operators, so one mistake
//! does not cascade into "cannot find function `f_jacobian`".

// The stages are private; the crate's docs are read with `--document-private-items`.
#![allow(rustdoc::private_intra_doc_links)]
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::quote;
use syn::ItemFn;

mod adjoint;
mod analyse;
mod desugar;
mod emit;
mod errors;
mod ir;
mod items;
mod kernel;
mod lower;
#[cfg(test)]
mod mutants;
mod names;
mod parse;
#[cfg(test)]
mod print;
mod rules;
mod tangent;
mod trace;
mod trace2;
mod trace_local;

use errors::{Errors, Stop};

/// Differentiates a plain numeric function at compile time. Next to `f`, with its
/// visibility, it generates:
///
/// | generated | meaning |
/// |---|---|
/// | `f_jvp(x, c.., dx) -> (y, dy)` | value and Jacobian-vector product (forward mode) |
/// | `f_vjp(x, c.., dy) -> (y, dx)` | value and vector-Jacobian product (reverse mode) |
/// | `f_gradient(x, c..) -> (f64, Vec<f64>)` | scalar `f` only: value and gradient, one reverse sweep |
/// | `f_hvp(x, c.., v) -> Vec<f64>` | scalar `f` only: Hessian-vector product, reverse over forward |
/// | `f_jacobian_sparsity(x, c..) -> SparsityPattern` | the global Jacobian pattern: it holds for every input |
/// | `f_jacobian_sparsity_local(x, c..) -> SparsityPattern` | the local pattern at `x`: the branches taken and `max`/`min` operands chosen there |
/// | `f_hessian_sparsity(x, c..) -> SparsityPattern` | scalar `f` only: the global Hessian pattern |
/// | `f_hessian_sparsity_local(x, c..) -> SparsityPattern` | scalar `f` only: the Hessian pattern along the branches taken at `x` |
/// | `f_explain(x, c.., i, j) -> Explanation`, `f_explain_local` | why `(i, j)` is in the Jacobian pattern (global, or local at `x`): the statements from `x[j]` to output `i` |
/// | `f_jacobian(x, c..) -> CsMat<f64>` | one-shot sparse Jacobian |
/// | `f_jacobian_prepare(x, c..)`, `f_jacobian_prepare_with(x, c.., &JacobianOptions)` | pattern, coloring, seeds and buffers, once |
/// | `f_jacobian_prepared(&mut prep, x, c..) -> &CsMat<f64>` | reuses the preparation: no allocation |
/// | `f_jacobian_prepared_checked(&mut prep, x, c..) -> Result<&CsMat<f64>, BranchSwitch>` | the same; a local preparation (`JacobianOptions::local`) whose decisions switched at `x` returns the switch or prepares again, where `f_jacobian_prepared` panics |
/// | `f_hessian(x, c..)`, `f_hessian_prepare[_with]`, `f_hessian_prepared` | the same for Hessians of scalar `f` (star coloring) |
/// | `f_value_and_jacobian[_prepared]` | value and sparse Jacobian (returned values) |
/// | `f_value_gradient_and_hessian(x, c..)`, `f_value_gradient_and_hessian_prepared(&mut prep, x, c.., g)` | scalar `f`: value, gradient and sparse Hessian |
/// | `f_jvp_into(x, c.., dx, y, dy)`, `f_vjp_into(x, c.., dy, y, dx)` | in place, lengths checked (scalar `f`: `f_vjp_into(x, c.., dy, dx) -> f64`) |
/// | `f_gradient_into(x, c.., g) -> f64`, `f_hvp_into(x, c.., v, hv)` | scalar `f`, in place |
/// | `f_jacobian_prepared_into`, `f_hessian_prepared_into(&mut prep, x, c.., &mut m)` | into the caller's `CsMat` of the prepared structure, checked |
/// | `f_jvp_batch::<L>`, `f_vjp_batch::<L>`, `f_hvp_batch::<L>(x, c.., &dirs)` | several directions, `L` lanes per sweep |
/// | `f_hvp_prepare_same_point(&mut prep, x, c..) -> HvpSamePoint` | scalar `f`: many `H v` at one `x`, the prepared Hessian evaluated once |
/// | `f_derivative(t, c..)`, `f_value_and_derivative`, `f_second_derivative`, `f_value_derivative_and_second_derivative` | functions of one real `t: f64` |
///
/// The active input `x` is the first `&[f64]` parameter, or the one named by
/// `#[sparse_diff(wrt = name)]`, or with no `&[f64]` the first `f64` (a function of one
/// real `t`, compiled as one of `[t]`); the output is the returned `f64`, `Vec<f64>` or
/// `[f64; N]` (whose operators return a `Vec<f64>` value),
/// or one `&mut [f64]` parameter; the other parameters `c..` are constants, passed
/// through. The README maps DifferentiationInterface.jl's operators to these.
/// See the `asd` crate for examples and the supported language.
///
/// `#[sparse_diff(rules(g = G, m::h = H))]` differentiates calls of functions the macro
/// cannot see into through rules the user writes: `g(a, b)` in the body (the path as the
/// attribute writes it) is evaluated and differentiated by `G: asd::Rule<2>` (its
/// `value`, `gradient`, `hessian` and sparsity class) in every generated function, while
/// the function itself keeps calling `g`.
#[proc_macro_attribute]
pub fn sparse_diff(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(attr.into(), item.into()).into()
}

/// The driver: every stage in order, checked between stages.
fn expand(attr: Tokens, item: Tokens) -> Tokens {
    let item_fn: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let err = syn::Error::new_spanned(&item, "#[sparse_diff] applies to a function")
                .to_compile_error();
            return quote!(#item #err);
        }
    };
    let mut errors = Errors::default();
    let args: parse::Args = syn::parse2(attr).unwrap_or_else(|e| {
        errors.push(e);
        parse::Args::default()
    });
    let (mut core, generic) = desugar::desugar(&item_fn, &mut errors);
    let Some(sig) = parse::signature(&core, &args, &mut errors) else {
        let errs = errors.to_compile_errors();
        return quote!(#item_fn #errs);
    };
    if sig.scalar_input {
        parse::scalar_input(&mut core, &sig);
    }
    let generated = compile(&core, &sig, &mut errors).ok();
    let name = &item_fn.sig.ident;
    let items = items::Items {
        sig: &sig,
        name,
        primal: if generic {
            quote!(#name::<f64>)
        } else {
            quote!(#name)
        },
        vis: &item_fn.vis,
        // The desugaring turned `fn f(x: &mut [f64])` into a map returning `Vec<f64>`.
        in_place: matches!(item_fn.sig.output, syn::ReturnType::Default)
            && sig.output == ir::Output::Vector,
        fallible: desugar::fallible::ok_type(&item_fn.sig.output).is_some(),
        array: desugar::array::returns_array(&item_fn.sig),
        generated: generated.as_ref(),
    }
    .emit();
    let errs = errors.to_compile_errors();
    quote! {
        #item_fn
        #items
        #errs
    }
}

/// The body's stages (of the desugared function): lower, analyse, then every pass.
fn compile(
    item_fn: &ItemFn,
    sig: &parse::Signature,
    errors: &mut Errors,
) -> Result<Generated, Stop> {
    errors.check()?; // the desugaring's, and the attribute's
    let mut primal = lower::lower(item_fn, sig, errors);
    errors.check()?;
    analyse::analyse(&mut primal, errors);
    errors.check()?;
    let mut generated = Generated::new(&primal, &item_fn.sig.ident.to_string());
    generated.local_items = item_fn
        .block
        .stmts
        .iter()
        .filter(|s| matches!(s, syn::Stmt::Item(_)))
        .map(|s| quote!(#s))
        .collect();
    Ok(generated)
}

/// What the passes make of one analysed function: the bodies of its hidden functions,
/// which [`items`] wraps into items and calls from the operators.
pub(crate) struct Generated {
    /// `__asd_tangent_f`: forward mode with `L` lanes.
    tangent: Tokens,
    /// `__asd_derivs_f`: the tangent without the values nothing reads, for the Jacobian
    /// kernel; for functions that return their value.
    derivs: Option<Tokens>,
    /// `__asd_trace_f`: first-order sparsity.
    trace: Tokens,
    /// `__asd_trace2_f`: second-order sparsity.
    trace2: Tokens,
    /// No kink of its own: with its callees', what `__asd_smooth_f` is made of.
    smooth: bool,
    /// What it calls: `__asd_smooth_f` and `__asd_calls_on_constants_f` ask the callees.
    calls: analyse::Calls,
    /// Its Jacobian rows are varying multiples of constant rows
    /// ([`analyse::scaled_rows`]): its preparations learn them.
    scaled_rows: bool,
    /// `__asd_decisions_f`: the primal that records its decisions on active reals.
    decisions: Tokens,
    /// `__asd_value_f`: the primal in the workspace.
    value: Tokens,
    /// `__asd_trace_local_f`: first-order sparsity along recorded decisions.
    trace_local: Tokens,
    /// `__asd_trace2_local_f`: second-order sparsity along recorded branches (`max`
    /// and `min` keep both operands), for scalar functions.
    trace2_local: Option<Tokens>,
    /// `__asd_adjoint_f`: reverse mode.
    adjoint: adjoint::AdjointFn,
    /// `__asd_tangent_adjoint_f`: the adjoint of the tangent code, which callers'
    /// Hessian-vector products reverse through.
    tangent_adjoint: Option<adjoint::AdjointFn>,
    /// `__asd_hvp_f`, for scalar functions whose second order is generated.
    hvp: Option<adjoint::AdjointFn>,
    /// The items of the user's body (`const`s, helper `fn`s, `use`s): every hidden
    /// function declares them again, since its body is built from that body.
    local_items: Tokens,
    /// It reads its output parameter's values from the caller
    /// ([`analyse::reads_output_first`]): the operators restore them before each sweep.
    reads_output: bool,
    /// The parameters a preparation depends on ([`analyse::structural_params`]), by
    /// position.
    structural: Vec<bool>,
}

impl Generated {
    fn new(primal: &ir::Function, name: &str) -> Generated {
        let differentiated = analyse::for_derivatives(primal);
        let tangent = tangent::tangent(&differentiated);
        let tangent_body = kernel::split_loops(&tangent, &tangent.body);
        let derivs = match primal.output {
            ir::Output::Param(_) => None,
            ir::Output::Scalar | ir::Output::Vector => {
                let body = kernel::derivatives_only(&tangent, &tangent_body);
                let mut emitter = emit::Emitter::new(&tangent);
                emitter.view_input = true;
                let input = Some(tangent.active_param())
                    .filter(|p| tangent.vars[p.var].ty == ir::Ty::RealVec);
                let lanes = proc_macro2::Ident::new("seed_lanes", proc_macro2::Span::mixed_site());
                emitter.unit_seeds = input
                    .and_then(|p| tangent.vars[p.var].deriv)
                    .map(|d| (d, lanes.clone()));
                let body = emitter.block(&body);
                Some(match input {
                    Some(p) if emitter.unit_seeds_used => {
                        let (x, ws) = (&tangent.vars[p.var].name, &emitter.ws);
                        quote::quote!(let #lanes = #ws.unit_lanes(#x.len()); #body)
                    }
                    _ => body,
                })
            }
        };
        Generated {
            tangent: emit::Emitter::new(&tangent).block(&tangent_body),
            derivs,
            trace: trace::Trace::new(primal, name).body(),
            trace2: trace2::Trace2::new(primal, name).body(),
            smooth: trace2::smooth(primal),
            calls: analyse::calls(primal),
            scaled_rows: analyse::scaled_rows(primal),
            decisions: {
                let mut e = emit::Emitter::new(primal);
                e.record = Some(proc_macro2::Ident::new(
                    "__rec",
                    proc_macro2::Span::mixed_site(),
                ));
                e.block(&primal.body)
            },
            value: {
                let mut e = emit::Emitter::new(primal);
                e.value = true;
                e.block(&primal.body)
            },
            trace_local: trace::Trace::local(
                primal,
                name,
                proc_macro2::Ident::new("__rep", proc_macro2::Span::mixed_site()),
            )
            .body(),
            trace2_local: (primal.output == ir::Output::Scalar).then(|| {
                trace2::Trace2::local(
                    primal,
                    name,
                    proc_macro2::Ident::new("__rep", proc_macro2::Span::mixed_site()),
                )
                .body()
            }),
            adjoint: adjoint::adjoint(&differentiated),
            tangent_adjoint: adjoint::tangent_adjoint(&tangent),
            hvp: adjoint::hvp(&tangent),
            local_items: Tokens::new(),
            reads_output: analyse::reads_output_first(primal),
            structural: analyse::structural_params(primal),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn pretty(attr: proc_macro2::TokenStream, item: proc_macro2::TokenStream) -> String {
        let out = expand(attr, item);
        match syn::parse2::<syn::File>(out.clone()) {
            Ok(file) => prettyplease::unparse(&file),
            Err(e) => format!("unparsable output ({e}):\n{out}"),
        }
    }

    /// iter_diff as a user writes it: a vector the next loop wholly writes, in a loop.
    pub(crate) fn iter_diff() -> proc_macro2::TokenStream {
        quote! {
            fn f(x: &[f64], k: usize) -> Vec<f64> {
                let mut y = x.to_vec();
                for _ in 0..k {
                    let mut z = vec![0.0; y.len() - 1];
                    for i in 0..y.len() - 1 {
                        z[i] = y[i + 1] - y[i];
                    }
                    y = z;
                }
                y
            }
        }
    }

    /// The banded map of the benches: a three-point stencil plus `x[i]` cubed, which
    /// reads `x[i]` four times in one expression.
    pub(crate) fn banded() -> proc_macro2::TokenStream {
        quote! {
            fn f(x: &[f64]) -> Vec<f64> {
                let n = x.len();
                let mut y = vec![0.0; n];
                for i in 1..n - 1 {
                    y[i] = x[i - 1] - 2.0 * x[i] + x[i + 1] + x[i] * x[i] * x[i];
                }
                y
            }
        }
    }

    /// An early return inside a loop, then a block with a local of its own.
    pub(crate) fn early_return() -> proc_macro2::TokenStream {
        quote! {
            fn f(x: &[f64], stop: usize) -> f64 {
                let mut s = 0.0;
                for i in 0..x.len() {
                    if i == stop {
                        return s * x[i];
                    }
                    s += x[i] * x[i];
                }
                {
                    let t = s * 2.0;
                    s = t;
                }
                s
            }
        }
    }

    /// The generated item that starts with `start` (`"fn __asd_adjoint_f"`), from the
    /// pretty-printed expansion of `item`.
    pub(crate) fn generated(item: proc_macro2::TokenStream, start: &str) -> String {
        let s = pretty(quote!(), item);
        let from = s
            .find(start)
            .unwrap_or_else(|| panic!("no `{start}` in:\n{s}"));
        let to = s[from..].find("\n}\n").map_or(s.len(), |e| from + e + 3);
        s[from..to].to_string()
    }

    /// `item` through the stages up to activity: the IR the passes start from.
    pub(crate) fn lowered(item: proc_macro2::TokenStream) -> ir::Function {
        let item_fn: ItemFn = syn::parse2(item).expect("a function");
        let mut errors = errors::Errors::default();
        let sig = parse::signature(&item_fn, &parse::Args::default(), &mut errors)
            .expect("a supported signature");
        let mut f = lower::lower(&item_fn, &sig, &mut errors);
        analyse::analyse(&mut f, &mut errors);
        assert!(errors.is_empty(), "{}", errors.to_compile_errors());
        f
    }

    /// The Rust that IR statements read as, on one line (whitespace collapsed): what
    /// tests of IR-to-IR passes assert on.
    pub(crate) fn rust(f: &ir::Function, body: &[ir::Stmt]) -> String {
        let tokens = emit::Emitter::new(f).block(body);
        let file = syn::parse2::<syn::File>(quote!(fn body() { #tokens }))
            .unwrap_or_else(|e| panic!("unparsable IR ({e}): {tokens}"));
        let s = flat(&prettyplease::unparse(&file));
        let inner = s
            .strip_prefix("fn body() {")
            .and_then(|s| s.strip_suffix('}'));
        inner.expect("the wrapper").trim().to_string()
    }

    /// `s` on one line, each run of whitespace one space: pretty-printed code that
    /// assertions can quote across line breaks.
    pub(crate) fn flat(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn print_mixed() {
        let s = pretty(
            quote!(),
            quote! {
                fn f(x: &[f64], c: f64) -> f64 {
                    let mut s = 0.0;
                    for i in 0..x.len() {
                        if x[i] > 1.0 {
                            s += x[i].sin() * x[(i + 1) % x.len()] + c;
                        } else {
                            s = s * x[i];
                        }
                    }
                    s.exp() + x[0].signum()
                }
            },
        );
        println!("{s}");
    }
}

//! The `#[sparse_diff]` compiler. One stage per module, one driver:
//! args → signature ([`parse`]) → body ([`lower`]) → activity ([`analyse`]) →
//! passes ([`tangent`], [`trace`]) → items ([`emit`], [`ops`]).
//!
//! Errors are collected through every stage and reported together; on error the
//! original function is emitted unchanged with stub operators, so one mistake does not
//! cascade into "cannot find function `f_jacobian`".

// The stages are private; the crate's docs are read with `--document-private-items`.
#![allow(rustdoc::private_intra_doc_links)]

use proc_macro::TokenStream;
use quote::quote;
use syn::ItemFn;

mod adjoint;
mod analyse;
mod emit;
mod errors;
mod ir;
mod lower;
mod ops;
mod parse;
mod rules;
mod tangent;
mod trace;
mod trace2;

/// Generates, next to a plain numeric function, its forward-mode (tangent) code, its
/// sparsity tracer, and the sparse-Jacobian operators `f_jvp`, `f_jacobian_sparsity`,
/// `f_jacobian`, `f_jacobian_prepare`, `f_jacobian_prepared`. See the `asd` crate.
#[proc_macro_attribute]
pub fn sparse_diff(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(attr.into(), item.into()).into()
}

fn expand(
    attr: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    let item_fn: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let err = syn::Error::new_spanned(&item, "#[sparse_diff] applies to a function")
                .to_compile_error();
            return quote!(#item #err);
        }
    };
    let mut errors = errors::Errors::default();
    let args: parse::Args = match syn::parse2(attr) {
        Ok(a) => a,
        Err(e) => {
            errors.push(e);
            parse::Args::default()
        }
    };
    let Some(sig) = parse::signature(&item_fn, &args, &mut errors) else {
        let errs = errors.to_compile_errors();
        return quote!(#item_fn #errs);
    };
    let mut primal = lower::lower(&item_fn, &sig, &mut errors);
    if errors.is_empty() {
        analyse::analyse(&mut primal, &mut errors);
    }
    let tangent = errors.is_empty().then(|| tangent::tangent(&primal));
    let ops = ops::Ops {
        sig: &sig,
        name: &item_fn.sig.ident,
        vis: &item_fn.vis,
        lowered: tangent.as_ref().map(|t| (&primal, t)),
    };
    let items = ops.emit();
    let errs = errors.to_compile_errors();
    quote! {
        #item_fn
        #items
        #errs
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

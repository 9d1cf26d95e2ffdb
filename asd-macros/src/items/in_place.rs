//! In-place operators (DifferentiationInterface's `!` forms): the derivative, and the
//! value where it is a vector, written into the caller's buffers, whose lengths are
//! checked. `f_gradient_into`, `f_jvp_into`, `f_vjp_into`, `f_hvp_into`, and the
//! prepared sparse matrices copied into the caller's own `CsMat`
//! (`f_jacobian_prepared_into`, `f_hessian_prepared_into`).

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use super::Items;
use crate::ir::Output;
use crate::names::{rt, Hidden};

fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

impl Items<'_> {
    pub(super) fn in_place_items(&self) -> TokenStream {
        let mut items = TokenStream::new();
        if self.sig.output != Output::Scalar {
            // A scalar function's `f_jvp` allocates nothing already.
            items.extend(self.jvp_into());
        }
        items.extend(self.vjp_into());
        items.extend(self.jacobian_prepared_into());
        if self.sig.output == Output::Scalar {
            items.extend(self.gradient_into());
            if self.has_hessians() {
                items.extend(self.hvp_into());
                items.extend(self.hessian_prepared_into());
            }
        }
        items
    }

    /// `f_jvp_into`: for a returned vector, `(.., dx, y, dy)`; for an output parameter,
    /// `(.., dx, dy)`, the parameter receiving the value.
    fn jvp_into(&self) -> TokenStream {
        let rt = rt();
        let f = self.name;
        let op = self.op("jvp_into");
        let params = self.plain_params();
        let x = self.active();
        let tangent = self.hidden(Hidden::Tangent);
        let (dx, y, dy, ws) = (local("dx"), local("y"), local("dy"), local("ws"));
        let dx_lanes = quote!(#dx.as_chunks::<1>().0);
        let (outs, body) = match self.output_param() {
            None => {
                let args = self.pass_args(None, &[dx_lanes], &[]);
                (
                    quote!(#y: &mut [f64], #dy: &mut [f64]),
                    quote! {
                        let (value, lanes) = #tangent::<1>(&#ws, #(#args),*);
                        #rt::check_len("the value `y`", value.len(), #y.len());
                        #rt::check_len("the tangent `dy`", lanes.len(), #dy.len());
                        #y.copy_from_slice(&value);
                        #dy.copy_from_slice(lanes.as_flattened());
                    },
                )
            }
            Some(out) => {
                let args = self.pass_args(None, &[dx_lanes], &[quote!(#dy.as_chunks_mut::<1>().0)]);
                (
                    quote!(#dy: &mut [f64]),
                    quote! {
                        #rt::check_len("the tangent `dy`", #out.len(), #dy.len());
                        #dy.fill(0.0);
                        #tangent::<1>(&#ws, #(#args),*);
                    },
                )
            }
        };
        self.public_fn(
            format!(
                "[`{f}_jvp`] in place: writes the value `y` and `dy = J dx` into the caller's buffers, \
                 whose lengths are checked. Allocates nothing once the thread's workspace is warm."
            ),
            quote!(#op(#(#params,)* #dx: &[f64], #outs)),
            |_| {
                quote! {
                    #rt::check_len("the tangent `dx`", #x.len(), #dx.len());
                    #rt::with_thread_workspace(|#ws| { #body })
                }
            },
        )
    }

    /// `f_vjp_into`: `(.., dy, dx) -> f64` for a scalar function, `(.., dy, y, dx)` for a
    /// returned vector, `(.., dy, dx)` for an output parameter.
    fn vjp_into(&self) -> TokenStream {
        let rt = rt();
        let f = self.name;
        let op = self.op("vjp_into");
        let params = self.plain_params();
        let x = self.active();
        let adjoint = self.hidden(Hidden::Adjoint);
        let (dx, y, dy, ws, tape) = (
            local("dx"),
            local("y"),
            local("dy"),
            local("ws"),
            local("tape"),
        );
        let dx_lanes = quote!(#dx.as_chunks_mut::<1>().0);
        let (inputs, ret, body) = match self.sig.output {
            Output::Scalar => {
                let args = self.adjoint_args(None, dx_lanes, quote!(), quote!([#dy]));
                (
                    quote!(#dy: f64, #dx: &mut [f64]),
                    quote!(-> f64),
                    quote!(#adjoint::<1>(&#ws, &mut #tape, #(#args),*)),
                )
            }
            Output::Vector => {
                let args =
                    self.adjoint_args(None, dx_lanes, quote!(), quote!(#dy.as_chunks::<1>().0));
                (
                    quote!(#dy: &[f64], #y: &mut [f64], #dx: &mut [f64]),
                    quote!(),
                    quote! {
                        let value = #adjoint::<1>(&#ws, &mut #tape, #(#args),*);
                        #rt::check_len("the value `y`", value.len(), #y.len());
                        #y.copy_from_slice(&value);
                    },
                )
            }
            Output::Param(i) => {
                let out = &self.sig.params[i].name;
                let dy_io = local("dy_io");
                let args = self.adjoint_args(
                    None,
                    dx_lanes,
                    quote!(#dy_io.as_chunks_mut::<1>().0),
                    quote!(),
                );
                (
                    quote!(#dy: &[f64], #dx: &mut [f64]),
                    quote!(),
                    quote! {
                        #rt::check_len("the cotangent `dy`", #out.len(), #dy.len());
                        let mut #dy_io = #ws.copy(#dy);
                        #adjoint::<1>(&#ws, &mut #tape, #(#args),*);
                    },
                )
            }
        };
        self.public_fn(
            format!(
                "[`{f}_vjp`] in place: writes `dx = Jᵀ dy` (and a vector value `y`) into the caller's \
                 buffers, whose lengths are checked. Allocates nothing once the thread's workspace is warm."
            ),
            quote!(#op(#(#params,)* #inputs) #ret),
            |_| {
                quote! {
                    #rt::check_len("the product `dx`", #x.len(), #dx.len());
                    #dx.fill(0.0);
                    #rt::with_thread_workspace(|#ws| {
                        let mut #tape = #ws.tape();
                        #body
                    })
                }
            },
        )
    }

    /// `f_gradient_into`: `f_vjp_into` seeded with `1.0`.
    fn gradient_into(&self) -> TokenStream {
        let f = self.name;
        let op = self.op("gradient_into");
        let vjp_into = self.op("vjp_into");
        let params = self.plain_params();
        let args = self.plain_args();
        let x = self.active();
        let rt = rt();
        let g = local("g");
        self.public_fn(
            format!(
                "[`{f}_gradient`] in place: writes the gradient into `g` (its length checked) and returns \
                 the value."
            ),
            quote!(#op(#(#params,)* #g: &mut [f64]) -> f64),
            |_| {
                quote! {
                    #rt::check_len("the gradient `g`", #x.len(), #g.len());
                    #vjp_into(#(#args,)* 1.0, #g)
                }
            },
        )
    }

    fn hvp_into(&self) -> TokenStream {
        let rt = rt();
        let f = self.name;
        let op = self.op("hvp_into");
        let params = self.plain_params();
        let x = self.active();
        let hvp_fn = self.hidden(Hidden::Hvp);
        let (v, hv, ws, tape) = (local("v"), local("hv"), local("ws"), local("tape"));
        let mut args = self.pass_args(
            None,
            &[
                quote!(#hv.as_chunks_mut::<1>().0),
                quote!(#v.as_chunks::<1>().0),
            ],
            &[],
        );
        args.push(quote!([1.0]));
        self.public_fn(
            format!("[`{f}_hvp`] in place: writes `H v` into `hv`, whose length is checked."),
            quote!(#op(#(#params,)* #v: &[f64], #hv: &mut [f64])),
            |_| {
                quote! {
                    #rt::check_len("the direction `v`", #x.len(), #v.len());
                    #rt::check_len("the product `hv`", #x.len(), #hv.len());
                    #hv.fill(0.0);
                    #rt::with_thread_workspace(|#ws| {
                        let mut #tape = #ws.tape();
                        #hvp_fn::<1>(#ws, &mut #tape, #(#args),*);
                    });
                }
            },
        )
    }

    /// `f_jacobian_prepared_into` and `f_hessian_prepared_into`: the prepared
    /// evaluation, copied into the caller's matrix by the preparation, which checks its
    /// structure.
    fn prepared_into(&self, what: &str, prep_ty: TokenStream, out: &str) -> TokenStream {
        let rt = rt();
        let op = self.op(&format!("{what}_prepared_into"));
        let prepared = self.op(&format!("{what}_prepared"));
        let params = self.plain_params();
        let args = self.plain_args();
        let (prep, out) = (local("prep"), local(out));
        self.public_fn(
            format!(
                "[`{prepared}`] written into the caller's own matrix `{out}`, which must have the prepared \
                 structure (a clone of `prep.{what}()`): no allocation. Panics if its shape or structure \
                 differs."
            ),
            quote!(#op(#prep: &mut #prep_ty, #(#params,)* #out: &mut #rt::sprs::CsMat<f64>)),
            |_| {
                quote! {
                    #prepared(#prep, #(#args),*);
                    #prep.copy_into(#out);
                }
            },
        )
    }

    fn jacobian_prepared_into(&self) -> TokenStream {
        let rt = rt();
        self.prepared_into("jacobian", quote!(#rt::JacobianPrep), "jac")
    }

    fn hessian_prepared_into(&self) -> TokenStream {
        let rt = rt();
        self.prepared_into("hessian", quote!(#rt::HessianPrep), "hess")
    }
}

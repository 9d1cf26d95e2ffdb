//! Reverse-mode operators: `f_vjp`, and `f_gradient` for scalar functions.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use super::Items;
use crate::ir::Output;
use crate::names::{rt, Hidden};

impl Items<'_> {
    pub(super) fn reverse_items(&self) -> TokenStream {
        let mut items = self.vjp();
        if self.sig.output == Output::Scalar {
            items.extend(self.gradient());
        }
        items
    }

    /// Arguments of `__asd_adjoint_f`: the input's adjoint `dx` after the input,
    /// `y_b` after an output parameter, and the seed last for a returned value.
    pub(super) fn adjoint_args(
        &self,
        this: Option<&Ident>,
        dx: TokenStream,
        out: TokenStream,
        seed: TokenStream,
    ) -> Vec<TokenStream> {
        let mut args = self.pass_args(this, &[dx], &[out]);
        if self.output_param().is_none() {
            args.push(seed);
        }
        args
    }

    fn vjp(&self) -> TokenStream {
        let rt = rt();
        let f = self.name;
        let op = self.op("vjp");
        let params = self.plain_params();
        let x = self.active();
        let adjoint = self.hidden(Hidden::Adjoint);
        let dx = Ident::new("dx", Span::mixed_site());
        let dy = Ident::new("dy", Span::mixed_site());
        let ws = Ident::new("ws", Span::mixed_site());
        let tape = Ident::new("tape", Span::mixed_site());
        let dx_lanes = quote!(#dx.as_chunks_mut::<1>().0);
        let (dy_ty, ret, call) = match self.sig.output {
            Output::Scalar => {
                let args = self.adjoint_args(None, dx_lanes, quote!(), quote!([#dy]));
                (
                    quote!(f64),
                    quote!((f64, ::std::vec::Vec<f64>)),
                    quote! {
                        let y = #adjoint::<1>(&#ws, &mut #tape, #(#args),*);
                        (y, #dx)
                    },
                )
            }
            Output::Vector => {
                let args =
                    self.adjoint_args(None, dx_lanes, quote!(), quote!(#dy.as_chunks::<1>().0));
                (
                    quote!(&[f64]),
                    quote!((::std::vec::Vec<f64>, ::std::vec::Vec<f64>)),
                    quote! {
                        let y = #adjoint::<1>(&#ws, &mut #tape, #(#args),*);
                        (y.into_vec(), #dx)
                    },
                )
            }
            Output::Param(i) => {
                let y = &self.sig.params[i].name;
                let dyb = Ident::new("dy_io", Span::mixed_site());
                let args = self.adjoint_args(
                    None,
                    dx_lanes,
                    quote!(#dyb.as_chunks_mut::<1>().0),
                    quote!(),
                );
                (
                    quote!(&[f64]),
                    quote!(::std::vec::Vec<f64>),
                    quote! {
                        #rt::check_len("the cotangent `dy`", #y.len(), #dy.len());
                        let mut #dyb = #dy.to_vec();
                        #adjoint::<1>(&#ws, &mut #tape, #(#args),*);
                        #dx
                    },
                )
            }
        };
        self.public_fn(
            format!(
                "Value and vector-Jacobian product of [`{f}`] (reverse mode): returns `(y, Jᵀ dy)` \
                 (for an output parameter, writes `y` and returns `Jᵀ dy`)."
            ),
            quote!(#op(#(#params,)* #dy: #dy_ty) -> #ret),
            |_| {
                quote! {
                    #rt::with_thread_workspace(|#ws| {
                        let mut #tape = #ws.tape();
                        let mut #dx = ::std::vec![0.0; #x.len()];
                        #call
                    })
                }
            },
        )
    }

    /// `f_gradient`: `f_vjp` seeded with `1.0`.
    fn gradient(&self) -> TokenStream {
        let f = self.name;
        let vjp = self.op("vjp");
        let gradient = self.op("gradient");
        let params = self.plain_params();
        let args = self.plain_args();
        self.public_fn(
            format!(
                "Value and gradient of [`{f}`] by one reverse sweep: a small constant times the cost of \
                 [`{f}`], whatever the input's length."
            ),
            quote!(#gradient(#(#params),*) -> (f64, ::std::vec::Vec<f64>)),
            |_| quote!(#vjp(#(#args,)* 1.0)),
        )
    }
}

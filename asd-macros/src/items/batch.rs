//! Batched operators: several directions in one call, swept `L` lanes at a time (the
//! caller chooses `L`: `f_jvp_batch::<4>(x, c.., &dxs)`), each lane computing what the
//! one-direction operator computes. `f_jvp_batch`, `f_vjp_batch` (functions with a
//! vector output) and `f_hvp_batch` (scalar functions, which is also how many `v` at
//! one `x` share the primal sweep: once per `L` directions).

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
    pub(super) fn batch_items(&self) -> TokenStream {
        let mut items = self.jvp_batch();
        if self.sig.output != Output::Scalar {
            items.extend(self.vjp_batch());
        }
        if self.has_hessians() {
            items.extend(self.hvp_batch());
        }
        items
    }

    /// A batched operator: `(.., name: &[impl AsRef<[f64]>]) -> ret`, whose `sweep`
    /// runs once per batch of at most `L` directions, with `batch` the directions and
    /// `lanes` their lanes, packed.
    #[allow(clippy::too_many_arguments)]
    fn batch_fn(
        &self,
        suffix: &str,
        doc: String,
        name: &Ident,
        expected_len: TokenStream,
        ret: TokenStream,
        before: TokenStream,
        sweep: TokenStream,
        after: TokenStream,
    ) -> TokenStream {
        let rt = rt();
        let op = self.op(suffix);
        let params = self.plain_params();
        let (ws, lanes, batch, results) = (
            local("ws"),
            local("lanes"),
            local("batch"),
            local("results"),
        );
        let label = name.to_string();
        self.public_fn(
            doc,
            quote!(#op<const L: usize>(#(#params,)* #name: &[impl AsRef<[f64]>]) -> #ret),
            |_| {
                quote! {
                    const { ::core::assert!(L > 0, "asd: a batch sweeps at least one lane") };
                    #rt::check_lens(#label, #expected_len, #name);
                    #rt::with_thread_workspace(|#ws| {
                        let mut #lanes = #ws.lane_zeros::<L>(#expected_len);
                        let mut #results = ::std::vec::Vec::with_capacity(#name.len());
                        #before
                        for #batch in #rt::batches(#name, L) {
                            #rt::pack_lanes(#batch, &mut #lanes);
                            #sweep
                        }
                        #after
                    })
                }
            },
        )
    }

    fn jvp_batch(&self) -> TokenStream {
        let rt = rt();
        let f = self.name;
        let x = self.active();
        let tangent = self.hidden(Hidden::Tangent);
        let (ws, lanes, batch, results, value, dy) = (
            local("ws"),
            local("lanes"),
            local("batch"),
            local("results"),
            local("value"),
            local("dy"),
        );
        let (ret, before, sweep, after) = match self.output_param() {
            None => {
                let args = self.pass_args(None, &[quote!(&#lanes)], &[]);
                match self.sig.output {
                    Output::Scalar => (
                        quote!((f64, ::std::vec::Vec<f64>)),
                        quote!(let mut #value = 0.0;),
                        quote! {
                            let (y, #dy) = #tangent::<L>(#ws, #(#args),*);
                            #value = y;
                            #results.extend_from_slice(&#dy[..#batch.len()]);
                        },
                        quote!((#value, #results)),
                    ),
                    _ => (
                        quote!((::std::vec::Vec<f64>, ::std::vec::Vec<::std::vec::Vec<f64>>)),
                        quote!(let mut #value = None;),
                        quote! {
                            let (y, #dy) = #tangent::<L>(#ws, #(#args),*);
                            #value.get_or_insert_with(|| y.into_vec());
                            #rt::unpack_lanes(&#dy, #batch.len(), &mut #results);
                        },
                        quote!((#value.expect("one sweep at least"), #results)),
                    ),
                }
            }
            Some(out) => {
                let args = self.pass_args(None, &[quote!(&#lanes)], &[quote!(&mut #dy)]);
                // Each batch starts from the output's values from the caller, when read.
                let (take, restore) = self.output_restore(&ws);
                (
                    quote!(::std::vec::Vec<::std::vec::Vec<f64>>),
                    quote!(let mut #dy = #ws.lane_zeros::<L>(#out.len()); #take),
                    quote! {
                        #dy.fill([0.0; L]);
                        #restore
                        #tangent::<L>(#ws, #(#args),*);
                        #rt::unpack_lanes(&#dy, #batch.len(), &mut #results);
                    },
                    quote!(#results),
                )
            }
        };
        self.batch_fn(
            "jvp_batch",
            format!(
                "[`{f}_jvp`] for several tangents at once, `L` per forward sweep: the value and `J dx` for \
                 each `dx` of `dxs`, in order."
            ),
            &local("dxs"),
            quote!(#x.len()),
            ret,
            before,
            sweep,
            after,
        )
    }

    /// For a returned vector, the cotangents' length is the first one's (the adjoint
    /// checks it is the output's); with none, the value is the function's.
    fn vjp_batch(&self) -> TokenStream {
        let rt = rt();
        let f = self.name;
        let x = self.active();
        let adjoint = self.hidden(Hidden::Adjoint);
        let (ws, lanes, batch, results, value, dx, dy_io, tape, dys) = (
            local("ws"),
            local("lanes"),
            local("batch"),
            local("results"),
            local("value"),
            local("dx"),
            local("dy_io"),
            local("tape"),
            local("dys"),
        );
        let before = quote! {
            let mut #dx = #ws.lane_zeros::<L>(#x.len());
        };
        let (expected, ret, before, sweep, after) = match self.output_param() {
            None => {
                let args = self.adjoint_args(None, quote!(&mut #dx), quote!(), quote!(&#lanes));
                let value_call = self.value_call();
                (
                    quote!(#dys.first().map_or(0, |d| d.as_ref().len())),
                    quote!((::std::vec::Vec<f64>, ::std::vec::Vec<::std::vec::Vec<f64>>)),
                    quote! {
                        if #dys.is_empty() {
                            return (#value_call, ::std::vec::Vec::new());
                        }
                        #before
                        let mut #value = None;
                    },
                    quote! {
                        #dx.fill([0.0; L]);
                        let mut #tape = #ws.tape();
                        let y = #adjoint::<L>(#ws, &mut #tape, #(#args),*);
                        #value.get_or_insert_with(|| y.into_vec());
                        #rt::unpack_lanes(&#dx, #batch.len(), &mut #results);
                    },
                    quote!((#value.expect("one sweep at least"), #results)),
                )
            }
            Some(out) => {
                let args = self.adjoint_args(None, quote!(&mut #dx), quote!(&mut #dy_io), quote!());
                let (take, restore) = self.output_restore(&ws);
                (
                    quote!(#out.len()),
                    quote!(::std::vec::Vec<::std::vec::Vec<f64>>),
                    quote!(#before #take),
                    quote! {
                        #dx.fill([0.0; L]);
                        #restore
                        let mut #dy_io = #ws.lane_copy::<L>(&#lanes);
                        let mut #tape = #ws.tape();
                        #adjoint::<L>(#ws, &mut #tape, #(#args),*);
                        #rt::unpack_lanes(&#dx, #batch.len(), &mut #results);
                    },
                    quote!(#results),
                )
            }
        };
        self.batch_fn(
            "vjp_batch",
            format!(
                "[`{f}_vjp`] for several cotangents at once, `L` per reverse sweep: the value and `Jᵀ dy` \
                 for each `dy` of `dys`, in order."
            ),
            &dys,
            expected,
            ret,
            before,
            sweep,
            after,
        )
    }

    fn hvp_batch(&self) -> TokenStream {
        let rt = rt();
        let f = self.name;
        let x = self.active();
        let hvp_fn = self.hidden(Hidden::Hvp);
        let (ws, lanes, batch, results, hv, tape) = (
            local("ws"),
            local("lanes"),
            local("batch"),
            local("results"),
            local("hv"),
            local("tape"),
        );
        let mut args = self.pass_args(None, &[quote!(&mut #hv), quote!(&#lanes)], &[]);
        args.push(quote!([1.0; L]));
        self.batch_fn(
            "hvp_batch",
            format!(
                "[`{f}_hvp`] for several directions at once, `L` per sweep (one primal sweep per `L` \
                 directions): `H v` for each `v` of `vs`, in order."
            ),
            &local("vs"),
            quote!(#x.len()),
            quote!(::std::vec::Vec<::std::vec::Vec<f64>>),
            quote!(let mut #hv = #ws.lane_zeros::<L>(#x.len());),
            quote! {
                #hv.fill([0.0; L]);
                let mut #tape = #ws.tape();
                #hvp_fn::<L>(#ws, &mut #tape, #(#args),*);
                #rt::unpack_lanes(&#hv, #batch.len(), &mut #results);
            },
            quote!(#results),
        )
    }
}

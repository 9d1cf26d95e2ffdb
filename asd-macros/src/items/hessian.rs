//! Second-order operators of scalar functions: `f_hessian_sparsity`, `f_hvp` and the
//! sparse Hessian ones (`f_hessian_prepare[_with]`, `f_hessian_prepared`,
//! `f_hvp_prepare_same_point`, `f_hessian`).

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use super::Items;
use crate::ir::Output;
use crate::names::{rt, Hidden};

impl Items<'_> {
    /// For scalar functions: the Hessian pattern always; the operators that evaluate
    /// Hessians where second order is generated (not through calls of functions that
    /// write an output parameter), and as stubs when the body had errors.
    pub(super) fn hessian_items(&self) -> TokenStream {
        if self.sig.output != Output::Scalar {
            return quote!();
        }
        let mut items = self.hessian_sparsity();
        items.extend(self.hessian_sparsity_local());
        if self.has_hessians() {
            items.extend(self.hessian());
        }
        items
    }

    fn hessian_sparsity(&self) -> TokenStream {
        let rt = rt();
        let f = self.name;
        let op = self.op("hessian_sparsity");
        let x = self.active();
        let params = self.plain_params();
        let tracer = self.hidden(Hidden::Trace2);
        let x_t = Ident::new("x_t", Span::mixed_site());
        // Scalar functions have no output parameter.
        let args = self.tracer_args(&quote!(&#x_t), &quote!());
        self.public_fn(
            format!(
                "The global sparsity pattern of the Hessian of [`{f}`]: symmetric `n x n`, both \
                 triangles, the diagonal where it may be non-zero; it holds for every input."
            ),
            quote!(#op(#(#params),*) -> #rt::SparsityPattern),
            |_| {
                quote! {
                    let #x_t = #rt::Trace2::seeds(#x.len());
                    #tracer(#(#args),*).into_hessian_pattern(#x.len())
                }
            },
        )
    }

    /// `f_hessian_sparsity_local`: the second-order tracer along the branches taken at
    /// `x`.
    fn hessian_sparsity_local(&self) -> TokenStream {
        let rt = rt();
        let f = self.name;
        let op = self.op("hessian_sparsity_local");
        let x = self.active();
        let params = self.plain_params();
        let tracer = self.hidden(Hidden::Trace2Local);
        let (x_t, decisions, rep) = (
            Ident::new("x_t", Span::mixed_site()),
            Ident::new("decisions", Span::mixed_site()),
            Ident::new("rep", Span::mixed_site()),
        );
        let record = self.record_decisions(&decisions);
        let mut args = self.tracer_args(&quote!(&#x_t), &quote!());
        args.push(quote!(&mut #rep));
        self.public_fn(
            format!(
                "The local sparsity pattern of the Hessian of [`{f}`] at `{x}`: only the arms the \
                 branches on differentiated reals take there. A subset of the global pattern, which \
                 holds wherever [`{f}`] takes the same arms. `max` and `min` keep both operands \
                 (a Hessian pattern is local in branches only)."
            ),
            quote!(#op(#(#params),*) -> #rt::SparsityPattern),
            |_| {
                quote! {
                    #record
                    let mut #rep = #decisions.replay();
                    let #x_t = #rt::Trace2::seeds(#x.len());
                    #tracer(#(#args),*).into_hessian_pattern(#x.len())
                }
            },
        )
    }

    fn hessian(&self) -> TokenStream {
        let rt = rt();
        let f = self.name;
        let x = self.active();
        let hvp_fn = self.hidden(Hidden::Hvp);
        let structure_key = self.structure_key();
        let key = self.constants_key();
        let (op_hvp, sparsity, prepare, prepare_with, prepared, hessian) = (
            self.op("hvp"),
            self.op("hessian_sparsity"),
            self.op("hessian_prepare"),
            self.op("hessian_prepare_with"),
            self.op("hessian_prepared"),
            self.op("hessian"),
        );
        let ws = Ident::new("__ws", Span::mixed_site());
        let params = self.plain_params();
        let plain_args = self.plain_args();
        let (v, hv, tape, options, prep) = (
            Ident::new("v", Span::mixed_site()),
            Ident::new("hv", Span::mixed_site()),
            Ident::new("tape", Span::mixed_site()),
            Ident::new("options", Span::mixed_site()),
            Ident::new("prep", Span::mixed_site()),
        );
        let this = Ident::new("kernel", Span::mixed_site());
        // Arguments of `__asd_hvp_f`: `x, hv, v` for the input, the constants, the seed.
        let mut one = self.pass_args(
            None,
            &[
                quote!(#hv.as_chunks_mut::<1>().0),
                quote!(#v.as_chunks::<1>().0),
            ],
            &[],
        );
        one.push(quote!([1.0]));
        let mut lanes = self.pass_args(Some(&this), &[quote!(#hv), quote!(#v)], &[]);
        lanes.push(quote!([1.0; L]));
        let (kernel, kernel_decl, kernel_new) = self.kernel_struct();

        let mut items = self.public_fn(
            format!(
                "Hessian-vector product `H v` of [`{f}`] at `{x}`, by the adjoint of its tangent code (reverse over \
                 forward): a small constant times the cost of [`{f}`]."
            ),
            quote!(#op_hvp(#(#params,)* #v: &[f64]) -> ::std::vec::Vec<f64>),
            |_| {
                quote! {
                    #rt::check_len("the direction `v`", #x.len(), #v.len());
                    #rt::with_thread_workspace(|#ws| {
                        let mut #tape = #ws.tape();
                        let mut #hv = ::std::vec![0.0; #x.len()];
                        #hvp_fn::<1>(#ws, &mut #tape, #(#one),*);
                        #hv
                    })
                }
            },
        );
        items.extend(self.public_fn(
            format!(
                "Prepares sparse Hessians of [`{f}`]: Hessian pattern detection, symmetric (star) coloring, \
                 seeds and buffers, done once."
            ),
            quote!(#prepare(#(#params),*) -> #rt::HessianPrep),
            |_| quote!(#prepare_with(#(#plain_args,)* &#rt::HessianOptions::default())),
        ));
        // Without a kink, the second-order trace gives the pattern (`h`) and the varying
        // entries (`v`) in one run; the others are constant for these constants, which
        // must have a key.
        let smooth = self.hidden(Hidden::Smooth);
        let tracer = self.hidden(Hidden::Trace2);
        let (x_t, traced) = (
            Ident::new("x_t", Span::mixed_site()),
            Ident::new("traced", Span::mixed_site()),
        );
        let tracer_args = self.tracer_args(&quote!(&#x_t), &quote!());
        items.extend(self.public_fn(
            format!(
                "[`{prepare}`] with options (star, acyclic or column coloring, order, lanes; constant                  entries: of inputs that interact through constant second derivatives only,                  evaluated once)."
            ),
            quote!(#prepare_with(#(#params,)* #options: &#rt::HessianOptions) -> #rt::HessianPrep),
            |_| {
                quote! {
                    let key = #key;
                    let mut #prep = if #options.constant_entries && key.is_some() && #smooth(0) {
                        let #x_t = #rt::Trace2::seeds(#x.len());
                        let #traced = #tracer(#(#tracer_args),*);
                        let varying = #traced.varying_hessian_pattern(#x.len());
                        let pattern = #traced.into_hessian_pattern(#x.len());
                        let mut #prep = #rt::HessianPrep::with_constant_entries(pattern, &varying, #options);
                        #prep.constants_at(key);
                        #prep
                    } else {
                        #rt::HessianPrep::new(#sparsity(#(#plain_args),*), #options)
                    };
                    #prep.made_with(#options, #structure_key);
                    #prep
                }
            },
        ));
        items.extend(self.public_fn(
            format!(
                "The sparse Hessian of [`{f}`] at `{x}` (symmetric, both triangles), reusing a preparation: one \
                 compressed Hessian-vector sweep per `L` colors and a gather, no allocation."
            ),
            quote!(#prepared<'p>(#prep: &'p mut #rt::HessianPrep, #(#params),*) -> &'p #rt::sprs::CsMat<f64>),
            |_| {
                quote! {
                    #prep.check_input_len(#x.len());
                    // Constants that shape the pattern other than at the preparation's.
                    if let ::core::option::Option::Some(#options) = #prep.prepare_again(#structure_key) {
                        *#prep = #prepare_with(#(#plain_args,)* &#options);
                    }
                    if #prep.constant_entries() > 0 {
                        #prep.constants_at(#key);
                    }
                    #kernel_decl
                    impl #rt::Hvp for #kernel<'_> {
                        #[inline(always)]
                        fn hvp<const L: usize>(&mut self, #ws: &#rt::Workspace, #v: &[[f64; L]], #hv: &mut [[f64; L]]) {
                            let #this = self;
                            let #x = #this.#x;
                            let mut #tape = #ws.tape();
                            #hvp_fn::<L>(#ws, &mut #tape, #(#lanes),*);
                        }
                    }
                    // In parallel when the kernel can be shared, serially otherwise.
                    use #rt::{ParallelHessian as _, SerialHessian as _};
                    #rt::Evaluate(#kernel_new).hessian(#prep)
                }
            },
        ));
        let same_point = self.op("hvp_prepare_same_point");
        items.extend(self.public_fn(
            format!(
                "Hessian-vector products of [`{f}`] at one `{x}` for many directions: evaluates the \
                 prepared sparse Hessian there once ([`{prepared}`]); each product is then a pass over \
                 its nonzeros, with no sweep. Cheaper than [`{op_hvp}`] in each direction once there are \
                 more directions than colors."
            ),
            quote!(#same_point<'p>(#prep: &'p mut #rt::HessianPrep, #(#params),*) -> #rt::HvpSamePoint<'p>),
            |_| quote!(#rt::HvpSamePoint::new(#prepared(#prep, #(#plain_args),*))),
        ));
        items.extend(self.public_fn(
            format!("The sparse Hessian of [`{f}`] at `{x}`: prepares and evaluates once."),
            quote!(#hessian(#(#params),*) -> #rt::sprs::CsMat<f64>),
            |_| {
                quote! {
                    let mut #prep = #prepare(#(#plain_args),*);
                    #prepared(&mut #prep, #(#plain_args),*).clone()
                }
            },
        ));
        items
    }
}

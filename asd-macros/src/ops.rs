//! Stage 5, items: the hidden functions each pass produces and the public operators
//! built on them (`f_jvp`, `f_jacobian_sparsity`, `f_jacobian_prepare`, ...).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Ident, Type};

use crate::emit::{rt, Emitter};
use crate::ir::{Function, Output, Role};
use crate::parse::Signature;
use crate::trace::Trace;

/// Which hidden function a parameter list is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The user's own types.
    Plain,
    /// The tangent: the active input and the output are followed by their lanes.
    Tangent,
    /// The Jacobian kernel's tangent: the input's lanes live as long as the workspace,
    /// so that `x.to_vec()` can share them ([`Emitter::view_input`]).
    Derivs,
}

pub struct Ops<'a> {
    pub sig: &'a Signature,
    pub name: &'a Ident,
    pub vis: &'a syn::Visibility,
    /// The lowered function (primal, analysed) and its tangent; `None` when the body
    /// had errors: then the operators are emitted as stubs so that the user sees only
    /// the real errors, not "cannot find function `f_jacobian`".
    pub lowered: Option<(&'a Function, &'a Function)>,
}

impl Ops<'_> {
    pub(crate) fn hidden(&self, prefix: &str) -> Ident {
        format_ident!("{}{}", prefix, self.name)
    }

    pub(crate) fn op(&self, suffix: &str) -> Ident {
        format_ident!("{}_{}", self.name, suffix, span = self.name.span())
    }

    fn deriv_name(&self, i: usize) -> Ident {
        Ident::new(
            &format!("{}_d", self.sig.params[i].name),
            Span::mixed_site(),
        )
    }

    /// `x: &[f64], x_d: &[[f64; L]], k: usize`
    fn params(&self, kind: Kind) -> Vec<TokenStream> {
        let mut out = Vec::new();
        for (i, p) in self.sig.params.iter().enumerate() {
            let n = &p.name;
            let m = if p.mutable { quote!(mut) } else { quote!() };
            let ty = &p.ty;
            out.push(quote!(#m #n: #ty));
            if kind != Kind::Plain {
                let d = self.deriv_name(i);
                match p.role {
                    Role::Active if kind == Kind::Derivs => out.push(quote!(#d: &'w [[f64; L]])),
                    Role::Active => out.push(quote!(#d: &[[f64; L]])),
                    Role::Output => out.push(quote!(#d: &mut [[f64; L]])),
                    Role::Constant => {}
                }
            }
        }
        out
    }

    /// The parameters as the user declared them.
    pub(crate) fn plain_params(&self) -> Vec<TokenStream> {
        self.params(Kind::Plain)
    }

    /// A tracer's parameters: the input a slice of abstract values `value`, the output
    /// parameter a mutable one, the constants as declared.
    pub(crate) fn tracer_params(&self, value: &TokenStream) -> Vec<TokenStream> {
        self.sig
            .params
            .iter()
            .map(|p| {
                let (n, ty) = (&p.name, &p.ty);
                let m = if p.mutable { quote!(mut) } else { quote!() };
                match p.role {
                    Role::Active => quote!(#n: &[#value]),
                    Role::Output => quote!(#n: &mut [#value]),
                    Role::Constant => quote!(#m #n: #ty),
                }
            })
            .collect()
    }

    /// A tracer's arguments: `input` and `output` for the input and output parameters.
    pub(crate) fn tracer_args(
        &self,
        input: &TokenStream,
        output: &TokenStream,
    ) -> Vec<TokenStream> {
        self.sig
            .params
            .iter()
            .map(|p| {
                let n = &p.name;
                match p.role {
                    Role::Active => input.clone(),
                    Role::Output => output.clone(),
                    Role::Constant => quote!(#n),
                }
            })
            .collect()
    }

    /// This function's parameters passed on to a generated function: the constants read
    /// from the kernel struct `this` when given, the input followed by `after_input`
    /// (its derivative lanes, adjoint, ...), the output parameter reborrowed and followed
    /// by `after_output`.
    fn pass_args(
        &self,
        this: Option<&Ident>,
        after_input: &[TokenStream],
        after_output: &[TokenStream],
    ) -> Vec<TokenStream> {
        let mut out = Vec::new();
        for p in &self.sig.params {
            let n = &p.name;
            let value = match this {
                Some(k) if p.role != Role::Active => quote!(#k.#n),
                _ => quote!(#n),
            };
            match p.role {
                Role::Active => {
                    out.push(value);
                    out.extend(after_input.iter().cloned());
                }
                Role::Output => {
                    out.push(quote!(&mut *#value));
                    out.extend(after_output.iter().cloned());
                }
                Role::Constant => out.push(value),
            }
        }
        out
    }

    /// The struct a prepared evaluation hands the driver: the input and the other
    /// parameters, borrowed. Returns its name, declaration and construction.
    fn kernel_struct(&self) -> (Ident, TokenStream, TokenStream) {
        let kernel = Ident::new("Kernel", Span::mixed_site());
        let lt = syn::Lifetime::new("'a", Span::mixed_site());
        let fields = self.sig.params.iter().map(|p| {
            let n = &p.name;
            let ty = with_lifetime(&p.ty, &lt);
            quote!(#n: #ty)
        });
        let names = self.sig.params.iter().map(|p| &p.name);
        (
            kernel.clone(),
            quote!(struct #kernel<#lt> { #(#fields),* }),
            quote!(#kernel { #(#names),* }),
        )
    }

    /// `let _ = f;`: a user who calls only the operators must not be told that `f` is
    /// never used.
    pub(crate) fn mark_used(&self) -> TokenStream {
        let f = self.name;
        quote!(let _ = #f;)
    }

    pub(crate) fn active(&self) -> &Ident {
        &self
            .sig
            .params
            .iter()
            .find(|p| p.role == Role::Active)
            .expect("parsed")
            .name
    }

    pub fn emit(&self) -> TokenStream {
        let mut items = TokenStream::new();
        items.extend(self.wrt_const());
        items.extend(self.tangent_fns());
        items.extend(self.trace_fn());
        items.extend(self.adjoint_fn());
        items.extend(self.jvp());
        items.extend(self.vjp());
        items.extend(self.jacobian());
        items.extend(self.hessian());
        items.extend(crate::trace2::items(self));
        items
    }

    pub(crate) fn body_or_stub(&self, body: impl FnOnce() -> TokenStream) -> TokenStream {
        match self.lowered {
            Some(_) => body(),
            None => quote!(::core::unreachable!()),
        }
    }

    fn wrt_const(&self) -> TokenStream {
        let vis = self.vis;
        let c = self.hidden("__ASD_WRT_");
        let at = self
            .sig
            .params
            .iter()
            .position(|p| p.role == Role::Active)
            .expect("parsed");
        quote! {
            #[doc(hidden)]
            #[allow(non_upper_case_globals)]
            #vis const #c: usize = #at;
        }
    }

    /// `__asd_tangent_f`, and for functions that return their value `__asd_derivs_f`:
    /// the same without the values nothing else reads, for the Jacobian kernel, which
    /// discards the value.
    fn tangent_fns(&self) -> TokenStream {
        let mut items = self.tangent_fn(Kind::Tangent);
        if !matches!(self.sig.output, Output::Param(_)) {
            items.extend(self.tangent_fn(Kind::Derivs));
        }
        items
    }

    /// `__asd_tangent_f` for [`Kind::Tangent`], `__asd_derivs_f` for [`Kind::Derivs`].
    fn tangent_fn(&self, kind: Kind) -> TokenStream {
        let rt = rt();
        let vis = self.vis;
        let derivatives_only = kind == Kind::Derivs;
        let name = self.hidden(if derivatives_only {
            "__asd_derivs_"
        } else {
            "__asd_tangent_"
        });
        let params = self.params(kind);
        let ret = match self.sig.output {
            Output::Scalar => quote!(-> (f64, [f64; L])),
            Output::Vector => quote!(-> (#rt::Buf<'w>, #rt::LaneBuf<'w, L>)),
            Output::Param(_) => quote!(),
        };
        let ws = Ident::new("__ws", Span::mixed_site());
        let body = self.body_or_stub(|| {
            let (_, tangent) = self.lowered.expect("checked");
            let mut body = crate::tangent::split_loops(tangent, &tangent.body);
            if derivatives_only {
                body = crate::tangent::derivatives_only(tangent, &body);
            }
            let mut emitter = Emitter::new(tangent);
            emitter.view_input = derivatives_only;
            let body = emitter.block(&body);
            let used = self.mark_used();
            quote!(#used #body)
        });
        quote! {
            #[doc(hidden)]
            #[allow(unused_mut, unused_variables, unused_assignments, unreachable_code, unused_parens, non_snake_case, clippy::all)]
            #vis fn #name<'w, const L: usize>(#ws: &'w #rt::Workspace, #(#params),*) #ret {
                #body
            }
        }
    }

    fn trace_fn(&self) -> TokenStream {
        let rt = rt();
        let vis = self.vis;
        let name = self.hidden("__asd_trace_");
        let params = self.tracer_params(&quote!(#rt::IndexSet));
        let ret = match self.sig.output {
            Output::Scalar => quote!(-> #rt::IndexSet),
            Output::Vector => quote!(-> ::std::vec::Vec<#rt::IndexSet>),
            Output::Param(_) => quote!(),
        };
        let body = self.body_or_stub(|| {
            let (primal, _) = self.lowered.expect("checked");
            let body = Trace::new(primal).body();
            let used = self.mark_used();
            quote!(#used #body)
        });
        quote! {
            #[doc(hidden)]
            #[allow(unused_mut, unused_variables, unused_assignments, unreachable_code, unused_parens, non_snake_case, clippy::all)]
            #vis fn #name(#(#params),*) #ret {
                #body
            }
        }
    }

    /// The hidden adjoint functions: `__asd_adjoint_f` (reverse mode) and, when it
    /// exists, `__asd_tangent_adjoint_f` (the adjoint of the tangent code, which callers'
    /// Hessian-vector products reverse through).
    fn adjoint_fn(&self) -> TokenStream {
        let Some((primal, tangent)) = self.lowered else {
            return quote!();
        };
        let mut items = self.hidden_adjoint("__asd_adjoint_", crate::adjoint::adjoint(primal));
        if let Some(f) = crate::adjoint::tangent_adjoint(tangent) {
            items.extend(self.hidden_adjoint("__asd_tangent_adjoint_", f));
        }
        items
    }

    fn hidden_adjoint(&self, prefix: &str, f: crate::adjoint::AdjointFn) -> TokenStream {
        let rt = rt();
        let vis = self.vis;
        let name = self.hidden(prefix);
        let ws = Ident::new("__ws", Span::mixed_site());
        let crate::adjoint::AdjointFn { params, ret, body } = f;
        let used = self.mark_used();
        quote! {
            #[doc(hidden)]
            #[allow(unused_mut, unused_variables, unused_assignments, unreachable_code, unused_parens, unused_braces, non_snake_case, clippy::all)]
            #vis fn #name<'w, const L: usize>(#ws: &'w #rt::Workspace, #(#params),*) #ret {
                #used
                #body
            }
        }
    }

    /// Arguments of `__asd_adjoint_f`: the input's adjoint `dx` after the input,
    /// `y_b` after an output parameter, and the seed last for a returned value.
    fn adjoint_args(
        &self,
        this: Option<&Ident>,
        dx: TokenStream,
        out: TokenStream,
        seed: TokenStream,
    ) -> Vec<TokenStream> {
        let mut args = self.pass_args(this, &[dx], &[out]);
        if !matches!(self.sig.output, Output::Param(_)) {
            args.push(seed);
        }
        args
    }

    fn vjp(&self) -> TokenStream {
        let rt = rt();
        let vis = self.vis;
        let f = self.name;
        let op = self.op("vjp");
        let params = self.params(Kind::Plain);
        let x = self.active();
        let adjoint = self.hidden("__asd_adjoint_");
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
        let body = self.body_or_stub(|| {
            quote! {
                #rt::with_thread_workspace(|#ws| {
                    let mut #tape = #ws.tape();
                    let mut #dx = ::std::vec![0.0; #x.len()];
                    #call
                })
            }
        });
        let doc = format!(
            "Value and vector-Jacobian product of [`{f}`] (reverse mode): returns `(y, Jᵀ dy)` \
             (for an output parameter, writes `y` and returns `Jᵀ dy`). Generated by `#[sparse_diff]`."
        );
        let mut items = quote! {
            #[doc = #doc]
            #[allow(unused_variables, clippy::all)]
            #vis fn #op(#(#params,)* #dy: #dy_ty) -> #ret {
                #body
            }
        };
        if self.sig.output == Output::Scalar {
            let gradient = self.op("gradient");
            let args = self.pass_args(None, &[], &[]);
            let body = self.body_or_stub(|| quote!(#op(#(#args,)* 1.0)));
            let doc = format!(
                "Value and gradient of [`{f}`] by one reverse sweep: a small constant times the cost of \
                 [`{f}`], whatever the input's length. Generated by `#[sparse_diff]`."
            );
            items.extend(quote! {
                #[doc = #doc]
                #[allow(unused_variables, clippy::all)]
                #vis fn #gradient(#(#params),*) -> (f64, ::std::vec::Vec<f64>) {
                    #body
                }
            });
        }
        items
    }

    fn jvp(&self) -> TokenStream {
        let rt = rt();
        let vis = self.vis;
        let f = self.name;
        let op = self.op("jvp");
        let params = self.params(Kind::Plain);
        let x = self.active();
        let tangent = self.hidden("__asd_tangent_");
        let dx = Ident::new("dx", Span::mixed_site());
        let dy = Ident::new("dy", Span::mixed_site());
        let ws = Ident::new("ws", Span::mixed_site());
        let (ret, body) = match self.sig.output {
            Output::Scalar => {
                let args = self.pass_args(None, &[quote!(#dx.as_chunks::<1>().0)], &[]);
                (
                    quote!((f64, f64)),
                    quote! {
                        let (y, #dy) = #tangent::<1>(&#ws, #(#args),*);
                        (y, #dy[0])
                    },
                )
            }
            Output::Vector => {
                let args = self.pass_args(None, &[quote!(#dx.as_chunks::<1>().0)], &[]);
                (
                    quote!((::std::vec::Vec<f64>, ::std::vec::Vec<f64>)),
                    quote! {
                        let (y, #dy) = #tangent::<1>(&#ws, #(#args),*);
                        (y.into_vec(), #dy.as_flattened().to_vec())
                    },
                )
            }
            Output::Param(i) => {
                let y = &self.sig.params[i].name;
                let args = self.pass_args(
                    None,
                    &[quote!(#dx.as_chunks::<1>().0)],
                    &[quote!(#dy.as_chunks_mut::<1>().0)],
                );
                (
                    quote!(::std::vec::Vec<f64>),
                    quote! {
                        let mut #dy = ::std::vec![0.0; #y.len()];
                        #tangent::<1>(&#ws, #(#args),*);
                        #dy
                    },
                )
            }
        };
        let body = self.body_or_stub(|| {
            quote! {
                #rt::check_len("the tangent `dx`", #x.len(), #dx.len());
                #rt::with_thread_workspace(|#ws| { #body })
            }
        });
        let doc = format!(
            "Value and Jacobian-vector product of [`{f}`] (forward mode): returns `(y, J dx)` \
             (for an output parameter, writes `y` and returns `J dx`). Generated by `#[sparse_diff]`."
        );
        quote! {
            #[doc = #doc]
            #[allow(unused_variables, clippy::all)]
            #vis fn #op(#(#params,)* #dx: &[f64]) -> #ret {
                #body
            }
        }
    }

    fn jacobian(&self) -> TokenStream {
        let rt = rt();
        let vis = self.vis;
        let f = self.name;
        let sparsity = self.op("jacobian_sparsity");
        let prepare = self.op("jacobian_prepare");
        let prepare_with = self.op("jacobian_prepare_with");
        let prepared = self.op("jacobian_prepared");
        let jacobian = self.op("jacobian");
        let params = self.params(Kind::Plain);
        let plain_args = self.pass_args(None, &[], &[]);
        let x = self.active();
        let trace = self.hidden("__asd_trace_");
        let tangent = self.hidden("__asd_tangent_");
        let options = Ident::new("options", Span::mixed_site());
        let prep = Ident::new("prep", Span::mixed_site());

        // The tracer's inputs: one singleton set per input.
        let x_sets = Ident::new("x_sets", Span::mixed_site());
        let y_sets = Ident::new("y_sets", Span::mixed_site());
        let trace_args = self.tracer_args(&quote!(&#x_sets), &quote!(&mut #y_sets));
        let trace_call = match self.sig.output {
            Output::Scalar => quote!(let #y_sets = ::std::vec![#trace(#(#trace_args),*)];),
            Output::Vector => quote!(let #y_sets = #trace(#(#trace_args),*);),
            Output::Param(i) => {
                let y = &self.sig.params[i].name;
                quote! {
                    let mut #y_sets = ::std::vec![#rt::IndexSet::new(); #y.len()];
                    #trace(#(#trace_args),*);
                }
            }
        };
        let sparsity_body = self.body_or_stub(|| {
            quote! {
                let #x_sets: ::std::vec::Vec<#rt::IndexSet> = (0..#x.len()).map(#rt::IndexSet::singleton).collect();
                #trace_call
                #rt::SparsityPattern::from_index_sets(#x.len(), &#y_sets)
            }
        });

        // The kernel the preparation drives: the parameters, the tangent and the adjoint
        // for L lanes.
        let (kernel, kernel_decl, kernel_new) = self.kernel_struct();
        let dx = Ident::new("dx", Span::mixed_site());
        let dy = Ident::new("dy", Span::mixed_site());
        let ws = Ident::new("ws", Span::mixed_site());
        let this = Ident::new("kernel", Span::mixed_site());
        let derivs = match self.sig.output {
            Output::Param(_) => tangent.clone(),
            _ => self.hidden("__asd_derivs_"),
        };
        let kernel_args = self.pass_args(Some(&this), &[quote!(#dx)], &[quote!(#dy)]);
        let kernel_call = match self.sig.output {
            Output::Scalar => quote! {
                let (_, d) = #derivs::<L>(#ws, #(#kernel_args),*);
                #dy[0] = d;
            },
            Output::Vector => quote! {
                let (_, d) = #derivs::<L>(#ws, #(#kernel_args),*);
                #dy.copy_from_slice(&d);
            },
            Output::Param(_) => quote! {
                #derivs::<L>(#ws, #(#kernel_args),*);
            },
        };
        // A returned vector's lanes are handed to the preparation as they are.
        let jvp_owned = match self.sig.output {
            Output::Vector => {
                quote! {
                    fn jvp_owned<'w, const L: usize>(&mut self, #ws: &'w #rt::Workspace, #dx: &'w [[f64; L]]) -> Option<#rt::LaneBuf<'w, L>> {
                        let #this = self;
                        let #x = #this.#x;
                        Some(#derivs::<L>(#ws, #(#kernel_args),*).1)
                    }
                }
            }
            _ => quote!(),
        };
        let tape = Ident::new("tape", Span::mixed_site());
        let adjoint = self.hidden("__asd_adjoint_");
        let dy_io = Ident::new("dy_io", Span::mixed_site());
        let vjp_args = self.adjoint_args(
            Some(&this),
            quote!(#dx),
            quote!(&mut #dy_io),
            match self.sig.output {
                Output::Scalar => quote!(#dy[0]),
                _ => quote!(#dy),
            },
        );
        let vjp_call = match self.sig.output {
            Output::Param(_) => quote! {
                let mut #dy_io = #ws.lane_copy::<L>(#dy);
                #adjoint::<L>(#ws, &mut #tape, #(#vjp_args),*);
            },
            _ => quote!(#adjoint::<L>(#ws, &mut #tape, #(#vjp_args),*);),
        };
        let output_check = match self.sig.output {
            Output::Param(i) => {
                let y = &self.sig.params[i].name;
                quote!(#prep.check_output_len(#y.len());)
            }
            _ => quote!(),
        };
        let prepared_body = self.body_or_stub(|| {
            quote! {
                #prep.check_input_len(#x.len());
                #output_check
                #kernel_decl
                impl #rt::Jvp for #kernel<'_> {
                    fn jvp<const L: usize>(&mut self, #ws: &#rt::Workspace, #dx: &[[f64; L]], #dy: &mut [[f64; L]]) {
                        let #this = self;
                        let #x = #this.#x;
                        #kernel_call
                    }
                    #jvp_owned
                }
                impl #rt::Vjp for #kernel<'_> {
                    fn vjp<const L: usize>(&mut self, #ws: &#rt::Workspace, #dy: &[[f64; L]], #dx: &mut [[f64; L]]) {
                        let #this = self;
                        let #x = #this.#x;
                        let mut #tape = #ws.tape();
                        #vjp_call
                    }
                }
                #prep.evaluate(&mut #kernel_new)
            }
        });
        let prepare_with_body = self.body_or_stub(|| {
            quote! {
                #rt::JacobianPrep::new(#sparsity(#(#plain_args),*), #options)
            }
        });
        let doc_sparsity = format!("The global sparsity pattern of the Jacobian of [`{f}`]: it holds for every input. Generated by `#[sparse_diff]`.");
        let doc_prepare = format!("Prepares sparse Jacobians of [`{f}`]: pattern detection, coloring, seeds and buffers, done once. Generated by `#[sparse_diff]`.");
        let doc_prepare_with = format!("[`{prepare}`] with options (mode, coloring order, lanes).");
        let doc_prepared = format!("The sparse Jacobian of [`{f}`] at `{x}`, reusing a preparation: a few compressed sweeps and a gather, no allocation. Panics if the sizes differ from the preparation's. Generated by `#[sparse_diff]`.");
        let doc_jacobian = format!("The sparse Jacobian of [`{f}`] at `{x}` (`m x n`, compressed rows): prepares and evaluates once. Generated by `#[sparse_diff]`.");
        let prepare_body = self.body_or_stub(
            || quote!(#prepare_with(#(#plain_args,)* &#rt::JacobianOptions::default())),
        );
        let jacobian_body = self.body_or_stub(|| {
            quote! {
                let mut #prep = #prepare(#(#plain_args),*);
                #prepared(&mut #prep, #(#plain_args),*).clone()
            }
        });
        quote! {
            #[doc = #doc_sparsity]
            #[allow(unused_variables, clippy::all)]
            #vis fn #sparsity(#(#params),*) -> #rt::SparsityPattern {
                #sparsity_body
            }

            #[doc = #doc_prepare]
            #[allow(unused_variables, clippy::all)]
            #vis fn #prepare(#(#params),*) -> #rt::JacobianPrep {
                #prepare_body
            }

            #[doc = #doc_prepare_with]
            #[allow(unused_variables, clippy::all)]
            #vis fn #prepare_with(#(#params,)* #options: &#rt::JacobianOptions) -> #rt::JacobianPrep {
                #prepare_with_body
            }

            #[doc = #doc_prepared]
            #[allow(unused_variables, clippy::all)]
            #vis fn #prepared<'p>(#prep: &'p mut #rt::JacobianPrep, #(#params),*) -> &'p #rt::sprs::CsMat<f64> {
                #prepared_body
            }

            #[doc = #doc_jacobian]
            #[allow(unused_variables, clippy::all)]
            #vis fn #jacobian(#(#params),*) -> #rt::sprs::CsMat<f64> {
                #jacobian_body
            }
        }
    }
}

impl Ops<'_> {
    /// `__asd_hvp_f` (the adjoint of the tangent code) and the Hessian operators, for
    /// scalar functions whose second order is generated.
    /// When the body had errors, the operators are stubs, as for first order.
    fn hessian(&self) -> TokenStream {
        if self.sig.output != Output::Scalar {
            return quote!();
        }
        let hidden = match self
            .lowered
            .map(|(_, tangent)| crate::adjoint::hvp(tangent))
        {
            Some(Some(hvp)) => self.hidden_adjoint("__asd_hvp_", hvp),
            Some(None) => return quote!(),
            None => quote!(),
        };
        let rt = rt();
        let vis = self.vis;
        let f = self.name;
        let x = self.active();
        let hvp_fn = self.hidden("__asd_hvp_");
        let (op_hvp, sparsity, prepare, prepare_with, prepared, hessian) = (
            self.op("hvp"),
            self.op("hessian_sparsity"),
            self.op("hessian_prepare"),
            self.op("hessian_prepare_with"),
            self.op("hessian_prepared"),
            self.op("hessian"),
        );
        let ws = Ident::new("__ws", Span::mixed_site());
        let plain_params = self.params(Kind::Plain);
        let plain_args = self.pass_args(None, &[], &[]);
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
        let doc_hvp = format!(
            "Hessian-vector product `H v` of [`{f}`] at `{x}`, by the adjoint of its tangent code (reverse over \
             forward): a small constant times the cost of [`{f}`]. Generated by `#[sparse_diff]`."
        );
        let doc_prepare = format!(
            "Prepares sparse Hessians of [`{f}`]: Hessian pattern detection, symmetric (star) coloring, \
             seeds and buffers, done once. Generated by `#[sparse_diff]`."
        );
        let doc_prepare_with =
            format!("[`{prepare}`] with options (star, acyclic or column coloring, order, lanes).");
        let doc_prepared = format!(
            "The sparse Hessian of [`{f}`] at `{x}` (symmetric, both triangles), reusing a preparation: one \
             compressed Hessian-vector sweep per `L` colors and a gather, no allocation. Generated by `#[sparse_diff]`."
        );
        let doc_hessian = format!("The sparse Hessian of [`{f}`] at `{x}`: prepares and evaluates once. Generated by `#[sparse_diff]`.");
        let hvp_body = self.body_or_stub(|| {
            quote! {
                #rt::check_len("the direction `v`", #x.len(), #v.len());
                #rt::with_thread_workspace(|#ws| {
                    let mut #tape = #ws.tape();
                    let mut #hv = ::std::vec![0.0; #x.len()];
                    #hvp_fn::<1>(#ws, &mut #tape, #(#one),*);
                    #hv
                })
            }
        });
        let prepare_body = self.body_or_stub(
            || quote!(#prepare_with(#(#plain_args,)* &#rt::HessianOptions::default())),
        );
        let prepare_with_body = self
            .body_or_stub(|| quote!(#rt::HessianPrep::new(#sparsity(#(#plain_args),*), #options)));
        let prepared_body = self.body_or_stub(|| {
            quote! {
                #prep.check_input_len(#x.len());
                #kernel_decl
                impl #rt::Hvp for #kernel<'_> {
                    fn hvp<const L: usize>(&mut self, #ws: &#rt::Workspace, #v: &[[f64; L]], #hv: &mut [[f64; L]]) {
                        let #this = self;
                        let #x = #this.#x;
                        let mut #tape = #ws.tape();
                        #hvp_fn::<L>(#ws, &mut #tape, #(#lanes),*);
                    }
                }
                #prep.evaluate(&mut #kernel_new)
            }
        });
        let hessian_body = self.body_or_stub(|| {
            quote! {
                let mut #prep = #prepare(#(#plain_args),*);
                #prepared(&mut #prep, #(#plain_args),*).clone()
            }
        });
        quote! {
            #hidden

            #[doc = #doc_hvp]
            #[allow(unused_variables, clippy::all)]
            #vis fn #op_hvp(#(#plain_params,)* #v: &[f64]) -> ::std::vec::Vec<f64> {
                #hvp_body
            }

            #[doc = #doc_prepare]
            #[allow(unused_variables, clippy::all)]
            #vis fn #prepare(#(#plain_params),*) -> #rt::HessianPrep {
                #prepare_body
            }

            #[doc = #doc_prepare_with]
            #[allow(unused_variables, clippy::all)]
            #vis fn #prepare_with(#(#plain_params,)* #options: &#rt::HessianOptions) -> #rt::HessianPrep {
                #prepare_with_body
            }

            #[doc = #doc_prepared]
            #[allow(unused_variables, clippy::all)]
            #vis fn #prepared<'p>(#prep: &'p mut #rt::HessianPrep, #(#plain_params),*) -> &'p #rt::sprs::CsMat<f64> {
                #prepared_body
            }

            #[doc = #doc_hessian]
            #[allow(unused_variables, clippy::all)]
            #vis fn #hessian(#(#plain_params),*) -> #rt::sprs::CsMat<f64> {
                #hessian_body
            }
        }
    }
}

/// `&[f64]` -> `&'a [f64]`, so constants can be held by the kernel struct.
fn with_lifetime(ty: &Type, lt: &syn::Lifetime) -> Type {
    match ty {
        Type::Reference(r) => {
            let mut r = r.clone();
            r.lifetime = Some(lt.clone());
            Type::Reference(r)
        }
        other => other.clone(),
    }
}

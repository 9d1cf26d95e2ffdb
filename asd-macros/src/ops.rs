//! Stage 5, items: the hidden functions each pass produces and the public operators
//! built on them (`f_jvp`, `f_jacobian_sparsity`, `f_jacobian_prepare`, ...).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Ident, Type};

use crate::emit::{rt, Emitter, Returns};
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
    /// The tracer: the active input and the output are index sets.
    Trace,
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
        Ident::new(&format!("{}_d", self.sig.params[i].name), Span::mixed_site())
    }

    /// `x: &[f64], x_d: &[[f64; L]], k: usize`
    fn params(&self, kind: Kind) -> Vec<TokenStream> {
        let rt = rt();
        let mut out = Vec::new();
        for (i, p) in self.sig.params.iter().enumerate() {
            let n = &p.name;
            let m = if p.mutable { quote!(mut) } else { quote!() };
            let ty = &p.ty;
            match (kind, p.role) {
                (Kind::Trace, Role::Active) => out.push(quote!(#n: &[#rt::IndexSet])),
                (Kind::Trace, Role::Output) => out.push(quote!(#n: &mut [#rt::IndexSet])),
                _ => out.push(quote!(#m #n: #ty)),
            }
            if kind == Kind::Tangent {
                let d = self.deriv_name(i);
                match p.role {
                    Role::Active => out.push(quote!(#d: &[[f64; L]])),
                    Role::Output => out.push(quote!(#d: &mut [[f64; L]])),
                    Role::Constant => {}
                }
            }
        }
        out
    }

    /// The arguments passing this function's own parameters on, with `active` and
    /// `output` standing for what to pass as the derivatives of those two.
    fn args(&self, kind: Kind, active: Option<TokenStream>, output: Option<TokenStream>) -> Vec<TokenStream> {
        let mut out = Vec::new();
        for p in &self.sig.params {
            let n = &p.name;
            out.push(quote!(#n));
            if kind == Kind::Tangent {
                match p.role {
                    Role::Active => out.push(active.clone().expect("tangent calls pass input lanes")),
                    Role::Output => out.push(output.clone().expect("tangent calls pass output lanes")),
                    Role::Constant => {}
                }
            }
        }
        out
    }

    pub(crate) fn active(&self) -> &Ident {
        &self.sig.params.iter().find(|p| p.role == Role::Active).expect("parsed").name
    }

    pub fn emit(&self) -> TokenStream {
        let mut items = TokenStream::new();
        items.extend(self.wrt_const());
        items.extend(self.tangent_fn());
        items.extend(self.trace_fn());
        items.extend(self.jvp());
        items.extend(self.jacobian());
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
        let at = self.sig.params.iter().position(|p| p.role == Role::Active).expect("parsed");
        quote! {
            #[doc(hidden)]
            #[allow(non_upper_case_globals)]
            #vis const #c: usize = #at;
        }
    }

    fn tangent_fn(&self) -> TokenStream {
        let rt = rt();
        let vis = self.vis;
        let name = self.hidden("__asd_tangent_");
        let params = self.params(Kind::Tangent);
        let ret = match self.sig.output {
            Output::Scalar => quote!(-> (f64, [f64; L])),
            Output::Vector => quote!(-> (#rt::Buf<'w>, #rt::LaneBuf<'w, L>)),
            Output::Param(_) => quote!(),
        };
        let ws = Ident::new("__ws", Span::mixed_site());
        let body = self.body_or_stub(|| {
            let (_, tangent) = self.lowered.expect("checked");
            Emitter::new(tangent, Returns::WithTangent).block(&tangent.body)
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
        let params = self.params(Kind::Trace);
        let ret = match self.sig.output {
            Output::Scalar => quote!(-> #rt::IndexSet),
            Output::Vector => quote!(-> ::std::vec::Vec<#rt::IndexSet>),
            Output::Param(_) => quote!(),
        };
        let body = self.body_or_stub(|| {
            let (primal, _) = self.lowered.expect("checked");
            Trace::new(primal).body()
        });
        quote! {
            #[doc(hidden)]
            #[allow(unused_mut, unused_variables, unused_assignments, unreachable_code, unused_parens, non_snake_case, clippy::all)]
            #vis fn #name(#(#params),*) #ret {
                #body
            }
        }
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
                let args = self.args(Kind::Tangent, Some(quote!(#dx.as_chunks::<1>().0)), None);
                (quote!((f64, f64)), quote! {
                    let (y, #dy) = #tangent::<1>(&#ws, #(#args),*);
                    (y, #dy[0])
                })
            }
            Output::Vector => {
                let args = self.args(Kind::Tangent, Some(quote!(#dx.as_chunks::<1>().0)), None);
                (quote!((::std::vec::Vec<f64>, ::std::vec::Vec<f64>)), quote! {
                    let (y, #dy) = #tangent::<1>(&#ws, #(#args),*);
                    (y.into_vec(), #dy.as_flattened().to_vec())
                })
            }
            Output::Param(i) => {
                let y = &self.sig.params[i].name;
                let args = self.args(Kind::Tangent, Some(quote!(#dx.as_chunks::<1>().0)), Some(quote!(#dy.as_chunks_mut::<1>().0)));
                (quote!(::std::vec::Vec<f64>), quote! {
                    let mut #dy = ::std::vec![0.0; #y.len()];
                    #tangent::<1>(&#ws, #(#args),*);
                    #dy
                })
            }
        };
        let body = self.body_or_stub(|| {
            quote! {
                #rt::check_len("the tangent `dx`", #x.len(), #dx.len());
                let #ws = #rt::Workspace::new();
                #body
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
        let plain_args = self.args(Kind::Plain, None, None);
        let x = self.active();
        let trace = self.hidden("__asd_trace_");
        let tangent = self.hidden("__asd_tangent_");
        let options = Ident::new("options", Span::mixed_site());
        let prep = Ident::new("prep", Span::mixed_site());

        // The tracer's inputs: one singleton set per input.
        let x_sets = Ident::new("x_sets", Span::mixed_site());
        let y_sets = Ident::new("y_sets", Span::mixed_site());
        let trace_args: Vec<TokenStream> = self
            .sig
            .params
            .iter()
            .map(|p| {
                let n = &p.name;
                match p.role {
                    Role::Active => quote!(&#x_sets),
                    Role::Output => quote!(&mut #y_sets),
                    Role::Constant => quote!(#n),
                }
            })
            .collect();
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

        // The kernel the preparation drives: the constants, and the tangent for L lanes.
        let kernel = Ident::new("Kernel", Span::mixed_site());
        let lt = syn::Lifetime::new("'a", Span::mixed_site());
        let fields: Vec<TokenStream> = self
            .sig
            .params
            .iter()
            .filter(|p| p.role != Role::Active)
            .map(|p| {
                let n = &p.name;
                let ty = with_lifetime(&p.ty, &lt);
                quote!(#n: #ty)
            })
            .collect();
        let field_names: Vec<&Ident> = self.sig.params.iter().filter(|p| p.role != Role::Active).map(|p| &p.name).collect();
        let dx = Ident::new("dx", Span::mixed_site());
        let dy = Ident::new("dy", Span::mixed_site());
        let ws = Ident::new("ws", Span::mixed_site());
        let this = Ident::new("kernel", Span::mixed_site());
        let kernel_args: Vec<TokenStream> = self
            .sig
            .params
            .iter()
            .flat_map(|p| {
                let n = &p.name;
                match p.role {
                    Role::Active => vec![quote!(#x), quote!(#dx)],
                    Role::Output => vec![quote!(&mut *#this.#n), quote!(#dy)],
                    Role::Constant => vec![quote!(#this.#n)],
                }
            })
            .collect();
        let x_field = quote!(#x: &#lt [f64]);
        let kernel_call = match self.sig.output {
            Output::Scalar => quote! {
                let (_, d) = #tangent::<L>(#ws, #(#kernel_args),*);
                #dy[0] = d;
            },
            Output::Vector => quote! {
                let (_, d) = #tangent::<L>(#ws, #(#kernel_args),*);
                #dy.copy_from_slice(&d);
            },
            Output::Param(_) => quote! {
                #tangent::<L>(#ws, #(#kernel_args),*);
            },
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
                struct #kernel<#lt> { #x_field, #(#fields),* }
                impl #rt::Jvp for #kernel<'_> {
                    fn jvp<const L: usize>(&mut self, #ws: &#rt::Workspace, #dx: &[[f64; L]], #dy: &mut [[f64; L]]) {
                        let #this = self;
                        let #x = #this.#x;
                        #kernel_call
                    }
                }
                #prep.evaluate_forward(&mut #kernel { #x, #(#field_names),* })
            }
        });
        let prepare_with_body = self.body_or_stub(|| {
            quote! {
                if #options.mode == #rt::ModeChoice::Reverse {
                    ::core::panic!("asd: reverse mode is not generated for `{}` yet; use ModeChoice::Forward or Auto", ::core::stringify!(#f));
                }
                let #options = #rt::JacobianOptions { mode: #rt::ModeChoice::Forward, ..#options.clone() };
                #rt::JacobianPrep::new(#sparsity(#(#plain_args),*), &#options)
            }
        });
        let reborrow_args: Vec<TokenStream> = self
            .sig
            .params
            .iter()
            .map(|p| {
                let n = &p.name;
                match p.role {
                    Role::Output => quote!(&mut *#n),
                    _ => quote!(#n),
                }
            })
            .collect();
        let doc_sparsity = format!("The global sparsity pattern of the Jacobian of [`{f}`]: it holds for every input. Generated by `#[sparse_diff]`.");
        let doc_prepare = format!("Prepares sparse Jacobians of [`{f}`]: pattern detection, coloring, seeds and buffers, done once. Generated by `#[sparse_diff]`.");
        let doc_prepare_with = format!("[`{prepare}`] with options (mode, coloring order, lanes).");
        let doc_prepared = format!("The sparse Jacobian of [`{f}`] at `{x}`, reusing a preparation: a few compressed sweeps and a gather, no allocation. Panics if the sizes differ from the preparation's. Generated by `#[sparse_diff]`.");
        let doc_jacobian = format!("The sparse Jacobian of [`{f}`] at `{x}` (`m x n`, compressed rows): prepares and evaluates once. Generated by `#[sparse_diff]`.");
        let prepare_body = self.body_or_stub(|| quote!(#prepare_with(#(#plain_args,)* &#rt::JacobianOptions::default())));
        let jacobian_body = self.body_or_stub(|| {
            quote! {
                let mut #prep = #prepare(#(#reborrow_args),*);
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

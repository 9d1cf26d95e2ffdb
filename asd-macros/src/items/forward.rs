//! Forward-mode operators: `f_jvp`, and the sparse Jacobian ones (`f_jacobian_sparsity`,
//! `f_jacobian_prepare[_with]`, `f_jacobian_prepared`, `f_jacobian`), whose prepared
//! evaluation drives the tangent or the adjoint through the runtime's kernel traits.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use super::Items;
use crate::ir::Output;
use crate::names::{rt, Hidden};

impl Items<'_> {
    pub(super) fn forward_items(&self) -> TokenStream {
        let mut items = self.jvp();
        items.extend(self.jacobian_sparsity());
        items.extend(self.explain(false));
        items.extend(self.explain(true));
        items.extend(self.jacobian_sparsity_local());
        items.extend(self.jacobian());
        items
    }

    fn jvp(&self) -> TokenStream {
        let rt = rt();
        let f = self.name;
        let op = self.op("jvp");
        let params = self.plain_params();
        let x = self.active();
        let tangent = self.hidden(Hidden::Tangent);
        let dx = Ident::new("dx", Span::mixed_site());
        let dy = Ident::new("dy", Span::mixed_site());
        let ws = Ident::new("ws", Span::mixed_site());
        let dx_lanes = quote!(#dx.as_chunks::<1>().0);
        let (ret, call) = match self.output_param() {
            None => {
                let args = self.pass_args(None, &[dx_lanes], &[]);
                let value = match self.sig.output {
                    Output::Scalar => quote!((y, #dy[0])),
                    _ => quote!((y.into_vec(), #dy.as_flattened().to_vec())),
                };
                let ret = match self.sig.output {
                    Output::Scalar => quote!((f64, f64)),
                    _ => quote!((::std::vec::Vec<f64>, ::std::vec::Vec<f64>)),
                };
                (
                    ret,
                    quote! {
                        let (y, #dy) = #tangent::<1>(&#ws, #(#args),*);
                        #value
                    },
                )
            }
            Some(y) => {
                let args = self.pass_args(None, &[dx_lanes], &[quote!(#dy.as_chunks_mut::<1>().0)]);
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
        self.public_fn(
            format!(
                "Value and Jacobian-vector product of [`{f}`] (forward mode): returns `(y, J dx)` \
                 (for an output parameter, writes `y` and returns `J dx`)."
            ),
            quote!(#op(#(#params,)* #dx: &[f64]) -> #ret),
            |_| {
                quote! {
                    #rt::check_len("the tangent `dx`", #x.len(), #dx.len());
                    #rt::with_thread_workspace(|#ws| { #call })
                }
            },
        )
    }

    /// `f_explain`: the tracer run over `Why`s, input `j` the only one seeded.
    /// `f_explain`, or with `local` `f_explain_local`: the local tracer along the
    /// decisions at `x`, whose chains go through the arms taken there.
    fn explain(&self, local: bool) -> TokenStream {
        let rt = rt();
        let f = self.name;
        let (op, sparsity) = match local {
            false => (self.op("explain"), self.op("jacobian_sparsity")),
            true => (self.op("explain_local"), self.op("jacobian_sparsity_local")),
        };
        let params = self.plain_params();
        let x = self.active();
        let trace = self.hidden(if local {
            Hidden::TraceLocal
        } else {
            Hidden::Trace
        });
        let (i, j) = (
            Ident::new("i", Span::mixed_site()),
            Ident::new("j", Span::mixed_site()),
        );
        let x_why = Ident::new("x_why", Span::mixed_site());
        let y_why = Ident::new("y_why", Span::mixed_site());
        let (decisions, rep) = (
            Ident::new("decisions", Span::mixed_site()),
            Ident::new("rep", Span::mixed_site()),
        );
        let mut args = self.tracer_args(&quote!(&#x_why), &quote!(&mut #y_why));
        let replay = local.then(|| {
            args.push(quote!(&mut #rep));
            let record = self.record_decisions(&decisions);
            quote!(#record let mut #rep = #decisions.replay();)
        });
        let which = match local {
            false => "",
            true => {
                " at this `x`, along the branches taken and the `max`/`min` operands chosen here"
            }
        };
        let trace_call = self.traced_outputs(
            &y_why,
            quote!(#trace(#(#args),*)),
            quote!(<#rt::Why as #rt::TraceSet>::new()),
        );
        let name = f.to_string();
        self.public_fn(
            format!(
                "Why output `i` of [`{f}`] depends on input `j`{which}: the statements (file, line, \
                 text) through which `{x}[j]` reaches it, or that `(i, j)` is not in [`{sparsity}`]'s \
                 pattern. Print it to read it. Panics if `i` or `j` is out of range."
            ),
            quote!(#op(#(#params,)* #i: usize, #j: usize) -> #rt::Explanation),
            |_| {
                quote! {
                    if #j >= #x.len() {
                        ::core::panic!("asd: the input index j = {} is out of range for an input of length {}", #j, #x.len());
                    }
                    #replay
                    let #x_why: ::std::vec::Vec<#rt::Why> = (0..#x.len())
                        .map(|k| if k == #j { #rt::Why::input() } else { <#rt::Why as #rt::TraceSet>::new() })
                        .collect();
                    #trace_call
                    match #y_why.get(#i) {
                        ::core::option::Option::Some(y) => #rt::Explanation::new(#name, (#i, #j), y),
                        ::core::option::Option::None => ::core::panic!(
                            "asd: the output index i = {} is out of range for an output of length {}", #i, #y_why.len()
                        ),
                    }
                }
            },
        )
    }

    /// `let outputs = ..` for a tracer `call`: one abstract value per output — the
    /// returned vector, a scalar in a vector of one, or the output parameter's values,
    /// which start `empty`.
    fn traced_outputs(
        &self,
        outputs: &Ident,
        call: TokenStream,
        empty: TokenStream,
    ) -> TokenStream {
        match self.output_param() {
            None if self.sig.output == Output::Scalar => quote!(let #outputs = ::std::vec![#call];),
            None => quote!(let #outputs = #call;),
            Some(y) => quote! {
                let mut #outputs = ::std::vec![#empty; #y.len()];
                #call;
            },
        }
    }

    /// `f_jacobian_sparsity`: the tracer run on one singleton set per input.
    fn jacobian_sparsity(&self) -> TokenStream {
        let rt = rt();
        let f = self.name;
        let op = self.op("jacobian_sparsity");
        let params = self.plain_params();
        let x = self.active();
        let trace = self.hidden(Hidden::Trace);
        let x_sets = Ident::new("x_sets", Span::mixed_site());
        let y_sets = Ident::new("y_sets", Span::mixed_site());
        let trace_args = self.tracer_args(&quote!(&#x_sets), &quote!(&mut #y_sets));
        let trace_call = self.traced_outputs(
            &y_sets,
            quote!(#trace(#(#trace_args),*)),
            quote!(#rt::IndexSet::new()),
        );
        self.public_fn(
            format!("The global sparsity pattern of the Jacobian of [`{f}`]: it holds for every input."),
            quote!(#op(#(#params),*) -> #rt::SparsityPattern),
            |_| {
                quote! {
                    let #x_sets: ::std::vec::Vec<#rt::IndexSet> = (0..#x.len()).map(#rt::IndexSet::singleton).collect();
                    #trace_call
                    #rt::SparsityPattern::from_index_sets(#x.len(), &#y_sets)
                }
            },
        )
    }

    /// Statements that bind `decisions` (the recording primal's, at `x`) and `pattern`
    /// (the local tracer's, along them), in an operator's body.
    /// `let mut decisions = ..;`: the recording primal's decisions at `x`, in an
    /// operator's body.
    pub(super) fn record_decisions(&self, decisions: &Ident) -> TokenStream {
        let rt = rt();
        let record = self.hidden(Hidden::Decisions);
        let ws = Ident::new("ws", Span::mixed_site());
        let record_args = self.pass_args(None, &[], &[]);
        let (take, restore) = self.output_restore(&ws);
        quote! {
            let mut #decisions = #rt::Decisions::default();
            #rt::with_thread_workspace(|#ws| {
                #take
                #record(#ws, #(#record_args,)* &mut #decisions);
                #restore
            });
        }
    }

    fn local_pattern(&self, decisions: &Ident, pattern: &Ident) -> TokenStream {
        let rt = rt();
        let x = self.active();
        let trace = self.hidden(Hidden::TraceLocal);
        let rep = Ident::new("rep", Span::mixed_site());
        let x_sets = Ident::new("x_sets", Span::mixed_site());
        let y_sets = Ident::new("y_sets", Span::mixed_site());
        let record = self.record_decisions(decisions);
        let mut trace_args = self.tracer_args(&quote!(&#x_sets), &quote!(&mut #y_sets));
        trace_args.push(quote!(&mut #rep));
        let trace_call = self.traced_outputs(
            &y_sets,
            quote!(#trace(#(#trace_args),*)),
            quote!(#rt::IndexSet::new()),
        );
        quote! {
            #record
            let #pattern = {
                let mut #rep = #decisions.replay();
                let #x_sets: ::std::vec::Vec<#rt::IndexSet> = (0..#x.len()).map(#rt::IndexSet::singleton).collect();
                #trace_call
                #rt::SparsityPattern::from_index_sets(#x.len(), &#y_sets)
            };
        }
    }

    /// `f_jacobian_sparsity_local`: the local tracer along the decisions at `x`.
    fn jacobian_sparsity_local(&self) -> TokenStream {
        let f = self.name;
        let rt = rt();
        let op = self.op("jacobian_sparsity_local");
        let params = self.plain_params();
        let x = self.active();
        let (decisions, pattern) = (
            Ident::new("decisions", Span::mixed_site()),
            Ident::new("pattern", Span::mixed_site()),
        );
        let local = self.local_pattern(&decisions, &pattern);
        let written = self
            .output_param()
            .map(|y| format!(" Writes the value into `{y}`."))
            .unwrap_or_default();
        self.public_fn(
            format!(
                "The local sparsity pattern of the Jacobian of [`{f}`] at `{x}`: only the arms the \
                 branches on differentiated reals take there, only the operands `max` and `min` \
                 choose there (both on a tie). A subset of the global pattern; it holds wherever \
                 [`{f}`] decides the same way, which a local preparation checks.{written}"
            ),
            quote!(#op(#(#params),*) -> #rt::SparsityPattern),
            |_| quote!(#local #pattern),
        )
    }

    /// The preparation and evaluation of sparse Jacobians: a kernel struct holding the
    /// parameters implements the runtime's `Jvp` (through `__asd_derivs_f`, or the
    /// tangent for an output parameter) and `Vjp` (through the adjoint), and the
    /// preparation chooses which to drive.
    fn jacobian(&self) -> TokenStream {
        let rt = rt();
        let f = self.name;
        let sparsity = self.op("jacobian_sparsity");
        let prepare = self.op("jacobian_prepare");
        let prepare_with = self.op("jacobian_prepare_with");
        let prepared = self.op("jacobian_prepared");
        let checked = self.op("jacobian_prepared_checked");
        let jacobian = self.op("jacobian");
        let record = self.hidden(Hidden::Decisions);
        let record_args = self.pass_args(None, &[], &[]);
        let rec = Ident::new("rec", Span::mixed_site());
        let params = self.plain_params();
        let plain_args = self.plain_args();
        let x = self.active();
        let options = Ident::new("options", Span::mixed_site());
        let prep = Ident::new("prep", Span::mixed_site());

        let (kernel, kernel_decl, kernel_new) = self.kernel_struct();
        let dx = Ident::new("dx", Span::mixed_site());
        let dy = Ident::new("dy", Span::mixed_site());
        let ws = Ident::new("ws", Span::mixed_site());
        let this = Ident::new("kernel", Span::mixed_site());
        let derivs = self.hidden(match self.sig.output {
            Output::Param(_) => Hidden::Tangent,
            Output::Scalar | Output::Vector => Hidden::Derivs,
        });
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
            Output::Vector => quote! {
                const OWNS_PRODUCTS: bool = true;
                #[inline(always)]
                fn jvp_owned<'w, const L: usize>(&mut self, #ws: &'w #rt::Workspace, #dx: &'w [[f64; L]]) -> Option<#rt::LaneBuf<'w, L>> {
                    let #this = self;
                    let #x = #this.#x;
                    Some(#derivs::<L>(#ws, #(#kernel_args),*).1)
                }
            },
            Output::Scalar | Output::Param(_) => quote!(),
        };
        let tape = Ident::new("tape", Span::mixed_site());
        let adjoint = self.hidden(Hidden::Adjoint);
        let dy_io = Ident::new("dy_io", Span::mixed_site());
        let seed = match self.sig.output {
            Output::Scalar => quote!(#dy[0]),
            Output::Vector | Output::Param(_) => quote!(#dy),
        };
        let vjp_args = self.adjoint_args(Some(&this), quote!(#dx), quote!(&mut #dy_io), seed);
        let vjp_call = match self.sig.output {
            Output::Param(_) => quote! {
                let mut #dy_io = #ws.lane_copy::<L>(#dy);
                #adjoint::<L>(#ws, &mut #tape, #(#vjp_args),*);
            },
            Output::Scalar | Output::Vector => {
                quote!(#adjoint::<L>(#ws, &mut #tape, #(#vjp_args),*);)
            }
        };
        let output_check = self
            .output_param()
            .map(|y| quote!(#prep.check_output_len(#y.len());));
        // A function that reads its output's values from the caller starts every run
        // from them: the decisions' run, a preparation's and each sweep.
        let output_ws = Ident::new("output_ws", Span::mixed_site());
        let (take, restore) = self.output_restore(&output_ws);
        let restore_kernel = self
            .output_initial()
            .map(|(y, y0)| quote!(#this.#y.copy_from_slice(#this.#y0);));

        let mut items = self.public_fn(
            format!("Prepares sparse Jacobians of [`{f}`]: pattern detection, coloring, seeds and buffers, done once."),
            quote!(#prepare(#(#params),*) -> #rt::JacobianPrep),
            |_| quote!(#prepare_with(#(#plain_args,)* &#rt::JacobianOptions::default())),
        );
        // Without a kink, the second-order trace gives the pattern (its first-order
        // sets) and the varying entries (the inputs in an interaction) in one run; the
        // others are constant for these constants, which must have a key.
        let key = self.constants_key();
        let structure_key = self.structure_key();
        let smooth = self.hidden(Hidden::Smooth);
        let trace2 = self.hidden(Hidden::Trace2);
        let (x2, y2) = (
            Ident::new("x2", Span::mixed_site()),
            Ident::new("y2", Span::mixed_site()),
        );
        let trace2_args = self.tracer_args(&quote!(&#x2), &quote!(&mut #y2));
        let trace2_call = self.traced_outputs(
            &y2,
            quote!(#trace2(#(#trace2_args),*)),
            quote!(#rt::Trace2::new()),
        );
        let (decisions, pattern) = (
            Ident::new("decisions", Span::mixed_site()),
            Ident::new("pattern", Span::mixed_site()),
        );
        let local = self.local_pattern(&decisions, &pattern);
        items.extend(self.public_fn(
            format!(
                "[`{prepare}`] with options (mode, coloring order, lanes; constant entries: of \
                 inputs that enter an output linearly, evaluated once; scaled rows: rows proved multiples of constant ones, learned at the first evaluation; `Sparsity::Local`: the local pattern at `{x}`, which \
                 [`{checked}`] checks at each input)."
            ),
            quote!(#prepare_with(#(#params,)* #options: &#rt::JacobianOptions) -> #rt::JacobianPrep),
            |_| {
                // Rows proved multiples of constant rows are learned at the first
                // evaluation, for these constants, which must have a key.
                let scaled = self.generated.is_some_and(|g| g.scaled_rows).then(|| quote! {
                    if #options.scaled_rows && key.is_some() {
                        let mut #prep = #rt::JacobianPrep::with_scaled_rows(#sparsity(#(#plain_args),*), #options);
                        #prep.constants_at(key);
                        #prep
                    } else
                });
                quote! {
                    let mut #prep = match #options.sparsity {
                        #rt::Sparsity::Global => {
                            let key = #key;
                            #scaled if #options.constant_entries && key.is_some() && #smooth(0) {
                                let #x2 = #rt::Trace2::seeds(#x.len());
                                #trace2_call
                                let varying: ::std::vec::Vec<#rt::IndexSet> = #y2.iter().map(|t| t.varying()).collect();
                                let varying = #rt::SparsityPattern::from_index_sets(#x.len(), &varying);
                                let sets: ::std::vec::Vec<#rt::IndexSet> = #y2.into_iter().map(|t| t.g).collect();
                                let pattern = #rt::SparsityPattern::from_index_sets(#x.len(), &sets);
                                let mut #prep = #rt::JacobianPrep::with_constant_entries(pattern, &varying, #options);
                                #prep.constants_at(key);
                                #prep
                            } else {
                                #rt::JacobianPrep::new(#sparsity(#(#plain_args),*), #options)
                            }
                        }
                        #rt::Sparsity::Local(_) => {
                            #local
                            #rt::JacobianPrep::new_local(#pattern, #decisions, #options)
                        }
                    };
                    #prep.made_with(#options, #structure_key);
                    #prep
                }
            },
        ));
        let switch = Ident::new("switch", Span::mixed_site());
        items.extend(self.public_fn(
            format!(
                "The sparse Jacobian of [`{f}`] at `{x}`, reusing a preparation: a few compressed \
                 sweeps and a gather, no allocation. Panics if the sizes differ from the \
                 preparation's. A local preparation (`Sparsity::Local`) first checks that [`{f}`] \
                 decides at `{x}` as at the preparation's input (one more primal run): where it \
                 does not, it prepares again with `OnSwitch::Reprepare`, or returns the \
                 `BranchSwitch` with `OnSwitch::Error`, and never a Jacobian of a pattern that \
                 does not hold."
            ),
            quote!(#checked<'p>(#prep: &'p mut #rt::JacobianPrep, #(#params),*) -> ::core::result::Result<&'p #rt::sprs::CsMat<f64>, #rt::BranchSwitch>),
            |_| {
                let body = quote! {
                    // Constants that shape the pattern other than at the preparation's.
                    if let ::core::option::Option::Some(#options) = #prep.prepare_again(#structure_key) {
                        *#prep = #prepare_with(#(#plain_args,)* &#options);
                    }
                    if let ::core::result::Result::Err(#switch) = #prep.check_decisions(|#ws, #rec| { #restore #record(#ws, #(#record_args,)* #rec) }) {
                        match #prep.on_switch() {
                            ::core::option::Option::Some(#rt::OnSwitch::Reprepare) => {
                                let #options = *#prep.local_options().expect("a local preparation");
                                #restore
                                *#prep = #prepare_with(#(#plain_args,)* &#options);
                            }
                            _ => return ::core::result::Result::Err(#switch),
                        }
                    }
                    if #prep.keyed_by_constants() {
                        #prep.constants_at(#key);
                    }
                    #kernel_decl
                    impl #rt::Jvp for #kernel<'_> {
                        #[inline(always)]
                        fn jvp<const L: usize>(&mut self, #ws: &#rt::Workspace, #dx: &[[f64; L]], #dy: &mut [[f64; L]]) {
                            let #this = self;
                            #restore_kernel
                            let #x = #this.#x;
                            #kernel_call
                        }
                        #jvp_owned
                    }
                    impl #rt::Vjp for #kernel<'_> {
                        #[inline(always)]
                        fn vjp<const L: usize>(&mut self, #ws: &#rt::Workspace, #dy: &[[f64; L]], #dx: &mut [[f64; L]]) {
                            let #this = self;
                            #restore_kernel
                            let #x = #this.#x;
                            let mut #tape = #ws.tape();
                            #vjp_call
                        }
                    }
                    // In parallel when the kernel can be shared, serially otherwise.
                    use #rt::{ParallelJacobian as _, SerialJacobian as _};
                    ::core::result::Result::Ok(#rt::Evaluate(#kernel_new).jacobian(#prep))
                };
                // The output's values from the caller are kept in a buffer of the thread's
                // workspace, where the function reads them.
                let body = match take {
                    Some(take) => quote!(#rt::with_thread_workspace(move |#output_ws| { #take #body })),
                    None => body,
                };
                quote! {
                    #prep.check_input_len(#x.len());
                    #output_check
                    #body
                }
            },
        ));
        items.extend(self.public_fn(
            format!(
                "The sparse Jacobian of [`{f}`] at `{x}`, reusing a preparation: a few compressed \
                 sweeps and a gather, no allocation. Panics if the sizes differ from the \
                 preparation's, and, for a local preparation made with `OnSwitch::Error`, if \
                 [`{f}`] decides differently at `{x}` than at the preparation's input, so that its \
                 pattern may miss entries (see [`{checked}`], which returns that as an error)."
            ),
            quote!(#prepared<'p>(#prep: &'p mut #rt::JacobianPrep, #(#params),*) -> &'p #rt::sprs::CsMat<f64>),
            |_| {
                quote! {
                    match #checked(#prep, #(#plain_args),*) {
                        ::core::result::Result::Ok(j) => j,
                        ::core::result::Result::Err(e) => ::core::panic!("asd: {}", e),
                    }
                }
            },
        ));
        items.extend(self.public_fn(
            format!("The sparse Jacobian of [`{f}`] at `{x}` (`m x n`, compressed rows): prepares and evaluates once."),
            quote!(#jacobian(#(#params),*) -> #rt::sprs::CsMat<f64>),
            |_| {
                // Evaluated once: constant entries and scaled rows would cost sweeps of
                // their own.
                quote! {
                    let #options = #rt::JacobianOptions::default().with_constant_entries(false).with_scaled_rows(false);
                    let mut #prep = #prepare_with(#(#plain_args,)* &#options);
                    #prepared(&mut #prep, #(#plain_args),*).clone()
                }
            },
        ));
        items
    }
}

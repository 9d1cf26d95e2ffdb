//! Stage 5, items: the passes' bodies wrapped into the hidden functions ([`hidden`]) and
//! the public operators built on them: forward mode and Jacobians ([`forward`]),
//! reverse mode and gradients ([`reverse`]), Hessians ([`hessian`]), and the forms that
//! write into the caller's buffers ([`in_place`]), the `value_and_` forms ([`values`]),
//! several directions per call ([`batch`]), derivatives of functions of one real
//! ([`derivative`]).
//!
//! This stage runs no pass: it only writes signatures, argument lists and the calls
//! between the generated functions. When the body had errors, every item still exists,
//! with `unreachable!()` for a body, so the user sees only the real errors and not
//! "cannot find function `f_jacobian`".

mod batch;
mod derivative;
mod forward;
mod hessian;
mod hidden;
mod in_place;
mod reverse;
mod values;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Type};

use crate::ir::{Output, Role};
use crate::names::{rt, Hidden};
use crate::parse::{ParsedParam, Signature};
use crate::Generated;

/// Which generated function a parameter list is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The user's own types.
    Plain,
    /// The tangent: the active input and the output are followed by their lanes.
    Tangent,
    /// The Jacobian kernel's tangent: the input's lanes live as long as the workspace,
    /// so that `x.to_vec()` can share them (`Emitter::view_input`).
    Derivs,
    /// The recording primal `__asd_decisions_f`: the user's types, a real input as its
    /// one-element slice, no derivatives.
    Primal,
}

pub struct Items<'a> {
    pub sig: &'a Signature,
    pub name: &'a Ident,
    /// The user's function as a value: `f`, or `f::<f64>` when generic over its float.
    pub primal: TokenStream,
    pub vis: &'a syn::Visibility,
    /// The user's function updates its input in place (`fn f(x: &mut [f64])`): the
    /// operators take `x: &[f64]`, and the value is computed on a copy.
    pub in_place: bool,
    /// The user's function returns `Result<T, E>`: the operators differentiate its `Ok`
    /// value ([`desugar::fallible`](crate::desugar::fallible)) and take the value from it.
    pub fallible: bool,
    /// The user's function returns `[f64; N]`: the operators differentiate it as one
    /// returning a `Vec<f64>` ([`desugar::array`](crate::desugar::array)).
    pub array: bool,
    /// What the passes generated; `None` when the body had errors.
    pub generated: Option<&'a Generated>,
}

impl Items<'_> {
    /// Every item, hidden ones first, after `let _ = f;` in an unnamed constant: a user
    /// who calls only the operators is not told that `f` is never used. Not in the
    /// hidden functions, where a parameter named `f` would hide `f`.
    pub fn emit(&self) -> TokenStream {
        let f = &self.primal;
        let mut items = quote! {
            const _: () = {
                let _ = #f;
            };
        };
        items.extend(self.hidden_items());
        items.extend(self.forward_items());
        items.extend(self.reverse_items());
        items.extend(self.hessian_items());
        items.extend(self.in_place_items());
        items.extend(self.value_items());
        items.extend(self.batch_items());
        items.extend(self.derivative_items());
        items
    }

    /// Whether the Hessian operators are generated: for scalar functions whose second
    /// order is (not through calls of functions that write an output parameter), and as
    /// stubs when the body had errors.
    fn has_hessians(&self) -> bool {
        self.sig.output == Output::Scalar && self.generated.is_none_or(|g| g.hvp.is_some())
    }

    fn hidden(&self, which: Hidden) -> Ident {
        which.of(self.name)
    }

    /// `f_suffix`, at the user's span so that errors in its use point at `f`.
    fn op(&self, suffix: &str) -> Ident {
        format_ident!("{}_{}", self.name, suffix, span = self.name.span())
    }

    /// A generated function's body, or `unreachable!()` when the body had errors.
    fn body_or_stub(&self, body: impl FnOnce(&Generated) -> TokenStream) -> TokenStream {
        match self.generated {
            Some(g) => body(g),
            None => quote!(::core::unreachable!()),
        }
    }

    /// A hidden helper: `signature` is everything after `fn` up to the body. It allows
    /// the lints that code generated for any body may trip. `#[inline]`: a library that
    /// exports annotated functions compiles only what its users call.
    fn hidden_fn(&self, signature: TokenStream, body: TokenStream) -> TokenStream {
        self.hidden_fn_inline(quote!(#[inline]), signature, body)
    }

    /// A pass over lanes (tangent, adjoint, HVP): `#[inline(always)]`, so that the
    /// runtime's wide-vector entry point (compiled for AVX2 and chosen at run time)
    /// holds the whole kernel, compiled for that instruction set.
    fn lane_fn(&self, signature: TokenStream, body: TokenStream) -> TokenStream {
        self.hidden_fn_inline(quote!(#[inline(always)]), signature, body)
    }

    fn hidden_fn_inline(
        &self,
        inline: TokenStream,
        signature: TokenStream,
        body: TokenStream,
    ) -> TokenStream {
        let vis = self.vis;
        let items = self.generated.map(|g| &g.local_items);
        quote! {
            #[doc(hidden)]
            #inline
            #[allow(unused_mut, unused_variables, unused_assignments, unreachable_code, unreachable_patterns, unused_parens, unused_braces, unused_imports, while_true, unused_comparisons, non_snake_case, dead_code, clippy::all)]
            #vis fn #signature {
                #items
                #body
            }
        }
    }

    /// A public operator with its documentation; its body is a stub when the user's body
    /// had errors.
    fn public_fn(
        &self,
        doc: String,
        signature: TokenStream,
        body: impl FnOnce(&Generated) -> TokenStream,
    ) -> TokenStream {
        let vis = self.vis;
        let doc = format!("{doc} Generated by `#[sparse_diff]`.");
        let body = self.body_or_stub(body);
        // A real input is the one-element slice the generated code takes.
        let t = self.sig.scalar_input.then(|| {
            let t = self.active();
            quote!(let #t: &[f64] = &[#t];)
        });
        quote! {
            #[doc = #doc]
            #[inline]
            #[allow(unused_variables, clippy::all)]
            #vis fn #signature {
                #t
                #body
            }
        }
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
            if kind == Kind::Plain && self.sig.scalar_input && p.role == Role::Active {
                out.push(quote!(#n: f64));
                continue;
            }
            out.push(quote!(#m #n: #ty));
            if kind != Kind::Plain && kind != Kind::Primal {
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
    /// `Option<u64>`: the key of the constant parameters' values, `None` when one has
    /// a type without `ConstKey` (chosen at compile time by method resolution, see
    /// `asd_runtime::KeyOf`).
    fn constants_key(&self) -> TokenStream {
        self.key_of(|_| true)
    }

    /// The key of the constants a preparation holds for
    /// ([`crate::analyse::structural_params`]): an evaluation with other values of them
    /// prepares again.
    fn structure_key(&self) -> TokenStream {
        let structural = self.generated.map(|g| &g.structural);
        self.key_of(|k| structural.is_none_or(|s| s[k]))
    }

    /// The hash of the constant parameters at the positions `take` keeps; `None` when one
    /// of them has no key ([`KnownKey`](https://docs.rs/asd)).
    fn key_of(&self, take: impl Fn(usize) -> bool) -> TokenStream {
        let rt = rt();
        let h = Ident::new("h", Span::mixed_site());
        let added = self
            .sig
            .params
            .iter()
            .enumerate()
            .filter(|(k, p)| p.role == Role::Constant && take(*k))
            .map(|(_, p)| {
                let n = &p.name;
                quote!(& (&#rt::KeyOf(&#n)).add_to(&mut #h))
            });
        quote!({
            use #rt::{KnownKey as _, UnknownKey as _};
            let mut #h = ::std::hash::DefaultHasher::new();
            let known = true #(#added)*;
            known.then(|| ::std::hash::Hasher::finish(&#h))
        })
    }

    fn plain_params(&self) -> Vec<TokenStream> {
        self.params(Kind::Plain)
    }

    /// The parameters passed on unchanged, as a call of a generated function with the
    /// user's own parameters reads them (a real input, which the operator's body holds
    /// as a one-element slice, as that element).
    fn plain_args(&self) -> Vec<TokenStream> {
        let mut args = self.pass_args(None, &[], &[]);
        if self.sig.scalar_input {
            let at = self.active_position();
            let t = self.active();
            args[at] = quote!(#t[0]);
        }
        args
    }

    /// The position of the active parameter.
    fn active_position(&self) -> usize {
        let at = self.sig.params.iter().position(|p| p.role == Role::Active);
        at.expect("parse guarantees an active parameter")
    }

    /// A tracer's parameters: the input a slice of abstract values `value`, the output
    /// parameter a mutable one, the constants as declared.
    fn tracer_params(&self, value: &TokenStream) -> Vec<TokenStream> {
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
    fn tracer_args(&self, input: &TokenStream, output: &TokenStream) -> Vec<TokenStream> {
        self.sig
            .params
            .iter()
            .map(|p| {
                let n = &p.name;
                match p.role {
                    Role::Active => input.clone(),
                    Role::Output => output.clone(),
                    Role::Constant if p.by_value() => by_value(p, quote!(&#n)),
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
                Role::Constant if p.by_value() => {
                    let value = match this {
                        Some(_) => value,
                        None => quote!(&#value),
                    };
                    out.push(by_value(p, value));
                }
                Role::Constant => out.push(value),
            }
        }
        out
    }

    /// The struct a prepared evaluation hands the driver: the input and the other
    /// parameters, borrowed. Returns its name, declaration and construction.
    ///
    /// Without an output parameter every field is `Copy` (the kernels copy them out),
    /// so the struct is `Clone + Copy`, and `Sync` exactly when the parameters are: then
    /// the runtime's `Evaluate` picks the parallel evaluation, one copy per sweep.
    fn kernel_struct(&self) -> (Ident, TokenStream, TokenStream) {
        let kernel = Ident::new("Kernel", Span::mixed_site());
        let lt = syn::Lifetime::new("'a", Span::mixed_site());
        let (mut fields, mut names): (Vec<TokenStream>, Vec<TokenStream>) = self
            .sig
            .params
            .iter()
            .map(|p| {
                let n = &p.name;
                let ty = with_lifetime(&p.ty, &lt);
                if p.by_value() {
                    return (quote!(#n: &#lt #ty), quote!(#n: &#n));
                }
                (quote!(#n: #ty), quote!(#n))
            })
            .unzip();
        // The output's values from the caller, which each sweep starts from.
        if let Some((_, y0)) = self.output_initial() {
            fields.push(quote!(#y0: &#lt [f64]));
            names.push(quote!(#y0: &#y0));
        }
        (
            kernel.clone(),
            match self.output_param() {
                None => quote! {
                    #[derive(::core::clone::Clone, ::core::marker::Copy)]
                    struct #kernel<#lt> { #(#fields),* }
                },
                Some(_) => quote!(struct #kernel<#lt> { #(#fields),* }),
            },
            quote!(#kernel { #(#names),* }),
        )
    }

    /// The active input's name.
    fn active(&self) -> &Ident {
        let active = self.sig.params.iter().find(|p| p.role == Role::Active);
        &active.expect("parse guarantees an active parameter").name
    }

    /// For a function that reads its output parameter's values from the caller
    /// ([`crate::analyse::reads_output_first`]): the parameter, and the name of the copy
    /// of those values an operator takes first and restores before each sweep.
    fn output_initial(&self) -> Option<(&Ident, Ident)> {
        let y = self.output_param()?;
        self.generated
            .is_some_and(|g| g.reads_output)
            .then(|| (y, Ident::new("__asd_y0", Span::mixed_site())))
    }

    /// `let y0 = ws.copy(y);` (a buffer of the workspace `ws`) and `y.copy_from_slice(&y0);`
    /// for a function that reads its output's values from the caller
    /// ([`output_initial`](Self::output_initial)).
    fn output_restore(&self, ws: &Ident) -> (Option<TokenStream>, Option<TokenStream>) {
        let initial = self.output_initial();
        (
            initial
                .as_ref()
                .map(|(y, y0)| quote!(let #y0 = #ws.copy(#y);)),
            initial
                .as_ref()
                .map(|(y, y0)| quote!(#y.copy_from_slice(&#y0);)),
        )
    }

    /// The output parameter's name, for functions that write one.
    fn output_param(&self) -> Option<&Ident> {
        match self.sig.output {
            Output::Param(i) => Some(&self.sig.params[i].name),
            Output::Scalar | Output::Vector => None,
        }
    }
}

/// `&[f64]` -> `&'a [f64]`, so constants can be held by the kernel struct: every
/// lifetime but `'static`, at any depth (`&&[usize]`, `&'_ T`, `&'x T`), since a field
/// has no elision and the struct declares only `'a`.
fn with_lifetime(ty: &Type, lt: &syn::Lifetime) -> Type {
    struct Name<'l>(&'l syn::Lifetime);
    impl syn::visit_mut::VisitMut for Name<'_> {
        fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
            if r.lifetime.is_none() {
                r.lifetime = Some(self.0.clone());
            }
            syn::visit_mut::visit_type_reference_mut(self, r);
        }
        fn visit_lifetime_mut(&mut self, l: &mut syn::Lifetime) {
            if l.ident != "static" {
                *l = self.0.clone();
            }
        }
        // A function pointer's or a trait object's references have their own elision.
        fn visit_type_bare_fn_mut(&mut self, _: &mut syn::TypeBareFn) {}
        fn visit_parenthesized_generic_arguments_mut(
            &mut self,
            _: &mut syn::ParenthesizedGenericArguments,
        ) {
        }
    }
    let mut ty = ty.clone();
    syn::visit_mut::VisitMut::visit_type_mut(&mut Name(lt), &mut ty);
    ty
}

/// `asd_runtime::by_value(place)`: a constant taken by value, copied out of `place` (a
/// reference to it), at its type, so that a type that is not `Copy` says so there,
/// once.
fn by_value(p: &ParsedParam, place: TokenStream) -> TokenStream {
    let ty = &p.ty;
    quote_spanned!(ty.span()=> ::asd::__private::by_value::<#ty>(#place))
}

//! The `value_and_` forms DifferentiationInterface has and the other operators do not
//! already cover (`f_jvp`, `f_vjp` and `f_gradient` return the value):
//! `f_value_and_jacobian[_prepared]` for functions that return their value, and
//! `f_value_gradient_and_hessian[_prepared]` for scalar ones.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use super::Items;
use crate::ir::Output;
use crate::names::rt;

impl Items<'_> {
    pub(super) fn value_items(&self) -> TokenStream {
        let mut items = TokenStream::new();
        // An output parameter already receives the value from `f_jacobian[_prepared]`.
        if self.output_param().is_none() {
            items.extend(self.value_and_jacobian());
        }
        if self.has_hessians() {
            items.extend(self.value_gradient_and_hessian());
        }
        items
    }

    /// The user's function called on the operator's parameters; for a function that
    /// updates its input in place, on a copy of it; of one that returns an array, as a
    /// `Vec`.
    pub(super) fn value_call(&self) -> TokenStream {
        // A parameter named like the function hides it: reach the item by its path.
        let f = &self.primal;
        let f = if self.sig.params.iter().any(|p| p.name == *self.name) {
            quote!(self::#f)
        } else {
            quote!(#f)
        };
        let mut args = self.plain_args();
        if self.in_place {
            // The function updates a copy of its input; the other parameters as given.
            let x = self.active();
            let y = Ident::new("y", Span::mixed_site());
            args[self.active_position()] = quote!(&mut #y);
            return quote!({
                let mut #y = #x.to_vec();
                #f(#(#args),*);
                #y
            });
        }
        let value = if self.fallible {
            let message = crate::desugar::fallible::error_message(self.name);
            quote!(match #f(#(#args),*) {
                ::core::result::Result::Ok(value) => value,
                ::core::result::Result::Err(_) => ::core::panic!(#message),
            })
        } else {
            quote!(#f(#(#args),*))
        };
        if self.array {
            quote!(::std::vec::Vec::from(#value))
        } else {
            value
        }
    }

    fn value_and_jacobian(&self) -> TokenStream {
        let rt = rt();
        let f = self.name;
        let x = self.active();
        let (op, op_prepared, jacobian, prepared) = (
            self.op("value_and_jacobian"),
            self.op("value_and_jacobian_prepared"),
            self.op("jacobian"),
            self.op("jacobian_prepared"),
        );
        let params = self.plain_params();
        let args = self.plain_args();
        let prep = Ident::new("prep", Span::mixed_site());
        let value_ty = match self.sig.output {
            Output::Scalar => quote!(f64),
            _ => quote!(::std::vec::Vec<f64>),
        };
        let value = self.value_call();
        let mut items = self.public_fn(
            format!("Value and sparse Jacobian of [`{f}`] at `{x}`: [`{f}`] and [`{jacobian}`]."),
            quote!(#op(#(#params),*) -> (#value_ty, #rt::sprs::CsMat<f64>)),
            |_| quote!((#value, #jacobian(#(#args),*))),
        );
        items.extend(self.public_fn(
            format!(
                "Value and sparse Jacobian of [`{f}`] at `{x}`, reusing a preparation: [`{f}`] and \
                 [`{prepared}`], which allocates nothing."
            ),
            quote!(#op_prepared<'p>(#prep: &'p mut #rt::JacobianPrep, #(#params),*) -> (#value_ty, &'p #rt::sprs::CsMat<f64>)),
            |_| quote!((#value, #prepared(#prep, #(#args),*))),
        ));
        items
    }

    fn value_gradient_and_hessian(&self) -> TokenStream {
        let rt = rt();
        let f = self.name;
        let x = self.active();
        let (op, op_prepared, gradient, gradient_into, hessian, prepared) = (
            self.op("value_gradient_and_hessian"),
            self.op("value_gradient_and_hessian_prepared"),
            self.op("gradient"),
            self.op("gradient_into"),
            self.op("hessian"),
            self.op("hessian_prepared"),
        );
        let params = self.plain_params();
        let args = self.plain_args();
        let (prep, g) = (
            Ident::new("prep", Span::mixed_site()),
            Ident::new("g", Span::mixed_site()),
        );
        let mut items = self.public_fn(
            format!(
                "Value, gradient and sparse Hessian of [`{f}`] at `{x}`: [`{gradient}`] and [`{hessian}`]."
            ),
            quote!(#op(#(#params),*) -> (f64, ::std::vec::Vec<f64>, #rt::sprs::CsMat<f64>)),
            |_| {
                quote! {
                    let (value, gradient) = #gradient(#(#args),*);
                    (value, gradient, #hessian(#(#args),*))
                }
            },
        );
        items.extend(self.public_fn(
            format!(
                "Value, gradient (written into `g`, its length checked) and sparse Hessian of [`{f}`] at \
                 `{x}`, reusing a preparation: [`{gradient_into}`] and [`{prepared}`], no allocation."
            ),
            quote!(#op_prepared<'p>(#prep: &'p mut #rt::HessianPrep, #(#params,)* #g: &mut [f64]) -> (f64, &'p #rt::sprs::CsMat<f64>)),
            |_| {
                quote! {
                    let value = #gradient_into(#(#args,)* #g);
                    (value, #prepared(#prep, #(#args),*))
                }
            },
        ));
        items
    }
}

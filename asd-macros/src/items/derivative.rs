//! Operators of functions of one real `t` (a curve, an ODE right-hand side in time):
//! `f_derivative`, `f_value_and_derivative`, `f_second_derivative` and
//! `f_value_derivative_and_second_derivative`. The passes see `t` as a one-element slice
//! (`parse::scalar_input`), so these are the tangent in the direction `1`, and for the
//! second derivative the adjoint of the tangent: `f_hvp` in the direction `1` for a
//! scalar function; for a vector one, seeded with the unit cotangent `e_i` on the
//! tangent's output, it gives `d²y_i/dt²`, `L` components per sweep.

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
    pub(super) fn derivative_items(&self) -> TokenStream {
        if !self.sig.scalar_input {
            return quote!();
        }
        let mut items = self.derivative();
        if self.has_second_derivative() {
            items.extend(self.second_derivative());
        }
        items
    }

    /// Second order is generated for returned values (not through calls of functions
    /// that write an output parameter), and as stubs when the body had errors.
    fn has_second_derivative(&self) -> bool {
        let generated = |g: &crate::Generated| match self.sig.output {
            Output::Scalar => g.hvp.is_some(),
            Output::Vector => g.tangent_adjoint.is_some(),
            Output::Param(_) => false,
        };
        self.output_param().is_none() && self.generated.is_none_or(generated)
    }

    /// The type of the value, and of each derivative: the function's output.
    fn value_ty(&self) -> TokenStream {
        match self.sig.output {
            Output::Scalar => quote!(f64),
            Output::Vector | Output::Param(_) => quote!(::std::vec::Vec<f64>),
        }
    }

    fn derivative(&self) -> TokenStream {
        let f = self.name;
        let t = self.active();
        let (op, op_value, jvp) = (
            self.op("derivative"),
            self.op("value_and_derivative"),
            self.op("jvp"),
        );
        let params = self.plain_params();
        let args = self.plain_args();
        let ty = self.value_ty();
        let what = match self.output_param() {
            Some(y) => format!(" (writes the value into `{y}`)"),
            None => String::new(),
        };
        let derivative = match self.output_param() {
            Some(_) => quote!(#jvp(#(#args,)* &[1.0])),
            None => quote!(#jvp(#(#args,)* &[1.0]).1),
        };
        let mut items = self.public_fn(
            format!("The derivative of [`{f}`] with respect to `{t}`{what}: one forward sweep."),
            quote!(#op(#(#params),*) -> #ty),
            |_| derivative,
        );
        if self.output_param().is_none() {
            items.extend(self.public_fn(
                format!(
                    "The value and derivative of [`{f}`] with respect to `{t}`: one forward sweep."
                ),
                quote!(#op_value(#(#params),*) -> (#ty, #ty)),
                |_| quote!(#jvp(#(#args,)* &[1.0])),
            ));
        }
        items
    }

    fn second_derivative(&self) -> TokenStream {
        let f = self.name;
        let t = self.active();
        let (op, op_value, jvp) = (
            self.op("second_derivative"),
            self.op("value_derivative_and_second_derivative"),
            self.op("jvp"),
        );
        let params = self.plain_params();
        let args = self.plain_args();
        let ty = self.value_ty();
        let (doc, body) = match self.sig.output {
            Output::Scalar => {
                let hvp = self.op("hvp");
                (
                    format!(
                        "The second derivative of [`{f}`] with respect to `{t}`: [`{hvp}`] in the direction `1`."
                    ),
                    quote!(#hvp(#(#args,)* &[1.0])[0]),
                )
            }
            _ => (
                format!(
                    "The second derivative of [`{f}`] with respect to `{t}`, every component: the adjoint of \
                     the tangent code, seeded with the unit cotangent of `L = 4` components per sweep."
                ),
                self.vector_second_derivative(),
            ),
        };
        let mut items = self.public_fn(doc, quote!(#op(#(#params),*) -> #ty), |_| body);
        items.extend(self.public_fn(
            format!(
                "The value, derivative and second derivative of [`{f}`] with respect to `{t}`: [`{jvp}`] in \
                 the direction `1` and [`{op}`]."
            ),
            quote!(#op_value(#(#params),*) -> (#ty, #ty, #ty)),
            |_| {
                quote! {
                    let (value, derivative) = #jvp(#(#args,)* &[1.0]);
                    (value, derivative, #op(#(#args),*))
                }
            },
        ));
        items
    }

    /// `d²y_i/dt²` for every `i`: a tangent sweep for the output's length `m`, then
    /// `ceil(m / L)` sweeps of the tangent's adjoint, lane `l` seeded with the cotangent
    /// `e_i` on `y_d` (and none on `y`), its adjoint on `t` being `d(dy_i/dt)/dt`.
    fn vector_second_derivative(&self) -> TokenStream {
        let rt = rt();
        let tangent = self.hidden(Hidden::Tangent);
        let tangent_adjoint = self.hidden(Hidden::TangentAdjoint);
        let (ws, tape, t_b, t_d, t_d_b, no_seed, seed_d, d2) = (
            local("ws"),
            local("tape"),
            local("t_b"),
            local("t_d"),
            local("t_d_b"),
            local("no_seed"),
            local("seed_d"),
            local("d2"),
        );
        let first = self.pass_args(None, &[quote!(&[[1.0]])], &[]);
        let mut args = self.pass_args(
            None,
            &[quote!(&mut #t_b), quote!(&#t_d), quote!(&mut #t_d_b)],
            &[],
        );
        args.extend([quote!(&#no_seed), quote!(&#seed_d)]);
        quote! {
            const L: usize = 4;
            #rt::with_thread_workspace(|#ws| {
                let m = #tangent::<1>(#ws, #(#first),*).0.len();
                let #t_d = [[1.0; L]];
                let #no_seed = #ws.lane_zeros::<L>(m);
                let mut #seed_d = #ws.lane_zeros::<L>(m);
                let mut #d2 = ::std::vec![0.0; m];
                for start in (0..m).step_by(L) {
                    let count = L.min(m - start);
                    #seed_d.fill([0.0; L]);
                    for l in 0..count {
                        #seed_d[start + l][l] = 1.0;
                    }
                    let (mut #t_b, mut #t_d_b) = ([[0.0; L]], [[0.0; L]]);
                    let mut #tape = #ws.tape();
                    #tangent_adjoint::<L>(#ws, &mut #tape, #(#args),*);
                    for l in 0..count {
                        #d2[start + l] = #t_b[0][l];
                    }
                }
                #d2
            })
        }
    }
}

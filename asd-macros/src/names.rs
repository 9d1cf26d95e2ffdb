//! The names generated code is written with: the hidden path to the runtime and the
//! hidden items every annotated function gets next to it. Each is spelled here once, so
//! the items that define a helper and the calls that reach it (in another annotated
//! function, through the chain rule) cannot disagree.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

/// The hidden path generated code reaches the runtime by.
pub fn rt() -> TokenStream {
    quote!(::asd::__private)
}

/// A hidden item generated next to every annotated function `f`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hidden {
    /// `__ASD_WRT_f`: the position of the active parameter, which a caller checks.
    Wrt,
    /// `__asd_smooth_f(depth)`: whether no output of `f` has a kink (`abs`, `max`, `min`,
    /// a branch on a real), its own or a callee's: then an output without second-order
    /// interactions is affine, and its Jacobian row constant.
    Smooth,
    /// `__ASD_IN_PLACE_f`: whether `f` updates its input in place, which a caller of
    /// `f(&mut v)` checks.
    InPlace,
    /// `__asd_tangent_f`: forward mode with `L` lanes.
    Tangent,
    /// `__asd_derivs_f`: the tangent without the values nothing reads (the Jacobian kernel).
    Derivs,
    /// `__asd_trace_f`: the first-order sparsity tracer.
    Trace,
    /// `__asd_trace2_f`: the second-order (Hessian) sparsity tracer.
    Trace2,
    /// `__asd_decisions_f`: the primal that records its decisions on active reals.
    Decisions,
    /// `__asd_value_f`: the primal in the workspace, which callers' sweeps call for the
    /// value of a call, so that it allocates nothing.
    Value,
    /// `__asd_calls_on_constants_f(depth)`: whether `f` or a callee calls a function on
    /// constants, which its sweeps run as the user wrote it (allocating as it does).
    CallsOnConstants,
    /// `__asd_trace_local_f`: the first-order tracer that replays recorded decisions.
    TraceLocal,
    /// `__asd_trace2_local_f`: the second-order tracer that replays recorded decisions.
    Trace2Local,
    /// `__asd_adjoint_f`: reverse mode.
    Adjoint,
    /// `__asd_tangent_adjoint_f`: the adjoint of the tangent code, for callers' Hessians.
    TangentAdjoint,
    /// `__asd_hvp_f`: Hessian-vector products, reverse over forward.
    Hvp,
}

impl Hidden {
    fn prefix(self) -> &'static str {
        match self {
            Hidden::Wrt => "__ASD_WRT_",
            Hidden::Smooth => "__asd_smooth_",
            Hidden::InPlace => "__ASD_IN_PLACE_",
            Hidden::Tangent => "__asd_tangent_",
            Hidden::Derivs => "__asd_derivs_",
            Hidden::Trace => "__asd_trace_",
            Hidden::Trace2 => "__asd_trace2_",
            Hidden::Decisions => "__asd_decisions_",
            Hidden::Value => "__asd_value_",
            Hidden::CallsOnConstants => "__asd_calls_on_constants_",
            Hidden::TraceLocal => "__asd_trace_local_",
            Hidden::Trace2Local => "__asd_trace2_local_",
            Hidden::Adjoint => "__asd_adjoint_",
            Hidden::TangentAdjoint => "__asd_tangent_adjoint_",
            Hidden::Hvp => "__asd_hvp_",
        }
    }

    /// The item's name next to the function `f`.
    pub fn of(self, f: &Ident) -> Ident {
        format_ident!("{}{}", self.prefix(), f)
    }

    /// The item's path next to a called function: `m::g` -> `m::__asd_tangent_g`. A
    /// generic callee's arguments go (`g::<T>`): its hidden items are its `f64` ones.
    pub fn path(self, callee: &syn::Path) -> syn::Path {
        let mut p = callee.clone();
        if let Some(last) = p.segments.last_mut() {
            last.ident = format_ident!("{}{}", self.prefix(), last.ident, span = last.ident.span());
            last.arguments = syn::PathArguments::None;
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hidden_path_renames_the_last_segment_only() {
        let p: syn::Path = syn::parse_quote!(crate::m::g::<T>);
        let h = Hidden::TangentAdjoint.path(&p);
        assert_eq!(
            quote!(#h).to_string(),
            "crate :: m :: __asd_tangent_adjoint_g"
        );
        let f: Ident = syn::parse_quote!(f);
        assert_eq!(Hidden::Wrt.of(&f).to_string(), "__ASD_WRT_f");
    }
}

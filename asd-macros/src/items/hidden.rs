//! The hidden functions every annotated function gets, one per pass: the operators call
//! them, and so do other annotated functions that call this one (the chain rule).

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use super::{Items, Kind};
use crate::adjoint::AdjointFn;
use crate::ir::Output;
use crate::names::{rt, Hidden};
use crate::Generated;

impl Items<'_> {
    pub(super) fn hidden_items(&self) -> TokenStream {
        let mut items = self.wrt_const();
        items.extend(self.in_place_const());
        items.extend(self.smooth_const());
        items.extend(self.calls_on_constants_fn());
        items.extend(self.tangent_fn(Kind::Tangent));
        if !matches!(self.sig.output, Output::Param(_)) {
            items.extend(self.tangent_fn(Kind::Derivs));
        }
        items.extend(self.tracer_fn(Hidden::Trace));
        items.extend(self.tracer_fn(Hidden::Trace2));
        items.extend(self.tracer_fn(Hidden::TraceLocal));
        if self.sig.output == Output::Scalar {
            items.extend(self.tracer_fn(Hidden::Trace2Local));
        }
        items.extend(self.decisions_fn());
        items.extend(self.value_fn());
        if let Some(g) = self.generated {
            items.extend(self.adjoint_fn(Hidden::Adjoint, &g.adjoint));
            if let Some(f) = &g.tangent_adjoint {
                items.extend(self.adjoint_fn(Hidden::TangentAdjoint, f));
            }
            if let Some(f) = &g.hvp {
                items.extend(self.adjoint_fn(Hidden::Hvp, f));
            }
        }
        items
    }

    /// `__ASD_WRT_f`: which parameter is active, for callers to check at compile time.
    fn wrt_const(&self) -> TokenStream {
        let vis = self.vis;
        let c = self.hidden(Hidden::Wrt);
        let at = self.active_position();
        quote! {
            #[doc(hidden)]
            #[allow(non_upper_case_globals)]
            #vis const #c: usize = #at;
        }
    }

    /// `__ASD_IN_PLACE_f`: whether `f` updates its input in place, for callers of
    /// `f(&mut v)` to check at compile time.
    fn in_place_const(&self) -> TokenStream {
        let vis = self.vis;
        let c = self.hidden(Hidden::InPlace);
        let in_place = self.in_place;
        quote! {
            #[doc(hidden)]
            #[allow(non_upper_case_globals)]
            #vis const #c: bool = #in_place;
        }
    }

    /// `__asd_smooth_f(depth)`: no kink in `f` or what it calls (`false` when the body
    /// had errors, which nothing reads). A function, not a constant, since annotated
    /// functions may call each other in a cycle: past a depth no call chain reaches
    /// without one, the answer is `false`, which is always safe (no constant entries).
    fn smooth_const(&self) -> TokenStream {
        let c = self.hidden(Hidden::Smooth);
        let depth = Ident::new("depth", Span::mixed_site());
        let value = match self.generated {
            Some(g) => {
                let (own, callees) = (g.smooth, callees(g, Hidden::Smooth, &depth));
                quote!(#own && #depth < 64 #(&& #callees)*)
            }
            None => quote!(false),
        };
        self.hidden_fn(quote!(#c(#depth: u32) -> bool), value)
    }

    /// `__asd_calls_on_constants_f(depth)`: whether a sweep of `f` runs a function as
    /// the user wrote it, for a call on constants (which may be of any function). What it
    /// allocates, the sweep does: the tests of allocations look at the others.
    fn calls_on_constants_fn(&self) -> TokenStream {
        let c = self.hidden(Hidden::CallsOnConstants);
        let depth = Ident::new("depth", Span::mixed_site());
        let value = match self.generated {
            Some(g) => {
                let own = g.calls.on_constants;
                let callees = callees(g, Hidden::CallsOnConstants, &depth);
                quote!(#own #(|| (#depth < 64 && #callees))*)
            }
            None => quote!(false),
        };
        self.hidden_fn(quote!(#c(#depth: u32) -> bool), value)
    }

    /// `__asd_tangent_f` for [`Kind::Tangent`]; for [`Kind::Derivs`], `__asd_derivs_f`:
    /// the same without the values nothing else reads, for the Jacobian kernel, which
    /// discards the value.
    fn tangent_fn(&self, kind: Kind) -> TokenStream {
        let rt = rt();
        let name = self.hidden(match kind {
            Kind::Derivs => Hidden::Derivs,
            Kind::Tangent | Kind::Plain | Kind::Primal => Hidden::Tangent,
        });
        let params = self.params(kind);
        let ret = match self.sig.output {
            Output::Scalar => quote!(-> (f64, [f64; L])),
            Output::Vector => quote!(-> (#rt::Buf<'w>, #rt::LaneBuf<'w, L>)),
            Output::Param(_) => quote!(),
        };
        let ws = Ident::new("__ws", Span::mixed_site());
        let body = self.body_or_stub(|g| match kind {
            Kind::Derivs => g
                .derivs
                .clone()
                .expect("functions that return get a kernel"),
            Kind::Tangent | Kind::Plain | Kind::Primal => g.tangent.clone(),
        });
        self.lane_fn(
            quote!(#name<'w, const L: usize>(#ws: &'w #rt::Workspace, #(#params),*) #ret),
            body,
        )
    }

    /// `__asd_trace_f` or `__asd_trace2_f`: the function over abstract values, with its
    /// natural output type. The first-order one is generic over its [`TraceSet`]: the
    /// pattern's `IndexSet` or the explanation's `Why`.
    ///
    /// [`TraceSet`]: https://docs.rs/asd
    fn tracer_fn(&self, which: Hidden) -> TokenStream {
        let rt = rt();
        let set = crate::trace::set_param();
        let (value, generics) = match which {
            Hidden::Trace2 | Hidden::Trace2Local => (quote!(#rt::Trace2), quote!()),
            _ => (quote!(#set), quote!(<#set: #rt::TraceSet>)),
        };
        let name = self.hidden(which);
        let mut params = self.tracer_params(&value);
        if matches!(which, Hidden::TraceLocal | Hidden::Trace2Local) {
            let rep = Ident::new("__rep", Span::mixed_site());
            params.push(quote!(#rep: &mut #rt::Replay<'_>));
        }
        let ret = match self.sig.output {
            Output::Scalar => quote!(-> #value),
            Output::Vector => quote!(-> ::std::vec::Vec<#value>),
            Output::Param(_) => quote!(),
        };
        let body = self.body_or_stub(|g| match which {
            Hidden::Trace2 => g.trace2.clone(),
            Hidden::TraceLocal => g.trace_local.clone(),
            Hidden::Trace2Local => g.trace2_local.clone().unwrap_or_default(),
            _ => g.trace.clone(),
        });
        self.hidden_fn(quote!(#name #generics(#(#params),*) #ret), body)
    }

    /// `__asd_decisions_f`: the primal, in the workspace, recording its decisions on
    /// active reals in `__rec`; it returns nothing (an output parameter is written).
    fn decisions_fn(&self) -> TokenStream {
        let rt = rt();
        let name = self.hidden(Hidden::Decisions);
        let params = self.params(Kind::Primal);
        let ws = Ident::new("__ws", Span::mixed_site());
        let rec = Ident::new("__rec", Span::mixed_site());
        let body = self.body_or_stub(|g| g.decisions.clone());
        self.hidden_fn(
            quote!(#name(#ws: &#rt::Workspace, #(#params,)* #rec: &mut #rt::Decisions)),
            body,
        )
    }

    /// `__asd_value_f`: the primal, in the workspace; its vector value is a pooled
    /// buffer. Callers' sweeps call it for the value of a call of `f`.
    fn value_fn(&self) -> TokenStream {
        let rt = rt();
        let name = self.hidden(Hidden::Value);
        let params = self.params(Kind::Primal);
        let ws = Ident::new("__ws", Span::mixed_site());
        let ret = match self.sig.output {
            Output::Scalar => quote!(-> f64),
            Output::Vector => quote!(-> #rt::Buf<'w>),
            Output::Param(_) => quote!(),
        };
        let body = self.body_or_stub(|g| g.value.clone());
        self.hidden_fn(
            quote!(#name<'w>(#ws: &'w #rt::Workspace, #(#params),*) #ret),
            body,
        )
    }

    /// `__asd_adjoint_f`, `__asd_tangent_adjoint_f` or `__asd_hvp_f`: the adjoint pass's
    /// output, after the workspace.
    fn adjoint_fn(&self, which: Hidden, f: &AdjointFn) -> TokenStream {
        let rt = rt();
        let name = self.hidden(which);
        let ws = Ident::new("__ws", Span::mixed_site());
        let AdjointFn { params, ret, body } = f;
        self.lane_fn(
            quote!(#name<'w, const L: usize>(#ws: &'w #rt::Workspace, #(#params),*) #ret),
            body.clone(),
        )
    }
}

/// `__asd_smooth_g(depth + 1)`, or another of `which`, for each annotated function `g`
/// that `f` calls on values depending on the input.
fn callees(g: &Generated, which: Hidden, depth: &Ident) -> Vec<TokenStream> {
    (g.calls.traced.iter())
        .map(|p| {
            let p = which.path(p);
            quote!(#p(#depth + 1))
        })
        .collect()
}

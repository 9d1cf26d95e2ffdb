//! Errors are collected, not thrown: every stage pushes what it finds and goes on, and
//! the driver stops only between stages, so a user sees every mistake at once.

use proc_macro2::{Delimiter, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};

/// A stage found mistakes: the driver stops after it (the errors are in [`Errors`]).
#[derive(Debug)]
pub struct Stop;

#[derive(Default)]
pub struct Errors(Vec<syn::Error>);

impl Errors {
    /// An error at the user's own tokens. The range runs from the first to the last
    /// token inside any parentheses the tokens start or end with that the user did not
    /// write: syn's printer adds parentheses where a rewritten expression needs them
    /// (`(&x[a..b]).iter()`), at the call site, and an error starting there would point
    /// at the attribute.
    pub fn at(&mut self, tokens: impl ToTokens, msg: impl std::fmt::Display) {
        let tokens = tokens.into_token_stream();
        let (Some(first), Some(last)) = (edge(&tokens, true), edge(&tokens, false)) else {
            self.0.push(syn::Error::new_spanned(tokens, msg));
            return;
        };
        let mut range = [
            Punct::new('.', Spacing::Alone),
            Punct::new('.', Spacing::Alone),
        ];
        range[0].set_span(first);
        range[1].set_span(last);
        self.0
            .push(syn::Error::new_spanned(quote!(#(#range)*), msg));
    }

    /// An error at a span.
    pub fn at_span(&mut self, span: proc_macro2::Span, msg: impl std::fmt::Display) {
        self.0.push(syn::Error::new(span, msg));
    }

    pub fn push(&mut self, e: syn::Error) {
        self.0.push(e);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The check between two stages: `errors.check()?` stops the driver when a stage
    /// found mistakes, after the stage has reported all of them.
    pub fn check(&self) -> Result<(), Stop> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Stop)
        }
    }

    /// The errors collected so far, in order.
    #[cfg(test)]
    pub fn iter(&self) -> impl Iterator<Item = &syn::Error> {
        self.0.iter()
    }

    /// All errors as `compile_error!` invocations.
    pub fn to_compile_errors(&self) -> TokenStream {
        self.0.iter().map(syn::Error::to_compile_error).collect()
    }
}

/// Where an error about `tokens` points: from its first to its last token, as
/// [`Errors::at`] reads them (inside parentheses syn's printer may have added).
pub fn span_of(tokens: impl ToTokens) -> Span {
    let tokens = tokens.into_token_stream();
    match (edge(&tokens, true), edge(&tokens, false)) {
        (Some(first), Some(last)) => first.join(last).unwrap_or(first),
        _ => Span::call_site(),
    }
}

/// The span of the first (`first`) or last token of `tokens`, inside the parentheses
/// they start or end with unless the user wrote those; `None` for no tokens.
fn edge(tokens: &TokenStream, first: bool) -> Option<Span> {
    let t = if first {
        tokens.clone().into_iter().next()
    } else {
        tokens.clone().into_iter().last()
    }?;
    // Parentheses the user wrote are read from the source: their text starts with `(`.
    let written =
        |g: &proc_macro2::Group| g.span().source_text().is_some_and(|t| t.starts_with('('));
    match &t {
        TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis && !written(g) => {
            edge(&g.stream(), first).or(Some(g.span()))
        }
        t => Some(t.span()),
    }
}

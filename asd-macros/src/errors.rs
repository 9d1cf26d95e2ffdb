//! Errors are collected, not thrown: every stage pushes what it finds and goes on, and
//! the driver stops only between stages, so a user sees every mistake at once.

use proc_macro2::TokenStream;
use quote::ToTokens;

/// A stage found mistakes: the driver stops after it (the errors are in [`Errors`]).
#[derive(Debug)]
pub struct Stop;

#[derive(Default)]
pub struct Errors(Vec<syn::Error>);

impl Errors {
    /// An error at the user's own tokens.
    pub fn at(&mut self, tokens: impl ToTokens, msg: impl std::fmt::Display) {
        self.0.push(syn::Error::new_spanned(tokens, msg));
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

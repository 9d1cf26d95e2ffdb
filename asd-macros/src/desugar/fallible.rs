//! A function that returns `Result<f64, E>` or `Result<Vec<f64>, E>` (or `Result<(),
//! E>` and writes its output parameter): the generated code differentiates its `Ok`
//! value, and panics where it returns an error.
//!
//! ```text
//! fn nll(x: &[f64], d: &[f64]) -> Result<f64, E> {    fn nll(x: &[f64], d: &[f64]) -> f64 {
//!     if d.is_empty() {                                   if d.is_empty() {
//!         return Err(E::Empty);                               panic!("`nll` returned an error");
//!     }                                                   }
//!     check(d)?;                                          if check(d).is_err() { panic!(..) }
//!     let k = count(d)?;                                  let k = count(d).ok().expect(..);
//!     Ok(x[0] * k as f64)                                 x[0] * k as f64
//! }                                                   }
//! ```
//!
//! `E` needs nothing (not even `Debug`): the message names the function.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{parse_quote_spanned, Expr, ItemFn, Stmt, Type};

/// `T` of a `Result<T, E>` (or `io::Result<T>`, `anyhow::Result<T>`) return type.
pub fn ok_type(output: &syn::ReturnType) -> Option<&Type> {
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    let Type::Path(p) = &**ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}

/// Rewrites a function that returns `Result<T, E>` into one that returns `T` (see the
/// module's documentation); others are left as they are.
pub fn ok_value(f: &mut ItemFn) {
    let Some(ok) = ok_type(&f.sig.output).cloned() else {
        return;
    };
    let span = f.sig.output.span();
    let unit = matches!(&ok, Type::Tuple(t) if t.elems.is_empty());
    f.sig.output = if unit {
        // `Result<(), E>` of a function that writes its output parameter.
        syn::ReturnType::Default
    } else {
        parse_quote_spanned!(span=> -> #ok)
    };
    let message = error_message(&f.sig.ident);
    let mut rewrite = OkValue { message, unit };
    rewrite.visit_block_mut(&mut f.block);
    if let Some(Stmt::Expr(tail, None)) = f.block.stmts.last_mut() {
        rewrite.tail(tail);
    }
    if unit && matches!(f.block.stmts.last(), Some(Stmt::Expr(e, None)) if is_unit(e)) {
        f.block.stmts.pop();
    }
}

/// `()`.
fn is_unit(e: &Expr) -> bool {
    matches!(e, Expr::Tuple(t) if t.elems.is_empty())
}

/// What the generated code panics with where `f` returns an error.
pub fn error_message(f: &syn::Ident) -> String {
    format!("`{f}` returned an error")
}

struct OkValue {
    message: String,
    /// The `Ok` value is `()`: `return Ok(())` is `return`.
    unit: bool,
}

impl OkValue {
    /// `panic!("`f` returned an error")`.
    fn panic(&self, span: Span) -> Expr {
        let m = syn::LitStr::new(&self.message, span);
        parse_quote_spanned!(span=> ::core::panic!(#m))
    }

    /// A value the function returns: `Ok(v)` is `v`, `Err(e)` a panic.
    fn tail(&self, e: &mut Expr) {
        each_value(e, &mut |e| match e {
            Expr::Call(c) if is_variant(&c.func, "Ok") && c.args.len() == 1 => {
                *e = c.args[0].clone();
            }
            Expr::Call(c) if is_variant(&c.func, "Err") => *e = self.panic(c.span()),
            _ => {}
        });
    }
}

/// Calls `leaf` on each expression whose value `e` takes: the arms of an `if` or
/// `match` and a block's last expression, each.
pub(super) fn each_value(e: &mut Expr, leaf: &mut dyn FnMut(&mut Expr)) {
    match e {
        Expr::If(i) => {
            block_value(&mut i.then_branch, leaf);
            if let Some((_, els)) = &mut i.else_branch {
                each_value(els, leaf);
            }
        }
        Expr::Match(m) => m
            .arms
            .iter_mut()
            .for_each(|a| each_value(&mut a.body, leaf)),
        Expr::Block(b) => block_value(&mut b.block, leaf),
        Expr::Paren(p) => each_value(&mut p.expr, leaf),
        _ => leaf(e),
    }
}

fn block_value(b: &mut syn::Block, leaf: &mut dyn FnMut(&mut Expr)) {
    if let Some(Stmt::Expr(e, None)) = b.stmts.last_mut() {
        each_value(e, leaf);
    }
}

impl VisitMut for OkValue {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        visit_mut::visit_expr_mut(self, e);
        match e {
            Expr::Return(r) => match r.expr.as_deref_mut() {
                Some(Expr::Call(c)) if is_variant(&c.func, "Err") => *e = self.panic(r.span()),
                Some(v) => {
                    self.tail(v);
                    if self.unit && is_unit(v) {
                        r.expr = None;
                    }
                }
                None => {}
            },
            // `g(..)?`: its `Ok` value, or the panic.
            Expr::Try(t) => {
                let span = t.question_token.span;
                let (inner, m) = (&t.expr, syn::LitStr::new(&self.message, span));
                *e = parse_quote_spanned!(span=> #inner.ok().expect(#m));
            }
            _ => {}
        }
    }

    fn visit_stmt_mut(&mut self, s: &mut Stmt) {
        // `check(d)?;` alone: a condition, since its value is not used.
        if let Stmt::Expr(Expr::Try(t), Some(_)) = s {
            let span = t.span();
            let (inner, panic) = (&t.expr, self.panic(span));
            *s = parse_quote_spanned!(span=> if #inner.is_err() { #panic; });
            return;
        }
        visit_mut::visit_stmt_mut(self, s);
    }

    // A closure's `?` and `return` are its own.
    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// `Ok` or `Err` (or `Result::Ok`, `std::result::Result::Err`).
fn is_variant(func: &Expr, name: &str) -> bool {
    matches!(func, Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == name))
}

//! A function that returns a fixed-size array of reals, `-> [f64; 3]` (an ODE's
//! right-hand side, a small residual): the generated code differentiates it as the
//! function returning the same values in a `Vec<f64>`, so its operators return
//! `Vec<f64>` values like those of any vector function.
//!
//! ```text
//! fn lorenz(u: &[f64; 3], p: &[f64; 3]) -> [f64; 3] {    fn lorenz(..) -> Vec<f64> {
//!     let [x, y, z] = *u;                                    let [x, y, z] = *u;
//!     if x > 10.0 {                                          if x > 10.0 {
//!         return [0.0; 3];                                       return vec![0.0; 3];
//!     }                                                      }
//!     [p[0] * (y - x), x * (p[1] - z) - y, x * y]            vec![p[0] * (y - x), ..]
//! }                                                      }
//! ```
//!
//! A returned array named by a variable, `du`, is returned as `du.to_vec()`; a call, of
//! another function that returns an array, as it is.

use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{parse_quote_spanned, Expr, Ident, ItemFn, Stmt, Type};

use super::fallible::{each_value, ok_type};
use super::patterns::is_place;

/// Whether the function returns an array of reals, `[f64; N]` or `[T; N]` of its float
/// type `T` (or a `Result` of one).
pub fn returns_array(sig: &syn::Signature) -> bool {
    array_len(sig).is_some()
}

/// `N` of the array of reals the function returns.
fn array_len(sig: &syn::Signature) -> Option<&Expr> {
    let ty = match (ok_type(&sig.output), &sig.output) {
        (Some(ok), _) => ok,
        (None, syn::ReturnType::Type(_, ty)) => ty,
        (None, syn::ReturnType::Default) => return None,
    };
    let real = |t: &Type| {
        crate::parse::is_type(t, "f64")
            || sig
                .generics
                .type_params()
                .any(|p| crate::parse::is_type(t, &p.ident.to_string()))
    };
    match ty {
        Type::Array(a) if real(&a.elem) => Some(&a.len),
        _ => None,
    }
}

/// Rewrites a function that returns `[f64; N]` into one that returns `Vec<f64>` (see the
/// module's documentation); others are left as they are.
pub fn vec_value(f: &mut ItemFn) {
    let Some(len) = array_len(&f.sig).cloned() else {
        return;
    };
    let span = f.sig.output.span();
    f.sig.output = parse_quote_spanned!(span=> -> Vec<f64>);
    let mut to_vec = |e: &mut Expr| to_vec(e, &len, &f.sig.ident);
    Returns(&mut to_vec).visit_block_mut(&mut f.block);
    if let Some(Stmt::Expr(tail, None)) = f.block.stmts.last_mut() {
        each_value(tail, &mut to_vec);
    }
}

/// One returned array of `len` reals as a `Vec`: `[a, b]` is `vec![a, b]`, `[v; n]` is
/// `vec![v; n]`, a named array `u` (or `*u`) is `u.to_vec()`, and a vector converted,
/// `v.try_into().unwrap()`, is `v` where it has `len` elements (the function panics
/// otherwise, and so do its operators).
fn to_vec(e: &mut Expr, len: &Expr, f: &Ident) {
    let span = e.span();
    *e = match e {
        Expr::Array(a) => {
            let elems = &a.elems;
            parse_quote_spanned!(span=> vec![#elems])
        }
        Expr::Repeat(r) => {
            let (value, len) = (&r.expr, &r.len);
            parse_quote_spanned!(span=> vec![#value; #len])
        }
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
            let u = &u.expr;
            parse_quote_spanned!(span=> #u.to_vec())
        }
        Expr::MethodCall(m) if m.method == "unwrap" || m.method == "expect" => {
            let Expr::MethodCall(t) = &*m.receiver else {
                return;
            };
            if t.method != "try_into" || !t.args.is_empty() || !is_place(&t.receiver) {
                return;
            }
            let v = &t.receiver;
            let message = format!("`{f}` converted a vector of another length into its array");
            parse_quote_spanned!(span=> {
                if #v.len() != #len {
                    ::core::panic!(#message);
                }
                #v.to_vec()
            })
        }
        Expr::Path(_) | Expr::Field(_) | Expr::Index(_) => parse_quote_spanned!(span=> #e.to_vec()),
        // A call (of a function that returns an array, in the generated code a vector)
        // or anything else, as it is.
        _ => return,
    };
}

/// Each `return v;` of the body, not of its closures or items.
struct Returns<'a>(&'a mut dyn FnMut(&mut Expr));

impl VisitMut for Returns<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        visit_mut::visit_expr_mut(self, e);
        if let Expr::Return(r) = e {
            if let Some(v) = r.expr.as_deref_mut() {
                each_value(v, self.0);
            }
        }
    }

    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

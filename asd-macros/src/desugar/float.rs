//! A function generic over its float type (`fn f<T: Float>(x: &[T]) -> T`, as the
//! num-traits crates write it) is differentiated at `f64`: the type parameter goes, `T`
//! becomes `f64`, and the num-traits constructors become `f64` values
//! (`T::from_f64(0.5).unwrap()` is `0.5`, `T::one()` is `1.0`, `T::PI()` is
//! `std::f64::consts::PI`). The user's function stays generic; the operators are its
//! `f64` instantiation.

use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{parse_quote_spanned, Expr, GenericParam, Ident, ItemFn, Type};

use crate::errors::Errors;

/// The traits that make a type parameter the float type.
const FLOAT_TRAITS: &[&str] = &[
    "Float",
    "FloatCore",
    "Real",
    "RealField",
    "ComplexField",
    "FloatConst",
    "FromPrimitive",
    "NumCast",
    "Num",
    "Signed",
];

/// Replaces the float type parameter of `f`, if it has one, by `f64`; returns whether
/// it had one.
pub fn instantiate(f: &mut ItemFn, errors: &mut Errors) -> bool {
    let Some(t) = float_param(f) else {
        return false;
    };
    f.sig.generics.params = f
        .sig
        .generics
        .params
        .iter()
        .filter(|p| !matches!(p, GenericParam::Type(tp) if tp.ident == t))
        .cloned()
        .collect();
    if let Some(w) = &mut f.sig.generics.where_clause {
        w.predicates = w
            .predicates
            .iter()
            .filter(|p| !matches!(p, syn::WherePredicate::Type(pt) if is_param(&pt.bounded_ty, &t)))
            .cloned()
            .collect();
        if w.predicates.is_empty() {
            f.sig.generics.where_clause = None;
        }
    }
    let mut s = ToF64 { t, errors };
    s.visit_signature_mut(&mut f.sig);
    s.visit_block_mut(&mut f.block);
    true
}

/// The type parameter bounded by a float trait, or the only type parameter.
fn float_param(f: &ItemFn) -> Option<Ident> {
    let params: Vec<&syn::TypeParam> = f
        .sig
        .generics
        .params
        .iter()
        .filter_map(|p| match p {
            GenericParam::Type(t) => Some(t),
            _ => None,
        })
        .collect();
    let floatlike = |t: &syn::TypeParam| {
        let in_where = f
            .sig
            .generics
            .where_clause
            .iter()
            .flat_map(|w| &w.predicates)
            .any(|p| {
                matches!(p, syn::WherePredicate::Type(pt)
                if is_param(&pt.bounded_ty, &t.ident) && pt.bounds.iter().any(is_float_bound))
            });
        t.bounds.iter().any(is_float_bound) || in_where
    };
    params
        .iter()
        .find(|t| floatlike(t))
        .map(|t| t.ident.clone())
}

fn is_float_bound(b: &syn::TypeParamBound) -> bool {
    matches!(b, syn::TypeParamBound::Trait(t)
        if t.path.segments.last().is_some_and(|s| FLOAT_TRAITS.contains(&s.ident.to_string().as_str())))
}

fn is_param(ty: &Type, t: &Ident) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.is_ident(t))
}

struct ToF64<'e> {
    t: Ident,
    errors: &'e mut Errors,
}

impl ToF64<'_> {
    /// `T::name` as a path expression or callee.
    fn assoc<'a>(&self, e: &'a Expr) -> Option<&'a Ident> {
        match e {
            Expr::Path(p)
                if p.qself.is_none()
                    && p.path.segments.len() == 2
                    && p.path.segments[0].ident == self.t =>
            {
                Some(&p.path.segments[1].ident)
            }
            _ => None,
        }
    }

    /// `T::zero()`, `T::from_f64(e)`, `T::PI()`...: the `f64` value, `Some` where the
    /// num-traits function returns an `Option` (the caller drops its `unwrap`).
    fn constructor(&mut self, c: &syn::ExprCall) -> Option<(Expr, bool)> {
        let name = self.assoc(&c.func)?.to_string();
        let span = c.span();
        let arg = c.args.first();
        let value: Expr = match (name.as_str(), arg) {
            ("zero" | "default", None) => parse_quote_spanned!(span=> 0.0),
            ("one", None) => parse_quote_spanned!(span=> 1.0),
            ("epsilon", None) => parse_quote_spanned!(span=> f64::EPSILON),
            ("infinity", None) => parse_quote_spanned!(span=> f64::INFINITY),
            ("neg_infinity", None) => parse_quote_spanned!(span=> f64::NEG_INFINITY),
            ("max_value", None) => parse_quote_spanned!(span=> f64::MAX),
            ("min_value", None) => parse_quote_spanned!(span=> f64::MIN),
            ("min_positive_value", None) => parse_quote_spanned!(span=> f64::MIN_POSITIVE),
            (n, None) if crate::rules::F64_CONSTS.contains(&n) => {
                let c = Ident::new(n, span);
                parse_quote_spanned!(span=> ::std::f64::consts::#c)
            }
            (n, Some(a)) if n.starts_with("from") => {
                return Some((parse_quote_spanned!(span=> ((#a) as f64)), true));
            }
            _ => return None,
        };
        Some((value, false))
    }
}

impl VisitMut for ToF64<'_> {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if is_param(ty, &self.t) {
            *ty = parse_quote_spanned!(ty.span()=> f64);
        } else {
            visit_mut::visit_type_mut(self, ty);
        }
    }

    fn visit_expr_mut(&mut self, e: &mut Expr) {
        match e {
            // `T::from_f64(e).unwrap()`, `.expect(..)`: the conversion without the Option.
            Expr::MethodCall(mc)
                if matches!(mc.method.to_string().as_str(), "unwrap" | "expect") =>
            {
                if let Expr::Call(c) = &*mc.receiver {
                    if let Some((value, _)) = self.constructor(c) {
                        *e = value;
                        return self.visit_expr_mut(e);
                    }
                }
                // `x.to_f64().unwrap()`, `i.to_usize().unwrap()`: a cast.
                if let Expr::MethodCall(inner) = &*mc.receiver {
                    let name = inner.method.to_string();
                    if let Some(target) = name.strip_prefix("to_").filter(|_| inner.args.is_empty())
                    {
                        let span = inner.span();
                        let target = Ident::new(target, span);
                        let recv = &inner.receiver;
                        *e = parse_quote_spanned!(span=> ((#recv) as #target));
                        return self.visit_expr_mut(e);
                    }
                }
                visit_mut::visit_expr_mut(self, e);
            }
            Expr::Call(c) => match self.constructor(c) {
                Some((value, false)) => *e = value,
                Some((_, true)) => {
                    self.errors.at(&*c, "a conversion to the float type returns an `Option` here: write `.unwrap()` after it");
                }
                None => visit_mut::visit_expr_mut(self, e),
            },
            // `vec![T::zero(); n]`: the elements, which syn keeps as tokens.
            Expr::Macro(m) if m.mac.path.is_ident("vec") => {
                super::vec_elements(&mut m.mac, &mut |x| self.visit_expr_mut(x))
            }
            // `T::sqrt(x)`, `T::EPSILON`: the `f64` function or constant.
            Expr::Path(p)
                if p.qself.is_none()
                    && p.path.segments.len() > 1
                    && p.path.segments[0].ident == self.t =>
            {
                p.path.segments[0].ident = Ident::new("f64", p.path.segments[0].ident.span());
            }
            _ => visit_mut::visit_expr_mut(self, e),
        }
    }
}

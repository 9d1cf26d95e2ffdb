//! Slice and `f64` methods numeric code uses, as the core subset writes them:
//! `v.first().unwrap()` is `v[0]`, `v.last()` `v[v.len() - 1]`, `v.is_empty()`
//! `v.len() == 0`, `v.get(i).copied().unwrap_or(d)` `if i < v.len() { v[i] } else { d }`,
//! `a.clamp(lo, hi)` `a.max(lo).min(hi)`, `a.log(b)` `a.ln() / b.ln()`, `a.to_radians()`
//! `a * (PI / 180.0)`, and `y.copy_from_slice(x)`,
//! `y.fill(v)`, `y.swap(i, j)`, `v.reverse()` loops and stores, `t.to_vec()` of a
//! sub-slice and `v.extend_from_slice(t)`, `v.extend(chain)` loops of pushes.

use syn::spanned::Spanned;
use syn::{parse_quote_spanned, Expr, ExprMethodCall};

use super::{paren, strip, Desugar, IntoExpr};

impl Desugar<'_> {
    /// `e` (a method call) in the core subset, not yet rewritten; `None` if it is none of
    /// these methods.
    pub(super) fn slice_method(&mut self, mc: &ExprMethodCall) -> Option<Expr> {
        let span = mc.span();
        let name = mc.method.to_string();
        let args: Vec<&Expr> = mc.args.iter().collect();
        Some(match (name.as_str(), args.as_slice()) {
            // `v.first().unwrap()`, `v.last().copied().unwrap()`...
            ("unwrap" | "expect", _) => {
                let Expr::MethodCall(inner) = skip_copies(&mc.receiver) else {
                    return None;
                };
                let view = self.slice(&inner.receiver)?;
                match (inner.method.to_string().as_str(), inner.args.is_empty()) {
                    ("first", true) => view.at(&parse_quote_spanned!(span=> 0)),
                    ("last", true) => {
                        let n = &view.len;
                        view.at(&parse_quote_spanned!(span=> #n - 1))
                    }
                    _ => return None,
                }
            }
            // `v.get(i).copied().unwrap_or(d)` (or `first()`, `last()`): the element, or
            // `d` past the end.
            ("unwrap_or", [default]) => {
                let Expr::MethodCall(copied) = strip(&mc.receiver) else {
                    return None;
                };
                let Expr::MethodCall(get) = strip(&copied.receiver) else {
                    return None;
                };
                let copies = (copied.method == "copied" || copied.method == "cloned")
                    && copied.args.is_empty();
                let view = self.slice(&get.receiver)?;
                let n = paren(view.len.clone());
                // `first()` is `get(0)`, `last()` is `get(n - 1)` where `n > 0`.
                let (i, cond): (Expr, Expr) = match (get.method.to_string().as_str(), &get.args) {
                    _ if !copies => return None,
                    ("get", a) if a.len() == 1 => {
                        let i = paren(a[0].clone());
                        (i.clone(), parse_quote_spanned!(span=> #i < #n))
                    }
                    ("first", a) if a.is_empty() => (
                        parse_quote_spanned!(span=> 0),
                        parse_quote_spanned!(span=> 0 < #n),
                    ),
                    ("last", a) if a.is_empty() => (
                        parse_quote_spanned!(span=> (#n - 1)),
                        parse_quote_spanned!(span=> 0 < #n),
                    ),
                    _ => return None,
                };
                let at = view.at(&i);
                parse_quote_spanned!(span=> (if #cond { #at } else { #default }))
            }
            ("is_empty", []) => {
                let view = self.slice(&mc.receiver)?;
                let n = paren(view.len);
                parse_quote_spanned!(span=> (#n == 0))
            }
            // `a.log(b)`, and the angle conversions, in the table's methods.
            ("log", [b]) => {
                let (a, b) = (paren((*mc.receiver).clone()), paren((*b).clone()));
                parse_quote_spanned!(span=> f64::ln(#a) / f64::ln(#b))
            }
            ("to_radians", []) => {
                let a = paren((*mc.receiver).clone());
                parse_quote_spanned!(span=> #a * (std::f64::consts::PI / 180.0))
            }
            ("to_degrees", []) => {
                let a = paren((*mc.receiver).clone());
                parse_quote_spanned!(span=> #a * (180.0 / std::f64::consts::PI))
            }
            ("clamp", [lo, hi]) => {
                let a = paren((*mc.receiver).clone());
                parse_quote_spanned!(span=> #a.max(#lo).min(#hi))
            }
            ("copy_from_slice" | "clone_from_slice", [src]) => {
                let (dst, src) = (self.slice(&mc.receiver)?, self.slice(src)?);
                let k = self.fresh("k", span);
                let (d, s) = (
                    dst.at(&k.clone().into_expr()),
                    src.at(&k.clone().into_expr()),
                );
                let n = &dst.len;
                parse_quote_spanned!(span=> for #k in 0..#n { #d = #s; })
            }
            ("fill", [v]) => {
                let dst = self.slice(&mc.receiver)?;
                let k = self.fresh("k", span);
                let d = dst.at(&k.clone().into_expr());
                let n = &dst.len;
                parse_quote_spanned!(span=> for #k in 0..#n { #d = #v; })
            }
            ("swap", [i, j]) => {
                let v = self.slice(&mc.receiver)?;
                let (a, b) = (v.at(i), v.at(j));
                let t = self.fresh("t", span);
                parse_quote_spanned!(span=> { let #t = #a; #a = #b; #b = #t; })
            }
            // `x[a..b].to_vec()`, `t.to_vec()` of a sub-slice `t`: its elements pushed
            // into a new vector (a whole vector's copy is the lowering's).
            ("to_vec" | "clone", []) => {
                let view = match strip(&mc.receiver) {
                    Expr::Index(_) => self.sub_slice(&mc.receiver)?,
                    e => self.view_of(e)?,
                };
                let (v, k) = (self.fresh("v", span), self.fresh("k", span));
                let (n, at) = (&view.len, view.at(&k.clone().into_expr()));
                parse_quote_spanned!(span=> {
                    let mut #v = Vec::with_capacity(#n);
                    for #k in 0..#n { #v.push(#at); }
                    #v
                })
            }
            ("extend_from_slice", [src]) => {
                let src = self.slice(src)?;
                let (v, k) = (&mc.receiver, self.fresh("k", span));
                let (n, at) = (&src.len, src.at(&k.clone().into_expr()));
                parse_quote_spanned!(span=> for #k in 0..#n { (#v).push(#at); })
            }
            // `v.extend(chain)`: the chain's elements pushed, by a loop over it.
            ("extend", [chain]) => {
                let (v, e) = (&mc.receiver, self.fresh("e", span));
                parse_quote_spanned!(span=> for #e in (#chain) { (#v).push(#e); })
            }
            ("reverse", []) => {
                let view = self.slice(&mc.receiver)?;
                let (n, k, t) = (
                    self.fresh("n", span),
                    self.fresh("k", span),
                    self.fresh("t", span),
                );
                let len = &view.len;
                let a = view.at(&k.clone().into_expr());
                let b = view.at(&parse_quote_spanned!(span=> #n - 1 - #k));
                parse_quote_spanned!(span=> {
                    let #n = #len;
                    for #k in 0..#n / 2 { let #t = #a; #a = #b; #b = #t; }
                })
            }
            _ => return None,
        })
    }
}

/// `e` without trailing `.copied()` / `.cloned()`.
pub(super) fn skip_copies(e: &Expr) -> &Expr {
    match strip(e) {
        Expr::MethodCall(mc)
            if (mc.method == "copied" || mc.method == "cloned") && mc.args.is_empty() =>
        {
            skip_copies(&mc.receiver)
        }
        e => e,
    }
}

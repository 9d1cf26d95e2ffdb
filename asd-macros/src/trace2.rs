//! Pass: trace2 (Hessian sparsity), IR to Rust tokens. Abstract interpretation like
//! [`trace`](crate::trace), one level up: every active real becomes a `Trace2`, its
//! first-order set `g` (exactly the set the first-order tracer computes) and the
//! unordered pairs of inputs that interact in it: `h` where the second derivative may
//! vary with the input, `k` where it is constant (`x0 * x1`). An operation passes on
//! the `g`, `h` and `k` of its arguments with a non-zero derivative (their `k` into its
//! `h` where the partial derivative on the way varies: `x[2]` in `x[2] * (x0 * x1)`),
//! and adds its own interactions from the table of rules ([`rules::interactions`]): the
//! product of the `g` sets of the arguments it makes interact. Which sets multiply, and
//! where, is decided at compile time, so a constant factor costs nothing and
//! `s += x[i] * x[i + 2]` becomes
//!
//! ```text
//! if !(x[i].h.is_empty() && x[i].k.is_empty() && ..) {   // a nonlinear side: varies
//!     Trace2::insert_product(&mut s.h, &x[i].g, &x[i + 2].g);
//! } else {                                  // Mul's cross term is 1
//!     Trace2::insert_product(&mut s.k, &x[i].g, &x[i + 2].g);
//! }
//! s.union_with(&x[i]);                      // the leaves' own g, h and k
//! s.union_with(&x[i + 2]);
//! s.h.union_with(&x[i].k);                  // multiplied by x[i + 2]: they vary
//! s.h.union_with(&x[i + 2].k);
//! ```
//!
//! in place, so an accumulation stays linear in its length. This is the [`Domain`] of
//! the shared [`Tracer`]: control flow, calls (`__asd_trace2_g`, every annotated
//! function has one with its natural output type), branches on active reals (both
//! arms, joined), returns and inactive statements are as in first order.

use std::collections::BTreeMap;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use crate::ir::*;
use crate::names::{rt, Hidden};
use crate::rules;
use crate::trace::{distinct_leaves, union_of, Domain, Leaf, Tracer};

/// The second-order tracer.
pub type Trace2<'f> = Tracer<'f, SecondOrder>;

/// What an expression contributes at second order, worked out at compile time.
#[derive(Default)]
struct Parts {
    /// The leaves reached through non-zero derivatives, without repeats: their `g` and
    /// `h` pass on to the result.
    leaves: Vec<Leaf>,
    /// Those of them reached through a partial derivative that varies (`y` in `x * y`
    /// with `x` active, `x` in `x.sin()`): every pair of their `k` varies in the result.
    through_varying: Vec<Leaf>,
    /// The operations' own interactions: the product of the `g` sets of two argument
    /// subexpressions, each given by its leaves (never empty).
    products: Vec<Product>,
}

/// One interaction: the `g` sets of two argument subexpressions multiply, given by
/// their leaves; under a condition for a user rule, whose class is known at run time
/// (`rule_interacts::<G, N>(i, j)`, a constant the compiler folds).
struct Product {
    a: Vec<Leaf>,
    b: Vec<Leaf>,
    when: Option<TokenStream>,
    varies: Varies,
}

/// Whether an interaction's second derivative may vary with the input: it then goes
/// to `h`, otherwise to `k`.
enum Varies {
    /// Known at compile time: the operation's second partial varies (`x.sin()`), or a
    /// partial on the way from the root does (`z * (x * y)`), or an argument is
    /// nonlinear itself (`(x * y) * z`).
    Always,
    /// A constant second partial (`x * y`, `d.powi(2)`) of arguments linear in their
    /// leaves: it varies where one of these leaves is nonlinear, its `h` or `k` not
    /// empty at run time (`d` in `d * d` where `d = x0 * x1`).
    WhereNonlinear(Vec<Leaf>),
}

fn list_key(ls: &[Leaf]) -> String {
    ls.iter().map(Leaf::key).collect::<Vec<_>>().join(",")
}

fn parts(e: &Expr, f: &Function) -> Parts {
    let mut p = Parts {
        leaves: distinct_leaves(e, f),
        ..Parts::default()
    };
    let mut seen = BTreeMap::new();
    walk(e, f, false, &mut p, &mut seen);
    p
}

/// The interactions of every operation reached from the root through non-zero
/// derivatives (the same paths [`leaves`](crate::trace::leaves) follows), and the
/// leaves reached through a varying partial derivative; `through`: whether the path to
/// `e` went through one.
fn walk(e: &Expr, f: &Function, through: bool, p: &mut Parts, seen: &mut BTreeMap<String, usize>) {
    let of = |a: &Expr| distinct_leaves(a, f);
    match e {
        Expr::Var(_) | Expr::Index(..) => {
            for l in of(e) {
                if through && !p.through_varying.iter().any(|t| t.key() == l.key()) {
                    p.through_varying.push(l);
                }
            }
        }
        Expr::Lit(_) | Expr::Const(_) | Expr::Int(_) => {}
        Expr::Apply(op, args) => {
            let n = args.len();
            let active: Vec<bool> = args.iter().map(|a| !of(a).is_empty()).collect();
            let pairs = rules::interactions(*op, n);
            for &(i, j) in &pairs {
                let (a, b) = (of(&args[i]), of(&args[j]));
                if a.is_empty() || b.is_empty() {
                    continue; // a constant factor: no interaction
                }
                let varies = if through
                    || !rules::constant_second(*op, args, i, j)
                    || nonlinear(&args[i], f)
                    || nonlinear(&args[j], f)
                {
                    Varies::Always
                } else {
                    let mut ls = a.clone();
                    ls.extend(
                        b.iter()
                            .filter(|l| !a.iter().any(|k| k.key() == l.key()))
                            .cloned(),
                    );
                    Varies::WhereNonlinear(ls)
                };
                push(p, seen, a, b, user_condition(f, *op, n, i, j), varies);
            }
            for (k, (a, nz)) in args.iter().zip(rules::nonzero_args(*op, n)).enumerate() {
                // `∂op/∂a_k` varies where `a_k` interacts with an active argument.
                let partial_varies = pairs
                    .iter()
                    .any(|&(i, j)| (i == k && active[j]) || (j == k && active[i]));
                if nz {
                    walk(a, f, through || partial_varies, p, seen);
                }
            }
        }
    }
}

/// Adds an interaction once (by its sides and condition); seen again, it always
/// varies if either time it did.
fn push(
    p: &mut Parts,
    seen: &mut BTreeMap<String, usize>,
    a: Vec<Leaf>,
    b: Vec<Leaf>,
    when: Option<TokenStream>,
    varies: Varies,
) {
    let (ka, kb) = (list_key(&a), list_key(&b));
    let (ka, kb) = if ka <= kb { (ka, kb) } else { (kb, ka) };
    let condition = when.as_ref().map(ToString::to_string).unwrap_or_default();
    match seen.entry(format!("{ka};{kb};{condition}")) {
        std::collections::btree_map::Entry::Occupied(at) => {
            // The same sides: the same leaves where they are nonlinear.
            if let Varies::Always = varies {
                p.products[*at.get()].varies = Varies::Always;
            }
        }
        std::collections::btree_map::Entry::Vacant(at) => {
            at.insert(p.products.len());
            p.products.push(Product { a, b, when, varies });
        }
    }
}

/// Whether `e` has an interaction of its own: a nonlinear operation on active
/// arguments, whose partial derivatives in its leaves then vary.
fn nonlinear(e: &Expr, f: &Function) -> bool {
    let Expr::Apply(op, args) = e else {
        return false;
    };
    let active = |a: &Expr| !distinct_leaves(a, f).is_empty();
    rules::interactions(*op, args.len())
        .into_iter()
        .any(|(i, j)| active(&args[i]) && active(&args[j]))
        || args
            .iter()
            .zip(rules::nonzero_args(*op, args.len()))
            .any(|(a, nz)| nz && nonlinear(a, f))
}

/// For a user rule of `n` arguments, whether its arguments `i` and `j` interact, asked
/// of the rule at run time: `rule_interacts::<G, n>(i, j)`.
fn user_condition(
    f: &Function,
    op: rules::Op,
    n: usize,
    i: usize,
    j: usize,
) -> Option<TokenStream> {
    let rules::Op::User(u) = op else { return None };
    let ty = &f.rules.get(u.rule)?.ty;
    let rt = rt();
    let lit = proc_macro2::Literal::usize_unsuffixed;
    let (n, i, j) = (lit(n), lit(i), lit(j));
    Some(quote!(#rt::rule_interacts::<#ty, #n>(#i, #j)))
}

/// Second order: a real's value is the `Trace2` of its inputs and their interactions.
pub struct SecondOrder;

impl Domain for SecondOrder {
    const HIDDEN: Hidden = Hidden::Trace2;

    fn ty() -> TokenStream {
        let rt = rt();
        quote!(#rt::Trace2)
    }

    fn value(f: &Function, e: &Expr) -> TokenStream {
        let p = parts(e, f);
        let refs: Vec<TokenStream> = p.leaves.iter().map(|l| l.tokens(f)).collect();
        if p.products.is_empty() {
            // Linear in its leaves: no partial varies.
            return union_of::<Self>(&refs, "__t");
        }
        let t = Ident::new("__t", Span::mixed_site());
        let mut pre = TokenStream::new();
        let prods = insert_products(f, &quote!(#t), &p.products, &mut pre);
        let vary = vary_all(f, &quote!(#t), p.through_varying.iter());
        let init = union_of::<Self>(&refs, "__u");
        quote!({ #pre let mut #t = #init; #vary #prods #t })
    }

    /// A variable is updated in place (the products read its old `g`: they go first);
    /// an element through a temporary, since other elements of the same vector may be
    /// read.
    fn assign(f: &Function, target: &Leaf, e: &Expr) -> TokenStream {
        let rt = rt();
        let p = parts(e, f);
        let key = target.key();
        let is_self = |l: &Leaf| l.key() == key;
        let name = target.tokens(f);
        if !p.leaves.iter().any(is_self) {
            let value = Self::value(f, e);
            return quote!(#name = #value;);
        }
        let others: Vec<TokenStream> = p
            .leaves
            .iter()
            .filter(|l| !is_self(l))
            .map(|l| l.tokens(f))
            .collect();
        let mut pre = TokenStream::new();
        // The target's own pairs vary before its products join them (which read its old
        // `g`, `h` and `k`): they go first.
        let vary_self = |t: &TokenStream| {
            let own = p.through_varying.iter().filter(|l| is_self(l));
            vary_all(f, t, own)
        };
        let vary_others = |t: &TokenStream| {
            let others = p.through_varying.iter().filter(|l| !is_self(l));
            vary_all(f, t, others)
        };
        if let Leaf::Var(_) = target {
            let prods = insert_products(f, &name, &p.products, &mut pre);
            let (own, others_vary) = (vary_self(&name), vary_others(&name));
            return quote!({ #pre #own #prods #(#name.union_with(&#others);)* #others_vary });
        }
        if others.is_empty() && p.products.is_empty() {
            return quote!(); // `y[i] = y[i] * c`: nothing changes
        }
        let t = Ident::new("__t", Span::mixed_site());
        let prods = insert_products(f, &quote!(#t), &p.products, &mut pre);
        let (own, others_vary) = (vary_self(&quote!(#t)), vary_others(&quote!(#t)));
        quote!({
            #pre
            let mut #t = #rt::Trace2::new();
            #own
            #prods
            #(#t.union_with(&#others);)*
            #others_vary
            #name.union_with(&#t);
        })
    }
}

/// `Trace2::insert_product(&mut target.h, &ga, &gb);` for every product (or
/// `insert_square` when both sides are the same), `target` being a place whose `h` may
/// be borrowed beside the `g` sets the products read. The `g` of a single leaf is
/// borrowed, the union of several is built once in `pre`.
fn insert_products(
    f: &Function,
    target: &TokenStream,
    products: &[Product],
    pre: &mut TokenStream,
) -> TokenStream {
    let mut built: BTreeMap<String, Ident> = BTreeMap::new();
    let mut g_of = |ls: &[Leaf], pre: &mut TokenStream| -> TokenStream {
        if let [one] = ls {
            let one = one.tokens(f);
            return quote!(&#one.g);
        }
        let k = list_key(ls);
        let n = built.len();
        let id = built
            .entry(k)
            .or_insert_with(|| {
                let id = format_ident!("__g{}", n, span = Span::mixed_site());
                let u = Ident::new("__u", Span::mixed_site());
                let first = ls[0].tokens(f);
                let rest = ls[1..].iter().map(|l| l.tokens(f));
                pre.extend(quote!(let #id = { let mut #u = #first.g.clone(); #(#u.union_with(&#rest.g);)* #u };));
                id
            })
            .clone();
        quote!(&#id)
    };
    let rt = rt();
    let mut out = TokenStream::new();
    for Product { a, b, when, varies } in products {
        let ga = g_of(a, pre);
        let gb = (list_key(a) != list_key(b)).then(|| g_of(b, pre));
        let into = |set: TokenStream| match &gb {
            None => quote!(#rt::Trace2::insert_square(&mut #target.#set, #ga);),
            Some(gb) => quote!(#rt::Trace2::insert_product(&mut #target.#set, #ga, #gb);),
        };
        let insert = match varies {
            Varies::Always => into(quote!(h)),
            Varies::WhereNonlinear(ls) => {
                let (h, k) = (into(quote!(h)), into(quote!(k)));
                let linear = ls.iter().map(|l| {
                    let l = l.tokens(f);
                    quote!(#l.h.is_empty() && #l.k.is_empty())
                });
                quote!(if !(#(#linear)&&*) { #h } else { #k })
            }
        };
        out.extend(match when {
            Some(when) => quote!(if #when { #insert }),
            None => insert,
        });
    }
    out
}

/// `target.h ∪= l.k` for every leaf `l` reached through a varying partial derivative:
/// each of its interactions is multiplied by it in `target` (its `h` is there already).
fn vary_all<'a>(
    f: &Function,
    target: &TokenStream,
    leaves: impl Iterator<Item = &'a Leaf>,
) -> TokenStream {
    let ls = leaves.map(|l| l.tokens(f));
    quote!(#(#target.h.union_with(&#ls.k);)*)
}

/// Whether `f` has no kink of its own (a piecewise-linear operation on an active real, a
/// branch or loop condition on one). Its outputs without second-order interactions are
/// affine, so their Jacobian rows constant, when neither have the annotated functions it
/// calls on active arguments ([`crate::analyse::Calls::traced`]), whose `__asd_smooth_g`
/// it asks.
pub(crate) fn smooth(f: &Function) -> bool {
    let mut own = true;
    let active = |e: &Expr| {
        let mut ls = Vec::new();
        crate::trace::leaves(e, f, &mut ls);
        !ls.is_empty()
    };
    fn kinks(e: &Expr, active: &impl Fn(&Expr) -> bool) -> bool {
        match e {
            Expr::Apply(op, args) => {
                (rules::kinked(*op) && args.iter().any(active))
                    || args.iter().any(|a| kinks(a, active))
            }
            _ => false,
        }
    }
    visit_stmts(&f.body, &mut |s| {
        let exprs: Vec<&Expr> = match s {
            Stmt::Let {
                init: Some(Rhs::Real(e)),
                ..
            }
            | Stmt::Assign {
                rhs: Rhs::Real(e), ..
            }
            | Stmt::Store { value: e, .. }
            | Stmt::Push { value: e, .. } => vec![e],
            Stmt::Let {
                init: Some(Rhs::Vec(v)),
                ..
            }
            | Stmt::Assign {
                rhs: Rhs::Vec(v), ..
            } => match v {
                VecExpr::Filled(e, _) => vec![e],
                VecExpr::List(items) => items.iter().collect(),
                _ => vec![],
            },
            Stmt::If { cond, .. } | Stmt::While { cond, .. } => {
                if crate::analyse::reads_active(cond, &f.vars) {
                    own = false;
                }
                vec![]
            }
            _ => vec![],
        };
        if exprs.into_iter().any(|e| kinks(e, &active)) {
            own = false;
        }
    });
    own
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use crate::tests::pretty;

    fn tracer(s: &str) -> String {
        let start = s.find("fn __asd_trace2_").expect("a trace2 tracer");
        let end = s[start..].find("\n}\n").map_or(s.len(), |e| start + e + 3);
        s[start..end].to_string()
    }

    #[test]
    fn print_trace2() {
        let s = pretty(
            quote!(),
            quote! {
                fn f(x: &[f64], c: f64) -> f64 {
                    let n = x.len();
                    let mut s = 0.0;
                    for i in 0..n - 2 {
                        s += x[i] * x[i + 2] + c * x[i];
                    }
                    let t = (x[0] + x[1]).sin().exp() * x[n - 1].signum();
                    if x[0] > 1.0 {
                        s = s * x[1];
                    } else {
                        s = s + (x[0] - 1.0).powi(2);
                    }
                    s + x[0].exp() * x[n - 1].sin() + t
                }
            },
        );
        println!("{}", tracer(&s));
        assert!(s.contains("fn f_hessian_sparsity"));
    }

    #[test]
    fn constant_factors_and_steps_add_no_interactions() {
        let s = pretty(
            quote!(),
            quote! {
                fn f(x: &[f64], c: f64) -> f64 {
                    let a = 2.0 * x[0] * c + x[1].floor() * x[2] + x[3].abs();
                    a
                }
            },
        );
        let t = tracer(&s);
        println!("{t}");
        assert!(!t.contains("insert_product"), "{t}");
        assert!(!t.contains("x[1]"), "{t}");
    }

    #[test]
    fn interactions_vary_unless_a_constant_second_derivative_multiplies_linear_leaves() {
        let s = pretty(
            quote!(),
            quote! {
                fn f(x: &[f64]) -> f64 {
                    let d = x[0] - x[1];
                    d * d + x[2].sin() + x[3] * x[4] * x[5]
                }
            },
        );
        let t = tracer(&s);
        println!("{t}");
        let flat = crate::tests::flat(&t);
        let rt = "::asd::__private::Trace2";
        for varies in [
            // `d * d`: where `d` is nonlinear, known at run time.
            format!(
                "if !(d.h.is_empty() && d.k.is_empty()) {{ {rt}::insert_square(&mut __t.h, &d.g); }} \
                 else {{ {rt}::insert_square(&mut __t.k, &d.g); }}"
            ),
            // `sin`: always.
            format!("{rt}::insert_square(&mut __t.h, &x[2].g);"),
            // `x[3] * x[4]`, multiplied by `x[5]`: its pair varies, and so would the
            // pairs of `x[3]` and `x[4]`.
            format!("{rt}::insert_product(&mut __t.h, &x[3].g, &x[4].g);"),
            "__t.h.union_with(&x[3].k);".to_string(),
        ] {
            assert!(flat.contains(&varies), "no `{varies}` in {flat}");
        }
        // `x[3] * x[4]` times `x[5]`: the cross terms' coefficient is 1, their sides
        // nonlinear only through `x[3] * x[4]`, known at compile time.
        assert!(
            flat.contains(&format!(
                "{rt}::insert_product(&mut __t.h, &x[5].g, &__g0);"
            )) || flat.contains(&format!(
                "{rt}::insert_product(&mut __t.h, &__g0, &x[5].g);"
            )),
            "{flat}"
        );
    }

    #[test]
    fn accumulation_is_in_place() {
        let s = pretty(
            quote!(),
            quote! {
                fn f(x: &[f64]) -> f64 {
                    let mut s = 0.0;
                    for i in 0..x.len() - 2 {
                        s += x[i] * x[i + 2];
                    }
                    s
                }
            },
        );
        let t = tracer(&s);
        println!("{t}");
        assert!(
            t.contains("Trace2::insert_product(&mut s.h, &x[i].g, &x[i + 2].g);"),
            "{t}"
        );
        assert!(!t.contains("s.clone()"), "{t}");
    }

    #[test]
    fn vector_outputs_get_vector_tracers_and_no_hessian_operator() {
        let s = pretty(
            quote!(),
            quote! {
                fn g(x: &[f64]) -> Vec<f64> {
                    let mut y = x.to_vec();
                    for i in 1..x.len() {
                        y[i] = y[i] * y[i - 1];
                    }
                    y
                }
            },
        );
        let t = tracer(&s);
        println!("{t}");
        assert!(
            t.contains("-> ::std::vec::Vec<::asd::__private::Trace2>")
                || t.contains("Vec<::asd::__private::Trace2>"),
            "{t}"
        );
        assert!(!s.contains("g_hessian_sparsity"));
    }

    #[test]
    fn a_user_rule_adds_the_pairs_its_class_allows_asking_it_at_run_time() {
        let s = pretty(
            quote!(rules(lae = Lae)),
            quote! {
                fn f(x: &[f64], c: f64) -> f64 {
                    lae(x[0], x[1] + x[2]) + lae(x[3], c)
                }
            },
        );
        let t = tracer(&s);
        println!("{t}");
        let flat = crate::tests::flat(&t);
        for (pair, insert) in [
            ("(0, 0)", "insert_square(&mut __t.h, &x[0].g)"),
            ("(0, 1)", "insert_product(&mut __t.h, &x[0].g, &__g0)"),
            ("(1, 1)", "insert_square(&mut __t.h, &__g0)"),
        ] {
            // A user rule's second derivatives vary: the pairs go to `h`.
            let guarded = format!(
                "if ::asd::__private::rule_interacts::<Lae, 2>{pair} {{ ::asd::__private::Trace2::{insert}; }}"
            );
            assert!(flat.contains(&guarded), "no `{guarded}` in {flat}");
        }
        // The constant argument has no set: its pairs are left out at compile time.
        assert_eq!(flat.matches("rule_interacts").count(), 4, "{flat}");
    }
}

//! Patterns the lowering binds one name at a time: `let (a, b) = (e1, e2);` and
//! `let Params { a, b, .. } = *p;` become one `let` per name, and `match` on integers
//! becomes an `if` / `else if` chain.

use quote::quote_spanned;
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{parse_quote_spanned, Expr, Ident, Pat, Stmt};

use super::{as_local, paren, strip, Binding, Desugar, IntoExpr};
use crate::parse::{names_a_constant, PatternTest, FIELD};

impl Desugar<'_> {
    /// One `let` per name of a tuple or struct pattern; `None` for a single name.
    pub(super) fn destructure(&mut self, local: &syn::Local) -> Option<Vec<Stmt>> {
        let (pat, ty) = match &local.pat {
            Pat::Type(t) => (&*t.pat, Some(&*t.ty)),
            p => (p, None),
        };
        // `let &[x, y] = state;` (of a `&[f64; 2]`) is `let [x, y] = *state;`.
        if let (Pat::Reference(r), None, Some(init)) = (pat, ty, &local.init) {
            if init.diverge.is_none() && matches!(&*r.pat, Pat::Tuple(_) | Pat::Slice(_)) {
                let (inner, value, span) = (&r.pat, &init.expr, local.span());
                return self.destructure(&as_local(
                    parse_quote_spanned!(span=> let #inner = *#value;),
                ));
            }
        }
        if !matches!(pat, Pat::Tuple(_) | Pat::Struct(_) | Pat::Slice(_)) {
            return None;
        }
        let Some(init) = &local.init else {
            self.errors.at(pat, "a destructuring `let` needs a value");
            return Some(Vec::new());
        };
        if init.diverge.is_some() {
            return None; // reported by the lowering
        }
        let span = local.span();
        let mut out = Vec::new();
        match (pat, strip(&init.expr)) {
            (Pat::Tuple(t), Expr::Tuple(values)) if t.elems.len() == values.elems.len() => {
                let types: Vec<Option<syn::Type>> = match ty {
                    Some(syn::Type::Tuple(tt)) => tt.elems.iter().cloned().map(Some).collect(),
                    _ => vec![None; t.elems.len()],
                };
                // Each value is read before any name is bound, as in the tuple: through
                // a temporary where a later value reads an earlier name.
                let names: Vec<Ident> = t.elems.iter().filter_map(bound_name).collect();
                let reads_bound = values
                    .elems
                    .iter()
                    .any(|v| names.iter().any(|n| reads(v, n)));
                let mut lets = Vec::new();
                for ((p, v), ty) in t.elems.iter().zip(&values.elems).zip(types) {
                    let value = if reads_bound {
                        let tmp = self.fresh("t", v.span());
                        out.push(parse_quote_spanned!(span=> let #tmp = #v;));
                        tmp.into_expr()
                    } else {
                        v.clone()
                    };
                    lets.push((p.clone(), ty, value));
                }
                for (p, ty, value) in lets {
                    if let Some(stmts) = self.bind_let(&p, ty, value) {
                        out.extend(stmts);
                    } else {
                        return Some(out);
                    }
                }
            }
            // `let (a, b) = { let w = ..; (u, w) };` (a closure's body inlined): the
            // block's statements, each name they declare renamed so that none hides an
            // outer one, then the tuple's `let`.
            (Pat::Tuple(t), Expr::Block(b))
                if b.label.is_none()
                    && matches!(b.block.stmts.last(), Some(Stmt::Expr(e, None)) if matches!(strip(e), Expr::Tuple(v) if v.elems.len() == t.elems.len())) =>
            {
                let mut block = Expr::Block(b.clone());
                for name in super::closures::declared_in(&block) {
                    let to = self.fresh("b", b.span());
                    super::closures::rename(&mut block, &name, &to);
                }
                let Expr::Block(mut b) = block else {
                    return None;
                };
                let Some(Stmt::Expr(tail, None)) = b.block.stmts.pop() else {
                    return None;
                };
                out.extend(b.block.stmts);
                let local = as_local(parse_quote_spanned!(span=> let #pat = #tail;));
                out.extend(self.destructure(&local)?);
            }
            // `let (s, c) = t.sin_cos();` is `(t.sin(), t.cos())`.
            (Pat::Tuple(t), Expr::MethodCall(mc))
                if mc.method == "sin_cos" && mc.args.is_empty() && t.elems.len() == 2 =>
            {
                let r = &mc.receiver;
                let r: Expr = if super::is_atomic(r) {
                    (**r).clone()
                } else {
                    let tmp = self.fresh("t", r.span());
                    out.push(parse_quote_spanned!(span=> let #tmp = #r;));
                    tmp.into_expr()
                };
                let local = as_local(parse_quote_spanned!(span=> let #pat = (#r.sin(), #r.cos());));
                out.extend(self.destructure(&local)?);
            }
            (Pat::Tuple(t), value) => {
                // An element of a constant slice of tuples (`let (i, j) = edges[k];`) is
                // read field by field: a tuple has no place on the reverse sweep's tape.
                let names: Vec<Ident> = t.elems.iter().filter_map(bound_name).collect();
                let whole = if is_place(value) && !names.iter().any(|n| reads(value, n)) {
                    value.clone()
                } else {
                    let tmp = self.fresh("t", value.span());
                    out.push(parse_quote_spanned!(span=> let #tmp = #value;));
                    tmp.into_expr()
                };
                for (k, p) in t.elems.iter().enumerate() {
                    let k = syn::Index::from(k);
                    let field: Expr = parse_quote_spanned!(span=> #whole.#k);
                    out.extend(self.bind_let(p, None, field)?);
                }
            }
            // `let [a, b] = [e1, e2];` is a tuple's `let`; `let [a, b, c] = *x;` reads
            // the elements.
            // `let [a, b] = p.map(|v| 4.0 * v - 2.0);` of an array: the closure on
            // each element.
            (Pat::Slice(sl), Expr::MethodCall(mc))
                if mc.method == "map"
                    && matches!(mc.args.first().map(strip), Some(Expr::Closure(_)))
                    && mc.args.len() == 1
                    && !sl.elems.iter().any(|p| matches!(p, Pat::Rest(_))) =>
            {
                let Some(Expr::Closure(c)) = mc.args.first().map(strip) else {
                    return None;
                };
                let (base, _) = array_source(&mc.receiver);
                let mut values = Vec::new();
                for k in 0..sl.elems.len() {
                    let element: Expr = parse_quote_spanned!(span=> #base[#k]);
                    let value = self.scoped(|d| {
                        let mut v = d.apply(c, &[super::iter::Item::Expr(element)])?;
                        d.rewrite_into(&mut v, &mut out);
                        Some(v)
                    })?;
                    values.push(value);
                }
                let names = sl.elems.iter();
                let local =
                    as_local(parse_quote_spanned!(span=> let (#(#names,)*) = (#(#values,)*);));
                out.extend(self.destructure(&local)?);
            }
            (Pat::Slice(sl), value) => {
                let tuple: Pat = Pat::Tuple(syn::PatTuple {
                    attrs: Vec::new(),
                    paren_token: Default::default(),
                    elems: sl.elems.clone(),
                });
                // (An array of float literals is `vec![..]` already.)
                let listed = match value {
                    Expr::Array(a) => Some(a.elems.clone()),
                    Expr::Macro(m) if m.mac.path.is_ident("vec") => {
                        use syn::parse::Parser;
                        syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated
                            .parse2(m.mac.tokens.clone())
                            .ok()
                    }
                    _ => None,
                };
                let value: Expr = match (listed, value) {
                    // Each element with its own comma: the list may end with one.
                    (Some(elems), _) => {
                        let elems = elems.iter();
                        parse_quote_spanned!(span=> (#(#elems,)*))
                    }
                    (None, v) => {
                        let (base, from) = array_source(v);
                        let items = (0..sl.elems.len()).map(|k| -> Expr {
                            match &from {
                                Some(a) => parse_quote_spanned!(span=> #base[#a + #k]),
                                None => parse_quote_spanned!(span=> #base[#k]),
                            }
                        });
                        parse_quote_spanned!(span=> (#(#items,)*))
                    }
                };
                if sl.elems.iter().any(|p| matches!(p, Pat::Rest(_))) {
                    self.errors.at(
                        sl,
                        "a `..` in an array pattern is not supported: name each element",
                    );
                    return Some(out);
                }
                let local = as_local(parse_quote_spanned!(span=> let #tuple = #value;));
                out.extend(self.destructure(&local)?);
            }
            (Pat::Struct(s), value) => {
                // `*p`, `p.clone()`: the fields of `p`, by value. `p`, a reference:
                // each name is its field by reference (`&p.beta` where a function
                // takes it), as Rust binds them, so a `Vec` field is not moved.
                let (base, by_ref) = match value {
                    Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                        ((*u.expr).clone(), false)
                    }
                    Expr::MethodCall(mc) if mc.method == "clone" && mc.args.is_empty() => {
                        ((*mc.receiver).clone(), false)
                    }
                    v => (v.clone(), true),
                };
                // Read through a name of its own, which a later `let p = ..` cannot hide.
                let base = if by_ref {
                    let alias = self.fresh("p", span);
                    out.push(parse_quote_spanned!(span=> let #alias = #base;));
                    alias.into_expr()
                } else {
                    base
                };
                for fp in &s.fields {
                    let member = &fp.member;
                    let field: Expr = parse_quote_spanned!(span=> #base.#member);
                    match &*fp.pat {
                        Pat::Ident(i)
                            if by_ref
                                && i.mutability.is_none()
                                && i.by_ref.is_none()
                                && i.subpat.is_none() =>
                        {
                            self.bind(&i.ident, Binding::Elem(field));
                        }
                        p => out.extend(self.bind_let(p, None, field)?),
                    }
                }
            }
            _ => unreachable!("tuple and struct patterns only"),
        }
        Some(out)
    }

    /// `let p = value;` for a name (or `_`), recursing into nested tuples.
    fn bind_let(&mut self, p: &Pat, ty: Option<syn::Type>, value: Expr) -> Option<Vec<Stmt>> {
        let span = p.span();
        match p {
            Pat::Ident(i) if i.subpat.is_none() => {
                let ty = ty.map(|t| quote_spanned!(span=> : #t));
                let local = as_local(parse_quote_spanned!(span=> let #i #ty = #value;));
                // `let (u, v) = (&y[..n], &y[n..]);`: each a sub-slice, as its own `let`.
                if let Expr::Reference(r) = strip(&value) {
                    if r.mutability.is_none() && self.sub_slice(&r.expr).is_some() {
                        return Some(self.local(local));
                    }
                }
                self.shadow_pat(&local.pat);
                Some(vec![Stmt::Local(local)])
            }
            Pat::Wild(_) => Some(Vec::new()),
            Pat::Tuple(_) => {
                let local = as_local(parse_quote_spanned!(span=> let #p = #value;));
                self.destructure(&local)
            }
            other => {
                self.errors
                    .at(other, "bind names here, as in `let (a, b) = ...;`");
                None
            }
        }
    }

    /// `match` on integers, `bool`s, tuples of them, `Option`s and constant enums, as an
    /// `if` chain: literal, range, `|`, `_`, tuple, `Some(p)` / `None` / `Ok(p)` arms,
    /// variants (`Bc::Periodic`, `Bc::Dirichlet(g)`, `Reaction::Bind { a, .. }`), guards,
    /// and names that bind (a part of) the value. The last arm is the `else`, as the
    /// match is exhaustive.
    pub(super) fn match_to_if(&mut self, m: &syn::ExprMatch) -> Option<Expr> {
        let span = m.span();
        let scrutinee = self.scrutinee(&m.expr);
        let mut arms = Vec::new();
        // An arm that panics (`_ => unreachable!()`) is left out: the plain function
        // panics there; the derivative code runs another arm.
        let live: Vec<&syn::Arm> = m.arms.iter().filter(|a| !panics(&a.body)).collect();
        let live = if live.is_empty() {
            m.arms.iter().collect()
        } else {
            live
        };
        for arm in live {
            let mut binds = Vec::new();
            let cond = self.arm_condition(&arm.pat, &scrutinee, &mut binds)?;
            // The tracers run both arms of a condition on a differentiated real, and a
            // variant's field is not there to read where the variant is another.
            if let (Some((_, g)), true) =
                (&arm.guard, binds.iter().any(|(_, v)| is_variant_field(v)))
            {
                self.errors.at(g, "a guard on an arm that binds a variant's fields is not supported: test it inside the arm, as in `Bc::Robin(a, g) => if a > 0.0 { .. } else { .. }`");
            }
            // The guard reads the names the arm binds (`n if n > 2`) as their values.
            let guard = arm.guard.as_ref().map(|(_, g)| {
                let mut g = paren((**g).clone());
                super::substitute(&mut g, &binds);
                g
            });
            let cond = match (guard, cond) {
                (Some(g), Some(c)) => {
                    let c = paren(c);
                    Some(parse_quote_spanned!(span=> #c && #g))
                }
                (Some(g), None) => Some(g),
                (None, c) => c,
            };
            // The names are bound together, as a pattern binds them: `(b, a) =>` of
            // `(a, b)` reads both values before either name.
            let body = &arm.body;
            let (names, values): (Vec<&Ident>, Vec<&Expr>) =
                binds.iter().map(|(n, v)| (n, v)).unzip();
            let lets: Option<Stmt> = match names.as_slice() {
                [] => None,
                [n] => {
                    let v = values[0];
                    Some(parse_quote_spanned!(span=> let #n = #v;))
                }
                _ => Some(parse_quote_spanned!(span=> let (#(#names),*) = (#(#values),*);)),
            };
            arms.push((cond, quote_spanned!(span=> { #lets #body })));
        }
        let Some((_, last)) = arms.pop() else {
            self.errors.at(m, "a `match` needs arms");
            return None;
        };
        let mut chain = last;
        for (cond, body) in arms.into_iter().rev() {
            let Some(cond) = cond else {
                // An arm that always matches: the arms after it never run.
                chain = body;
                continue;
            };
            chain = quote_spanned!(span=> if #cond #body else #chain);
        }
        Some(parse_quote_spanned!(span=> #chain))
    }

    /// `if let p = e { a } else { b }` as `match e { p => a, _ => b }`.
    pub(super) fn if_let_to_if(&mut self, i: &syn::ExprIf) -> Option<Expr> {
        let Expr::Let(l) = strip(&i.cond) else {
            return None;
        };
        let (span, pat, e, then) = (i.span(), &*l.pat, &*l.expr, &i.then_branch);
        let otherwise = match &i.else_branch {
            Some((_, e)) => quote_spanned!(span=> #e),
            None => quote_spanned!(span=> {}),
        };
        let m: syn::ExprMatch =
            parse_quote_spanned!(span=> match #e { #pat => #then, _ => #otherwise });
        self.match_to_if(&m)
    }

    /// What the arms test: a tuple's elements each, `v.get(k)` as its index, anything
    /// else but a name bound to a name first.
    fn scrutinee(&mut self, e: &Expr) -> Scrutinee {
        let span = e.span();
        match strip(e) {
            Expr::Tuple(t) => Scrutinee::Tuple(t.elems.iter().map(|e| self.scrutinee(e)).collect()),
            Expr::MethodCall(mc)
                if mc.method == "get" && mc.args.len() == 1 && is_place(&mc.receiver) =>
            {
                let k = self.atomic(&mc.args[0]);
                Scrutinee::Get((*mc.receiver).clone(), k)
            }
            // `v.get(k).copied()`
            Expr::MethodCall(mc)
                if matches!(mc.method.to_string().as_str(), "copied" | "cloned")
                    && matches!(strip(&mc.receiver), Expr::MethodCall(g) if g.method == "get") =>
            {
                self.scrutinee(&mc.receiver)
            }
            e if super::is_atomic(e) => Scrutinee::Value(e.clone()),
            e => {
                let s = self.fresh("s", span);
                let mut e = e.clone();
                self.visit_expr_mut(&mut e); // it reads the names in scope here
                self.pre.push(parse_quote_spanned!(span=> let #s = #e;));
                Scrutinee::Value(s.into_expr())
            }
        }
    }

    /// `e` if it is atomic, else a name bound to it first.
    fn atomic(&mut self, e: &Expr) -> Expr {
        if super::is_atomic(e) {
            return e.clone();
        }
        let (s, span) = (self.fresh("k", e.span()), e.span());
        let mut e = e.clone();
        self.visit_expr_mut(&mut e);
        self.pre.push(parse_quote_spanned!(span=> let #s = #e;));
        s.into_expr()
    }

    /// The condition under which `pat` matches `s` (`None`: always); the names it binds,
    /// with their values, go to `binds`.
    fn arm_condition(
        &mut self,
        pat: &Pat,
        s: &Scrutinee,
        binds: &mut Vec<(Ident, Expr)>,
    ) -> Option<Option<Expr>> {
        let span = pat.span();
        let unsupported = |d: &mut Self, p: &Pat| {
            d.errors.at(p, "only integer, `bool`, tuple, `Option` and enum variant patterns are supported here: literals, ranges `a..=b`, `|`, `_`, `(a, b)`, `Some(v)`, `None`, `Bc::Dirichlet(g)`, `Bc::Flux { q, .. }`, guards; or write `if` / `else if`");
            None
        };
        match (pat, s) {
            (Pat::Wild(_), _) => return Some(None),
            (Pat::Paren(p), s) => return self.arm_condition(&p.pat, s, binds),
            (Pat::Reference(r), s) => return self.arm_condition(&r.pat, s, binds),
            (Pat::Type(t), s) => return self.arm_condition(&t.pat, s, binds),
            (Pat::Or(o), s) => {
                let mut conds = Vec::new();
                for case in &o.cases {
                    let mut case_binds = Vec::new();
                    match self.arm_condition(case, s, &mut case_binds)? {
                        Some(c) => conds.push(c),
                        None => return Some(None),
                    }
                    if !case_binds.is_empty() {
                        return unsupported(self, case);
                    }
                }
                return Some(Some(parse_quote_spanned!(span=> (#(#conds)||*))));
            }
            (Pat::Tuple(t), Scrutinee::Tuple(parts)) if t.elems.len() == parts.len() => {
                let mut conds = Vec::new();
                for (p, part) in t.elems.iter().zip(parts) {
                    conds.extend(self.arm_condition(p, part, binds)?);
                }
                return Some(and(conds, span));
            }
            (Pat::Tuple(t), Scrutinee::Value(v)) => {
                let mut conds = Vec::new();
                for (k, p) in t.elems.iter().enumerate() {
                    let k = syn::Index::from(k);
                    let part = Scrutinee::Value(parse_quote_spanned!(span=> #v.#k));
                    conds.extend(self.arm_condition(p, &part, binds)?);
                }
                return Some(and(conds, span));
            }
            (Pat::Ident(i), Scrutinee::Get(v, k)) if i.ident == "None" && i.subpat.is_none() => {
                return Some(Some(parse_quote_spanned!(span=> #k >= #v.len())));
            }
            (Pat::Ident(i), Scrutinee::Value(v)) if i.ident == "None" && i.subpat.is_none() => {
                return Some(Some(parse_quote_spanned!(span=> #v.is_none())));
            }
            (Pat::TupleStruct(t), s) if t.elems.len() == 1 && option_like(&t.path).is_some() => {
                let test = option_like(&t.path).expect("`Some`, `Ok` or `Err`");
                let (cond, inner): (Expr, Expr) = match s {
                    Scrutinee::Get(v, k) if test == "is_some" => (
                        parse_quote_spanned!(span=> #k < #v.len()),
                        parse_quote_spanned!(span=> #v[#k]),
                    ),
                    Scrutinee::Value(v) => {
                        let test = Ident::new(test, span);
                        let cond = parse_quote_spanned!(span=> #v.#test());
                        // What it holds is a field, as a variant's: taken out by the
                        // user's pattern where that names it, so that the name has
                        // the type it has in the user's arm (`w: &Vec<f64>` of a
                        // `&Option<Vec<f64>>`); else by a name of its own, then tested.
                        if let Some(name) = field_name(&t.elems[0]) {
                            binds.push((name.clone(), field(v, pat, name)));
                            return Some(Some(cond));
                        }
                        let (path, held) = (&t.path, self.fresh("held", span));
                        let only: Pat = parse_quote_spanned!(span=> #path(#held));
                        (cond, field(v, &only, &held))
                    }
                    _ => return unsupported(self, pat),
                };
                let more = self.arm_condition(&t.elems[0], &Scrutinee::Value(inner), binds)?;
                return Some(and(std::iter::once(cond).chain(more).collect(), span));
            }
            (_, Scrutinee::Tuple(_) | Scrutinee::Get(..)) => return unsupported(self, pat),
            _ => {}
        }
        let Scrutinee::Value(s) = s else {
            unreachable!("tuples and `get` are handled above")
        };
        Some(match pat {
            Pat::Ident(i) if i.by_ref.is_none() => {
                binds.push((i.ident.clone(), s.clone()));
                // `k @ 1..=2`: the sub-pattern's condition.
                match &i.subpat {
                    Some((_, sub)) => {
                        return self.arm_condition(
                            sub,
                            &Scrutinee::Value(s.clone()),
                            &mut Vec::new(),
                        )
                    }
                    None => None,
                }
            }
            Pat::Lit(l) => Some(parse_quote_spanned!(span=> #s == #l)),
            // A unit variant or a constant: no `PartialEq` needed.
            Pat::Path(p) => Some(parse_quote_spanned!(span=> matches!(#s, #p))),
            Pat::Range(r) => {
                let lo = r.start.as_ref().map(|a| quote_spanned!(span=> #s >= #a));
                let hi = r.end.as_ref().map(|b| match r.limits {
                    syn::RangeLimits::HalfOpen(_) => quote_spanned!(span=> #s < #b),
                    syn::RangeLimits::Closed(_) => quote_spanned!(span=> #s <= #b),
                });
                match (lo, hi) {
                    (Some(a), Some(b)) => Some(parse_quote_spanned!(span=> (#a && #b))),
                    (Some(c), None) | (None, Some(c)) => Some(parse_quote_spanned!(span=> (#c))),
                    (None, None) => None,
                }
            }
            // A variant of a constant enum, its fields bound to names or not read:
            // `Bc::Flux(_)`, `Bc::Dirichlet(g)`, `Reaction::Uni { from, k, .. }`. Each name
            // is its field, taken out by the pattern with the other names `_`.
            Pat::TupleStruct(_) | Pat::Struct(_) if variant_of_fields(pat) => {
                let mut names = Vec::new();
                let test = named_only(pat, None, &mut names);
                for name in names {
                    let only = named_only(pat, Some(&name), &mut Vec::new());
                    let value = field(s, &only, &name);
                    binds.push((name, value));
                }
                Some(parse_quote_spanned!(span=> matches!(#s, #test)))
            }
            other => return unsupported(self, other),
        })
    }
}

/// A variant pattern the desugaring takes apart: each field a name or not read.
fn variant_of_fields(p: &Pat) -> bool {
    let field = |p: &Pat| field_name(p).is_some() || matches!(p, Pat::Wild(_) | Pat::Rest(_));
    match p {
        Pat::TupleStruct(t) => t.elems.iter().all(field),
        Pat::Struct(st) => st.fields.iter().all(|f| field(&f.pat)),
        _ => false,
    }
}

/// The name a field's pattern binds it to: a name (not a sub-pattern, not a constant
/// such as `None`), or one behind `&`.
fn field_name(p: &Pat) -> Option<&Ident> {
    match p {
        Pat::Ident(i) if i.subpat.is_none() && !names_a_constant(&i.ident) => Some(&i.ident),
        Pat::Reference(r) => field_name(&r.pat),
        _ => None,
    }
}

/// `pat` with every name but `keep` written `_` (`Reaction::Bind { a, b: _, .. }`); the
/// names it binds go to `names`.
fn named_only(pat: &Pat, keep: Option<&Ident>, names: &mut Vec<Ident>) -> Pat {
    struct Only<'a>(Option<&'a Ident>, &'a mut Vec<Ident>);
    impl VisitMut for Only<'_> {
        fn visit_field_pat_mut(&mut self, f: &mut syn::FieldPat) {
            if matches!(&*f.pat, Pat::Ident(i) if Some(&i.ident) != self.0) {
                // `{ from }` is `{ from: from }`: its name is then written `_`.
                f.colon_token.get_or_insert_with(Default::default);
            }
            self.visit_pat_mut(&mut f.pat);
        }
        fn visit_pat_mut(&mut self, p: &mut Pat) {
            match p {
                Pat::Ident(i) => {
                    self.1.push(i.ident.clone());
                    if Some(&i.ident) != self.0 {
                        *p = parse_quote_spanned!(i.span()=> _);
                    }
                }
                p => visit_mut::visit_pat_mut(self, p),
            }
        }
    }
    let mut only = pat.clone();
    Only(keep, names).visit_pat_mut(&mut only);
    only
}

/// The field `name` binds in `pattern`, of the constant `value` that matches it:
/// a [`FIELD`], `__asd_field!(value, pattern => name)`.
fn field(value: &Expr, pattern: &Pat, name: &Ident) -> Expr {
    let field = Ident::new(FIELD, name.span());
    parse_quote_spanned!(name.span()=> #field!(#value, #pattern => #name))
}

/// Whether `v` is a field ([`field`]) of an enum's variant, not of `Some`, `Ok` or
/// `Err`, whose arms may have guards as before.
fn is_variant_field(v: &Expr) -> bool {
    let Expr::Macro(m) = v else { return false };
    m.mac.path.is_ident(FIELD)
        && (m.mac.parse_body::<PatternTest>())
            .and_then(|t| t.field())
            .is_ok_and(|(p, _)| !matches!(p, Pat::TupleStruct(t) if option_like(&t.path).is_some()))
}

/// What a `match` tests ([`Desugar::scrutinee`]).
enum Scrutinee {
    /// A name, a literal, or a place.
    Value(Expr),
    /// `(a, b)`: its elements, each tested by its own pattern.
    Tuple(Vec<Scrutinee>),
    /// `v.get(k)`: `Some(v[k])` where `k < v.len()`.
    Get(Expr, Expr),
}

/// The method that tests for `Some(p)`, `Ok(p)` and `Err(p)`.
fn option_like(path: &syn::Path) -> Option<&'static str> {
    let name = path.get_ident()?.to_string();
    match name.as_str() {
        "Some" => Some("is_some"),
        "Ok" => Some("is_ok"),
        "Err" => Some("is_err"),
        _ => None,
    }
}

/// `unreachable!(..)`, `panic!(..)`, `unimplemented!(..)`, `todo!(..)`, alone or in a
/// block.
fn panics(e: &Expr) -> bool {
    let panicking = |m: &syn::Macro| {
        ["unreachable", "panic", "unimplemented", "todo"]
            .iter()
            .any(|n| m.path.is_ident(n))
    };
    match strip(e) {
        Expr::Macro(m) => panicking(&m.mac),
        Expr::Block(b) => match b.block.stmts.as_slice() {
            [Stmt::Expr(e, _)] => panics(e),
            [Stmt::Macro(m)] => panicking(&m.mac),
            _ => false,
        },
        _ => false,
    }
}

/// `a && b && ..`; `None` (always) for no conditions.
fn and(conds: Vec<Expr>, span: proc_macro2::Span) -> Option<Expr> {
    if conds.is_empty() {
        return None;
    }
    let conds = conds.into_iter().map(paren);
    Some(parse_quote_spanned!(span=> #(#conds)&&*))
}

/// The vector an array pattern reads, and the index it starts at: `*x` and `x` from 0,
/// `x[a..b].try_into().unwrap()` (or `<[f64; 2]>::try_from(&x[a..b])`) from `a`.
fn array_source(v: &Expr) -> (Expr, Option<Expr>) {
    let mut v = strip(v);
    loop {
        v = match v {
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => strip(&u.expr),
            Expr::Reference(r) => strip(&r.expr),
            Expr::MethodCall(mc)
                if matches!(
                    mc.method.to_string().as_str(),
                    "unwrap" | "expect" | "try_into"
                ) =>
            {
                strip(&mc.receiver)
            }
            Expr::Call(c)
                if c.args.len() == 1
                    && matches!(strip(&c.func), Expr::Path(p)
                        if p.path.segments.last().is_some_and(|s| s.ident == "try_from")) =>
            {
                strip(&c.args[0])
            }
            _ => break,
        };
    }
    match v {
        Expr::Index(ix) => match strip(&ix.index) {
            Expr::Range(r) => (
                (*ix.expr).clone(),
                r.start.as_deref().map(|a| paren(a.clone())),
            ),
            _ => (v.clone(), None),
        },
        v => (v.clone(), None),
    }
}

/// The name a tuple element binds, if it is one.
fn bound_name(p: &Pat) -> Option<Ident> {
    match p {
        Pat::Ident(i) => Some(i.ident.clone()),
        Pat::Type(t) => bound_name(&t.pat),
        _ => None,
    }
}

/// Whether `e` mentions the name `n`, in a macro's tokens too (`__asd_field!(e[i], ..)`).
fn reads(e: &Expr, n: &Ident) -> bool {
    struct Finds<'a>(&'a Ident, bool);
    impl<'ast> syn::visit::Visit<'ast> for Finds<'_> {
        fn visit_ident(&mut self, i: &'ast Ident) {
            self.1 |= i == self.0;
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            self.1 |= mentions(m.tokens.clone(), self.0);
        }
    }
    fn mentions(tokens: proc_macro2::TokenStream, n: &Ident) -> bool {
        tokens.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(i) => i == *n,
            proc_macro2::TokenTree::Group(g) => mentions(g.stream(), n),
            _ => false,
        })
    }
    let mut f = Finds(n, false);
    syn::visit::Visit::visit_expr(&mut f, e);
    f.1
}

/// A place read without side effects: `e`, `e[k]`, `p.edges[k]`.
pub(super) fn is_place(e: &Expr) -> bool {
    match strip(e) {
        Expr::Path(_) => true,
        Expr::Field(f) => is_place(&f.base),
        Expr::Index(ix) => is_place(&ix.expr) && super::is_atomic(&ix.index),
        _ => false,
    }
}

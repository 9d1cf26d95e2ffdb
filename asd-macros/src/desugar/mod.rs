//! Stage 1b, desugar: the numeric Rust people write, rewritten (syn to syn) into the core
//! subset the lowering takes, before it. Iterator chains become index loops ([`iter`]),
//! closures are inlined where they are called, a sub-slice bound to a name is read
//! through its base, `break` and `continue` become flags ([`loops`]), destructuring
//! `let`s bind one name each and `match` on integers becomes an `if` chain
//! ([`patterns`]), slice methods become loops and stores ([`methods`]), a generic float
//! type becomes `f64` ([`float`]), a `Result` returned becomes its `Ok` value
//! ([`fallible`]). The user's function is emitted as written; only the
//! generated code is built from this form, so each construct is handled once for every
//! pass.
//!
//! ```text
//! let s: f64 = x.iter().map(|v| v * v).sum();    let mut __asd_acc0 = 0.0;
//!                                                for __asd_k0 in 0..x.len() {
//!                                                    let __asd_m0 = x[__asd_k0] * x[__asd_k0];
//!                                                    __asd_acc0 += __asd_m0;
//!                                                }
//!                                                let s: f64 = __asd_acc0;
//! ```

// Syntax trees are large and these enums of them live for one expansion: boxing them
// would only add indirection.
#![allow(clippy::large_enum_variant)]

pub mod array;
mod closures;
mod consume;
pub mod fallible;
mod float;
mod iter;
mod loops;
mod methods;
mod patterns;

use std::collections::{HashMap, HashSet};

use proc_macro2::Span;
use quote::{format_ident, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{parse_quote_spanned, Expr, ExprClosure, Ident, ItemFn, Pat, Stmt};

use crate::errors::Errors;
use crate::parse::{ParamKind, PatternTest};
pub use loops::loop_exit;

/// The function in the core subset, and whether it was generic over its float type;
/// its errors are collected in `errors`.
pub fn desugar(item: &ItemFn, errors: &mut Errors) -> (ItemFn, bool) {
    let mut f = item.clone();
    let generic = float::instantiate(&mut f, errors);
    fallible::ok_value(&mut f);
    array::vec_value(&mut f);
    in_place(&mut f);
    users_l(&mut f);
    name_wild_params(&mut f);
    closures::helper_fns(&mut f.block);
    let mut d = Desugar {
        errors,
        scopes: vec![Scope::default()],
        pre: Vec::new(),
        names: Fresh::default(),
        in_while_cond: false,
        in_cond: false,
        declarations: 0,
        assignments: HashMap::new(),
        assigned: closures::assigned(&f),
        captured: HashMap::new(),
        reported_stale: HashSet::new(),
        pattern_lets: Vec::new(),
    };
    for input in &f.sig.inputs {
        if let syn::FnArg::Typed(t) = input {
            d.shadow_pat(&t.pat);
        }
    }
    d.visit_block_mut(&mut f.block);
    loops::eliminate(&mut f.block, errors);
    (f, generic)
}

/// A function that updates its input in place (`fn softmax(x: &mut [f64])`, no other
/// real input, nothing returned) is the map from the input to its new value:
/// `fn softmax(x: &[f64]) -> Vec<f64> { let mut x = x.to_vec(); ..; x }`.
fn in_place(f: &mut ItemFn) {
    if !matches!(f.sig.output, syn::ReturnType::Default) {
        return;
    }
    let reals: Vec<(usize, bool)> = f
        .sig
        .inputs
        .iter()
        .enumerate()
        .filter_map(|(k, a)| match a {
            syn::FnArg::Typed(t) => match crate::parse::classify(&t.ty) {
                Ok(ParamKind::RealSlice) => Some((k, false)),
                Ok(ParamKind::RealSliceMut) => Some((k, true)),
                _ => None,
            },
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    let [(k, true)] = reals.as_slice() else {
        return;
    };
    let syn::FnArg::Typed(t) = &mut f.sig.inputs[*k] else {
        return;
    };
    let Pat::Ident(p) = &*t.pat else { return };
    let x = p.ident.clone();
    let span = t.ty.span();
    *t.ty = parse_quote_spanned!(span=> &[f64]);
    f.sig.output = parse_quote_spanned!(span=> -> Vec<f64>);
    struct Returns<'a>(&'a Ident);
    impl VisitMut for Returns<'_> {
        fn visit_expr_mut(&mut self, e: &mut Expr) {
            match e {
                Expr::Return(r) if r.expr.is_none() => {
                    let x = self.0;
                    r.expr = Some(Box::new(parse_quote_spanned!(x.span()=> #x)));
                }
                Expr::Closure(_) => {}
                _ => visit_mut::visit_expr_mut(self, e),
            }
        }
    }
    Returns(&x).visit_block_mut(&mut f.block);
    if let Some(Stmt::Expr(_, semi @ None)) = f.block.stmts.last_mut() {
        *semi = Some(Default::default());
    }
    f.block
        .stmts
        .insert(0, parse_quote_spanned!(span=> let mut #x = #x.to_vec();));
    f.block.stmts.push(Stmt::Expr(x.into_expr(), None));
}

/// `fn system(_: f64, y: &[f64], dy: &mut [f64])` (ode-solvers): a parameter nothing
/// reads gets a name, `_arg0`, for the operators to pass it on by.
fn name_wild_params(f: &mut ItemFn) {
    for (k, input) in f.sig.inputs.iter_mut().enumerate() {
        if let syn::FnArg::Typed(t) = input {
            if let Pat::Wild(w) = &*t.pat {
                *t.pat = name_pat(format_ident!("_arg{}", k, span = w.span()));
            }
        }
    }
}

/// The derivative code's lane count is the const generic `L`, which would capture a
/// user's `L`. One the function declares (a parameter, a `let`, a `const` item, russell's
/// `const L: f64 = -50.0;`, a const generic) is renamed; one from outside (a module's `const L`) is
/// reached as `self::L`.
fn users_l(f: &mut ItemFn) {
    struct Finds(bool, bool);
    impl<'ast> syn::visit::Visit<'ast> for Finds {
        fn visit_ident(&mut self, i: &'ast Ident) {
            self.0 |= i == "L";
        }
        // A name bound by a `let`, a parameter or a loop; not a `match` arm's `L`, which
        // may be a unit variant.
        fn visit_local(&mut self, l: &'ast syn::Local) {
            self.1 |= binds_l(&l.pat);
            syn::visit::visit_local(self, l);
        }
        fn visit_fn_arg(&mut self, a: &'ast syn::FnArg) {
            self.1 |= matches!(a, syn::FnArg::Typed(t) if binds_l(&t.pat));
            syn::visit::visit_fn_arg(self, a);
        }
        fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
            self.1 |= c.inputs.iter().any(binds_l);
            syn::visit::visit_expr_closure(self, c);
        }
        fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
            self.1 |= binds_l(&f.pat);
            syn::visit::visit_expr_for_loop(self, f);
        }
        fn visit_const_param(&mut self, c: &'ast syn::ConstParam) {
            self.1 |= c.ident == "L";
            syn::visit::visit_const_param(self, c);
        }
        fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
            self.1 |= c.ident == "L";
            syn::visit::visit_item_const(self, c);
        }
        fn visit_item_static(&mut self, s: &'ast syn::ItemStatic) {
            self.1 |= s.ident == "L";
            syn::visit::visit_item_static(self, s);
        }
        fn visit_item_fn(&mut self, f: &'ast ItemFn) {
            self.1 |= f.sig.ident == "L";
            syn::visit::visit_item_fn(self, f);
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            let mut m = m.clone();
            vec_elements(&mut m, &mut |e| self.visit_expr(e));
        }
    }
    let mut found = Finds(false, false);
    syn::visit::Visit::visit_item_fn(&mut found, f);
    let Finds(mentioned, declared) = found;
    if !mentioned {
        return;
    }
    struct Rename(bool);
    impl VisitMut for Rename {
        fn visit_ident_mut(&mut self, i: &mut Ident) {
            if self.0 && i == "L" {
                *i = Ident::new("ASD_USER_L", i.span());
            }
        }
        fn visit_expr_path_mut(&mut self, p: &mut syn::ExprPath) {
            if !self.0 && p.qself.is_none() && p.path.is_ident("L") {
                let span = p.span();
                p.path = parse_quote_spanned!(span=> self::L);
            }
            visit_mut::visit_expr_path_mut(self, p);
        }
        fn visit_macro_mut(&mut self, m: &mut syn::Macro) {
            vec_elements(m, &mut |e| self.visit_expr_mut(e));
        }
    }
    let name = f.sig.ident.clone();
    Rename(declared).visit_item_fn_mut(f);
    f.sig.ident = name;
}

/// The `let` a statement built by `parse_quote!` is.
fn as_local(s: Stmt) -> syn::Local {
    match s {
        Stmt::Local(l) => l,
        _ => unreachable!("a `let`"),
    }
}

/// The pattern that binds `ident`.
fn name_pat(ident: Ident) -> Pat {
    Pat::Ident(syn::PatIdent {
        attrs: Vec::new(),
        by_ref: None,
        mutability: None,
        ident,
        subpat: None,
    })
}

/// Whether a pattern binds the name `L`.
fn binds_l(p: &Pat) -> bool {
    struct Binds(bool);
    impl<'ast> syn::visit::Visit<'ast> for Binds {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0 |= p.ident == "L";
            syn::visit::visit_pat_ident(self, p);
        }
    }
    let mut b = Binds(false);
    syn::visit::Visit::visit_pat(&mut b, p);
    b.0
}

/// Numbered names for what the rewrites introduce (`__asd_k0`, `__asd_brk1`), hygienic
/// (`mixed_site`) so that no user name can clash, at the user's location for messages.
#[derive(Default)]
struct Fresh(usize);

impl Fresh {
    fn next(&mut self, prefix: &str, at: Span) -> Ident {
        self.0 += 1;
        Ident::new(
            &format!("{prefix}{}", self.0 - 1),
            Span::mixed_site().located_at(at),
        )
    }
}

/// What a name stands for while its scope lasts.
#[derive(Clone)]
enum Binding {
    /// `let w = |t| ...;`: inlined at every call `w(a)`.
    Closure(ExprClosure),
    /// A sub-slice (`let t = &x[a..b];`, a window, a chunk): read through its base.
    View(View),
    /// A loop pattern bound to an element: every use is replaced by the element (`x[k]`).
    Subst(Expr),
    /// A loop pattern bound to an element a slice's iterator gives by reference
    /// ([`iter::Item::Elem`]): the same, but a function's argument is `&x[k]`.
    Elem(Expr),
    /// A user's variable that hides an outer binding of the same name.
    Plain,
}

/// `len` elements of the vector `base` from `off`.
#[derive(Clone)]
pub(crate) struct View {
    base: Expr,
    off: Option<Expr>,
    len: Expr,
}

impl View {
    /// The whole of a named vector.
    fn whole(base: Expr) -> View {
        let span = base.span();
        let len = parse_quote_spanned!(span=> #base.len());
        View {
            base,
            off: None,
            len,
        }
    }

    /// The view as the slice it is: `&base[off..off + len]` (`&base[..len]`), or its
    /// base when it is all of it.
    fn as_slice(&self) -> Expr {
        let (base, len) = (&self.base, &self.len);
        let span = base.span();
        let whole: Expr = parse_quote_spanned!(span=> #base.len());
        match &self.off {
            None if quote::quote!(#len).to_string() == quote::quote!(#whole).to_string() => {
                base.clone()
            }
            None => parse_quote_spanned!(span=> &#base[..#len]),
            Some(off) => {
                let end = add(off, len);
                parse_quote_spanned!(span=> &#base[#off..#end])
            }
        }
    }

    /// Element `i` of the view, as an index into its base.
    fn at(&self, i: &Expr) -> Expr {
        let base = &paren(self.base.clone());
        let span = i.span();
        match &self.off {
            None => parse_quote_spanned!(span=> #base[#i]),
            Some(off) => {
                let at = add(off, i);
                parse_quote_spanned!(span=> #base[#at])
            }
        }
    }
}

#[derive(Default)]
struct Scope {
    names: HashMap<String, Binding>,
    /// The declaration each name stands for ([`closures`]).
    ids: HashMap<String, usize>,
}

struct Desugar<'e> {
    errors: &'e mut Errors,
    scopes: Vec<Scope>,
    /// Statements that go before the statement being rewritten: the loops of iterator
    /// chains its expressions consume, and the arguments of inlined closures.
    pre: Vec<Stmt>,
    names: Fresh,
    /// Rewriting a `while` condition: nothing can be hoisted out of it, since it is
    /// evaluated on every iteration.
    in_while_cond: bool,
    /// Inside an `if` condition or the right operand of `&&` / `||`, which run only
    /// when what precedes them says so: nothing there is computed ahead.
    in_cond: bool,
    /// Declarations made so far, and assignments seen to each ([`closures`]).
    declarations: usize,
    assignments: HashMap<usize, usize>,
    /// Where the function assigns each name ([`closures::assigned`]).
    assigned: HashMap<String, Vec<(usize, usize)>>,
    /// What each closure and `let` sub-slice read when it was made, by declaration.
    captured: HashMap<usize, closures::Captures>,
    reported_stale: HashSet<usize>,
    /// `let mut v = element;` of the `mut` names of a pattern just bound, for the body
    /// that binds it to take.
    pattern_lets: Vec<Stmt>,
}

impl Desugar<'_> {
    /// A new name no user wrote, with the location of `at`.
    fn fresh(&mut self, kind: &str, at: Span) -> Ident {
        self.names.next(&format!("__asd_{kind}"), at)
    }

    fn lookup(&self, name: &Ident) -> Option<&Binding> {
        let key = name.to_string();
        self.scopes.iter().rev().find_map(|s| s.names.get(&key))
    }

    fn bind(&mut self, name: &Ident, b: Binding) {
        self.declare(name);
        let scope = self.scopes.last_mut().expect("a scope");
        scope.names.insert(name.to_string(), b);
    }

    /// Every name `pat` binds hides outer bindings of that name.
    fn shadow_pat(&mut self, pat: &Pat) {
        struct Names<'a>(&'a mut Vec<Ident>);
        impl<'ast> syn::visit::Visit<'ast> for Names<'_> {
            fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
                self.0.push(p.ident.clone());
                syn::visit::visit_pat_ident(self, p);
            }
        }
        let mut names = Vec::new();
        syn::visit::Visit::visit_pat(&mut Names(&mut names), pat);
        for n in names {
            self.bind(&n, Binding::Plain);
        }
    }

    fn scoped<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        self.scopes.push(Scope::default());
        let r = f(self);
        self.scopes.pop();
        r
    }

    /// The single name an expression is (`x`, `(x)`), if it is one.
    fn ident_of(e: &Expr) -> Option<&Ident> {
        match e {
            Expr::Path(p) if p.qself.is_none() => p.path.get_ident(),
            Expr::Paren(p) => Self::ident_of(&p.expr),
            Expr::Group(g) => Self::ident_of(&g.expr),
            Expr::Reference(r) if r.mutability.is_none() => Self::ident_of(&r.expr),
            _ => None,
        }
    }

    /// A function's arguments that name an element a slice's iterator gave by reference
    /// (`dot(x, row)` in `for row in rows`) pass the reference: `&row`, which becomes
    /// `&rows[k]`.
    fn elements_by_ref<'a>(&self, args: impl Iterator<Item = &'a mut Expr>) {
        for a in args {
            let elem = match strip(a) {
                Expr::Path(p) => p.path.get_ident(),
                _ => None,
            };
            if elem.is_some_and(|i| matches!(self.lookup(i), Some(Binding::Elem(_)))) {
                let span = a.span();
                *a = parse_quote_spanned!(span=> &#a);
            }
        }
    }

    /// A function's argument that is a block with statements (a closure's body inlined,
    /// `g({ let t = x[0]; t * t })`, `h(&mk(x[1]))`) is computed before the statement:
    /// a call's arguments are values.
    fn hoist_block_args(&mut self, c: &mut syn::ExprCall) {
        if self.in_while_cond || self.in_cond {
            return;
        }
        for a in c.args.iter_mut() {
            let (block, by_ref) = match strip(a) {
                Expr::Reference(r) if r.mutability.is_none() => (strip(&r.expr), true),
                e => (e, false),
            };
            let Expr::Block(b) = block else { continue };
            if b.block.stmts.len() < 2 || b.label.is_some() {
                continue;
            }
            let (t, span) = (self.fresh("a", a.span()), a.span());
            self.pre.push(parse_quote_spanned!(span=> let #t = #block;));
            *a = if by_ref {
                parse_quote_spanned!(span=> &#t)
            } else {
                t.into_expr()
            };
        }
    }

    /// Whether a name stands for a view.
    fn is_view(&self, e: &Expr) -> bool {
        matches!(
            Self::ident_of(e).and_then(|i| self.lookup(i)),
            Some(Binding::View(_))
        )
    }

    /// The view a name stands for, if it still reads what it did when made.
    fn view_of(&mut self, e: &Expr) -> Option<View> {
        let name = Self::ident_of(e)?;
        match self.lookup(name) {
            Some(Binding::View(v)) => {
                let v = v.clone();
                self.still_fresh(name, e.span()).then_some(v)
            }
            _ => None,
        }
    }

    /// The statements of one statement rewritten: what it hoists, then itself.
    fn stmt(&mut self, s: Stmt, out: &mut Vec<Stmt>) {
        let outer = std::mem::take(&mut self.pre);
        let rewritten = match s {
            Stmt::Local(local) => self.local(local),
            Stmt::Macro(m) if is_primal_only(&m.mac) => Vec::new(),
            Stmt::Expr(Expr::Macro(m), _) if is_primal_only(&m.mac) => Vec::new(),
            // `;` alone (`a;;`): syn reads it as empty verbatim tokens, which carry no
            // span to report them at; Rust accepts it, and it does nothing.
            Stmt::Expr(Expr::Verbatim(v), Some(_)) if v.is_empty() => Vec::new(),
            Stmt::Expr(mut e, semi) => {
                self.visit_expr_mut(&mut e);
                vec![Stmt::Expr(e, semi)]
            }
            other @ (Stmt::Macro(_) | Stmt::Item(_)) => vec![other],
        };
        out.append(&mut self.pre);
        out.extend(rewritten);
        self.pre = outer;
    }

    /// A `let`: a closure or a sub-slice is remembered, not bound; a destructuring
    /// pattern becomes one `let` per name; anything else is rewritten in place.
    fn local(&mut self, mut local: syn::Local) -> Vec<Stmt> {
        // `let _ = e;`: a name nothing reads.
        if matches!(local.pat, Pat::Wild(_)) {
            local.pat = name_pat(self.fresh("unused", local.pat.span()));
        }
        // `let v = total(x);` of a closure `|a: &[f64]| -> f64 { .. }`: its type.
        if let (Pat::Ident(p), Some(init)) = (&local.pat, &local.init) {
            let closure = match strip(&init.expr) {
                Expr::Call(c) => Self::ident_of(&c.func).and_then(|f| self.lookup(f)),
                _ => None,
            };
            if let Some(Binding::Closure(c)) = closure {
                let real = |ty: &syn::Type| {
                    crate::parse::is_type(ty, "f64") || crate::parse::is_vec_of(ty, "f64")
                };
                match &c.output {
                    syn::ReturnType::Type(colon, ty) if real(ty) => {
                        local.pat = Pat::Type(syn::PatType {
                            attrs: Vec::new(),
                            pat: Box::new(Pat::Ident(p.clone())),
                            colon_token: syn::Token![:](colon.span()),
                            ty: ty.clone(),
                        });
                    }
                    _ => {}
                }
            }
        }
        if let Some(lets) = self.split_at(&local) {
            return lets.into_iter().flat_map(|l| self.local(l)).collect();
        }
        // `let a: [f64; 3] = ..`: a real vector.
        if let Pat::Type(t) = &mut local.pat {
            if matches!(&*t.ty, syn::Type::Array(a) if crate::parse::is_type(&a.elem, "f64")) {
                let span = t.ty.span();
                *t.ty = parse_quote_spanned!(span=> Vec<f64>);
            }
        }
        if let (Pat::Ident(p), Some(init)) = (&local.pat, &local.init) {
            match strip(&init.expr) {
                Expr::Closure(c) if p.mutability.is_some() => {
                    self.errors.at(c, "a closure that changes what it captures (`let mut add = |v| s += v;`) is not supported: write a `for` loop, or a closure that returns the new value (`s = add(s, v)`)");
                    return Vec::new();
                }
                Expr::Closure(c) => {
                    let c = c.clone();
                    // Its parameters and `let`s are its own; the other names it reads are
                    // the scope's.
                    let own = closures::declared_in(&Expr::Closure(c.clone()));
                    let reads: Vec<String> = closures::read_in(&c.body)
                        .into_iter()
                        .filter(|n| !own.contains(n))
                        .collect();
                    let moved = c
                        .capture
                        .is_some()
                        .then(|| reads.iter().find(|n| self.assigned_after(n, c.span())));
                    let captures = self.captures(reads.clone());
                    self.bind(&p.ident, Binding::Closure(c.clone()));
                    match moved.flatten() {
                        Some(moved) => self.errors.at(&c, format!("this `move` closure reads `{moved}`, which the function assigns after it: the derivative code reads `{moved}` where the closure is called; copy it into a `let` before the closure and read that")),
                        None => self.remember(&p.ident, captures),
                    }
                    return Vec::new();
                }
                // `let x = &x[1..];`: a view would read itself; a copy.
                Expr::Reference(r)
                    if r.mutability.is_none()
                        && closures::read_in(&r.expr).contains(&p.ident.to_string()) =>
                {
                    if let Expr::Index(_) = strip(&r.expr) {
                        let (e, span) = (&r.expr, r.span());
                        let copy: Expr = parse_quote_spanned!(span=> (#e).to_vec());
                        if let Some(init) = &mut local.init {
                            *init.expr = copy;
                        }
                    }
                }
                // `&x[a..b]`, and `&mut y[a..b]`, which is written through its base.
                Expr::Reference(r) => {
                    if let Some(view) = self.sub_slice(&r.expr) {
                        let (view, copies) = self.copy_bounds(view);
                        let reads = [&view.base, &view.len]
                            .into_iter()
                            .chain(&view.off)
                            .flat_map(closures::read_in);
                        let captures = self.captures(reads.collect::<Vec<_>>());
                        self.bind(&p.ident, Binding::View(view));
                        self.remember(&p.ident, captures);
                        return copies;
                    }
                }
                _ => {}
            }
        }
        if let Some(init) = &mut local.init {
            self.visit_expr_mut(&mut init.expr);
        }
        if let Some(stmts) = self.destructure(&local) {
            return stmts;
        }
        self.shadow_pat(&local.pat);
        vec![Stmt::Local(local)]
    }

    /// `let (a, b) = v.split_at(k);`: two sub-slices, `let a = &v[..k]; let b = &v[k..];`
    /// (`split_at_mut`: `&mut`).
    fn split_at(&self, local: &syn::Local) -> Option<[syn::Local; 2]> {
        let Pat::Tuple(t) = &local.pat else {
            return None;
        };
        let init = local.init.as_ref().filter(|i| i.diverge.is_none())?;
        let Expr::MethodCall(mc) = strip(&init.expr) else {
            return None;
        };
        let m = match mc.method.to_string().as_str() {
            "split_at" => None,
            "split_at_mut" => Some(quote::quote!(mut)),
            _ => return None,
        };
        if mc.args.len() != 1 || t.elems.len() != 2 {
            return None;
        }
        let (a, b, v, k) = (&t.elems[0], &t.elems[1], &mc.receiver, &mc.args[0]);
        let span = local.span();
        let lets: [Stmt; 2] = [
            parse_quote_spanned!(span=> let #a = &#m (#v)[..(#k)];),
            parse_quote_spanned!(span=> let #b = &#m (#v)[(#k)..];),
        ];
        Some(lets.map(as_local))
    }

    /// `x[a..b]`, `x[a..]`, `x[..b]` of a named vector (or of a view), as a view.
    fn sub_slice(&mut self, e: &Expr) -> Option<View> {
        let Expr::Index(ix) = strip(e) else {
            return None;
        };
        let Expr::Range(r) = strip(&ix.index) else {
            return None;
        };
        let outer = match self.view_of(&ix.expr) {
            Some(v) => v,
            None => View::whole(Self::ident_of(&ix.expr)?.clone().into_expr()),
        };
        let mut start = r.start.as_deref().cloned();
        let mut end = r.end.as_deref().cloned();
        for e in start.iter_mut().chain(end.iter_mut()) {
            self.visit_expr_mut(e);
        }
        let span = e.span();
        let end: Expr = match (end, &r.limits) {
            (None, _) => outer.len.clone(),
            (Some(e), syn::RangeLimits::Closed(_)) => parse_quote_spanned!(span=> (#e + 1)),
            (Some(e), syn::RangeLimits::HalfOpen(_)) => e,
        };
        let (off, len): (Option<Expr>, Expr) = match start {
            None => (outer.off.clone(), end),
            Some(s) => {
                let off = match &outer.off {
                    None => s.clone(),
                    Some(o) => add(o, &s),
                };
                (Some(off), parse_quote_spanned!(span=> (#end - #s)))
            }
        };
        Some(View {
            base: outer.base,
            off,
            len,
        })
    }

    /// `w(a, b)` of a closure `let w = |s, t| body;`: the body with each parameter
    /// replaced by its argument; an argument that is not a plain name, literal or
    /// element is bound first, so it is computed once.
    fn inline(&mut self, closure: &ExprClosure, args: Vec<Expr>, at: Span) -> Option<Expr> {
        if closure.inputs.len() != args.len() {
            self.errors.at_span(
                at,
                format!("this closure takes {} argument(s)", closure.inputs.len()),
            );
            return None;
        }
        let mut body = self.closure_body(closure)?;
        // A name the body declares and an argument reads is renamed in the body, so that
        // the argument written in keeps reading the caller's.
        let own = closures::declared_in(&body);
        let clashes: HashSet<String> = args
            .iter()
            .flat_map(closures::read_in)
            .filter(|n| own.contains(n))
            .collect();
        for name in clashes {
            let fresh = self.fresh("r", at);
            closures::rename(&mut body, &name, &fresh);
        }
        let mut substs = Vec::new();
        for (pat, arg) in closure.inputs.iter().zip(args) {
            let (ident, ty, mutable) = match pat {
                Pat::Ident(p) => (p.ident.clone(), None, p.mutability.is_some()),
                Pat::Type(t) => match &*t.pat {
                    Pat::Ident(p) => (
                        p.ident.clone(),
                        Some((*t.ty).clone()),
                        p.mutability.is_some(),
                    ),
                    other => {
                        self.unsupported_param(other);
                        return None;
                    }
                },
                Pat::Wild(_) => continue,
                other => {
                    self.unsupported_param(other);
                    return None;
                }
            };
            // `&y` of a named vector is `y`: vectors and slices are one in the core subset.
            let arg = match strip(&arg) {
                Expr::Reference(r)
                    if r.mutability.is_none() && Self::ident_of(&r.expr).is_some() =>
                {
                    (*r.expr).clone()
                }
                _ => arg,
            };
            // `[a, b]`, `&[a, b]`, `&vec![..]` of reals: a local vector, whatever the
            // parameter's type (`[f64; 2]`, `&[f64]`), as vectors and slices are one.
            let (arg, ty) = match strip(&arg) {
                Expr::Reference(r) if r.mutability.is_none() && is_vector_literal(&r.expr) => {
                    ((*r.expr).clone(), None)
                }
                e if is_vector_literal(e) => (arg, None),
                _ => (arg, ty),
            };
            // Written again where the parameter is read: a name or element, of a
            // parameter the closure does not assign.
            let value = if is_atomic(&arg) && !mutable {
                arg
            } else if !mutable && range_ref(&arg, false) {
                // `&x[a..b]` (a chunk, a window, a `let` view passed on): a view, read
                // through its base, so that derivatives flow through it.
                let t = self.fresh("a", arg.span());
                let lets = self.local(as_local(parse_quote_spanned!(arg.span()=> let #t = #arg;)));
                self.pre.extend(lets);
                t.into_expr()
            } else {
                let t = self.fresh("a", arg.span());
                let ty = ty.map(|ty| quote_spanned!(ty.span()=> : #ty));
                let m = mutable.then(|| quote_spanned!(t.span()=> mut));
                self.pre
                    .push(parse_quote_spanned!(arg.span()=> let #m #t #ty = #arg;));
                t.into_expr()
            };
            substs.push((ident, value));
        }
        substitute(&mut body, &substs);
        Some(body)
    }

    fn unsupported_param(&mut self, p: &Pat) {
        self.errors.at(
            p,
            "closure parameters are single names here, as in `|t| ...` or `|t: f64| ...`",
        );
    }
}

impl VisitMut for Desugar<'_> {
    fn visit_block_mut(&mut self, b: &mut syn::Block) {
        self.scoped(|d| {
            let stmts = std::mem::take(&mut b.stmts);
            for s in stmts {
                d.stmt(s, &mut b.stmts);
            }
        });
    }

    fn visit_expr_mut(&mut self, e: &mut Expr) {
        match e {
            // `crate.len()`: rustc says so too, but the code generated around it
            // would not parse (a block starting `{ crate.` reads as an item).
            Expr::Path(p) if p.path.is_ident("crate") || p.path.is_ident("super") => {
                self.errors.at(
                    p,
                    "a module is not a value: name an item in it, as in `crate::N`",
                );
            }
            Expr::Path(p) => match p.path.get_ident().and_then(|i| self.lookup(i)) {
                Some(Binding::Subst(v) | Binding::Elem(v)) => *e = paren(v.clone()),
                // A sub-slice passed on whole (`g(&t)`): its base's range.
                Some(Binding::View(_)) => {
                    if let Some(v) = self.view_of(e) {
                        *e = v.as_slice();
                    }
                }
                _ => {}
            },
            // `(a, b) = (b, a + b);`: both values first, through a destructuring `let`.
            Expr::Assign(a) if matches!(strip(&a.left), Expr::Tuple(_)) => {
                let Expr::Tuple(places) = strip(&a.left) else {
                    return;
                };
                let (span, right) = (a.span(), &a.right);
                let temps: Vec<Ident> = places
                    .elems
                    .iter()
                    .map(|p| self.fresh("t", p.span()))
                    .collect();
                let places = places.elems.iter();
                *e = parse_quote_spanned!(span=> {
                    let (#(#temps),*) = #right;
                    #(#places = #temps;)*
                });
                self.visit_expr_mut(e);
            }
            Expr::Assign(_) | Expr::Binary(_) if closures::assignment_target(e).is_some() => {
                let target = closures::assignment_target(e).cloned();
                visit_mut::visit_expr_mut(self, e);
                target.iter().for_each(|t| self.note_assignment(t));
            }
            // `*xi`, `**v` of the elements iterators give by reference: the core subset
            // has values and named vectors only, so a dereference is the value itself.
            // A user's own reference (`*n` of `n: &usize`, `*bc == Bc::A`) keeps its `*`.
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                let own = Self::ident_of(&u.expr)
                    .is_some_and(|i| matches!(self.lookup(i), Some(Binding::Plain) | None));
                if own {
                    return visit_mut::visit_expr_mut(self, e);
                }
                let mut inner = (*u.expr).clone();
                self.visit_expr_mut(&mut inner);
                *e = inner;
            }
            // `&t` of a view is the view itself, a slice already.
            Expr::Reference(r) if r.mutability.is_none() && self.is_view(&r.expr) => {
                if let Some(v) = self.view_of(&r.expr) {
                    *e = v.as_slice();
                }
            }
            Expr::Index(ix) => match self.view_of(&ix.expr) {
                Some(view) if !matches!(strip(&ix.index), Expr::Range(_)) => {
                    self.visit_expr_mut(&mut ix.index);
                    *e = view.at(&ix.index);
                }
                _ => visit_mut::visit_expr_mut(self, e),
            },
            // `std::mem::swap(&mut a, &mut b)` of two places: through a temporary, so
            // that derivatives (and whole vectors, by moves) are swapped too.
            Expr::Call(c) if mem_swap(c).is_some() => {
                let (a, b) = mem_swap(c).expect("a swap");
                let (t, span) = (self.fresh("t", c.span()), c.span());
                *e = parse_quote_spanned!(span=> { let #t = #a; #a = #b; #b = #t; });
                self.visit_expr_mut(e);
            }
            // `t.sin_cos().0` is `t.sin()`, `.1` is `t.cos()`.
            Expr::Field(f)
                if matches!(strip(&f.base), Expr::MethodCall(mc)
                    if mc.method == "sin_cos" && mc.args.is_empty())
                    && matches!(&f.member, syn::Member::Unnamed(i) if i.index < 2) =>
            {
                let (Expr::MethodCall(mc), syn::Member::Unnamed(i)) = (strip(&f.base), &f.member)
                else {
                    return;
                };
                let (r, span) = (&mc.receiver, f.span());
                *e = match i.index {
                    0 => parse_quote_spanned!(span=> #r.sin()),
                    _ => parse_quote_spanned!(span=> #r.cos()),
                };
                self.visit_expr_mut(e);
            }
            // `Vec::from(x)` of a slice is `x.to_vec()`.
            Expr::Call(c)
                if c.args.len() == 1
                    && matches!(strip(&c.func), Expr::Path(p) if p.qself.is_none()
                        && p.path.segments.len() == 2
                        && p.path.segments[0].ident == "Vec"
                        && p.path.segments[1].ident == "from") =>
            {
                let a = match strip(&c.args[0]) {
                    Expr::Reference(r) if r.mutability.is_none() => strip(&r.expr),
                    a => a,
                };
                let (a, span) = (a.clone(), c.span());
                let a = match a {
                    Expr::Path(_) | Expr::Index(_) | Expr::Field(_) => a,
                    a => paren(a),
                };
                *e = parse_quote_spanned!(span=> #a.to_vec());
                self.visit_expr_mut(e);
            }
            // `h(x, &mut y[a..b])`: the callee writes a copy of the range, which is then
            // copied back (an output argument is a whole vector).
            Expr::Call(c) if c.args.iter().any(|a| range_ref(a, true)) => {
                let (span, mut call) = (c.span(), c.clone());
                let (mut before, mut after) = (Vec::<Stmt>::new(), Vec::<Stmt>::new());
                for a in call.args.iter_mut().filter(|a| range_ref(a, true)) {
                    let Expr::Reference(r) = strip(a) else {
                        continue;
                    };
                    let (t, range) = (self.fresh("out", a.span()), (*r.expr).clone());
                    before.push(parse_quote_spanned!(span=> let mut #t = (#range).to_vec();));
                    after.push(parse_quote_spanned!(span=> (#range).copy_from_slice(&#t);));
                    *a = parse_quote_spanned!(span=> &mut #t);
                }
                *e = parse_quote_spanned!(span=> { #(#before)* #call; #(#after)* });
                self.visit_expr_mut(e);
            }
            Expr::Call(c) => {
                let closure = match Self::ident_of(&c.func).and_then(|i| self.lookup(i)) {
                    Some(Binding::Closure(cl)) => Some(cl.clone()),
                    _ => None,
                };
                let Some(closure) = closure else {
                    self.elements_by_ref(c.args.iter_mut());
                    visit_mut::visit_expr_mut(self, e);
                    if let Expr::Call(c) = e {
                        self.hoist_block_args(c);
                    }
                    return;
                };
                let name = Self::ident_of(&c.func).expect("a closure's name").clone();
                if !self.still_fresh(&name, c.span()) {
                    return;
                }
                let mut args: Vec<Expr> = c.args.iter().cloned().collect();
                args.iter_mut().for_each(|a| self.visit_expr_mut(a));
                let at = c.span();
                if let Some(mut body) = self.inline(&closure, args, at) {
                    self.visit_expr_mut(&mut body);
                    *e = paren(body);
                }
            }
            Expr::MethodCall(mc) if mc.method == "len" && mc.args.is_empty() => {
                match self.view_of(&mc.receiver) {
                    Some(view) => *e = paren(view.len),
                    None => visit_mut::visit_expr_mut(self, e),
                }
            }
            // `chain.for_each(|pat| body)` is `for pat in chain { body }`.
            Expr::MethodCall(mc) if mc.method == "for_each" && mc.args.len() == 1 => {
                let Expr::Closure(c) = strip(&mc.args[0]) else {
                    return visit_mut::visit_expr_mut(self, e);
                };
                let (Some(pat), 1) = (c.inputs.first(), c.inputs.len()) else {
                    return visit_mut::visit_expr_mut(self, e);
                };
                let Some(body) = self.for_each_body(&c.body) else {
                    return;
                };
                let (iter, span) = (&mc.receiver, mc.span());
                // The closure's block is the loop's body itself, so that a `return;` at
                // its top (now a `continue`) is at the top of the loop's body.
                *e = match body {
                    Expr::Block(b) if b.label.is_none() && b.attrs.is_empty() => {
                        let stmts = &b.block.stmts;
                        parse_quote_spanned!(span=> for #pat in #iter { #(#stmts)* })
                    }
                    body => parse_quote_spanned!(span=> for #pat in #iter { #body; }),
                };
                self.visit_expr_mut(e);
            }
            Expr::MethodCall(mc) => {
                self.elements_by_ref(mc.args.iter_mut());
                if let Some(plain) = self.slice_method(mc) {
                    *e = plain;
                    self.visit_expr_mut(e);
                } else if let Some(value) = self.consume(e) {
                    *e = value;
                } else {
                    visit_mut::visit_expr_mut(self, e);
                }
            }
            Expr::ForLoop(f) => {
                if let Some(lowered) = self.for_loop(f) {
                    *e = lowered;
                }
            }
            Expr::While(w) => {
                let was = std::mem::replace(&mut self.in_while_cond, true);
                self.visit_expr_mut(&mut w.cond);
                self.in_while_cond = was;
                self.visit_block_mut(&mut w.body);
            }
            // `if c { .. } else if let p = e { .. }`: the second test in a block of its
            // own, where what it computes first runs only when `c` does not hold.
            Expr::If(i) if matches!(&i.else_branch, Some((_, e)) if matches!(&**e, Expr::If(j) if matches!(strip(&j.cond), Expr::Let(_)))) =>
            {
                if let Some((_, e)) = &mut i.else_branch {
                    let inner = (**e).clone();
                    let span = inner.span();
                    **e = parse_quote_spanned!(span=> { #inner });
                }
                self.visit_expr_mut(e);
            }
            Expr::If(i) if !matches!(strip(&i.cond), Expr::Let(_)) => {
                let was = std::mem::replace(&mut self.in_cond, true);
                self.visit_expr_mut(&mut i.cond);
                self.in_cond = was;
                self.visit_block_mut(&mut i.then_branch);
                if let Some((_, e)) = &mut i.else_branch {
                    self.visit_expr_mut(e);
                }
            }
            Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_) | syn::BinOp::Or(_)) => {
                self.visit_expr_mut(&mut b.left);
                let was = std::mem::replace(&mut self.in_cond, true);
                self.visit_expr_mut(&mut b.right);
                self.in_cond = was;
            }
            Expr::If(i) if matches!(strip(&i.cond), Expr::Let(_)) => {
                if let Some(chain) = self.if_let_to_if(i) {
                    *e = chain;
                    self.visit_expr_mut(e);
                }
            }
            Expr::Match(m) => {
                if let Some(chain) = self.match_to_if(m) {
                    *e = chain;
                    self.visit_expr_mut(e);
                }
            }
            Expr::Closure(_) => {} // inlined where it is called, or reported by the lowering
            // `[0.0; n]`, `[a, 1.5]`: arrays of reals are real vectors.
            Expr::Repeat(r) if is_float_lit(&r.expr) => {
                let span = r.span();
                let (v, n) = (&r.expr, &r.len);
                *e = parse_quote_spanned!(span=> vec![#v; #n]);
                self.visit_expr_mut(e);
            }
            Expr::Array(a) if a.elems.iter().any(is_float_lit) => {
                let span = a.span();
                let elems = &a.elems;
                *e = parse_quote_spanned!(span=> vec![#elems]);
                self.visit_expr_mut(e);
            }
            Expr::Macro(m) if m.mac.path.is_ident("vec") => {
                vec_elements(&mut m.mac, &mut |x| self.visit_expr_mut(x))
            }
            // The element of a slice's iterator is tested by reference, as the user's
            // `match r` binds its fields (`&usize`): `&rs[k]`.
            Expr::Macro(m) if PatternTest::is_one(&m.mac) => {
                if let Ok(mut test) = m.mac.parse_body::<PatternTest>() {
                    self.elements_by_ref(std::iter::once(&mut test.value));
                    self.visit_expr_mut(&mut test.value);
                    let (value, rest) = (&test.value, &test.rest);
                    m.mac.tokens = quote::quote!(#value, #rest);
                }
            }
            _ => visit_mut::visit_expr_mut(self, e),
        }
    }
}

/// `[a, b]`, `[v; n]` or `vec![..]`.
fn is_vector_literal(e: &Expr) -> bool {
    match strip(e) {
        Expr::Array(_) | Expr::Repeat(_) => true,
        Expr::Macro(m) => m.mac.path.is_ident("vec"),
        _ => false,
    }
}

/// `&x[a..b]` (`mutable`: `&mut y[a..b]`): a range of a vector passed by reference.
fn range_ref(a: &Expr, mutable: bool) -> bool {
    matches!(strip(a), Expr::Reference(r) if r.mutability.is_some() == mutable
        && matches!(strip(&r.expr), Expr::Index(ix) if matches!(strip(&ix.index), Expr::Range(_))))
}

/// `a` and `b` of `std::mem::swap(&mut a, &mut b)` (or `mem::swap`, `core::mem::swap`),
/// each a name or an element `v[i]`.
fn mem_swap(c: &syn::ExprCall) -> Option<(Expr, Expr)> {
    let Expr::Path(p) = strip(&c.func) else {
        return None;
    };
    let names: Vec<String> = p
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    let is_swap = matches!(
        names
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
        ["std" | "core", "mem", "swap"] | ["mem", "swap"]
    );
    let place = |e: &Expr| match strip(e) {
        Expr::Reference(r) if r.mutability.is_some() && is_atomic(&r.expr) => {
            Some((*r.expr).clone())
        }
        _ => None,
    };
    match (is_swap, c.args.len()) {
        (true, 2) => Some((place(&c.args[0])?, place(&c.args[1])?)),
        _ => None,
    }
}

/// `assert!` and its kin, and printing: kept in the user's function, not in the
/// derivative code, whose values are not the function's alone (lanes, abstract sets).
fn is_primal_only(m: &syn::Macro) -> bool {
    m.path.segments.last().is_some_and(|s| {
        matches!(
            s.ident.to_string().as_str(),
            "assert"
                | "assert_eq"
                | "assert_ne"
                | "debug_assert"
                | "debug_assert_eq"
                | "debug_assert_ne"
                | "print"
                | "println"
                | "eprint"
                | "eprintln"
        )
    })
}

/// A float literal (`0.0`, `1e-3`, `2f64`), perhaps negated.
fn is_float_lit(e: &Expr) -> bool {
    match strip(e) {
        Expr::Lit(l) => match &l.lit {
            syn::Lit::Float(_) => true,
            syn::Lit::Int(i) => i.suffix() == "f64",
            _ => false,
        },
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => is_float_lit(&u.expr),
        _ => false,
    }
}

/// Without parentheses and invisible groups.
fn strip(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => strip(&p.expr),
        Expr::Group(g) => strip(&g.expr),
        e => e,
    }
}

/// Names, literals and elements `x[i]` of names: cheap and pure, so they may be
/// written again wherever a closure's parameter is read.
fn is_atomic(e: &Expr) -> bool {
    match strip(e) {
        Expr::Path(_) | Expr::Lit(_) => true,
        Expr::Index(ix) => is_atomic(&ix.expr) && is_atomic(&ix.index),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => is_atomic(&u.expr),
        Expr::Reference(r) => is_atomic(&r.expr),
        _ => false,
    }
}

/// Whether `e` is the integer literal `v`.
fn is_lit(e: &Expr, v: u64) -> bool {
    matches!(strip(e), Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) if i.base10_parse::<u64>().ok() == Some(v))
}

/// `a + b` of index arithmetic, without adding `0`.
fn add(a: &Expr, b: &Expr) -> Expr {
    match (is_lit(a, 0), is_lit(b, 0)) {
        (true, _) => b.clone(),
        (_, true) => a.clone(),
        _ => parse_quote_spanned!(b.span()=> #a + #b),
    }
}

/// `a * b` of index arithmetic, without multiplying by `1`.
fn mul(a: &Expr, b: &Expr) -> Expr {
    match (is_lit(a, 1), is_lit(b, 1)) {
        (true, _) => b.clone(),
        (_, true) => a.clone(),
        _ => {
            let (a, b) = (paren(a.clone()), paren(b.clone()));
            parse_quote_spanned!(b.span()=> #a * #b)
        }
    }
}

/// `(e)`, unless `e` binds as tightly already.
fn paren(e: Expr) -> Expr {
    match e {
        // `{ y }[i]` would end a statement at its block.
        e if starts_with_block(&e) => {
            let span = e.span();
            parse_quote_spanned!(span=> (#e))
        }
        Expr::Path(_)
        | Expr::Lit(_)
        | Expr::Paren(_)
        | Expr::Index(_)
        | Expr::MethodCall(_)
        | Expr::Call(_)
        | Expr::Field(_) => e,
        e => {
            let span = e.span();
            parse_quote_spanned!(span=> (#e))
        }
    }
}

/// Whether `e` begins with a block-like expression (`{ y }[i]`, `if c { a } else { b }.sin()`),
/// which at the start of a statement would end it.
fn starts_with_block(e: &Expr) -> bool {
    match e {
        Expr::Block(_)
        | Expr::If(_)
        | Expr::Match(_)
        | Expr::Loop(_)
        | Expr::While(_)
        | Expr::ForLoop(_)
        | Expr::Unsafe(_) => true,
        Expr::Index(ix) => starts_with_block(&ix.expr),
        Expr::Field(f) => starts_with_block(&f.base),
        Expr::MethodCall(m) => starts_with_block(&m.receiver),
        Expr::Binary(b) => starts_with_block(&b.left),
        Expr::Cast(c) => starts_with_block(&c.expr),
        _ => false,
    }
}

/// Calls `f` on each expression of `vec![..]`, which syn keeps as tokens: the elements,
/// or the value and the length.
fn vec_elements(mac: &mut syn::Macro, f: &mut dyn FnMut(&mut Expr)) {
    use syn::parse::Parser;
    let parser = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
    if let Ok(mut elems) = parser.parse2(mac.tokens.clone()) {
        elems.iter_mut().for_each(&mut *f);
        mac.tokens = quote::quote!(#elems);
    } else if let Ok(mut r) = {
        let body = &mac.tokens;
        syn::parse2::<syn::ExprRepeat>(quote::quote!([#body]))
    } {
        f(&mut r.expr);
        f(&mut r.len);
        let (v, n) = (&r.expr, &r.len);
        mac.tokens = quote::quote!(#v; #n);
    }
}

/// Replaces every read of the names in `substs` in `e` by their values.
fn substitute(e: &mut Expr, substs: &[(Ident, Expr)]) {
    struct Subst<'a>(&'a [(Ident, Expr)]);
    impl VisitMut for Subst<'_> {
        fn visit_expr_mut(&mut self, e: &mut Expr) {
            if let Expr::Macro(m) = e {
                if m.mac.path.is_ident("vec") {
                    return vec_elements(&mut m.mac, &mut |x| self.visit_expr_mut(x));
                }
            }
            if let Expr::Path(p) = e {
                if let Some((_, v)) = p
                    .path
                    .get_ident()
                    .and_then(|i| self.0.iter().find(|(n, _)| n == i))
                {
                    *e = paren(v.clone());
                    return;
                }
            }
            if let Expr::Unary(u) = e {
                if matches!(u.op, syn::UnOp::Deref(_)) {
                    if let Expr::Path(p) = strip(&u.expr) {
                        if let Some((_, v)) = p
                            .path
                            .get_ident()
                            .and_then(|i| self.0.iter().find(|(n, _)| n == i))
                        {
                            *e = paren(v.clone());
                            return;
                        }
                    }
                }
            }
            visit_mut::visit_expr_mut(self, e);
        }
    }
    Subst(substs).visit_expr_mut(e);
}

trait IntoExpr {
    fn into_expr(self) -> Expr;
}

impl IntoExpr for Ident {
    fn into_expr(self) -> Expr {
        Expr::Path(syn::ExprPath {
            attrs: Vec::new(),
            qself: None,
            path: self.into(),
        })
    }
}

#[cfg(test)]
mod tests;

//! Stage 2: the body, from syn into the IR. Reals become expression trees; integer and
//! boolean expressions are checked and kept as written (with shadowed locals renamed);
//! every construct outside the subset becomes an error at its own span, and lowering
//! goes on so that all of them are reported.
//!
//! Here: names and scopes, and statements. Beside it: [`control`] (`for`, `if`,
//! `return`), [`reals`] (real expressions, vectors, calls), [`opaque`] (integer and
//! boolean code), [`types`] (what a local holds), [`unsupported`] (the messages for
//! constructs outside the subset).

mod control;
mod opaque;
mod reals;
mod types;
mod unsupported;

use std::collections::{HashMap, HashSet};

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{BinOp, Expr as SExpr, Ident, ItemFn, Pat, Stmt as SStmt};

use crate::errors::Errors;
use crate::ir::*;
use crate::parse::{ParamKind, Signature};
use crate::rules::Op;

use reals::{is_call, on_call};
pub(crate) use reals::{is_constructor, CONSTRUCTOR_OF_REALS};
use types::ty_name;
use unsupported::{macro_message, unsupported_message, LABEL};

pub fn lower(item: &ItemFn, sig: &Signature, errors: &mut Errors) -> Function {
    let mut l = Lowerer {
        vars: Vec::new(),
        scopes: vec![HashMap::new()],
        used: HashSet::new(),
        errors,
        temps: 0,
        output: sig.output,
        rules: &sig.rules,
        constants: HashSet::new(),
        records: HashSet::new(),
    };
    let mut params = Vec::new();
    for (i, p) in sig.params.iter().enumerate() {
        let ty = match p.kind {
            ParamKind::RealSlice | ParamKind::RealSliceMut => Ty::RealVec,
            ParamKind::Real => Ty::Real,
            ParamKind::Int => Ty::Int,
            ParamKind::Bool => Ty::Bool,
            ParamKind::Other => Ty::Other,
        };
        let var = l.declare(&p.name, ty, Origin::Param(i));
        if p.role == Role::Constant {
            l.constants.insert(var);
        }
        if types::holds_records(&p.ty) {
            l.records.insert(var);
        }
        params.push(Param {
            var,
            ty: p.ty.clone(),
            role: p.role,
        });
    }
    let body = l.block(&item.block.stmts, Tail::Return);
    Function {
        params,
        output: sig.output,
        vars: l.vars,
        body,
        rules: sig.rules.clone(),
    }
}

/// What the value of a block's tail expression is for.
#[derive(Clone, Copy)]
enum Tail {
    /// The function body: the tail is returned.
    Return,
    /// An `if` used as a value: the tail is assigned to this variable.
    Assign(VarId),
    /// A statement block: there must be no tail value.
    None,
}

struct Lowerer<'e> {
    vars: Vec<Var>,
    scopes: Vec<HashMap<String, VarId>>,
    used: HashSet<String>,
    errors: &'e mut Errors,
    temps: usize,
    output: Output,
    /// The attribute's `rules(..)`, in order: a call of a mapped function becomes an
    /// [`Op::User`] of the rule at its position.
    rules: &'e [UserRule],
    /// The parameters that are constants (`a: f64` beside the input).
    constants: HashSet<VarId>,
    /// The constants whose elements are records ([`types::holds_records`]) or may be
    /// reals (what is taken out of an `Option`, `let w = weights.unwrap()`, see
    /// [`Self::elements_by_use`]): an element's type is what its use says, not an
    /// index's.
    records: HashSet<VarId>,
}

impl Lowerer<'_> {
    // ----- names and scopes -------------------------------------------------------

    /// Declares a user variable, renaming it (`y_1`) if its name is already taken in
    /// this function, so every pass can hoist or reorder without clashes.
    fn declare(&mut self, ident: &Ident, ty: Ty, origin: Origin) -> VarId {
        let base = ident.to_string();
        let mut name = base.clone();
        let mut k = 1;
        while self.used.contains(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        self.used.insert(name.clone());
        self.vars.push(Var {
            name: Ident::new(&name, ident.span()),
            ty,
            origin,
            active: false,
            lanes: false,
            deriv: None,
        });
        let id = self.vars.len() - 1;
        self.scopes.last_mut().unwrap().insert(base, id);
        id
    }

    fn temp(&mut self, ty: Ty) -> VarId {
        loop {
            let name = format!("t{}", self.temps);
            self.temps += 1;
            if self.used.insert(name.clone()) {
                self.vars.push(Var {
                    name: Ident::new(&name, Span::mixed_site()),
                    ty,
                    origin: Origin::Temp,
                    active: false,
                    lanes: false,
                    deriv: None,
                });
                return self.vars.len() - 1;
            }
        }
    }

    fn lookup(&self, name: &str) -> Option<VarId> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied())
    }

    /// Whether the elements of the constant `e` are typed by their use ([`Self::records`]):
    /// a variable of them, a reference to one, or what is taken out of an `Option` or a
    /// variant (`v.unwrap()`, `v.as_deref().expect(..)`, `Some(w)` or `Bc::Table(w)` of
    /// `v`, a [`crate::parse::FIELD`]), which may be a vector of reals.
    fn elements_by_use(&self, e: &SExpr) -> bool {
        match e {
            SExpr::Reference(r) => self.elements_by_use(&r.expr),
            SExpr::MethodCall(mc) if mc.method == "unwrap" || mc.method == "expect" => true,
            SExpr::MethodCall(mc)
                if ["as_ref", "as_deref", "as_slice"]
                    .iter()
                    .any(|m| mc.method == m) =>
            {
                self.elements_by_use(&mc.receiver)
            }
            SExpr::Macro(m) => m.mac.path.is_ident(crate::parse::FIELD),
            e => self.path_var(e).is_some_and(|v| self.records.contains(&v)),
        }
    }

    fn path_var(&self, e: &SExpr) -> Option<VarId> {
        match e {
            SExpr::Path(p) if p.qself.is_none() => {
                p.path.get_ident().and_then(|i| self.lookup(&i.to_string()))
            }
            SExpr::Paren(p) => self.path_var(&p.expr),
            SExpr::Group(g) => self.path_var(&g.expr),
            _ => None,
        }
    }

    fn scoped<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        self.scopes.push(HashMap::new());
        let r = f(self);
        self.scopes.pop();
        r
    }

    // ----- statements ---------------------------------------------------------------

    fn block(&mut self, stmts: &[SStmt], tail: Tail) -> Vec<Stmt> {
        self.scoped(|l| {
            let mut out = Vec::new();
            for (i, s) in stmts.iter().enumerate() {
                let last = i + 1 == stmts.len();
                l.stmt(
                    s,
                    &stmts[i + 1..],
                    if last { tail } else { Tail::None },
                    &mut out,
                );
            }
            out
        })
    }

    fn stmt(&mut self, s: &SStmt, rest: &[SStmt], tail: Tail, out: &mut Vec<Stmt>) {
        match s {
            SStmt::Local(local) => self.local(local, rest, out),
            // Items of the function's own block (a `const`, a helper `fn`, a `use`) are
            // emitted in every generated function; the passes only see them used.
            SStmt::Item(_) if self.scopes.len() == 2 => {}
            SStmt::Item(item) => self.errors.at(item, "items in a nested block of a #[sparse_diff] function are not supported: define them at the top of the function's body"),
            SStmt::Macro(m) if diverges(&m.mac) => self.panic(&m.mac, out),
            SStmt::Macro(m) => self.errors.at(&m.mac, macro_message(&m.mac)),
            SStmt::Expr(e, semi) => {
                if semi.is_none() && !is_statement_like(e) && !matches!(tail, Tail::None) {
                    self.tail(e, tail, out);
                } else {
                    self.expr_stmt(e, out);
                }
            }
        }
    }

    fn tail(&mut self, e: &SExpr, tail: Tail, out: &mut Vec<Stmt>) {
        match (tail, e) {
            // An arm that panics assigns nothing.
            (Tail::Assign(_), SExpr::Macro(m)) if diverges(&m.mac) => {
                return self.panic(&m.mac, out)
            }
            _ => {}
        }
        match tail {
            Tail::Return => self.ret(Some(e), e, out),
            Tail::Assign(v) => {
                let rhs = self.rhs(e, self.vars[v].ty, out);
                if let Some(rhs) = rhs {
                    out.push(Stmt::Assign {
                        var: v,
                        rhs,
                        span: e.span(),
                    });
                }
            }
            Tail::None => {
                self.errors.at(
                    e,
                    "a block's value is not used here: end the expression with `;`",
                );
            }
        }
    }

    fn local(&mut self, local: &syn::Local, rest: &[SStmt], out: &mut Vec<Stmt>) {
        let (pat, annot) = match &local.pat {
            Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
            p => (p, None),
        };
        let ident = match pat {
            Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => pi.ident.clone(),
            other => {
                self.errors.at(
                    other,
                    "patterns are not supported in `let`: bind one name, as in `let y = ...;`",
                );
                return;
            }
        };
        let init = local.init.as_ref();
        if let Some(i) = init {
            if let Some((_, d)) = &i.diverge {
                self.errors
                    .at(d, "`let ... else` is not supported: use `if`");
                return;
            }
        }
        let annotated = match annot {
            Some(t) => match self.ty_of_annotation(t) {
                Some(t) => Some(t),
                None => return,
            },
            None => None,
        };
        let ty = match (annotated, init) {
            (Some(t), _) => t,
            (None, Some(i)) => match self.ty_of(&i.expr) {
                Some(t) => t,
                None if (is_call(&i.expr) || on_call(&i.expr)) && self.reads_reals(&i.expr) => {
                    self.ty_from_use(&ident, rest)
                }
                // A plain call on constants: a constant of its own type, unless the
                // function goes on to write it (then a real or real vector).
                None if is_call(&i.expr) && !written(&ident, rest) => Ty::Other,
                None if is_call(&i.expr) => self.ty_from_use(&ident, rest),
                // A block or `if` whose value is computed from its own `let`s (a
                // closure's body inlined, `|v| { let w = 2.0 * v; w * w }`): from its use.
                None if matches!(&*i.expr, SExpr::Block(_) | SExpr::If(_))
                    && self.reads_reals(&i.expr) =>
                {
                    self.ty_from_use(&ident, rest)
                }
                // A real from constants that the function goes on to accumulate reals
                // into (`let mut c = p.b[0]; c += x[0];`).
                None if !self.reads_reals(&i.expr)
                    && !is_call(&i.expr)
                    && writes(&ident, rest)
                        .into_iter()
                        .any(|v| self.reads_reals(v))
                    && self.ty_from_use(&ident, rest) == Ty::Real =>
                {
                    Ty::Real
                }
                // A value computed from constants only (a field of a parameter struct, a
                // tuple, an integer array): passed through as it is.
                None if !self.reads_reals(&i.expr) && !is_call(&i.expr) => Ty::Other,
                None => {
                    let msg = match unsupported_message(&i.expr) {
                        Some(msg) => msg,
                        None => format!("cannot tell the type of `{ident}`: annotate it, as in `let {ident}: f64 = ...;`"),
                    };
                    self.errors.at(&i.expr, msg);
                    return;
                }
            },
            (None, None) => {
                self.errors.at(
                    &ident,
                    format!(
                        "`let {ident};` needs a type: write `let {ident}: f64;` or give it a value"
                    ),
                );
                return;
            }
        };
        // Lower the initialiser before declaring, so `let y = y + 1.0` reads the old `y`.
        match init {
            // A call with a real result; one with an integer or constant result is
            // integer code like any other.
            Some(i) if is_call(&i.expr) && !self.is_builtin_call(&i.expr) && ty.is_real() => {
                let Some(call) = self.call(&i.expr, out) else {
                    return;
                };
                if !mentioned(&ident, rest) {
                    return; // an unused result: the call is pure, so it is left out
                }
                // A result the function goes on to change (`let mut h = g(&w); h[0] +=
                // x[0];`) is a copy of the call's: where the call is on constants, the
                // copy may still become active.
                let copied = written(&ident, rest);
                let result = if copied {
                    self.temp(ty)
                } else {
                    self.declare(&ident, ty, Origin::Local)
                };
                out.push(Stmt::Call {
                    results: vec![result],
                    declare: true,
                    call,
                });
                if copied {
                    let var = self.declare(&ident, ty, Origin::Local);
                    let init = match ty {
                        Ty::RealVec => Rhs::Vec(VecExpr::Copy(result)),
                        _ => Rhs::Real(Expr::Var(result)),
                    };
                    out.push(Stmt::Let {
                        var,
                        init: Some(init),
                    });
                }
            }
            Some(i) => {
                let rhs = self.rhs(&i.expr, ty, out);
                let by_use = ty == Ty::Other && self.elements_by_use(&i.expr);
                let var = self.declare(&ident, ty, Origin::Local);
                if by_use {
                    self.records.insert(var);
                }
                if let Some(rhs) = rhs {
                    out.push(Stmt::Let {
                        var,
                        init: Some(rhs),
                    });
                }
            }
            None => {
                let var = self.declare(&ident, ty, Origin::Local);
                out.push(Stmt::Let { var, init: None });
            }
        }
    }

    /// The right-hand side of a `let` or assignment of a variable of type `ty`.
    fn rhs(&mut self, e: &SExpr, ty: Ty, out: &mut Vec<Stmt>) -> Option<Rhs> {
        match ty {
            Ty::Real => {
                if let Some(t) = self.ty_of(e) {
                    if t != Ty::Real {
                        self.errors.at(
                            e,
                            format!("expected a real (`f64`) value, found {}", ty_name(t)),
                        );
                        return None;
                    }
                }
                Some(Rhs::Real(self.real(e, out)))
            }
            Ty::RealVec => self.vector(e, out).map(Rhs::Vec),
            Ty::Int | Ty::Bool | Ty::Other => Some(Rhs::Opaque(self.opaque(e))),
        }
    }

    fn expr_stmt(&mut self, e: &SExpr, out: &mut Vec<Stmt>) {
        match e {
            SExpr::Macro(m) if diverges(&m.mac) => self.panic(&m.mac, out),
            SExpr::Assign(a) => self.assign(&a.left, None, &a.right, out),
            SExpr::Binary(b) => match compound_op(&b.op) {
                Some(op) => self.assign(&b.left, Some(op), &b.right, out),
                None => self.errors.at(
                    e,
                    "this expression has no effect: assign its value or remove it",
                ),
            },
            SExpr::MethodCall(mc) if mc.method == "push" => {
                let Some(v) = self
                    .path_var(&mc.receiver)
                    .filter(|&v| self.vars[v].ty == Ty::RealVec)
                else {
                    self.errors.at(
                        &mc.receiver,
                        "`push` is supported on `Vec<f64>` locals only",
                    );
                    return;
                };
                if mc.args.len() != 1 {
                    self.errors.at(mc, "`push` takes one value");
                    return;
                }
                let value = self.real(&mc.args[0], out);
                out.push(Stmt::Push { vec: v, value });
            }
            SExpr::ForLoop(f) => self.for_loop(f, out),
            SExpr::While(w) => {
                if let SExpr::Let(l) = &*w.cond {
                    self.errors.at(
                        l,
                        "`while let` is not supported: use `while` with an integer condition",
                    );
                    return;
                }
                if let Some(label) = &w.label {
                    self.errors.at(label, LABEL);
                }
                let cond = self.opaque(&w.cond);
                let body = self.block(&w.body.stmts, Tail::None);
                out.push(Stmt::While { cond, body });
            }
            SExpr::If(i) => self.if_stmt(i, None, out),
            SExpr::Block(b) => {
                if let Some(label) = &b.label {
                    self.errors.at(label, LABEL);
                }
                let body = self.block(&b.block.stmts, Tail::None);
                out.push(Stmt::Block(body));
            }
            SExpr::Return(r) => self.ret(r.expr.as_deref(), e, out),
            // A call for its effect on an output argument; one whose value is dropped
            // has none (calls are pure), so the derivative code leaves it out.
            SExpr::Call(_) => {
                if let Some(call) = self.call(e, out) {
                    if let Some(stmt) = self.in_place_call(e, call.clone()) {
                        out.push(stmt);
                    } else if call.args.iter().any(|a| matches!(a, Arg::Out(_))) {
                        out.push(Stmt::Call {
                            results: vec![],
                            declare: false,
                            call,
                        });
                    } else if call.args.iter().any(|a| matches!(a, Arg::Vec(_, Some(_)))) {
                        // Dropped, it is for its effect: a write into a sub-slice view.
                        self.errors.at(e, "this call's value is dropped, so it writes into a sub-slice (a `&mut` view, a `chunks_mut` chunk): pass the range itself, as in `h(x, &mut y[a..b])`");
                    }
                }
            }
            other => self.unsupported(other),
        }
    }

    fn assign(&mut self, left: &SExpr, op: Option<Op>, right: &SExpr, out: &mut Vec<Stmt>) {
        match left {
            SExpr::Index(ix) => {
                let Some(v) = self.path_var(&ix.expr) else {
                    self.errors.at(
                        &ix.expr,
                        "only a named vector can be indexed on the left of `=`, as in `y[i] = ...`",
                    );
                    return;
                };
                if self.vars[v].ty != Ty::RealVec {
                    self.errors.at(left, "indexed assignment is supported on real vectors (`Vec<f64>`, `&mut [f64]`) only");
                    return;
                }
                let index = self.opaque(&ix.index);
                let rhs = self.real(right, out);
                let value = match op {
                    Some(op) => Expr::app(op, vec![Expr::Index(v, index.clone()), rhs]),
                    None => rhs,
                };
                out.push(Stmt::Store {
                    vec: v,
                    index,
                    value,
                });
            }
            _ => {
                let Some(v) = self.path_var(left) else {
                    self.errors.at(
                        left,
                        "unsupported assignment target: assign to a local variable or to `v[i]`",
                    );
                    return;
                };
                let ty = self.vars[v].ty;
                match (ty, op) {
                    (Ty::Real, Some(op)) => {
                        let rhs = self.real(right, out);
                        out.push(Stmt::Assign {
                            var: v,
                            rhs: Rhs::Real(Expr::app(op, vec![Expr::Var(v), rhs])),
                            span: left.span(),
                        });
                    }
                    (Ty::Int, Some(op)) => {
                        let r = self.opaque(right);
                        let name = &self.vars[v].name;
                        let op = op_token(op);
                        let mut reads = r.reads.clone();
                        reads.push(v);
                        let t = &r.tokens;
                        out.push(Stmt::Assign {
                            var: v,
                            rhs: Rhs::Opaque(Opaque {
                                tokens: quote!(#name #op (#t)),
                                reads,
                                span: right.span(),
                            }),
                            span: left.span(),
                        });
                    }
                    (_, Some(_)) => self.errors.at(
                        left,
                        format!("compound assignment is not supported on {}", ty_name(ty)),
                    ),
                    // A vector result replaces the vector: it is made in a new one and
                    // moved in, as `y = z` is.
                    (Ty::RealVec, None) if is_call(right) && !self.is_builtin_call(right) => {
                        if let Some(call) = self.call(right, out) {
                            let t = self.temp(Ty::RealVec);
                            out.push(Stmt::Call {
                                results: vec![t],
                                declare: true,
                                call,
                            });
                            out.push(Stmt::Assign {
                                var: v,
                                rhs: Rhs::Vec(VecExpr::Move(t)),
                                span: left.span(),
                            });
                        }
                    }
                    (_, None) if is_call(right) && !self.is_builtin_call(right) => {
                        if let Some(call) = self.call(right, out) {
                            out.push(Stmt::Call {
                                results: vec![v],
                                declare: false,
                                call,
                            });
                        }
                    }
                    (_, None) => {
                        let Some(rhs) = self.rhs(right, ty, out) else {
                            return;
                        };
                        // `y = vec![y[0] + h * y[1], ..]`: the new vector is made in a
                        // temporary and moved in, so that every pass reads the old `y`
                        // for all of it (the reverse sweep restores it before the
                        // partials, and gives the old `y` its own adjoint).
                        let rhs = match rhs {
                            Rhs::Vec(value) if vec_reads(&value, v) => {
                                let t = self.temp(Ty::RealVec);
                                out.push(Stmt::Let {
                                    var: t,
                                    init: Some(Rhs::Vec(value)),
                                });
                                Rhs::Vec(VecExpr::Move(t))
                            }
                            rhs => rhs,
                        };
                        out.push(Stmt::Assign {
                            var: v,
                            rhs,
                            span: left.span(),
                        });
                    }
                }
            }
        }
    }
}

/// Whether a vector expression reads vector `v`.
fn vec_reads(value: &VecExpr, v: VarId) -> bool {
    match value {
        VecExpr::Filled(e, n) => e.reads(v) || n.reads.contains(&v),
        VecExpr::List(items) => items.iter().any(|e| e.reads(v)),
        VecExpr::Copy(u) | VecExpr::Move(u) => *u == v,
        VecExpr::Empty(n) => n.iter().any(|n| n.reads.contains(&v)),
        VecExpr::Overwritten(n) => n.reads.contains(&v),
    }
}

/// Whether the statements mention `name` at all (in `vec![..]` too).
fn mentioned(name: &Ident, rest: &[SStmt]) -> bool {
    rest.iter().any(|s| {
        s.to_token_stream()
            .into_iter()
            .any(|t| mentions_tree(&t, name))
    })
}

fn mentions_tree(t: &proc_macro2::TokenTree, name: &Ident) -> bool {
    match t {
        proc_macro2::TokenTree::Ident(i) => i == name,
        proc_macro2::TokenTree::Group(g) => g.stream().into_iter().any(|t| mentions_tree(&t, name)),
        _ => false,
    }
}

/// Whether the statements assign to `name`, store into it or push to it.
fn written(name: &Ident, rest: &[SStmt]) -> bool {
    !writes(name, rest).is_empty()
}

/// The values `rest` writes into `name` or its elements (`=`, `+=`, `push`).
fn writes<'a>(name: &Ident, rest: &'a [SStmt]) -> Vec<&'a SExpr> {
    struct Writes<'a, 'n>(&'n Ident, Vec<&'a SExpr>);
    impl<'a> Visit<'a> for Writes<'a, '_> {
        fn visit_expr(&mut self, e: &'a SExpr) {
            let is_name = |e: &SExpr| match e {
                SExpr::Path(p) => p.path.is_ident(self.0),
                SExpr::Index(ix) => matches!(&*ix.expr, SExpr::Path(p) if p.path.is_ident(self.0)),
                _ => false,
            };
            match e {
                SExpr::Assign(a) if is_name(&a.left) => self.1.push(&a.right),
                SExpr::Binary(b) if compound_op(&b.op).is_some() && is_name(&b.left) => {
                    self.1.push(&b.right)
                }
                SExpr::MethodCall(mc) if mc.method == "push" && is_name(&mc.receiver) => {
                    self.1.extend(mc.args.first())
                }
                _ => {}
            }
            syn::visit::visit_expr(self, e);
        }
    }
    let mut w = Writes(name, Vec::new());
    rest.iter().for_each(|s| w.visit_stmt(s));
    w.1
}

/// `panic!`, `unreachable!`, `todo!`, `unimplemented!`: statements that end the
/// function there.
fn diverges(m: &syn::Macro) -> bool {
    m.path.segments.last().is_some_and(|s| {
        ["panic", "unreachable", "todo", "unimplemented"]
            .iter()
            .any(|n| s.ident == n)
    })
}

fn is_statement_like(e: &SExpr) -> bool {
    matches!(
        e,
        SExpr::ForLoop(_) | SExpr::While(_) | SExpr::Loop(_) | SExpr::Assign(_) | SExpr::Return(_)
    ) || matches!(e, SExpr::If(i) if i.else_branch.is_none())
        || matches!(e, SExpr::Binary(b) if compound_op(&b.op).is_some())
}

fn compound_op(op: &BinOp) -> Option<Op> {
    match op {
        BinOp::AddAssign(_) => Some(Op::Add),
        BinOp::SubAssign(_) => Some(Op::Sub),
        BinOp::MulAssign(_) => Some(Op::Mul),
        BinOp::DivAssign(_) => Some(Op::Div),
        BinOp::RemAssign(_) => Some(Op::Rem),
        _ => None,
    }
}

fn op_token(op: Op) -> TokenStream {
    match op {
        Op::Add => quote!(+),
        Op::Sub => quote!(-),
        Op::Mul => quote!(*),
        Op::Rem => quote!(%),
        _ => quote!(/),
    }
}

#[cfg(test)]
pub(crate) mod tests;
